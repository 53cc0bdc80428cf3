/*
 * test_landlock.c: the workers' Landlock file rules (base/landlock.c),
 * applied for real in child processes, and attacked from inside the way
 * a subverted worker would go for the files around it (issue 19, point
 * 5): a web site's file, a directory listing, a file written.  What a
 * worker still needs keeps working: the option file (read again on a
 * reconnect), the system's files, a connection to the database's Unix
 * socket.
 */
#include "ac-config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "base/landlock.h"

static char	dir[32], site_file[64], option_file[64], sock_path[64];

/* Runs fn in a child behind the rules of a worker whose option file is
 * option_file; returns its exit status, or -1. */
static int
in_rules(int (*fn)(void))
{
	const char *const paths[] = { "/etc", "/usr", option_file };
	pid_t		 pid;
	int		 status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (landlock_read_only(paths, 3) != LANDLOCK_ON)
			_exit(100);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
read_site_file(void)
{
	int	fd = open(site_file, O_RDONLY);

	return fd == -1 && errno == EACCES ? 0 : 1;
}

static int
list_directory(void)
{
	DIR	*d = opendir(dir);

	return d == NULL && errno == EACCES ? 0 : 1;
}

static int
write_a_file(void)
{
	char	path[64];
	int	fd;

	snprintf(path, sizeof(path), "%s/planted", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	return fd == -1 && errno == EACCES ? 0 : 1;
}

static int
read_option_file(void)
{
	char	buf[64];
	int	fd = open(option_file, O_RDONLY);

	return fd != -1 && read(fd, buf, sizeof(buf)) > 0 ? 0 : 1;
}

static int
read_system_file(void)
{
	int	fd = open("/etc/passwd", O_RDONLY);

	return fd != -1 ? 0 : 1;
}

static int
connect_database_socket(void)
{
	struct sockaddr_un	 un;
	int			 fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock_path);
	return fd != -1 && connect(fd, (struct sockaddr *)&un,
	    sizeof(un)) == 0 ? 0 : 1;
}

static int
make_file(const char *path, const char *text)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	return close(fd);
}

int
main(void)
{
	struct sockaddr_un	 un;
	int			 listener;

	if (landlock_abi() == 0) {
		printf("1..0 # SKIP no Landlock in this kernel or build\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/ar-landlock-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(site_file, sizeof(site_file), "%s/wp-config.php", dir);
	snprintf(option_file, sizeof(option_file), "%s/my.cnf", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/mysqld.sock", dir);
	if (make_file(site_file, "<?php define('DB_PASSWORD', 'x');\n") ||
	    make_file(option_file, "[client]\npassword=x\n"))
		return 1;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock_path);
	if ((listener = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(listener, (struct sockaddr *)&un, sizeof(un)) == -1 ||
	    listen(listener, 4) == -1)
		return 1;

	ok(in_rules(read_site_file) == 0,
	    "a file beside the option file (a web site's) cannot be read: EACCES");
	ok(in_rules(list_directory) == 0,
	    "a directory outside the allowed paths cannot be listed: EACCES");
	ok(in_rules(write_a_file) == 0, "no file can be created: EACCES");
	ok(in_rules(read_option_file) == 0,
	    "the option file can still be read (a reconnect reads it)");
	ok(in_rules(read_system_file) == 0, "files beneath /etc can be read");
	ok(in_rules(connect_database_socket) == 0,
	    "the database's Unix socket can still be connected to");

	close(listener);
	unlink(sock_path);
	unlink(site_file);
	unlink(option_file);
	rmdir(dir);
	return done_testing();
}
