/*
 * mailmsg.h: the recovery mail as RFC 5322 text, built by pure functions
 * (no I/O) from a template and a handful of values.
 *
 * A template is UTF-8 text:
 *
 *     Subject: <one line, no placeholders>
 *     <an empty line>
 *     <the body, with placeholders>
 *
 * Placeholders in the body: {{code}} (the validation code), {{reset_link}}
 * (reset_url + "#code=" + the code) and {{minutes}} (minutes until the
 * code expires); for the "password changed" notice {{time_utc}},
 * {{time_local}} (in notify_timezone), {{network}} (the client key of the
 * reset), {{support_url}} and {{forgot_url}}.  Any other "{{" is an error, as are control characters
 * other than newline and tab, and a subject that would carry a
 * placeholder: the code is never in a subject.
 *
 * The message: CRLF line ends; Date, From, To, Subject (RFC 2047 B
 * encoded words when it is not ASCII), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding
 * quoted-printable (lines of at most 76 characters, a leading dot
 * encoded), and Auto-Submitted: auto-generated.  With an HTML
 * alternative the message is multipart/alternative: the text part, then
 * the text/html part, each UTF-8 quoted-printable (whose output never
 * holds the boundary, which starts with "=_").  Every address written
 * into a header is checked with email_valid() first.
 */
#ifndef AR_MAILMSG_H
#define AR_MAILMSG_H

#include <stddef.h>
#include <time.h>

#define MAILMSG_SUBJECT_MAX	256	/* octets of UTF-8 */
#define MAILMSG_BODY_MAX	16384	/* octets of the template body */

struct mail_template {
	char	 subject[MAILMSG_SUBJECT_MAX + 1];
	char	*body;		/* NUL-terminated, LF line ends */
	size_t	 body_len;
	unsigned uses;		/* MAILMSG_USES_* of the placeholders found */
	/* The HTML alternative (NULL: a text/plain message). */
	char	*html;		/* NUL-terminated, LF line ends */
	size_t	 html_len;
	unsigned html_uses;
};

#define MAILMSG_USES_CODE	1u
#define MAILMSG_USES_LINK	2u
#define MAILMSG_USES_MINUTES	4u
#define MAILMSG_USES_TIME_UTC	8u
#define MAILMSG_USES_TIME_LOCAL	16u
#define MAILMSG_USES_NETWORK	32u
#define MAILMSG_USES_SUPPORT	64u
#define MAILMSG_USES_FORGOT	128u
/* What only the notice may show; what the notice may never show. */
#define MAILMSG_USES_NOTICE	(MAILMSG_USES_TIME_UTC | \
	MAILMSG_USES_TIME_LOCAL | MAILMSG_USES_NETWORK)
#define MAILMSG_USES_SECRET	(MAILMSG_USES_CODE | MAILMSG_USES_LINK)

/* Parses template text (len bytes).  0, or -1 with what is wrong in err. */
int mailmsg_template_parse(const char *text, size_t len,
    struct mail_template *t, char *err, size_t errlen);

void mailmsg_template_free(struct mail_template *t);

/* Adds the HTML alternative (text of len bytes: an HTML document with
 * the same placeholders, whose values are HTML-escaped; no subject line)
 * to t.  Refused: what mailmsg_template_parse refuses in a body, and
 * what would load something remote or run (<script, <link, @import,
 * <iframe, <object, src= or url() naming http(s)://): styles go inline
 * and images, if any, as data: URLs.  0, or -1 with what is wrong. */
int mailmsg_template_add_html(struct mail_template *t, const char *text,
    size_t len, char *err, size_t errlen);

/* What the placeholders stand for; code and link may be NULL for a
 * template that uses neither (the notice to an unknown address). */
struct mail_values {
	const char	*code;
	const char	*reset_link;
	long		 minutes;
	/* The notice's (NULL where a template does not use them). */
	const char	*time_utc;
	const char	*time_local;
	const char	*network;
	const char	*support_url;
	const char	*forgot_url;
};

/* The envelope of the message: addresses, the time, and a random token
 * for the Message-ID (letters and digits). */
struct mail_envelope {
	const char	*from;
	const char	*to;
	time_t		 date;
	const char	*message_token;
};

/*
 * Builds the message into *out (malloc'd, NUL-terminated; it holds the
 * code: wipe it with secure_free(*out, *outlen)).  0, or -1 with what is
 * wrong in err (an address email_valid() refuses, a value missing for a
 * placeholder, a value with a control character, out of memory).
 */
int mailmsg_build(const struct mail_template *t, const struct mail_values *v,
    const struct mail_envelope *env, char **out, size_t *outlen, char *err,
    size_t errlen);

/* The subject as its header value: itself when it is printable ASCII,
 * else RFC 2047 B-encoded words of UTF-8 of at most 75 characters, folded
 * onto continuation lines.  Writes at most outlen bytes with the NUL;
 * returns the length, or -1 when it does not fit. */
long mailmsg_encode_subject(const char *subject, char *out, size_t outlen);

#endif
