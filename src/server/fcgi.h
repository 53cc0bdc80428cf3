/*
 * fcgi.h: a FastCGI worker: the I/O adapters over libfcgi's thread-safe
 * FCGX_* streams, and the accept loop.
 */
#ifndef AR_FCGI_H
#define AR_FCGI_H

#include "conf/config.h"

/* Serves FastCGI requests on the listening socket fd until SIGTERM (a
 * request in progress is finished first).  Privileges must already be
 * dropped; it locks down before the first accept.  Returns the exit
 * status. */
int fcgi_worker(int fd, const struct config *cfg);

#endif
