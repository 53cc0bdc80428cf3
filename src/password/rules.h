/*
 * rules.h: the password rules of the spec, as pure functions (no I/O).
 * A password is 8 to 128 Unicode code points of valid UTF-8, has no
 * control characters, and has at least 3 of the 4 classes: lower case
 * a-z, upper case A-Z, digits 0-9, special (every other printable
 * character: space, punctuation and all non-ASCII).
 */
#ifndef AR_RULES_H
#define AR_RULES_H

#include <stddef.h>

#define PASSWORD_MIN_CHARS	8
#define PASSWORD_MAX_CHARS	128
#define PASSWORD_MIN_CLASSES	3

/* Violations, as bits; the order here is the order they are reported in.
 * The first four are the spec's rules (password_violations); the others
 * are the checks of policy.h, named here so that one table holds every
 * name an answer may carry. */
enum rule_violation {
	RULE_TOO_SHORT		= 1u << 0,
	RULE_TOO_LONG		= 1u << 1,
	RULE_TOO_FEW_CLASSES	= 1u << 2,
	RULE_CONTROL_CHARACTER	= 1u << 3,
	RULE_REPETITIVE		= 1u << 4,	/* context.h */
	RULE_COMMON_PASSWORD	= 1u << 5,	/* blocklist.h */
	RULE_CONTAINS_EMAIL	= 1u << 6,	/* context.h */
};
#define RULE_SPEC_ALL	0xfu	/* what password_violations can return */
#define RULE_ALL	0x7fu

/* Checks a password that is already known to be valid UTF-8 (embedded NUL
 * bytes allowed: they count as control characters).  Returns the set of
 * violated rules, 0 when the password is acceptable. */
unsigned password_violations(const char *pw, size_t len);

/* The stable machine name of one violation bit ("too_short", ...), and a
 * sentence for people.  NULL for anything that is not a single known bit. */
const char *rule_name(unsigned bit);
const char *rule_description(unsigned bit);

#endif
