/*
 * email.h: which e-mail addresses we accept, as a pure function (no I/O,
 * no DNS).  The same check guards the recover endpoint's input and every
 * envelope address and header value the mailer writes.
 *
 * Accepted: a plain addr-spec "local@domain" (RFC 5321 section 4.1.2,
 * with RFC 6531's UTF-8 extension), that is:
 *   - at most 254 octets in all and at most 64 in the local part
 *     (RFC 5321 section 4.5.3.1, with the 256-octet path less its <>);
 *   - valid UTF-8 (RFC 3629);
 *   - the local part a dot-atom: atoms of RFC 5322 atext
 *     (A-Z a-z 0-9 and ! # $ % & ' * + - / = ? ^ _ ` { | } ~) or
 *     non-ASCII characters, joined by single dots, no leading, trailing
 *     or doubled dot;
 *   - the domain two or more labels of 1..63 octets, each letters, digits,
 *     '-' (not first or last) or non-ASCII characters (U-labels are taken
 *     as they are, not checked against IDNA2008), and a last label that
 *     is not all digits.
 * Refused: quoted local parts ("a b"@x: legal but a header-injection
 * surface and unused in practice), address literals ([192.0.2.1]),
 * dotless domains, comments, display names, and every control character
 * (C0, DEL, C1), space, and the invisible or line-breaking characters
 * U+00A0, U+1680, U+2000..U+200F, U+2028..U+202F, U+205F..U+206F,
 * U+3000, U+FEFF and U+FFF9..U+FFFF.  Case is kept as given.
 */
#ifndef AR_EMAIL_H
#define AR_EMAIL_H

#include <stddef.h>

#define EMAIL_MAX_OCTETS	254
#define EMAIL_LOCAL_MAX_OCTETS	64
#define EMAIL_LABEL_MAX_OCTETS	63

/* 1 when the len bytes at s (need not be NUL-terminated; a NUL byte
 * refuses) are an address we accept, else 0. */
int email_valid(const char *s, size_t len);

/* 1 when every octet of the address is ASCII (no SMTPUTF8 needed). */
int email_is_ascii(const char *s, size_t len);

#endif
