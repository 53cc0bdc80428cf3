/*
 * config.c: the configuration file.  Keys are rows of one table (name,
 * kind, where it goes, range), so a new key is a new row.  Numbers are
 * parsed with range checks; anything unknown or out of range is an error
 * that names the line and the key.
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/clients.h"
#include "conf/config.h"
#include "base/number.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CONFIG_FILE_MAX	(64 * 1024)

enum key_kind { KEY_LONG, KEY_ULONG, KEY_SIZE, KEY_INT, KEY_TEXT, KEY_PATH,
    KEY_ENGINE, KEY_BOOL, KEY_PROXIES, KEY_HEADER, KEY_OPT_PATH,
    KEY_HOSTS, KEY_ORIGINS };

struct key {
	const char	*name;
	enum key_kind	 kind;
	size_t		 offset;
	long long	 min, max;	/* numbers only */
};

#define K(name, kind, field, min, max) \
	{ name, kind, offsetof(struct config, field), min, max }

static const struct key keys[] = {
	K("pbkdf2_iterations", KEY_ULONG, pbkdf2_iterations, 1000, 100000000),
	K("pbkdf2_engine", KEY_ENGINE, pbkdf2_engine, 0, 0),
	K("access_token_lifetime", KEY_LONG, access_token_lifetime, 60, 31536000),
	K("refresh_token_lifetime", KEY_LONG, refresh_token_lifetime, 60, 31536000),
	K("code_lifetime", KEY_LONG, code_lifetime, 60, 604800),
	K("client_id", KEY_TEXT, client_id, 0, 0),
	K("scope", KEY_TEXT, scope, 0, 0),
	K("max_body_bytes", KEY_SIZE, max_body_bytes, 256, 1048576),
	K("retry_after", KEY_LONG, retry_after, 1, 3600),
	K("mysql_option_file", KEY_PATH, mysql_option_file, 0, 0),
	K("mysql_option_group", KEY_TEXT, mysql_option_group, 0, 0),
	K("db_connect_timeout", KEY_LONG, db_connect_timeout, 1, 3600),
	K("db_read_timeout", KEY_LONG, db_read_timeout, 1, 3600),
	K("db_write_timeout", KEY_LONG, db_write_timeout, 1, 3600),
	K("db_retries", KEY_INT, db_retries, 0, 10),
	K("db_hosts", KEY_HOSTS, db_hosts, 0, 0),
	K("attempt_limit", KEY_INT, attempt_limit, 0, 1000000),
	K("attempt_window", KEY_LONG, attempt_window, 10, 86400),
	K("attempt_batch", KEY_INT, attempt_batch, 1, 64),
	K("trusted_proxies", KEY_PROXIES, trusted_proxies, 0, 0),
	K("proxy_header", KEY_HEADER, proxy_header, 0, 0),
	K("seccomp", KEY_BOOL, seccomp, 0, 0),
	K("log_file", KEY_PATH, log_file, 0, 0),
	K("password_blocklist", KEY_OPT_PATH, password_blocklist, 0, 0),
	K("recover_limit", KEY_INT, recover_limit, 0, 1000000),
	K("recover_window", KEY_LONG, recover_window, 10, 86400),
	K("recover_account_interval", KEY_LONG, recover_account_interval, 0, 86400),
	K("recover_account_daily_limit", KEY_INT, recover_account_daily_limit, 1, 1000),
	K("recover_network_limit", KEY_INT, recover_network_limit, 0, 100000000),
	K("recover_account_daily_ceiling", KEY_INT, recover_account_daily_ceiling, 1, 10000),
	K("notify_domain_daily_limit", KEY_INT, notify_domain_daily_limit, 1, 1000000),
	K("recover_retention", KEY_LONG, recover_retention, 86400, 31536000),
	K("notify_unknown_recipients", KEY_BOOL, notify_unknown_recipients, 0, 0),
	K("reset_url", KEY_TEXT, reset_url, 0, 0),
	K("mail_from", KEY_TEXT, mail_from, 0, 0),
	K("mail_template_dir", KEY_PATH, mail_template_dir, 0, 0),
	K("smtp_url", KEY_TEXT, smtp_url, 0, 0),
	K("smtp_require_tls", KEY_BOOL, smtp_require_tls, 0, 0),
	K("smtp_credentials_file", KEY_OPT_PATH, smtp_credentials_file, 0, 0),
	K("smtp_ca_file", KEY_OPT_PATH, smtp_ca_file, 0, 0),
	K("smtp_connect_timeout", KEY_LONG, smtp_connect_timeout, 1, 600),
	K("smtp_timeout", KEY_LONG, smtp_timeout, 1, 3600),
	K("mailer_mysql_option_file", KEY_OPT_PATH, mailer_mysql_option_file, 0, 0),
	K("mailer_mysql_option_group", KEY_TEXT, mailer_mysql_option_group, 0, 0),
	K("mailer_log_file", KEY_OPT_PATH, mailer_log_file, 0, 0),
	K("mailer_max_attempts", KEY_INT, mailer_max_attempts, 1, 100),
	K("mailer_backoff", KEY_LONG, mailer_backoff, 1, 86400),
	K("mailer_poll_interval", KEY_LONG, mailer_poll_interval, 1, 3600),
	K("mailer_min_row_ms", KEY_LONG, mailer_min_row_ms, 0, 10000),
	K("cors_origins", KEY_ORIGINS, cors_origins, 0, 0),
	K("introspection_clients_file", KEY_OPT_PATH, introspection_clients_file,
	    0, 0),
	K("token_attempt_limit", KEY_INT, token_attempt_limit, 0, 1000000),
};

const char *
config_default_path(void)
{
	return SYSCONFDIR "/account-reset/account-reset.conf";
}

const char *
config_choose_path(const char *explicit_path)
{
	const char	*env;

	if (explicit_path != NULL)
		return explicit_path;
	env = getenv("ACCOUNT_RESET_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return config_default_path();
}

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pbkdf2_iterations = 600000;
	cfg->pbkdf2_engine = pbkdf2_fast_available() ?
	    PBKDF2_ENGINE_FAST : PBKDF2_ENGINE_OPENSSL;
	cfg->access_token_lifetime = 3600;
	cfg->refresh_token_lifetime = 1209600;
	cfg->code_lifetime = 3600;
	snprintf(cfg->client_id, sizeof(cfg->client_id), "account-reset");
	snprintf(cfg->scope, sizeof(cfg->scope), "read write");
	cfg->max_body_bytes = 8192;
	cfg->retry_after = 5;
	snprintf(cfg->mysql_option_file, sizeof(cfg->mysql_option_file),
	    "%s/account-reset/my.cnf", SYSCONFDIR);
	snprintf(cfg->mysql_option_group, sizeof(cfg->mysql_option_group),
	    "account-reset");
	cfg->db_connect_timeout = 5;
	cfg->db_read_timeout = 10;
	cfg->db_write_timeout = 10;
	cfg->db_retries = 3;
	cfg->attempt_limit = 10;
	cfg->attempt_window = 900;
	cfg->attempt_batch = 8;
	snprintf(cfg->proxy_header, sizeof(cfg->proxy_header),
	    "HTTP_X_FORWARDED_FOR");
	cfg->seccomp = 1;
	cfg->recover_limit = 10;
	cfg->recover_window = 3600;
	cfg->recover_account_interval = 60;
	cfg->recover_account_daily_limit = 5;
	cfg->recover_account_daily_ceiling = 20;
	cfg->recover_network_limit = 100;
	cfg->notify_domain_daily_limit = 100;
	cfg->recover_retention = 604800;
	snprintf(cfg->mail_template_dir, sizeof(cfg->mail_template_dir),
	    "%s/account-reset/mail", SYSCONFDIR);
	snprintf(cfg->smtp_url, sizeof(cfg->smtp_url), "smtp://localhost:587");
	cfg->smtp_require_tls = 1;
	cfg->smtp_connect_timeout = 10;
	cfg->smtp_timeout = 60;
	snprintf(cfg->mailer_mysql_option_group,
	    sizeof(cfg->mailer_mysql_option_group), "account-reset-mailer");
	cfg->mailer_max_attempts = 8;
	cfg->mailer_backoff = 30;
	cfg->mailer_poll_interval = 2;
	cfg->mailer_min_row_ms = 50;
	cfg->token_attempt_limit = 10;
}

/* Printable ASCII without the JSON-special '"' and '\\': the value is
 * echoed in answers and stored in the database as it is. */
static int
valid_text(const char *s)
{
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return -1;
	return 0;
}

/* An HTTP header name as its CGI variable: X-Forwarded-For becomes
 * HTTP_X_FORWARDED_FOR.  NULL, or what is wrong. */
static const char *
header_to_cgi(const char *name, char *out, size_t outlen)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n + 6 > outlen)
		return "must be an HTTP header name";
	memcpy(out, "HTTP_", 5);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return "must be an HTTP header name (letters, digits, -)";
		out[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	}
	out[5 + n] = '\0';
	return NULL;
}

/* One db_hosts entry: "/path" (a Unix socket), "host", "host:port" or
 * "[v6-address]:port"; host names are letters, digits, '.', '-', '_'.
 * NULL, or what is wrong. */
static const char *
parse_db_host(const char *s, size_t len, struct db_host *h)
{
	const char	*host = s, *colon = NULL;
	size_t		 hlen = len, i;
	long long	 port = 3306;
	char		 num[8];

	if (len == 0 || len >= sizeof(h->name))
		return "an entry is empty or too long";
	if (s[0] == '/') {
		memcpy(h->name, s, len);
		h->name[len] = '\0';
		h->port = 0;
		return NULL;
	}
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || close == s + 1)
			return "an IPv6 address needs [address]:port";
		host = s + 1;
		hlen = (size_t)(close - host);
		for (i = 0; i < hlen; i++)
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
			    host[i] != '.')
				return "not an IPv6 address in [ ]";
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return "after [address] comes :port";
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		for (i = 0; i < hlen; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
			    s[i] != '-' && s[i] != '_')
				return "a host is a name or address (IPv6 in [ ]), "
				    "then an optional :port";
		if (hlen == 0)
			return "an entry has no host";
	}
	if (colon != NULL) {
		size_t plen = (size_t)(s + len - colon - 1);

		if (plen == 0 || plen >= sizeof(num))
			return "a port is a number from 1 to 65535";
		memcpy(num, colon + 1, plen);
		num[plen] = '\0';
		if (number_parse(num, 1, 65535, &port) == -1)
			return "a port is a number from 1 to 65535";
	}
	memcpy(h->name, host, hlen);
	h->name[hlen] = '\0';
	h->port = (unsigned)port;
	return NULL;
}

/* db_hosts: entries separated by commas and/or spaces, at most
 * DB_HOSTS_MAX.  NULL, or what is wrong. */
static const char *
parse_db_hosts(const char *value, struct db_hosts *hosts)
{
	const char	*p = value, *why;
	size_t		 n;

	memset(hosts, 0, sizeof(*hosts));
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (hosts->n == DB_HOSTS_MAX)
			return "too many hosts (at most 8)";
		if ((why = parse_db_host(p, n, &hosts->host[hosts->n])) != NULL)
			return why;
		hosts->n++;
		p += n;
	}
	if (hosts->n == 0)
		return "names no host";
	return NULL;
}

/*
 * cors_origins: exact origins (scheme://host[:port], lower case, no path),
 * separated by spaces or commas, stored one space apart.  "*" and "null"
 * are refused: an allow-list names the sites it trusts.
 */
static const char *
parse_origins(const char *value, char *out, size_t outlen)
{
	const char	*p = value, *host;
	size_t		 n, used = 0, i;
	int		 colon;

	out[0] = '\0';
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return NULL;
		n = strcspn(p, " \t,");
		if ((n == 1 && *p == '*') || (n == 4 && memcmp(p, "null", 4) == 0))
			return "lists exact origins such as https://app.example; "
			    "\"*\" and \"null\" are not allowed";
		if (n > 8 && memcmp(p, "https://", 8) == 0)
			host = p + 8;
		else if (n > 7 && memcmp(p, "http://", 7) == 0)
			host = p + 7;
		else
			return "each origin must start with http:// or https://";
		colon = 0;
		for (i = (size_t)(host - p); i < n; i++) {
			if (p[i] == ':' && !colon)
				colon = 1;
			else if (colon ? !(p[i] >= '0' && p[i] <= '9') :
			    !((p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
			    p[i] == '-'))
				return "each origin is scheme://host[:port] in "
				    "lower case, without a path or a slash";
		}
		if (p[n - 1] == ':')
			return "an origin's port is empty";
		if (*host == ':')
			return "an origin names no host";
		if (used + n + 2 > outlen)
			return "too long";
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, p, n);
		used += n;
		out[used] = '\0';
		p += n;
	}
}

/* Stores one value; returns NULL or what is wrong with it. */
static const char *
set_key(struct config *cfg, const struct key *k, const char *value)
{
	static char	 why[160];
	char		*field = (char *)cfg + k->offset;
	long long	 n;

	switch (k->kind) {
	case KEY_LONG:
	case KEY_ULONG:
	case KEY_SIZE:
	case KEY_INT:
		if (number_parse(value, k->min, k->max, &n) == -1)
			return "not a whole number in the allowed range";
		if (k->kind == KEY_LONG)
			*(long *)(void *)field = (long)n;
		else if (k->kind == KEY_ULONG)
			*(unsigned long *)(void *)field = (unsigned long)n;
		else if (k->kind == KEY_SIZE)
			*(size_t *)(void *)field = (size_t)n;
		else
			*(int *)(void *)field = (int)n;
		return NULL;
	case KEY_ENGINE:
		if (pbkdf2_engine_parse(value,
		    (enum pbkdf2_engine *)(void *)field) == -1)
			return "must be \"fast\" or \"openssl\"";
		if (*(enum pbkdf2_engine *)(void *)field == PBKDF2_ENGINE_FAST &&
		    !pbkdf2_fast_available())
			return "\"fast\" is not built in (see configure)";
		return NULL;
	case KEY_BOOL:
		if (strcmp(value, "on") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(value, "off") == 0)
			*(int *)(void *)field = 0;
		else
			return "must be \"on\" or \"off\"";
		return NULL;
	case KEY_PROXIES:
		if (client_parse_proxies(value, (struct proxies *)(void *)field,
		    why, sizeof(why)) == -1)
			return why;
		return NULL;
	case KEY_HEADER:
		return header_to_cgi(value, field, CONFIG_STR_MAX);
	case KEY_HOSTS:
		return parse_db_hosts(value, (struct db_hosts *)(void *)field);
	case KEY_ORIGINS:
		return parse_origins(value, field, CONFIG_STR_MAX);
	case KEY_TEXT:
	case KEY_PATH:
	case KEY_OPT_PATH:
		if (k->kind == KEY_OPT_PATH && *value == '\0') {
			*field = '\0';	/* empty: none */
			return NULL;
		}
		if (strlen(value) >= CONFIG_STR_MAX)
			return "too long";
		if (valid_text(value) == -1)
			return "must be printable ASCII without quotes or backslashes";
		if (k->kind != KEY_TEXT && value[0] != '/')
			return "must be an absolute path";
		memcpy(field, value, strlen(value) + 1);
		return NULL;
	}
	return "unknown kind";
}

char *
config_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Checks what the keys cannot check one at a time. */
static const char *
check_whole(const struct config *cfg)
{
	if (cfg->refresh_token_lifetime < cfg->access_token_lifetime)
		return "refresh_token_lifetime is shorter than access_token_lifetime";
	return NULL;
}

int
config_parse(const char *text, size_t len, struct config *cfg, char *err,
    size_t errlen)
{
	char		 line[1024], *p, *eq, *name, *value;
	const char	*end = text + len, *nl, *why;
	size_t		 i, n;
	unsigned	 lineno = 0;
	unsigned	 seen[sizeof(keys) / sizeof(keys[0])];	/* line, or 0 */

	memset(seen, 0, sizeof(seen));
	while (text < end) {
		lineno++;
		nl = memchr(text, '\n', (size_t)(end - text));
		n = (size_t)((nl ? nl : end) - text);
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %u: line too long", lineno);
			return -1;
		}
		if (memchr(text, '\0', n) != NULL) {
			snprintf(err, errlen, "line %u: NUL byte", lineno);
			return -1;
		}
		memcpy(line, text, n);
		line[n] = '\0';
		text += n + (nl ? 1 : 0);

		p = config_trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "line %u: expected \"key = value\"",
			    lineno);
			return -1;
		}
		*eq = '\0';
		name = config_trim(p);
		value = config_trim(eq + 1);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			snprintf(err, errlen, "line %u: unknown key '%.64s'",
			    lineno, name);
			return -1;
		}
		/* A second line for a key is a mistake whichever one was
		 * meant to win: refuse it, naming both. */
		if (seen[i] != 0) {
			snprintf(err, errlen, "line %u: key '%s' is already set "
			    "on line %u", lineno, name, seen[i]);
			return -1;
		}
		seen[i] = lineno;
		if ((why = set_key(cfg, &keys[i], value)) != NULL) {
			if (keys[i].kind != KEY_LONG && keys[i].kind != KEY_ULONG &&
			    keys[i].kind != KEY_SIZE && keys[i].kind != KEY_INT)
				snprintf(err, errlen, "line %u: key '%s': %s",
				    lineno, name, why);
			else
				snprintf(err, errlen,
				    "line %u: key '%s': %s (%lld .. %lld)",
				    lineno, name, why, keys[i].min, keys[i].max);
			return -1;
		}
	}
	if ((why = check_whole(cfg)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/* An option file named by key in the file path: it must exist, and
 * others may neither read nor write it.  0, or -1 with what is wrong in
 * err. */
static int
check_option_file(const char *path, const char *key, const char *file,
    char *err, size_t errlen)
{
	struct stat	st;

	if (stat(file, &st) == -1) {
		snprintf(err, errlen, "%s: key '%s': %s: %s", path, key, file,
		    strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		snprintf(err, errlen, "%s: key '%s': %s has mode %04o: %s by "
		    "%s; refusing it (chmod 0640 or 0600)", path, key, file,
		    (unsigned)(st.st_mode & 07777),
		    st.st_mode & (S_IWOTH | S_IWGRP) ? "writable" : "readable",
		    st.st_mode & (S_IROTH | S_IWOTH) ? "others" : "its group");
		return -1;
	}
	return 0;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char		*text = NULL, msg[512];
	struct stat	 st;
	ssize_t		 r;
	size_t		 len = 0;
	int		 fd, rc = -1;

	config_defaults(cfg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Whoever can write the config chooses the option file, the log
	 * and the limits: only its owner may (as ssh refuses a key file
	 * others can use). */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: mode %04o: writable by %s; refusing "
		    "it (chmod 0640 or 0600)", path,
		    (unsigned)(st.st_mode & 07777),
		    st.st_mode & S_IWOTH ? "others" : "its group");
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size &&
	    (r = read(fd, text + len, (size_t)st.st_size - len)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (config_parse(text, len, cfg, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	/* The option files hold database passwords: each must exist, and
	 * others may neither read nor write it (its group, the service's,
	 * may read it). */
	if (check_option_file(path, "mysql_option_file",
	    cfg->mysql_option_file, err, errlen) == -1 ||
	    (cfg->mailer_mysql_option_file[0] != '\0' &&
	    check_option_file(path, "mailer_mysql_option_file",
	    cfg->mailer_mysql_option_file, err, errlen) == -1))
		goto out;
	/* The introspection callers are read now, while privileged, like
	 * the rest of the configuration (a reload reads them again). */
	if (cfg->introspection_clients_file[0] != '\0' &&
	    clients_load(cfg->introspection_clients_file,
	    &cfg->introspection_clients, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s: key 'introspection_clients_file': %s",
		    path, msg);
		goto out;
	}
	rc = 0;
out:
	free(text);
	close(fd);
	return rc;
}
