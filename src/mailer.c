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

#include <dirent.h>
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

#include "config.h"
#include "db.h"
#include "email.h"
#include "log.h"
#include "mailmsg.h"
#include "privsep.h"
#include "recover.h"
#include "sandbox.h"
#include "secure.h"
#include "smtp.h"
#include "token.h"

#define MAX_TEMPLATES	64
#define TEMPLATE_FILE_MAX (MAILMSG_BODY_MAX + MAILMSG_SUBJECT_MAX + 64)
#define SWEEP_EVERY	60	/* seconds between retention sweeps */
#define LINK_MAX	(CONFIG_STR_MAX + CODE_CHARS + 8)

/* One template file: LOCALE.txt (the reset mail) or LOCALE.unknown.txt
 * (the notice to an address without an account). */
struct template_entry {
	char			locale[RECOVER_LOCALE_MAX + 1];
	int			unknown;
	struct mail_template	t;
};

/* What a configuration comes to once checked: the SMTP handle with its
 * credentials, and the templates. */
struct setup {
	struct config		 cfg;
	struct smtp		*smtp;
	struct template_entry	 templates[MAX_TEMPLATES];
	size_t			 ntemplates;
};

struct mailer {
	const char	*config_path;
	struct setup	*setup;
	struct db	*db;
	int		 once;
	time_t		 last_sweep;
	unsigned long	 sent, given_up, retried;
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
	size_t	i;

	if (s == NULL)
		return;
	smtp_free(s->smtp);
	for (i = 0; i < s->ntemplates; i++)
		mailmsg_template_free(&s->templates[i].t);
	free(s);
}

/* Splits a template file name into its locale and kind; 0 or -1. */
static int
template_name(const char *name, struct template_entry *e)
{
	size_t	n = strlen(name), base;

	if (n < 5 || strcmp(name + n - 4, ".txt") != 0)
		return -1;
	base = n - 4;
	e->unknown = 0;
	if (base > 8 && strncmp(name + base - 8, ".unknown", 8) == 0) {
		e->unknown = 1;
		base -= 8;
	}
	if (base > RECOVER_LOCALE_MAX || !recover_locale_valid(name, base))
		return -1;
	memcpy(e->locale, name, base);
	e->locale[base] = '\0';
	for (n = 0; n < base; n++)
		if (e->locale[n] >= 'A' && e->locale[n] <= 'Z')
			e->locale[n] = (char)(e->locale[n] - 'A' + 'a');
	return 0;
}

/* Reads the whole (small) file at path into buf. */
static ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t	r;
	size_t	len = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < size && (r = read(fd, buf + len, size - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	return (ssize_t)len;
}

/* Loads every template of the directory; en.txt must be there, and
 * en.unknown.txt too when unknown addresses are notified. */
static int
load_templates(struct setup *s, char *err, size_t errlen)
{
	const char		*dir = s->cfg.mail_template_dir;
	struct template_entry	*e;
	struct dirent		*de;
	DIR			*d;
	char			 path[CONFIG_STR_MAX + 300], msg[200];
	char			*text;
	ssize_t			 len;
	size_t			 i;
	int			 have_en = 0, have_en_unknown = 0, rc = -1;

	if ((text = malloc(TEMPLATE_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "key 'mail_template_dir': %s: %s", dir,
		    strerror(errno));
		free(text);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (s->ntemplates == MAX_TEMPLATES) {
			snprintf(err, errlen, "%.300s: more than %d templates", dir,
			    MAX_TEMPLATES);
			goto out;
		}
		e = &s->templates[s->ntemplates];
		if (template_name(de->d_name, e) == -1)
			continue;	/* not a template: README, backups */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((len = read_small_file(path, text, TEMPLATE_FILE_MAX + 1)) == -1) {
			snprintf(err, errlen, "%.300s: %s", path, strerror(errno));
			goto out;
		}
		if (len > TEMPLATE_FILE_MAX) {
			snprintf(err, errlen, "%.300s: larger than %d bytes", path,
			    TEMPLATE_FILE_MAX);
			goto out;
		}
		if (mailmsg_template_parse(text, (size_t)len, &e->t, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%.300s: %.190s", path, msg);
			goto out;
		}
		if (!e->unknown && !(e->t.uses & MAILMSG_USES_CODE)) {
			snprintf(err, errlen, "%.300s: the reset mail must show "
			    "{{code}}", path);
			mailmsg_template_free(&e->t);
			goto out;
		}
		if (e->unknown && (e->t.uses &
		    (MAILMSG_USES_CODE | MAILMSG_USES_LINK))) {
			snprintf(err, errlen, "%.300s: the notice to an unknown "
			    "address has no code and no link", path);
			mailmsg_template_free(&e->t);
			goto out;
		}
		for (i = 0; i < s->ntemplates; i++)
			if (strcmp(s->templates[i].locale, e->locale) == 0 &&
			    s->templates[i].unknown == e->unknown)
				break;
		if (i < s->ntemplates) {
			snprintf(err, errlen, "%.300s: a second template for %s",
			    path, e->locale);
			mailmsg_template_free(&e->t);
			goto out;
		}
		if (strcmp(e->locale, "en") == 0)
			*(e->unknown ? &have_en_unknown : &have_en) = 1;
		s->ntemplates++;
	}
	if (!have_en)
		snprintf(err, errlen, "key 'mail_template_dir': %s has no "
		    "en.txt (the default)", dir);
	else if (s->cfg.notify_unknown_recipients && !have_en_unknown)
		snprintf(err, errlen, "key 'notify_unknown_recipients': %s has "
		    "no en.unknown.txt", dir);
	else
		rc = 0;
out:
	closedir(d);
	free(text);
	return rc;
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
	    load_templates(s, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%.250s: %s", path, msg);
		goto fail;
	}
	return s;
fail:
	setup_free(s);
	return NULL;
}

/* The template for a locale: exact, then its language, then English. */
static const struct mail_template *
pick_template(const struct setup *s, const char *locale, int unknown)
{
	char		lang[RECOVER_LOCALE_MAX + 1];
	const char	*tries[3];
	size_t		i, k;

	snprintf(lang, sizeof(lang), "%s", locale);
	lang[strcspn(lang, "-")] = '\0';
	tries[0] = locale;
	tries[1] = lang;
	tries[2] = "en";
	for (k = 0; k < 3; k++)
		for (i = 0; i < s->ntemplates; i++)
			if (s->templates[i].unknown == unknown &&
			    strcmp(s->templates[i].locale, tries[k]) == 0)
				return &s->templates[i].t;
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
retry_delay(const struct config *cfg, unsigned long long attempts)
{
	unsigned char	r[4];
	unsigned long	rnd;
	long		d = cfg->mailer_backoff;
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
	    "smtp_status=%ld%s%s", job->request_id[0] ? job->request_id : "-",
	    job->id, job->attempts, state, smtp_status,
	    detail != NULL ? " detail=" : "", detail != NULL ? detail : "");
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
	delay = retry_delay(cfg, job->attempts);
	if (job->attempts >= (unsigned long long)cfg->mailer_max_attempts ||
	    job->age + delay >= cfg->code_lifetime) {
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
	t = pick_template(m->setup, job->locale, 0);
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
	t = pick_template(m->setup, job->locale, 1);
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

/* One row under our lease, from start to its recorded outcome. */
static void
work(struct mailer *m, struct mail_job *job)
{
	const struct config	*cfg = &m->setup->cfg;

	db_set_request(m->db, job->request_id);
	if (job->email[0] == '\0' || job->age >= cfg->code_lifetime) {
		/* Too old to be worth a code (or wiped by retention). */
		m->given_up++;
		record(m, job, "expired", 0, 0, 1, NULL);
	} else if (!email_valid(job->email, strlen(job->email))) {
		m->given_up++;
		record(m, job, "failed", 0, 0, 0, "not an address we accept");
	} else
		mail_account(m, job);
	db_set_request(m->db, NULL);
	OPENSSL_cleanse(job->email, sizeof(job->email));
}

/* Wipes addresses past recover_retention, 500 rows a statement. */
static void
sweep(struct mailer *m)
{
	unsigned long long	n = 0, total = 0;

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
	enum db_result		 rc;
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
		if (rc == DB_OK) {
			failures = 0;
			work(m, &job);
			continue;
		}
		if (rc != DB_NOT_FOUND) {
			log_msg("claiming a queued request: %s",
			    db_last_error(m->db));
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
	return 0;
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
	if (db_open(m.db) != DB_OK)
		log_msg("database not reachable yet: %s", db_last_error(m.db));
	log_msg("%s: %s, lease %ld s", m.once ? "draining the queue" :
	    "serving the queue", m.setup->cfg.smtp_url,
	    lease_seconds(&m.setup->cfg));
	rc = run(&m, &sigs);
	db_free(m.db);
	setup_free(m.setup);
	curl_global_cleanup();
	return rc;
}
