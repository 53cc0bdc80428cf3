/*
 * blocklist_file.c: the compact blocklist file (blocklist.h): its header,
 * its check, mapping it read-only, writing it; and blocklist_load, which
 * tells a compact file from a text list.
 */
#include "ac-config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "password/blocklist-internal.h"
#include "base/fdio.h"
#include "password/fold.h"
#include "password/rules.h"

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
	return blocklist_load_text(fd, out, err, errlen);
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
