/*
 * test_form.c: the form-urlencoded parser of the OAuth endpoints (form.h)
 * and the introspection callers' file (clients.h): each claim one rule.
 */
#include "ac-config.h"

#include <string.h>

#include <openssl/sha.h>

#include "api/form.h"
#include "conf/clients.h"
#include "../tap.h"

static char		 gt[32], rt[16], cid[16];
static struct form_field f[] = {
	{ "grant_type", gt, sizeof(gt), 0, 0 },
	{ "refresh_token", rt, sizeof(rt), 0, 0 },
	{ "client_id", cid, sizeof(cid), 0, 0 },
};

static enum form_result
parse(const char *s)
{
	return form_parse(s, strlen(s), f, 3);
}

static void
test_form(void)
{
	ok(parse("grant_type=refresh_token&refresh_token=abc") == FORM_OK &&
	    strcmp(gt, "refresh_token") == 0 && strcmp(rt, "abc") == 0 &&
	    f[0].seen && f[1].seen && !f[2].seen && f[1].len == 3,
	    "named fields are filled, an absent one is not seen");
	ok(parse("refresh_token=a%2Bb+c%7e") == FORM_OK &&
	    strcmp(rt, "a+b c~") == 0, "%%XX is a byte and '+' a space");
	ok(parse("gr%61nt_type=x") == FORM_OK && strcmp(gt, "x") == 0,
	    "names are decoded too");
	ok(parse("unknown=1&&grant_type=x&") == FORM_OK && strcmp(gt, "x") == 0,
	    "unknown parameters and empty pairs are ignored (RFC 6749 3.2)");
	ok(parse("grant_type") == FORM_OK && f[0].seen && gt[0] == '\0',
	    "a name alone is an empty value");
	ok(parse("grant_type=a&grant_type=a") == FORM_REPEATED && !f[0].seen &&
	    gt[0] == '\0', "a named parameter twice is refused and wiped");
	ok(parse("x=1&x=2&grant_type=a") == FORM_OK,
	    "an unknown parameter may repeat");
	ok(parse("refresh_token=%4") == FORM_MALFORMED &&
	    parse("refresh_token=%zz") == FORM_MALFORMED &&
	    parse("unknown=%g0") == FORM_MALFORMED,
	    "a bad %%-escape is malformed, in an ignored parameter too");
	ok(parse("refresh_token=a%00b") == FORM_MALFORMED &&
	    parse("refresh_token=a%0ab") == FORM_MALFORMED,
	    "NUL and control bytes are refused");
	ok(parse("refresh_token=0123456789abcdef") == FORM_TOO_LONG &&
	    rt[0] == '\0' && parse("refresh_token=0123456789abcde") == FORM_OK,
	    "a value that does not fit with its NUL is refused");
}

static void
test_clients(void)
{
	struct introspection_clients	cl;
	unsigned char			d[SHA256_DIGEST_LENGTH];
	char				err[128];
	const char			*good =
	    "# callers\n\nrs1 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n"
	    "  rs2\t0000000000000000000000000000000000000000000000000000000000000000  \n";

	ok(clients_parse(good, strlen(good), &cl, err, sizeof(err)) == 0 &&
	    cl.n == 2 && strcmp(cl.c[1].id, "rs2") == 0,
	    "ids and digests, comments and blank lines skipped");
	SHA256((const unsigned char *)"secret", 6, d);
	ok(clients_match(&cl, "rs1", d) == &cl.c[0],
	    "the right id with its secret's digest matches");
	ok(clients_match(&cl, "rs2", d) == NULL,
	    "another id with that digest does not");
	d[31] ^= 1;
	ok(clients_match(&cl, "rs1", d) == NULL, "a digest a bit away does not");
	ok(clients_parse("rs1 abc\n", 8, &cl, err, sizeof(err)) == -1 &&
	    strstr(err, "line 1") != NULL, "a short digest is refused, naming the line");
	ok(clients_parse("a:b 0000000000000000000000000000000000000000000000000000000000000000\n",
	    69, &cl, err, sizeof(err)) == -1, "an id with ':' is refused (HTTP Basic)");
	ok(clients_parse(
	    "a 0000000000000000000000000000000000000000000000000000000000000000\n"
	    "a 0000000000000000000000000000000000000000000000000000000000000000\n",
	    134, &cl, err, sizeof(err)) == -1 && strstr(err, "twice") != NULL,
	    "an id listed twice is refused");
}

int
main(void)
{
	test_form();
	test_clients();
	return done_testing();
}
