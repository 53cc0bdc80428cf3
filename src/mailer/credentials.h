/*
 * credentials.h: the text of smtp_credentials_file, parsed.  Pure (no
 * file, no libcurl), so that it can be fuzzed; smtp.c reads the file.
 *
 * The text is lines of "user = NAME" and "password = SECRET", once each,
 * with blank lines and "#" comments; spaces around the key and the value
 * are trimmed.  Nothing else.
 */
#ifndef AR_CREDENTIALS_H
#define AR_CREDENTIALS_H

#include <stddef.h>

enum credentials_result {
	CREDENTIALS_OK = 0,
	CREDENTIALS_NUL,	/* a NUL byte in the text */
	CREDENTIALS_SYNTAX,	/* a line that is none of the above, or twice */
	CREDENTIALS_MISSING,	/* no user line or no password line */
	CREDENTIALS_NOMEM,
};

/* Parses the len bytes at text, which it changes (and leaves for the
 * caller to wipe); text[len] must be a NUL.  On CREDENTIALS_OK *user and
 * *password are NUL-terminated copies (wipe them with secure_free);
 * otherwise both are NULL. */
enum credentials_result credentials_parse(char *text, size_t len,
    char **user, char **password);

#endif
