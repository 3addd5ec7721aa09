/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Replay reader: a classic Ethernet pcap read in large chunks and handed to
 * the workers through a ring port (net_ring), by the main lcore, as fast as
 * the workers take it. No copy of the capture beforehand, no libpcap on the
 * way, and no copy of a frame either: each mbuf points into the chunk its
 * frame was read into (an external buffer), and a chunk is read into again
 * once the workers have freed every mbuf pointing into it. Frames are stamped
 * with their capture time as net_pcap would; a full ring, an empty pool or no
 * free chunk waits (a file can). Chunks rather than a mapping of the file: a
 * mapped file's page faults cost more than reading it. A chunk is filled a
 * step at a time as its records are parsed, so that each record's header is
 * still in cache. Frames are not copied into the mbufs: the reader shares a
 * core with the control plane here, and a copy made it slower than a worker.
 */
#ifndef JG_REPLAY_H
#define JG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "jg_pcapfile.h"

#include <rte_common.h>
#include <rte_mbuf_core.h>

struct rte_mempool;
struct rte_ring;

#define JG_REPLAY_CHUNKS 4
#define JG_REPLAY_CHUNK (4u << 20) /**< holds any record whole (JG_PCAPF_MAX_CAPLEN) many times over */
#define JG_REPLAY_STEP (256u << 10) /**< read at a time onto a chunk's end: parsed while in cache */

/** A chunk of the file read into hugepage memory, and the mbufs that still point into it. */
struct jg_replay_chunk {
	uint8_t *buf;
	rte_iova_t iova;
	uint32_t busy; /**< read into and not yet given back by every mbuf (atomic) */
	/**
	 * Its reference count: the reader's, one per mbuf. On a line of its own:
	 * the workers decrement it at every free, and the reader reads buf at
	 * every record (on one line, the two cores passed it back and forth at
	 * every packet: 100 cycles of each free).
	 */
	struct rte_mbuf_ext_shared_info shinfo __rte_cache_aligned;
};

struct jg_replay {
	int fd;
	/**
	 * The file mapped (a regular file): its records are read where they lie,
	 * off the next one's offset in it, with no read() and no copy, and no
	 * chunks; NULL: read into the chunks (a pipe, a device, a failed mmap()).
	 */
	uint8_t *map;
	size_t map_len;
	size_t ahead;     /**< mapped: bytes of it prefetched from its start */
	size_t populated; /**< mapped: bytes of it whose page tables are made (MADV_POPULATE_READ) */
	struct jg_replay_chunk ch[JG_REPLAY_CHUNKS];
	unsigned int cur;    /**< the chunk being read */
	unsigned int refs;   /**< mbufs pointed into it not yet added to its count */
	size_t have;         /**< bytes in it */
	size_t off;          /**< the next record in it (mapped: in the file) */
	int at_end;          /**< the file has no more bytes than those in the chunk */
	struct jg_pcapf hdr;
	uint64_t fed;        /**< frames handed to the port */
	uint64_t bytes;      /**< their bytes */
	uint64_t waits;      /**< turns the reader found the ring full, the pool empty or no chunk free */
	uint64_t copied;     /**< frames copied rather than pointed to (longer than an mbuf can point to) */
	uint64_t bad;        /**< 1 when the file ended inside a record (what follows is not read) */
	int eof;
	int ts_off;          /**< mbuf dynfield of the capture time (microseconds, as net_pcap) */
	uint64_t ts_flag;
	uint16_t port_id;
	struct rte_ring *ring;
	struct rte_mempool *mp;
	/**
	 * Mapped: mbufs of their own that hold no data, each pointed at its frame
	 * in the mapping (buf_addr set by the reader at every use): direct mbufs,
	 * freed by the workers as any other, with no detach and no shared count.
	 * Nothing else allocates from it. NULL when read().
	 */
	struct rte_mempool *frame_pool;
};

/**
 * Open a capture and check that the reader can take it (classic little-endian
 * pcap, Ethernet link type).
 * @return 0, or -errno with the reason in err
 */
int jg_replay_open(struct jg_replay *r, const char *path, char *err, size_t err_len);

/**
 * After EAL: the ring, the port (net_ring, one queue) and the capture-time
 * mbuf field. @return 0, or -errno with the reason in err
 */
int jg_replay_port(struct jg_replay *r, struct rte_mempool *mp, unsigned int ring_size, char *err,
		   size_t err_len);

/**
 * Hand up to `max` frames to the port. @return frames handed over (0: the
 * ring is full, the pool is empty, or the file is done: see eof)
 */
unsigned int jg_replay_feed(struct jg_replay *r, unsigned int max);

/** Close the capture. */
void jg_replay_close(struct jg_replay *r);

#endif
