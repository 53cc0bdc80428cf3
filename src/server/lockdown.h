/*
 * lockdown.h: the one step every process that serves requests passes
 * before it reads a byte of one: the CGI program and each FastCGI worker
 * alike, whatever the database's state.
 */
#ifndef AR_LOCKDOWN_H
#define AR_LOCKDOWN_H

#include "api/context.h"

/*
 * Makes ready what the filter will no longer allow, then enters it:
 * connects to the database (which loads the client library's
 * authentication plugin and the resolver's modules), or, when it is down,
 * loads every authentication plugin the client library has, so that a
 * first connection made later needs no new code mapped.  Then sets
 * NO_NEW_PRIVS and installs the seccomp filter, as ctx->cfg->seccomp asks.
 * Returns 0, or -1 when the filter was asked for and the kernel refused
 * it (logged): the process must then not serve; LOCKDOWN_SCHEMA (logged,
 * naming account-reset-admin migrate) when the database is there but its
 * schema is not the version this build knows: nothing may serve.  quiet: a process that
 * serves one request (CGI) does not log that the database is not there
 * yet or that this build has no filter, since the request's own log line
 * follows and the notice would repeat on every request.
 */
#define LOCKDOWN_SCHEMA	(-2)
/* A worker's exit status for LOCKDOWN_SCHEMA: the supervisor stops. */
#define EXIT_SCHEMA	78	/* EX_CONFIG */
int lockdown(struct responder_ctx *ctx, int quiet);

#endif
