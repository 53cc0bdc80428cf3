/*
 * locale.c: the language tags the recover endpoint takes and the mailer's
 * templates are named by.
 */
#include "ac-config.h"

#include <ctype.h>

#include "base/locale.h"

int
locale_tag_valid(const char *s, size_t len)
{
	size_t	i, run = 0, part = 0;

	if (len == 0 || len > LOCALE_TAG_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '-') {
			if (part == 0 ? (run < 2 || run > 3) : (run < 1 || run > 8))
				return 0;
			part++;
			run = 0;
			continue;
		}
		if (!(part == 0 ? isalpha((unsigned char)s[i]) :
		    isalnum((unsigned char)s[i])) || (unsigned char)s[i] >= 0x80)
			return 0;
		run++;
	}
	return 1;
}
