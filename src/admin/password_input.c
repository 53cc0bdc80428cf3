/*
 * password_input.c: the admin tool reads passwords from stdin, never from
 * argv (which other users can see); on a terminal it prompts without echo.
 */
#include "ac-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin/admin.h"

/* Drops the one trailing newline (and CR) of a password read as a line. */
static size_t
chomp(char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return len;
}

/* Reads one line from the terminal on fd with echo off, after printing
 * prompt to stderr.  Returns the length, or -1. */
static ssize_t
read_tty_line(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios	old, quiet;
	size_t		len = 0;
	ssize_t		r;
	int		restored;

	if (tcgetattr(fd, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off first, then the prompt: what is typed after the prompt
	 * is never shown, and never discarded by the flush. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1)
		return -1;
	fputs(prompt, stderr);
	fflush(stderr);
	while (len < size) {
		r = read(fd, buf + len, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || buf[len] == '\n')
			break;
		len++;
	}
	restored = tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", stderr);
	if (len == size || restored == -1)
		return -1;
	buf[len] = '\0';
	return (ssize_t)len;
}

/* See admin.h. */
ssize_t
admin_read_password(char *buf, size_t size, const char *prompt, int confirm)
{
	char	again[PASSWORD_READ_MAX + 1];
	size_t	len = 0;
	ssize_t	r;

	if (isatty(STDIN_FILENO)) {
		if ((r = read_tty_line(STDIN_FILENO, prompt, buf, size)) == -1)
			goto unreadable;
		if (confirm && r > 0) {
			if (read_tty_line(STDIN_FILENO, "Again: ", again,
			    sizeof(again) - 1) == -1) {
				OPENSSL_cleanse(again, sizeof(again));
				goto unreadable;
			}
			if (strcmp(again, buf) != 0) {
				OPENSSL_cleanse(again, sizeof(again));
				fprintf(stderr, "account-reset-admin: the two "
				    "passwords differ\n");
				return -1;
			}
			OPENSSL_cleanse(again, sizeof(again));
		}
		return r;
	}
	while (len < size) {
		r = read(STDIN_FILENO, buf + len, size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto unreadable;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == size) {
		fprintf(stderr, "account-reset-admin: the password on stdin is "
		    "longer than %zu bytes\n", size - 1);
		return -1;
	}
	return (ssize_t)chomp(buf, len);
unreadable:
	fprintf(stderr, "account-reset-admin: cannot read the password from "
	    "stdin\n");
	return -1;
}
