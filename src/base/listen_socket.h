/*
 * listen_socket.h: a listening socket on "unix:/path" (a stale socket
 * there is replaced, nothing else; mode and group set before anyone can
 * connect) or "host:port" (IPv4, a name, or [IPv6]:port): the responder's
 * --listen (server/listen.c) and both programs' --metrics.
 */
#ifndef AR_LISTEN_SOCKET_H
#define AR_LISTEN_SOCKET_H

#include <sys/types.h>

/* The listening fd (close-on-exec), or -1 logged with what (the option's
 * name) first.  group may be NULL. */
int listen_socket_open(const char *what, const char *spec, mode_t mode,
    const char *group, int backlog);

/* Removes the unix socket spec names, if it does. */
void listen_socket_remove(const char *spec);

#endif
