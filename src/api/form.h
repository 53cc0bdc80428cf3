/*
 * form.h: application/x-www-form-urlencoded bodies (the OAuth 2.0
 * endpoints' requests, RFC 6749 appendix B), parsed with no allocation
 * into the fields an endpoint names.  Pure: no I/O, fuzzed by
 * tests/fuzz/fuzz_form.c.
 */
#ifndef AR_FORM_H
#define AR_FORM_H

#include <stddef.h>

/* One parameter an endpoint takes: its decoded value goes into value
 * (cap bytes, NUL included), its length into len; seen is set when it was
 * present. */
struct form_field {
	const char	*name;
	char		*value;
	size_t		 cap;
	size_t		 len;
	int		 seen;
};

enum form_result {
	FORM_OK = 0,
	FORM_MALFORMED,		/* a bad %-escape, or a NUL or control byte */
	FORM_REPEATED,		/* a named parameter twice (RFC 6749 3.2) */
	FORM_TOO_LONG		/* a named parameter's value over its cap */
};

/* Parses body (len bytes, need not be NUL-terminated) as name=value pairs
 * joined by '&', '+' a space and %XX a byte, into the fields named;
 * others are ignored (RFC 6749 3.2: unknown parameters MUST be ignored).
 * Empty pairs ("a=1&&b=2") are skipped.  On anything but FORM_OK every
 * field's value is wiped. */
enum form_result form_parse(const char *body, size_t len,
    struct form_field *fields, size_t nfields);

/* Wipes every field's value (OPENSSL_cleanse) and resets it. */
void form_wipe(struct form_field *fields, size_t nfields);

#endif
