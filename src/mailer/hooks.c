/*
 * hooks.c: the webhook outbox under the mailer's lease: one due row's
 * event, as JSON, POSTed to webhook_url (webhook.c signs and sends it),
 * and the outcome recorded: delivered, retried later with backoff and
 * jitter, or given up after webhook_max_attempts (counted and logged).
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "base/log.h"
#include "db/db_events.h"
#include "mailer/mailer.h"
#include "mailer/webhook.h"

/* A webhook delivery may take webhook_timeout, with room for the
 * database, before the row is anyone's again. */
static long
webhook_lease_seconds(const struct config *cfg)
{
	return cfg->webhook_timeout + cfg->db_read_timeout + 5;
}

/* The body, Standard Webhooks' shape: type, timestamp, data.  Nothing in
 * it is secret: ids and the time.  The request id is the one the logs
 * hold; anything but [A-Za-z0-9._:-] in it becomes '_' (no escaping
 * needed). */
static void
webhook_body(const struct webhook_job *job, char *out, size_t outlen)
{
	char	rid[sizeof(job->request_id)], user[24];
	size_t	i;

	snprintf(rid, sizeof(rid), "%s", job->request_id);
	for (i = 0; rid[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._:-", rid[i]) == NULL)
			rid[i] = '_';
	if (job->user_id != 0)
		snprintf(user, sizeof(user), "%llu", job->user_id);
	else
		snprintf(user, sizeof(user), "null");
	snprintf(out, outlen, "{\"type\":\"%s\",\"timestamp\":\"%s\","
	    "\"data\":{\"event_id\":%llu,\"user_id\":%s,\"request_id\":"
	    "\"%s\"}}", job->type, job->created, job->event_id, user, rid);
}

/* One due outbox row, delivered, retried later with backoff and jitter,
 * or given up (counted and logged) after webhook_max_attempts. */
/* See mailer.h. */
enum db_result
mailer_webhook_once(struct mailer *m)
{
	const struct config	*cfg = &m->setup->cfg;
	struct webhook_job	 job;
	enum webhook_outcome	 out;
	enum db_result		 rc;
	char			 id[32], body[512], detail[300];
	const char		*state;
	long			 status = 0, delay = 0;
	int			 lost = 0;

	memset(&job, 0, sizeof(job));
	if (hex_random(WEBHOOK_LEASE_CHARS / 2, job.lease) == -1)
		return DB_ERROR;
	rc = db_webhook_claim(m->db, webhook_lease_seconds(cfg), &job);
	if (rc != DB_OK) {
		if (rc != DB_NOT_FOUND)
			log_msg("claiming a webhook: %s", db_last_error(m->db));
		return rc;
	}
	snprintf(id, sizeof(id), "evt_%llu", job.event_id);
	webhook_body(&job, body, sizeof(body));
	out = webhook_post(m->setup->webhook, id, body, &status, detail,
	    sizeof(detail));
	if (out == WEBHOOK_DELIVERED) {
		m->hooks_delivered++;
		state = "delivered";
		rc = db_webhook_finish(m->db, &job, state, status, &lost);
	} else if (job.attempts >= (unsigned long long)cfg->webhook_max_attempts) {
		m->hooks_given_up++;
		state = "failed";
		rc = db_webhook_finish(m->db, &job, state, status, &lost);
	} else {
		m->hooks_retried++;
		state = "retry";
		delay = mailer_retry_delay(cfg->webhook_backoff, job.attempts);
		rc = db_webhook_retry(m->db, &job, delay, status, &lost);
	}
	if (rc != DB_OK)
		log_msg("webhook id=%s recording state=%s: %s (the lease runs "
		    "out and it is tried again)", id, state,
		    db_last_error(m->db));
	if (delay > 0)
		snprintf(body, sizeof(body), " retry_in=%ld detail=%s", delay,
		    detail);
	else if (out != WEBHOOK_DELIVERED)
		snprintf(body, sizeof(body), " (given up) detail=%s", detail);
	else
		body[0] = '\0';
	log_msg("webhook id=%s type=%s request id=%s attempt=%llu state=%s "
	    "http_status=%ld%s%s", id, job.type,
	    job.request_id[0] ? job.request_id : "-", job.attempts, state,
	    status, body, lost ? " (lease lost)" : "");
	return DB_OK;
}
