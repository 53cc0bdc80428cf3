/*
 * fuzz_rules.c: the password rules (rules.h) against a second, plain
 * implementation written here from the spec and RFC 3629.
 *
 * The input is the password, as raw bytes.  rules.c validates UTF-8 with
 * a table of byte ranges and an eight-bytes-at-a-time ASCII path, and
 * counts code points without decoding them; the reference below decodes
 * every code point the slow way.  Both must agree on whether the bytes are
 * UTF-8, on how many code points they hold, and on the exact set of rules
 * the password breaks.  password_violations() must also read nothing past
 * the end of bytes that are not UTF-8 (ASan would stop the run).
 */
#include "ac-config.h"

#include <string.h>

#include "fuzz.h"
#include "password/rules.h"
#include "base/utf8.h"

/*
 * Decodes the code point at p (left bytes readable) into *cp and returns
 * its length, or 0 when the bytes there are not a UTF-8 character:
 * truncated, a stray continuation byte, an overlong form, a surrogate
 * (U+D800..U+DFFF) or past U+10FFFF.
 */
static size_t
decode_one(const unsigned char *p, size_t left, unsigned long *cp)
{
	static const unsigned long	 least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned long			 v;
	size_t				 n, k;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		v = p[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[k] & 0x3f);
	}
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* The rules of the spec, one code point at a time; -1 if not UTF-8. */
static long
reference_violations(const unsigned char *p, size_t len, size_t *count)
{
	unsigned long	 cp;
	size_t		 i = 0, n, chars = 0;
	int		 lower = 0, upper = 0, digit = 0, special = 0, control = 0;
	unsigned	 v = 0;

	while (i < len) {
		if ((n = decode_one(p + i, len - i, &cp)) == 0)
			return -1;
		i += n;
		chars++;
		if (cp >= 'a' && cp <= 'z')
			lower = 1;
		else if (cp >= 'A' && cp <= 'Z')
			upper = 1;
		else if (cp >= '0' && cp <= '9')
			digit = 1;
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			control = 1;	/* C0, DEL and C1 */
		else
			special = 1;
	}
	*count = chars;
	if (chars < PASSWORD_MIN_CHARS)
		v |= RULE_TOO_SHORT;
	if (chars > PASSWORD_MAX_CHARS)
		v |= RULE_TOO_LONG;
	if (lower + upper + digit + special < PASSWORD_MIN_CLASSES)
		v |= RULE_TOO_FEW_CLASSES;
	if (control)
		v |= RULE_CONTROL_CHARACTER;
	return (long)v;
}

/* One password: the two implementations side by side. */
static void
check(const unsigned char *p, size_t len)
{
	size_t		 got_count = (size_t)-1, want_count = 0;
	long		 want;
	unsigned	 got, bit;
	int		 valid;

	valid = utf8_validate((const char *)p, len, &got_count) == 0;
	want = reference_violations(p, len, &want_count);
	FUZZ_CHECK(valid == (want != -1),
	    "utf8_validate agrees with a plain decoder on validity");
	got = password_violations((const char *)p, len);
	FUZZ_CHECK((got & ~RULE_SPEC_ALL) == 0, "only the spec's rule bits are set");
	if (!valid)
		return;
	FUZZ_CHECK(got_count == want_count,
	    "utf8_validate counts the code points a decoder finds");
	FUZZ_CHECK(got == (unsigned)want,
	    "password_violations breaks exactly the rules the spec names");
	for (bit = 1; bit <= RULE_ALL; bit <<= 1)
		if (got & bit)
			FUZZ_CHECK(rule_name(bit) != NULL &&
			    rule_description(bit) != NULL,
			    "every rule reported has a name and a sentence");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 count = 0;

	check(data, size);
	/* The ASCII fast path at every alignment it can start from. */
	if (size > 1)
		check(data + 1, size - 1);
	/* What the password was cut to is UTF-8 only if the cut falls
	 * between two code points; the count never goes past len. */
	if (utf8_validate((const char *)data, size / 2, &count) == 0)
		FUZZ_CHECK(count <= size / 2, "no more code points than bytes");
	FUZZ_CHECK(rule_name(0) == NULL && rule_name(RULE_ALL) == NULL,
	    "rule_name knows single bits only");
	return 0;
}
