/*
 * privsep.c: dropping root before the first request (see privsep.h).
 */
#include "ac-config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"
#include "secure.h"

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
