/*
 * fdio.h: whole writes to a file descriptor, for the few places that
 * write to one directly (the CGI answer, the compact blocklist file), and
 * whole reads of the small files read at start (config, clients).
 */
#ifndef AR_FDIO_H
#define AR_FDIO_H

#include <stddef.h>

/* Writes all n bytes at buf to fd, resuming after EINTR and partial
 * writes.  Returns 0, or -1 (errno set; 0 for a write that wrote
 * nothing). */
int fd_write_all(int fd, const void *buf, size_t n);

/* Reads up to n bytes from fd into buf until end of file or n, resuming
 * after EINTR and partial reads; *got is how many.  Returns 0, or -1
 * (errno set). */
int fd_read_all(int fd, void *buf, size_t n, size_t *got);

struct stat;

/* Opens path read-only (close-on-exec) and fstat()s it into *st: the
 * descriptor of a regular file, or -1 with "PATH: cannot open: why" or
 * "PATH: not a regular file" in err. */
int fd_open_regular(const char *path, struct stat *st, char *err,
    size_t errlen);

#endif
