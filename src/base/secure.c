/*
 * secure.c: wiping secrets and keeping them out of core dumps.
 */
#include "ac-config.h"

#include <sys/resource.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/secure.h"

void
secure_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void
secure_stdio(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(1);	/* cannot happen: lowest free fd */
}

int
secure_process(void)
{
	struct rlimit	 none = { 0, 0 };
	int		 rc = 0;

	if (setrlimit(RLIMIT_CORE, &none) == -1)
		rc = -1;
#ifdef HAVE_SYS_PRCTL_H
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		rc = -1;
#endif
	return rc;
}
