/*
 * revoke.h: POST /api/v2/account/token/revoke/, token revocation
 * (RFC 7009): a client logs out.
 */
#ifndef AR_REVOKE_H
#define AR_REVOKE_H

#include "api/context.h"
#include "base/io.h"

/* token=...[&token_type_hint=...] as a form.  An access token ends with
 * its refresh token (one grant, one row); a refresh token ends its whole
 * family.  200 {} whether or not the token was known (RFC 7009 2.2: the
 * answer tells nothing about it); invalid_request without a token; 503
 * when the database cannot answer.  Holding the token is the
 * authorisation, as for the public clients our tokens are issued to. */
int revoke_handle(struct responder_ctx *ctx, const struct io *io);

#endif
