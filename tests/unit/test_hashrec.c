/*
 * test_hashrec.c: records we make parse and verify, records Django and
 * passlib make verify, and every way of misspelling a record is refused.
 */
#include "ac-config.h"

#include <stdio.h>
#include <string.h>

#include "password/hashrec.h"
#include "../tap.h"

/* Django 4.2's default work factor, so the known records are realistic. */
#define DJANGO_ITERATIONS	600000UL
#define TEST_ITERATIONS		1000UL

/* Computed with Python's hashlib.pbkdf2_hmac and checked with passlib's
 * django_pbkdf2_sha256.verify. */
#define DJANGO_PASSWORD	"correct horse battery staple"
#define DJANGO_RECORD	"pbkdf2_sha256$600000$Bq1kY7uYfC3bW0xQmT9vZa$" \
			"+peLc6+3ERuqupWFoNlmSYNScYTruonfAjHFInSEzHY="
/* Made by passlib with its own 12-character salt; has '/' in its digest. */
#define PASSLIB_PASSWORD "x"
#define PASSLIB_RECORD	"pbkdf2_sha256$1000$MVQ3Hhcv81qr$" \
			"2hzx9Tzcm+/tp/wlSNB+MOCIcipdKuwa03cAB219NIo="
/* A valid record to misspell below: password "hunter2". */
#define GOOD_PREFIX	"pbkdf2_sha256$1000$seasalt$"
#define GOOD_DIGEST	"aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GOM="
#define GOOD_RECORD	GOOD_PREFIX GOOD_DIGEST

static const char *fast_missing = "fast engine not built (no SHA256_Transform)";

/* A TAP claim that was not checked, which the driver counts as skipped. */
static void
skip(const char *why, const char *desc)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_count, desc, why);
	fflush(stdout);
}

static int
is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* The salt field of a record we made, copied into salt; 0 or -1. */
static int
salt_of(const char *record, char salt[HASHREC_MAX_SALT + 1])
{
	struct hashrec rec;

	if (hashrec_parse(record, &rec) == -1)
		return -1;
	memcpy(salt, rec.salt, sizeof(rec.salt));
	return 0;
}

static void
test_round_trip(enum pbkdf2_engine engine)
{
	const char	*name = pbkdf2_engine_name(engine);
	const char	*pw = "Tr0ub4dor&3 \xc3\xa9t\xc3\xa9";
	char		 record[HASHREC_MAX];
	struct hashrec	 rec;

	if (hashrec_make(engine, pw, strlen(pw), TEST_ITERATIONS,
	    record) == -1) {
		ok(0, "%s engine: make succeeds", name);
		return;
	}
	ok(strncmp(record, "pbkdf2_sha256$1000$", 19) == 0 &&
	    strlen(record) == 19 + HASHREC_SALT_CHARS + 1 + 44,
	    "%s engine: make writes pbkdf2_sha256$1000$, a 22-character "
	    "salt and a 44-character digest", name);
	ok(hashrec_parse(record, &rec) == 0 &&
	    rec.iterations == TEST_ITERATIONS &&
	    strlen(rec.salt) == HASHREC_SALT_CHARS,
	    "%s engine: a record we made parses back with its iterations "
	    "and salt", name);
	ok(hashrec_verify(engine, record, pw, strlen(pw)) == 1,
	    "%s engine: a record we made verifies with its password", name);
	ok(hashrec_verify(engine, record, "Tr0ub4dor&4", 11) == 0,
	    "%s engine: a record we made refuses a wrong password", name);
	ok(hashrec_verify(engine, record, pw, strlen(pw) - 1) == 0 &&
	    hashrec_verify(engine, record, "", 0) == 0,
	    "%s engine: a record refuses a prefix of its password and the "
	    "empty password", name);
}

static void
test_cross_engine(void)
{
	char	 record[HASHREC_MAX];
	int	 made;

	if (!pbkdf2_fast_available()) {
		skip(fast_missing, "a record made by the openssl engine "
		    "verifies with the fast engine");
		skip(fast_missing, "a record made by the fast engine verifies "
		    "with the openssl engine");
		return;
	}
	made = hashrec_make(PBKDF2_ENGINE_OPENSSL, "pw", 2, TEST_ITERATIONS,
	    record) == 0;
	ok(made && hashrec_verify(PBKDF2_ENGINE_FAST, record, "pw", 2) == 1 &&
	    hashrec_verify(PBKDF2_ENGINE_FAST, record, "pW", 2) == 0,
	    "a record made by the openssl engine verifies with the fast "
	    "engine");
	made = hashrec_make(PBKDF2_ENGINE_FAST, "pw", 2, TEST_ITERATIONS,
	    record) == 0;
	ok(made &&
	    hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, "pw", 2) == 1 &&
	    hashrec_verify(PBKDF2_ENGINE_OPENSSL, record, "pW", 2) == 0,
	    "a record made by the fast engine verifies with the openssl "
	    "engine");
}

static void
test_known_records(enum pbkdf2_engine engine)
{
	const char *name = pbkdf2_engine_name(engine);

	if (engine == PBKDF2_ENGINE_FAST && !pbkdf2_fast_available()) {
		skip(fast_missing, "fast engine: a Django record with 600000 "
		    "iterations verifies");
		skip(fast_missing, "fast engine: a passlib record with a "
		    "12-character salt verifies");
		return;
	}
	ok(hashrec_verify(engine, DJANGO_RECORD, DJANGO_PASSWORD,
	    strlen(DJANGO_PASSWORD)) == 1 &&
	    hashrec_verify(engine, DJANGO_RECORD, "correct horse battery "
	    "stapler", 29) == 0,
	    "%s engine: a Django record with 600000 iterations verifies, "
	    "and refuses another password", name);
	ok(hashrec_verify(engine, PASSLIB_RECORD, PASSLIB_PASSWORD, 1) == 1 &&
	    hashrec_verify(engine, PASSLIB_RECORD, "X", 1) == 0,
	    "%s engine: a passlib record with a 12-character salt verifies, "
	    "and refuses another password", name);
}

static void
test_parse_fields(void)
{
	static const unsigned char digest[32] = {
		0xfa, 0x97, 0x8b, 0x73, 0xaf, 0xb7, 0x11, 0x1b,
		0xaa, 0xba, 0x95, 0x85, 0xa0, 0xd9, 0x66, 0x49,
		0x83, 0x52, 0x71, 0x84, 0xeb, 0xba, 0x89, 0xdf,
		0x02, 0x31, 0xc5, 0x22, 0x74, 0x84, 0xcc, 0x76,
	};
	struct hashrec	 rec;
	char		 record[HASHREC_MAX];
	char		 salt[HASHREC_MAX_SALT + 1];

	ok(hashrec_parse(DJANGO_RECORD, &rec) == 0 &&
	    rec.iterations == DJANGO_ITERATIONS &&
	    strcmp(rec.salt, "Bq1kY7uYfC3bW0xQmT9vZa") == 0 &&
	    memcmp(rec.digest, digest, sizeof(digest)) == 0,
	    "parse yields the iterations, salt and decoded digest of a "
	    "Django record");

	memset(salt, 'S', HASHREC_MAX_SALT);
	salt[HASHREC_MAX_SALT] = '\0';
	snprintf(record, sizeof(record), "pbkdf2_sha256$100000000$%s$%s",
	    salt, GOOD_DIGEST);
	ok(hashrec_parse(record, &rec) == 0 &&
	    rec.iterations == HASHREC_MAX_ITERATIONS &&
	    strcmp(rec.salt, salt) == 0,
	    "parse accepts the largest iteration count and a 64-character "
	    "salt");
	ok(hashrec_parse("pbkdf2_sha256$1$s$" GOOD_DIGEST, &rec) == 0 &&
	    rec.iterations == 1 && strcmp(rec.salt, "s") == 0,
	    "parse accepts one iteration and a one-character salt");
}

/* Each row misspells a valid record in one way; all must be refused. */
static const struct {
	const char *what;
	const char *record;
} malformed[] = {
	{ "the empty string", "" },
	{ "another algorithm", "pbkdf2_sha1$1000$seasalt$" GOOD_DIGEST },
	{ "an upper-case algorithm name",
	    "PBKDF2_SHA256$1000$seasalt$" GOOD_DIGEST },
	{ "no algorithm field", "$1000$seasalt$" GOOD_DIGEST },
	{ "iterations 0", "pbkdf2_sha256$0$seasalt$" GOOD_DIGEST },
	{ "iterations with a leading zero",
	    "pbkdf2_sha256$01000$seasalt$" GOOD_DIGEST },
	{ "iterations one above the maximum",
	    "pbkdf2_sha256$100000001$seasalt$" GOOD_DIGEST },
	{ "iterations that overflow 64 bits",
	    "pbkdf2_sha256$99999999999999999999999$seasalt$" GOOD_DIGEST },
	{ "iterations with a plus sign",
	    "pbkdf2_sha256$+1000$seasalt$" GOOD_DIGEST },
	{ "iterations with a minus sign",
	    "pbkdf2_sha256$-1000$seasalt$" GOOD_DIGEST },
	{ "iterations with a leading space",
	    "pbkdf2_sha256$ 1000$seasalt$" GOOD_DIGEST },
	{ "iterations with a non-digit",
	    "pbkdf2_sha256$1e3$seasalt$" GOOD_DIGEST },
	{ "iterations in hex", "pbkdf2_sha256$0x3e8$seasalt$" GOOD_DIGEST },
	{ "empty iterations", "pbkdf2_sha256$$seasalt$" GOOD_DIGEST },
	{ "an empty salt", "pbkdf2_sha256$1000$$" GOOD_DIGEST },
	{ "a 65-character salt", "pbkdf2_sha256$1000$"
	    "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS$"
	    GOOD_DIGEST },
	{ "no digest field", "pbkdf2_sha256$1000$seasalt" },
	{ "an empty digest", GOOD_PREFIX },
	{ "too few '$' (no salt field)", "pbkdf2_sha256$1000$" GOOD_DIGEST },
	{ "one '$' too many", "pbkdf2_sha256$1000$sea$salt$" GOOD_DIGEST },
	{ "a trailing '$'", GOOD_RECORD "$" },
	{ "a digest without its padding",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GOM" },
	{ "a digest with non-zero unused bits (non-canonical)",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GON=" },
	{ "a digest with two '=' (31 bytes)",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GO==" },
	{ "a short digest (24 bytes)",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9" },
	{ "a long digest (33 bytes)",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GOMA" },
	{ "a digest in the URL-safe alphabet",
	    "pbkdf2_sha256$600000$Bq1kY7uYfC3bW0xQmT9vZa$"
	    "-peLc6-3ERuqupWFoNlmSYNScYTruonfAjHFInSEzHY=" },
	{ "a digest with a space inside",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCk AqvDNHspRzj9l43SgVe7GOM=" },
	{ "'=' inside the digest",
	    GOOD_PREFIX "aZOLUDnbVq4qfmIhIFCk=qvDNHspRzj9l43SgVe7GOM=" },
	{ "a trailing newline", GOOD_RECORD "\n" },
	{ "a trailing space", GOOD_RECORD " " },
	{ "trailing junk after the padding", GOOD_RECORD "x" },
	{ "a leading space", " " GOOD_RECORD },
};

static void
test_malformed(void)
{
	struct hashrec	 rec;
	size_t		 i;

	ok(hashrec_parse(GOOD_RECORD, &rec) == 0 &&
	    hashrec_verify(PBKDF2_ENGINE_OPENSSL, GOOD_RECORD, "hunter2",
	    7) == 1, "the record the malformed cases misspell is valid");
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		ok(hashrec_parse(malformed[i].record, &rec) == -1,
		    "parse rejects a record with %s", malformed[i].what);
	ok(hashrec_parse(NULL, &rec) == -1, "parse rejects a NULL record");
	ok(hashrec_verify(PBKDF2_ENGINE_OPENSSL, GOOD_PREFIX
	    "aZOLUDnbVq4qfmIhIFCkAqvDNHspRzj9l43SgVe7GON=", "hunter2",
	    7) == -1 && hashrec_verify(PBKDF2_ENGINE_OPENSSL,
	    "pbkdf2_sha256$0$seasalt$" GOOD_DIGEST, "hunter2", 7) == -1,
	    "verify returns -1, not a match, for a malformed record");
}

static void
test_make_arguments(void)
{
	char record[HASHREC_MAX];

	ok(hashrec_make(PBKDF2_ENGINE_OPENSSL, "pw", 2, 0, record) == -1,
	    "make refuses iterations 0");
	ok(hashrec_make(PBKDF2_ENGINE_OPENSSL, "pw", 2,
	    HASHREC_MAX_ITERATIONS + 1, record) == -1,
	    "make refuses iterations above HASHREC_MAX_ITERATIONS");
}

/*
 * Salts are 22 alphanumerics, fresh each time, and over a few hundred of
 * them every one of the 62 characters turns up (each is expected about
 * 70 times; missing one by chance has odds below 1e-28).
 */
static void
test_salts(void)
{
	char		 first[HASHREC_MAX], second[HASHREC_MAX];
	char		 salt1[HASHREC_MAX_SALT + 1];
	char		 salt2[HASHREC_MAX_SALT + 1];
	char		 record[HASHREC_MAX], salt[HASHREC_MAX_SALT + 1];
	int		 seen[256], shape_ok = 1, made, missing = 0, i;
	size_t		 j;

	made = hashrec_make(PBKDF2_ENGINE_OPENSSL, "same", 4, 1, first) == 0 &&
	    hashrec_make(PBKDF2_ENGINE_OPENSSL, "same", 4, 1, second) == 0 &&
	    salt_of(first, salt1) == 0 && salt_of(second, salt2) == 0;
	ok(made && strcmp(salt1, salt2) != 0 && strcmp(first, second) != 0,
	    "two records of the same password differ in salt and digest");

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 200 && shape_ok; i++) {
		if (hashrec_make(PBKDF2_ENGINE_OPENSSL, "pw", 2, 1,
		    record) == -1 || salt_of(record, salt) == -1 ||
		    strlen(salt) != HASHREC_SALT_CHARS) {
			shape_ok = 0;
			break;
		}
		for (j = 0; salt[j] != '\0'; j++) {
			if (!is_alnum(salt[j]))
				shape_ok = 0;
			seen[(unsigned char)salt[j]]++;
		}
	}
	ok(shape_ok, "200 salts are each 22 characters of [A-Za-z0-9]");
	for (i = 0; i < 256; i++)
		if (is_alnum((char)i) && seen[i] == 0)
			missing++;
	if (!ok(shape_ok && missing == 0, "all 62 salt characters occur "
	    "across 200 salts"))
		diag("%d characters never drawn", missing);
}

int
main(void)
{
	diag("fast engine %s", pbkdf2_fast_available() ? "built" : "missing");

	test_round_trip(PBKDF2_ENGINE_OPENSSL);
	if (pbkdf2_fast_available())
		test_round_trip(PBKDF2_ENGINE_FAST);
	else
		skip(fast_missing, "fast engine: make, parse and verify "
		    "round trip");
	test_cross_engine();
	test_known_records(PBKDF2_ENGINE_OPENSSL);
	test_known_records(PBKDF2_ENGINE_FAST);
	test_parse_fields();
	test_malformed();
	test_make_arguments();
	test_salts();
	return done_testing();
}
