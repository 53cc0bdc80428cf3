/*
 * fuzz_credentials.c: the text of smtp_credentials_file
 * (credentials.h), which an operator writes by hand.
 *
 * What must hold:
 *   - one of the five answers; both values set on CREDENTIALS_OK, both
 *     NULL otherwise (no leak: LeakSanitizer checks the rest);
 *   - a text with a NUL byte is CREDENTIALS_NUL;
 *   - the values are non-empty, trimmed as config_trim trims (no space
 *     or tab at either end, no CR at the end), hold no newline, and
 *     stand in the input;
 *   - nothing is read or written outside the text.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/secure.h"
#include "fuzz.h"
#include "mailer/credentials.h"

static void
check_value(const char *v, const uint8_t *data, size_t size)
{
	size_t	n = strlen(v);

	FUZZ_CHECK(n > 0, "a value is not empty");
	FUZZ_CHECK(strchr(v, '\n') == NULL, "a value is one line");
	FUZZ_CHECK(v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' &&
	    v[n - 1] != '\t' && v[n - 1] != '\r',
	    "a value is trimmed as config_trim trims");
	FUZZ_CHECK(memmem(data, size, v, n) != NULL, "a value is in the text");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum credentials_result	 rc;
	char			*text, *user, *password;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = credentials_parse(text, size, &user, &password);
	if (memchr(data, '\0', size) != NULL)
		FUZZ_CHECK(rc == CREDENTIALS_NUL, "a NUL byte is refused");
	if (rc == CREDENTIALS_OK) {
		FUZZ_CHECK(user != NULL && password != NULL, "both values");
		check_value(user, data, size);
		check_value(password, data, size);
		secure_free(user, strlen(user));
		secure_free(password, strlen(password));
	} else {
		FUZZ_CHECK(rc == CREDENTIALS_NUL || rc == CREDENTIALS_SYNTAX ||
		    rc == CREDENTIALS_MISSING || rc == CREDENTIALS_NOMEM,
		    "one of the refusals");
		FUZZ_CHECK(user == NULL && password == NULL,
		    "nothing kept on a refusal");
	}
	secure_free(text, size + 1);
	return 0;
}
