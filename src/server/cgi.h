/*
 * cgi.h: the CGI process model: one request from the environment and
 * stdin, its answer on stdout.
 */
#ifndef AR_CGI_H
#define AR_CGI_H

#include "conf/config.h"

/* Locks down, serves one request, and returns the exit status (0 unless
 * the program itself failed; a 503 is an answer, not a failure). */
int cgi_serve(const struct config *cfg);

/* The 500 answer of a CGI request that cannot be served because the
 * configuration is broken (the reason is logged by the caller). */
void cgi_refuse_unconfigured(void);

#endif
