/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane is a second DPDK process: it can only attach to the
 * dataplane's memory through hugepage files, so hugepages are not optional.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define HUGE_DIR "/dev/hugepages"

static long
meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
			sscanf(line + strlen(key) + 1, "%ld", &v);
			break;
		}
	fclose(f);
	return v;
}

static int
hugetlbfs_mounted(void)
{
	char dev[256], dir[1024], type[64];
	int found = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return 0;
	while (fscanf(f, "%255s %1023s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "hugetlbfs"))
			found = 1;
	fclose(f);
	return found;
}

int
jg_hugepages_ensure(unsigned int pages, unsigned int min_free, char *msg, size_t len)
{
	long total = meminfo("HugePages_Total"), hfree = meminfo("HugePages_Free");
	int root = geteuid() == 0;

	msg[0] = '\0';
	if (total < 0) {
		snprintf(msg, len, "this kernel reports no hugepage support (HugePages_Total missing in /proc/meminfo)");
		return -ENOTSUP;
	}
	if (total < (long)pages) {
		FILE *f;

		if (!root) {
			snprintf(msg, len, "%ld 2 MiB hugepages reserved, %u wanted; as root run: echo %u > /proc/sys/vm/nr_hugepages",
				 total, pages, pages);
			return -EPERM;
		}
		f = fopen("/proc/sys/vm/nr_hugepages", "w");
		if (f == NULL || fprintf(f, "%u\n", pages) < 0 || fclose(f) != 0) {
			snprintf(msg, len, "cannot write /proc/sys/vm/nr_hugepages: %s", strerror(errno));
			return -errno;
		}
		total = meminfo("HugePages_Total");
		hfree = meminfo("HugePages_Free");
		if (total < (long)pages)
			fprintf(stderr, "jumpgate: asked the kernel for %u hugepages, got %ld (memory fragmented?)\n",
				pages, total);
	}
	if (hfree < (long)min_free) {
		snprintf(msg, len, "only %ld of %ld hugepages are free, %u needed: other DPDK processes hold them, or stale files lie in /dev/hugepages",
			 hfree, total, min_free);
		return -ENOMEM;
	}
	if (!hugetlbfs_mounted()) {
		if (!root) {
			snprintf(msg, len, "hugetlbfs is not mounted; as root run: mkdir -p " HUGE_DIR
					   " && mount -t hugetlbfs nodev " HUGE_DIR);
			return -EPERM;
		}
		mkdir(HUGE_DIR, 0755);
		if (mount("nodev", HUGE_DIR, "hugetlbfs", 0, NULL) != 0) {
			snprintf(msg, len, "cannot mount hugetlbfs on " HUGE_DIR ": %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}
