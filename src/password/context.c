/*
 * context.c: the repetitive and e-mail checks of context.h.  Passwords
 * reach them after the spec's rules passed, so they are valid UTF-8 of at
 * most 128 code points; anything that does not decode is compared byte
 * by byte and never read past len.  The folded copies are wiped.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "password/context.h"
#include "password/fold.h"

/* The next code point of p[*i..len), folded; a byte that does not decode
 * stands for itself (as 0x110000 + byte, equal to no code point). */
static uint32_t
next_folded(const unsigned char *p, size_t len, size_t *i)
{
	uint32_t	cp;
	size_t		n;

	if ((n = fold_decode(p + *i, len - *i, &cp)) == 0) {
		cp = 0x110000u + p[*i];
		n = 1;
	} else
		cp = fold_code_point(cp);
	*i += n;
	return cp;
}

size_t
context_longest_run(const char *pw, size_t len)
{
	const unsigned char	*p = (const unsigned char *)pw;
	size_t			 i = 0, run = 0, best = 0;
	uint32_t		 prev = 0, cp;
	int64_t			 step = 0, d;

	while (i < len) {
		cp = next_folded(p, len, &i);
		d = (int64_t)cp - (int64_t)prev;
		if (run == 0 || d < -1 || d > 1)
			run = 1;	/* a run starts here */
		else if (run == 1 || d == step) {
			if (run == 1)
				step = d;
			run++;
		} else {
			run = 2;	/* prev and cp start a run of step d */
			step = d;
		}
		if (run > best)
			best = run;
		prev = cp;
	}
	return best;
}

int
context_repetitive(const char *pw, size_t len)
{
	const unsigned char	*p = (const unsigned char *)pw;
	size_t			 i = 0, chars = 0;

	while (i < len) {
		next_folded(p, len, &i);
		chars++;
	}
	return chars > 0 && 2 * context_longest_run(pw, len) >= chars;
}

/* Code points in s[0..len), a byte that does not decode counting one. */
static size_t
count_chars(const char *s, size_t len)
{
	size_t	i = 0, n = 0;

	while (i < len) {
		next_folded((const unsigned char *)s, len, &i);
		n++;
	}
	return n;
}

int
context_contains_email(const char *pw, size_t len, const char *email)
{
	const char	*at;
	char		*fpw = NULL, *flocal = NULL;
	size_t		 llen, fpwlen, flen, i;
	int		 found = 0;

	if (email == NULL || (at = strrchr(email, '@')) == NULL)
		return 0;
	llen = (size_t)(at - email);
	if (count_chars(email, llen) < CONTEXT_EMAIL_MIN_CHARS)
		return 0;
	if ((fpw = malloc(FOLD_MAX_BYTES(len))) == NULL ||
	    (flocal = malloc(FOLD_MAX_BYTES(llen))) == NULL) {
		/* No memory: refuse rather than let the check be skipped. */
		found = 1;
		goto out;
	}
	fpwlen = fold_utf8(pw, len, fpw);
	flen = fold_utf8(email, llen, flocal);
	for (i = 0; !found && flen <= fpwlen && i <= fpwlen - flen; i++)
		if (memcmp(fpw + i, flocal, flen) == 0)
			found = 1;
out:
	if (fpw != NULL)
		OPENSSL_cleanse(fpw, FOLD_MAX_BYTES(len));
	free(fpw);
	free(flocal);
	return found;
}
