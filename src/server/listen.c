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

/* A unix socket at path, replacing a stale socket but nothing else, with
 * the mode and group asked for set before anyone can connect. */
static int
open_unix(const struct listen_opts *opts, const char *path)
{
	struct sockaddr_un	 un;
	struct group		*gr = NULL;
	struct stat		 st;
	mode_t			 old;
	int			 fd, rc;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un.sun_path) || path[0] != '/') {
		log_msg("--listen unix:%s: not an absolute socket path", path);
		return -1;
	}
	strcpy(un.sun_path, path);
	if (opts->socket_group != NULL &&
	    (gr = getgrnam(opts->socket_group)) == NULL) {
		log_msg("--socket-group %s: no such group", opts->socket_group);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg("--listen unix:%s: exists and is not a socket",
			    path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto err;
	/* No window in which the socket exists with looser permissions. */
	old = umask(0777 & ~opts->socket_mode);
	rc = bind(fd, (struct sockaddr *)&un, sizeof(un));
	umask(old);
	/* bind() made the node with the mode the umask leaves, which is
	 * socket_mode: no chmod by path, which a link swapped in after
	 * bind() would redirect to another file.  The group is set with
	 * lchown(), which changes a link itself, never what it points to. */
	if (rc == -1)
		goto err;
	if (gr != NULL && lchown(path, (uid_t)-1, gr->gr_gid) == -1)
		goto err;
	return fd;
err:
	log_msg("--listen unix:%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* A TCP socket on "host:port" (IPv4, a name, or [IPv6]:port). */
static int
open_tcp(const char *spec)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 host[256];
	const char	*colon, *h = spec;
	long long	 port;
	size_t		 hl;
	int		 fd = -1, one = 1, e;

	if ((colon = strrchr(spec, ':')) == NULL || colon == spec ||
	    number_parse(colon + 1, 1, 65535, &port) == -1) {
		log_msg("--listen %s: expected unix:/path or host:port", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		log_msg("--listen: host too long");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		log_msg("--listen %s: %s", spec, gai_strerror(e));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto err;
	freeaddrinfo(ai);
	return fd;
err:
	log_msg("--listen %s: %s", spec, strerror(errno));
	freeaddrinfo(ai);
	if (fd != -1)
		close(fd);
	return -1;
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
	if (strncmp(opts->spec, "unix:", 5) == 0)
		fd = open_unix(opts, opts->spec + 5);
	else
		fd = open_tcp(opts->spec);
	if (fd == -1)
		return -1;
	if (listen(fd, opts->backlog) == -1) {
		log_msg("--listen %s: %s", opts->spec, strerror(errno));
		close(fd);
		listen_remove(opts->spec);
		return -1;
	}
	return fd;
}

void
listen_remove(const char *spec)
{
	if (spec != NULL && strncmp(spec, "unix:", 5) == 0)
		unlink(spec + 5);
}
