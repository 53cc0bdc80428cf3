/*
 * serve.h: the process models.  CGI (one request from the environment and
 * stdin), a FastCGI responder on a listening socket, and a supervisor
 * that pre-forks FastCGI workers on one socket and keeps them running.
 */
#ifndef AR_SERVE_H
#define AR_SERVE_H

#include "config.h"

struct serve_opts {
	const char	*config_path;	/* as chosen at start; re-read on HUP */
	const char	*listen;	/* unix:/path or host:port, or NULL */
	unsigned	 socket_mode;	/* for a unix socket */
	const char	*socket_group;	/* for a unix socket, or NULL */
	int		 workers;	/* 0: no supervisor */
	const char	*user, *group;	/* drop to these before serving */
	int		 allow_root;	/* serve as root anyway (containers) */
	int		 backlog;
};

/* One CGI request on stdin/stdout/environment.  Returns the exit status. */
int serve_cgi(const struct config *cfg);

/* The 500 answer of a CGI request that cannot be served because the
 * configuration is broken (the reason is logged by the caller). */
void serve_cgi_unconfigured(void);

/* The FastCGI modes: picks the socket (--listen, systemd's LISTEN_FDS,
 * or a listening socket on stdin as spawn-fcgi and cgi-fcgi -start leave
 * it), drops privileges, and serves until told to stop.  Returns the exit
 * status.  *cfg may be replaced on SIGHUP. */
int serve_fastcgi(const struct serve_opts *opts, struct config *cfg);

/* Checks that the user who will serve (opts->user when root, else this
 * process) can read cfg's mysql_option_file, which the client library
 * would otherwise skip in silence.  0, or -1 with the file and the reason
 * in err. */
int serve_check_option_file(const struct serve_opts *opts,
    const struct config *cfg, char *err, size_t errlen);

/* 1 when this process was started as a FastCGI responder (a listening
 * socket on stdin, or systemd socket activation). */
int serve_is_fastcgi(void);

#endif
