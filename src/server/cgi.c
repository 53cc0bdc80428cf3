/*
 * cgi.c: the CGI process model (see cgi.h): the I/O adapters over the
 * environment, stdin and stdout, and the one request.
 */
#include "ac-config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/cgi.h"
#include "db/db.h"
#include "base/fdio.h"
#include "server/lockdown.h"
#include "base/log.h"
#include "password/pbkdf2.h"
#include "base/privsep.h"
#include "api/request.h"
#include "api/response.h"
#include "api/route.h"

/* How much of the body the request code read. */
struct cgi_input {
	size_t	consumed;
};

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

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

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fd_write_all(STDOUT_FILENO, buf, n);
}

#define DRAIN_MAX	(1024 * 1024)	/* bytes, at most */
#define DRAIN_WAIT_MS	1000		/* per read, at most */

/*
 * Reads and drops what is left of the body after an early refusal (405,
 * 411, 413, 415): a CGI program that exits with its input unread makes
 * some servers (Apache's mod_cgid) reset the connection instead of sending
 * the answer.  Bounded in bytes and in time, since the server owes us no
 * end of input; the declared length is read by request.c's own parser.
 */
static void
cgi_drain(const struct cgi_input *in)
{
	const char	*cl = getenv("CONTENT_LENGTH");
	char		 buf[8192];
	size_t		 left = DRAIN_MAX, declared;
	struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };
	ssize_t		 r;

	if (cl != NULL && *cl != '\0') {
		if (request_content_length(cl, &declared) == -1 ||
		    declared <= in->consumed)
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

int
cgi_serve(const struct config *cfg)
{
	struct responder_ctx	ctx = { .cfg = NULL };
	struct cgi_input	in = { 0 };
	struct io		io = { cgi_param, cgi_read, cgi_write, &in, NULL };
	struct privsep		self = { NULL, NULL, 0 };
	char			err[512];
	int			status;

	ctx.cfg = cfg;
	ctx.reserve_attempts = 1;
	/* The client library would skip an unreadable option file. */
	if (privsep_check_readable(&self, "mysql_option_file",
	    cfg->mysql_option_file, err, sizeof(err)) == -1) {
		log_msg("configuration: %s", err);
		cgi_refuse_unconfigured();
		return 1;
	}
	ctx.engine = pbkdf2_engine_checked(cfg->pbkdf2_engine);
	if ((ctx.db = db_new(cfg)) == NULL) {
		log_msg("out of memory");
		cgi_refuse_unconfigured();
		return 1;
	}
	if (lockdown(&ctx, 1) < 0) {
		db_free(ctx.db);
		cgi_refuse_unconfigured();
		return 1;
	}
	status = route_dispatch(&ctx, &io);
	cgi_drain(&in);
	db_free(ctx.db);
	return status >= 500 && status != 503 ? 1 : 0;
}

void
cgi_refuse_unconfigured(void)
{
	struct io	io = { cgi_param, cgi_read, cgi_write, NULL, NULL };
	struct outcome	why = { .error = API_SERVER_ERROR };

	respond_error(&io, &why, 0);
}
