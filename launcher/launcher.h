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
 * counting packets. The dataplane's reader takes Ethernet frames in a classic
 * pcap only, so every frame is made Ethernet.
 * @param warn  receives a note (e.g. a truncated file) or "" when none
 * @return 0, or -errno with the reason in err
 */
int jg_capture_normalize(char *const *files, int n, const char *out_path, uint64_t *count, char *err,
			 size_t err_len, char *warn, size_t warn_len);

/** One packet of a capture: its link type, time (Unix ns), lengths and bytes. */
typedef void (*jg_capture_fn)(void *ctx, uint32_t linktype, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
			      const uint8_t *data);

/** @return 1 when the file starts with a pcapng section header */
int jg_pcapng_is(const char *file);

/**
 * Read a pcapng file in place, every section and interface (each packet with
 * its own interface's link type and timestamp resolution).
 * @param cut  set to 1 when the file ends inside a block (what precedes it was read)
 * @return 0, or -errno with the reason in err
 */
int jg_pcapng_read(const char *file, jg_capture_fn fn, void *ctx, char *err, size_t err_len, int *cut);

/**
 * Can the dataplane read this capture as it is (a classic little-endian pcap
 * of Ethernet frames, every record whole)? Walks the record headers only.
 * @param count  its packets, when it can
 * @return 1 when it can, 0 when it must be converted first
 */
int jg_capture_direct(const char *file, uint64_t *count);

/**
 * Make sure 2 MiB hugepages are reserved and hugetlbfs is mounted; as root, fix
 * what is missing.
 * @param pages     pages that should be reserved in all (raised to this as root)
 * @param min_free  pages that must be free now for one more instance
 * @return 0, or -errno with what to do in msg
 */
int jg_hugepages_ensure(unsigned int pages, unsigned int min_free, char *msg, size_t msg_len);

#endif
