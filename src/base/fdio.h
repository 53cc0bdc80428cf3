/*
 * fdio.h: whole writes to a file descriptor, for the few places that
 * write to one directly (the CGI answer, the compact blocklist file).
 */
#ifndef AR_FDIO_H
#define AR_FDIO_H

#include <stddef.h>

/* Writes all n bytes at buf to fd, resuming after EINTR and partial
 * writes.  Returns 0, or -1 (errno set; 0 for a write that wrote
 * nothing). */
int fd_write_all(int fd, const void *buf, size_t n);

#endif
