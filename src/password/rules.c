/*
 * rules.c: the password rules, as pure functions with no I/O.  The request
 * code checks that the body is UTF-8 here first, then asks which rules the
 * password breaks and names them in its answer.
 *
 * Bytes are classified by hand rather than with <ctype.h>, whose answers
 * depend on the locale and are undefined for negative chars.
 */

#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "password/rules.h"
#include "base/utf8.h"

#define STR(x)	STR_(x)
#define STR_(x)	#x

/* What one code point contributes: one of the four classes, or nothing. */
enum char_class {
	CLASS_LOWER	= 1u << 0,
	CLASS_UPPER	= 1u << 1,
	CLASS_DIGIT	= 1u << 2,
	CLASS_SPECIAL	= 1u << 3,
	CLASS_CONTROL	= 1u << 4,
};

/* One row per violation bit, in the order of the enum in rules.h. */
static const struct rule {
	unsigned	 bit;
	const char	*name;
	const char	*description;
} rules[] = {
	{ RULE_TOO_SHORT, "too_short",
	    "The password must be at least " STR(PASSWORD_MIN_CHARS)
	    " characters long." },
	{ RULE_TOO_LONG, "too_long",
	    "The password must be at most " STR(PASSWORD_MAX_CHARS)
	    " characters long." },
	{ RULE_TOO_FEW_CLASSES, "too_few_character_classes",
	    "The password must contain at least " STR(PASSWORD_MIN_CLASSES)
	    " of: lower case letters, upper case letters, digits and special"
	    " characters." },
	{ RULE_CONTROL_CHARACTER, "control_character",
	    "The password must not contain control characters." },
	{ RULE_REPETITIVE, "repetitive",
	    "The password must not be mostly one character repeated or a "
	    "sequence such as abcd or 4321." },
	{ RULE_COMMON_PASSWORD, "common_password",
	    "The password is too common: it is on a list of passwords that "
	    "attackers try first." },
	{ RULE_CONTAINS_EMAIL, "contains_email",
	    "The password must not contain the account's e-mail address." },
};

/*
 * The class of the code point whose lead byte is p[0], with left bytes
 * readable from p.  The only controls outside ASCII, U+0080..U+009F, are
 * encoded C2 80..C2 9F; every other non-ASCII code point is special.
 */
static enum char_class
classify(const unsigned char *p, size_t left)
{
	unsigned char	 c = p[0];

	if (c >= 'a' && c <= 'z')
		return CLASS_LOWER;
	if (c >= 'A' && c <= 'Z')
		return CLASS_UPPER;
	if (c >= '0' && c <= '9')
		return CLASS_DIGIT;
	if (c < 0x20 || c == 0x7f)
		return CLASS_CONTROL;
	if (c == 0xc2 && left > 1 && p[1] >= 0x80 && p[1] <= 0x9f)
		return CLASS_CONTROL;
	return CLASS_SPECIAL;
}

/*
 * Code points are counted without decoding them: in UTF-8 each one starts
 * with exactly one byte that is not a continuation byte (10xxxxxx).  Every
 * byte is looked at, so all the broken rules are found together.  If pw is
 * not UTF-8 after all the answer means little, but no byte past len is read.
 */
unsigned
password_violations(const char *pw, size_t len)
{
	const unsigned char	*p = (const unsigned char *)pw;
	size_t			 i, chars = 0;
	unsigned		 seen = 0, classes = 0, violations = 0, bit;

	for (i = 0; i < len; i++) {
		if ((p[i] & 0xc0) == 0x80)
			continue;
		chars++;
		seen |= classify(p + i, len - i);
	}

	for (bit = CLASS_LOWER; bit <= CLASS_SPECIAL; bit <<= 1)
		if (seen & bit)
			classes++;

	if (chars < PASSWORD_MIN_CHARS)
		violations |= RULE_TOO_SHORT;
	if (chars > PASSWORD_MAX_CHARS)
		violations |= RULE_TOO_LONG;
	if (classes < PASSWORD_MIN_CLASSES)
		violations |= RULE_TOO_FEW_CLASSES;
	if (seen & CLASS_CONTROL)
		violations |= RULE_CONTROL_CHARACTER;
	return violations;
}

/* The row for exactly one known bit, or NULL. */
static const struct rule *
find_rule(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].bit == bit)
			return &rules[i];
	return NULL;
}

const char *
rule_name(unsigned bit)
{
	const struct rule	*r = find_rule(bit);

	return r != NULL ? r->name : NULL;
}

const char *
rule_description(unsigned bit)
{
	const struct rule	*r = find_rule(bit);

	return r != NULL ? r->description : NULL;
}
