/*
 * supervisor.c: the pre-forked workers and their keeper (see
 * supervisor.h).
 */
#include "ac-config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/fcgi.h"
#include "server/listen.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/metrics_http.h"
#include "base/strbuf.h"
#include "server/lockdown.h"
#include "password/policy.h"
#include "base/privsep.h"
#include "server/supervisor.h"

#define GRACE_SECONDS	30	/* in-flight requests before SIGKILL */

struct slot {
	pid_t	pid;
	time_t	started;
};

struct supervisor {
	const struct supervisor_opts	*opts;
	struct config			*cfg;
	int				 fd;
	struct slot			 slots[SUPERVISOR_MAX_WORKERS];
	pid_t				 retiring[SUPERVISOR_MAX_WORKERS * 4];
	size_t				 nretiring;
	struct metrics_http		*metrics;	/* or NULL */
	struct slot			 metrics_child;	/* serves it */
	int				 refused; /* a worker refused the schema */
};

/* Forks the worker of slot i (its metrics slot too). */
static pid_t
spawn_worker(struct supervisor *sv, int i)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_msg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		metrics_http_close_inherited(sv->metrics);
		metrics_bind_slot(i);
		if (privsep_drop(&sv->opts->privsep) == -1)
			_exit(3);
		_exit(fcgi_worker(sv->fd, sv->cfg));
	}
	return pid;
}

static int
live_workers(const struct supervisor *sv)
{
	int	i, n = (int)sv->nretiring;

	for (i = 0; i < sv->opts->workers; i++)
		if (sv->slots[i].pid > 0)
			n++;
	return n;
}

/* Starts what is missing: workers, and with --metrics the child that
 * serves the scrapes (the supervisor never reads one).  Then publishes
 * the gauges. */
static void
fill_slots(struct supervisor *sv)
{
	int	i;

	for (i = 0; i < sv->opts->workers; i++)
		if (sv->slots[i].pid <= 0) {
			sv->slots[i].pid = spawn_worker(sv, i);
			sv->slots[i].started = time(NULL);
		}
	if (sv->metrics != NULL && sv->metrics_child.pid <= 0) {
		sv->metrics_child.pid = metrics_http_spawn(sv->metrics, sv->fd,
		    &sv->opts->privsep, sv->cfg->seccomp);
		sv->metrics_child.started = time(NULL);
	}
	metrics_workers(sv->opts->workers,
	    live_workers(sv) - (int)sv->nretiring);
}

/* Removes pid from the retiring list; 1 when it was there. */
static int
retired(struct supervisor *sv, pid_t pid)
{
	size_t	j;

	for (j = 0; j < sv->nretiring; j++)
		if (sv->retiring[j] == pid) {
			sv->retiring[j] = sv->retiring[--sv->nretiring];
			return 1;
		}
	return 0;
}

/* Reaps exited children; a worker that died in service is replaced (after
 * a pause if it died young, so a broken setup does not spin). */
static void
reap(struct supervisor *sv, int stopping)
{
	pid_t	pid;
	int	i, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (retired(sv, pid))
			continue;
		if (pid == sv->metrics_child.pid) {
			sv->metrics_child.pid = 0;
			if (!stopping)
				log_msg("metrics server %ld ended (status "
				    "0x%x); replacing it", (long)pid, status);
			if (!stopping &&
			    time(NULL) - sv->metrics_child.started < 1)
				sleep(1);
			continue;
		}
		for (i = 0; i < sv->opts->workers; i++) {
			if (sv->slots[i].pid != pid)
				continue;
			sv->slots[i].pid = 0;
			if (stopping)
				break;
			if (WIFEXITED(status) &&
			    WEXITSTATUS(status) == EXIT_SCHEMA) {
				/* logged by the worker: no worker would serve */
				sv->refused = 1;
				break;
			}
			if (WIFSIGNALED(status))
				log_msg("worker %ld killed by signal %d; "
				    "replacing it", (long)pid, WTERMSIG(status));
			else
				log_msg("worker %ld exited with status %d; "
				    "replacing it", (long)pid,
				    WEXITSTATUS(status));
			metrics_worker_restarted();
			if (time(NULL) - sv->slots[i].started < 1)
				sleep(1);
			break;
		}
	}
}

/* Stops the metrics child, if any, and waits for it. */
static void
stop_metrics_child(struct supervisor *sv)
{
	if (sv->metrics_child.pid <= 0)
		return;
	kill(sv->metrics_child.pid, SIGTERM);
	(void)waitpid(sv->metrics_child.pid, NULL, 0);
	sv->metrics_child.pid = 0;
}

/* SIGHUP: a new configuration, new workers, and the old ones told to
 * finish what they hold.  The socket stays open throughout, so no
 * connection is refused. */
static void
reload(struct supervisor *sv)
{
	struct config	next;
	char		err[512];
	int		i;

	if (sv->nretiring + (size_t)sv->opts->workers >
	    sizeof(sv->retiring) / sizeof(pid_t)) {
		log_msg("reload refused: too many workers still finishing");
		return;
	}
	/* The blocklist is replaced only when the new one loads, and only
	 * once everything else about the new configuration has passed. */
	if (config_load(sv->opts->config_path, &next, err, sizeof(err)) == -1 ||
	    privsep_check_readable(&sv->opts->privsep, "mysql_option_file",
	    next.mysql_option_file, err, sizeof(err)) == -1 ||
	    log_open_file(next.log_file, err, sizeof(err)) == -1 ||
	    policy_load(next.password_blocklist, 0, err, sizeof(err)) == -1) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		return;
	}
	if (next.password_blocklist[0] != '\0') {
		policy_describe(err, sizeof(err));
		log_msg("%s", err);
	}
	*sv->cfg = next;
	for (i = 0; i < sv->opts->workers; i++) {
		if (sv->slots[i].pid > 0) {
			kill(sv->slots[i].pid, SIGTERM);
			sv->retiring[sv->nretiring++] = sv->slots[i].pid;
		}
		sv->slots[i].pid = 0;
	}
	/* A new metrics child too: it takes the new log file and the
	 * seccomp setting (the socket stays open in the supervisor). */
	stop_metrics_child(sv);
	fill_slots(sv);
	log_msg("configuration reloaded from %s", sv->opts->config_path);
}

/* Sends sig to every worker that should stop (all when all is set, else
 * only the retiring ones): repeated, a SIGTERM wakes one that was between
 * two requests when the first came. */
static void
signal_workers(struct supervisor *sv, int all, int sig)
{
	size_t	j;
	int	i;

	for (j = 0; j < sv->nretiring; j++)
		kill(sv->retiring[j], sig);
	if (all)
		for (i = 0; i < sv->opts->workers; i++)
			if (sv->slots[i].pid > 0)
				kill(sv->slots[i].pid, sig);
}

/* The next signal, or -1 after about a second without one. */
static int
next_signal(const sigset_t *set)
{
	struct timespec	tick = { 1, 0 };

	return sigtimedwait(set, NULL, &tick);
}

static int
supervise(struct supervisor *sv)
{
	sigset_t	 set;
	time_t		 stop_at = 0;
	int		 sig, stopping = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a gone log reader must not kill us */
	log_msg("serving with %d workers", sv->opts->workers);
	fill_slots(sv);
	for (;;) {
		sig = next_signal(&set);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping)
				log_msg("stopping: finishing requests in "
				    "progress");
			stopping = 1;
			stop_at = time(NULL) + GRACE_SECONDS;
		} else if (sig == SIGHUP && !stopping)
			reload(sv);
		reap(sv, stopping);
		if (sv->refused && !stopping) {
			log_msg("stopping: the database's schema is not this "
			    "version's (run account-reset-admin migrate)");
			stopping = 1;
			stop_at = time(NULL) + GRACE_SECONDS;
		}
		if (stopping && live_workers(sv) == 0)
			break;
		if (stopping && time(NULL) >= stop_at) {
			log_msg("grace period over; killing workers");
			signal_workers(sv, 1, SIGKILL);
		}
		signal_workers(sv, stopping, SIGTERM);
		if (!stopping)
			fill_slots(sv);
		else
			metrics_workers(sv->opts->workers,
			    live_workers(sv) - (int)sv->nretiring);
	}
	stop_metrics_child(sv);
	listen_remove(sv->opts->listen_spec);
	metrics_http_free(sv->metrics);
	log_msg("stopped");
	return sv->refused ? 1 : 0;
}

/* A scrape of --metrics (served by the metrics child): the workers'
 * counters and the gauges, from shared memory. */
static void
expose(struct textbuf *t, void *arg)
{
	(void)arg;
	metrics_expose(t);
}

int
supervisor_run(const struct supervisor_opts *opts, struct config *cfg, int fd)
{
	struct supervisor	*sv;
	int			 rc;

	if (opts->workers < 1 || opts->workers > SUPERVISOR_MAX_WORKERS) {
		log_msg("--workers: 1 to %d", SUPERVISOR_MAX_WORKERS);
		return 1;
	}
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return 1;
	sv->opts = opts;
	sv->cfg = cfg;
	sv->fd = fd;
	if (opts->metrics_spec != NULL &&
	    (metrics_init(opts->workers) == -1 ||
	    (sv->metrics = metrics_http_open(opts->metrics_spec, expose,
	    NULL)) == NULL)) {
		free(sv);
		return 1;
	}
	rc = supervise(sv);
	free(sv);
	return rc;
}
