/*
 * sandbox.h: the worker's system-call filter.  Entered once the listening
 * socket and the database connection are open: from then on the process
 * can serve requests and reconnect to the database, and nothing else
 * (no exec, no fork, no file opened for writing, no executable memory,
 * no ptrace).  A forbidden call kills the process (SIGSYS); the
 * supervisor logs it and starts a new worker.
 */
#ifndef AR_SANDBOX_H
#define AR_SANDBOX_H

enum sandbox_state {
	SANDBOX_ON = 0,		/* filter installed */
	SANDBOX_UNAVAILABLE,	/* built without libseccomp, or a sanitizer build */
	SANDBOX_FAILED,		/* the kernel refused it */
};

/* From the next sandbox_enter*() on (on = 1): sockets of AF_UNIX only,
 * no IPv4 or IPv6 socket at all, for a process whose database (and
 * relay) is reached through a Unix socket: a subverted process then
 * cannot open a network connection (issue 19, point 5). */
void sandbox_unix_only(int on);

/* Sets NO_NEW_PRIVS and installs the filter. */
enum sandbox_state sandbox_enter(void);

/* The mailer's filter: the same, plus what libcurl needs for SMTP (the
 * threads of its resolver) and sigtimedwait(). */
enum sandbox_state sandbox_enter_mailer(void);

/* Why the filter is unavailable in this build, for the log. */
const char *sandbox_unavailable_reason(void);

#endif
