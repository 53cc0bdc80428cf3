/*
 * fuzz_form.c: the form-urlencoded parser (form.h) of the OAuth
 * endpoints.  Whatever the bytes: FORM_OK or a refusal; on FORM_OK every
 * value fits its buffer, is NUL-terminated at its length and holds no
 * control byte; on a refusal every value is wiped.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "api/form.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			a[48], b[8], c[300];
	struct form_field	f[] = {
		{ "grant_type", a, sizeof(a), 0, 0 },
		{ "token_type_hint", b, sizeof(b), 0, 0 },
		{ "refresh_token", c, sizeof(c), 0, 0 },
	};
	enum form_result	r;
	size_t			i, j;

	r = form_parse((const char *)data, size, f, 3);
	FUZZ_CHECK(r == FORM_OK || r == FORM_MALFORMED || r == FORM_REPEATED ||
	    r == FORM_TOO_LONG, "a known result");
	for (i = 0; i < 3; i++) {
		if (r != FORM_OK) {
			FUZZ_CHECK(!f[i].seen && f[i].len == 0 &&
			    f[i].value[0] == '\0', "wiped on a refusal");
			continue;
		}
		FUZZ_CHECK(f[i].len < f[i].cap, "fits its buffer");
		FUZZ_CHECK(f[i].value[f[i].len] == '\0', "NUL at its length");
		FUZZ_CHECK(f[i].seen || f[i].len == 0, "unseen is empty");
		for (j = 0; j < f[i].len; j++)
			FUZZ_CHECK((unsigned char)f[i].value[j] >= 0x20 &&
			    (unsigned char)f[i].value[j] != 0x7f, "no control byte");
	}
	return 0;
}
