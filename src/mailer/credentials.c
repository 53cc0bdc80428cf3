/*
 * credentials.c: the SMTP credentials text (see credentials.h).
 */
#include "ac-config.h"

#include <stdlib.h>
#include <string.h>

#include "base/secure.h"
#include "conf/config.h"
#include "mailer/credentials.h"

enum credentials_result
credentials_parse(char *text, size_t len, char **user, char **password)
{
	enum credentials_result	 rc = CREDENTIALS_OK;
	char			*line, *next, *eq, *k, *v, **slot;

	*user = *password = NULL;
	if (memchr(text, '\0', len) != NULL)
		return CREDENTIALS_NUL;
	for (line = text; line != NULL && rc == CREDENTIALS_OK; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = config_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			rc = CREDENTIALS_SYNTAX;
			break;
		}
		*eq = '\0';
		k = config_trim(line);
		v = config_trim(eq + 1);
		slot = strcmp(k, "user") == 0 ? user :
		    strcmp(k, "password") == 0 ? password : NULL;
		if (*v == '\0' || slot == NULL || *slot != NULL)
			rc = CREDENTIALS_SYNTAX;
		else if ((*slot = strdup(v)) == NULL)
			rc = CREDENTIALS_NOMEM;
	}
	if (rc == CREDENTIALS_OK && (*user == NULL || *password == NULL))
		rc = CREDENTIALS_MISSING;
	if (rc != CREDENTIALS_OK) {
		if (*user != NULL)
			secure_free(*user, strlen(*user));
		if (*password != NULL)
			secure_free(*password, strlen(*password));
		*user = *password = NULL;
	}
	return rc;
}
