/*
 * utf8.c: strict UTF-8 checking (RFC 3629), for every layer that takes
 * text from outside: the request parser, the password rules, e-mail
 * addresses, mail headers and the blocklist's files.
 */
#include "ac-config.h"

#include <stdint.h>
#include <string.h>

#include "base/utf8.h"

/*
 * True if any of the eight bytes at p is not ASCII.  memcpy makes the
 * load legal at any alignment; compilers turn it into one move.
 */
static int
any_non_ascii(const unsigned char *p)
{
	uint64_t	 word;

	memcpy(&word, p, sizeof(word));
	return (word & UINT64_C(0x8080808080808080)) != 0;
}

/*
 * RFC 3629, section 4: after the lead byte, every byte is 80..BF, except
 * that the first one is narrower after four leads.  E0 and F0 would
 * otherwise allow overlong forms, ED the surrogates U+D800..U+DFFF, and F4
 * code points past U+10FFFF.  C0 and C1 only start overlong forms and F5..FF
 * start nothing, so they are refused with the stray continuation bytes.
 * Runs of ASCII, the common case, are skipped eight bytes at a time.
 */
int
utf8_validate(const char *s, size_t len, size_t *count)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n = 0, run, tail, k;
	unsigned char		 lead, lo, hi;

	while (i < len) {
		lead = p[i];
		if (lead < 0x80) {
			run = i;
			while (len - i >= 8 && !any_non_ascii(p + i))
				i += 8;
			while (i < len && p[i] < 0x80)
				i++;
			n += i - run;
			continue;
		}

		lo = 0x80;
		hi = 0xbf;
		if (lead < 0xc2)
			return -1;
		else if (lead < 0xe0)
			tail = 1;
		else if (lead < 0xf0) {
			tail = 2;
			if (lead == 0xe0)
				lo = 0xa0;
			else if (lead == 0xed)
				hi = 0x9f;
		} else if (lead < 0xf5) {
			tail = 3;
			if (lead == 0xf0)
				lo = 0x90;
			else if (lead == 0xf4)
				hi = 0x8f;
		} else
			return -1;

		if (len - i <= tail)
			return -1;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return -1;
		for (k = 2; k <= tail; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
		i += tail + 1;
		n++;
	}

	if (count != NULL)
		*count = n;
	return 0;
}
