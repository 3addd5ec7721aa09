/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The `jumpgate` launcher's helpers: capture normalisation and hugepage setup.
 */
#ifndef JG_LAUNCHER_H
#define JG_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>

/**
 * Copy captures (pcap or pcapng, any of Ethernet, Linux cooked v1/v2, BSD
 * loopback/null, raw IP link types) into one Ethernet pcap, in the order given,
 * counting packets. net_pcap hands frames to the dataplane as they are in the
 * file, so every frame must be Ethernet.
 * @param warn  receives a note (e.g. a truncated file) or "" when none
 * @return 0, or -errno with the reason in err
 */
int jg_capture_normalize(char *const *files, int n, const char *out_path, uint64_t *count, char *err,
			 size_t err_len, char *warn, size_t warn_len);

/**
 * Make sure 2 MiB hugepages are reserved and hugetlbfs is mounted; as root, fix
 * what is missing.
 * @param pages     pages that should be reserved in all (raised to this as root)
 * @param min_free  pages that must be free now for one more instance
 * @return 0, or -errno with what to do in msg
 */
int jg_hugepages_ensure(unsigned int pages, unsigned int min_free, char *msg, size_t msg_len);

#endif
