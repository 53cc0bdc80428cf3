/*
 * test_config.c: the configuration file: defaults, every kind of value,
 * and refusals that name the line and the key.
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "conf/config.h"

static int
parse(const char *text, struct config *cfg, char *err, size_t errlen)
{
	config_defaults(cfg);
	return config_parse(text, strlen(text), cfg, err, errlen);
}

/* Refused, with a message that contains want. */
/* The defaults have no db_hosts. */
static int
cfg_default_hosts(void)
{
	struct config	cfg;

	config_defaults(&cfg);
	return cfg.db_hosts.n == 0;
}

static int
refused(const char *text, const char *want)
{
	struct config	cfg;
	char		err[512] = "";

	return parse(text, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, want) != NULL;
}

static void
test_parse(void)
{
	struct config	cfg;
	char		err[512];

	config_defaults(&cfg);
	ok(cfg.pbkdf2_iterations == 600000 && cfg.max_body_bytes == 8192 &&
	    cfg.access_token_lifetime == 3600 &&
	    strcmp(cfg.mysql_option_group, "account-reset") == 0,
	    "defaults are those documented");
	ok(parse("# comment\n\n  pbkdf2_iterations = 1000 \n"
	    "scope = read write\r\nclient_id=web\npbkdf2_engine = openssl\n",
	    &cfg, err, sizeof(err)) == 0, "a valid file parses");
	ok(cfg.pbkdf2_iterations == 1000, "numbers are read");
	ok(strcmp(cfg.scope, "read write") == 0, "text keeps inner spaces, "
	    "loses the CR and outer spaces");
	ok(strcmp(cfg.client_id, "web") == 0, "spaces around = are optional");
	ok(cfg.pbkdf2_engine == PBKDF2_ENGINE_OPENSSL, "the engine is read");
	ok(refused("nope = 1\n", "line 1: unknown key 'nope'"),
	    "an unknown key is refused with its line");
	ok(refused("\n\npbkdf2_iterations = 999\n", "line 3: key "
	    "'pbkdf2_iterations'"), "a number below its range is refused");
	ok(refused("max_body_bytes = 99999999\n", "max_body_bytes"),
	    "a number above its range is refused");
	ok(refused("retry_after = 5s\n", "retry_after"),
	    "a number with junk is refused");
	ok(refused("retry_after = -5\n", "retry_after"),
	    "a negative number is refused");
	ok(refused("retry_after =\n", "retry_after"), "an empty number is refused");
	ok(refused("pbkdf2_engine = md5\n", "pbkdf2_engine"),
	    "an unknown engine is refused");
	ok(refused("client_id = a\"b\n", "client_id"),
	    "a quote in a text value is refused");
	ok(refused("mysql_option_file = relative/my.cnf\n", "absolute"),
	    "a relative option file path is refused");
	ok(refused("just words\n", "line 1"), "a line without = is refused");
	ok(parse("trusted_proxies = 10.0.0.0/8, ::1\nproxy_header = X-Real-IP\n"
	    "seccomp = off\n", &cfg, err, sizeof(err)) == 0 &&
	    cfg.trusted_proxies.count == 2 &&
	    strcmp(cfg.proxy_header, "HTTP_X_REAL_IP") == 0 && cfg.seccomp == 0,
	    "proxies, the proxy header (as its CGI name) and seccomp parse");
	ok(refused("trusted_proxies = 10.0.0.0/99\n", "trusted_proxies"),
	    "a bad proxy prefix is refused");
	ok(refused("proxy_header = X_Forwarded\n", "proxy_header"),
	    "a header name with an underscore is refused");
	ok(refused("seccomp = yes\n", "seccomp"), "seccomp takes on or off");
	ok(refused("access_token_lifetime = 7200\nrefresh_token_lifetime = 3600\n",
	    "refresh_token_lifetime"),
	    "a refresh lifetime shorter than the access lifetime is refused");
	ok(parse("db_hosts = 10.0.0.1:3307, db2.example  [fd00::3]:3308,"
	    "/run/mysqld/mysqld.sock\n", &cfg, err, sizeof(err)) == 0 &&
	    cfg.db_hosts.n == 4 &&
	    strcmp(cfg.db_hosts.host[0].name, "10.0.0.1") == 0 &&
	    cfg.db_hosts.host[0].port == 3307 &&
	    strcmp(cfg.db_hosts.host[1].name, "db2.example") == 0 &&
	    cfg.db_hosts.host[1].port == 3306 &&
	    strcmp(cfg.db_hosts.host[2].name, "fd00::3") == 0 &&
	    cfg.db_hosts.host[2].port == 3308 &&
	    strcmp(cfg.db_hosts.host[3].name, "/run/mysqld/mysqld.sock") == 0 &&
	    cfg.db_hosts.host[3].port == 0,
	    "db_hosts: host:port, host (port 3306), [v6]:port and a socket, "
	    "in order, separated by commas and spaces");
	ok(cfg_default_hosts(), "db_hosts is unset by default (the option "
	    "file's host)");
	ok(refused("db_hosts = db1:0\n", "db_hosts"), "a port 0 is refused");
	ok(refused("db_hosts = db1:65536\n", "db_hosts"),
	    "a port over 65535 is refused");
	ok(refused("db_hosts = db1:33x\n", "db_hosts"),
	    "a port with junk is refused");
	ok(refused("db_hosts = fd00::1\n", "db_hosts"),
	    "an IPv6 address without brackets is refused");
	ok(refused("db_hosts = db;1\n", "db_hosts"),
	    "a host name with other characters is refused");
	ok(refused("db_hosts = ,\n", "db_hosts"), "a list of no host is refused");
	ok(refused("db_hosts = a b c d e f g h i\n", "db_hosts"),
	    "more than 8 hosts are refused");
	ok(refused("# x\nretry_after = 5\n\nretry_after = 6\n",
	    "line 4: key 'retry_after' is already set on line 2"),
	    "a key given twice is refused, naming both lines");
	ok(refused("seccomp = on\nseccomp = on\n", "already set on line 1"),
	    "a key given twice is refused even with the same value");
}

static void
test_load(void)
{
	struct config	cfg;
	char		dir[] = "/tmp/test_config.XXXXXX", path[256], opt[256];
	char		err[1024], text[512];
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/ar.conf", dir);
	snprintf(opt, sizeof(opt), "%s/my.cnf", dir);
	snprintf(text, sizeof(text), "mysql_option_file = %s\n", opt);

	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, path) != NULL, "a missing file is refused by name");

	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "mysql_option_file") != NULL,
	    "a missing option file is refused, naming the key");

	f = fopen(opt, "w");
	fputs("[account-reset]\nuser=x\n", f);
	fclose(f);
	chmod(opt, 0600);
	ok(config_load(path, &cfg, err, sizeof(err)) == 0,
	    "a good file with a private option file loads");
	chmod(opt, 0666);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by others") != NULL,
	    "an option file writable by others is refused");
	chmod(opt, 0644);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, opt) != NULL && strstr(err, "0644") != NULL &&
	    strstr(err, "readable by others") != NULL &&
	    strstr(err, "chmod 0640") != NULL,
	    "an option file others can read (0644) is refused, naming the file, "
	    "its mode and the mode to set (issue 19, point 7)");
	chmod(opt, 0660);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by its group") != NULL,
	    "an option file its group can write is refused");
	chmod(opt, 0640);
	ok(config_load(path, &cfg, err, sizeof(err)) == 0,
	    "an option file its group (the service's) can read loads");
	chmod(opt, 0600);
	chmod(path, 0666);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by others") != NULL,
	    "a configuration writable by others is refused");
	chmod(path, 0664);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, path) != NULL && strstr(err, "0664") != NULL &&
	    strstr(err, "writable by its group") != NULL &&
	    strstr(err, "chmod 0640") != NULL,
	    "a configuration its group can write (0664) is refused, naming the "
	    "file, its mode and the mode to set (issue 19, point 7)");
	chmod(path, 0644);

	/* The mailer's own option file gets the same checks. */
	f = fopen(path, "a");
	fprintf(f, "mailer_mysql_option_file = %s/mailer.cnf\n", dir);
	fclose(f);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "mailer_mysql_option_file") != NULL,
	    "a missing mailer_mysql_option_file is refused, naming the key");
	snprintf(text, sizeof(text), "%s/mailer.cnf", dir);
	f = fopen(text, "w");
	fputs("[account-reset-mailer]\nuser=m\n", f);
	fclose(f);
	chmod(text, 0640);
	ok(config_load(path, &cfg, err, sizeof(err)) == 0 &&
	    strcmp(cfg.mailer_mysql_option_group, "account-reset-mailer") == 0,
	    "mailer_mysql_option_file loads; its group defaults to "
	    "account-reset-mailer");
	chmod(text, 0646);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "mailer_mysql_option_file") != NULL &&
	    strstr(err, "writable by others") != NULL,
	    "a mailer option file writable by others is refused");
	chmod(text, 0644);
	ok(config_load(path, &cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "mailer_mysql_option_file") != NULL &&
	    strstr(err, "readable by others") != NULL,
	    "a mailer option file readable by others is refused");
	unlink(text);
	unlink(path);
	unlink(opt);
	rmdir(dir);

	setenv("ACCOUNT_RESET_CONFIG", "/x/y.conf", 1);
	ok(strcmp(config_choose_path(NULL), "/x/y.conf") == 0,
	    "ACCOUNT_RESET_CONFIG names the file");
	ok(strcmp(config_choose_path("/a.conf"), "/a.conf") == 0,
	    "--config wins over the environment");
	unsetenv("ACCOUNT_RESET_CONFIG");
	ok(strcmp(config_choose_path(NULL), config_default_path()) == 0,
	    "otherwise the default path is used");
}

/* The shipped example (made from its .in file with the configured
 * sysconfdir) must be a valid configuration as it stands, and every value
 * it shows must be the built default. */
static void
test_example(void)
{
	struct config	 cfg, defaults;
	const char	*builddir = getenv("AR_BUILDDIR");
	char		 path[1024], text[16384], err[512];
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/conf/account-reset.conf.example",
	    builddir ? builddir : ".");
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "conf/account-reset.conf.example can be read (%s)", path);
		return;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	config_defaults(&cfg);
	ok(config_parse(text, n, &cfg, err, sizeof(err)) == 0,
	    "conf/account-reset.conf.example parses as it is");
	ok(cfg.attempt_limit == 10 && cfg.seccomp == 1 &&
	    cfg.trusted_proxies.count == 0 &&
	    strcmp(cfg.proxy_header, "HTTP_X_FORWARDED_FOR") == 0,
	    "the example's values are the defaults");
	config_defaults(&defaults);
	ok(strcmp(cfg.mysql_option_file, defaults.mysql_option_file) == 0,
	    "the example's mysql_option_file is the built default (%s)",
	    defaults.mysql_option_file);
	ok(memcmp(&cfg, &defaults, sizeof(cfg)) == 0,
	    "every value in the example is the built default");
	ok(cfg.mailer_mysql_option_file[0] == '\0' &&
	    cfg.mailer_log_file[0] == '\0',
	    "by default the mailer uses the responder's option file and "
	    "logs to stderr");

	/* README section 11 appends the mail keys to a copy of the example:
	 * none of them may be set there already (a key twice is refused). */
	if (n + 400 < sizeof(text)) {
		static const char add[] = "reset_url = https://a.example/r\n"
		    "mail_from = no-reply@a.example\n"
		    "mailer_mysql_option_file = /etc/x/mailer.cnf\n"
		    "mail_template_dir = /x/mail\n"
		    "smtp_url = smtp://127.0.0.1:25\nsmtp_require_tls = off\n"
		    "smtp_credentials_file = /x/c\nsmtp_ca_file = /x/ca.pem\n"
		    "mailer_log_file = /x/m.log\nmailer_max_attempts = 3\n";
		memcpy(text + n, add, sizeof(add) - 1);
		config_defaults(&cfg);
		err[0] = '\0';
		ok(config_parse(text, n + sizeof(add) - 1, &cfg, err,
		    sizeof(err)) == 0, "the mail keys appended to the example "
		    "parse (the example sets none of them): %s", err);
	}
}

/* cors_origins: exact origins or nothing. */
static void
test_cors_origins(void)
{
	struct config	cfg;
	char		err[512];

	config_defaults(&cfg);
	ok(cfg.cors_origins[0] == '\0',
	    "cors_origins is empty by default: the same origin only");
	ok(parse("cors_origins = https://app.example, http://127.0.0.1:8080"
	    "  https://x-y.example:443\n", &cfg, err, sizeof(err)) == 0 &&
	    strcmp(cfg.cors_origins, "https://app.example "
	    "http://127.0.0.1:8080 https://x-y.example:443") == 0,
	    "cors_origins takes origins apart by commas or spaces (%s)",
	    cfg.cors_origins);
	ok(refused("cors_origins = *\n", "not allowed"),
	    "cors_origins refuses \"*\"");
	ok(refused("cors_origins = null\n", "not allowed"),
	    "cors_origins refuses \"null\"");
	ok(refused("cors_origins = app.example\n", "http:// or https://"),
	    "cors_origins refuses an origin without a scheme");
	ok(refused("cors_origins = https://app.example/\n", "without a path"),
	    "cors_origins refuses a trailing slash");
	ok(refused("cors_origins = https://app.example/reset\n",
	    "without a path"), "cors_origins refuses a path");
	ok(refused("cors_origins = https://App.example\n", "lower case"),
	    "cors_origins refuses upper case (browsers send lower case)");
	ok(refused("cors_origins = https://app.example:\n", "port is empty"),
	    "cors_origins refuses an empty port");
	ok(refused("cors_origins = https://:8080\n", "no host"),
	    "cors_origins refuses an origin without a host");
	ok(refused("cors_origins = https://a.example\rX: y\n", "cors_origins"),
	    "cors_origins refuses anything that could end a header line");
}

int
main(void)
{
	test_example();
	test_parse();
	test_cors_origins();
	test_load();
	return done_testing();
}
