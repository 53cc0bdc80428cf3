/*
 * test_mailmsg.c: templates and messages (mailmsg.h), read back the way
 * a mail reader would: the header block, CRLF everywhere, lines of at
 * most 76 characters in the body, quoted-printable decoding to the
 * filled-in template, RFC 2047 subjects, and every refusal.
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "mailer/mailmsg.h"
#include "base/secure.h"

#define CODE "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

static int
parse_tpl(const char *text, struct mail_template *t, char *err)
{
	return mailmsg_template_parse(text, strlen(text), t, err, 200);
}

/* Decodes quoted-printable text (CRLF lines) into out. */
static size_t
qp_decode(const char *s, char *out)
{
	size_t	n = 0;
	int	hi, lo;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
			continue;
		}
		if (s[0] == '=' && s[1] != '\0' && s[2] != '\0') {
			hi = s[1] <= '9' ? s[1] - '0' : s[1] - 'A' + 10;
			lo = s[2] <= '9' ? s[2] - '0' : s[2] - 'A' + 10;
			out[n++] = (char)(hi * 16 + lo);
			s += 3;
			continue;
		}
		if (s[0] == '\r' && s[1] == '\n') {
			out[n++] = '\n';
			s += 2;
			continue;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return n;
}

/* Every line ends CRLF (no bare CR or LF) and holds at most max chars. */
static int
lines_ok(const char *s, size_t max)
{
	const char	*p = s, *e;

	while (*p != '\0') {
		if ((e = strstr(p, "\r\n")) == NULL)
			return 0;
		if ((size_t)(e - p) > max || memchr(p, '\n', (size_t)(e - p)) ||
		    memchr(p, '\r', (size_t)(e - p)))
			return 0;
		p = e + 2;
	}
	return 1;
}

int
main(void)
{
	struct mail_template	 t;
	struct mail_values	 v = { .code = CODE,
				    .reset_link = "https://app.example/reset#code=" CODE,
				    .minutes = 60 };
	struct mail_values	 nv = { .time_utc = "2026-12-06 19:46 UTC",
				    .time_local = "2026-12-06 20:46 CET (+0100)",
				    .network = "2001:db8:1:2::/64",
				    .support_url = "https://help.example/",
				    .forgot_url = "https://app.example/forgot" };
	struct mail_envelope	 env = { "noreply@example.com", "user@example.org",
				    0, "0123456789abcdef" };
	char			 err[200], decoded[20000], subj[1000];
	char			*msg, *body, longline[300];
	size_t			 len;

	ok(parse_tpl("Subject: Reset your password\n\nCode: {{code}}\n"
	    "Link: {{reset_link}}\nValid {{minutes}} minutes.\n", &t, err) == 0 &&
	    strcmp(t.subject, "Reset your password") == 0 &&
	    t.uses == (MAILMSG_USES_CODE | MAILMSG_USES_LINK | MAILMSG_USES_MINUTES),
	    "a template with the three placeholders is read");
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == 0,
	    "a message is built");
	ok(strncmp(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", 39) == 0,
	    "Date first, in RFC 5322 form");
	ok(strstr(msg, "\r\nFrom: noreply@example.com\r\n") != NULL &&
	    strstr(msg, "\r\nTo: user@example.org\r\n") != NULL &&
	    strstr(msg, "\r\nSubject: Reset your password\r\n") != NULL &&
	    strstr(msg, "\r\nMessage-ID: <0123456789abcdef@example.com>\r\n") != NULL &&
	    strstr(msg, "\r\nMIME-Version: 1.0\r\n") != NULL &&
	    strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n") != NULL &&
	    strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL &&
	    strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n") != NULL,
	    "the headers are there");
	body = strstr(msg, "\r\n\r\n");
	ok(body != NULL && lines_ok(msg, 998) && lines_ok(body + 4, 76),
	    "CRLF everywhere; body lines of at most 76 characters");
	qp_decode(body + 4, decoded);
	ok(strcmp(decoded, "Code: " CODE "\nLink: https://app.example/reset#code="
	    CODE "\nValid 60 minutes.\n") == 0, "the body decodes to the filled template");
	ok(strstr(t.subject, CODE) == NULL && strstr(msg, "Subject: " CODE) == NULL,
	    "the code is not in the subject");
	secure_free(msg, len);
	mailmsg_template_free(&t);

	/* The HTML alternative: multipart/alternative, values escaped. */
	ok(parse_tpl("Subject: Reset\n\nCode: {{code}}\n", &t, err) == 0 &&
	    mailmsg_template_add_html(&t, "<p>{{code}} <a href=\"{{reset_link}}\">"
	    "go</a> {{network}}</p>\n", 56, err, sizeof(err)) == 0 &&
	    (t.html_uses & MAILMSG_USES_LINK), "an HTML alternative is read");
	v.network = "<b>&\"'";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == 0,
	    "a multipart message is built");
	ok(strstr(msg, "\r\nContent-Type: multipart/alternative; boundary=\"=_"
	    "0123456789abcdef\"\r\n") != NULL &&
	    strstr(msg, "\r\n--=_0123456789abcdef\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\n") != NULL &&
	    strstr(msg, "\r\n--=_0123456789abcdef\r\nContent-Type: text/html; "
	    "charset=UTF-8\r\n") != NULL &&
	    strstr(msg, "\r\n--=_0123456789abcdef--\r\n") != NULL &&
	    lines_ok(msg, 998), "text part, HTML part, closing boundary");
	body = strstr(msg, "Content-Type: text/html");
	qp_decode(strstr(body, "\r\n\r\n") + 4, decoded);
	ok(strstr(decoded, "&lt;b&gt;&amp;&quot;&#39;") != NULL &&
	    strstr(decoded, CODE) != NULL, "HTML values are escaped");
	secure_free(msg, len);
	v.network = NULL;
	ok(mailmsg_template_add_html(&t, "<img src=\"https://x.example/a.png\">",
	    36, err, sizeof(err)) == -1 && strstr(err, "src=") != NULL,
	    "a remote image is refused");
	ok(mailmsg_template_add_html(&t, "<SCRIPT>x</SCRIPT>", 18, err,
	    sizeof(err)) == -1, "a script is refused");
	ok(mailmsg_template_add_html(&t, "<p>{{password}}</p>", 19, err,
	    sizeof(err)) == -1, "an unknown placeholder in HTML is refused");
	mailmsg_template_free(&t);

	/* The notice after a reset: its own placeholders, each required. */
	ok(parse_tpl("Subject: Your password was changed\n\n{{time_utc}}\n"
	    "({{time_local}})\nfrom {{network}}\n{{forgot_url}}\n"
	    "{{support_url}}\n", &t, err) == 0 && t.uses == MAILMSG_USES_NOTICE
	    + MAILMSG_USES_SUPPORT + MAILMSG_USES_FORGOT,
	    "a notice template with the notice's placeholders is read");
	ok(mailmsg_build(&t, &nv, &env, &msg, &len, err, sizeof(err)) == 0,
	    "the notice is built");
	body = strstr(msg, "\r\n\r\n");
	qp_decode(body + 4, decoded);
	ok(strcmp(decoded, "2026-12-06 19:46 UTC\n(2026-12-06 20:46 CET "
	    "(+0100))\nfrom 2001:db8:1:2::/64\nhttps://app.example/forgot\n"
	    "https://help.example/\n") == 0, "the notice decodes to its values");
	secure_free(msg, len);
	nv.network = NULL;
	ok(mailmsg_build(&t, &nv, &env, &msg, &len, err, sizeof(err)) == -1 &&
	    msg == NULL, "a notice value missing is refused");
	nv.network = "10.0.0.1\r\nBcc: x@example.org";
	ok(mailmsg_build(&t, &nv, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a notice value with a line break is refused");
	mailmsg_template_free(&t);

	ok(parse_tpl("Subject: Passwort zur\xc3\xbc" "cksetzen \xe2\x80\x93 "
	    "\xe4\xbd\xa0\xe5\xa5\xbd \xe4\xbd\xa0\xe5\xa5\xbd \xe4\xbd\xa0\xe5\xa5\xbd "
	    "\xe4\xbd\xa0\xe5\xa5\xbd\n\nGr\xc3\xbc\xc3\x9f" "e: {{code}}\n", &t, err) == 0 &&
	    mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == 0,
	    "a non-ASCII template makes a message");
	ok(strstr(msg, "\r\nSubject: =?UTF-8?B?") != NULL &&
	    strstr(msg, "?=\r\n =?UTF-8?B?") != NULL,
	    "a non-ASCII subject is RFC 2047 encoded words, folded");
	body = strstr(msg, "\r\n\r\n");
	qp_decode(body + 4, decoded);
	ok(strcmp(decoded, "Gr\xc3\xbc\xc3\x9f" "e: " CODE "\n") == 0 &&
	    strstr(body, "Gr=C3=BC=C3=9Fe") != NULL,
	    "non-ASCII body text is quoted-printable UTF-8");
	secure_free(msg, len);
	mailmsg_template_free(&t);

	ok(mailmsg_encode_subject("plain", subj, sizeof(subj)) == 5 &&
	    strcmp(subj, "plain") == 0, "an ASCII subject is itself");
	ok(mailmsg_encode_subject("\xc3\xa9", subj, sizeof(subj)) > 0 &&
	    strcmp(subj, "=?UTF-8?B?w6k=?=") == 0, "e-acute is =?UTF-8?B?w6k=?=");
	ok(mailmsg_encode_subject("\xc3\xa9", subj, 10) == -1,
	    "a subject that does not fit is refused");

	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "Subject: s\n\n.", 13);
	memcpy(longline + 200, " = {{code}}\n", 13);
	ok(parse_tpl(longline, &t, err) == 0 &&
	    mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == 0,
	    "a long line with a leading dot and '=' makes a message");
	body = strstr(msg, "\r\n\r\n") + 4;
	ok(lines_ok(body, 76) && body[0] != '.' && strstr(body, "\r\n.") == NULL,
	    "it is soft-broken to 76 characters and no line opens with a dot");
	qp_decode(body, decoded);
	ok(decoded[0] == '.' && strstr(decoded, " = " CODE "\n") != NULL,
	    "and decodes back");
	secure_free(msg, len);

	env.to = "user@example.org\r\nBcc: victim@example.net";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1 &&
	    msg == NULL, "a recipient with CR LF is refused");
	env.to = "Name <user@example.org>";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a recipient with a display name is refused");
	env.to = "user@example.org";
	env.from = "a\nb@example.com";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a sender with LF is refused");
	env.from = "noreply@example.com";
	v.code = "x\r\ny";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a placeholder value with CR LF is refused");
	v.code = NULL;
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a missing placeholder value is refused");
	v.code = CODE;
	env.message_token = "a>b";
	ok(mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1,
	    "a Message-ID token that is not letters and digits is refused");
	mailmsg_template_free(&t);

	ok(parse_tpl("Subject: Your code {{code}}\n\nbody\n", &t, err) == -1 &&
	    strstr(err, "subject") != NULL, "a placeholder in the subject is refused");
	ok(parse_tpl("Subject: s\n\n{{password}}\n", &t, err) == -1 &&
	    strstr(err, "placeholder") != NULL, "an unknown placeholder is refused");
	ok(parse_tpl("Subject: s\nX-Extra: y\n\nbody\n", &t, err) == -1,
	    "a second header line is refused");
	ok(parse_tpl("From: x\n\nbody\n", &t, err) == -1,
	    "a template not opening with Subject: is refused");
	ok(parse_tpl("Subject: s\r\nBcc: x\n\nbody\n", &t, err) == -1,
	    "CR LF then a header in the subject line is refused");
	ok(parse_tpl("Subject: s\n\nbo\x01" "dy\n", &t, err) == -1,
	    "a control character in the body is refused");
	ok(parse_tpl("Subject: s\xc2\x85t\n\nbody\n", &t, err) == -1,
	    "a C1 control in the subject is refused");
	ok(parse_tpl("Subject: s\n\nbo\xff" "dy\n", &t, err) == -1,
	    "invalid UTF-8 in the body is refused");
	ok(parse_tpl("Subject: s\n\n", &t, err) == -1, "an empty body is refused");
	ok(parse_tpl("Subject: s\r\n\r\nline {{code}}\r\n", &t, err) == 0 &&
	    strcmp(t.body, "line {{code}}\n") == 0,
	    "a template with CRLF line ends is read as LF");
	mailmsg_template_free(&t);
	return done_testing();
}
