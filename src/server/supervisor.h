/*
 * supervisor.h: pre-forked FastCGI workers on one socket, kept running.
 * The supervisor keeps its privileges so that SIGHUP can re-read a
 * root-only configuration; it never reads a request: the FastCGI
 * requests go to the workers, and with --metrics the scrapes to a child
 * that has dropped privileges and entered the sandbox (metrics_http.h).
 */
#ifndef AR_SUPERVISOR_H
#define AR_SUPERVISOR_H

#include "conf/config.h"
#include "base/privsep.h"

#define SUPERVISOR_MAX_WORKERS	256

struct supervisor_opts {
	const char		*config_path;	/* re-read on SIGHUP */
	const char		*listen_spec;	/* removed at stop, or NULL */
	int			 workers;	/* 1 .. SUPERVISOR_MAX_WORKERS */
	struct privsep		 privsep;	/* what each worker drops to */
	const char		*metrics_spec;	/* --metrics address, or NULL */
};

/*
 * Forks opts->workers workers on the listening socket fd, each dropping
 * privileges and serving until told to stop; replaces workers that die
 * (after a pause if they die young), reloads on SIGHUP (new workers, the
 * old ones finish what they hold, the socket stays open throughout), and
 * on SIGTERM lets requests in progress finish, up to a grace period.
 * *cfg is replaced on a reload.  Returns the exit status.
 */
int supervisor_run(const struct supervisor_opts *opts, struct config *cfg,
    int fd);

#endif
