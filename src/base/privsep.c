/*
 * privsep.c: dropping root before the first request (see privsep.h).
 */
#include "ac-config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/privsep.h"
#include "base/secure.h"

/* Looks up the ids to drop to; -1 (logged) when a name is unknown. */
static int
lookup_ids(const struct privsep *p, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	if ((pw = getpwnam(p->user)) == NULL) {
		log_msg("--user %s: no such user", p->user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (p->group != NULL) {
		if ((gr = getgrnam(p->group)) == NULL) {
			log_msg("--group %s: no such group", p->group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
privsep_check(const struct privsep *p)
{
	uid_t	uid;
	gid_t	gid;

	if (geteuid() != 0)
		return 0;
	if (p->user == NULL) {
		if (p->allow_root)
			return 0;
		log_msg("refusing to serve requests as root: give --user "
		    "(or --allow-root, for containers)");
		return -1;
	}
	return lookup_ids(p, &uid, &gid);
}

int
privsep_drop(const struct privsep *p)
{
	uid_t	uid;
	gid_t	gid;

	if (privsep_check(p) == -1)
		return -1;
	if (geteuid() != 0)
		return 0;
	if (p->user == NULL) {
		log_msg("serving requests as root (--allow-root)");
		return 0;
	}
	if (lookup_ids(p, &uid, &gid) == -1)
		return -1;
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		log_msg("cannot drop privileges to %s: %s", p->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		log_msg("privileges could be regained; refusing to serve");
		return -1;
	}
	/* A change of uid resets the dumpable flag to fs.suid_dumpable. */
	secure_process();
	return 0;
}

/* Opens path for reading as the current user; 0, or -1 with errno. */
static int
try_read(const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	close(fd);
	return 0;
}

int
privsep_check_readable(const struct privsep *p, const char *what,
    const char *path, char *err, size_t errlen)
{
	pid_t	pid;
	int	fds[2], e = 0, status;
	ssize_t	r;

	if (geteuid() != 0 || p->user == NULL) {
		if (try_read(path) == 0)
			return 0;
		snprintf(err, errlen, "%s %s: cannot be read by uid %ld: %s",
		    what, path, (long)geteuid(), strerror(errno));
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		snprintf(err, errlen, "checking %s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (privsep_drop(p) == -1)
			e = -1;
		else if (try_read(path) == -1)
			e = errno;
		if (write(fds[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do
		r = read(fds[0], &e, sizeof(e));
	while (r == -1 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(e) || e == -1) {
		snprintf(err, errlen, "cannot check %s %s as user %s (dropping "
		    "privileges failed)", what, path, p->user);
		return -1;
	}
	if (e == 0)
		return 0;
	snprintf(err, errlen, "%s %s: cannot be read by user %s: %s (the "
	    "workers read it after dropping privileges; e.g. chgrp %s and "
	    "chmod 0640)", what, path, p->user, strerror(e),
	    p->group ? p->group : p->user);
	return -1;
}
