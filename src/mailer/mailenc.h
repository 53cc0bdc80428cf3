/*
 * mailenc.h: quoted-printable for mailmsg.c (the subject's encoding,
 * mailmsg_encode_subject, is declared in mailmsg.h).
 */
#ifndef AR_MAILENC_H
#define AR_MAILENC_H

#include <stddef.h>

struct textbuf;

/* Appends text (LF line ends) as quoted-printable (RFC 2045 section 6.7):
 * CRLF line ends, soft breaks keeping lines to 76 characters, a dot never
 * opening a line (no SMTP dot-stuffing needed). */
void mailenc_quoted_printable(struct textbuf *b, const char *text,
    size_t len);

#endif
