/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IP reassembly (IPv4, and IPv6 fragment headers), one table per worker.
 *
 * Fragments are copied into fixed 2 KiB chunks of a per-worker pool; which
 * 8-byte blocks of a datagram are held is a bitmap, so any order, any size and
 * any number of overlaps cost the same and no list is ever walked. Overlapping
 * bytes are resolved by a named policy (first copy wins, as Windows does; or
 * last), and bytes that differ from the copy already held are reported as a
 * conflict. Everything is bounded: datagrams in flight (the oldest is dropped
 * to make room), fragments per datagram, pool memory, the datagram's age.
 * Every drop has its own counter.
 *
 * A complete datagram comes back as one frame: the first fragment's link and
 * IP headers with the fragmentation taken out (IPv4 flags/offset cleared and
 * the checksum redone; IPv6's fragment header removed), then the payload; it
 * is parsed and handled like any packet. No DPDK here: unit-tested and fuzzed
 * without EAL.
 */
#ifndef JG_IPFRAG_H
#define JG_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt_fastpath.h"

#define JG_FRAG_CHUNK 2048u
#define JG_FRAG_MAX_DGRAM 65535u /**< IP payload bytes a datagram may reach */
#define JG_FRAG_HDR_MAX 192u     /**< link + IP header bytes kept from the first fragment */
/** Bytes a rebuilt frame may take: the caller's buffer for jg_frag_add(). */
#define JG_FRAG_FRAME_MAX (JG_FRAG_HDR_MAX + JG_FRAG_MAX_DGRAM)

/** Whose bytes win an overlap. */
enum jg_overlap_policy {
	JG_OVERLAP_FIRST = 0, /**< the copy that arrived first (Windows, and most stacks for TCP) */
	JG_OVERLAP_LAST,      /**< the copy that arrived last */
};

/** What jg_frag_add() did with a fragment. */
enum jg_frag_rc {
	JG_FRAG_HELD = 0, /**< kept; the datagram is not complete yet */
	JG_FRAG_DONE,     /**< this fragment completed its datagram: the frame is in `out` */
	JG_FRAG_DROPPED,  /**< not kept (a counter says why) */
};

/** Anomalies of a completed datagram (jg_frag_add's `anomalies`). */
#define JG_FRAG_A_OVERLAP 0x1u  /**< fragments overlapped */
#define JG_FRAG_A_CONFLICT 0x2u /**< ... with bytes that differ */
#define JG_FRAG_A_TINY 0x4u     /**< the first fragment does not hold the whole transport header */

struct jg_frag_limits {
	uint32_t datagrams;  /**< datagrams in reassembly at once */
	uint32_t fragments;  /**< fragments a datagram may have (duplicates count) */
	uint32_t mem_bytes;  /**< pool memory for fragment bytes */
	uint64_t timeout_ns; /**< a datagram not complete after this long is dropped */
	uint8_t policy;      /**< enum jg_overlap_policy */
};

struct jg_frag_table;

/** Bytes of memory a table with these limits needs. */
size_t jg_frag_mem_size(const struct jg_frag_limits *lim);

/**
 * Lay a table out over caller memory (64-byte aligned, jg_frag_mem_size bytes).
 * @param cnt  the owner's counters (enum jg_counter): the FRAG_* ones are counted there
 * @return the table (at mem), or NULL when a limit is out of range
 */
struct jg_frag_table *jg_frag_init(void *mem, const struct jg_frag_limits *lim, uint64_t *cnt);

/**
 * Add one fragment.
 * @param frame      the whole frame (link header included), contiguous
 * @param len        its bytes
 * @param k          what jg_pkt_parse() made of it (JG_PKT_FRAGMENT)
 * @param now_ns     its time
 * @param out        on JG_FRAG_DONE: the rebuilt frame (JG_FRAG_FRAME_MAX bytes of room)
 * @param out_len    its length
 * @param anomalies  on JG_FRAG_DONE: JG_FRAG_A_* bits of the datagram
 */
enum jg_frag_rc jg_frag_add(struct jg_frag_table *t, const uint8_t *frame, uint32_t len, const struct jg_pkt *k,
			    uint64_t now_ns, uint8_t *out, uint32_t *out_len, uint32_t *anomalies);

/** Drop the datagrams older than the timeout at now_ns. @return how many */
uint32_t jg_frag_expire(struct jg_frag_table *t, uint64_t now_ns);

/** Datagrams in reassembly now. */
uint32_t jg_frag_in_flight(const struct jg_frag_table *t);

#endif
