/*
 * test_email.c: the address syntax we accept (email.h), at every limit
 * and for every kind of refusal, header-injection attempts included.
 */
#include "ac-config.h"

#include <string.h>

#include "../tap.h"
#include "base/email.h"

static int
valid(const char *s)
{
	return email_valid(s, strlen(s));
}

/* An address of local_len 'a's at a domain of labels of 'b's making
 * domain_len octets in all. */
static int
valid_sized(size_t local_len, size_t domain_len)
{
	char	buf[600];
	size_t	i, n = 0;

	for (i = 0; i < local_len; i++)
		buf[n++] = 'a';
	buf[n++] = '@';
	for (i = 0; i < domain_len; i++)
		buf[n++] = (i % 50 == 49 || i == domain_len - 4) ? '.' : 'b';
	return email_valid(buf, n);
}

int
main(void)
{
	ok(valid("user@example.com"), "a plain address is accepted");
	ok(valid("First.Last+tag@sub.example.co.uk"),
	    "dots, plus tags, several labels and upper case are accepted");
	ok(valid("!#$%&'*+-/=?^_`{|}~@example.com"),
	    "every atext special character is accepted in the local part");
	ok(valid("x@a-b.example"), "a hyphen inside a label is accepted");
	ok(valid("x@123.example"), "a label of digits is accepted, not last");
	ok(valid("j\xc3\xb6rg@m\xc3\xbcller.example"),
	    "UTF-8 local part and domain (RFC 6531) are accepted");
	ok(valid("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8"),
	    "CJK address is accepted");

	ok(!valid(""), "the empty string is refused");
	ok(!valid("userexample.com"), "no @ is refused");
	ok(!valid("@example.com"), "an empty local part is refused");
	ok(!valid("user@"), "an empty domain is refused");
	ok(!valid("a@b@example.com"), "a second @ is refused");
	ok(!valid(".user@example.com"), "a leading dot is refused");
	ok(!valid("user.@example.com"), "a trailing dot in the local part is refused");
	ok(!valid("us..er@example.com"), "a double dot is refused");
	ok(!valid("\"quoted\"@example.com"), "a quoted local part is refused");
	ok(!valid("\"a b\"@example.com"), "a quoted local part with a space is refused");
	ok(!valid("user@[192.0.2.1]"), "an address literal is refused");
	ok(!valid("user@localhost"), "a dotless domain is refused");
	ok(!valid("user@192.0.2.1"), "an IPv4-looking domain is refused");
	ok(!valid("user@example..com"), "an empty label is refused");
	ok(!valid("user@.example.com"), "a leading dot in the domain is refused");
	ok(!valid("user@example.com."), "a trailing dot in the domain is refused");
	ok(!valid("user@-example.com"), "a label starting with '-' is refused");
	ok(!valid("user@example-.com"), "a label ending with '-' is refused");
	ok(!valid("user@exa_mple.com"), "'_' in the domain is refused");
	ok(!valid("Name <user@example.com>"), "a display name is refused");
	ok(!valid("user@example.com (comment)"), "a comment is refused");
	ok(!valid("user name@example.com"), "a space is refused");

	ok(!valid("user@example.com\r\nBcc: victim@example.org"),
	    "CR LF and a header after it are refused");
	ok(!valid("user@example.com\nBcc: x@example.org"), "a bare LF is refused");
	ok(!valid("user\r@example.com"), "a bare CR is refused");
	ok(!valid("user@example.com\t"), "a tab is refused");
	ok(!email_valid("user@example.com\0x", 18), "a NUL byte is refused");
	ok(!valid("us\x7f" "er@example.com"), "DEL is refused");
	ok(!valid("us\xc2\x85" "er@example.com"), "a C1 control (NEL) is refused");
	ok(!valid("us\xc2\xa0" "er@example.com"), "a no-break space is refused");
	ok(!valid("us\xe2\x80\xa8" "er@example.com"), "U+2028 LINE SEPARATOR is refused");
	ok(!valid("us\xe2\x80\x8b" "er@example.com"), "a zero-width space is refused");
	ok(!valid("us\xef\xbb\xbf" "er@example.com"), "a BOM is refused");
	ok(!valid("us\xff" "er@example.com"), "invalid UTF-8 is refused");
	ok(!valid("us\xc0\xaf" "er@example.com"), "overlong UTF-8 is refused");
	ok(!valid("us\xed\xa0\x80" "er@example.com"), "an encoded surrogate is refused");
	ok(!valid("user@ex<ample.com") && !valid("us>er@example.com") &&
	    !valid("us,er@example.com") && !valid("us;er@example.com") &&
	    !valid("us:er@example.com") && !valid("us\\er@example.com"),
	    "<, >, comma, semicolon, colon and backslash are refused");

	ok(valid_sized(64, 20), "a 64-octet local part is accepted");
	ok(!valid_sized(65, 20), "a 65-octet local part is refused");
	ok(valid_sized(64, 189), "254 octets in all are accepted");
	ok(!valid_sized(64, 190), "255 octets in all are refused");
	ok(valid("a@b.co"), "a short address is accepted");
	{
		char	lab[100];

		memset(lab, 'c', sizeof(lab));
		memcpy(lab, "a@", 2);
		memcpy(lab + 2 + 63, ".com", 4);
		ok(email_valid(lab, 2 + 63 + 4), "a 63-octet label is accepted");
		memset(lab, 'c', sizeof(lab));
		memcpy(lab, "a@", 2);
		memcpy(lab + 2 + 64, ".com", 4);
		ok(!email_valid(lab, 2 + 64 + 4), "a 64-octet label is refused");
	}

	ok(email_is_ascii("user@example.com", 16), "ASCII is ASCII");
	ok(!email_is_ascii("j\xc3\xb6rg@x.example", 14), "UTF-8 is not ASCII");
	return done_testing();
}
