/*
 * blocklist.c: the password blocklist of blocklist.h: fingerprints and
 * lookups.  A lookup is a fold, one SHA-256 and an interpolation search
 * over little-endian 64-bit numbers.  Reading a text list is in
 * blocklist_text.c, the compact file in blocklist_file.c.
 */
#include "ac-config.h"

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "password/blocklist-internal.h"
#include "password/fold.h"
#include "password/rules.h"
#include "base/utf8.h"


static uint64_t
entry_at(const struct blocklist *bl, uint64_t i)
{
	return load_le64(bl->entries + 8 * i);
}

/* The fingerprint of text that is already folded. */
uint64_t
blocklist_fingerprint_folded(const unsigned char *f, size_t len)
{
	static const unsigned char	 empty[1];
	unsigned char			 md[SHA256_DIGEST_LENGTH];
	uint64_t			 v = 0;
	int				 i;

	if (SHA256(len > 0 ? f : empty, len, md) == NULL)
		abort();	/* as sha256_hex: never let a lookup go wrong */
	for (i = 0; i < 8; i++)
		v = v << 8 | md[i];
	OPENSSL_cleanse(md, sizeof(md));
	return v;
}

uint64_t
blocklist_fingerprint(const char *pw, size_t len)
{
	unsigned char	 buf[FOLD_MAX_BYTES(BLOCKLIST_LINE_MAX)], *f = buf;
	size_t		 flen;
	uint64_t	 v;

	if (len > BLOCKLIST_LINE_MAX && (f = malloc(FOLD_MAX_BYTES(len))) == NULL)
		abort();
	flen = fold_utf8(pw, len, (char *)f);
	v = blocklist_fingerprint_folded(f, flen);
	OPENSSL_cleanse(f, flen);
	if (f != buf)
		free(f);
	return v;
}

/*
 * Whether folded text f can be the fold of a password that meets the
 * rules.  Folding keeps the number of code points, makes no control
 * character and maps no non-ASCII character to ASCII, so only the upper
 * case class can be missing: the variant with its first ASCII lower-case
 * letter made upper case has as many classes as any password that folds
 * to f can have, and it meets the rules exactly when one of them does.
 */
int
blocklist_folded_useful(const unsigned char *f, size_t flen)
{
	unsigned char	 v[FOLD_MAX_BYTES(BLOCKLIST_LINE_MAX)];
	size_t		 i;
	int		 useful;

	if (flen > sizeof(v))
		return 0;
	memcpy(v, f, flen);
	for (i = 0; i < flen; i++)
		if (v[i] >= 'a' && v[i] <= 'z') {
			v[i] = (unsigned char)(v[i] - 32);
			break;
		}
	useful = utf8_validate((const char *)v, flen, NULL) == 0 &&
	    password_violations((const char *)v, flen) == 0;
	OPENSSL_cleanse(v, flen);
	return useful;
}

int
blocklist_entry_useful(const char *line, size_t len)
{
	unsigned char	 f[FOLD_MAX_BYTES(BLOCKLIST_LINE_MAX)];
	size_t		 flen;

	if (len > BLOCKLIST_LINE_MAX)
		return 0;
	flen = fold_utf8(line, len, (char *)f);
	return blocklist_folded_useful(f, flen);
}

/* ------------------------------------------------------ lookups */

/* Interpolation search for key; every index stays in [0, count). */
static int
search(const struct blocklist *bl, uint64_t key)
{
	uint64_t	lo = 0, hi = bl->count - 1, pos, a, b, v;
	double		frac;
	int		steps = 0;

	while (lo <= hi) {
		a = entry_at(bl, lo);
		b = entry_at(bl, hi);
		if (key == a || key == b)
			return 1;
		if (key < a || key > b)
			return 0;
		if (steps++ < INTERPOLATION_STEPS) {
			frac = (double)(key - a) / (double)(b - a);
			pos = lo + (uint64_t)(frac * (double)(hi - lo));
			if (pos > hi)
				pos = hi;
		} else
			pos = lo + (hi - lo) / 2;
		v = entry_at(bl, pos);
		if (v == key)
			return 1;
		if (v < key)
			lo = pos + 1;
		else if (pos == 0)
			return 0;
		else
			hi = pos - 1;
	}
	return 0;
}

int
blocklist_contains(const struct blocklist *bl, const char *pw, size_t len)
{
	if (bl == NULL || bl->count == 0 || len > BLOCKLIST_LINE_MAX)
		return 0;
	return search(bl, blocklist_fingerprint(pw, len));
}

int
blocklist_contains_fingerprint(const struct blocklist *bl, uint64_t fp)
{
	if (bl == NULL || bl->count == 0)
		return 0;
	return search(bl, fp);
}

void
blocklist_stats(const struct blocklist *bl, struct blocklist_stats *st)
{
	*st = bl->st;
}

void
blocklist_free(struct blocklist *bl)
{
	if (bl == NULL)
		return;
	if (bl->map != NULL)
		munmap(bl->map, bl->maplen);
	free(bl);
}

