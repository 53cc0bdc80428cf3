/*
 * blocklist_text.c: a text list read into a blocklist (blocklist.h).  It
 * is read once (zlib reads plain and gzip text alike), each useful line
 * folded and fingerprinted, the fingerprints radix-sorted and
 * deduplicated into anonymous memory that is then made read-only.
 */
#include "ac-config.h"

#include <sys/mman.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "password/blocklist-internal.h"
#include "password/fold.h"


/* A list being read from text: fingerprints so far, and the partial
 * line that the last chunk ended in. */
struct builder {
	uint64_t		*v;
	size_t			 n, cap;
	char			 line[BLOCKLIST_LINE_MAX + 2];
	size_t			 linelen;
	int			 toolong;	/* the current line is */
	int			 nomem;
	struct blocklist_stats	 st;
};

/* One line without its "\n". */
static void
builder_line(struct builder *b, const char *line, size_t len)
{
	unsigned char	 f[FOLD_MAX_BYTES(BLOCKLIST_LINE_MAX + 1)];
	uint64_t	*nv;
	size_t		 flen, ncap;

	b->st.lines++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (b->toolong || len > BLOCKLIST_LINE_MAX) {
		b->st.skipped++;
		return;
	}
	flen = fold_utf8(line, len, (char *)f);
	if (!blocklist_folded_useful(f, flen)) {
		b->st.skipped++;
		return;
	}
	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 65536;
		if (ncap > SIZE_MAX / sizeof(*nv) ||
		    (nv = realloc(b->v, ncap * sizeof(*nv))) == NULL) {
			b->nomem = 1;
			return;
		}
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = blocklist_fingerprint_folded(f, flen);
}

/* A chunk of text, cut into lines; a line longer than the buffer is
 * marked and skipped when its end comes. */
static void
builder_feed(struct builder *b, const char *p, size_t n)
{
	const char	*nl;
	size_t		 take;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) : n;
		if (b->linelen == 0 && nl != NULL && !b->toolong)
			builder_line(b, p, take);	/* the common case */
		else {
			if (!b->toolong && take <= sizeof(b->line) - b->linelen) {
				memcpy(b->line + b->linelen, p, take);
				b->linelen += take;
			} else
				b->toolong = 1;
			if (nl != NULL)
				builder_line(b, b->line, b->linelen);
		}
		if (nl == NULL)
			return;
		b->linelen = 0;
		b->toolong = 0;
		p = nl + 1;
		n -= take + 1;
	}
}

/* LSD radix sort by bytes; tmp holds n numbers.  Eight passes, so the
 * result ends in v: linear in n, with no comparison callbacks. */
static void
radix_sort(uint64_t *v, uint64_t *tmp, size_t n)
{
	size_t		 count[256], i, sum, c;
	uint64_t	*from = v, *to = tmp, *swap;
	int		 shift;

	for (shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 0xff]++;
		for (sum = 0, i = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
}

/* Sorts and deduplicates the fingerprints into read-only anonymous
 * memory: a child forked later shares its pages and never writes them. */
static int
builder_finish(struct builder *b, struct blocklist **out, char *err,
    size_t errlen)
{
	struct blocklist	*bl = NULL;
	unsigned char		*map = MAP_FAILED;
	uint64_t		*tmp = NULL;
	size_t			 i, k, maplen, keep;
	size_t			 page = (size_t)sysconf(_SC_PAGESIZE);

	if (b->nomem)
		goto nomem;
	if ((bl = calloc(1, sizeof(*bl))) == NULL)
		goto nomem;
	maplen = b->n * sizeof(uint64_t);
	if (b->n > 0) {
		/* The map serves as the sort's scratch space first. */
		map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			goto nomem;
		tmp = (uint64_t *)(void *)map;
		radix_sort(b->v, tmp, b->n);
		for (i = 0, k = 0; i < b->n; i++)
			if (k == 0 || b->v[i] != b->v[k - 1])
				b->v[k++] = b->v[i];
		for (i = 0; i < k; i++)
			store_le64(map + 8 * i, b->v[i]);
		/* Duplicates freed the tail: give its pages back. */
		keep = (k * 8 + page - 1) / page * page;
		if (keep < maplen && munmap(map + keep, maplen - keep) == 0)
			maplen = keep;
		if (mprotect(map, maplen, PROT_READ) == -1) {
			snprintf(err, errlen, "mprotect: %s", strerror(errno));
			munmap(map, maplen);
			free(bl);
			return -1;
		}
		bl->map = map;
		bl->maplen = maplen;
		bl->entries = map;
		bl->count = k;
	}
	free(b->v);
	b->v = NULL;
	bl->st = b->st;
	bl->st.entries = bl->count;
	bl->st.compact = 0;
	*out = bl;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory after %llu lines",
	    (unsigned long long)b->st.lines);
	free(bl);
	free(b->v);
	b->v = NULL;
	return -1;
}

int
blocklist_from_text(const char *text, size_t len, struct blocklist **out,
    char *err, size_t errlen)
{
	struct builder	*b;
	int		 rc;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	builder_feed(b, text, len);
	if (b->linelen > 0 || b->toolong)
		builder_line(b, b->line, b->linelen);	/* no final "\n" */
	rc = builder_finish(b, out, err, errlen);
	free(b);
	return rc;
}

/* See blocklist-internal.h. */
int
blocklist_load_text(int fd, struct blocklist **out, char *err, size_t errlen)
{
	struct builder	*b = NULL;
	gzFile		 gz;
	char		*chunk = NULL;
	const char	*msg;
	int		 n, zerr, rc = -1;

	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot read it (zlib)");
		return -1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (chunk = malloc(READ_CHUNK)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while ((n = gzread(gz, chunk, READ_CHUNK)) > 0)
		builder_feed(b, chunk, (size_t)n);
	if (n < 0) {
		msg = gzerror(gz, &zerr);
		/* zlib prefixes its own name for the file ("<fd:4>: "). */
		if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": ") != NULL)
			msg = strstr(msg, ": ") + 2;
		snprintf(err, errlen, "read error after %llu lines: %s",
		    (unsigned long long)b->st.lines,
		    zerr == Z_ERRNO ? strerror(errno) : msg);
		goto out;
	}
	/* A gzip stream cut short reads as an end of file; zlib tells it
	 * apart only here. */
	gzerror(gz, &zerr);
	if (zerr == Z_BUF_ERROR) {
		snprintf(err, errlen, "truncated gzip data after %llu lines",
		    (unsigned long long)b->st.lines);
		goto out;
	}
	if (b->linelen > 0 || b->toolong)
		builder_line(b, b->line, b->linelen);
	rc = builder_finish(b, out, err, errlen);
out:
	if (b != NULL)
		free(b->v);
	free(b);
	free(chunk);
	gzclose(gz);
	return rc;
}
