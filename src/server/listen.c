/*
 * listen.c: the FastCGI listening socket (see listen.h).  Opened while
 * still privileged, before any worker exists.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "server/listen.h"
#include "base/listen_socket.h"
#include "base/log.h"
#include "base/number.h"

/* The pid in LISTEN_PID, when it is ours. */
static int
listen_pid_is_ours(void)
{
	long long	pid;

	return number_parse(getenv("LISTEN_PID"), 1, 0x7fffffff, &pid) == 0 &&
	    pid == (long long)getpid();
}

/* systemd socket activation: the one socket passed as fd 3, or -1. */
static int
systemd_socket(void)
{
	const char	*fds = getenv("LISTEN_FDS");

	if (!listen_pid_is_ours() || fds == NULL)
		return -1;
	if (strcmp(fds, "1") != 0) {
		log_msg("LISTEN_FDS=%s: expected exactly one socket", fds);
		return -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

int
listen_is_fastcgi(void)
{
	if (listen_pid_is_ours())
		return 1;
	return !FCGX_IsCGI();
}

int
listen_open(const struct listen_opts *opts)
{
	int	fd;

	if (opts->spec == NULL) {
		if ((fd = systemd_socket()) == -1)
			fd = 0;	/* spawn-fcgi, cgi-fcgi -start: stdin listens */
		return fd;
	}
	return listen_socket_open("--listen", opts->spec, opts->socket_mode,
	    opts->socket_group, opts->backlog);
}

void
listen_remove(const char *spec)
{
	listen_socket_remove(spec);
}
