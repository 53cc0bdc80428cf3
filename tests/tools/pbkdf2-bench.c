/*
 * pbkdf2-bench.c: times one 32-byte PBKDF2-HMAC-SHA256 derivation with
 * each engine, next to the floor that no PBKDF2 can beat, 2 * ITERATIONS
 * bare SHA-256 compressions.  Each figure is the best of five runs, timed
 * in the thread's CPU time (a busy machine delays a run without making it
 * cost more), the engines and the floor taking turns run by run, so that
 * what the machine does meanwhile falls on all of them alike.
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

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One derivation with engine, in milliseconds of CPU, or -1. */
static double
time_engine(enum pbkdf2_engine engine, unsigned long iterations)
{
	unsigned char	 out[32];
	double		 start;

	start = now_ms();
	if (pbkdf2_sha256(engine, "correct horse battery staple", 28,
	    "saltsaltsaltsaltsaltsa", 22, iterations, out, sizeof(out)) == -1)
		return -1;
	return now_ms() - start;
}

/* best, or took when it is smaller (or best is unset). */
static double
smaller(double best, double took)
{
	return best < 0 || took < best ? took : best;
}

#ifdef HAVE_SHA256_TRANSFORM
/* One loop of 2 * iterations compressions on one state, in ms of CPU. */
static double
time_floor(unsigned long iterations)
{
	SHA256_CTX	 ctx;
	unsigned char	 block[SHA256_CBLOCK];
	double		 start;
	unsigned long	 n;

	memset(block, 0x5c, sizeof(block));
	SHA256_Init(&ctx);
	start = now_ms();
	for (n = 0; n < 2 * iterations; n++)
		SHA256_Transform(&ctx, block);
	return now_ms() - start;
}
#endif

int
main(int argc, char *argv[])
{
	unsigned long	 iterations;
	char		*end;
	double		 openssl_ms = -1, fast_ms = -1, floor_ms = -1, took;
	double		 fast_sum = 0;
	int		 run;

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

	for (run = 0; run < RUNS; run++) {
		if ((took = time_engine(PBKDF2_ENGINE_OPENSSL,
		    iterations)) < 0) {
			fprintf(stderr, "pbkdf2-bench: openssl engine failed\n");
			return 1;
		}
		openssl_ms = smaller(openssl_ms, took);
#ifdef HAVE_SHA256_TRANSFORM
		if ((took = time_engine(PBKDF2_ENGINE_FAST, iterations)) < 0) {
			fprintf(stderr, "pbkdf2-bench: fast engine failed\n");
			return 1;
		}
		fast_ms = smaller(fast_ms, took);
		fast_sum += took;
		floor_ms = smaller(floor_ms, time_floor(iterations));
#endif
	}
	printf("iterations %lu, best of %d runs, CPU time\n", iterations,
	    RUNS);
	printf("openssl  %10.2f ms\n", openssl_ms);
#ifdef HAVE_SHA256_TRANSFORM
	printf("fast     %10.2f ms  (%.2fx floor, %.2fx faster than "
	    "openssl)\n", fast_ms, fast_ms / floor_ms, openssl_ms / fast_ms);
	printf("floor    %10.2f ms  (%lu SHA256_Transform calls)\n",
	    floor_ms, 2 * iterations);
	/* What a hash costs as the machine is now, not at its best: what
	 * the CPU a valid reset is set against (bench/run-bench). */
	printf("fast-mean %9.2f ms  (mean of the %d runs)\n", fast_sum / RUNS,
	    RUNS);
#else
	(void)fast_sum;
	(void)fast_ms;
	(void)floor_ms;
	printf("fast     not built (no SHA256_Transform)\n");
#endif
	return 0;
}
