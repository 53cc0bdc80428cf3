/*
 * secure.c: wiping secrets and keeping them out of core dumps.
 */
#include "ac-config.h"

#include <sys/resource.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <stdlib.h>

#include <openssl/crypto.h>

#include "secure.h"

void
secure_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
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
