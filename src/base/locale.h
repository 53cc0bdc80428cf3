/*
 * locale.h: BCP 47 language tags, as far as this program takes them.
 */
#ifndef AR_LOCALE_H
#define AR_LOCALE_H

#include <stddef.h>

#define LOCALE_TAG_MAX	35	/* BCP 47 tags this long are plenty */

/* A language tag as we take it: 2-3 letters, then "-" and 1-8 letters or
 * digits, any number of times, 35 characters at most (en, de-CH,
 * zh-hant-tw).  1 or 0. */
int locale_tag_valid(const char *s, size_t len);

#endif
