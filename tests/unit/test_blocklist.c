/*
 * test_blocklist.c: the password blocklist (blocklist.h): which lines are
 * kept, case-insensitive lookups, text and gzip lists, the compact file
 * written and read back, and every way a compact file can be damaged
 * refused with a reason.
 */
#include "ac-config.h"

#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "../tap.h"
#include "password/blocklist.h"
#include "password/fold.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char	tmpdir[] = "/tmp/ar-test-blocklist.XXXXXX";

static const char *
tmp_path(const char *name)
{
	static char	path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE	*f = fopen(path, "wb");
	int	 rc;

	if (f == NULL)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE		*f = fopen(path, "rb");
	unsigned char	*buf;
	long		 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return NULL;
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

static int
contains(const struct blocklist *bl, const char *pw)
{
	return blocklist_contains(bl, pw, strlen(pw));
}

static void
test_useful(void)
{
	static const struct {
		const char	*line;
		int		 useful;
		const char	*why;
	} cases[] = {
		{ "password", 0, "one class whatever its case (at most lower + upper)" },
		{ "password1", 1, "Password1 meets the rules" },
		{ "12345678", 0, "digits only" },
		{ "a1234567", 0, "one letter: lower or upper, never both" },
		{ "a123456!", 1, "one letter, digits and a special: 3 classes" },
		{ "ab123456", 1, "two letters: Ab123456 meets the rules" },
		{ "Passw1!", 0, "7 characters" },
		{ "Passw1!x", 1, "8 characters" },
		{ "Pass\tw0rd", 0, "a control character" },
		{ "pass\xffw0rd", 0, "not UTF-8" },
		{ "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f" "1234", 0,
		    "äöüß1234: non-ASCII letters are special, so 2 classes" },
		{ "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f" "ab12", 1,
		    "äöüßab12: special, lower, upper, digit" },
		{ "", 0, "empty" },
	};
	char	long_ok[200], long_bad[200];
	size_t	i;

	for (i = 0; i < NELEM(cases); i++)
		ok(blocklist_entry_useful(cases[i].line, strlen(cases[i].line)) ==
		    cases[i].useful, "entry %s: %s (%s)", cases[i].useful ?
		    "kept" : "left out", cases[i].line, cases[i].why);
	memset(long_ok, 'a', 128);
	memcpy(long_ok, "A1", 2);
	memset(long_bad, 'a', 129);
	memcpy(long_bad, "A1", 2);
	ok(blocklist_entry_useful(long_ok, 128), "an entry of 128 characters is kept");
	ok(!blocklist_entry_useful(long_bad, 129),
	    "an entry of 129 characters is left out");
}

static void
test_text(void)
{
	static const char text[] =
	    "Password1\n"
	    "PASSWORD1\n"		/* the same after folding */
	    "welcome123!\r\n"		/* CRLF */
	    "\n"
	    "password\n"		/* left out */
	    "qwerty123\n"
	    "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91" "12ab\n"	/* ΣΟΦΙΑ12ab */
	    "LastLine9";		/* no final newline */
	struct blocklist	*bl;
	struct blocklist_stats	 st;
	char			 err[256];

	if (!ok(blocklist_from_text(text, sizeof(text) - 1, &bl, err,
	    sizeof(err)) == 0, "a text list loads")) {
		diag("%s", err);
		return;
	}
	blocklist_stats(bl, &st);
	ok(st.lines == 8 && st.skipped == 2 && st.entries == 5 && !st.compact,
	    "8 lines, 2 left out (blank, one class), 5 distinct entries "
	    "(lines %llu skipped %llu entries %llu)",
	    (unsigned long long)st.lines, (unsigned long long)st.skipped,
	    (unsigned long long)st.entries);
	ok(contains(bl, "Password1") && contains(bl, "pASSWORD1") &&
	    contains(bl, "password1"), "lookups ignore case");
	ok(contains(bl, "Welcome123!") && !contains(bl, "Welcome123!\r"),
	    "a CRLF line is the line without its CR");
	ok(contains(bl, "Qwerty123") && contains(bl, "LastLine9"),
	    "every line counts, the last one without a newline too");
	ok(contains(bl, "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1" "12AB"),
	    "non-ASCII letters fold alike on both sides (σοφια12AB)");
	ok(!contains(bl, "Password2") && !contains(bl, "Password") &&
	    !contains(bl, "Password1 ") && !contains(bl, ""),
	    "near misses are not on the list");
	blocklist_free(bl);

	ok(blocklist_from_text("", 0, &bl, err, sizeof(err)) == 0 &&
	    !contains(bl, "Password1"), "an empty list loads and holds nothing");
	blocklist_free(bl);
}

/* A line of 600 bytes is skipped whole, and the line after it counts,
 * however the reads cut it (here: a file read in 256 KiB chunks). */
static void
test_long_lines(void)
{
	struct blocklist	*bl;
	struct blocklist_stats	 st;
	char			*text, err[256];
	size_t			 n = 0, i;

	text = malloc(2 * 1024 * 1024);
	for (i = 0; i < 3000; i++) {
		memset(text + n, 'x', 600);
		memcpy(text + n + 500, "Aa1", 3);
		n += 600;
		n += (size_t)sprintf(text + n, "\nEntry-%zu\n", i);
	}
	write_file(tmp_path("long.txt"), text, n);
	ok(blocklist_load(tmp_path("long.txt"), 0, &bl, err, sizeof(err)) == 0,
	    "a list with 600-byte lines loads");
	blocklist_stats(bl, &st);
	ok(st.lines == 6000 && st.skipped == 3010 && st.entries == 2990,
	    "every 600-byte line is skipped, every line after one counts "
	    "(across read boundaries; Entry-0..9 are too short)");
	ok(contains(bl, "Entry-0") == 0, "Entry-0 has 7 characters: left out");
	ok(contains(bl, "entry-100") && contains(bl, "ENTRY-2999"),
	    "Entry-100 and Entry-2999 are found");
	blocklist_free(bl);
	free(text);
}

static void
test_gzip(void)
{
	static const char text[] = "Password1\nWelcome123!\nDragon2024\n";
	struct blocklist	*bl;
	gzFile			 gz;
	unsigned char		*raw;
	size_t			 len;
	char			 err[256];

	gz = gzopen(tmp_path("list.txt.gz"), "wb");
	gzwrite(gz, text, sizeof(text) - 1);
	gzclose(gz);
	ok(blocklist_load(tmp_path("list.txt.gz"), 0, &bl, err, sizeof(err)) == 0 &&
	    contains(bl, "PASSWORD1") && contains(bl, "dragon2024") &&
	    !contains(bl, "Dragon2025"), "a gzip list loads like the text");
	blocklist_free(bl);

	/* Cut in the middle of the compressed stream. */
	raw = read_file(tmp_path("list.txt.gz"), &len);
	write_file(tmp_path("cut.txt.gz"), raw, len - 6);
	err[0] = '\0';
	ok(blocklist_load(tmp_path("cut.txt.gz"), 0, &bl, err, sizeof(err)) == -1,
	    "a truncated gzip list is refused (%s)", err);
	/* A damaged byte inside the deflate data or the CRC. */
	raw[len - 5] ^= 0xff;
	write_file(tmp_path("bad.txt.gz"), raw, len);
	err[0] = '\0';
	ok(blocklist_load(tmp_path("bad.txt.gz"), 0, &bl, err, sizeof(err)) == -1,
	    "a gzip list with a wrong checksum is refused (%s)", err);
	free(raw);
}

/* Loads the bytes as a compact file; 0 or -1 with the reason in err. */
static int
load_bytes(const unsigned char *data, size_t len, unsigned flags, char *err,
    size_t errlen)
{
	struct blocklist	*bl;

	write_file(tmp_path("damaged.blk"), data, len);
	if (blocklist_load(tmp_path("damaged.blk"), flags, &bl, err,
	    errlen) == -1)
		return -1;
	blocklist_free(bl);
	return 0;
}

static void
test_compact(void)
{
	static const char text[] =
	    "Password1\nWelcome123!\nDragon2024\nLetmein!1\nSunshine7\n";
	struct blocklist	*bl, *cl;
	struct blocklist_stats	 st;
	unsigned char		*raw, *bad, tmp[8];
	size_t			 len;
	uint64_t		 count;
	char			 err[256];
	struct stat		 sb;

	blocklist_from_text(text, sizeof(text) - 1, &bl, err, sizeof(err));
	ok(blocklist_write(bl, tmp_path("list.blk"), err, sizeof(err)) == 0,
	    "the compact file is written");
	blocklist_free(bl);
	raw = read_file(tmp_path("list.blk"), &len);
	ok(raw != NULL && len == BLOCKLIST_HEADER_SIZE + 5 * 8 &&
	    memcmp(raw, "ARBLKLST", 8) == 0 && raw[8] == 1 && raw[12] == 1 &&
	    raw[16] == 64 && raw[20] == 8 && raw[24] == 128 && raw[28] == 3 &&
	    raw[32] == 5, "it is a 64-byte header (magic, version 1, fold 1, "
	    "rules 8/128/3, count 5) and 5 entries of 8 bytes");
	ok(stat(tmp_path("list.blk"), &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "it is readable by all (0644): it holds no secret");

	ok(blocklist_load(tmp_path("list.blk"), 0, &cl, err, sizeof(err)) == 0,
	    "the compact file loads");
	blocklist_stats(cl, &st);
	ok(st.compact && st.entries == 5, "it is mapped as a compact file of 5 "
	    "entries");
	ok(contains(cl, "PASSWORD1") && contains(cl, "sunshine7") &&
	    contains(cl, "LetMeIn!1") && !contains(cl, "Sunshine8"),
	    "the compact file answers as the text list did");
	blocklist_free(cl);

	ok(blocklist_check_compact(raw, len, 1, &count, err, sizeof(err)) == 0 &&
	    count == 5, "blocklist_check_compact accepts it");

	bad = malloc(len + 8);
#define DAMAGED(what, edit, n) do {					\
	memcpy(bad, raw, len);						\
	edit;								\
	err[0] = '\0';							\
	ok(load_bytes(bad, (n), 0, err, sizeof(err)) == -1 &&		\
	    err[0] != '\0', "refused: %s (%s)", what, err);		\
} while (0)
	DAMAGED("truncated by one byte", (void)0, len - 1);
	DAMAGED("truncated to its header", (void)0, BLOCKLIST_HEADER_SIZE);
	DAMAGED("truncated inside the header", (void)0, 40);
	DAMAGED("one byte too many", bad[len] = 0, len + 1);
	DAMAGED("another format version", bad[8] = 2, len);
	DAMAGED("another fold version", bad[12] = 2, len);
	DAMAGED("another header size", bad[16] = 72, len);
	DAMAGED("built for other rules (9 characters)", bad[20] = 9, len);
	DAMAGED("built for other rules (4 classes)", bad[28] = 4, len);
	DAMAGED("a reserved byte set", bad[63] = 1, len);
	DAMAGED("a count larger than the file", bad[32] = 6, len);
	DAMAGED("a huge count", bad[39] = 0x80, len);
	DAMAGED("entries out of order",
	    (memcpy(tmp, bad + 64, 8), memcpy(bad + 64, bad + 72, 8),
	    memcpy(bad + 72, tmp, 8)), len);
	DAMAGED("a duplicate entry", memcpy(bad + 72, bad + 64, 8), len);
#undef DAMAGED

	/* Trusted order (CGI): a swap is not noticed, but lookups stay in
	 * the file (ASan would say otherwise) and end. */
	memcpy(bad, raw, len);
	memcpy(tmp, bad + 64, 8);
	memcpy(bad + 64, bad + len - 8, 8);
	memcpy(bad + len - 8, tmp, 8);
	write_file(tmp_path("swapped.blk"), bad, len);
	ok(blocklist_load(tmp_path("swapped.blk"), BLOCKLIST_TRUST_ORDER, &cl,
	    err, sizeof(err)) == 0, "with BLOCKLIST_TRUST_ORDER, order is not "
	    "checked at load");
	contains(cl, "Password1");
	contains(cl, "Sunshine7");
	contains(cl, "Zzzzzzz1!");
	ok(1, "lookups in a file out of order end and stay in bounds");
	blocklist_free(cl);
	free(bad);
	free(raw);
}

static void
test_files(void)
{
	struct blocklist	*bl;
	char			 err[256];

	err[0] = '\0';
	ok(blocklist_load(tmp_path("missing"), 0, &bl, err, sizeof(err)) == -1 &&
	    strstr(err, "cannot open") != NULL, "a missing list is refused (%s)",
	    err);
	ok(blocklist_load(tmpdir, 0, &bl, err, sizeof(err)) == -1 &&
	    strstr(err, "regular") != NULL, "a directory is refused (%s)", err);
	mkfifo(tmp_path("fifo"), 0600);
	ok(blocklist_load(tmp_path("fifo"), 0, &bl, err, sizeof(err)) == -1 &&
	    strstr(err, "regular") != NULL,
	    "a FIFO is refused at once, without waiting for a writer (%s)", err);
	write_file(tmp_path("empty"), "", 0);
	ok(blocklist_load(tmp_path("empty"), 0, &bl, err, sizeof(err)) == 0,
	    "an empty file is an empty text list");
	blocklist_free(bl);
	blocklist_from_text("Password1\n", 10, &bl, err, sizeof(err));
	err[0] = '\0';
	ok(blocklist_write(bl, "/nonexistent-dir/x.blk", err, sizeof(err)) == -1 &&
	    strstr(err, "cannot create") != NULL,
	    "writing where no file can be made fails with a reason (%s)", err);
	blocklist_free(bl);
}

/* Every entry of a list of 100,000 is found, in memory and in the
 * compact file, and 100,000 others are not: the search at scale. */
static void
test_many(void)
{
	struct blocklist	*bl, *cl;
	char			*text, pw[32], err[256];
	size_t			 n = 0, i, len;
	int			 all = 1, none = 1, same = 1, in;

	text = malloc(100000 * 16);
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(text + n, "Pw-%06zu-x\n", i);
	if (!ok(blocklist_from_text(text, n, &bl, err, sizeof(err)) == 0 &&
	    blocklist_write(bl, tmp_path("many.blk"), err, sizeof(err)) == 0 &&
	    blocklist_load(tmp_path("many.blk"), 0, &cl, err, sizeof(err)) == 0,
	    "a list of 100,000 entries loads, is written and read back"))
		return;
	for (i = 0; i < 100000; i++) {
		len = (size_t)sprintf(pw, "PW-%06zu-X", i);
		in = blocklist_contains(cl, pw, len);
		all &= in;
		same &= in == blocklist_contains(bl, pw, len);
		len = (size_t)sprintf(pw, "Pw-%06zu-y", i);
		in = blocklist_contains(cl, pw, len);
		none &= !in;
		same &= in == blocklist_contains(bl, pw, len);
	}
	ok(all, "every one of 100,000 entries is found");
	ok(none, "none of 100,000 passwords not on the list is found");
	ok(same, "the compact file and the list in memory agree on all 200,000");
	blocklist_free(bl);
	blocklist_free(cl);
	unlink(tmp_path("many.blk"));
	free(text);
}

static void
test_fingerprint(void)
{
	/* SHA-256("password1") = 0b14d501a594442a01c6859541bcb3e8
	 * 164d183d32937b851835442f69d5c94e: the first 8 bytes, big-endian. */
	ok(blocklist_fingerprint("PassWord1", 9) == UINT64_C(0x0b14d501a594442a),
	    "the fingerprint is the first 8 bytes of SHA-256 of the fold");
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	test_useful();
	test_text();
	test_long_lines();
	test_gzip();
	test_compact();
	test_files();
	test_many();
	test_fingerprint();
	unlink(tmp_path("long.txt"));
	unlink(tmp_path("list.txt.gz"));
	unlink(tmp_path("cut.txt.gz"));
	unlink(tmp_path("bad.txt.gz"));
	unlink(tmp_path("list.blk"));
	unlink(tmp_path("damaged.blk"));
	unlink(tmp_path("swapped.blk"));
	unlink(tmp_path("fifo"));
	unlink(tmp_path("empty"));
	rmdir(tmpdir);
	return done_testing();
}
