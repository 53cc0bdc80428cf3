/*
 * email.c: the address syntax of email.h, one pass over the octets.
 * Every byte here may come from the network.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "base/email.h"
#include "base/utf8.h"

/* RFC 5322 atext, ASCII part. */
static int
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Decodes the UTF-8 sequence at s (already validated, n bytes left);
 * stores its length in *len. */
static uint32_t
decode(const unsigned char *s, size_t n, size_t *len)
{
	if (s[0] < 0xe0 && n >= 2) {
		*len = 2;
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0 && n >= 3) {
		*len = 3;
		return ((uint32_t)(s[0] & 0x0f) << 12) |
		    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	}
	if (n >= 4) {
		*len = 4;
		return ((uint32_t)(s[0] & 0x07) << 18) |
		    ((uint32_t)(s[1] & 0x3f) << 12) |
		    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	}
	*len = n;
	return 0;	/* not reached for validated input */
}

/* Non-ASCII code points that may stand in an address: not C1 controls,
 * not spaces, not invisible formatting or line/paragraph separators. */
static int
allowed_non_ascii(uint32_t cp)
{
	if (cp <= 0xa0 || cp == 0x1680 || cp == 0x3000 || cp == 0xfeff)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
	    (cp >= 0x205f && cp <= 0x206f) || (cp >= 0xfff9 && cp <= 0xffff))
		return 0;
	return 1;
}

/* Checks the local part (a dot-atom of atext and non-ASCII). */
static int
valid_local(const unsigned char *s, size_t n)
{
	size_t	i, step;
	int	prev_dot = 1;	/* a leading dot is refused like a double */

	if (n == 0 || n > EMAIL_LOCAL_MAX_OCTETS)
		return 0;
	for (i = 0; i < n; i += step) {
		step = 1;
		if (s[i] == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
			continue;
		}
		prev_dot = 0;
		if (s[i] < 0x80) {
			if (!is_atext(s[i]))
				return 0;
			continue;
		}
		if (!allowed_non_ascii(decode(s + i, n - i, &step)))
			return 0;
	}
	return !prev_dot;
}

/* Checks the domain: two or more labels, the last not all digits. */
static int
valid_domain(const unsigned char *s, size_t n)
{
	size_t	i, step, label = 0, labels = 0;
	int	all_digits = 1;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i += step) {
		step = 1;
		if (i == n || s[i] == '.') {
			/* A label ends: non-empty, no hyphen at either end. */
			if (label == 0 || label > EMAIL_LABEL_MAX_OCTETS ||
			    s[i - label] == '-' || s[i - 1] == '-')
				return 0;
			labels++;
			if (i == n)
				break;
			label = 0;
			all_digits = 1;
			continue;
		}
		if (s[i] < 0x80) {
			if (!is_ldh(s[i]))
				return 0;
			if (s[i] < '0' || s[i] > '9')
				all_digits = 0;
		} else {
			if (!allowed_non_ascii(decode(s + i, n - i, &step)))
				return 0;
			all_digits = 0;
		}
		label += step;
	}
	return labels >= 2 && !all_digits;
}

int
email_valid(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	const unsigned char	*at;

	if (s == NULL || len < 5 || len > EMAIL_MAX_OCTETS)	/* a@b.c */
		return 0;
	if (memchr(s, '\0', len) != NULL || utf8_validate(s, len, NULL) == -1)
		return 0;
	/* No '@' may stand in a dot-atom local part: the first is the one. */
	if ((at = memchr(u, '@', len)) == NULL)
		return 0;
	return valid_local(u, (size_t)(at - u)) &&
	    valid_domain(at + 1, len - (size_t)(at - u) - 1);
}

int
email_is_ascii(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}
