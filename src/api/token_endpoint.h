/*
 * token_endpoint.h: POST /api/v2/account/token/, the refresh grant
 * (RFC 6749 section 6) with rotation and reuse detection (RFC 9700
 * section 4.14.2).
 */
#ifndef AR_TOKEN_ENDPOINT_H
#define AR_TOKEN_ENDPOINT_H

#include "api/context.h"
#include "base/io.h"

/* grant_type=refresh_token&refresh_token=...[&client_id=...] as
 * application/x-www-form-urlencoded -> 200 with a new pair in the spec's
 * token shape (the old refresh token ends), or an RFC 6749 5.2 error:
 * invalid_request, unsupported_grant_type, invalid_grant; 429 over
 * token_attempt_limit; 503 when the database cannot answer. */
int token_endpoint_handle(struct responder_ctx *ctx, const struct io *io);

#endif
