/*
 * bind-swap.c: an attack on a program that changes a unix socket's mode
 * or owner by path after bind() (issue 19, "Also"), for
 * tests/integration/test_listen_link.py.  Preloaded (LD_PRELOAD), it
 * wraps bind(): right after a successful bind of the unix socket path
 * $BIND_SWAP_PATH it moves the socket aside and puts a symbolic link to
 * $BIND_SWAP_TARGET in its place, as a local user who can write the
 * socket's directory could between the two calls.  A chmod() or chown()
 * by path that follows would then change the target.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int		(*real)(int, const struct sockaddr *, socklen_t);
	const char	*path = getenv("BIND_SWAP_PATH");
	const char	*target = getenv("BIND_SWAP_TARGET");
	char		 aside[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	int		 rc;

	real = (int (*)(int, const struct sockaddr *, socklen_t))
	    dlsym(RTLD_NEXT, "bind");
	if (real == NULL)
		return -1;
	rc = real(fd, sa, len);
	if (rc == 0 && sa->sa_family == AF_UNIX && path != NULL &&
	    target != NULL &&
	    strcmp(((const struct sockaddr_un *)sa)->sun_path, path) == 0) {
		snprintf(aside, sizeof(aside), "%s.bound", path);
		if (rename(path, aside) == 0)
			(void)symlink(target, path);
	}
	return rc;
}
