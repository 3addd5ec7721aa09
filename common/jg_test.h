/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A minimal unit-test harness: CHECK() records a failure with its line and goes
 * on; jg_test_done() prints "N passed, N failed" and returns the exit status.
 */
#ifndef JG_TEST_H
#define JG_TEST_H

#include <stdio.h>

static unsigned int jg_test_pass, jg_test_fail;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (cond) {                                                             \
			jg_test_pass++;                                                 \
		} else {                                                                \
			jg_test_fail++;                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                       \
	} while (0)

static inline int
jg_test_done(void)
{
	printf("%u passed, %u failed\n", jg_test_pass, jg_test_fail);
	return jg_test_fail ? 1 : 0;
}

#endif
