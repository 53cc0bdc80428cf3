/*
 * recover.c: the recover endpoint.  Cheapest first: the request checks
 * shared with the reset endpoint (request.c), the address syntax
 * (email.c), then one INSERT that also applies the per-client limit.
 * There is deliberately no branch on whether the address has an account:
 * the answer, the work and the time are the same for every valid address
 * (docs/SECURITY.md, "Enumeration").
 */
#include "ac-config.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "base/client.h"
#include "db/db.h"
#include "db/db_mail.h"
#include "base/email.h"
#include "api/endpoint.h"
#include "base/log.h"
#include "api/recover.h"
#include "api/request.h"
#include "api/response.h"
#include "base/secure.h"

#define RECOVER_FIELDS(req) { \
	{ "email", 0, &(req)->email, &(req)->email_len, \
	    "The member email is missing.", \
	    "The member email is not a string.", \
	    "The member email is not valid UTF-8." }, \
	{ "locale", 1, &(req)->locale, &(req)->locale_len, NULL, \
	    "The member locale is not a string.", \
	    "The member locale is not valid UTF-8." } }


/* The member checks after the JSON: the address, then the locale. */
static enum api_error
check_members(struct recover_request *req, struct outcome *why)
{
	size_t	i;

	why->detail = NULL;
	if (!email_valid(req->email, req->email_len)) {
		why->error = API_INVALID_EMAIL;
		goto refused;
	}
	if (req->locale != NULL) {
		if (!locale_tag_valid(req->locale, req->locale_len)) {
			why->error = API_INVALID_REQUEST;
			why->detail = "The member locale is not a language tag "
			    "such as \"en\" or \"de-CH\".";
			goto refused;
		}
		for (i = 0; i < req->locale_len; i++)
			req->locale[i] = (char)tolower((unsigned char)req->locale[i]);
	}
	return API_OK;
refused:
	why->violations = 0;
	why->retry_after = 0;
	recover_free(req);
	return why->error;
}

enum api_error
recover_take(const struct request_source *src, struct recover_request *req,
    struct outcome *why)
{
	const struct request_field	fields[] = RECOVER_FIELDS(req);
	enum api_error			rc;

	memset(req, 0, sizeof(*req));
	rc = request_take_fields(src, fields,
	    sizeof(fields) / sizeof(fields[0]), why);
	return rc == API_OK ? check_members(req, why) : rc;
}

void
recover_free(struct recover_request *req)
{
	secure_free(req->email, req->email_len);
	secure_free(req->locale, req->locale_len);
	memset(req, 0, sizeof(*req));
}

/* The one write; the answer it comes to in ep->why. */
static void
recover_queue(struct endpoint *ep, const struct recover_request *req)
{
	const struct config	*cfg = ep->ctx->cfg;
	const struct recover_caps caps = { cfg->recover_window,
				    cfg->recover_limit, cfg->recover_network_limit,
				    cfg->recover_provider_limit };
	struct recover_client	 client;
	enum db_result		 rc;
	int			 limited = 0;
	char			 net[CLIENT_KEY_MAX] = "";
	char			 provider[CLIENT_KEY_MAX] = "";

	endpoint_warn_no_client(ep, cfg->recover_limit > 0,
	    "the recover limit does not apply");
	/* The network's and the provider's limits too: one IPv6 /48 holds
	 * 65,536 /64 keys, one /32 65,536 /48s (issue 19, point 3). */
	if (ep->client[0] != '\0' &&
	    (client_key_network(ep->client, net) == -1 ||
	    client_key_provider(ep->client, provider) == -1))
		net[0] = provider[0] = '\0';
	client.key = ep->client;
	client.net = net;
	client.provider = provider;
	rc = db_recover_enqueue(ep->ctx->db, ep->id, &client, req->email,
	    req->locale != NULL ? req->locale : "", &caps, &limited,
	    &ep->why.retry_after);
	endpoint_note_reruns(ep, "recover queue");
	if (rc != DB_OK) {
		ep->why.error = endpoint_db_refusal(ep, rc, API_SERVER_ERROR,
		    NULL);
		return;
	}
	ep->why.error = limited ? API_TOO_MANY_REQUESTS : API_OK;
}

int
recover_handle(struct responder_ctx *ctx, const struct io *io)
{
	const struct request_source src = REQUEST_FROM_IO(io,
				    ctx->cfg->max_body_bytes);
	struct recover_request	req;
	struct endpoint		ep;

	/* The client key is what the recover limit counts under ("" when
	 * no address can be told: not limited). */
	endpoint_open(&ep, ctx, io, ME_RECOVER);
	if (recover_take(&src, &req, &ep.why) == API_OK) {
		recover_queue(&ep, &req);
		recover_free(&req);
	}
	return endpoint_finish(&ep, 202, NULL, RESPONSE_ACCEPTED, 0);
}
