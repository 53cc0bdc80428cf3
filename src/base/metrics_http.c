/*
 * metrics_http.c: GET /metrics for Prometheus, served by a child of the
 * supervisor that has dropped privileges and entered the sandbox (see
 * metrics_http.h).  A request is read until its empty line, at most
 * METRICS_HTTP_REQUEST_MAX bytes; reading and writing share one deadline;
 * the connection is closed after each answer.
 */
#include "ac-config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <signal.h>

#include "base/listen_socket.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/privsep.h"
#include "base/sandbox.h"
#include "base/strbuf.h"
#include "base/metrics_http.h"

struct metrics_http {
	int		 fd;
	char		*spec;
	metrics_http_expose_fn	*expose;
	void			*arg;
};

struct metrics_http *
metrics_http_open(const char *spec, metrics_http_expose_fn *expose,
    void *arg)
{
	struct metrics_http	*mh;

	if (spec == NULL || *spec == '\0') {
		log_msg("--metrics: expected host:port or unix:/path");
		return NULL;
	}
	if ((mh = calloc(1, sizeof(*mh))) == NULL ||
	    (mh->spec = strdup(spec)) == NULL) {
		free(mh);
		return NULL;
	}
	mh->expose = expose;
	mh->arg = arg;
	if ((mh->fd = listen_socket_open("--metrics", spec, 0600, NULL,
	    16)) == -1) {
		free(mh->spec);
		free(mh);
		return NULL;
	}
	/* accept() must never block the server. */
	(void)fcntl(mh->fd, F_SETFL, fcntl(mh->fd, F_GETFL) | O_NONBLOCK);
	log_msg("metrics on %s (GET /metrics)", spec);
	return mh;
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to become ready for events until deadline; 1 ready, 0 not. */
static int
wait_fd(int fd, short events, long deadline)
{
	struct pollfd	pfd = { fd, events, 0 };
	long		left;
	int		r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		r = poll(&pfd, 1, (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		return r == 1;
	}
}

int
metrics_http_head_complete(const char *buf)
{
	return strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL;
}

enum metrics_http_ask
metrics_http_parse(const char *head)
{
	const char	*sp;
	size_t		 plen;

	if (strncmp(head, "GET ", 4) != 0 && strncmp(head, "HEAD ", 5) != 0)
		return METRICS_ASK_BAD_METHOD;
	sp = strchr(head, ' ') + 1;
	plen = strcspn(sp, " ?\r\n");
	if (plen != 8 || strncmp(sp, "/metrics", 8) != 0)
		return METRICS_ASK_NOT_FOUND;
	return head[0] == 'H' ? METRICS_ASK_HEAD : METRICS_ASK_GET;
}

/* Reads the request head (up to its empty line) into buf; its length, or
 * -1 when it is too long, cut off or too slow. */
static ssize_t
read_head(int fd, char *buf, size_t size, long deadline)
{
	size_t	len = 0;
	ssize_t	r;

	while (len < size - 1) {
		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		r = read(fd, buf + len, size - 1 - len);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		if (metrics_http_head_complete(buf))
			return (ssize_t)len;
	}
	return -1;
}

/* Writes all of buf by the deadline; 0 or -1. */
static int
write_all(int fd, const char *buf, size_t n, long deadline)
{
	ssize_t	r;

	while (n > 0) {
		if (!wait_fd(fd, POLLOUT, deadline))
			return -1;
		r = send(fd, buf, n, MSG_NOSIGNAL);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Sends a whole answer: status line, the usual headers, the body. */
static void
answer(int fd, const char *status, const char *type, const char *extra,
    const char *body, size_t len, long deadline)
{
	char	head[512];
	int	n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n%s\r\n", status, type, len, extra);
	if (n > 0 && (size_t)n < sizeof(head) &&
	    write_all(fd, head, (size_t)n, deadline) == 0)
		(void)write_all(fd, body, len, deadline);
}

/* Serves one connection. */
static void
serve(struct metrics_http *mh, int fd)
{
	struct textbuf		 t = TEXTBUF_EMPTY;
	char			 head[METRICS_HTTP_REQUEST_MAX];
	long			 deadline = now_ms() + METRICS_HTTP_DEADLINE_MS;
	const char		*text = "text/plain; charset=utf-8";
	enum metrics_http_ask	 ask;

	if (read_head(fd, head, sizeof(head), deadline) == -1)
		return;		/* too long, cut off or too slow: just close */
	if ((ask = metrics_http_parse(head)) == METRICS_ASK_BAD_METHOD) {
		answer(fd, "405 Method Not Allowed", text, "Allow: GET\r\n",
		    "only GET\n", 9, deadline);
		return;
	}
	if (ask == METRICS_ASK_NOT_FOUND) {
		answer(fd, "404 Not Found", text, "", "only /metrics\n", 14,
		    deadline);
		return;
	}
	mh->expose(&t, mh->arg);
	if (t.failed || t.p == NULL)
		answer(fd, "500 Internal Server Error", text, "",
		    "out of memory\n", 14, deadline);
	else
		answer(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		    "", t.p, ask == METRICS_ASK_HEAD ? 0 : t.len, deadline);
	textbuf_wipe(&t);
}

void
metrics_http_poll(struct metrics_http *mh, int timeout_ms)
{
	struct pollfd	pfd = { mh->fd, POLLIN, 0 };
	int		c;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return;
	c = accept4(mh->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c == -1)
		return;
	serve(mh, c);
	close(c);
}

void
metrics_http_close_inherited(struct metrics_http *mh)
{
	if (mh != NULL && mh->fd != -1) {
		close(mh->fd);
		mh->fd = -1;
	}
}

void
metrics_http_free(struct metrics_http *mh)
{
	if (mh == NULL)
		return;
	metrics_http_close_inherited(mh);
	listen_socket_remove(mh->spec);
	free(mh->spec);
	free(mh);
}

/* The child's life: no signal of the supervisor's, privileges dropped,
 * the sandbox, then scrapes until SIGTERM or the supervisor's death. */
static void
serve_forever(struct metrics_http *mh, int other_fd, pid_t parent,
    const struct privsep *ps, int seccomp)
{
	sigset_t	none;

	(void)prctl(PR_SET_NAME, METRICS_HTTP_PROCESS_NAME, 0, 0, 0);
	if (other_fd != -1)
		close(other_fd);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (privsep_drop(ps) == -1)
		_exit(3);
	/* After the drop, which clears it; and the supervisor may have
	 * died before it was set. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 ||
	    getppid() != parent)
		_exit(0);
	if (seccomp && sandbox_enter() == SANDBOX_FAILED) {
		log_msg("metrics: the kernel refused the seccomp filter; not "
		    "serving (set seccomp = off to run without it)");
		_exit(3);
	}
	for (;;)
		metrics_http_poll(mh, -1);
}

pid_t
metrics_http_spawn(struct metrics_http *mh, int other_fd,
    const struct privsep *ps, int seccomp)
{
	pid_t	parent = getpid(), pid;

	if ((pid = fork()) == -1) {
		log_msg("metrics: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		serve_forever(mh, other_fd, parent, ps, seccomp);
	return pid;
}
