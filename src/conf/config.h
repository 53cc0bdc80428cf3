/*
 * config.h: the one configuration file, "key = value" lines.  Every key,
 * its default and its range are in conf/account-reset.conf.example.
 */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H

#include <stddef.h>

#include "base/client.h"
#include "conf/clients.h"
#include "password/pbkdf2.h"

#define CONFIG_STR_MAX	256

/* db_hosts: the database servers tried in turn (a Galera cluster's
 * nodes), each a TCP host with a port or a Unix socket path. */
#define DB_HOSTS_MAX	8
struct db_host {
	char		name[CONFIG_STR_MAX];	/* host name/address, or socket path */
	unsigned	port;			/* 0 for a socket */
};
struct db_hosts {
	int		n;			/* 0: the option file's host */
	struct db_host	host[DB_HOSTS_MAX];
};

struct config {
	unsigned long		pbkdf2_iterations;
	enum pbkdf2_engine	pbkdf2_engine;
	long			access_token_lifetime;	/* seconds */
	long			refresh_token_lifetime;	/* seconds */
	long			code_lifetime;		/* seconds, admin issue-code */
	char			client_id[CONFIG_STR_MAX];
	char			scope[CONFIG_STR_MAX];
	size_t			max_body_bytes;
	long			retry_after;		/* seconds, 503 answers */
	char			mysql_option_file[CONFIG_STR_MAX];
	char			mysql_option_group[CONFIG_STR_MAX];
	long			db_connect_timeout;	/* seconds */
	long			db_read_timeout;	/* seconds */
	long			db_write_timeout;	/* seconds */
	int			db_retries;		/* deadlock / lock wait */
	struct db_hosts		db_hosts;
	int			attempt_limit;		/* failed codes per window, 0 = off */
	long			attempt_window;		/* seconds */
	int			attempt_batch;		/* failures written together */
	struct proxies		trusted_proxies;
	char			proxy_header[CONFIG_STR_MAX]; /* CGI name: HTTP_... */
	int			seccomp;		/* 1: filter the workers */
	char			log_file[CONFIG_STR_MAX]; /* "": stderr */
	char			password_blocklist[CONFIG_STR_MAX]; /* "" = none */
	/* The recover endpoint and the mailer. */
	int			recover_limit;		/* requests per client and window, 0 = off */
	long			recover_window;		/* seconds */
	long			recover_account_interval; /* seconds between mails to one account */
	int			recover_account_daily_limit; /* mails per account, client and 24 h */
	int			recover_account_daily_ceiling; /* mails per account and 24 h */
	int			recover_network_limit;	/* per /24 or /48 and window */
	int			recover_provider_limit;	/* per /16 or /32 and window */
	int			notify_domain_daily_limit; /* notices per domain and 24 h */
	long			recover_retention;	/* seconds until addresses are wiped */
	int			notify_unknown_recipients; /* 1: mail unknown addresses */
	int			notify_password_changed; /* 1: the notice after a reset */
	char			notify_timezone[CONFIG_STR_MAX]; /* the notice's local time */
	char			support_url[CONFIG_STR_MAX];	/* "": reset_url */
	char			forgot_url[CONFIG_STR_MAX];	/* "": reset_url */
	char			reset_url[CONFIG_STR_MAX];	/* "" until set */
	long			retention_events;	/* seconds events are kept */
	char			webhook_url[CONFIG_STR_MAX];	/* "": no webhooks */
	char			webhook_secret_file[CONFIG_STR_MAX]; /* "whsec_..." */
	char			webhook_ca_file[CONFIG_STR_MAX]; /* "": the system's */
	long			webhook_timeout;	/* seconds, one delivery */
	int			webhook_max_attempts;
	long			webhook_backoff;	/* seconds, first retry */
	char			mail_from[CONFIG_STR_MAX];	/* "" until set */
	char			mail_template_dir[CONFIG_STR_MAX];
	char			smtp_url[CONFIG_STR_MAX];
	int			smtp_require_tls;
	char			smtp_credentials_file[CONFIG_STR_MAX]; /* "" = no AUTH */
	char			smtp_ca_file[CONFIG_STR_MAX];	/* "" = the system's */
	long			smtp_connect_timeout;	/* seconds */
	long			smtp_timeout;		/* seconds, a whole message */
	/* The mailer's own database user and log ("" = the responder's
	 * option file and group; stderr). */
	char			mailer_mysql_option_file[CONFIG_STR_MAX];
	char			mailer_mysql_option_group[CONFIG_STR_MAX];
	char			mailer_log_file[CONFIG_STR_MAX];
	int			mailer_max_attempts;
	long			mailer_backoff;		/* seconds, first retry */
	long			mailer_poll_interval;	/* seconds, idle daemon */
	/* Retention (db_retention.c): seconds, 0 = keep for ever. */
	long			retention_codes;	/* after expiry or use */
	long			retention_tokens;	/* after expiry or revocation */
	long			retention_mail_queue;	/* after the request */
	long			purge_batch;		/* rows a DELETE */
	long			mailer_min_row_ms;	/* ms a row costs at least */
	/* The browser front ends on other origins (CORS), one space apart;
	 * "" (the default): the same origin only. */
	char			cors_origins[CONFIG_STR_MAX];
	/* The token endpoints (issue 21). */
	char			introspection_clients_file[CONFIG_STR_MAX]; /* "" = none */
	struct introspection_clients introspection_clients; /* read from it */
	int			token_attempt_limit;	/* failed refreshes/introspections per
							 * attempt_window, 0 = off */
};

/* The file used when neither --config nor ACCOUNT_RESET_CONFIG names one. */
const char *config_default_path(void);

/* Picks the path: explicit (may be NULL), else $ACCOUNT_RESET_CONFIG,
 * else config_default_path(). */
const char *config_choose_path(const char *explicit_path);

void config_defaults(struct config *cfg);

/* Cuts spaces and tabs from both ends of s (and a CR from its end), in
 * place; returns the first byte kept.  For "key = value" lines, here and
 * in the mailer's credentials file. */
char *config_trim(char *s);

/* Parses text (len bytes, need not be NUL-terminated) over the defaults.
 * On error returns -1 and writes "line N: key 'k': what is wrong" to err. */
int config_parse(const char *text, size_t len, struct config *cfg,
    char *err, size_t errlen);

/* Reads and parses path.  On error returns -1 and writes a message naming
 * the file, the line, the key and what is wrong to err. */
int config_load(const char *path, struct config *cfg, char *err,
    size_t errlen);

#endif
