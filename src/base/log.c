/*
 * log.c: one line per event on stderr, written with a single write(2) so
 * that lines from concurrent workers never interleave.
 *
 * The request line is written on every request, the refused ones too, so
 * it is put together by hand: the time to the second is formatted once a
 * second, the pid once a process, the numbers without printf (make bench
 * and docs/BENCHMARKS.md: printf and strftime were an eighth of a refused
 * request's instructions).  Other events go through vsnprintf.
 */
#include "ac-config.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "base/hex.h"
#include "base/log.h"
#include "base/strbuf.h"

#define LINE_MAX_BYTES	1024

static char log_prog[32] = "account-reset";
static long log_pid;		/* 0 until known in this process */
static time_t stamp_second = (time_t)-1;
static char stamp[32];		/* stamp_second as "%Y-%m-%dT%H:%M:%S" */
static size_t stamp_len;

/* A forked child has another pid: look it up again on its first line. */
static void
forget_pid(void)
{
	log_pid = 0;
}

void
log_init(const char *progname)
{
	const char	*base = strrchr(progname, '/');

	snprintf(log_prog, sizeof(log_prog), "%s", base ? base + 1 : progname);
	pthread_atfork(NULL, NULL, forget_pid);
}

/* A line being built in a fixed buffer; what does not fit is cut, with
 * room kept for the newline. */
struct line {
	char		buf[LINE_MAX_BYTES];
	struct strbuf	b;
};

/* Starts a line with "<UTC time to the millisecond>Z prog[pid]: ". */
static void
line_start(struct line *l)
{
	struct timespec	now;
	struct tm	tm;

	l->b = (struct strbuf){ l->buf, sizeof(l->buf) - 1, 0, 0 };
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != stamp_second) {
		gmtime_r(&now.tv_sec, &tm);
		stamp_len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		stamp_second = now.tv_sec;
	}
	if (log_pid == 0)
		log_pid = (long)getpid();
	strbuf_add(&l->b, stamp, stamp_len);
	strbuf_add(&l->b, ".", 1);
	strbuf_uint(&l->b, (unsigned long long)(now.tv_nsec / 1000000L), 3);
	strbuf_add(&l->b, "Z ", 2);
	strbuf_str(&l->b, log_prog);
	strbuf_add(&l->b, "[", 1);
	strbuf_uint(&l->b, (unsigned long long)log_pid, 1);
	strbuf_add(&l->b, "]: ", 3);
}

/* Ends the line and writes it with one write(2); errno is kept. */
static void
line_write(struct line *l)
{
	l->buf[l->b.len++] = '\n';
	if (write(STDERR_FILENO, l->buf, l->b.len) == -1) {
		/* Nowhere left to report it. */
	}
}

/* Writes the time, "prog[pid]: " and the formatted text as one line. */
static void log_vline(const char *, va_list)
    __attribute__((format(printf, 1, 0)));

static void
log_vline(const char *fmt, va_list ap)
{
	struct line	l;
	int		r, saved = errno;

	line_start(&l);
	r = vsnprintf(l.buf + l.b.len, sizeof(l.buf) - l.b.len, fmt, ap);
	if (r > 0)
		l.b.len += (size_t)r;
	if (l.b.len > l.b.cap)
		l.b.len = l.b.cap;
	line_write(&l);
	errno = saved;
}

void
log_msg(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

/* True when the file open at fd is one the log may be appended to: a
 * regular file with no other hard link, owned by this process's user or
 * by the owner of its directory.  A root supervisor reopens the log on
 * SIGHUP in a directory the service's user may own: that user must not
 * get it to append to a file of someone else (a link to a root-owned
 * file).  Symbolic links are refused by O_NOFOLLOW before this. */
static int
log_file_acceptable(int fd, const char *path, char *err, size_t errlen)
{
	struct stat	 st, dir;
	char		 parent[PATH_MAX];
	const char	*slash;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "log_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "log_file %s: not a regular file; "
		    "refusing it", path);
		return -1;
	}
	if (st.st_nlink > 1) {
		snprintf(err, errlen, "log_file %s: has %lu hard links; "
		    "refusing it (a link could lead to another file)", path,
		    (unsigned long)st.st_nlink);
		return -1;
	}
	if (st.st_uid == geteuid())
		return 0;
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == path)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path),
		    path);
	if (stat(parent, &dir) == 0 && st.st_uid == dir.st_uid)
		return 0;
	snprintf(err, errlen, "log_file %s: owned by uid %lu, neither this "
	    "process's user nor its directory's owner; refusing it", path,
	    (unsigned long)st.st_uid);
	return -1;
}

int
log_open_file(const char *path, char *err, size_t errlen)
{
	int	fd;

	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW, 0640);
	if (fd == -1) {
		snprintf(err, errlen, "log_file %s: %s", path, errno == ELOOP ?
		    "a symbolic link; refusing it" : strerror(errno));
		return -1;
	}
	if (log_file_acceptable(fd, path, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) == -1) {
			snprintf(err, errlen, "log_file %s: dup2: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* The method as it may be logged: an HTTP token of at most 16
 * characters, else "?" (the method is the client's text). */
static const char *
loggable_method(const char *method)
{
	size_t	i;

	if (method == NULL || *method == '\0')
		return "-";
	for (i = 0; method[i] != '\0'; i++)
		if (i >= 16 || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~",
		    method[i]) == NULL)
			return "?";
	return method;
}

void
log_request(const char *request_id, const char *method, const char *client,
    int status, const char *error, double duration_ms)
{
	struct line		l;
	unsigned long long	tenths;
	int			saved = errno;

	/* As log_msg("request id=%s method=%s client=%s status=%d error=%s
	 * duration_ms=%.1f"). */
	line_start(&l);
	strbuf_str(&l.b, "request id=");
	strbuf_str(&l.b, request_id);
	strbuf_str(&l.b, " method=");
	strbuf_str(&l.b, loggable_method(method));
	strbuf_str(&l.b, " client=");
	strbuf_str(&l.b, client != NULL && *client != '\0' ? client : "-");
	strbuf_str(&l.b, " status=");
	strbuf_uint(&l.b, (unsigned long long)(status < 0 ? 0 : status), 1);
	strbuf_str(&l.b, " error=");
	strbuf_str(&l.b, error != NULL ? error : "-");
	strbuf_str(&l.b, " duration_ms=");
	if (!(duration_ms >= 0.0 && duration_ms < 1e15))
		duration_ms = 0.0;	/* a clock step; NaN included */
	tenths = (unsigned long long)(duration_ms * 10.0 + 0.5);
	strbuf_uint(&l.b, tenths / 10, 1);
	strbuf_add(&l.b, ".", 1);
	strbuf_uint(&l.b, tenths % 10, 1);
	line_write(&l);
	errno = saved;
}

/* True for the characters a request id may have: [A-Za-z0-9._-]. */
static int
is_id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

#define LOG_REQUEST_ID_RANDOM	8	/* random bytes of a fresh id */

void
log_request_id(const char *offered, char out[LOG_REQUEST_ID_MAX + 1])
{
	size_t	i, n;

	if (offered != NULL) {
		n = strlen(offered);
		for (i = 0; i < n; i++)
			if (!is_id_char((unsigned char)offered[i]))
				break;
		if (n > 0 && n <= LOG_REQUEST_ID_MAX && i == n) {
			memcpy(out, offered, n + 1);
			return;
		}
	}
	/* 16 hex digits; all zeros if the random source fails, as ever. */
	if (hex_random(LOG_REQUEST_ID_RANDOM, out) == -1) {
		memset(out, '0', 2 * LOG_REQUEST_ID_RANDOM);
		out[2 * LOG_REQUEST_ID_RANDOM] = '\0';
	}
}
