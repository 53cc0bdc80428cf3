/*
 * fuzz_mailmsg.c: templates and messages (mailmsg.h).  The input is a
 * template; when it parses, a message is built from it, and whatever the
 * template said, the message keeps its promises: CRLF lines only, a
 * header block of exactly the headers we write, no header line but ours
 * (a template cannot add one), body lines of at most 76 characters, only
 * printable ASCII in the body, the Subject the template's (encoded), and
 * the code nowhere in the headers.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailer/mailmsg.h"
#include "base/secure.h"

#define CODE "AbCdEfGhIjKlMnOpQrStUvWxYz012345"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_template	 t;
	struct mail_values	 v = { .code = CODE,
				    .reset_link = "https://app.example/r#code=" CODE,
				    .minutes = 60,
				    .time_utc = "2026-12-06 19:46 UTC",
				    .time_local = "2026-12-06 20:46 CET (+0100)",
				    .network = "2001:db8:1:2::/64",
				    .support_url = "https://help.example/",
				    .forgot_url = "https://app.example/forgot" };
	struct mail_envelope	 env = { "noreply@example.com", "u@example.org",
				    1700000000, "abc123" };
	char			 err[200], *msg, *body, *p, *e;
	char			 subj[MAILMSG_SUBJECT_MAX * 3];
	size_t			 len, headers = 0;

	if (mailmsg_template_parse((const char *)data, size, &t, err,
	    sizeof(err)) == -1)
		return 0;
	FUZZ_CHECK(strstr(t.subject, "{{") == NULL, "no placeholder in a subject");
	if (mailmsg_build(&t, &v, &env, &msg, &len, err, sizeof(err)) == -1) {
		mailmsg_template_free(&t);
		return 0;
	}
	FUZZ_CHECK(strlen(msg) == len, "no NUL inside the message");
	body = strstr(msg, "\r\n\r\n");
	FUZZ_CHECK(body != NULL, "a header block");
	for (p = msg; p < body + 2; p = e + 2) {
		e = strstr(p, "\r\n");
		FUZZ_CHECK(e != NULL, "CRLF lines");
		FUZZ_CHECK(memchr(p, '\n', (size_t)(e - p)) == NULL &&
		    memchr(p, '\r', (size_t)(e - p)) == NULL, "no bare CR or LF");
		if (*p != ' ')
			headers++;	/* a continuation line is no header */
	}
	FUZZ_CHECK(headers == 10, "exactly the headers we write");
	/* The placeholder values never reach the headers (a template that
	 * spells the test's code in its own subject does not count). */
	FUZZ_CHECK(strstr(t.subject, CODE) != NULL ||
	    memmem(msg, (size_t)(body - msg), CODE, strlen(CODE)) == NULL,
	    "the code is not in the headers");
	FUZZ_CHECK(mailmsg_encode_subject(t.subject, subj, sizeof(subj)) > 0 &&
	    (p = strstr(msg, "\r\nSubject: ")) != NULL && p < body &&
	    strncmp(p + 11, subj, strlen(subj)) == 0 &&
	    strncmp(p + 11 + strlen(subj), "\r\n", 2) == 0,
	    "the Subject header is the template's subject, encoded");
	for (p = body + 4; *p != '\0'; p = e + 2) {
		e = strstr(p, "\r\n");
		FUZZ_CHECK(e != NULL, "CRLF body lines");
		FUZZ_CHECK(e - p <= 76, "body lines of at most 76 characters");
		FUZZ_CHECK(*p != '.', "no line opens with a dot");
		for (; p < e; p++)
			FUZZ_CHECK((*p >= 0x20 && *p < 0x7f) || *p == '\t',
			    "printable ASCII (and tab) in the body");
	}
	secure_free(msg, len);
	mailmsg_template_free(&t);
	return 0;
}
