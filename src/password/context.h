/*
 * context.h: checks of a new password that go beyond the spec's rules and
 * need no list, as pure functions (no I/O).  Both compare folded text
 * (fold.h), so they are case-insensitive.
 *
 * Repetitive: a run is a stretch of consecutive code points in which each
 * one differs from the one before by the same step, the step being 0
 * (one character repeated: "aaaa"), +1 (ascending: "abcd", "1234") or -1
 * (descending: "dcba", "4321").  A password of n code points is
 * repetitive when its longest run has at least ceil(n / 2) code points:
 * "Aaaa1111" (8, a run of 4) and "Abcdef1!" (8, a run of 6) are, while
 * "Abc-1234x" (9, a run of 4) is not.
 *
 * Contains the e-mail: the address's local part (everything before its
 * last '@') has at least CONTEXT_EMAIL_MIN_CHARS code points and appears
 * in the password, both folded.
 */
#ifndef AR_CONTEXT_H
#define AR_CONTEXT_H

#include <stddef.h>

#define CONTEXT_EMAIL_MIN_CHARS	4

/* The longest run (see above) in the valid UTF-8 pw, in code points. */
size_t context_longest_run(const char *pw, size_t len);

/* 1 when the valid UTF-8 pw is repetitive (see above), else 0. */
int context_repetitive(const char *pw, size_t len);

/* 1 when pw contains the local part of email (see above), else 0;
 * an address without '@' or with a local part shorter than
 * CONTEXT_EMAIL_MIN_CHARS code points never matches. */
int context_contains_email(const char *pw, size_t len, const char *email);

#endif
