/*
 * blocklist-tool.c: the fold, the blocklist and the context checks behind
 * a command line, so that tests in Python can hold them against their own
 * reading of docs/BLOCKLIST.md, and make bench can time them.
 *
 *	blocklist-tool fold
 *		writes the fold of all of stdin to stdout
 *	blocklist-tool fingerprint
 *		prints the fingerprint of all of stdin, 16 hex digits
 *	blocklist-tool contains [--trust] LIST
 *		loads LIST, then prints 1 or 0 for each line of stdin
 *	blocklist-tool repetitive
 *		prints 1 or 0 for each line of stdin
 *	blocklist-tool bench [--trust] LIST HITS N
 *		loads LIST, then times N lookups of passwords that are not on
 *		it and N of the lines of HITS (which are), and prints
 *		"key value" lines: load_ms, entries, lookup_miss_ns,
 *		lookup_hit_ns, and this process's memory from
 *		/proc/self/smaps_rollup (kB) after the load and after the
 *		lookups
 *
 * Exit status 0, or 3 on usage errors and failures.
 */
#include "ac-config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "password/blocklist.h"
#include "password/context.h"
#include "password/fold.h"

#define EXIT_TROUBLE	3
#define INPUT_MAX	(64 * 1024 * 1024)

static double
now_ms(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* All of stdin (at most INPUT_MAX bytes), or NULL. */
static char *
read_all(FILE *f, size_t *len)
{
	char	*buf = malloc(INPUT_MAX);
	size_t	 n = 0, r;

	if (buf == NULL)
		return NULL;
	while (n < INPUT_MAX && (r = fread(buf + n, 1, INPUT_MAX - n, f)) > 0)
		n += r;
	*len = n;
	return buf;
}

static int
load(const char *path, unsigned flags, struct blocklist **bl)
{
	char	err[512];

	if (blocklist_load(path, flags, bl, err, sizeof(err)) == -1) {
		fprintf(stderr, "blocklist-tool: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* Prints the lines of /proc/self/smaps_rollup that say how much memory
 * is private and how much shared, prefixed. */
static void
print_memory(const char *prefix)
{
	static const char *const keys[] = { "Rss:", "Pss:", "Shared_Clean:",
	    "Shared_Dirty:", "Private_Clean:", "Private_Dirty:" };
	FILE		*f = fopen("/proc/self/smaps_rollup", "r");
	char		 line[256];
	unsigned long	 kb;
	size_t		 i, n;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			n = strlen(keys[i]);
			if (strncmp(line, keys[i], n) == 0 &&
			    sscanf(line + n, "%lu", &kb) == 1)
				printf("%s_%.*s_kb %lu\n", prefix, (int)n - 1,
				    keys[i], kb);
		}
	fclose(f);
}

static int
bench(const char *list, unsigned flags, const char *hits_path, long n)
{
	struct blocklist	*bl;
	struct blocklist_stats	 st;
	FILE			*hf;
	char			*hits, *p, **hit = NULL, pw[64];
	size_t			 hlen, nhits = 0, cap = 0;
	double			 t0, t1;
	long			 i, found = 0;
	uint64_t		 x = 0x9e3779b97f4a7c15u;

	t0 = now_ms();
	if (load(list, flags, &bl) == -1)
		return EXIT_TROUBLE;
	t1 = now_ms();
	blocklist_stats(bl, &st);
	printf("load_ms %.3f\nentries %llu\ncompact %d\n", t1 - t0,
	    (unsigned long long)st.entries, st.compact);
	print_memory("after_load");

	if ((hf = fopen(hits_path, "r")) == NULL ||
	    (hits = read_all(hf, &hlen)) == NULL) {
		fprintf(stderr, "blocklist-tool: %s: cannot read\n", hits_path);
		return EXIT_TROUBLE;
	}
	fclose(hf);
	for (p = hits; p < hits + hlen; ) {
		char *nl = memchr(p, '\n', (size_t)(hits + hlen - p));

		if (nl == NULL)
			break;
		*nl = '\0';
		if (nhits == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((hit = realloc(hit, cap * sizeof(*hit))) == NULL)
				return EXIT_TROUBLE;
		}
		hit[nhits++] = p;
		p = nl + 1;
	}
	if (nhits == 0) {
		fprintf(stderr, "blocklist-tool: %s: no lines\n", hits_path);
		return EXIT_TROUBLE;
	}

	/* Misses: fresh passwords that no list of the bench holds. */
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(pw, sizeof(pw), "Zq-%016llx!", (unsigned long long)x);
		found += blocklist_contains(bl, pw, strlen(pw));
	}
	t1 = now_ms();
	printf("lookup_miss_ns %.0f\nmisses_found %ld\n", (t1 - t0) * 1e6 /
	    (double)n, found);

	found = 0;
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		p = hit[(size_t)i % nhits];
		found += blocklist_contains(bl, p, strlen(p));
	}
	t1 = now_ms();
	printf("lookup_hit_ns %.0f\nhits_found %ld\n", (t1 - t0) * 1e6 /
	    (double)n, found);
	print_memory("after_lookups");
	free(hit);
	free(hits);
	blocklist_free(bl);
	return 0;
}

/* Prints 1 or 0 for each line of stdin, as check says. */
static int
each_line(struct blocklist *bl)
{
	char	*in, *p, *nl;
	size_t	 len;
	int	 v;

	if ((in = read_all(stdin, &len)) == NULL)
		return EXIT_TROUBLE;
	for (p = in; p < in + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(in + len - p))) == NULL)
			nl = in + len;
		v = bl != NULL ? blocklist_contains(bl, p, (size_t)(nl - p)) :
		    context_repetitive(p, (size_t)(nl - p));
		printf("%d\n", v);
	}
	free(in);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct blocklist	*bl = NULL;
	char			*in, *out;
	size_t			 len, olen;
	unsigned		 flags = 0;
	int			 rc, a = 2;

	if (argc >= 3 && strcmp(argv[2], "--trust") == 0) {
		flags = BLOCKLIST_TRUST_ORDER;
		a = 3;
	}
	if (argc == 2 && strcmp(argv[1], "fold") == 0) {
		if ((in = read_all(stdin, &len)) == NULL ||
		    (out = malloc(FOLD_MAX_BYTES(len))) == NULL)
			return EXIT_TROUBLE;
		olen = fold_utf8(in, len, out);
		fwrite(out, 1, olen, stdout);
		free(in);
		free(out);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "fingerprint") == 0) {
		if ((in = read_all(stdin, &len)) == NULL)
			return EXIT_TROUBLE;
		printf("%016llx\n",
		    (unsigned long long)blocklist_fingerprint(in, len));
		free(in);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "repetitive") == 0)
		return each_line(NULL);
	if (argc == a + 1 && strcmp(argv[1], "contains") == 0) {
		if (load(argv[a], flags, &bl) == -1)
			return EXIT_TROUBLE;
		rc = each_line(bl);
		blocklist_free(bl);
		return rc;
	}
	if (argc == a + 3 && strcmp(argv[1], "bench") == 0)
		return bench(argv[a], flags, argv[a + 1], atol(argv[a + 2]));
	fprintf(stderr, "usage: blocklist-tool fold | fingerprint | repetitive |"
	    " contains [--trust] LIST | bench [--trust] LIST HITS N\n");
	return EXIT_TROUBLE;
}
