/*
 * sandbox.c: an allow-list seccomp filter (libseccomp) for the workers.
 *
 * The list is what serving needs, found by tracing workers through the
 * whole test suite: FastCGI I/O, the MySQL protocol and reconnects (the
 * option file is re-read on connect, so files may be opened read-only),
 * memory management, time, randomness and signals.
 */
#include "ac-config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "base/sandbox.h"
#include "base/sanitizer.h"

const char *
sandbox_unavailable_reason(void)
{
#if !defined(HAVE_SECCOMP)
	return "built without libseccomp";
#elif defined(SANITIZER_BUILD)
	return "a sanitizer build (the sanitizers' own system calls would be refused)";
#else
	return "available";
#endif
}

#if defined(HAVE_SECCOMP) && !defined(SANITIZER_BUILD)

/* Allowed whatever their arguments. */
static const int plain[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(accept),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(getdents64),
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(shutdown), SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(lseek), SCMP_SYS(access), SCMP_SYS(munmap), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(getrandom), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sched_yield), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Adds rule; counts failures in *bad. */
#define ALLOW(ctx, bad, call, ...) do { \
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, __VA_ARGS__) != 0) \
		(*bad)++; \
} while (0)

#ifndef SOCK_TYPE_MASK
#define SOCK_TYPE_MASK	0xf
#endif

/* Set by sandbox_unix_only(): no IPv4 or IPv6 socket at all. */
static int	unix_only;

void
sandbox_unix_only(int on)
{
	unix_only = on;
}

static void
add_conditional(scmp_filter_ctx ctx, int *bad)
{
	static const int	families[] = { AF_UNIX, AF_INET, AF_INET6 };
	size_t			i, nfamilies = unix_only ? 1 : 3;

	/* Files: read-only, never created or truncated. */
	ALLOW(ctx, bad, SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
	    O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
	ALLOW(ctx, bad, SCMP_SYS(open), 1, SCMP_A1(SCMP_CMP_MASKED_EQ,
	    O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
	/* Memory: never executable. */
	ALLOW(ctx, bad, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
	    PROT_EXEC, 0));
	ALLOW(ctx, bad, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
	    PROT_EXEC, 0));
	ALLOW(ctx, bad, SCMP_SYS(mremap), 0);
	/* Sockets: the database's families, stream (the database) or
	 * datagram (the resolver, for a database named by host name). */
	for (i = 0; i < nfamilies; i++) {
		ALLOW(ctx, bad, SCMP_SYS(socket), 2,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_STREAM));
		ALLOW(ctx, bad, SCMP_SYS(socket), 2,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_DGRAM));
	}
	/* The resolver asks how much a datagram holds; nothing else. */
	ALLOW(ctx, bad, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	/* Signals to itself only (abort()). */
	ALLOW(ctx, bad, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
}

/*
 * What the mailer needs on top of the workers' list: libcurl's threaded
 * resolver (threads only: clone with CLONE_THREAD; clone3, whose flags a
 * filter cannot see, answers ENOSYS so that glibc falls back to clone),
 * the socket pair it wakes the transfer with, sigtimedwait(), with
 * which the mailer takes its signals between messages, and what a
 * reload needs to open its log file again.
 */
static void
add_mailer(scmp_filter_ctx ctx, int *bad)
{
	static const int	calls[] = {
		SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
		SCMP_SYS(sched_getaffinity), SCMP_SYS(rt_sigtimedwait),
		SCMP_SYS(eventfd2), SCMP_SYS(pipe2), SCMP_SYS(statx),
		SCMP_SYS(getdents64), SCMP_SYS(prlimit64),
	};
	size_t			i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i] >= 0 &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			(*bad)++;
	ALLOW(ctx, bad, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
	    CLONE_THREAD, CLONE_THREAD));
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) != 0)
		(*bad)++;
	ALLOW(ctx, bad, SCMP_SYS(socketpair), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX));
	/* SIGHUP opens mailer_log_file again (logrotate): for appending,
	 * created if need be, never truncated, onto stderr. */
	ALLOW(ctx, bad, SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
	    O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND,
	    O_WRONLY | O_CREAT | O_APPEND));
	ALLOW(ctx, bad, SCMP_SYS(open), 1, SCMP_A1(SCMP_CMP_MASKED_EQ,
	    O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND,
	    O_WRONLY | O_CREAT | O_APPEND));
	ALLOW(ctx, bad, SCMP_SYS(dup2), 0);
	ALLOW(ctx, bad, SCMP_SYS(dup3), 0);
}

/* Builds and loads the filter; with mailer, add_mailer's calls too. */
static enum sandbox_state
enter(int mailer)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		bad = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return SANDBOX_FAILED;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return SANDBOX_FAILED;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (plain[i] >= 0 &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0) != 0)
			bad++;
	add_conditional(ctx, &bad);
	if (mailer)
		add_mailer(ctx, &bad);
	if (bad != 0 || seccomp_load(ctx) != 0) {
		seccomp_release(ctx);
		return SANDBOX_FAILED;
	}
	seccomp_release(ctx);
	return SANDBOX_ON;
}

enum sandbox_state
sandbox_enter(void)
{
	return enter(0);
}

enum sandbox_state
sandbox_enter_mailer(void)
{
	return enter(1);
}

#else

void
sandbox_unix_only(int on)
{
	(void)on;
}

enum sandbox_state
sandbox_enter(void)
{
	return SANDBOX_UNAVAILABLE;
}

enum sandbox_state
sandbox_enter_mailer(void)
{
	return SANDBOX_UNAVAILABLE;
}

#endif
