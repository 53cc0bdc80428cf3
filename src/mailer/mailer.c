/*
 * mailer.c: account-reset-mailer, the other half of recovery.  It works
 * off mail_queue, the rows POST /api/v2/account/recover/ leaves: for each
 * one it takes a lease, looks the account up, applies the per-account
 * caps, makes a fresh code (its digest stored like issue-code's), mails
 * it over SMTP (smtp.c, the only code that talks SMTP) and records the
 * outcome.  Several mailers may run against one database: a lease keeps
 * two of them from sending one request, and a mailer that dies loses
 * nothing (its lease runs out and another takes the row).
 *
 *   account-reset-mailer [--config FILE] [--once] [--user U [--group G]]
 *
 * --once works off what is due now and exits (cron, tests); otherwise it
 * runs until SIGTERM, which lets the message in flight finish.  SIGHUP
 * re-reads the configuration and the templates (a bad one is logged and
 * the running one kept).  Started as root it drops to --user after
 * reading the credentials; it refuses to run as root without --user
 * unless --allow-root.
 *
 * Exit status: 0, 1 a setup failure (config, credentials, templates, the
 * database at --once), 2 usage.
 */
#include "ac-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf/config.h"
#include "db/db.h"
#include "db/db_events.h"
#include "db/db_mail.h"
#include "base/email.h"
#include "base/log.h"
#include "mailer/mailmsg.h"
#include "base/privsep.h"
#include "base/sandbox.h"
#include "base/secure.h"
#include "mailer/smtp.h"
#include "mailer/templates.h"
#include "mailer/webhook.h"
#include "password/token.h"

#define SWEEP_EVERY	60	/* seconds between retention sweeps */
#define LINK_MAX	(CONFIG_STR_MAX + CODE_CHARS + 8)

/* What a configuration comes to once checked: the SMTP handle with its
 * credentials, and the templates. */
struct setup {
	struct config		 cfg;
	struct smtp		*smtp;
	struct template_set	 templates;
	struct webhook		*webhook;	/* NULL: no webhook_url */
};

struct mailer {
	const char	*config_path;
	struct setup	*setup;
	struct db	*db;
	int		 once;
	time_t		 last_sweep;
	unsigned long	 sent, given_up, retried;
	unsigned long	 hooks_delivered, hooks_given_up, hooks_retried;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: account-reset-mailer [--config FILE] [--once]\n"
	    "                            [--user USER] [--group GROUP] [--allow-root]\n"
	    "       account-reset-mailer --check-config [--config FILE]\n"
	    "       account-reset-mailer --version\n");
}

static void
setup_free(struct setup *s)
{
	if (s == NULL)
		return;
	smtp_free(s->smtp);
	webhook_free(s->webhook);
	templates_free(&s->templates);
	free(s);
}

/* reset_url: http(s)://..., no fragment (the code goes there), no space. */
static int
check_reset_url(const char *url, char *err, size_t errlen)
{
	if (url[0] == '\0') {
		snprintf(err, errlen, "key 'reset_url': not set (the link in "
		    "the mail, e.g. https://app.example/reset)");
		return -1;
	}
	if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
	    strpbrk(url, "# ") != NULL) {
		snprintf(err, errlen, "key 'reset_url': must be an http(s) URL "
		    "without a fragment or spaces (the code is put after "
		    "\"#code=\")");
		return -1;
	}
	return 0;
}

/* notify_timezone: a zone of the system's tz database (e.g.
 * Europe/Berlin), which becomes this process's TZ: only the notice's
 * {{time_local}} uses local time.  glibc takes an unknown zone for UTC
 * without a word, so the file must exist. */
static int
check_timezone(const char *zone, char *err, size_t errlen)
{
	char	path[CONFIG_STR_MAX + 32];

	if (strcmp(zone, "UTC") != 0) {
		if (zone[0] == '/' || strstr(zone, "..") != NULL ||
		    strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789/_+-") != strlen(zone)) {
			snprintf(err, errlen, "key 'notify_timezone': not a time "
			    "zone name (e.g. Europe/Berlin)");
			return -1;
		}
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
		if (access(path, R_OK) == -1) {
			snprintf(err, errlen, "key 'notify_timezone': no zone "
			    "%.100s in /usr/share/zoneinfo (package tzdata)", zone);
			return -1;
		}
	}
	if (setenv("TZ", zone, 1) == -1) {
		snprintf(err, errlen, "key 'notify_timezone': %s", strerror(errno));
		return -1;
	}
	tzset();
	return 0;
}

/* Loads and checks everything a configuration needs. */
static struct setup *
setup_load(const char *path, char *err, size_t errlen)
{
	struct setup	*s;
	char		 msg[600];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (config_load(path, &s->cfg, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s", msg);
		goto fail;
	}
	if (check_reset_url(s->cfg.reset_url, msg, sizeof(msg)) == -1 ||
	    (s->smtp = smtp_new(&s->cfg, msg, sizeof(msg))) == NULL ||
	    check_timezone(s->cfg.notify_timezone, msg, sizeof(msg)) == -1 ||
	    templates_load(&s->templates, s->cfg.mail_template_dir,
	    s->cfg.notify_unknown_recipients, s->cfg.notify_password_changed,
	    msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%.250s: %s", path, msg);
		goto fail;
	}
	if (s->cfg.webhook_url[0] != '\0' &&
	    (s->webhook = webhook_new(&s->cfg, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "%.250s: %s", path, msg);
		goto fail;
	}
	return s;
fail:
	setup_free(s);
	return NULL;
}

/* Lease: as long as one message can take, with room for the database. */
static long
lease_seconds(const struct config *cfg)
{
	return cfg->smtp_connect_timeout + cfg->smtp_timeout +
	    cfg->db_read_timeout + 5;
}

/* The delay before attempt n + 1: mailer_backoff doubled for each
 * attempt made, capped at a day, with "equal jitter" (half fixed, half
 * random) so that a relay coming back is not hit by every retry at once. */
static long
retry_delay(long backoff, unsigned long long attempts)
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

/* Random letters and digits (hex) for a lease or a Message-ID. */
static int
random_hex(char *out, size_t chars)
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		raw[32];
	size_t			i;

	if (chars / 2 > sizeof(raw) || RAND_bytes(raw, (int)(chars / 2)) != 1)
		return -1;
	for (i = 0; i < chars / 2; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[chars / 2 * 2] = '\0';
	return 0;
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
	char			 detail[300];
	long			 status = 0, delay;
	int			 lost = 0;

	out = smtp_send(m->setup->smtp, rcpt, msg, len, &status, detail,
	    sizeof(detail));
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
	delay = retry_delay(cfg->mailer_backoff, job->attempts);
	/* A notice has no code to outlive: only the attempts bound it. */
	if (job->attempts >= (unsigned long long)cfg->mailer_max_attempts ||
	    (!job->changed && job->age + delay >= cfg->code_lifetime)) {
		m->given_up++;
		record(m, job, job->attempts >= (unsigned long long)
		    cfg->mailer_max_attempts ? "failed" : "expired", user_id,
		    status, 1, detail);
		return;
	}
	m->retried++;
	if (db_mail_retry(m->db, job, delay, status, &lost) != DB_OK) {
		log_msg("mail request id=%s queue_id=%llu recording a retry: "
		    "%s", job->request_id, job->id, db_last_error(m->db));
		return;
	}
	log_msg("mail request id=%s queue_id=%llu attempt=%llu state=retry "
	    "smtp_status=%ld retry_in=%ld detail=%s%s", job->request_id,
	    job->id, job->attempts, status, delay, detail,
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
	    random_hex(token, 32) == -1) {
		log_msg("mail request id=%s RAND_bytes failed", job->request_id);
		return;	/* the lease runs out; it is tried again */
	}
	sha256_hex(code, CODE_CHARS, digest);
	rc = db_mail_reserve_account(m->db, job, digest, cfg->code_lifetime,
	    cfg->recover_account_interval, cfg->recover_account_daily_limit,
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
	snprintf(link, sizeof(link), "%s#code=%s", cfg->reset_url, code);
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
	    cfg->recover_account_daily_limit, &res);
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

	if (random_hex(token, 32) == -1) {
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

/* One row under our lease, from start to its recorded outcome. */
static void
work(struct mailer *m, struct mail_job *job)
{
	const struct config	*cfg = &m->setup->cfg;

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
	} else
		mail_account(m, job);
	OPENSSL_cleanse(job->email, sizeof(job->email));
}

/* Wipes addresses past recover_retention, 500 rows a statement. */
static void
sweep(struct mailer *m)
{
	unsigned long long	n = 0, total = 0;
	int			rounds;

	m->last_sweep = time(NULL);
	do {
		if (db_mail_wipe(m->db, m->setup->cfg.recover_retention,
		    &n) != DB_OK) {
			log_msg("retention sweep: %s", db_last_error(m->db));
			return;
		}
		total += n;
	} while (n == 500);
	if (total > 0)
		log_msg("retention: wiped the addresses of %llu queue rows "
		    "older than %ld s", total, m->setup->cfg.recover_retention);
	/* Old events, 500 (and 500 outbox rows) a statement, at most 20
	 * statements a sweep: a backlog goes over a few sweeps, never in
	 * one long transaction. */
	total = 0;
	for (rounds = 0; rounds < 20; rounds++) {
		if (db_events_purge(m->db, m->setup->cfg.retention_events,
		    &n) != DB_OK) {
			log_msg("events retention: %s", db_last_error(m->db));
			return;
		}
		total += n;
		if (n == 0)
			break;
	}
	if (total > 0)
		log_msg("retention: deleted %llu events and webhook rows older "
		    "than %ld s", total, m->setup->cfg.retention_events);
}

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
 * or given up (counted and logged) after webhook_max_attempts.  DB_OK
 * when a row was worked, DB_NOT_FOUND when none was due. */
static enum db_result
webhook_once(struct mailer *m)
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
	if (random_hex(job.lease, WEBHOOK_LEASE_CHARS) == -1)
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
		delay = retry_delay(cfg->webhook_backoff, job.attempts);
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

/* SIGHUP: everything again from the file; a bad one keeps the old. */
static void
reload(struct mailer *m)
{
	struct setup	*next;
	char		 err[1000];

	if ((next = setup_load(m->config_path, err, sizeof(err))) == NULL) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		return;
	}
	db_free(m->db);
	if ((m->db = db_new(&next->cfg)) == NULL) {
		log_msg("out of memory");
		exit(1);
	}
	setup_free(m->setup);
	m->setup = next;
	log_msg("configuration reloaded from %s", m->config_path);
}

/* The queue until it is empty (--once) or until SIGTERM.  A signal that
 * comes while a message is under way waits, blocked, until it is done. */
static int
run(struct mailer *m, const sigset_t *sigs)
{
	struct mail_job		 job;
	struct timespec		 zero = { 0, 0 }, idle;
	enum db_result		 rc, hrc;
	int			 sig, failures = 0;

	for (;;) {
		while ((sig = sigtimedwait(sigs, NULL, &zero)) > 0) {
			if (sig == SIGHUP)
				reload(m);
			else
				goto stop;
		}
		if (time(NULL) - m->last_sweep >= SWEEP_EVERY)
			sweep(m);
		memset(&job, 0, sizeof(job));
		if (random_hex(job.lease, MAIL_LEASE_CHARS) == -1) {
			log_msg("RAND_bytes failed");
			return 1;
		}
		rc = db_mail_claim(m->db, lease_seconds(&m->setup->cfg), &job);
		if (rc == DB_OK)
			work(m, &job);
		else if (rc != DB_NOT_FOUND)
			log_msg("claiming a queued request: %s",
			    db_last_error(m->db));
		hrc = m->setup->webhook != NULL ? webhook_once(m) : DB_NOT_FOUND;
		if (rc == DB_OK || hrc == DB_OK) {
			failures = 0;
			continue;
		}
		if (rc != DB_NOT_FOUND || hrc != DB_NOT_FOUND) {
			if (m->once && ++failures > 2)
				return 1;
		} else if (m->once)
			goto stop;
		idle.tv_sec = m->setup->cfg.mailer_poll_interval;
		idle.tv_nsec = 0;
		sig = sigtimedwait(sigs, NULL, &idle);
		if (sig == SIGHUP)
			reload(m);
		else if (sig > 0)
			goto stop;
	}
stop:
	log_msg("stopping: %lu sent, %lu retried, %lu given up", m->sent,
	    m->retried, m->given_up);
	if (m->setup->webhook != NULL)
		log_msg("stopping: webhooks %lu delivered, %lu retried, %lu "
		    "given up", m->hooks_delivered, m->hooks_retried,
		    m->hooks_given_up);
	return 0;
}

/* The seccomp filter, once the database connection is open and the
 * resolver's modules are loaded: from then on the mailer can talk to the
 * database and the relay, read files, and nothing else. */
static int
mailer_lockdown(struct mailer *m)
{
	if (!m->setup->cfg.seccomp)
		return 0;
	smtp_prepare(m->setup->smtp);
	switch (sandbox_enter_mailer()) {
	case SANDBOX_ON:
		return 0;
	case SANDBOX_UNAVAILABLE:
		log_msg("seccomp filter off: %s", sandbox_unavailable_reason());
		return 0;
	case SANDBOX_FAILED:
		break;
	}
	log_msg("the kernel refused the seccomp filter; not mailing "
	    "(set seccomp = off to run without it)");
	return -1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mailer	 m;
	struct privsep	 ps = { NULL, NULL, 0 };
	sigset_t	 sigs;
	char		 err[1000];
	const char	*explicit_config = NULL;
	int		 ch, check_only = 0, rc;

	log_init("account-reset-mailer");
	secure_stdio();
	secure_process();
	memset(&m, 0, sizeof(m));
	while ((ch = getopt_long(argc, argv, "c:ou:g:RCVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			explicit_config = optarg;
			break;
		case 'o':
			m.once = 1;
			break;
		case 'u':
			ps.user = optarg;
			break;
		case 'g':
			ps.group = optarg;
			break;
		case 'R':
			ps.allow_root = 1;
			break;
		case 'C':
			check_only = 1;
			break;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_msg("curl_global_init failed");
		return 1;
	}
	/* Signals wait for their turn: taken only between messages. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	m.config_path = config_choose_path(explicit_config);
	if (!check_only && privsep_check(&ps) == -1)
		return 1;
	/* The credentials are read here, before privileges go. */
	if ((m.setup = setup_load(m.config_path, err, sizeof(err))) == NULL) {
		log_msg("configuration: %s", err);
		return 1;
	}
	if (check_only) {
		printf("%s: OK (mailer)\n", m.config_path);
		setup_free(m.setup);
		return 0;
	}
	if (privsep_drop(&ps) == -1) {
		setup_free(m.setup);
		return 1;
	}
	if ((m.db = db_new(&m.setup->cfg)) == NULL) {
		log_msg("out of memory");
		return 1;
	}
	if (db_open(m.db) != DB_OK) {
		log_msg("database not reachable yet: %s", db_last_error(m.db));
		db_preload_plugins();
	}
	if (mailer_lockdown(&m) == -1) {
		setup_free(m.setup);
		return 1;
	}
	log_msg("%s: %s, lease %ld s", m.once ? "draining the queue" :
	    "serving the queue", m.setup->cfg.smtp_url,
	    lease_seconds(&m.setup->cfg));
	rc = run(&m, &sigs);
	db_free(m.db);
	setup_free(m.setup);
	curl_global_cleanup();
	return rc;
}
