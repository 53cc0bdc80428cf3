/*
 * hashrec-tool.c: the hash-record and PBKDF2 code behind a command line,
 * so tests in other languages can check it against their own libraries.
 * The password is always all of standard input, bytes as they are (no
 * newline is stripped).
 *
 *	hashrec-tool make ENGINE ITERATIONS
 *		prints a new record
 *	hashrec-tool verify ENGINE RECORD
 *		exits 0 on a match, 1 on a mismatch, 2 for a malformed record
 *	hashrec-tool derive ENGINE ITERATIONS SALT_HEX DKLEN
 *		prints the derived key in hex (SALT_HEX may be empty)
 *	hashrec-tool engines
 *		prints the engines this build has, one a line
 *
 * Usage errors and failures exit 3.
 */
#include "ac-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/hex.h"
#include "password/hashrec.h"
#include "password/pbkdf2.h"

#define EXIT_MATCH	0
#define EXIT_MISMATCH	1
#define EXIT_MALFORMED	2
#define EXIT_TROUBLE	3

#define MAX_PASSWORD	4096
#define MAX_SALT	1024
#define MAX_DKLEN	1024

static void
usage(void)
{
	fprintf(stderr, "usage: hashrec-tool make ENGINE ITERATIONS\n"
	    "       hashrec-tool verify ENGINE RECORD\n"
	    "       hashrec-tool derive ENGINE ITERATIONS SALT_HEX DKLEN\n"
	    "       hashrec-tool engines\n");
}

/* Reads all of stdin into buf (up to MAX_PASSWORD bytes); 0 or -1. */
static int
read_password(unsigned char *buf, size_t *len)
{
	ssize_t n;

	*len = 0;
	for (;;) {
		n = read(STDIN_FILENO, buf + *len, MAX_PASSWORD - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == MAX_PASSWORD) {
			/* Full: fine only if nothing follows. */
			unsigned char extra;

			if (read(STDIN_FILENO, &extra, 1) != 0)
				return -1;
			return 0;
		}
	}
}

/* Parses a decimal in 1..max with no sign or leading zero; 0 or -1. */
static int
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* Decodes an even-length hex string of up to MAX_SALT bytes; 0 or -1. */
static int
parse_hex(const char *s, unsigned char *out, size_t *len)
{
	size_t	 n = strlen(s), i;
	int	 hi, lo;

	if (n % 2 != 0 || n / 2 > MAX_SALT)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hex_digit(s[2 * i])) == -1 ||
		    (lo = hex_digit(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int
cmd_make(enum pbkdf2_engine engine, const char *iterations_arg,
    const char *password, size_t len)
{
	char		 record[HASHREC_MAX];
	unsigned long	 iterations;

	if (parse_count(iterations_arg, HASHREC_MAX_ITERATIONS,
	    &iterations) == -1) {
		fprintf(stderr, "hashrec-tool: bad ITERATIONS\n");
		return EXIT_TROUBLE;
	}
	if (hashrec_make(engine, password, len, iterations, record) == -1) {
		fprintf(stderr, "hashrec-tool: hashrec_make failed\n");
		return EXIT_TROUBLE;
	}
	printf("%s\n", record);
	return EXIT_MATCH;
}

static int
cmd_verify(enum pbkdf2_engine engine, const char *record,
    const char *password, size_t len)
{
	switch (hashrec_verify(engine, record, password, len)) {
	case 1:
		return EXIT_MATCH;
	case 0:
		return EXIT_MISMATCH;
	default:
		return EXIT_MALFORMED;
	}
}

static int
cmd_derive(enum pbkdf2_engine engine, char *argv[], const char *password,
    size_t len)
{
	unsigned char	 salt[MAX_SALT], key[MAX_DKLEN];
	unsigned long	 iterations, dklen;
	size_t		 salt_len, i;
	int		 rc = EXIT_TROUBLE;

	if (parse_count(argv[0], HASHREC_MAX_ITERATIONS, &iterations) == -1 ||
	    parse_hex(argv[1], salt, &salt_len) == -1 ||
	    parse_count(argv[2], MAX_DKLEN, &dklen) == -1) {
		fprintf(stderr, "hashrec-tool: bad ITERATIONS, SALT_HEX or "
		    "DKLEN\n");
		return EXIT_TROUBLE;
	}
	if (pbkdf2_sha256(engine, password, len, salt, salt_len, iterations,
	    key, dklen) == -1) {
		fprintf(stderr, "hashrec-tool: %s engine failed\n",
		    pbkdf2_engine_name(engine));
		goto out;
	}
	for (i = 0; i < dklen; i++)
		printf("%02x", key[i]);
	printf("\n");
	rc = EXIT_MATCH;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
main(int argc, char *argv[])
{
	static unsigned char	 password[MAX_PASSWORD];
	enum pbkdf2_engine	 engine;
	size_t			 len = 0;
	int			 rc = EXIT_TROUBLE;

	if (argc == 2 && strcmp(argv[1], "engines") == 0) {
		printf("openssl\n");
		if (pbkdf2_fast_available())
			printf("fast\n");
		return fflush(stdout) == 0 ? EXIT_MATCH : EXIT_TROUBLE;
	}
	/* Check the command line before waiting on stdin. */
	if (!(argc == 4 && strcmp(argv[1], "make") == 0) &&
	    !(argc == 4 && strcmp(argv[1], "verify") == 0) &&
	    !(argc == 6 && strcmp(argv[1], "derive") == 0)) {
		usage();
		return EXIT_TROUBLE;
	}
	if (pbkdf2_engine_parse(argv[2], &engine) == -1) {
		fprintf(stderr, "hashrec-tool: unknown engine \"%s\"\n",
		    argv[2]);
		return EXIT_TROUBLE;
	}
	if (read_password(password, &len) == -1) {
		fprintf(stderr, "hashrec-tool: cannot read the password "
		    "(at most %d bytes) from stdin\n", MAX_PASSWORD);
		goto out;
	}

	if (strcmp(argv[1], "make") == 0)
		rc = cmd_make(engine, argv[3], (const char *)password, len);
	else if (strcmp(argv[1], "verify") == 0)
		rc = cmd_verify(engine, argv[3], (const char *)password, len);
	else
		rc = cmd_derive(engine, argv + 3, (const char *)password, len);
	if (fflush(stdout) != 0)
		rc = EXIT_TROUBLE;
out:
	OPENSSL_cleanse(password, sizeof(password));
	return rc;
}
