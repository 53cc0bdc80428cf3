/*
 * delivery.c: one row of mail_queue under the mailer's lease: the
 * per-account caps, a fresh code (its digest stored like issue-code's),
 * the message, SMTP, and the outcome recorded (sent, retried later, or
 * given up) with its event; or, for a row of kind 'changed', the notice
 * after a reset.
 */
#include "ac-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mailer/mailer.h"
#include "base/email.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/secure.h"
#include "db/db_events.h"
#include "mailer/mailer_metrics.h"
#include "mailer/mailmsg.h"
#include "password/token.h"

#define LINK_MAX	(CONFIG_STR_MAX + CODE_CHARS + 64)

/* See mailer.h. */
long
mailer_retry_delay(long backoff, unsigned long long attempts)
{
	unsigned char	r[4];
	unsigned long	rnd;
	long		d = backoff;
	unsigned long long i;

	for (i = 1; i < attempts && d < 86400; i++)
		d *= 2;
	if (d > 86400)
		d = 86400;
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	rnd = ((unsigned long)r[0] << 24 | (unsigned long)r[1] << 16 |
	    (unsigned long)r[2] << 8 | r[3]);
	d = d / 2 + (long)(rnd % (unsigned long)(d / 2 + 1));
	return d > 0 ? d : 1;
}

/* One line per outcome: the request id, the queue row, the state and the
 * SMTP status; never the code, never an address. */
static void
log_outcome(const struct mail_job *job, const char *state, long smtp_status,
    const char *detail)
{
	log_msg("mail request id=%s queue_id=%llu attempt=%llu state=%s "
	    "smtp_status=%ld%s%s%s", job->request_id[0] ? job->request_id : "-",
	    job->id, job->attempts, state, smtp_status,
	    job->changed ? " kind=changed" : "",
	    detail != NULL ? " detail=" : "", detail != NULL ? detail : "");
}

/* An event of the record (db_events.h), logged when it cannot be
 * written: the mail's outcome stands either way. */
static void
event(struct mailer *m, const struct mail_job *job, const char *type,
    unsigned long long user_id, const char *detail)
{
	struct event	e = { type, job->request_id, user_id, NULL,
			    job->client_key, NULL, detail };

	if (db_events_record(m->db, &e) != DB_OK)
		log_msg("mail request id=%s queue_id=%llu event %s not "
		    "recorded: %s", job->request_id, job->id, type,
		    db_last_error(m->db));
}

/* mail.sent, mail.suppressed, mail.failed, mail.expired: only for an
 * account (a row for an unknown address leaves no event naming it). */
static void
mail_event(struct mailer *m, const struct mail_job *job, const char *state,
    unsigned long long user_id, long smtp_status)
{
	char	type[EVENT_TYPE_MAX + 1], detail[96];

	snprintf(type, sizeof(type), "mail.%s", state);
	snprintf(detail, sizeof(detail), "queue_id=%llu kind=%s smtp_status=%ld",
	    job->id, job->changed ? "changed" : "recover", smtp_status);
	event(m, job, type, user_id, detail);
}

static void
record(struct mailer *m, const struct mail_job *job, const char *state,
    unsigned long long user_id, long smtp_status, int end_code,
    const char *detail)
{
	int	lost = 0;

	if (db_mail_finish(m->db, job, state, user_id, smtp_status, end_code,
	    &lost) != DB_OK) {
		log_msg("mail request id=%s queue_id=%llu recording state=%s: "
		    "%s (the lease runs out and the row is taken again)",
		    job->request_id, job->id, state, db_last_error(m->db));
		return;
	}
	if (lost)
		log_msg("mail request id=%s queue_id=%llu lease lost before "
		    "recording state=%s", job->request_id, job->id, state);
	mailer_metrics_outcome(state);
	log_outcome(job, state, smtp_status, detail);
	if (!lost && user_id != 0 && strcmp(state, "unknown") != 0)
		mail_event(m, job, state, user_id, smtp_status);
}

/*
 * Sends msg to rcpt and records what came of it: sent; a transient
 * failure retried later, or given up when out of attempts or when the
 * next attempt would come after the request is too old; a 5xx given up.
 */
static void
send_and_record(struct mailer *m, const struct mail_job *job,
    unsigned long long user_id, const char *rcpt, const char *msg,
    size_t len)
{
	const struct config	*cfg = &m->setup->cfg;
	enum smtp_outcome	 out;
	struct timespec		 t0, t1;
	char			 detail[300], why[320];
	long			 status = 0, delay;
	int			 lost = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	m->row_sent = 1;
	out = smtp_send(m->setup->smtp, rcpt, msg, len, &status, detail,
	    sizeof(detail));
	m->row_setup_us = smtp_setup_us(m->setup->smtp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mailer_metrics_smtp((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (out == SMTP_SENT) {
		m->sent++;
		record(m, job, "sent", user_id, status, 0, NULL);
		return;
	}
	if (out == SMTP_PERMANENT) {
		m->given_up++;
		record(m, job, "failed", user_id, status, 1, detail);
		return;
	}
	/* Said as such in the log: not the relay's 220 to STARTTLS. */
	snprintf(why, sizeof(why), "%s%s", out == SMTP_TLS_FAILED ?
	    "TLS failed: " : "", detail);
	delay = mailer_retry_delay(cfg->mailer_backoff, job->attempts);
	/* A notice has no code to outlive: only the attempts bound it. */
	if (job->attempts >= (unsigned long long)cfg->mailer_max_attempts ||
	    (!job->changed && job->age + delay >= cfg->code_lifetime)) {
		m->given_up++;
		record(m, job, job->attempts >= (unsigned long long)
		    cfg->mailer_max_attempts ? "failed" : "expired", user_id,
		    status, 1, why);
		return;
	}
	m->retried++;
	mailer_metrics_retry();
	if (db_mail_retry(m->db, job, delay, status, &lost) != DB_OK) {
		log_msg("mail request id=%s queue_id=%llu recording a retry: "
		    "%s", job->request_id, job->id, db_last_error(m->db));
		return;
	}
	log_msg("mail request id=%s queue_id=%llu attempt=%llu state=retry "
	    "smtp_status=%ld retry_in=%ld detail=%s%s", job->request_id,
	    job->id, job->attempts, status, delay, why,
	    lost ? " (lease lost)" : "");
}

/* The mail to an account: a fresh code, its digest stored, the mail. */
static void
mail_account(struct mailer *m, const struct mail_job *job)
{
	const struct config	*cfg = &m->setup->cfg;
	const struct mail_template *t;
	struct mail_values	 v;
	struct mail_envelope	 env;
	enum mail_reserve	 res;
	unsigned long long	 user_id = 0;
	char			 code[CODE_CHARS + 1], digest[SHA256_HEX_CHARS + 1];
	char			 link[LINK_MAX], token[33], err[200];
	char			 rcpt[MAIL_EMAIL_MAX * 4 + 1];
	char			*msg = NULL;
	size_t			 len = 0;
	enum db_result		 rc;

	if (random_base64url(CODE_BYTES, code) == -1 ||
	    hex_random(16, token) == -1) {
		log_msg("mail request id=%s RAND_bytes failed", job->request_id);
		return;	/* the lease runs out; it is tried again */
	}
	sha256_hex(code, CODE_CHARS, digest);
	rc = db_mail_reserve_account(m->db, job, digest, cfg->code_lifetime,
	    cfg->recover_account_interval, cfg->recover_account_daily_limit,
	    /* A ceiling below the per-client limit (an old config that
	     * raised the limit) is the limit: old configs keep working. */
	    cfg->recover_account_daily_ceiling > cfg->recover_account_daily_limit ?
	    cfg->recover_account_daily_ceiling : cfg->recover_account_daily_limit,
	    rcpt, sizeof(rcpt), &user_id, &res);
	if (rc != DB_OK) {
		log_msg("mail request id=%s queue_id=%llu database: %s",
		    job->request_id, job->id, db_last_error(m->db));
		goto out;
	}
	if (res == RESERVE_SEND || res == RESERVE_SUPPRESSED)
		event(m, job, EVENT_RECOVERY_REQUESTED, user_id, NULL);
	switch (res) {
	case RESERVE_LOST:
		log_msg("mail request id=%s queue_id=%llu lease lost; another "
		    "mailer has it", job->request_id, job->id);
		goto out;
	case RESERVE_SUPPRESSED:
		record(m, job, "suppressed", user_id, 0, 0, NULL);
		goto out;
	case RESERVE_UNKNOWN:
		goto unknown;
	case RESERVE_SEND:
		break;
	}
	t = templates_pick(&m->setup->templates, job->locale, TEMPLATE_RESET);
	/* The pages read lang= from the fragment too (README, "The pages"):
	 * the language part of the request's locale, a checked tag. */
	if (job->locale[0] != '\0')
		snprintf(link, sizeof(link), "%s#code=%s&lang=%.*s",
		    cfg->reset_url, code, (int)strcspn(job->locale, "-"),
		    job->locale);
	else
		snprintf(link, sizeof(link), "%s#code=%s", cfg->reset_url,
		    code);
	v.code = code;
	v.reset_link = link;
	v.minutes = cfg->code_lifetime / 60;
	env.from = cfg->mail_from;
	env.to = rcpt;
	env.date = time(NULL);
	env.message_token = token;
	if (t == NULL || mailmsg_build(t, &v, &env, &msg, &len, err,
	    sizeof(err)) == -1) {
		m->given_up++;
		record(m, job, "failed", user_id, 0, 1, t == NULL ?
		    "no template" : err);
		goto out;
	}
	send_and_record(m, job, user_id, rcpt, msg, len);
	goto out;
unknown:
	OPENSSL_cleanse(code, sizeof(code));
	if (!cfg->notify_unknown_recipients) {
		record(m, job, "unknown", 0, 0, 0, NULL);
		goto out;
	}
	rc = db_mail_reserve_address(m->db, job, cfg->recover_account_interval,
	    cfg->recover_account_daily_limit, cfg->notify_domain_daily_limit,
	    &res);
	if (rc != DB_OK || res == RESERVE_LOST) {
		log_msg("mail request id=%s queue_id=%llu %s", job->request_id,
		    job->id, rc != DB_OK ? db_last_error(m->db) : "lease lost");
		goto out;
	}
	if (res == RESERVE_SUPPRESSED) {
		record(m, job, "suppressed", 0, 0, 0, "unknown address");
		goto out;
	}
	t = templates_pick(&m->setup->templates, job->locale,
	    TEMPLATE_UNKNOWN);
	memset(&v, 0, sizeof(v));
	v.minutes = cfg->code_lifetime / 60;
	env.from = cfg->mail_from;
	env.to = job->email;
	env.date = time(NULL);
	env.message_token = token;
	if (t == NULL || mailmsg_build(t, &v, &env, &msg, &len, err,
	    sizeof(err)) == -1) {
		record(m, job, "failed", 0, 0, 0, t == NULL ? "no template" : err);
		goto out;
	}
	send_and_record(m, job, 0, job->email, msg, len);
out:
	if (msg != NULL)
		secure_free(msg, len);
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(link, sizeof(link));
	OPENSSL_cleanse(digest, sizeof(digest));
}

/* "2026-12-06 19:46 UTC" and, in notify_timezone (the process's TZ),
 * "2026-12-06 20:46 CET (+0100)". */
static void
format_times(time_t when, char *utc, size_t utclen, char *local,
    size_t locallen)
{
	struct tm	tm;

	gmtime_r(&when, &tm);
	if (strftime(utc, utclen, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(utc, utclen, "?");
	localtime_r(&when, &tm);
	if (strftime(local, locallen, "%Y-%m-%d %H:%M %Z (%z)", &tm) == 0)
		snprintf(local, locallen, "?");
}

/* The "your password was changed" notice: queued by the reset's own
 * transaction to the account's address, never capped.  It holds when,
 * the client key the reset came from, and where to go if it was not the
 * account holder; never a code, a token or the password. */
static void
mail_notice(struct mailer *m, const struct mail_job *job)
{
	const struct config	*cfg = &m->setup->cfg;
	const struct mail_template *t;
	struct mail_values	 v;
	struct mail_envelope	 env;
	char			 token[33], err[200], utc[64], local[96];
	char			*msg = NULL;
	size_t			 len = 0;

	if (hex_random(16, token) == -1) {
		log_msg("mail request id=%s RAND_bytes failed", job->request_id);
		return;
	}
	format_times((time_t)job->created, utc, sizeof(utc), local,
	    sizeof(local));
	memset(&v, 0, sizeof(v));
	v.time_utc = utc;
	v.time_local = local;
	v.network = job->client_key[0] != '\0' ? job->client_key : "unknown";
	v.forgot_url = cfg->forgot_url[0] != '\0' ? cfg->forgot_url :
	    cfg->reset_url;
	v.support_url = cfg->support_url[0] != '\0' ? cfg->support_url :
	    v.forgot_url;
	env.from = cfg->mail_from;
	env.to = job->email;
	env.date = time(NULL);
	env.message_token = token;
	t = templates_pick(&m->setup->templates, job->locale, TEMPLATE_CHANGED);
	if (t == NULL || mailmsg_build(t, &v, &env, &msg, &len, err,
	    sizeof(err)) == -1) {
		m->given_up++;
		record(m, job, "failed", job->user_id, 0, 0, t == NULL ?
		    "no en.changed.txt (notify_password_changed is off here?)" :
		    err);
		return;
	}
	send_and_record(m, job, job->user_id, job->email, msg, len);
	secure_free(msg, len);
}

static long
us_since(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000000 +
	    (now.tv_nsec - start->tv_nsec) / 1000;
}

/*
 * The observable cost of a looked-up row must not tell whether its
 * address has an account (issue 19, point 1): an attacker who queues
 * own1, victim, own2 times the gap between the two mails they receive.
 * A row that went to the relay keeps its time, which is remembered (less
 * the handshake of a connection it opened, which the next row pays
 * whatever this one was: a sample is a send on an open connection); any
 * other row (no account, capped) sleeps until it has taken as long as a
 * send drawn at random from the last ROW_COST_SAMPLES, so the two kinds
 * of row take time from the same distribution.  Every row takes at
 * least mailer_min_row_ms.
 */
static void
pad_row(struct mailer *m, const struct timespec *start)
{
	long		 took = us_since(start), want;
	unsigned	 pick = 0;
	struct timespec	 until;

	want = m->setup->cfg.mailer_min_row_ms * 1000;
	if (m->row_sent) {
		/* A new connection's handshake is not part of a row. */
		m->send_us[m->next_send] = took - m->row_setup_us;
		m->next_send = (m->next_send + 1) % ROW_COST_SAMPLES;
		if (m->nsend < ROW_COST_SAMPLES)
			m->nsend++;
	} else if (m->nsend > 0) {
		if (RAND_bytes((unsigned char *)&pick, sizeof(pick)) != 1)
			pick = 0;
		if (m->send_us[pick % m->nsend] > want)
			want = m->send_us[pick % m->nsend];
	}
	if (took >= want)
		return;
	/* Until start + want, to the microsecond, whatever wakes us. */
	until.tv_sec = start->tv_sec + want / 1000000;
	until.tv_nsec = start->tv_nsec + (want % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
	    NULL) == EINTR)
		;
}

/* See mailer.h. */
void
mailer_work(struct mailer *m, struct mail_job *job)
{
	const struct config	*cfg = &m->setup->cfg;
	struct timespec		 start;

	if (job->changed && job->email[0] == '\0') {
		m->given_up++;	/* wiped by retention before it went */
		record(m, job, "expired", job->user_id, 0, 0, NULL);
	} else if (job->changed) {
		if (!email_valid(job->email, strlen(job->email))) {
			m->given_up++;
			record(m, job, "failed", job->user_id, 0, 0,
			    "not an address we accept");
		} else
			mail_notice(m, job);
	} else if (job->email[0] == '\0' || job->age >= cfg->code_lifetime) {
		/* Too old to be worth a code (or wiped by retention). */
		m->given_up++;
		record(m, job, "expired", 0, 0, 1, NULL);
	} else if (!email_valid(job->email, strlen(job->email))) {
		m->given_up++;
		record(m, job, "failed", 0, 0, 0, "not an address we accept");
	} else {
		/* Only rows whose address is looked up are padded: the
		 * others tell nothing about an account. */
		/* First use of a statement is paid outside the clock; a
		 * failure here shows again, and is logged, in the row. */
		(void)db_mail_prepare(m->db);
		clock_gettime(CLOCK_MONOTONIC, &start);
		m->row_sent = 0;
		m->row_setup_us = 0;
		mail_account(m, job);
		pad_row(m, &start);
	}
	OPENSSL_cleanse(job->email, sizeof(job->email));
	OPENSSL_cleanse(job->client_key, sizeof(job->client_key));
}
