/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL's CPU probe, without the lookups that cannot succeed.
 *
 * At every start, DPDK 22.11's rte_eal_cpu_init asks sysfs about each of RTE_MAX_LCORE (128)
 * CPUs: access("/sys/devices/system/cpu/cpuN/topology/core_id") and, for its NUMA node,
 * access("/sys/devices/system/node/nodeM/cpuN") for M up to RTE_MAX_NUMA_NODES (32). On a
 * machine of a few CPUs that is some 4,000 failing path walks, 8.6 ms of each process's start
 * here (jg-dataplane's and jg-control's, one after the other).
 *
 * This file defines access(): the executable's definition comes first, so EAL's calls land
 * here. A path that names a CPU the kernel can never have (past the last one of
 * /sys/devices/system/cpu/possible) gets ENOENT at once, as sysfs would answer; every other
 * call goes to the kernel as asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long last_cpu = -2; /* -2: not read yet; -1: unknown (every call goes to the kernel) */

/* The last CPU of the kernel's possible set ("0-63", "0,2-5"...); -1 when it cannot say. */
static long
possible_last(void)
{
	char buf[256];
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	const char *p;
	long last = -1;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		for (p = buf; *p != '\0';) {
			char *end;
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (v > last)
				last = v;
			p = end + (*end == ',' || *end == '-');
		}
	fclose(f);
	return last;
}

/* The CPU number a path names after `prefix` and up to `suffix` (which ends the path); -1 if none. */
static long
cpu_in(const char *path, const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix);
	char *end;
	long cpu;

	if (strncmp(path, prefix, n) != 0 || path[n] < '0' || path[n] > '9')
		return -1;
	cpu = strtol(path + n, &end, 10);
	return strcmp(end, suffix) == 0 ? cpu : -1;
}

int
access(const char *path, int mode)
{
	long cpu = -1;

	if (strncmp(path, "/sys/devices/system/", 20) == 0) {
		const char *node = path + 20;

		if (strncmp(node, "node/node", 9) == 0) {
			node = strchr(node + 9, '/');
			if (node != NULL)
				cpu = cpu_in(node, "/cpu", "");
		} else {
			cpu = cpu_in(path, "/sys/devices/system/cpu/cpu", "/topology/core_id");
		}
	}
	if (cpu >= 0) {
		if (last_cpu == -2)
			last_cpu = possible_last();
		if (last_cpu >= 0 && cpu > last_cpu) {
			errno = ENOENT;
			return -1;
		}
	}
	return faccessat(AT_FDCWD, path, mode, 0);
}
