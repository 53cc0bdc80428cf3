/*
 * log.c: one line per event on stderr, written with a single write(2) so
 * that lines from concurrent workers never interleave.
 */
#include "ac-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"

static char log_prog[32] = "account-reset";

void
log_init(const char *progname)
{
	const char	*base = strrchr(progname, '/');

	snprintf(log_prog, sizeof(log_prog), "%s", base ? base + 1 : progname);
}

/* Writes "<UTC time> prog[pid]: " and the formatted text as one line. */
static void log_vline(const char *, va_list)
    __attribute__((format(printf, 1, 0)));

static void
log_vline(const char *fmt, va_list ap)
{
	char		 line[1024];
	struct timespec	 now;
	struct tm	 tm;
	size_t		 n;
	int		 r, saved = errno;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%ld]: ",
	    now.tv_nsec / 1000000L, log_prog, (long)getpid());
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) == -1) {
		/* Nowhere left to report it. */
	}
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

int
log_open_file(const char *path, char *err, size_t errlen)
{
	int	fd;

	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd == -1) {
		snprintf(err, errlen, "log_file %s: %s", path, strerror(errno));
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
	log_msg("request id=%s method=%s client=%s status=%d error=%s "
	    "duration_ms=%.1f", request_id, loggable_method(method),
	    client && *client ? client : "-", status, error ? error : "-",
	    duration_ms);
}

void
log_request_id(const char *offered, char out[LOG_REQUEST_ID_MAX + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[8];
	size_t			 i, n;

	if (offered != NULL) {
		n = strlen(offered);
		for (i = 0; i < n; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789._-",
			    offered[i]) == NULL)
				break;
		if (n > 0 && n <= LOG_REQUEST_ID_MAX && i == n) {
			memcpy(out, offered, n + 1);
			return;
		}
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		memset(raw, 0, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * sizeof(raw)] = '\0';
}
