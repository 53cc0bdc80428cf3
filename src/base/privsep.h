/*
 * privsep.h: who serves requests.  Started as root, the program opens
 * what it needs (the socket, the configuration) and then drops to
 * --user/--group before any request is read; it never serves as root
 * unless told to (--allow-root, for containers).
 */
#ifndef AR_PRIVSEP_H
#define AR_PRIVSEP_H

#include <stddef.h>

struct privsep {
	const char	*user;		/* drop to this user, or NULL */
	const char	*group;		/* and this group (default: the user's) */
	int		 allow_root;	/* serve as root anyway */
};

/* Checks before anything is opened that privsep_drop() can succeed: a
 * root start names an existing user (or allows root), the group exists.
 * Returns 0, or -1 (logged). */
int privsep_check(const struct privsep *p);

/* Drops to p->user and p->group when running as root, for good (a change
 * back to root is tried and must fail), and clears the dumpable flag that
 * the change of uid resets.  Returns 0, or -1 (logged). */
int privsep_drop(const struct privsep *p);

/* Checks that the user who will serve (p->user when root, else this
 * process) can read path: the MySQL option file, which the client
 * library would otherwise skip in silence and connect with its defaults.
 * As root with a user, a child drops privileges exactly as a worker does
 * and tries.  Returns 0, or -1 with the file and the reason in err. */
int privsep_check_readable(const struct privsep *p, const char *what,
    const char *path, char *err, size_t errlen);

#endif
