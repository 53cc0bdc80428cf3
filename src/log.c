/*
 * log.c: one line per event on stderr, written with a single write(2) so
 * that lines from concurrent workers never interleave.
 */
#include "ac-config.h"

#include <errno.h>
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

void
log_request(const char *request_id, int status, const char *error,
    double duration_ms)
{
	log_msg("request id=%s status=%d error=%s duration_ms=%.1f",
	    request_id, status, error ? error : "-", duration_ms);
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
