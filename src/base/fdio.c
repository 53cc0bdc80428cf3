/*
 * fdio.c: whole writes to a file descriptor (see fdio.h).
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fdio.h"

int
fd_write_all(int fd, const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	ssize_t			 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = 0;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fd_read_all(int fd, void *buf, size_t n, size_t *got)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	*got = 0;
	while (*got < n && (r = read(fd, p + *got, n - *got)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*got += (size_t)r;
	}
	return 0;
}

int
fd_open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}
