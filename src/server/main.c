/*
 * main.c: account-reset, the responder.  Reads its options and its
 * configuration, then starts the process model the environment calls
 * for: one CGI request, a FastCGI responder on an inherited socket, or
 * pre-forked workers on a socket of its own (--listen).
 *
 * The start-up order, the same in every model:
 *   1. while privileged: the configuration, the checks that dropping
 *      privileges can succeed, the listening socket;
 *   2. drop privileges (each worker, or the one responder);
 *   3. lock down (lockdown.c: database connection or plugins, then
 *      NO_NEW_PRIVS and the seccomp filter);
 *   4. serve: the first byte of a request is read only now.
 */
#include "ac-config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "password/blocklist.h"
#include "server/cgi.h"
#include "conf/config.h"
#include "server/fcgi.h"
#include "server/listen.h"
#include "base/log.h"
#include "base/number.h"
#include "password/policy.h"
#include "base/privsep.h"
#include "base/secure.h"
#include "server/supervisor.h"

struct options {
	const char		*config;	/* --config, or NULL */
	struct listen_opts	 listen;
	struct supervisor_opts	 sup;		/* workers 0: no supervisor */
	int			 check_only;
	int			 workers_given;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: account-reset [--config FILE] [--listen unix:/PATH|HOST:PORT]\n"
	    "                     [--workers N] [--user USER] [--group GROUP]\n"
	    "                     [--socket-mode MODE] [--socket-group GROUP]\n"
	    "                     [--allow-root] [--metrics HOST:PORT|unix:/PATH]\n"
	    "       account-reset --check-config [--config FILE]\n"
	    "       account-reset --version\n"
	    "Without --listen it serves FastCGI on an inherited socket (spawn-fcgi,\n"
	    "cgi-fcgi -start, systemd) or, when there is none, one CGI request.\n");
}

/* A number in [min, max] from an option; exits on anything else. */
static long
number_arg(const char *opt, const char *s, int base, long min, long max)
{
	long long	v;

	if (number_parse_base(s, base, min, max, &v) == -1) {
		fprintf(stderr, "account-reset: %s %s: expected a%s number "
		    "from %ld to %ld\n", opt, s, base == 8 ? "n octal" : "",
		    min, max);
		exit(2);
	}
	return (long)v;
}

/* Parses argv into o; exits 0 for --help/--version, 2 for bad usage. */
static void
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "metrics", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	o->listen.socket_mode = LISTEN_DEFAULT_SOCKET_MODE;
	o->listen.backlog = 128;
	while ((ch = getopt_long(argc, argv, "c:l:w:u:g:m:G:RCVhP:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			o->listen.spec = optarg;
			break;
		case 'w':
			o->sup.workers = (int)number_arg("--workers", optarg,
			    10, 1, SUPERVISOR_MAX_WORKERS);
			o->workers_given = 1;
			break;
		case 'u':
			o->sup.privsep.user = optarg;
			break;
		case 'g':
			o->sup.privsep.group = optarg;
			break;
		case 'm':
			o->listen.socket_mode = (mode_t)number_arg(
			    "--socket-mode", optarg, 8, 0, 0777);
			break;
		case 'G':
			o->listen.socket_group = optarg;
			break;
		case 'R':
			o->sup.privsep.allow_root = 1;
			break;
		case 'C':
			o->check_only = 1;
			break;
		case 'P':
			o->sup.metrics_spec = optarg;
			break;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/* The FastCGI models, in the start-up order above.  Returns the exit
 * status. */
static int
serve_fastcgi(struct options *o, struct config *cfg)
{
	char	err[512];
	long	ncpu;
	int	fd;

	if (privsep_check(&o->sup.privsep) == -1)
		return 1;
	if (privsep_check_readable(&o->sup.privsep, "mysql_option_file",
	    cfg->mysql_option_file, err, sizeof(err)) == -1) {
		log_msg("refusing to start: %s", err);
		return 1;
	}
	if ((fd = listen_open(&o->listen)) == -1)
		return 1;
	if (o->listen.spec == NULL && !o->workers_given) {
		if (o->sup.metrics_spec != NULL) {
			log_msg("--metrics needs the supervisor: give --workers N "
			    "(or --listen)");
			return 1;
		}
		/* One responder; spawn-fcgi -F or the web server runs more. */
		if (privsep_drop(&o->sup.privsep) == -1)
			return 1;
		return fcgi_worker(fd, cfg);
	}
	if (!o->workers_given) {
		/* Hashing is CPU-bound: one worker per CPU by default. */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		o->sup.workers = ncpu < 1 ? 1 : ncpu > SUPERVISOR_MAX_WORKERS ?
		    SUPERVISOR_MAX_WORKERS : (int)ncpu;
	}
	o->sup.listen_spec = o->listen.spec;
	return supervisor_run(&o->sup, cfg, fd);
}

int
main(int argc, char *argv[])
{
	struct options	o;
	struct config	cfg;
	char		err[512];
	int		cgi, rc;

	log_init("account-reset");
	secure_stdio();
	secure_process();
	/* A CGI request is not ours to interpret as options: a query string
	 * without '=' may reach argv (RFC 3875 section 4.4). */
	cgi = !listen_is_fastcgi();
	if (getenv("GATEWAY_INTERFACE") != NULL && cgi)
		argc = 1;
	parse_options(argc, argv, &o);
	cgi = cgi && o.listen.spec == NULL;

	o.sup.config_path = config_choose_path(o.config);
	if (config_load(o.sup.config_path, &cfg, err, sizeof(err)) == -1) {
		log_msg("configuration: %s", err);
		if (!o.check_only && cgi)
			cgi_refuse_unconfigured();	/* still owes an answer */
		return 1;
	}
	/* Say where the log goes, on the stderr that may be the only place
	 * a person looks (not per CGI request: that would be every line). */
	if (cfg.log_file[0] != '\0' && !cgi && !o.check_only)
		log_msg("logging to %s", cfg.log_file);
	if (log_open_file(cfg.log_file, err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", o.sup.config_path, err);
		if (!o.check_only && cgi)
			cgi_refuse_unconfigured();
		return 1;
	}
	/* The blocklist is loaded here, once: before the supervisor forks,
	 * so that every worker shares it.  A CGI process maps a compact
	 * file without reading all of it (blocklist.h). */
	if (policy_load(cfg.password_blocklist, cgi && !o.check_only ? BLOCKLIST_TRUST_ORDER : 0,
	    err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", o.sup.config_path, err);
		if (!o.check_only && cgi)
			cgi_refuse_unconfigured();
		return 1;
	}
	policy_describe(err, sizeof(err));
	if (o.check_only) {
		/* Checked as the service user: --user when root. */
		if (privsep_check_readable(&o.sup.privsep, "mysql_option_file",
		    cfg.mysql_option_file, err, sizeof(err)) == -1) {
			log_msg("configuration: %s: %s", o.sup.config_path, err);
			return 1;
		}
		printf("%s: OK\n", o.sup.config_path);
		if (cfg.password_blocklist[0] != '\0')
			printf("%s\n", err);
		policy_unload();
		return 0;
	}
	if (!cgi && cfg.password_blocklist[0] != '\0')
		log_msg("%s", err);
	rc = cgi ? cgi_serve(&cfg) : serve_fastcgi(&o, &cfg);
	policy_unload();
	return rc;
}
