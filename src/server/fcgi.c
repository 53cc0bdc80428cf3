/*
 * fcgi.c: a FastCGI worker (see fcgi.h).
 */
#include "ac-config.h"

#include <limits.h>
#include <signal.h>
#include <string.h>

#include <fcgiapp.h>

#include "db/db.h"
#include "server/fcgi.h"
#include "server/lockdown.h"
#include "base/log.h"
#include "password/pbkdf2.h"
#include "api/route.h"

/*
 * A parameter's value, as FCGX_GetParam finds it ("NAME=value" in envp),
 * but with the first byte compared before any call: FCGX_GetParam calls
 * strncmp on every parameter, and a request asks for six of about twenty,
 * some absent (a scan of them all).
 */
static const char *
fcgi_param(void *ctx, const char *name)
{
	char	**p = ((FCGX_Request *)ctx)->envp;
	size_t	  n = strlen(name);

	if (p == NULL || n == 0)
		return NULL;
	for (; *p != NULL; p++)
		if ((*p)[0] == name[0] && strncmp(*p, name, n) == 0 &&
		    (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
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

static volatile sig_atomic_t worker_stop;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	FCGX_ShutdownPending();
}

/* SIGTERM and SIGINT end the loop (no SA_RESTART: accept returns);
 * SIGHUP is the supervisor's, SIGPIPE a gone client's. */
static void
worker_signals(void)
{
	struct sigaction	sa;
	sigset_t		none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
fcgi_worker(int fd, const struct config *cfg)
{
	struct responder_ctx	 ctx = { .cfg = NULL };
	FCGX_Request		 req;
	struct io		 io = { fcgi_param, fcgi_read, fcgi_write, &req, NULL };
	sigset_t		 term;
	int			 rc = 0;

	worker_signals();
	ctx.cfg = cfg;
	ctx.engine = pbkdf2_engine_checked(cfg->pbkdf2_engine);
	if ((ctx.db = db_new(cfg)) == NULL || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&req, fd, 0) != 0) {
		log_msg("worker setup failed");
		db_free(ctx.db);
		return 1;
	}
	if ((rc = lockdown(&ctx, 0)) < 0) {
		rc = rc == LOCKDOWN_SCHEMA ? EXIT_SCHEMA : 1;
		goto out;
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	while (!worker_stop && FCGX_Accept_r(&req) >= 0) {
		/* A stop signal waits until the answer is out: libfcgi does
		 * not resume a read or write that a signal interrupts. */
		sigprocmask(SIG_BLOCK, &term, NULL);
		route_dispatch(&ctx, &io);
		FCGX_Finish_r(&req);
		sigprocmask(SIG_UNBLOCK, &term, NULL);
	}
out:
	FCGX_Free(&req, 0);
	db_free(ctx.db);
	return rc;
}
