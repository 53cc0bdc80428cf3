/*
 * mailer.c: account-reset-mailer, the other half of recovery.  It works
 * off mail_queue, the rows POST /api/v2/account/recover/ leaves: for each
 * one it takes a lease, looks the account up, applies the per-account
 * caps, makes a fresh code (its digest stored like issue-code's), mails
 * it over SMTP (smtp.c, the only code that talks SMTP) and records the
 * outcome (delivery.c: one row; this file: the process and its loop).
 * The same queue carries the "password changed" notices that resets
 * queue, and with webhook_url set the mailer also delivers the webhook
 * outbox (hooks.c).
 * Several mailers may run against one database: a lease keeps two of
 * them from sending one request, and a mailer that dies loses nothing
 * (its lease runs out and another takes the row).
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

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#include "base/hex.h"
#include "base/log.h"
#include "base/metrics_http.h"
#include "mailer/mailer_metrics.h"
#include "db/db_schema.h"
#include "mailer/mailer.h"
#include "mailer/mailmsg.h"
#include "base/privsep.h"
#include "base/sandbox.h"
#include "base/secure.h"
#include "mailer/smtp.h"
#include "mailer/templates.h"
#include "password/token.h"

#define SWEEP_EVERY	60	/* seconds between retention sweeps */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: account-reset-mailer [--config FILE] [--once]\n"
	    "                            [--user USER] [--group GROUP] [--allow-root]\n"
	    "                            [--metrics HOST:PORT|unix:/PATH]\n"
	    "       account-reset-mailer --check-config [--config FILE] [--user USER]\n"
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

/* True when the host of an http:// URL (after "http://", up to a port,
 * path, query or the end) is a loopback host: localhost, 127.0.0.0/8 or
 * [::1].  A network attacker cannot reach those in between. */
static int
http_host_is_loopback(const char *url)
{
	const char	*h = url + 7;
	char		 host[64];
	size_t		 n;
	struct in_addr	 a4;

	if (h[0] == '[')
		n = strcspn(h, "]") + 1;
	else
		n = strcspn(h, ":/?");
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

/* reset_url: https://..., no fragment (the code goes there), no space.
 * http:// only for a loopback host: on plain HTTP a network attacker
 * can inject script into the page and read the code from the fragment. */
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
	if (strncmp(url, "http://", 7) == 0 && !http_host_is_loopback(url)) {
		snprintf(err, errlen, "key 'reset_url': must be https:// (http:// "
		    "only for localhost, 127.0.0.0/8 or [::1]): on plain HTTP "
		    "anyone on the way can read the code from the page");
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
	/* The mailer's own database user, when it has one: from here on
	 * the database code sees only the mailer's option file. */
	s->option_key = "mysql_option_file";
	if (s->cfg.mailer_mysql_option_file[0] != '\0') {
		s->option_key = "mailer_mysql_option_file";
		memcpy(s->cfg.mysql_option_file, s->cfg.mailer_mysql_option_file,
		    sizeof(s->cfg.mysql_option_file));
		memcpy(s->cfg.mysql_option_group,
		    s->cfg.mailer_mysql_option_group,
		    sizeof(s->cfg.mysql_option_group));
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

/* The MySQL client skips an option file it cannot read and would then
 * connect to its compiled-in default socket as nobody in particular: the
 * file must be readable by the user the mailer runs as (ps->user when
 * root, else the current one).  0, or -1 with the reason in err. */
static int
option_file_readable(const struct setup *s, const struct privsep *ps,
    char *err, size_t errlen)
{
	char	msg[600];

	if (privsep_check_readable(ps, s->option_key, s->cfg.mysql_option_file,
	    msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s (the mailer's database user must be "
		    "able to read it)", msg);
		return -1;
	}
	return 0;
}

/* Lease: as long as one message can take, with room for the database. */
static long
lease_seconds(const struct config *cfg)
{
	return cfg->smtp_connect_timeout + cfg->smtp_timeout +
	    cfg->db_read_timeout + 5;
}

/* SIGHUP: everything again from the file; a bad one keeps the old. */
static void
reload(struct mailer *m)
{
	struct privsep	 self = { NULL, NULL, 0 };	/* as we are now */
	struct setup	*next;
	char		 err[1000];

	if ((next = setup_load(m->config_path, err, sizeof(err))) == NULL ||
	    option_file_readable(next, &self, err, sizeof(err)) == -1 ||
	    log_open_file(next->cfg.mailer_log_file, err, sizeof(err)) == -1) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		setup_free(next);
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

/* A scrape of --metrics. */
static void
expose(struct textbuf *t, void *arg)
{
	struct mailer	*m = arg;

	mailer_metrics_expose(t, m->db);
}

/* Waits up to seconds for a signal, serving scrapes meanwhile; the
 * signal, or -1. */
static int
idle_wait(struct mailer *m, const sigset_t *sigs, long seconds)
{
	struct timespec	 idle = { seconds, 0 }, zero = { 0, 0 }, now;
	long		 left_ms;
	int		 sig;

	if (m->metrics == NULL)
		return sigtimedwait(sigs, NULL, &idle);
	clock_gettime(CLOCK_MONOTONIC, &now);
	left_ms = seconds * 1000;
	while (left_ms > 0) {
		metrics_http_poll(m->metrics, left_ms < 250 ? (int)left_ms :
		    250);
		if ((sig = sigtimedwait(sigs, NULL, &zero)) > 0)
			return sig;
		idle = now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms -= (now.tv_sec - idle.tv_sec) * 1000 +
		    (now.tv_nsec - idle.tv_nsec) / 1000000;
	}
	return -1;
}

/* The queue until it is empty (--once) or until SIGTERM.  A signal that
 * comes while a message is under way waits, blocked, until it is done. */
static int
run(struct mailer *m, const sigset_t *sigs)
{
	struct mail_job		 job;
	struct timespec		 zero = { 0, 0 };
	enum db_result		 rc, hrc;
	int			 sig, failures = 0;

	for (;;) {
		while ((sig = sigtimedwait(sigs, NULL, &zero)) > 0) {
			if (sig == SIGHUP)
				reload(m);
			else
				goto stop;
		}
		if (m->metrics != NULL)
			metrics_http_poll(m->metrics, 0);
		if (time(NULL) - m->last_sweep >= SWEEP_EVERY)
			mailer_sweep(m);
		memset(&job, 0, sizeof(job));
		if (hex_random(MAIL_LEASE_CHARS / 2, job.lease) == -1) {
			log_msg("RAND_bytes failed");
			return 1;
		}
		rc = db_mail_claim(m->db, lease_seconds(&m->setup->cfg), &job);
		if (rc == DB_OK)
			mailer_work(m, &job);
		else if (rc != DB_NOT_FOUND)
			log_msg("claiming a queued request: %s",
			    db_last_error(m->db));
		hrc = m->setup->webhook != NULL ? mailer_webhook_once(m) :
		    DB_NOT_FOUND;
		if (rc == DB_OK || hrc == DB_OK) {
			failures = 0;
			continue;
		}
		if (rc != DB_NOT_FOUND || hrc != DB_NOT_FOUND) {
			if (m->once && ++failures > 2)
				return 1;
		} else if (m->once)
			goto stop;
		sig = idle_wait(m, sigs, m->setup->cfg.mailer_poll_interval);
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
		{ "metrics", required_argument, NULL, 'M' },
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
	while ((ch = getopt_long(argc, argv, "c:ou:g:RCM:Vh", longopts,
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
		case 'M':
			m.metrics_spec = optarg;
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
	/* Checked as the user the mailer will run as: --user when root. */
	if (option_file_readable(m.setup, &ps, err, sizeof(err)) == -1) {
		log_msg("%s: %s", check_only ? "configuration" :
		    "refusing to start", err);
		setup_free(m.setup);
		return 1;
	}
	if (check_only) {
		printf("%s: OK (mailer)\n", m.config_path);
		setup_free(m.setup);
		return 0;
	}
	/* Opened before privileges go, like the responder's log_file. */
	if (m.setup->cfg.mailer_log_file[0] != '\0')
		log_msg("logging to %s", m.setup->cfg.mailer_log_file);
	if (log_open_file(m.setup->cfg.mailer_log_file, err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", m.config_path, err);
		setup_free(m.setup);
		return 1;
	}
	/* Before privileges go: a port below 1024, a socket in /run. */
	if (m.metrics_spec != NULL &&
	    (m.metrics = metrics_http_open(m.metrics_spec, expose, &m)) ==
	    NULL) {
		setup_free(m.setup);
		return 1;
	}
	if (privsep_drop(&ps) == -1) {
		metrics_http_free(m.metrics);
		setup_free(m.setup);
		return 1;
	}
	if ((m.db = db_new(&m.setup->cfg)) == NULL) {
		log_msg("out of memory");
		return 1;
	}
	if (db_open(m.db) == DB_OK)
		;
	else if (db_schema_refused(m.db)) {
		log_msg("not serving: %s", db_last_error(m.db));
		metrics_http_free(m.metrics);
		db_free(m.db);
		setup_free(m.setup);
		return 1;
	} else {
		log_msg("database not reachable yet: %s", db_last_error(m.db));
		db_preload_plugins();
	}
	if (mailer_lockdown(&m) == -1) {
		metrics_http_free(m.metrics);
		setup_free(m.setup);
		return 1;
	}
	log_msg("%s: %s, lease %ld s", m.once ? "draining the queue" :
	    "serving the queue", m.setup->cfg.smtp_url,
	    lease_seconds(&m.setup->cfg));
	rc = run(&m, &sigs);
	metrics_http_free(m.metrics);
	db_free(m.db);
	setup_free(m.setup);
	curl_global_cleanup();
	return rc;
}

