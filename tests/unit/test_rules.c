/*
 * test_rules.c: the password rules and the strict UTF-8 check.  Every input
 * is copied into a buffer of exactly its length first, so that a sanitizer
 * build catches any read past len.
 */

#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include "password/rules.h"
#include "../tap.h"
#include "base/utf8.h"

/* A string literal and its length in bytes, embedded NULs included. */
#define S(lit)	(lit), sizeof(lit) - 1

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The classes as the tests name them; NONE is for control characters. */
enum { LOWER, UPPER, DIGIT, SPECIAL, NCLASSES, NONE = NCLASSES, MIXED };

static const char *const class_names[] = {
	"lower case", "upper case", "digit", "special", "no class", "mixed"
};

/* A copy of s in a heap buffer of exactly len bytes; never NULL. */
static char *
exact_copy(const char *s, size_t len)
{
	char	*copy;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(copy, s, len);
	return copy;
}

static int
validate(const char *s, size_t len, size_t *count)
{
	char	*copy = exact_copy(s, len);
	int	 rc;

	rc = utf8_validate(copy, len, count);
	free(copy);
	return rc;
}

static unsigned
violations(const char *pw, size_t len)
{
	char		*copy = exact_copy(pw, len);
	unsigned	 v;

	v = password_violations(copy, len);
	free(copy);
	return v;
}

/* Claims that pw breaks exactly the rules in want. */
static void
expect(const char *pw, size_t len, unsigned want, const char *name)
{
	unsigned	 got = violations(pw, len);

	if (!ok(got == want, "%s", name))
		diag("violations 0x%x, expected 0x%x", got, want);
}

/* Writes prefix and then n copies of unit into buf; returns the length. */
static size_t
build(char *buf, size_t cap, const char *prefix, const char *unit, size_t n)
{
	size_t	 len, ulen = strlen(unit);

	len = strlen(prefix);
	if (len + n * ulen > cap)
		abort();
	memcpy(buf, prefix, len);
	for (; n > 0; n--) {
		memcpy(buf + len, unit, ulen);
		len += ulen;
	}
	return len;
}

/*
 * Which class the character ch falls in, found only through
 * password_violations: appended to a password of two classes, it makes
 * three exactly when its class is neither of the two.  Six pairs tell the
 * four classes apart; a character in none of them (a control) makes three
 * with no pair.
 */
static int
class_of(const char *ch, size_t chlen)
{
	static const struct {
		const char	*base;
		int		 a, b;
	} pairs[] = {
		{ "abcdABCD", LOWER, UPPER },
		{ "abcd1234", LOWER, DIGIT },
		{ "abcd!#%&", LOWER, SPECIAL },
		{ "ABCD1234", UPPER, DIGIT },
		{ "ABCD!#%&", UPPER, SPECIAL },
		{ "1234!#%&", DIGIT, SPECIAL },
	};
	char		 buf[64];
	int		 passes[NELEM(pairs)], any = 0, c, fits;
	size_t		 i, blen;

	for (i = 0; i < NELEM(pairs); i++) {
		blen = strlen(pairs[i].base);
		memcpy(buf, pairs[i].base, blen);
		memcpy(buf + blen, ch, chlen);
		passes[i] = !(violations(buf, blen + chlen) &
		    RULE_TOO_FEW_CLASSES);
		any |= passes[i];
	}
	if (!any)
		return NONE;
	for (c = LOWER; c < NCLASSES; c++) {
		fits = 1;
		for (i = 0; i < NELEM(pairs); i++)
			if (passes[i] != (pairs[i].a != c && pairs[i].b != c))
				fits = 0;
		if (fits)
			return c;
	}
	return MIXED;
}

static void
expect_class(const char *ch, size_t chlen, int want, const char *what)
{
	int	 got = class_of(ch, chlen);

	if (!ok(got == want, "%s counts as %s", what, class_names[want]))
		diag("it counts as %s", class_names[got]);
}

/* 7, 8, 128 and 129 code points, in each width of UTF-8. */
static void
test_lengths(void)
{
	static const struct {
		const char	*unit, *what;
	} units[] = {
		{ "x", "1-byte 'x'" },
		{ "\xc3\xa9", "2-byte U+00E9" },
		{ "\xe2\x82\xac", "3-byte U+20AC" },
		{ "\xf0\x9f\x98\x80", "4-byte U+1F600" },
	};
	static const size_t	 counts[] = { 7, 8, 128, 129 };
	char			 buf[1024], name[128];
	size_t			 u, c, n, len;
	unsigned		 want;

	for (u = 0; u < NELEM(units); u++) {
		for (c = 0; c < NELEM(counts); c++) {
			n = counts[c];
			want = 0;
			if (n < PASSWORD_MIN_CHARS)
				want |= RULE_TOO_SHORT;
			if (n > PASSWORD_MAX_CHARS)
				want |= RULE_TOO_LONG;

			len = build(buf, sizeof(buf), "aB3", units[u].unit,
			    n - 3);
			snprintf(name, sizeof(name), "\"aB3\" and %s: %zu "
			    "code points in %zu bytes is %s", units[u].what, n,
			    len, want ? "refused for length" : "accepted");
			expect(buf, len, want, name);

			len = build(buf, sizeof(buf), "", units[u].unit, n);
			snprintf(name, sizeof(name), "%zu x %s (%zu bytes): "
			    "length %s, one class is too few", n,
			    units[u].what, len, want ? "refused" : "accepted");
			expect(buf, len, want | RULE_TOO_FEW_CLASSES, name);
		}
	}

	expect(S("aB3e\xcc\x81" "e\xcc\x81x"), 0,
	    "combining marks count as code points: 'e' + U+0301 is two");
	expect(S("aB3\0wxyz"), RULE_CONTROL_CHARACTER,
	    "an embedded NUL counts towards the length (8, not 3)");
}

/* Every subset of the four classes: exactly those with 3 or more pass. */
static void
test_class_subsets(void)
{
	static const char	 sample[NCLASSES] = { 'q', 'Q', '5', '#' };
	char			 buf[16], name[128], *np;
	size_t			 i, len;
	unsigned		 mask, nclasses, c, want;

	for (mask = 0; mask < 1u << NCLASSES; mask++) {
		nclasses = 0;
		np = name;
		np += snprintf(np, sizeof(name), "classes {");
		for (c = 0; c < NCLASSES; c++) {
			if (!(mask & (1u << c)))
				continue;
			np += snprintf(np, sizeof(name) - (size_t)(np - name),
			    "%s%s", nclasses ? ", " : "", class_names[c]);
			nclasses++;
		}

		/* Twelve characters cycling through the chosen classes. */
		len = 0;
		while (nclasses > 0 && len < 12)
			for (c = 0; c < NCLASSES && len < 12; c++)
				if (mask & (1u << c))
					buf[len++] = sample[c];
		if (nclasses == 0) {
			for (i = 0; i < 12; i++)
				buf[i] = '\t';
			len = 12;
		}

		want = nclasses >= PASSWORD_MIN_CLASSES ? 0 :
		    RULE_TOO_FEW_CLASSES;
		if (nclasses == 0)
			want |= RULE_CONTROL_CHARACTER;
		snprintf(np, sizeof(name) - (size_t)(np - name),
		    "%s}: %u of 4 classes is %s",
		    nclasses == 0 ? "none, 12 TABs" : "", nclasses,
		    want ? "too few" : "enough");
		expect(buf, len, want, name);
	}
}

/* Which class single characters fall in, at the edges of each range. */
static void
test_class_members(void)
{
	static const struct {
		const char	*ch;
		size_t		 len;
		int		 cls;
		const char	*what;
	} chars[] = {
		{ S("a"), LOWER, "'a'" },
		{ S("z"), LOWER, "'z'" },
		{ S("A"), UPPER, "'A'" },
		{ S("Z"), UPPER, "'Z'" },
		{ S("0"), DIGIT, "'0'" },
		{ S("9"), DIGIT, "'9'" },
		{ S(" "), SPECIAL, "space" },
		{ S("!"), SPECIAL, "'!'" },
		{ S("/"), SPECIAL, "'/' (before '0')" },
		{ S(":"), SPECIAL, "':' (after '9')" },
		{ S("@"), SPECIAL, "'@' (before 'A')" },
		{ S("["), SPECIAL, "'[' (after 'Z')" },
		{ S("`"), SPECIAL, "'`' (before 'a')" },
		{ S("{"), SPECIAL, "'{' (after 'z')" },
		{ S("~"), SPECIAL, "'~' (before DEL)" },
		{ S("\xc2\xa0"), SPECIAL,
		    "U+00A0 no-break space (after the C1 controls)" },
		{ S("\xc3\xa9"), SPECIAL,
		    "U+00E9 e acute (a non-ASCII letter)" },
		{ S("\xc3\x89"), SPECIAL,
		    "U+00C9 E acute (non-ASCII upper case)" },
		{ S("\xd0\xbf"), SPECIAL, "U+043F Cyrillic pe" },
		{ S("\xe2\x82\xac"), SPECIAL, "U+20AC euro sign" },
		{ S("\xe2\x80\xa8"), SPECIAL,
		    "U+2028 line separator (not Cc)" },
		{ S("\xef\xbf\xbd"), SPECIAL, "U+FFFD replacement character" },
		{ S("\xf0\x9f\x98\x80"), SPECIAL, "U+1F600 emoji" },
		{ S("\xf4\x8f\xbf\xbf"), SPECIAL, "U+10FFFF" },
		{ S("\0"), NONE, "NUL" },
		{ S("\t"), NONE, "TAB" },
		{ S("\n"), NONE, "LF" },
		{ S("\r"), NONE, "CR" },
		{ S("\x1b"), NONE, "ESC" },
		{ S("\x1f"), NONE, "U+001F" },
		{ S("\x7f"), NONE, "DEL" },
		{ S("\xc2\x80"), NONE, "U+0080" },
		{ S("\xc2\x85"), NONE, "U+0085 next line" },
		{ S("\xc2\x9f"), NONE, "U+009F" },
	};
	size_t	 i;

	for (i = 0; i < NELEM(chars); i++)
		expect_class(chars[i].ch, chars[i].len, chars[i].cls,
		    chars[i].what);

	expect(S("abcd EFG"), 0, "lower, upper and a space are 3 classes");
	expect(S("abcd\xc3\xa9" "EFG"), 0,
	    "lower, upper and U+00E9 are 3 classes");
	expect(S("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c" "12"),
	    RULE_TOO_FEW_CLASSES,
	    "Cyrillic letters and digits are only 2 classes");
	expect(S("\xf0\x9f\x98\x80\xf0\x9f\x98\x80" "abcd12"), 0,
	    "U+1F600, lower and digits are 3 classes");
}

/* Each kind of control character is refused and is no special character. */
static void
test_controls(void)
{
	static const struct {
		const char	*ch;
		size_t		 len;
		const char	*what;
	} controls[] = {
		{ S("\0"), "NUL" },
		{ S("\t"), "TAB" },
		{ S("\n"), "LF" },
		{ S("\x7f"), "DEL" },
		{ S("\xc2\x85"), "U+0085" },
	};
	char	 buf[32], name[128];
	size_t	 i, n;

	for (i = 0; i < NELEM(controls); i++) {
		n = strlen("Passw0rd");
		memcpy(buf, "Passw0rd", n);
		memcpy(buf + n, controls[i].ch, controls[i].len);
		snprintf(name, sizeof(name), "%s after \"Passw0rd\" is "
		    "refused as a control character", controls[i].what);
		expect(buf, n + controls[i].len, RULE_CONTROL_CHARACTER, name);

		n = strlen("abcdEFGH");
		memcpy(buf, "abcdEFGH", n);
		memcpy(buf + n, controls[i].ch, controls[i].len);
		snprintf(name, sizeof(name), "%s does not make \"abcdEFGH\" "
		    "3 classes", controls[i].what);
		expect(buf, n + controls[i].len,
		    RULE_TOO_FEW_CLASSES | RULE_CONTROL_CHARACTER, name);
	}

	expect(S("\0Passw0rd"), RULE_CONTROL_CHARACTER,
	    "a leading NUL is seen (the password is not cut at it)");
	expect(S("Pass\nw0rd"), RULE_CONTROL_CHARACTER,
	    "an LF in the middle is refused");
}

/* All broken rules are reported together. */
static void
test_several(void)
{
	char	 buf[1024];
	size_t	 len;

	expect(S("Passw0rd"), 0, "\"Passw0rd\" breaks no rule");
	expect(S("correct horse Battery staple"), 0,
	    "a passphrase with spaces and one capital breaks no rule");
	expect(S(""), RULE_TOO_SHORT | RULE_TOO_FEW_CLASSES,
	    "the empty password is too short and has too few classes");
	expect(S("\0"), RULE_TOO_SHORT | RULE_TOO_FEW_CLASSES |
	    RULE_CONTROL_CHARACTER,
	    "a lone NUL: too short, too few classes, control character");
	expect(S("abc\t"), RULE_TOO_SHORT | RULE_TOO_FEW_CLASSES |
	    RULE_CONTROL_CHARACTER,
	    "\"abc\\t\": too short, too few classes, control character");
	expect(S("aB1\x7f"), RULE_TOO_SHORT | RULE_CONTROL_CHARACTER,
	    "\"aB1\" and DEL: too short and control character");

	len = build(buf, sizeof(buf), "", "a", 129);
	expect(buf, len, RULE_TOO_LONG | RULE_TOO_FEW_CLASSES,
	    "129 x 'a': too long and too few classes");
	len = build(buf, sizeof(buf), "\n", "a", 140);
	expect(buf, len, RULE_TOO_LONG | RULE_TOO_FEW_CLASSES |
	    RULE_CONTROL_CHARACTER,
	    "LF and 140 x 'a': too long, too few classes, control character");
	len = build(buf, sizeof(buf), "aB3", "\xc2\x85", 200);
	expect(buf, len, RULE_TOO_LONG | RULE_CONTROL_CHARACTER,
	    "\"aB3\" and 200 x U+0085: too long and control character");
}

/* Valid UTF-8, its code point counts, and the edges of each width. */
static void
test_utf8_valid(void)
{
	static const struct {
		const char	*s;
		size_t		 len, count;
		const char	*what;
	} valid[] = {
		{ S(""), 0, "the empty string" },
		{ S("hello"), 5, "ASCII" },
		{ S("a\0b"), 3, "an embedded NUL" },
		{ S("h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80"), 8,
		    "mixed 1- to 4-byte text" },
		{ S("\x7f"), 1, "U+007F (last 1-byte)" },
		{ S("\xc2\x80"), 1, "U+0080 (first 2-byte)" },
		{ S("\xdf\xbf"), 1, "U+07FF (last 2-byte)" },
		{ S("\xe0\xa0\x80"), 1, "U+0800 (first 3-byte)" },
		{ S("\xed\x9f\xbf"), 1, "U+D7FF (just below the surrogates)" },
		{ S("\xee\x80\x80"), 1, "U+E000 (just above the surrogates)" },
		{ S("\xef\xbf\xbf"), 1, "U+FFFF (last 3-byte)" },
		{ S("\xf0\x90\x80\x80"), 1, "U+10000 (first 4-byte)" },
		{ S("\xf4\x8f\xbf\xbf"), 1, "U+10FFFF (last code point)" },
		{ S("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
		    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"), 7,
		    "all the edges in one string" },
	};
	char	 name[128];
	size_t	 i, n;
	int	 rc;

	for (i = 0; i < NELEM(valid); i++) {
		n = (size_t)-1;
		rc = validate(valid[i].s, valid[i].len, &n);
		snprintf(name, sizeof(name), "%s is valid UTF-8, counted "
		    "as %zu code point(s)", valid[i].what, valid[i].count);
		if (!ok(rc == 0 && n == valid[i].count, "%s", name))
			diag("returned %d, count %zu", rc, n);
	}

	ok(utf8_validate("abc", 3, NULL) == 0, "a NULL count is allowed");
	n = 0;
	ok(validate("abc", 2, &n) == 0 && n == 2,
	    "only len bytes are counted, not up to the NUL");
}

/* Each malformed form is refused. */
static void
test_utf8_invalid(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		const char	*what;
	} invalid[] = {
		{ S("\xc0\x80"), "C0 80 (overlong NUL)" },
		{ S("\xc0\xaf"), "C0 AF (overlong '/')" },
		{ S("\xc1\xbf"), "C1 BF (overlong U+007F)" },
		{ S("\xe0\x80\x80"), "E0 80 80 (overlong NUL)" },
		{ S("\xe0\x9f\xbf"), "E0 9F BF (overlong U+07FF)" },
		{ S("\xf0\x80\x80\x80"), "F0 80 80 80 (overlong NUL)" },
		{ S("\xf0\x8f\xbf\xbf"), "F0 8F BF BF (overlong U+FFFF)" },
		{ S("\xed\xa0\x80"), "ED A0 80 (surrogate U+D800)" },
		{ S("\xed\xbf\xbf"), "ED BF BF (surrogate U+DFFF)" },
		{ S("\xed\xa0\xbd\xed\xb8\x80"),
		    "a CESU-8 surrogate pair for U+1F600" },
		{ S("\xf4\x90\x80\x80"), "F4 90 80 80 (U+110000)" },
		{ S("\xf4\xbf\xbf\xbf"), "F4 BF BF BF (past U+10FFFF)" },
		{ S("\xf5\x80\x80\x80"), "lead byte F5" },
		{ S("\xf7\xbf\xbf\xbf"), "lead byte F7" },
		{ S("\xf8\x88\x80\x80\x80"), "a 5-byte form (F8)" },
		{ S("\xfc\x84\x80\x80\x80\x80"), "a 6-byte form (FC)" },
		{ S("\xfe"), "byte FE" },
		{ S("\xff"), "byte FF" },
		{ S("\x80"), "a lone continuation byte 80" },
		{ S("\xbf"), "a lone continuation byte BF" },
		{ S("ab\x80" "cd"), "a stray continuation byte between ASCII" },
		{ S("\xc3\xa9\xa9"), "a continuation byte too many" },
		{ S("\xc3"), "a truncated 2-byte sequence at the end" },
		{ S("abc\xe2\x82"), "a truncated 3-byte sequence at the end" },
		{ S("abc\xf0\x9f\x98"),
		    "a truncated 4-byte sequence at the end" },
		{ S("\xf0"), "a lone 4-byte lead at the end" },
		{ S("\xe2\x82" "A"), "a 3-byte sequence cut short by ASCII" },
		{ S("\xf0\x9f\x98" "A"),
		    "a 4-byte sequence cut short by ASCII" },
		{ S("\xc3\xc3\xa9"), "a lead byte followed by a lead byte" },
	};
	char	 buf[64], name[160];
	size_t	 i, n;
	int	 rc;

	for (i = 0; i < NELEM(invalid); i++) {
		rc = validate(invalid[i].s, invalid[i].len, &n);
		snprintf(name, sizeof(name), "%s is refused", invalid[i].what);
		ok(rc == -1, "%s", name);
	}

	/* The bytes past len would complete the sequence: they must not. */
	ok(validate("\xe2\x82\xac", 2, &n) == -1,
	    "U+20AC cut at len 2 is refused although byte 3 follows");

	/* The same forms after a long ASCII run, behind the 8-byte skip. */
	memset(buf, 'x', 19);
	for (i = 0; i < NELEM(invalid); i++) {
		memcpy(buf + 19, invalid[i].s, invalid[i].len);
		if (validate(buf, 19 + invalid[i].len, &n) != -1)
			break;
	}
	if (!ok(i == NELEM(invalid),
	    "every malformed form is refused after 19 ASCII bytes"))
		diag("%s was accepted", invalid[i].what);
}

/* The 8-byte ASCII skip: no offset is stepped over, no count is lost. */
static void
test_utf8_offsets(void)
{
	char	 buf[32];
	size_t	 at, n, bad_stray = 0, bad_count = 0;
	int	 stray_ok = 1, count_ok = 1;

	for (at = 0; at < 24; at++) {
		memset(buf, 'x', sizeof(buf));
		buf[at] = '\x80';
		if (validate(buf, 24, &n) != -1 && stray_ok) {
			stray_ok = 0;
			bad_stray = at;
		}
		memset(buf, 'x', sizeof(buf));
		memcpy(buf + at, "\xc3\xa9", 2);
		if ((validate(buf, 25, &n) != 0 || n != 24) && count_ok) {
			count_ok = 0;
			bad_count = at;
		}
	}
	if (!ok(stray_ok, "a stray byte at any offset 0..23 of ASCII is "
	    "refused"))
		diag("missed at offset %zu", bad_stray);
	if (!ok(count_ok, "U+00E9 at any offset 0..23 of ASCII counts as "
	    "one code point"))
		diag("miscounted at offset %zu", bad_count);
}

/* Bodies of the largest size the endpoint accepts. */
static void
test_utf8_large(void)
{
	const size_t	 size = 1024 * 1024;
	char		*buf;
	size_t		 i, n;

	if ((buf = malloc(size)) == NULL)
		abort();

	memset(buf, 'a', size);
	ok(utf8_validate(buf, size, &n) == 0 && n == size,
	    "1 MiB of ASCII is valid, one code point a byte");
	buf[size - 1] = '\xc3';
	ok(utf8_validate(buf, size, &n) == -1,
	    "1 MiB of ASCII ending in a lone lead byte is refused");
	for (i = 0; i < size; i += 4)
		memcpy(buf + i, "\xf0\x9f\x98\x80", 4);
	ok(utf8_validate(buf, size, &n) == 0 && n == size / 4,
	    "1 MiB of U+1F600 is valid, one code point per 4 bytes");
	free(buf);
}

static void
test_names(void)
{
	static const struct {
		unsigned	 bit;
		const char	*name, *mentions;
	} known[] = {
		{ RULE_TOO_SHORT, "too_short", "8" },
		{ RULE_TOO_LONG, "too_long", "128" },
		{ RULE_TOO_FEW_CLASSES, "too_few_character_classes", "3" },
		{ RULE_CONTROL_CHARACTER, "control_character", "control" },
		{ RULE_REPETITIVE, "repetitive", "repeated" },
		{ RULE_COMMON_PASSWORD, "common_password", "common" },
		{ RULE_CONTAINS_EMAIL, "contains_email", "e-mail" },
	};
	static const unsigned	 unknown[] = {
		0, RULE_TOO_SHORT | RULE_TOO_LONG, RULE_ALL, 1u << 7,
		1u << 31, ~0u,
	};
	const char	*d;
	size_t		 i;

	for (i = 0; i < NELEM(known); i++) {
		d = rule_name(known[i].bit);
		ok(d != NULL && strcmp(d, known[i].name) == 0,
		    "bit 0x%x is named %s", known[i].bit, known[i].name);
		d = rule_description(known[i].bit);
		ok(d != NULL && d[0] >= 'A' && d[0] <= 'Z' &&
		    d[strlen(d) - 1] == '.',
		    "%s has a description that is a sentence", known[i].name);
		ok(d != NULL && strstr(d, known[i].mentions) != NULL,
		    "the %s description mentions \"%s\"", known[i].name,
		    known[i].mentions);
	}

	for (i = 0; i < NELEM(unknown); i++) {
		ok(rule_name(unknown[i]) == NULL,
		    "rule_name(0x%x) is NULL", unknown[i]);
		ok(rule_description(unknown[i]) == NULL,
		    "rule_description(0x%x) is NULL", unknown[i]);
	}
}

int
main(void)
{
	test_lengths();
	test_class_subsets();
	test_class_members();
	test_controls();
	test_several();
	test_utf8_valid();
	test_utf8_invalid();
	test_utf8_offsets();
	test_utf8_large();
	test_names();
	return done_testing();
}
