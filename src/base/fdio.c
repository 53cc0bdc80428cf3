/*
 * fdio.c: whole writes to a file descriptor (see fdio.h).
 */
#include "ac-config.h"

#include <errno.h>
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
