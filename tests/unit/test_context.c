/*
 * test_context.c: the case fold (fold.h), the repetitive and e-mail checks
 * (context.h) at their boundaries, and the order in which policy.h runs
 * them after the spec's rules.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "../tap.h"
#include "password/context.h"
#include "password/fold.h"
#include "password/policy.h"
#include "password/rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
folds_to(const char *in, const char *want)
{
	char	out[256];
	size_t	n = fold_utf8(in, strlen(in), out);

	return n == strlen(want) && memcmp(out, want, n) == 0;
}

static void
test_fold(void)
{
	static const struct {
		const char	*in, *want, *what;
	} cases[] = {
		{ "PassWORD1!", "password1!", "ASCII upper case folds" },
		{ "@[`{", "@[`{", "the neighbours of A-Z and a-z stay" },
		{ "\xc3\x80\xc3\x9e", "\xc3\xa0\xc3\xbe", "Latin-1 À..Þ fold" },
		{ "\xc3\x97\xc3\x9f\xc2\xb5", "\xc3\x97\xc3\x9f\xc2\xb5",
		    "× (U+00D7), ß and µ stay" },
		{ "\xc5\xb8", "\xc3\xbf", "Ÿ (U+0178) folds to ÿ (U+00FF)" },
		{ "\xc4\x80\xc4\xb9", "\xc4\x81\xc4\xba",
		    "Latin Extended-A pairs fold (Ā, Ĺ)" },
		{ "\xc4\xb0", "\xc4\xb0",
		    "İ (U+0130), whose lowercase is two code points, stays" },
		{ "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
		    "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1", "Greek ΣΟΦΙΑ folds" },
		{ "\xcf\x82", "\xcf\x82", "final sigma stays" },
		{ "\xd0\x9f\xd0\x90\xd0\xa0\xd0\x9e\xd0\x9b\xd0\xac",
		    "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",
		    "Cyrillic ПАРОЛЬ folds" },
		{ "\xd0\x80\xd0\x8f", "\xd1\x90\xd1\x9f", "Cyrillic Ѐ, Џ fold" },
		{ "\xd3\xbe", "\xd3\xbf", "U+04FE, the last in range, folds" },
		{ "\xd4\x80", "\xd4\x80", "U+0500 and above stay" },
		{ "\xe1\xba\x9e\xe2\x84\xaa", "\xe1\xba\x9e\xe2\x84\xaa",
		    "ẞ and the Kelvin sign (above U+0500) stay" },
		{ "\xc8\xba", "\xe2\xb1\xa5",
		    "Ⱥ (U+023A) folds to ⱥ (U+2C65): two bytes become three" },
		{ "A\xff" "B\xc3", "a\xff" "b\xc3",
		    "bytes that are not UTF-8 are kept, letters around them fold" },
		{ "A\xed\xa0\x80Z", "a\xed\xa0\x80z", "a surrogate is kept as bytes" },
	};
	char		 out[FOLD_MAX_BYTES(64)], big[64];
	size_t		 i, n;
	uint32_t	 cp;
	int		 bounded = 1;

	for (i = 0; i < NELEM(cases); i++)
		ok(folds_to(cases[i].in, cases[i].want), "fold: %s",
		    cases[i].what);
	ok(fold_code_point('Z') == 'z' && fold_code_point(0x3a3) == 0x3c3 &&
	    fold_code_point(0x10ffff) == 0x10ffff && fold_code_point(0) == 0,
	    "fold_code_point agrees for Z, Σ, U+10FFFF and NUL");
	for (cp = 0; cp < 0x500; cp++)
		if (fold_code_point(fold_code_point(cp)) != fold_code_point(cp))
			bounded = 0;
	ok(bounded, "folding twice is folding once, for every code point "
	    "below U+0500");
	/* 32 copies of Ⱥ: 64 bytes in, 96 out, the worst growth. */
	for (i = 0; i < 32; i++)
		memcpy(big + 2 * i, "\xc8\xba", 2);
	n = fold_utf8(big, sizeof(big), out);
	ok(n == 96 && n <= FOLD_MAX_BYTES(sizeof(big)),
	    "the worst growth (x1.5) stays within FOLD_MAX_BYTES");
}

static void
test_runs(void)
{
	static const struct {
		const char	*pw;
		size_t		 run;
		int		 repetitive;
	} cases[] = {
		/* 8 code points: a run of 4 is half, and repetitive. */
		{ "Aaaa1!x#", 4, 1 },
		{ "Aaa-1!x#", 3, 0 },
		{ "Abcd!x#9", 4, 1 },
		{ "Abc-!x#9", 3, 0 },
		{ "Dcba!x#9", 4, 1 },
		{ "x#1234!Q", 4, 1 },
		{ "x#4321!Q", 4, 1 },
		{ "x#9876!Q", 4, 1 },
		/* 9 code points: ceil(9/2) = 5 is needed. */
		{ "Abcde-!x9", 5, 1 },
		{ "Abcd-!x#9", 4, 0 },
		/* Case-insensitive: the fold comes first. */
		{ "aAaA1!x#", 4, 1 },
		{ "aBcD!x#9", 4, 1 },
		/* A run needs one step throughout: up then down is two runs. */
		{ "abcba!X9", 3, 0 },
		{ "abab1!X9", 2, 0 },
		/* Steps of 2 are not runs. */
		{ "acegi!X9", 1, 0 },
		/* aaa then abc share the a: "aaabc" is runs of 3 and 3. */
		{ "Aaabc!X9", 3, 0 },
		/* Whole passwords. */
		{ "11111111", 8, 1 },
		{ "Abcdefgh1!", 8, 1 },
		{ "Passw0rd!", 2, 0 },
		/* Non-ASCII: consecutive code points count too (α β γ δ). */
		{ "\xce\xb1\xce\xb2\xce\xb3\xce\xb4Zz1!", 4, 1 },
		{ "\xce\x91\xce\xb2\xce\x93\xce\xb4Zz1!", 4, 1 },
	};
	size_t	i, run;

	for (i = 0; i < NELEM(cases); i++) {
		run = context_longest_run(cases[i].pw, strlen(cases[i].pw));
		ok(run == cases[i].run, "the longest run of %s is %zu (got %zu)",
		    cases[i].pw, cases[i].run, run);
		ok(context_repetitive(cases[i].pw, strlen(cases[i].pw)) ==
		    cases[i].repetitive, "%s is %srepetitive", cases[i].pw,
		    cases[i].repetitive ? "" : "not ");
	}
	ok(context_longest_run("", 0) == 0 && !context_repetitive("", 0),
	    "the empty password has no run and is not repetitive");
	ok(context_longest_run("\xff\xfe\xfd", 3) == 3,
	    "bytes that are not UTF-8 are compared as bytes (no read past len)");
}

static void
test_email(void)
{
	static const struct {
		const char	*pw, *email;
		int		 contains;
		const char	*what;
	} cases[] = {
		{ "Xjohn-99!", "john@example.test", 1, "the local part inside" },
		{ "XJoHn-99!", "john@example.test", 1, "case-insensitive" },
		{ "Xjohn-99!", "JOHN@example.test", 1, "case-insensitive both ways" },
		{ "Xjoh-n99!", "john@example.test", 0, "split: no" },
		{ "Xjoe-99!!", "joe@example.test", 0,
		    "a local part of 3 characters is never checked" },
		{ "joe-joe-99!", "joe@example.test", 0,
		    "... even when the password holds it" },
		{ "Xj.smith1!", "j.smith@example.test", 1, "dots count" },
		{ "Xexample1!", "john@example.test", 0, "the domain is not checked" },
		{ "Xa@bc1!x", "a@bc@example.test", 1,
		    "the local part ends at the last @" },
		{ "Xabc1!x", "nobody", 0, "no @: nothing to check" },
		{ "X\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f" "1!", "\xc3\x84\xc3\x96\xc3\x9c\xc3\x9f@x.test", 1,
		    "ÄÖÜß folds to äöüß (4 code points, 8 bytes)" },
		{ "X\xc3\xa4\xc3\xb6\xc3\xbc" "1!zz", "\xc3\xa4\xc3\xb6\xc3\xbc@x.test", 0,
		    "äöü is 3 code points (6 bytes): not checked" },
		{ "Xjohn1!", "", 0, "an empty address" },
		{ "abc", "abcdefgh@x.test", 0, "a local part longer than the password" },
	};
	size_t	i;

	for (i = 0; i < NELEM(cases); i++)
		ok(context_contains_email(cases[i].pw, strlen(cases[i].pw),
		    cases[i].email) == cases[i].contains, "contains_email: %s",
		    cases[i].what);
	ok(!context_contains_email("Xjohn-99!", 9, NULL),
	    "contains_email: no address at all");
}

static void
test_policy_order(void)
{
	char		err[256];
	unsigned	v;

	ok(policy_load("", 0, err, sizeof(err)) == 0,
	    "policy_load with no password_blocklist succeeds");
	v = policy_violations("aaaaaaaa", 8);
	ok(v == (RULE_TOO_FEW_CLASSES | RULE_REPETITIVE),
	    "a password the spec's rules refuse gets every violation at once, "
	    "repetitive too (0x%x)", v);
	v = policy_violations("Ab1!", 4);
	ok(v == RULE_TOO_SHORT, "a password too short is not also called "
	    "repetitive for a run of 2 (0x%x)", v);
	v = policy_violations("Aaaa1111", 8);
	ok(v == RULE_REPETITIVE, "a password the rules accept is checked for "
	    "repetition (0x%x)", v);
	ok(policy_violations("Passw0rd!", 9) == 0,
	    "with no list, a password the rules accept and not repetitive "
	    "passes");
	ok(policy_account_violations("Xjohn-99!", 9, "john@example.test") ==
	    RULE_CONTAINS_EMAIL, "the account check names contains_email");
	ok(rule_name(RULE_REPETITIVE) != NULL &&
	    strcmp(rule_name(RULE_REPETITIVE), "repetitive") == 0 &&
	    strcmp(rule_name(RULE_COMMON_PASSWORD), "common_password") == 0 &&
	    strcmp(rule_name(RULE_CONTAINS_EMAIL), "contains_email") == 0,
	    "the new violations are named repetitive, common_password and "
	    "contains_email");
	policy_unload();
}

int
main(void)
{
	test_fold();
	test_runs();
	test_email();
	test_policy_order();
	return done_testing();
}
