/*
 * pbkdf2-bench.c: times one 32-byte PBKDF2-HMAC-SHA256 derivation with
 * each engine, next to the floor that no PBKDF2 can beat, 2 * ITERATIONS
 * bare SHA-256 compressions.  Each figure is the best of five runs.
 *
 *	pbkdf2-bench ITERATIONS
 *
 * Not run by the test suite: timings say nothing about correctness.
 */
#include "ac-config.h"

#ifdef HAVE_SHA256_TRANSFORM
#define OPENSSL_SUPPRESS_DEPRECATED 1
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SHA256_TRANSFORM
#include <openssl/sha.h>
#endif

#include "password/pbkdf2.h"

#define RUNS	5

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Best of RUNS derivations with engine, in milliseconds, or -1. */
static double
time_engine(enum pbkdf2_engine engine, unsigned long iterations)
{
	unsigned char	 out[32];
	double		 best = -1, start, took;
	int		 run;

	for (run = 0; run < RUNS; run++) {
		start = now_ms();
		if (pbkdf2_sha256(engine, "correct horse battery staple", 28,
		    "saltsaltsaltsaltsaltsa", 22, iterations, out,
		    sizeof(out)) == -1)
			return -1;
		took = now_ms() - start;
		if (best < 0 || took < best)
			best = took;
	}
	return best;
}

#ifdef HAVE_SHA256_TRANSFORM
/* Best of RUNS loops of 2 * iterations compressions on one state. */
static double
time_floor(unsigned long iterations)
{
	SHA256_CTX	 ctx;
	unsigned char	 block[SHA256_CBLOCK];
	double		 best = -1, start, took;
	unsigned long	 n;
	int		 run;

	memset(block, 0x5c, sizeof(block));
	for (run = 0; run < RUNS; run++) {
		SHA256_Init(&ctx);
		start = now_ms();
		for (n = 0; n < 2 * iterations; n++)
			SHA256_Transform(&ctx, block);
		took = now_ms() - start;
		if (best < 0 || took < best)
			best = took;
	}
	return best;
}
#endif

int
main(int argc, char *argv[])
{
	unsigned long	 iterations;
	char		*end;
	double		 openssl_ms;

	if (argc != 2) {
		fprintf(stderr, "usage: pbkdf2-bench ITERATIONS\n");
		return 2;
	}
	errno = 0;
	iterations = strtoul(argv[1], &end, 10);
	if (argv[1][0] < '1' || argv[1][0] > '9' || *end != '\0' ||
	    errno != 0 || iterations > 100000000UL) {
		fprintf(stderr, "pbkdf2-bench: ITERATIONS must be "
		    "1..100000000\n");
		return 2;
	}

	if ((openssl_ms = time_engine(PBKDF2_ENGINE_OPENSSL, iterations)) < 0) {
		fprintf(stderr, "pbkdf2-bench: openssl engine failed\n");
		return 1;
	}
	printf("iterations %lu, best of %d runs\n", iterations, RUNS);
	printf("openssl  %10.2f ms\n", openssl_ms);
#ifdef HAVE_SHA256_TRANSFORM
	{
		double fast_ms, floor_ms;

		if ((fast_ms = time_engine(PBKDF2_ENGINE_FAST,
		    iterations)) < 0) {
			fprintf(stderr, "pbkdf2-bench: fast engine failed\n");
			return 1;
		}
		floor_ms = time_floor(iterations);
		printf("fast     %10.2f ms  (%.2fx floor, %.2fx faster than "
		    "openssl)\n", fast_ms, fast_ms / floor_ms,
		    openssl_ms / fast_ms);
		printf("floor    %10.2f ms  (%lu SHA256_Transform calls)\n",
		    floor_ms, 2 * iterations);
	}
#else
	printf("fast     not built (no SHA256_Transform)\n");
#endif
	return 0;
}
