/*
 * listen_socket.c: a listening socket from "unix:/path" or "host:port"
 * (listen_socket.h).
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

#include "base/listen_socket.h"
#include "base/log.h"
#include "base/number.h"

/* A unix socket at path, replacing a stale socket but nothing else, with
 * the mode and group asked for set before anyone can connect. */
static int
open_unix(const char *what, const char *path, mode_t mode, const char *group)
{
	struct sockaddr_un	 un;
	struct group		*gr = NULL;
	struct stat		 st;
	mode_t			 old;
	int			 fd, rc;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un.sun_path) || path[0] != '/') {
		log_msg("%s unix:%s: not an absolute socket path", what, path);
		return -1;
	}
	strcpy(un.sun_path, path);
	if (group != NULL &&
	    (gr = getgrnam(group)) == NULL) {
		log_msg("%s: socket group %s: no such group", what, group);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg("%s unix:%s: exists and is not a socket",
			    what, path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto err;
	/* No window in which the socket exists with looser permissions. */
	old = umask(0777 & ~mode);
	rc = bind(fd, (struct sockaddr *)&un, sizeof(un));
	umask(old);
	/* bind() made the node with the mode the umask leaves, which is
	 * mode: no chmod by path, which a link swapped in after bind()
	 * would redirect to another file.  The group is set with lchown(),
	 * which changes a link itself, never what it points to. */
	if (rc == -1)
		goto err;
	if (gr != NULL && lchown(path, (uid_t)-1, gr->gr_gid) == -1)
		goto err;
	return fd;
err:
	log_msg("%s unix:%s: %s", what, path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* A TCP socket on "host:port" (IPv4, a name, or [IPv6]:port). */
static int
open_tcp(const char *what, const char *spec)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 host[256];
	const char	*colon, *h = spec;
	long long	 port;
	size_t		 hl;
	int		 fd = -1, one = 1, e;

	if ((colon = strrchr(spec, ':')) == NULL || colon == spec ||
	    number_parse(colon + 1, 1, 65535, &port) == -1) {
		log_msg("%s %s: expected unix:/path or host:port", what, spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		log_msg("%s: host too long", what);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		log_msg("%s %s: %s", what, spec, gai_strerror(e));
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
	log_msg("%s %s: %s", what, spec, strerror(errno));
	freeaddrinfo(ai);
	if (fd != -1)
		close(fd);
	return -1;
}

int
listen_socket_open(const char *what, const char *spec, mode_t mode,
    const char *group, int backlog)
{
	int	fd;

	if (strncmp(spec, "unix:", 5) == 0)
		fd = open_unix(what, spec + 5, mode, group);
	else
		fd = open_tcp(what, spec);
	if (fd == -1)
		return -1;
	if (listen(fd, backlog) == -1) {
		log_msg("%s %s: %s", what, spec, strerror(errno));
		close(fd);
		listen_socket_remove(spec);
		return -1;
	}
	return fd;
}

void
listen_socket_remove(const char *spec)
{
	if (spec != NULL && strncmp(spec, "unix:", 5) == 0)
		unlink(spec + 5);
}
