/*
 * config.h: the one configuration file, "key = value" lines.  Every key,
 * its default and its range are in conf/account-reset.conf.example.
 */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H

#include <stddef.h>

#include "client.h"
#include "pbkdf2.h"

#define CONFIG_STR_MAX	256

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
	int			attempt_limit;		/* failed codes per window, 0 = off */
	long			attempt_window;		/* seconds */
	struct proxies		trusted_proxies;
	char			proxy_header[CONFIG_STR_MAX]; /* CGI name: HTTP_... */
	int			seccomp;		/* 1: filter the workers */
	char			log_file[CONFIG_STR_MAX]; /* "": stderr */
	char			password_blocklist[CONFIG_STR_MAX]; /* "" = none */
};

/* The file used when neither --config nor ACCOUNT_RESET_CONFIG names one. */
const char *config_default_path(void);

/* Picks the path: explicit (may be NULL), else $ACCOUNT_RESET_CONFIG,
 * else config_default_path(). */
const char *config_choose_path(const char *explicit_path);

void config_defaults(struct config *cfg);

/* Parses text (len bytes, need not be NUL-terminated) over the defaults.
 * On error returns -1 and writes "line N: key 'k': what is wrong" to err. */
int config_parse(const char *text, size_t len, struct config *cfg,
    char *err, size_t errlen);

/* Reads and parses path.  On error returns -1 and writes a message naming
 * the file, the line, the key and what is wrong to err. */
int config_load(const char *path, struct config *cfg, char *err,
    size_t errlen);

#endif
