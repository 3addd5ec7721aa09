/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A shorter TSC measurement at EAL start.
 *
 * When the CPU does not report its TSC rate (no CPUID leaf 0x15, as on AMD and in most
 * virtual machines), DPDK 22.11's rte_eal_init measures it: CLOCK_MONOTONIC_RAW and the TSC
 * read, nanosleep(100 ms), both read again, the ratio rounded to 10 MHz. The ratio does not
 * depend on how long the sleep was, only on the two pairs of reads, which sit next to each
 * other; 10 ms measure it to well under the 10 MHz rounding (5 ppm per microsecond of skew
 * between a pair). That sleep was a third of a replay's whole start.
 *
 * This file defines nanosleep: the executable's definition comes first in the dynamic
 * linker's search, so EAL's call lands here. Only that one call is shortened: a request of
 * exactly 100 ms, from the thread that called jg_tsc_short_begin(), between it and
 * jg_tsc_short_end(). Everything else sleeps as asked. jg_tsc_check() then compares the
 * rate EAL settled on with one measured over the whole of rte_eal_init.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_cycles.h>

#include "dataplane.h"
#include "jg_fmt.h"

#define EAL_TSC_SLEEP_NS 100000000L
#define SHORT_SLEEP_NS 10000000L

static __thread int short_sleep;
static uint64_t t0_ns, t0_tsc;

static uint64_t
raw_ns(void)
{
	return jg_clock_ns(CLOCK_MONOTONIC_RAW);
}

int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct timespec shorter;
	int rc;

	if (short_sleep && req != NULL && req->tv_sec == 0 && req->tv_nsec == EAL_TSC_SLEEP_NS) {
		short_sleep = 0; /* once: EAL measures once */
		shorter = (struct timespec){ .tv_sec = 0, .tv_nsec = SHORT_SLEEP_NS };
		req = &shorter;
		rem = NULL;
	}
	rc = clock_nanosleep(CLOCK_REALTIME, 0, req, rem); /* what glibc's nanosleep does */
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

void
jg_tsc_short_begin(void)
{
	t0_ns = raw_ns();
	t0_tsc = rte_rdtsc();
	short_sleep = 1;
}

void
jg_tsc_short_end(void)
{
	short_sleep = 0;
}

int
jg_tsc_check(void)
{
	uint64_t ns = raw_ns() - t0_ns, tsc = rte_rdtsc() - t0_tsc, hz = rte_get_tsc_hz();
	double ours, off;

	if (ns < 20000000ull || hz == 0)
		return 0; /* too short a window to judge EAL's figure by */
	ours = (double)tsc * 1e9 / (double)ns;
	off = ((double)hz - ours) / ours;
	if (off > 0.01 || off < -0.01) {
		fprintf(stderr, "jg-dataplane: EAL's TSC rate %.1f MHz is %.1f%% off the %.1f MHz measured over its start\n",
			(double)hz / 1e6, off * 100, ours / 1e6);
		return -1;
	}
	return 0;
}
