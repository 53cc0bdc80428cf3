/*
 * fuzz.h: what the libFuzzer targets in this directory share.  Each
 * target feeds one module the bytes libFuzzer makes up and checks what it
 * promises; a promise broken is an abort(), which libFuzzer reports as a
 * crash and saves the input for (crash-<sha1>).
 */
#ifndef AR_FUZZ_H
#define AR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run when a promise does not hold, naming it and the line. */
#define FUZZ_CHECK(cond, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken promise: %s (%s)\n",	\
		    __FILE__, __LINE__, (what), #cond);			\
		abort();						\
	}								\
} while (0)

#endif
