/*
 * number.h: the one strict number parser, in the spirit of OpenBSD's
 * strtonum(3), for every number that comes from the configuration, argv
 * or the environment.
 */
#ifndef AR_NUMBER_H
#define AR_NUMBER_H

/* Parses s as a whole number in base (10 or 8) within [min, max]: digits
 * only (a leading '-' when min < 0), no space, no sign '+', no "0x", no
 * trailing bytes, no overflow.  Stores it in *out and returns 0, or
 * returns -1 and leaves *out alone. */
int number_parse_base(const char *s, int base, long long min, long long max,
    long long *out);

/* number_parse_base() in base 10. */
int number_parse(const char *s, long long min, long long max, long long *out);

#endif
