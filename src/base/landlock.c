/*
 * landlock.c: Landlock file rules (see landlock.h), through the three
 * system calls: glibc has no wrappers for them.
 */
#include "ac-config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "base/landlock.h"
#include "base/sanitizer.h"

#if defined(__linux__) && defined(SYS_landlock_create_ruleset) && \
    !defined(SANITIZER_BUILD)

/* The kernel's ABI (linux/landlock.h), spelled out here: the headers of
 * an older distribution lack the later rights. */
#define LL_CREATE_RULESET_VERSION	(1U << 0)
#define LL_RULE_PATH_BENEATH		1
#define LL_FS_READ_FILE			(1ULL << 2)
#define LL_FS_READ_DIR			(1ULL << 3)
#define LL_FS_ABI1			((1ULL << 13) - 1)	/* 13 rights */
#define LL_FS_REFER			(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE			(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV			(1ULL << 15)		/* ABI 5 */

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
};

struct ll_path_beneath {
	uint64_t	allowed_access;
	int32_t		parent_fd;
} __attribute__((packed));

int
landlock_abi(void)
{
	long	v;

	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	return v > 0 ? (int)v : 0;
}

/* Every file system right this ABI knows: all of them are denied but
 * what a rule allows. */
static uint64_t
handled_rights(int abi)
{
	uint64_t	r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

/* Reading beneath path: a directory's files and listings, or one file. */
static int
allow_read(int ruleset, const char *path)
{
	struct ll_path_beneath	 rule;
	struct stat		 st;
	int			 fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	memset(&rule, 0, sizeof(rule));
	rule.allowed_access = LL_FS_READ_FILE |
	    (S_ISDIR(st.st_mode) ? LL_FS_READ_DIR : 0);
	rule.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
	    &rule, 0);
	close(fd);
	return rc;
}

enum landlock_state
landlock_read_only(const char *const *paths, size_t n)
{
	struct ll_ruleset_attr	 attr;
	size_t			 i;
	int			 abi, ruleset;

	if ((abi = landlock_abi()) == 0)
		return LANDLOCK_UNAVAILABLE;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_rights(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0);
	if (ruleset == -1)
		return errno == ENOSYS || errno == EOPNOTSUPP ?
		    LANDLOCK_UNAVAILABLE : LANDLOCK_FAILED;
	for (i = 0; i < n; i++)
		if (paths[i] != NULL && paths[i][0] == '/' &&
		    allow_read(ruleset, paths[i]) == -1)
			goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1)
		goto fail;
	close(ruleset);
	return LANDLOCK_ON;
fail:
	close(ruleset);
	return LANDLOCK_FAILED;
}

#else

int
landlock_abi(void)
{
	return 0;
}

enum landlock_state
landlock_read_only(const char *const *paths, size_t n)
{
	(void)paths;
	(void)n;
	return LANDLOCK_UNAVAILABLE;
}

#endif
