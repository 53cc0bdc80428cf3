/*
 * serve.c: the process models and the FastCGI accept loop.
 *
 * Start-up order, easy to audit: open the socket while privileged, fork
 * the workers, drop privileges in each worker, and only then open the
 * database and accept a request.  The supervisor keeps its privileges so
 * that SIGHUP can re-read a root-only configuration; it never reads a
 * request.  Only setup failures end a process; a failed request is
 * answered, logged and forgotten.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "db.h"
#include "log.h"
#include "reset.h"
#include "response.h"
#include "sandbox.h"
#include "secure.h"
#include "serve.h"

#define GRACE_SECONDS	30	/* in-flight requests before SIGKILL */
#define MAX_WORKERS	256

/* ------------------------------------------------------------ the I/O */

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* How much of the CGI body the request code read. */
struct cgi_input {
	size_t	consumed;
};

static ssize_t
cgi_read(void *ctx, char *buf, size_t n)
{
	struct cgi_input	*in = ctx;
	ssize_t			 r;

	do
		r = read(STDIN_FILENO, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0 && in != NULL)
		in->consumed += (size_t)r;
	return r;
}

#define DRAIN_MAX	(1024 * 1024)	/* bytes, at most */
#define DRAIN_WAIT_MS	1000		/* per read, at most */

/*
 * Reads and drops what is left of a CGI body after an early refusal (405,
 * 411, 413, 415): a CGI program that exits with its input unread makes
 * some servers (Apache's mod_cgid) reset the connection instead of sending
 * the answer.  Bounded in bytes and in time, since the server owes us no
 * end of input.
 */
static void
cgi_drain(const struct cgi_input *in)
{
	const char	*cl = getenv("CONTENT_LENGTH");
	char		 buf[8192];
	size_t		 left = DRAIN_MAX, declared;
	struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };
	ssize_t		 r;
	char		*end;

	if (cl != NULL && *cl != '\0') {
		declared = (size_t)strtoull(cl, &end, 10);
		if (*end != '\0' || declared <= in->consumed)
			return;
		if (declared - in->consumed < left)
			left = declared - in->consumed;
	}
	while (left > 0 && poll(&pfd, 1, DRAIN_WAIT_MS) == 1) {
		r = read(STDIN_FILENO, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (r <= 0)
			break;
		left -= (size_t)r;
	}
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	ssize_t	r;

	(void)ctx;
	while (n > 0) {
		r = write(STDOUT_FILENO, buf, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static ssize_t
fcgi_read(void *ctx, char *buf, size_t n)
{
	int	chunk = n > INT_MAX ? INT_MAX : (int)n;

	return FCGX_GetStr(buf, chunk, ((FCGX_Request *)ctx)->in);
}

static int
fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Stream	*out = ((FCGX_Request *)ctx)->out;

	if (n > INT_MAX || FCGX_PutStr(buf, (int)n, out) != (int)n)
		return -1;
	return 0;
}

/* ------------------------------------------------------ a worker */

/* Opens path for reading as the current user; 0, or -1 with errno. */
static int
try_read(const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* The engine this process hashes with: the configured one, unless the
 * fast engine disagrees with OpenSSL at start (then OpenSSL, logged). */
static enum pbkdf2_engine
checked_engine(const struct config *cfg)
{
	if (cfg->pbkdf2_engine != PBKDF2_ENGINE_FAST)
		return cfg->pbkdf2_engine;
	if (pbkdf2_self_test() == 0)
		return PBKDF2_ENGINE_FAST;
	log_msg("the fast PBKDF2 engine failed its self-test against "
	    "PKCS5_PBKDF2_HMAC; using openssl");
	return PBKDF2_ENGINE_OPENSSL;
}

int
serve_cgi(const struct config *cfg)
{
	struct reset_ctx	ctx = { .cfg = NULL };
	struct cgi_input	in = { 0 };
	struct io		io = { cgi_param, cgi_read, cgi_write, &in };
	int			status;

	ctx.cfg = cfg;
	if (try_read(cfg->mysql_option_file) == -1) {
		log_msg("configuration: mysql_option_file %s: cannot be read by "
		    "uid %ld: %s", cfg->mysql_option_file, (long)geteuid(),
		    strerror(errno));
		serve_cgi_unconfigured();
		return 1;
	}
	ctx.engine = checked_engine(cfg);
	if ((ctx.db = db_new(cfg)) == NULL) {
		log_msg("out of memory");
		return 1;
	}
	status = reset_handle(&ctx, &io);
	cgi_drain(&in);
	db_free(ctx.db);
	return status >= 500 && status != 503 ? 1 : 0;
}

void
serve_cgi_unconfigured(void)
{
	struct io	io = { cgi_param, cgi_read, cgi_write, NULL };
	struct outcome	why = { .error = API_SERVER_ERROR };

	respond_error(&io, &why, 0);
}

/* The seccomp filter, as the configuration asks.  -1 when it was asked
 * for and could not be installed: the worker then refuses to serve. */
static int
enter_sandbox(const struct config *cfg)
{
	if (!cfg->seccomp)
		return 0;
	switch (sandbox_enter()) {
	case SANDBOX_ON:
		return 0;
	case SANDBOX_UNAVAILABLE:
		log_msg("seccomp filter off: %s", sandbox_unavailable_reason());
		return 0;
	case SANDBOX_FAILED:
		break;
	}
	log_msg("the kernel refused the seccomp filter; not serving "
	    "(set seccomp = off to run without it)");
	return -1;
}

static volatile sig_atomic_t worker_stop;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	FCGX_ShutdownPending();
}

/* Serves FastCGI requests on fd until SIGTERM: a request in progress is
 * finished first.  Returns the exit status. */
static int
worker_loop(int fd, const struct config *cfg)
{
	struct sigaction	 sa;
	struct reset_ctx	 ctx = { .cfg = NULL };
	FCGX_Request		 req;
	struct io		 io = { fcgi_param, fcgi_read, fcgi_write, &req };
	sigset_t		 none, term;
	int			 sandboxed = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;	/* no SA_RESTART: accept returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	ctx.cfg = cfg;
	ctx.engine = checked_engine(cfg);
	if ((ctx.db = db_new(cfg)) == NULL || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&req, fd, 0) != 0) {
		log_msg("worker setup failed");
		db_free(ctx.db);
		return 1;
	}
	/*
	 * Socket and database open: from here on, only what serving needs.
	 * The first connection loads what the client library needs (its
	 * authentication plugin, NSS modules), so the filter waits for one:
	 * a database that is down now delays it to the first request that
	 * connects.
	 */
	if (db_open(ctx.db) != DB_OK)
		log_msg("database not reachable yet: %s", db_last_error(ctx.db));
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	for (;;) {
		if (!sandboxed && db_connected(ctx.db)) {
			if (enter_sandbox(cfg) == -1)
				break;
			sandboxed = 1;
		}
		if (worker_stop || FCGX_Accept_r(&req) < 0)
			break;
		/* A stop signal waits until the answer is out: libfcgi does
		 * not resume a read or write that a signal interrupts. */
		sigprocmask(SIG_BLOCK, &term, NULL);
		reset_handle(&ctx, &io);
		FCGX_Finish_r(&req);
		sigprocmask(SIG_UNBLOCK, &term, NULL);
	}
	FCGX_Free(&req, 0);
	db_free(ctx.db);
	return 0;
}

/* ------------------------------------------------- privileges, socket */

/* Drops to user (and group, or the user's group) when running as root. */
static int
drop_privileges(const struct serve_opts *opts)
{
	struct passwd	*pw;
	struct group	*gr;
	uid_t		 uid;
	gid_t		 gid;

	if (geteuid() != 0)
		return 0;
	if (opts->user == NULL) {
		if (opts->allow_root) {
			log_msg("serving requests as root (--allow-root)");
			return 0;
		}
		log_msg("refusing to serve requests as root: give --user "
		    "(or --allow-root, for containers)");
		return -1;
	}
	if ((pw = getpwnam(opts->user)) == NULL) {
		log_msg("--user %s: no such user", opts->user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (opts->group != NULL) {
		if ((gr = getgrnam(opts->group)) == NULL) {
			log_msg("--group %s: no such group", opts->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		log_msg("cannot drop privileges to %s: %s", opts->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		log_msg("privileges could be regained; refusing to serve");
		return -1;
	}
	/* A change of uid resets the dumpable flag to fs.suid_dumpable. */
	secure_process();
	return 0;
}

/*
 * The MySQL client library silently skips an option file it cannot read
 * and connects with its defaults: the option file must be readable by
 * the user that serves.  As root with --user, that is checked in a child
 * that drops privileges exactly as a worker does.
 */
int
serve_check_option_file(const struct serve_opts *opts,
    const struct config *cfg, char *err, size_t errlen)
{
	const char	*path = cfg->mysql_option_file;
	const char	*who = opts->user;
	pid_t		 pid;
	int		 p[2], e = 0, status;
	ssize_t		 r;

	if (geteuid() != 0 || opts->user == NULL) {
		if (try_read(path) == 0)
			return 0;
		e = errno;
		snprintf(err, errlen, "mysql_option_file %s: cannot be read "
		    "by uid %ld: %s", path, (long)geteuid(), strerror(e));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		snprintf(err, errlen, "checking mysql_option_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (drop_privileges(opts) == -1)
			e = -1;
		else if (try_read(path) == -1)
			e = errno;
		if (write(p[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	do
		r = read(p[0], &e, sizeof(e));
	while (r == -1 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof(e) || e == -1) {
		snprintf(err, errlen, "cannot check mysql_option_file %s as "
		    "user %s (dropping privileges failed)", path, who);
		return -1;
	}
	if (e == 0)
		return 0;
	snprintf(err, errlen, "mysql_option_file %s: cannot be read by user "
	    "%s: %s (the workers read it after dropping privileges; e.g. "
	    "chgrp %s and chmod 0640)", path, who, strerror(e),
	    opts->group ? opts->group : who);
	return -1;
}

/* Opens "unix:/path" or "host:port" (IPv4, or [IPv6]:port) for listening. */
static int
open_listener(const struct serve_opts *opts)
{
	const char		*spec = opts->listen;
	struct sockaddr_un	 un;
	struct addrinfo		 hints, *ai = NULL;
	char			 host[256];
	const char		*colon, *port;
	struct group		*sgr;
	struct stat		 st;
	size_t			 hl;
	int			 fd = -1, one = 1, e;

	if (strncmp(spec, "unix:", 5) == 0) {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof(un.sun_path) || spec[5] != '/') {
			log_msg("--listen %s: not an absolute socket path", spec);
			return -1;
		}
		strcpy(un.sun_path, spec + 5);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			goto err;
		/* Replace a stale socket, never anything else. */
		if (lstat(un.sun_path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				log_msg("--listen %s: exists and is not a socket",
				    spec);
				close(fd);
				return -1;
			}
			unlink(un.sun_path);
		}
		if (bind(fd, (struct sockaddr *)&un, sizeof(un)) == -1 ||
		    chmod(un.sun_path, opts->socket_mode) == -1)
			goto err;
		if (opts->socket_group != NULL) {
			if ((sgr = getgrnam(opts->socket_group)) == NULL) {
				log_msg("--socket-group %s: no such group",
				    opts->socket_group);
				close(fd);
				return -1;
			}
			if (chown(un.sun_path, (uid_t)-1, sgr->gr_gid) == -1)
				goto err;
		}
	} else {
		if ((colon = strrchr(spec, ':')) == NULL || colon == spec) {
			log_msg("--listen %s: expected unix:/path or host:port",
			    spec);
			return -1;
		}
		hl = (size_t)(colon - spec);
		if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
			spec++;
			hl -= 2;
		}
		if (hl >= sizeof(host)) {
			log_msg("--listen: host too long");
			return -1;
		}
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((e = getaddrinfo(host, port, &hints, &ai)) != 0) {
			log_msg("--listen %s: %s", opts->listen,
			    gai_strerror(e));
			return -1;
		}
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			goto err;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
			goto err;
		freeaddrinfo(ai);
		ai = NULL;
	}
	if (listen(fd, opts->backlog) == -1)
		goto err;
	return fd;
err:
	log_msg("--listen %s: %s", opts->listen, strerror(errno));
	if (ai != NULL)
		freeaddrinfo(ai);
	if (fd != -1)
		close(fd);
	return -1;
}

/* systemd socket activation: the one socket passed as fd 3, or -1. */
static int
systemd_socket(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return -1;
	if (strcmp(fds, "1") != 0) {
		log_msg("LISTEN_FDS=%s: expected exactly one socket", fds);
		return -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

int
serve_is_fastcgi(void)
{
	const char	*pid = getenv("LISTEN_PID");

	if (pid != NULL && strtol(pid, NULL, 10) == getpid())
		return 1;
	return !FCGX_IsCGI();
}

/* --------------------------------------------------------- supervisor */

struct slot {
	pid_t	pid;
	time_t	started;
};

struct supervisor {
	const struct serve_opts	*opts;
	struct config		*cfg;
	int			 fd;
	struct slot		 slots[MAX_WORKERS];
	pid_t			 retiring[MAX_WORKERS * 4];
	size_t			 nretiring;
};

static pid_t
spawn_worker(struct supervisor *sv)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_msg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (drop_privileges(sv->opts) == -1)
			_exit(3);
		_exit(worker_loop(sv->fd, sv->cfg));
	}
	return pid;
}

static void
fill_slots(struct supervisor *sv)
{
	int	i;

	for (i = 0; i < sv->opts->workers; i++)
		if (sv->slots[i].pid <= 0) {
			sv->slots[i].pid = spawn_worker(sv);
			sv->slots[i].started = time(NULL);
		}
}

/* Reaps exited children; a worker that died in service is replaced (after
 * a pause if it died young, so a broken setup does not spin). */
static void
reap(struct supervisor *sv, int stopping)
{
	pid_t	pid;
	size_t	j;
	int	i, status, found;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		found = 0;
		for (j = 0; j < sv->nretiring; j++)
			if (sv->retiring[j] == pid) {
				sv->retiring[j] = sv->retiring[--sv->nretiring];
				found = 1;
				break;
			}
		if (found)
			continue;
		for (i = 0; i < sv->opts->workers; i++) {
			if (sv->slots[i].pid != pid)
				continue;
			sv->slots[i].pid = 0;
			if (stopping)
				break;
			if (WIFSIGNALED(status))
				log_msg("worker %ld killed by signal %d; "
				    "replacing it", (long)pid, WTERMSIG(status));
			else
				log_msg("worker %ld exited with status %d; "
				    "replacing it", (long)pid,
				    WEXITSTATUS(status));
			if (time(NULL) - sv->slots[i].started < 1)
				sleep(1);
			break;
		}
	}
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
	if (config_load(sv->opts->config_path, &next, err, sizeof(err)) == -1) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		return;
	}
	if (serve_check_option_file(sv->opts, &next, err, sizeof(err)) == -1) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		return;
	}
	if (log_open_file(next.log_file, err, sizeof(err)) == -1) {
		log_msg("reload refused, keeping the running configuration: %s",
		    err);
		return;
	}
	*sv->cfg = next;
	for (i = 0; i < sv->opts->workers; i++) {
		if (sv->slots[i].pid > 0) {
			kill(sv->slots[i].pid, SIGTERM);
			sv->retiring[sv->nretiring++] = sv->slots[i].pid;
		}
		sv->slots[i].pid = 0;
	}
	fill_slots(sv);
	log_msg("configuration reloaded from %s", sv->opts->config_path);
}

/* Repeats SIGTERM to every worker that should stop: one that was between
 * two requests when the first one came is then woken in accept(). */
static void
nudge(struct supervisor *sv, int all)
{
	size_t	j;
	int	i;

	for (j = 0; j < sv->nretiring; j++)
		kill(sv->retiring[j], SIGTERM);
	if (all)
		for (i = 0; i < sv->opts->workers; i++)
			if (sv->slots[i].pid > 0)
				kill(sv->slots[i].pid, SIGTERM);
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

static int
supervise(struct supervisor *sv)
{
	struct timespec	 tick = { 1, 0 };
	sigset_t	 set;
	time_t		 stop_at = 0;
	int		 sig, stopping = 0;
	int		 i;

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
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping)
				log_msg("stopping: finishing requests in "
				    "progress");
			stopping = 1;
			stop_at = time(NULL) + GRACE_SECONDS;
		} else if (sig == SIGHUP && !stopping)
			reload(sv);
		reap(sv, stopping);
		if (stopping && live_workers(sv) == 0)
			break;
		if (stopping && time(NULL) >= stop_at) {
			log_msg("grace period over; killing workers");
			for (i = 0; i < sv->opts->workers; i++)
				if (sv->slots[i].pid > 0)
					kill(sv->slots[i].pid, SIGKILL);
			for (size_t j = 0; j < sv->nretiring; j++)
				kill(sv->retiring[j], SIGKILL);
		}
		nudge(sv, stopping);
		if (!stopping)
			fill_slots(sv);
	}
	if (sv->opts->listen != NULL && strncmp(sv->opts->listen, "unix:", 5) == 0)
		unlink(sv->opts->listen + 5);
	log_msg("stopped");
	return 0;
}

int
serve_fastcgi(const struct serve_opts *opts, struct config *cfg)
{
	struct supervisor	*sv;
	char			 err[512];
	int			 fd, rc;

	/* Refuse a root start without --user before opening anything. */
	if (geteuid() == 0 && opts->user == NULL && !opts->allow_root) {
		log_msg("refusing to serve requests as root: give --user "
		    "(or --allow-root, for containers)");
		return 1;
	}
	if (geteuid() == 0 && opts->user != NULL && getpwnam(opts->user) == NULL) {
		log_msg("--user %s: no such user", opts->user);
		return 1;
	}
	if (serve_check_option_file(opts, cfg, err, sizeof(err)) == -1) {
		log_msg("refusing to start: %s", err);
		return 1;
	}
	if (opts->listen != NULL)
		fd = open_listener(opts);
	else if ((fd = systemd_socket()) == -1)
		fd = 0;	/* spawn-fcgi, cgi-fcgi -start: stdin listens */
	if (fd == -1)
		return 1;

	if (opts->workers <= 0) {
		/* One responder; spawn-fcgi -F or the web server runs more. */
		if (drop_privileges(opts) == -1)
			return 1;
		return worker_loop(fd, cfg);
	}
	if (opts->workers > MAX_WORKERS) {
		log_msg("--workers: at most %d", MAX_WORKERS);
		return 1;
	}
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return 1;
	sv->opts = opts;
	sv->cfg = cfg;
	sv->fd = fd;
	rc = supervise(sv);
	free(sv);
	return rc;
}
