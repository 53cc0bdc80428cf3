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
#include "api/envelope.h"
#include "password/hashrec.h"
#include "base/log.h"
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

/* Maps a database failure to the answer and logs why. */
static enum api_error
db_refusal(struct reset_ctx *ctx, enum db_result rc, const char *request_id)
{
	if (rc == DB_NOT_FOUND)
		return API_INVALID_CODE;
	metrics_db_error(rc == DB_UNAVAILABLE);
	log_msg("request id=%s database: %s", request_id,
	    db_last_error(ctx->db));
	return rc == DB_UNAVAILABLE ? API_UNAVAILABLE : API_SERVER_ERROR;
}

/* Logs that the last database call was run again (reconnects, moves to
 * another host, deadlocks, lock waits, certification failures), and why:
 * db.c returns the count and the cause, and the request's log line is
 * written here, with its id. */
static void
note_reruns(struct reset_ctx *ctx, const char *what, const char *request_id)
{
	const char	*why;
	int		 n;

	if ((n = db_reruns(ctx->db, &why)) > 0)
		log_msg("request id=%s %s rerun %d time%s; the last after: %s",
		    request_id, what, n, n == 1 ? "" : "s", why);
}

/* Counts a failed code attempt; a failure to count is logged, not
 * answered (the answer, invalid_validation_code, stands). */
static void
count_failure(struct reset_ctx *ctx, const char *client,
    const struct db_lookup *look, const char *request_id)
{
	if (db_attempt_failed(ctx->db, client, look->window_start) != DB_OK)
		log_msg("request id=%s counting a failed attempt: %s",
		    request_id, db_last_error(ctx->db));
}

/*
 * The code's row, by the digest of its text.  With attempt limits on
 * (and a client address), the client's failures and the code come back in
 * one round trip, and an over-limit client is refused (429) before the
 * lookup's answer is used: it learns nothing.  API_OK with w's ids and
 * the account's e-mail set, or the refusal (why filled).
 */
static enum api_error
find_code(struct reset_ctx *ctx, const struct reset_request *req,
    const char *client, struct reset_write *w, char email[DB_EMAIL_MAX],
    struct outcome *why, const char *request_id)
{
	char			 code_sha256[SHA256_HEX_CHARS + 1];
	struct db_lookup	 look;
	enum db_result		 rc;
	int			 plausible, counting;

	counting = ctx->cfg->attempt_limit > 0 && client[0] != '\0';
	plausible = req->validation_code_len > 0 &&
	    req->validation_code_len <= CODE_MAX_CHARS;
	if (plausible)
		sha256_hex(req->validation_code, req->validation_code_len,
		    code_sha256);
	if (!counting) {
		if (!plausible)
			return why->error = API_INVALID_CODE;
		rc = db_find_code(ctx->db, code_sha256, &w->code_id,
		    &w->user_id, email, DB_EMAIL_MAX);
		note_reruns(ctx, "code lookup", request_id);
		if (rc != DB_OK)
			return why->error = db_refusal(ctx, rc, request_id);
		return API_OK;
	}
	rc = db_check_code(ctx->db, client, ctx->cfg->attempt_window,
	    plausible ? code_sha256 : NULL, &look, email, DB_EMAIL_MAX);
	note_reruns(ctx, "code lookup", request_id);
	if (rc != DB_OK)
		return why->error = db_refusal(ctx, rc, request_id);
	if (look.failures >= (unsigned long long)ctx->cfg->attempt_limit) {
		metrics_attempt_limited();
		log_msg("request id=%s client %s is over the attempt limit (%d "
		    "failures in %ld s); account-reset-admin clear-attempts "
		    "lifts it", request_id, client, ctx->cfg->attempt_limit,
		    ctx->cfg->attempt_window);
		why->retry_after = look.retry_after;
		return why->error = API_TOO_MANY_REQUESTS;
	}
	if (look.code_id == 0) {
		count_failure(ctx, client, &look, request_id);
		return why->error = API_INVALID_CODE;
	}
	w->code_id = look.code_id;
	w->user_id = look.user_id;
	return API_OK;
}

/* Everything between a parsed request and the answer.  Returns API_OK
 * with token filled, or the refusal in why. */
static enum api_error
reset_apply(struct reset_ctx *ctx, const struct reset_request *req,
    const char *client, struct issued_token *token, struct outcome *why,
    const char *request_id)
{
	char			record[HASHREC_MAX];
	char			email[DB_EMAIL_MAX];
	struct reset_write	w;
	enum db_result		rc;
	unsigned		violations;
	struct timespec		hash_start;

	memset(&w, 0, sizeof(w));
	if ((violations = policy_violations(req->password,
	    req->password_len)) != 0) {
		why->error = API_INVALID_PASSWORD;
		why->violations = violations;
		return why->error;
	}
	/*
	 * A client whose address cannot be told (REMOTE_ADDR "unix:" from a
	 * front end not listed in trusted_proxies) is not limited: counting
	 * all of them under one key would let one attacker lock everyone
	 * out.  Logged, once per process, so that the operator can fix it.
	 */
	if (ctx->cfg->attempt_limit > 0 && client[0] == '\0' &&
	    !ctx->warned_no_client) {
		log_msg("request id=%s no client address (REMOTE_ADDR is not "
		    "an address and no trusted proxy named one): attempt "
		    "limits do not apply; see trusted_proxies", request_id);
		ctx->warned_no_client = 1;
	}
	if (find_code(ctx, req, client, &w, email, why, request_id) != API_OK)
		return why->error;
	/* A valid code: a refusal now leaves it usable, as every other. */
	if ((violations = policy_account_violations(req->password,
	    req->password_len, email)) != 0) {
		why->error = API_INVALID_PASSWORD;
		why->violations = violations;
		return why->error;
	}

	clock_gettime(CLOCK_MONOTONIC, &hash_start);
	if (hashrec_make(ctx->engine, req->password, req->password_len,
	    ctx->cfg->pbkdf2_iterations, record) == -1) {
		log_msg("request id=%s password hashing failed", request_id);
		return why->error = API_SERVER_ERROR;
	}
	metrics_pbkdf2(envelope_ms_since(&hash_start) / 1e3);
	if (random_base64url(TOKEN_BYTES, token->access_token) == -1 ||
	    random_base64url(TOKEN_BYTES, token->refresh_token) == -1) {
		log_msg("request id=%s RAND_bytes failed", request_id);
		OPENSSL_cleanse(record, sizeof(record));
		return why->error = API_SERVER_ERROR;
	}
	token->expires_in = ctx->cfg->access_token_lifetime;
	w.password_record = record;
	/* The notice after the reset, when the mailer is configured (it
	 * needs reset_url) and the operator did not turn it off. */
	w.notify = ctx->cfg->notify_password_changed &&
	    ctx->cfg->reset_url[0] != '\0';
	w.request_id = request_id;
	w.client_key = client;
	sha256_hex(token->access_token, TOKEN_CHARS, w.access_sha256);
	sha256_hex(token->refresh_token, TOKEN_CHARS, w.refresh_sha256);

	rc = db_commit_reset(ctx->db, &w);
	OPENSSL_cleanse(record, sizeof(record));
	note_reruns(ctx, "reset transaction", request_id);
	if (rc != DB_OK)
		return why->error = db_refusal(ctx, rc, request_id);
	return API_OK;
}

int
reset_handle(struct reset_ctx *ctx, const struct io *io)
{
	struct reset_request	req;
	struct issued_token	token;
	struct outcome		why = { .error = API_OK };
	struct envelope		env;
	int			status, wrote;

	memset(&token, 0, sizeof(token));
	/* The client key is what attempts are counted under ("" when no
	 * address can be told: not counted, see reset_apply). */
	envelope_open(&env, io, ctx->cfg);
	if (request_read(io, ctx->cfg->max_body_bytes, &req, &why) == API_OK) {
		reset_apply(ctx, &req, env.client, &token, &why, env.id);
		request_free(&req);
	}

	if (why.error == API_OK) {
		status = 200;
		wrote = respond_token(io, &token, ctx->cfg);
	} else {
		status = api_error_status(why.error);
		wrote = respond_error(io, &why, ctx->cfg->retry_after);
	}
	OPENSSL_cleanse(&token, sizeof(token));
	envelope_close(&env, io, status, why.error, wrote);
	return status;
}
