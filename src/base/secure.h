/*
 * secure.h: keeping secrets out of places they could leak to.
 */
#ifndef AR_SECURE_H
#define AR_SECURE_H

#include <stddef.h>

/* Wipes n bytes at p (OPENSSL_cleanse) and frees p; NULL is fine. */
void secure_free(void *p, size_t n);

/* Opens /dev/null on whichever of fds 0, 1 and 2 is closed (cgi-fcgi
 * -start and some spawners close them), so that no socket the process
 * opens later lands on fd 2 and receives log lines. */
void secure_stdio(void);

/* Makes the process non-dumpable (no core file, no ptrace by others) and
 * sets the core size limit to 0.  Returns 0, or -1 if either failed. */
int secure_process(void);

#endif
