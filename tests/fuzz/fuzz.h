/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared bits of the libFuzzer targets: the entry point's prototype and a
 * check that aborts (so libFuzzer keeps the input) with a readable reason.
 */
#ifndef XGW_FUZZ_H
#define XGW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_assert(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__,	\
				__LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

/* A NUL-terminated malloc'd copy of the input (NUL bytes end it early). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* XGW_FUZZ_H */
