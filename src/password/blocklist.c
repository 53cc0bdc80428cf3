/*
 * blocklist.c: the password blocklist of blocklist.h.  A text list is
 * read once (zlib reads plain and gzip text alike), each useful line
 * folded and fingerprinted, the fingerprints radix-sorted and deduplicated
 * into anonymous memory that is then made read-only; a compact file is
 * checked and mapped read-only.  Either way a lookup is a fold, one
 * SHA-256 and an interpolation search over little-endian 64-bit numbers.
 */
#include "ac-config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "password/blocklist.h"
#include "base/fdio.h"
#include "password/fold.h"
#include "password/rules.h"
#include "base/utf8.h"

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

static uint64_t
load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint32_t
load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
store_le64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
store_le32(unsigned char *p, uint32_t v)
{
	int	i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
entry_at(const struct blocklist *bl, uint64_t i)
{
	return load_le64(bl->entries + 8 * i);
}

/* The fingerprint of text that is already folded. */
static uint64_t
fingerprint_folded(const unsigned char *f, size_t len)
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
	v = fingerprint_folded(f, flen);
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
static int
folded_useful(const unsigned char *f, size_t flen)
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
	return folded_useful(f, flen);
}

/* ------------------------------------------------------ building */

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
	if (!folded_useful(f, flen)) {
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
	b->v[b->n++] = fingerprint_folded(f, flen);
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

/* Reads a text list (plain or gzip) from fd, which it closes. */
static int
load_text(int fd, struct blocklist **out, char *err, size_t errlen)
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

/* ------------------------------------------------- the compact file */

static void
make_header(unsigned char h[BLOCKLIST_HEADER_SIZE], uint64_t count)
{
	memset(h, 0, BLOCKLIST_HEADER_SIZE);
	memcpy(h, BLOCKLIST_MAGIC, 8);
	store_le32(h + 8, BLOCKLIST_VERSION);
	store_le32(h + 12, FOLD_VERSION);
	store_le32(h + 16, BLOCKLIST_HEADER_SIZE);
	store_le32(h + 20, PASSWORD_MIN_CHARS);
	store_le32(h + 24, PASSWORD_MAX_CHARS);
	store_le32(h + 28, PASSWORD_MIN_CLASSES);
	store_le64(h + 32, count);
}

int
blocklist_check_compact(const void *data, size_t len, int check_order,
    uint64_t *count, char *err, size_t errlen)
{
	const unsigned char	*h = data;
	uint64_t		 n, i, prev, cur;
	size_t			 k;

	if (len < BLOCKLIST_HEADER_SIZE || memcmp(h, BLOCKLIST_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a compact blocklist (no header)");
		return -1;
	}
	if (load_le32(h + 8) != BLOCKLIST_VERSION) {
		snprintf(err, errlen, "compact blocklist format %lu, this "
		    "program reads %d: rebuild it with account-reset-admin "
		    "blocklist build", (unsigned long)load_le32(h + 8),
		    BLOCKLIST_VERSION);
		return -1;
	}
	if (load_le32(h + 16) != BLOCKLIST_HEADER_SIZE) {
		snprintf(err, errlen, "corrupted header (header size %lu)",
		    (unsigned long)load_le32(h + 16));
		return -1;
	}
	if (load_le32(h + 12) != FOLD_VERSION ||
	    load_le32(h + 20) != PASSWORD_MIN_CHARS ||
	    load_le32(h + 24) != PASSWORD_MAX_CHARS ||
	    load_le32(h + 28) != PASSWORD_MIN_CLASSES) {
		snprintf(err, errlen, "built for other password rules or "
		    "another case fold: rebuild it with account-reset-admin "
		    "blocklist build");
		return -1;
	}
	for (k = 40; k < BLOCKLIST_HEADER_SIZE; k++)
		if (h[k] != 0) {
			snprintf(err, errlen, "corrupted header (reserved "
			    "bytes are not zero)");
			return -1;
		}
	n = load_le64(h + 32);
	if (n > (SIZE_MAX - BLOCKLIST_HEADER_SIZE) / 8 ||
	    len != BLOCKLIST_HEADER_SIZE + 8 * n) {
		snprintf(err, errlen, "%zu bytes where the header promises "
		    "%llu entries: truncated or corrupted", len,
		    (unsigned long long)n);
		return -1;
	}
	if (check_order && n > 1) {
		prev = load_le64(h + BLOCKLIST_HEADER_SIZE);
		for (i = 1; i < n; i++) {
			cur = load_le64(h + BLOCKLIST_HEADER_SIZE + 8 * i);
			if (cur <= prev) {
				snprintf(err, errlen, "entry %llu out of order: "
				    "corrupted", (unsigned long long)i);
				return -1;
			}
			prev = cur;
		}
	}
	*count = n;
	return 0;
}

int
blocklist_from_compact(const void *data, size_t len, int check_order,
    struct blocklist **out, char *err, size_t errlen)
{
	struct blocklist	*bl;
	uint64_t		 n;

	if (blocklist_check_compact(data, len, check_order, &n, err,
	    errlen) == -1)
		return -1;
	if ((bl = calloc(1, sizeof(*bl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bl->entries = (const unsigned char *)data + BLOCKLIST_HEADER_SIZE;
	bl->count = n;
	bl->st.entries = n;
	bl->st.compact = 1;
	*out = bl;
	return 0;
}

/* Maps the compact file open on fd (st its status) and checks it. */
static int
load_compact(int fd, const struct stat *st, unsigned flags,
    struct blocklist **out, char *err, size_t errlen)
{
	void	*map;
	size_t	 len;

	if ((uintmax_t)st->st_size > SIZE_MAX) {
		snprintf(err, errlen, "too large");
		return -1;
	}
	len = (size_t)st->st_size;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		return -1;
	}
	if (blocklist_from_compact(map, len,
	    (flags & BLOCKLIST_TRUST_ORDER) == 0, out, err, errlen) == -1) {
		munmap(map, len);
		return -1;
	}
	/* The order check read every page: drop them from this process
	 * (they stay in the page cache), so that its resident memory is
	 * only what lookups touch.  Lookups touch a few scattered pages: no
	 * read-ahead. */
	if ((flags & BLOCKLIST_TRUST_ORDER) == 0)
		madvise(map, len, MADV_DONTNEED);
	madvise(map, len, MADV_RANDOM);
	(*out)->map = map;
	(*out)->maplen = len;
	return 0;
}

int
blocklist_load(const char *path, unsigned flags, struct blocklist **out,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		 magic[8];
	ssize_t		 r;
	int		 fd, rc;

	/* O_NONBLOCK: a FIFO named by mistake must not hang the start. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	do
		r = pread(fd, magic, sizeof(magic), 0);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (r == (ssize_t)sizeof(magic) &&
	    memcmp(magic, BLOCKLIST_MAGIC, sizeof(magic)) == 0) {
		rc = load_compact(fd, &st, flags, out, err, errlen);
		close(fd);
		return rc;
	}
	return load_text(fd, out, err, errlen);
}

int
blocklist_write(const struct blocklist *bl, const char *path, char *err,
    size_t errlen)
{
	unsigned char	 h[BLOCKLIST_HEADER_SIZE];
	char		*tmp = NULL;
	int		 fd = -1, rc = -1;

	if ((tmp = malloc(strlen(path) + 16)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sprintf(tmp, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) == -1)
		goto write_error;
	make_header(h, bl->count);
	if (fd_write_all(fd, h, sizeof(h)) == -1 ||
	    fd_write_all(fd, bl->entries, (size_t)bl->count * 8) == -1)
		goto write_error;
	if (fsync(fd) == -1)
		goto write_error;
	if (close(fd) == -1) {
		fd = -1;
		goto write_error;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
	goto out;
write_error:
	snprintf(err, errlen, "cannot write %s: %s", tmp,
	    errno ? strerror(errno) : "short write");
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return rc;
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
