/*
 * number.c: the one strict number parser (see number.h).
 */
#include "ac-config.h"

#include <errno.h>
#include <stdlib.h>

#include "base/number.h"

int
number_parse_base(const char *s, int base, long long min, long long max,
    long long *out)
{
	const char	*p = s;
	char		*end;
	long long	 v;

	if (s == NULL || (base != 10 && base != 8) || min > max)
		return -1;
	if (*p == '-' && min < 0)
		p++;
	/* strtoll would skip white space and accept '+': we do not. */
	if (*p < '0' || *p > (base == 8 ? '7' : '9'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
number_parse(const char *s, long long min, long long max, long long *out)
{
	return number_parse_base(s, 10, min, max, out);
}
