/*
 * introspect.h: POST /api/v2/account/token/introspect/, token
 * introspection (RFC 7662) for resource servers that are not behind the
 * web server in front of this program.
 */
#ifndef AR_INTROSPECT_H
#define AR_INTROSPECT_H

#include "api/context.h"
#include "base/io.h"

/* The caller authenticates with HTTP Basic as one of the callers of
 * introspection_clients_file (else 401 invalid_client, counted against
 * token_attempt_limit); token=...[&token_type_hint=access_token|
 * refresh_token] as a form -> 200 {"active":true, scope, client_id, sub,
 * exp, token_type} or {"active":false}; 503 when the database cannot
 * answer. */
int introspect_handle(struct responder_ctx *ctx, const struct io *io);

#endif
