/*
 * listen.h: the FastCGI listening socket, whoever opens it: our own
 * (--listen unix:/path or host:port), systemd's (LISTEN_FDS), or the one
 * spawn-fcgi and cgi-fcgi -start leave on stdin.
 */
#ifndef AR_LISTEN_H
#define AR_LISTEN_H

#include <sys/types.h>

struct listen_opts {
	const char	*spec;		/* unix:/path or host:port, or NULL */
	mode_t		 socket_mode;	/* for a unix socket */
	const char	*socket_group;	/* for a unix socket, or NULL */
	int		 backlog;
};

/* The default mode of a unix socket we create: owner and group only, so
 * that no other local user can speak FastCGI to us (and pick its own
 * REMOTE_ADDR); give the web server's group with --socket-group. */
#define LISTEN_DEFAULT_SOCKET_MODE	0660

/* Opens the listening socket: opts->spec when set, else systemd's socket,
 * else stdin.  Returns the fd, or -1 (logged). */
int listen_open(const struct listen_opts *opts);

/* Removes the unix socket that listen_open() created for spec, if any. */
void listen_remove(const char *spec);

/* 1 when this process was started as a FastCGI responder: systemd socket
 * activation, or a listening socket on stdin. */
int listen_is_fastcgi(void);

#endif
