/*
 * fuzz_number.c: the one strict number parser (number.h), which reads
 * configuration values, CONTENT_LENGTH-like input and command lines.
 *
 * Input: the first byte picks the base (10 or 8) and the bounds; the
 * rest, NUL-terminated, is the text.
 *
 * What must hold:
 *   - 0 only for text of digits of the base, with one leading '-' only
 *     when min < 0, and nothing else (no space, '+', "0x", trailing byte);
 *   - on 0 the value is within [min, max] and equals what strtoll reads
 *     from the same text; on -1 *out is left alone;
 *   - no read past the NUL.
 */
#include "ac-config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/number.h"
#include "fuzz.h"

static const long long bounds[][2] = {
	{ 0, 9223372036854775807LL }, { 1, 65535 }, { -100, 100 },
	{ -9223372036854775807LL - 1, 9223372036854775807LL }, { 5, 5 },
	{ 0, 0 }, { -1, -1 }, { 1, 31536000 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, *end;
	long long	 out = 42, min, max, want;
	int		 base, rc;
	size_t		 i, start;

	if (size < 1)
		return 0;
	base = data[0] & 0x80 ? 8 : 10;
	min = bounds[data[0] & 7][0];
	max = bounds[data[0] & 7][1];
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	rc = base == 10 ? number_parse(s, min, max, &out) :
	    number_parse_base(s, base, min, max, &out);
	FUZZ_CHECK(rc == 0 || rc == -1, "0 or -1");
	if (rc == -1) {
		FUZZ_CHECK(out == 42, "a refusal leaves *out alone");
		free(s);
		return 0;
	}
	FUZZ_CHECK(out >= min && out <= max, "within the bounds");
	start = s[0] == '-' ? 1 : 0;
	FUZZ_CHECK(start == 0 || min < 0, "a sign only when min < 0");
	FUZZ_CHECK(s[start] != '\0', "at least one digit");
	for (i = start; s[i] != '\0'; i++)
		FUZZ_CHECK(s[i] >= '0' && s[i] <= (base == 10 ? '9' : '7'),
		    "digits of the base only");
	errno = 0;
	want = strtoll(s, &end, base);
	FUZZ_CHECK(errno == 0 && *end == '\0' && want == out,
	    "the value strtoll reads");
	free(s);
	return 0;
}
