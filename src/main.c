/*
 * main.c: account-reset, the responder.  Reads its options and its
 * configuration, then hands over to the process model the environment
 * calls for: CGI, a FastCGI responder on an inherited socket, or
 * pre-forked workers on a socket of its own (--listen).
 */
#include "ac-config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "secure.h"
#include "serve.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: account-reset [--config FILE] [--listen unix:/PATH|HOST:PORT]\n"
	    "                     [--workers N] [--user USER] [--group GROUP]\n"
	    "                     [--socket-mode MODE] [--socket-group GROUP]\n"
	    "                     [--allow-root]\n"
	    "       account-reset --check-config [--config FILE]\n"
	    "       account-reset --version\n"
	    "Without --listen it serves FastCGI on an inherited socket (spawn-fcgi,\n"
	    "cgi-fcgi -start, systemd) or, when there is none, one CGI request.\n");
}

/* A decimal in [min, max] from an option; exits on anything else. */
static long
number_arg(const char *opt, const char *s, long min, long max, int base)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, base);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "account-reset: %s %s: expected a number from "
		    "%ld to %ld\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char *argv[])
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
		{ NULL, 0, NULL, 0 }
	};
	struct serve_opts	 opts;
	struct config		 cfg;
	char			 err[512];
	const char		*explicit_config = NULL;
	long			 ncpu;
	int			 ch, check_only = 0, workers_given = 0;

	log_init("account-reset");
	secure_stdio();
	secure_process();
	memset(&opts, 0, sizeof(opts));
	opts.socket_mode = 0666;
	opts.backlog = 128;

	/* A CGI request is not ours to interpret as options: a query string
	 * without '=' may reach argv (RFC 3875 section 4.4). */
	if (getenv("GATEWAY_INTERFACE") != NULL && !serve_is_fastcgi())
		argc = 1;

	while ((ch = getopt_long(argc, argv, "c:l:w:u:g:m:G:RCVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			explicit_config = optarg;
			break;
		case 'l':
			opts.listen = optarg;
			break;
		case 'w':
			opts.workers = (int)number_arg("--workers", optarg, 1,
			    256, 10);
			workers_given = 1;
			break;
		case 'u':
			opts.user = optarg;
			break;
		case 'g':
			opts.group = optarg;
			break;
		case 'm':
			opts.socket_mode = (unsigned)number_arg("--socket-mode",
			    optarg, 0, 0777, 8);
			break;
		case 'G':
			opts.socket_group = optarg;
			break;
		case 'R':
			opts.allow_root = 1;
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

	opts.config_path = config_choose_path(explicit_config);
	if (config_load(opts.config_path, &cfg, err, sizeof(err)) == -1) {
		log_msg("configuration: %s", err);
		if (!check_only && !serve_is_fastcgi() && opts.listen == NULL)
			serve_cgi_unconfigured();	/* still owes an answer */
		return 1;
	}
	if (log_open_file(cfg.log_file, err, sizeof(err)) == -1) {
		log_msg("configuration: %s: %s", opts.config_path, err);
		return 1;
	}
	if (check_only) {
		/* Checked as the service user: --user when root. */
		if (serve_check_option_file(&opts, &cfg, err, sizeof(err)) == -1) {
			log_msg("configuration: %s: %s", opts.config_path, err);
			return 1;
		}
		printf("%s: OK\n", opts.config_path);
		return 0;
	}
	if (opts.listen != NULL && !workers_given) {
		/* Hashing is CPU-bound: one worker per CPU by default. */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		opts.workers = ncpu > 0 ? (int)(ncpu > 256 ? 256 : ncpu) : 1;
	}
	if (opts.listen != NULL || serve_is_fastcgi())
		return serve_fastcgi(&opts, &cfg);
	return serve_cgi(&cfg);
}
