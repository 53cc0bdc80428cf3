/*
 * landlock.h: Landlock file rules (Linux 5.13 and later) for a process
 * past its lockdown: from then on it may read files beneath the paths it
 * was given, and open nothing else at all (issue 19, point 5).  Unlike
 * the seccomp filter, a refused open fails with EACCES; it kills nothing.
 */
#ifndef AR_LANDLOCK_H
#define AR_LANDLOCK_H

#include <stddef.h>

enum landlock_state {
	LANDLOCK_ON = 0,	/* the rules hold from now on */
	LANDLOCK_UNAVAILABLE,	/* the kernel has no Landlock, or it is off */
	LANDLOCK_FAILED,	/* the kernel refused the rules */
};

/* Allows reading files and listing directories beneath each of the n
 * paths (a path that does not exist is left out) and forbids every other
 * file system access this kernel's Landlock knows, for this process and
 * what it would start.  Sets NO_NEW_PRIVS. */
enum landlock_state landlock_read_only(const char *const *paths, size_t n);

/* The Landlock ABI version this kernel offers, or 0. */
int landlock_abi(void);

#endif
