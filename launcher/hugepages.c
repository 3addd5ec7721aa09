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
jg_hugepages_ensure(unsigned int pages, char *msg, size_t len)
{
	long total = meminfo("HugePages_Total"), hfree = meminfo("HugePages_Free");
	int root = geteuid() == 0;

	msg[0] = '\0';
	if (total < 0) {
		snprintf(msg, len, "this kernel reports no hugepage support (HugePages_Total missing in /proc/meminfo)");
		return -ENOTSUP;
	}
	if (hfree < (long)pages) {
		FILE *f;

		if (!root) {
			snprintf(msg, len, "%ld free 2 MiB hugepages, %u wanted; as root run: echo %ld > /proc/sys/vm/nr_hugepages",
				 hfree, pages, total + (long)pages - hfree);
			return -EPERM;
		}
		f = fopen("/proc/sys/vm/nr_hugepages", "w");
		if (f == NULL || fprintf(f, "%ld\n", total + (long)pages - hfree) < 0 || fclose(f) != 0) {
			snprintf(msg, len, "cannot write /proc/sys/vm/nr_hugepages: %s", strerror(errno));
			return -errno;
		}
		hfree = meminfo("HugePages_Free");
		if (hfree < (long)pages) {
			snprintf(msg, len, "asked the kernel for %u free hugepages, got %ld (memory fragmented? reboot or add hugepages=N to the kernel command line)",
				 pages, hfree);
			return -ENOMEM;
		}
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
