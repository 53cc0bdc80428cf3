/*
 * io.h: one request's connection to the web server, whatever carries it
 * (FastCGI through libfcgi's FCGX_* streams, or CGI through stdin, stdout
 * and the environment).  The request code sees only this.
 */
#ifndef AR_IO_H
#define AR_IO_H

#include <stddef.h>
#include <sys/types.h>

struct io {
	/* A CGI meta-variable (REQUEST_METHOD, CONTENT_TYPE, ...) or NULL. */
	const char	*(*param)(void *ctx, const char *name);
	/* Reads up to n body bytes; returns the count, 0 at the end, -1 on
	 * error. */
	ssize_t		 (*read)(void *ctx, char *buf, size_t n);
	/* Writes all n bytes of the answer; returns 0 or -1. */
	int		 (*write)(void *ctx, const char *buf, size_t n);
	void		*ctx;
	/* Header lines ("Name: value\r\n" each) that every answer to this
	 * request carries besides its own (the CORS headers), or NULL. */
	const char	*headers;
};

#endif
