/*
 * null-responder.c: the anchor of make bench's refused-password phase, a
 * FastCGI responder that does nothing but what every FastCGI responder
 * must do (bench only, never installed).
 *
 *     null-responder --listen /path/to.sock --workers N [--user USER]
 *                    [--answer password|code|auth]
 *
 * N worker processes share one listening Unix socket and each runs the
 * libfcgi loop account-reset's workers run: FCGX_Accept_r, the request's
 * parameters (libfcgi reads them all; the loop asks for the three the
 * request checks need), the body up to CONTENT_LENGTH, then the very bytes
 * account-reset answers a refused password (or an unknown code) with, and
 * FCGX_Finish_r.  No parsing, no rules, no log line, no clock: the cost
 * left is the FastCGI protocol and the system calls of one connection a
 * request, which no responder behind nginx can avoid.
 *
 * Started as root with --user, the workers drop to that user (as
 * account-reset's do).  SIGTERM or SIGINT to the parent stops the workers
 * and removes the socket; a worker also dies with its parent.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_WORKERS	64
#define BODY_MAX	8192	/* nginx.conf.example's client_max_body_size */

/* What account-reset writes for the benchmark's two cheap requests
 * (bench/run-bench checks that both answer byte for byte alike). */
#define HEAD(len) "Status: 400 Bad Request\r\n" \
	"Content-Type: application/json\r\n" \
	"Cache-Control: no-store\r\n" \
	"Pragma: no-cache\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"Content-Length: " len "\r\n\r\n"
static const char answer_password[] = HEAD("153")
	"{\"error\":\"invalid_password\",\"error_description\":\"The password "
	"does not meet the password rules.\",\"violations\":[\"too_short\","
	"\"too_few_character_classes\"]}\n";
static const char answer_code[] = HEAD("115")
	"{\"error\":\"invalid_validation_code\",\"error_description\":\"The "
	"validation code is unknown, expired or already used.\"}\n";

/* The token check's 200 (make bench-auth's anchor): no body, the grant in
 * headers, as account-reset's check answers a live token. */
static const char answer_auth[] = "Status: 200 OK\r\n"
	"Cache-Control: no-store\r\n"
	"X-User-Id: 1\r\n"
	"X-Scope: read write\r\n"
	"X-Client-Id: account-reset\r\n"
	"Content-Length: 0\r\n\r\n";

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: null-responder --listen PATH --workers N "
	    "[--user USER] [--answer password|code|auth]\n");
	exit(2);
}

/* CONTENT_LENGTH as a count of at most BODY_MAX bytes; 0 when it is
 * absent, not digits only, or larger (then nothing is read). */
static int
body_length(const char *s)
{
	int	v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > BODY_MAX)
			return 0;
	}
	return v;
}

/* One worker: the accept loop until killed. */
static int
worker(int fd, const char *answer, size_t answer_len)
{
	FCGX_Request	req;
	char		body[BODY_MAX];
	int		len;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		/* The parameters a request check reads, and the body. */
		(void)FCGX_GetParam("REQUEST_METHOD", req.envp);
		(void)FCGX_GetParam("CONTENT_TYPE", req.envp);
		len = body_length(FCGX_GetParam("CONTENT_LENGTH", req.envp));
		if (len > 0)
			(void)FCGX_GetStr(body, len, req.in);
		(void)FCGX_PutStr(answer, (int)answer_len, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

/* Drops to user when running as root; -1 when that fails. */
static int
drop_to(const char *user)
{
	struct passwd	*pw;

	if (user == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "null-responder: no user %s\n", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		perror("null-responder: dropping privileges");
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char		*path = NULL, *user = NULL, *answer = answer_password;
	size_t			 answer_len = sizeof(answer_password) - 1;
	pid_t			 pids[MAX_WORKERS];
	struct sigaction	 sa;
	char			*end;
	long			 workers = 0;
	int			 i, fd, status;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--listen") == 0)
			path = argv[++i];
		else if (strcmp(argv[i], "--user") == 0)
			user = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0) {
			workers = strtol(argv[++i], &end, 10);
			if (*end != '\0' || workers < 1 || workers > MAX_WORKERS)
				usage();
		} else if (strcmp(argv[i], "--answer") == 0) {
			i++;
			if (strcmp(argv[i], "code") == 0) {
				answer = answer_code;
				answer_len = sizeof(answer_code) - 1;
			} else if (strcmp(argv[i], "auth") == 0) {
				answer = answer_auth;
				answer_len = sizeof(answer_auth) - 1;
			} else if (strcmp(argv[i], "password") != 0)
				usage();
		} else
			usage();
	}
	if (path == NULL || path[0] != '/' || workers == 0)
		usage();

	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(path, 128)) < 0) {
		fprintf(stderr, "null-responder: cannot listen on %s\n", path);
		return 1;
	}
	chmod(path, 0666);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < workers; i++) {
		if ((pids[i] = fork()) == -1) {
			perror("null-responder: fork");
			workers = i;
			stop = 1;
			break;
		}
		if (pids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			if (drop_to(user) == -1)
				_exit(3);
			_exit(worker(fd, answer, answer_len));
		}
	}
	while (!stop)
		pause();
	for (i = 0; i < workers; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR)
			continue;
	unlink(path);
	return 0;
}
