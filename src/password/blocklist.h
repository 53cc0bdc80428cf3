/*
 * blocklist.h: lists of common and breached passwords, as sorted 64-bit
 * fingerprints (docs/BLOCKLIST.md).  No database, no global state.
 *
 * An entry's fingerprint is the first 8 bytes of the SHA-256 of its folded
 * UTF-8 (fold.h), read as a big-endian number.  A list is either
 *
 *   - a text list: one password a line ("\n" or "\r\n"), plain or gzip;
 *     it is read, fingerprinted, sorted and kept in anonymous memory that
 *     is made read-only, so that workers forked afterwards share it; or
 *   - a compact file, made from a text list by blocklist_write (the admin
 *     command "blocklist build"): a 64-byte header, then the fingerprints,
 *     strictly ascending, as little-endian 64-bit numbers.  It is mapped
 *     read-only (one copy in the page cache for every process).
 *
 * Header (all numbers little-endian):
 *   0  8  magic "ARBLKLST"
 *   8  4  format version, 1
 *  12  4  fold version (FOLD_VERSION)
 *  16  4  header size, 64
 *  20  4  PASSWORD_MIN_CHARS, 24  4  PASSWORD_MAX_CHARS,
 *  28  4  PASSWORD_MIN_CLASSES: the rules the entries were chosen for
 *  32  8  number of fingerprints
 *  40 24  zero
 * and the file is exactly 64 + 8 * count bytes long.
 *
 * Entries are kept only when some password that meets the spec's rules
 * folds to them: a line that is not UTF-8, shorter than 8 or longer than
 * 128 code points, holds a control character or cannot reach 3 character
 * classes whatever its case can never match a password that reaches this
 * check, so it is left out (blocklist_entry_useful).
 */
#ifndef AR_BLOCKLIST_H
#define AR_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#define BLOCKLIST_MAGIC		"ARBLKLST"
#define BLOCKLIST_VERSION	1
#define BLOCKLIST_HEADER_SIZE	64
/* Lines longer than this (in bytes, without the line end) cannot hold a
 * password of at most 128 code points, so they are skipped unread. */
#define BLOCKLIST_LINE_MAX	512

struct blocklist;

/* How a list was read, for the log and the admin command. */
struct blocklist_stats {
	uint64_t	lines;		/* text: lines read; compact: 0 */
	uint64_t	skipped;	/* text: lines that can never match */
	uint64_t	entries;	/* distinct fingerprints kept */
	int		compact;	/* 1: a compact file, mapped */
};

/* Flags of blocklist_load. */
#define BLOCKLIST_TRUST_ORDER	0x1	/* compact: skip the O(n) order check */

/*
 * Loads path: a compact file when it starts with the magic, else a text
 * list (plain or gzip).  A compact file's header and size are always
 * checked, and its order too unless BLOCKLIST_TRUST_ORDER (a one-shot CGI
 * process, where reading the whole file would cost every request; a file
 * out of order can only make lookups miss, never read out of bounds).
 * Returns 0 and the list in *out, or -1 with what is wrong in err (the
 * path is not in it).
 */
int blocklist_load(const char *path, unsigned flags, struct blocklist **out,
    char *err, size_t errlen);

/* The same from a text list in memory (plain text only; for tests). */
int blocklist_from_text(const char *text, size_t len, struct blocklist **out,
    char *err, size_t errlen);

/* Checks a compact file's bytes: the header, the size and, with
 * check_order, that the fingerprints are strictly ascending.  Returns 0
 * with the count in *count, or -1 with what is wrong in err. */
int blocklist_check_compact(const void *data, size_t len, int check_order,
    uint64_t *count, char *err, size_t errlen);

/* A compact file's bytes as a list, without copying them (data must
 * outlive the list); the checks are blocklist_check_compact's. */
int blocklist_from_compact(const void *data, size_t len, int check_order,
    struct blocklist **out, char *err, size_t errlen);

/* 1 when the password (any bytes) folds to an entry of the list, else 0.
 * Interpolation search: a few probes for uniform fingerprints, never more
 * than about 2 log2(n) whatever the file holds. */
int blocklist_contains(const struct blocklist *bl, const char *pw,
    size_t len);

/* 1 when the fingerprint fp is in the list, else 0 (for the fuzz
 * target: the search alone). */
int blocklist_contains_fingerprint(const struct blocklist *bl, uint64_t fp);

/* The fingerprint of a password or a line: SHA-256 of its fold. */
uint64_t blocklist_fingerprint(const char *pw, size_t len);

/* 1 when some password that meets the spec's rules folds to the same text
 * as line (see above), else 0. */
int blocklist_entry_useful(const char *line, size_t len);

void blocklist_stats(const struct blocklist *bl, struct blocklist_stats *st);

/* Writes bl as a compact file at path: a temporary file in the same
 * directory, flushed to disk, then renamed over path, so that a process
 * that has the old file mapped keeps reading the old one.  0 or -1. */
int blocklist_write(const struct blocklist *bl, const char *path, char *err,
    size_t errlen);

void blocklist_free(struct blocklist *bl);

#endif
