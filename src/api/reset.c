/*
 * reset.c: the request flow, one way and cheapest first: parse, password
 * rules and the checks that need no account (repetitive, the blocklist:
 * pure, in memory, a few microseconds), the attempt check and the code
 * lookup (one round trip, which also brings the account's e-mail), the
 * check that needs the account (contains_email), PBKDF2 (only for a code
 * found valid, and before any lock is taken), then the transaction.  Every
 * refusal and the success are answered in one place at the end.
 *
 * The blocklist runs before the lookup: its answer depends on the
 * password alone, so it tells nothing about the code, and it spares the
 * database a query.  contains_email runs only after the code is found
 * valid, since answering it for an unknown code would tell whether the
 * code is valid without counting a failed attempt (docs/BLOCKLIST.md).
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/client.h"
#include "api/endpoint.h"
#include "password/hashrec.h"
#include "base/log.h"
#include "base/secure.h"
#include "base/metrics.h"
#include "password/policy.h"
#include "api/request.h"
#include "api/reset.h"
#include "api/response.h"
#include "password/token.h"
#include "db/db_reset.h"
#include "db/db_attempts.h"

/* Codes we issue are CODE_CHARS long; anything far off that cannot be
 * one, so it is refused without a lookup. */
#define CODE_MAX_CHARS	256

/* The reset endpoint's members, in the order they are checked. */
#define RESET_FIELDS(req) { \
	{ "validation_code", 0, &(req)->validation_code, \
	    &(req)->validation_code_len, \
	    "The member validation_code is missing.", \
	    "The member validation_code is not a string.", \
	    "The member validation_code is not valid UTF-8." }, \
	{ "password", 0, &(req)->password, &(req)->password_len, \
	    "The member password is missing.", \
	    "The member password is not a string.", \
	    "The member password is not valid UTF-8." } }

enum api_error
reset_take(const struct request_source *src, struct reset_request *req,
    struct outcome *why)
{
	const struct request_field	fields[] = RESET_FIELDS(req);

	memset(req, 0, sizeof(*req));
	return request_take_fields(src, fields,
	    sizeof(fields) / sizeof(fields[0]), why);
}

void
reset_free(struct reset_request *req)
{
	secure_free(req->validation_code, req->validation_code_len);
	secure_free(req->password, req->password_len);
	memset(req, 0, sizeof(*req));
}

/* Counts a failed code attempt; a failure to count is logged, not
 * answered (the answer, invalid_validation_code, stands). */
static void
count_failure(struct endpoint *ep, const struct db_lookup *look)
{
	struct db	*db = ep->ctx->db;

	if (db_attempt_failed(db, ep->client, look->window_start) != DB_OK)
		log_msg("request id=%s counting a failed attempt: %s",
		    ep->id, db_last_error(db));
}

/* Takes back an attempt counted ahead (CGI) that was not a failed one. */
static void
release_attempt(struct endpoint *ep)
{
	struct db	*db = ep->ctx->db;

	if (db_attempt_release(db, ep->client) != DB_OK)
		log_msg("request id=%s taking back a counted attempt: %s",
		    ep->id, db_last_error(db));
}

/*
 * The code's row, by the digest of its text.  With attempt limits on
 * (and a client address), the client's failures and the code come back in
 * one round trip, and an over-limit client is refused (429) before the
 * lookup's answer is used: it learns nothing.  API_OK with w's ids and
 * the account's e-mail set, or the refusal (ep->why filled).
 */
static enum api_error
find_code(struct endpoint *ep, const struct reset_request *req,
    struct reset_write *w, char email[DB_EMAIL_MAX])
{
	const struct config	*cfg = ep->ctx->cfg;
	struct db		*db = ep->ctx->db;
	struct outcome		*why = &ep->why;
	char			 code_sha256[SHA256_HEX_CHARS + 1];
	struct db_lookup	 look;
	enum db_result		 rc;
	int			 plausible, counting, reserved;

	counting = cfg->attempt_limit > 0 && ep->client[0] != '\0';
	plausible = req->validation_code_len > 0 &&
	    req->validation_code_len <= CODE_MAX_CHARS;
	if (plausible)
		sha256_hex(req->validation_code, req->validation_code_len,
		    code_sha256);
	if (!counting) {
		if (!plausible)
			return why->error = API_INVALID_CODE;
		rc = db_find_code(db, code_sha256, &w->code_id, &w->user_id,
		    email, DB_EMAIL_MAX);
		endpoint_note_reruns(ep, "code lookup");
		if (rc != DB_OK)
			return why->error = endpoint_db_refusal(ep, rc,
			    API_INVALID_CODE, NULL);
		return API_OK;
	}
	reserved = ep->ctx->reserve_attempts;
	if (reserved && (rc = db_attempt_reserve(db, ep->client,
	    cfg->attempt_window)) != DB_OK)
		return why->error = endpoint_db_refusal(ep, rc,
		    API_INVALID_CODE, NULL);
	rc = db_check_code(db, ep->client, cfg->attempt_window,
	    plausible ? code_sha256 : NULL, &look, email, DB_EMAIL_MAX);
	endpoint_note_reruns(ep, "code lookup");
	if (rc != DB_OK)
		return why->error = endpoint_db_refusal(ep, rc,
		    API_INVALID_CODE, NULL);
	/* A reserved attempt is in the count: the limit is reached when
	 * there is one more than it allows. */
	if (look.failures >= (unsigned long long)cfg->attempt_limit +
	    (reserved ? 1u : 0u)) {
		if (reserved)
			release_attempt(ep);
		metrics_attempt_limited();
		log_msg("request id=%s client %s is over the attempt limit (%d "
		    "failures in %ld s); account-reset-admin clear-attempts "
		    "lifts it", ep->id, ep->client, cfg->attempt_limit,
		    cfg->attempt_window);
		why->retry_after = look.retry_after;
		return why->error = API_TOO_MANY_REQUESTS;
	}
	if (look.code_id == 0) {
		if (!reserved)
			count_failure(ep, &look);
		return why->error = API_INVALID_CODE;
	}
	if (reserved)
		release_attempt(ep);
	w->code_id = look.code_id;
	w->user_id = look.user_id;
	return API_OK;
}

/* Everything between a parsed request and the answer.  Returns API_OK
 * with token filled, or the refusal in ep->why. */
static enum api_error
reset_apply(struct endpoint *ep, const struct reset_request *req,
    struct issued_token *token)
{
	const struct config	*cfg = ep->ctx->cfg;
	struct outcome		*why = &ep->why;
	char			 record[HASHREC_MAX];
	char			 email[DB_EMAIL_MAX];
	struct reset_write	 w;
	enum db_result		 rc;
	unsigned		 violations;
	struct timespec		 hash_start;

	memset(&w, 0, sizeof(w));
	if ((violations = policy_violations(req->password,
	    req->password_len)) != 0) {
		why->error = API_INVALID_PASSWORD;
		why->violations = violations;
		return why->error;
	}
	endpoint_warn_no_client(ep, cfg->attempt_limit > 0,
	    "attempt limits do not apply");
	if (find_code(ep, req, &w, email) != API_OK)
		return why->error;
	/* A valid code: a refusal now leaves it usable, as every other. */
	if ((violations = policy_account_violations(req->password,
	    req->password_len, email)) != 0) {
		why->error = API_INVALID_PASSWORD;
		why->violations = violations;
		return why->error;
	}

	clock_gettime(CLOCK_MONOTONIC, &hash_start);
	if (hashrec_make(ep->ctx->engine, req->password, req->password_len,
	    cfg->pbkdf2_iterations, record) == -1) {
		log_msg("request id=%s password hashing failed", ep->id);
		return why->error = API_SERVER_ERROR;
	}
	metrics_pbkdf2(endpoint_ms_since(&hash_start) / 1e3);
	if (random_base64url(TOKEN_BYTES, token->access_token) == -1 ||
	    random_base64url(TOKEN_BYTES, token->refresh_token) == -1) {
		log_msg("request id=%s RAND_bytes failed", ep->id);
		OPENSSL_cleanse(record, sizeof(record));
		return why->error = API_SERVER_ERROR;
	}
	token->expires_in = cfg->access_token_lifetime;
	w.password_record = record;
	/* The notice after the reset, when the mailer is configured (it
	 * needs reset_url) and the operator did not turn it off. */
	w.notify = cfg->notify_password_changed && cfg->reset_url[0] != '\0';
	w.request_id = ep->id;
	w.client_key = ep->client;
	sha256_hex(token->access_token, TOKEN_CHARS, w.access_sha256);
	sha256_hex(token->refresh_token, TOKEN_CHARS, w.refresh_sha256);

	rc = db_commit_reset(ep->ctx->db, &w);
	OPENSSL_cleanse(record, sizeof(record));
	endpoint_note_reruns(ep, "reset transaction");
	if (rc != DB_OK)
		return why->error = endpoint_db_refusal(ep, rc,
		    API_INVALID_CODE, NULL);
	return API_OK;
}

/* The 200 answer: the tokens. */
static int
write_token(const struct io *io, const void *token, const struct config *cfg)
{
	return respond_token(io, token, cfg);
}

int
reset_handle(struct responder_ctx *ctx, const struct io *io)
{
	const struct request_source src = REQUEST_FROM_IO(io,
				    ctx->cfg->max_body_bytes);
	struct reset_request	req;
	struct issued_token	token;
	struct endpoint		ep;
	int			status;

	memset(&token, 0, sizeof(token));
	/* The client key is what attempts are counted under ("" when no
	 * address can be told: not counted, see endpoint_warn_no_client). */
	endpoint_open(&ep, ctx, io, ME_RESET);
	if (reset_take(&src, &req, &ep.why) == API_OK) {
		reset_apply(&ep, &req, &token);
		reset_free(&req);
	}
	status = endpoint_finish(&ep, 200, write_token, &token, 0);
	OPENSSL_cleanse(&token, sizeof(token));
	return status;
}
