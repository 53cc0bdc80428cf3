/*
 * blocklist-internal.h: what the three files of the blocklist share, for
 * src/password/blocklist*.c alone: the list itself, the little-endian
 * numbers of the compact file, the fingerprint of folded text and the
 * text reader.
 */
#ifndef AR_BLOCKLIST_INTERNAL_H
#define AR_BLOCKLIST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "password/blocklist.h"

/* Interpolation steps before the search falls back to halving: uniform
 * fingerprints need three or four, so only a skewed file ever gets here. */
#define INTERPOLATION_STEPS	8
#define READ_CHUNK		(256 * 1024)

struct blocklist {
	const unsigned char	*entries;	/* count little-endian u64 */
	uint64_t		 count;
	void			*map;		/* what to munmap, or NULL */
	size_t			 maplen;
	struct blocklist_stats	 st;
};

static inline uint64_t
load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline uint32_t
load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
store_le64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void
store_le32(unsigned char *p, uint32_t v)
{
	int	i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The fingerprint of text that is already folded (blocklist.c). */
uint64_t blocklist_fingerprint_folded(const unsigned char *f, size_t len);

/* Whether folded text f can be the fold of a password that meets the
 * rules (blocklist.c). */
int blocklist_folded_useful(const unsigned char *f, size_t flen);

/* Reads a text list (plain or gzip) from fd, which it closes
 * (blocklist_text.c). */
int blocklist_load_text(int fd, struct blocklist **out, char *err,
    size_t errlen);

#endif
