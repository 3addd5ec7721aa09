/* SPDX-License-Identifier: BSD-3-Clause */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#define LINKTYPE_ETHERNET 1u
#define REPLAY_AHEAD (16u << 10)   /* bytes of a mapped file prefetched ahead of the record read */
#define REPLAY_POPULATE (4u << 20) /* bytes of a mapped file whose page tables are made at once */

/*
 * A regular file is mapped: its records are pointed to where the page cache
 * holds them, with no read() copying them first. Private and writable: a page
 * something writes into is the process's own copy, the file never changes.
 * Failing that (or with JG_REPLAY_MAP=0, to compare the two), read().
 */
static void
map_file(struct jg_replay *r)
{
	const char *env = getenv("JG_REPLAY_MAP");
	struct stat st;
	void *m;

	if ((env != NULL && strcmp(env, "0") == 0) || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size <= JG_PCAPF_HDR || (uint64_t)st.st_size > SIZE_MAX)
		return;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, r->fd, 0);
	if (m == MAP_FAILED)
		return;
	madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	r->map = m;
	r->map_len = (size_t)st.st_size;
}

int
jg_replay_open(struct jg_replay *r, const char *path, char *err, size_t err_len)
{
	uint8_t hdr[JG_PCAPF_HDR];

	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (read(r->fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) || jg_pcapf_header(hdr, sizeof(hdr), &r->hdr) != 0 ||
	    r->hdr.linktype != LINKTYPE_ETHERNET) {
		snprintf(err, err_len, "%s: not a little-endian pcap of Ethernet frames", path);
		jg_replay_close(r);
		return -EINVAL;
	}
	map_file(r);
	return 0;
}

/* The last mbuf pointing into a chunk was freed (by a worker): it may be read into again. */
static void
chunk_free(void *addr, void *opaque)
{
	struct jg_replay_chunk *c = opaque;

	(void)addr;
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

/* Take chunk i for reading: busy, with the reader's own reference. */
static void
chunk_take(struct jg_replay_chunk *c)
{
	c->busy = 1;
	rte_mbuf_ext_refcnt_set(&c->shinfo, 1);
}

/* The reader is done with a chunk: it is free once no mbuf points into it. */
static void
chunk_leave(struct jg_replay_chunk *c)
{
	if (rte_mbuf_ext_refcnt_update(&c->shinfo, -1) == 0)
		__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

/*
 * Read the next step of the file onto the end of the current chunk (at most
 * JG_REPLAY_STEP: the records are parsed while what was read is still in this
 * core's cache; a whole chunk read at once was out of it by then, and every
 * record's header a miss).
 */
static void
read_step(struct jg_replay *r)
{
	size_t want = RTE_MIN((size_t)JG_REPLAY_STEP, JG_REPLAY_CHUNK - r->have);
	ssize_t n;

	do
		n = read(r->fd, r->ch[r->cur].buf + r->have, want);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->have += (size_t)n;
	else
		r->at_end = 1;
}

/*
 * The chunk is full and ends inside (or at) a record: move on to the next
 * chunk, with the record's start, and read on. @return 0, or -EAGAIN while
 * the next chunk is still pointed into
 */
static int
refill(struct jg_replay *r)
{
	unsigned int next = (r->cur + 1) % JG_REPLAY_CHUNKS;
	struct jg_replay_chunk *c = &r->ch[next];
	size_t tail = r->have - r->off;

	if (__atomic_load_n(&c->busy, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	chunk_take(c);
	memcpy(c->buf, r->ch[r->cur].buf + r->off, tail);
	chunk_leave(&r->ch[r->cur]);
	r->cur = next;
	r->have = tail;
	r->off = 0;
	read_step(r);
	return 0;
}

int
jg_replay_port(struct jg_replay *r, struct rte_mempool *mp, unsigned int ring_size, char *err, size_t err_len)
{
	int port;

	if (rte_mbuf_dyn_rx_timestamp_register(&r->ts_off, &r->ts_flag) != 0) {
		snprintf(err, err_len, "replay: cannot register the capture-time field: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (unsigned int i = 0; i < JG_REPLAY_CHUNKS && r->map == NULL; i++) {
		struct jg_replay_chunk *c = &r->ch[i];

		c->buf = rte_malloc("jg_replay", JG_REPLAY_CHUNK, RTE_CACHE_LINE_SIZE);
		if (c->buf == NULL) {
			snprintf(err, err_len, "replay: no memory for its %u chunks of %u MiB", JG_REPLAY_CHUNKS,
				 JG_REPLAY_CHUNK >> 20);
			return -ENOMEM;
		}
		c->iova = rte_malloc_virt2iova(c->buf);
		c->shinfo.free_cb = chunk_free;
		c->shinfo.fcb_opaque = c;
	}
	if (r->map != NULL) {
		r->off = JG_PCAPF_HDR; /* the records are read where they lie in the mapping, from the first */
	} else {
		/* the first chunk starts as if the one before had ended exactly at a record */
		r->cur = JG_REPLAY_CHUNKS - 1;
		chunk_take(&r->ch[r->cur]);
		refill(r);
	}
	r->ring = rte_ring_create("jg_replay", ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r->ring == NULL) {
		snprintf(err, err_len, "replay: cannot create its ring: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	port = rte_eth_from_ring(r->ring);
	if (port < 0) {
		snprintf(err, err_len, "replay: cannot make a port of its ring: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	r->port_id = (uint16_t)port;
	r->mp = mp;
	if (r->map != NULL) {
		/* as many as the pool: what the ring, the workers' bursts and their queues may hold at once */
		r->frame_pool = rte_pktmbuf_pool_create("jg_replay_frames", mp->size, mp->cache_size, 0, 0,
							(int)rte_socket_id());
		if (r->frame_pool == NULL) {
			snprintf(err, err_len, "replay: cannot create its pool of %u frame mbufs: %s", mp->size,
				 rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

/* A frame longer than an mbuf can point to: copied into a chain of mbufs. @return 0, or -ENOMEM */
static int
copy_frame(struct jg_replay *r, struct rte_mbuf *head, const struct jg_pcapf_rec *rec)
{
	struct rte_mbuf *last = head;
	const uint8_t *p = rec->data;
	uint32_t left = rec->caplen;

	for (;;) {
		uint32_t take = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(last));

		memcpy(rte_pktmbuf_mtod(last, uint8_t *), p, take);
		last->data_len = (uint16_t)take;
		p += take;
		left -= take;
		if (left == 0)
			break;
		last->next = rte_pktmbuf_alloc(r->mp);
		if (last->next == NULL)
			return -ENOMEM;
		last = last->next;
		head->nb_segs++;
	}
	r->copied++;
	return 0;
}

/*
 * A record into the mbuf at *slot: pointing into the mapping (an mbuf of
 * frame_pool), into the chunk, or copied (mapped: into an mbuf of the pool
 * that replaces it). @return 0, or -ENOMEM (*slot left as it was)
 */
static int
build(struct jg_replay *r, struct rte_mbuf **slot, const struct jg_pcapf_rec *rec)
{
	struct jg_replay_chunk *c = &r->ch[r->cur];
	struct rte_mbuf *m = *slot;

	if (r->map != NULL && rec->caplen <= UINT16_MAX) {
		m->buf_addr = (void *)(uintptr_t)rec->data;
		m->buf_iova = (rte_iova_t)(uintptr_t)rec->data; /* no device reads it: a virtual port's ring */
		m->buf_len = (uint16_t)rec->caplen;
		m->data_off = 0;
		m->data_len = (uint16_t)rec->caplen;
	} else if (r->map != NULL) {
		struct rte_mbuf *h = rte_pktmbuf_alloc(r->mp);

		if (h == NULL || copy_frame(r, h, rec) != 0) {
			rte_pktmbuf_free(h);
			return -ENOMEM;
		}
		rte_pktmbuf_free(m);
		*slot = m = h;
	} else if (rec->caplen <= UINT16_MAX) {
		r->refs++; /* added to the chunk's count once per burst (jg_replay_feed) */
		rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)rec->data, c->iova + (rte_iova_t)(rec->data - c->buf),
					  (uint16_t)rec->caplen, &c->shinfo);
		m->data_len = (uint16_t)rec->caplen;
	} else if (copy_frame(r, m, rec) != 0) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
		m->data_len = 0;
		return -ENOMEM;
	}
	m->pkt_len = rec->caplen;
	m->port = r->port_id;
	*RTE_MBUF_DYNFIELD(m, r->ts_off, uint64_t *) = rec->ts_ns / 1000u;
	m->ol_flags |= r->ts_flag;
	r->bytes += rec->caplen;
	return 0;
}

/*
 * The mbufs built since the last call point into the current chunk: one update
 * of its count for them all (a count the workers decrement is a contended line).
 */
static void
add_refs(struct jg_replay *r)
{
	if (r->refs != 0)
		rte_mbuf_ext_refcnt_update(&r->ch[r->cur].shinfo, (int16_t)r->refs);
	r->refs = 0;
}

/* The next record, moving on to the next chunk when this one ends inside it. @return as jg_pcapf_next(), or -EAGAIN */
static int
next_record(struct jg_replay *r, struct jg_pcapf_rec *rec)
{
	if (r->map != NULL) {
		/* every line of the mapping a stretch ahead of the record: into this core's cache before
		 * its header is parsed here and its bytes read by a worker. A prefetch into a page not
		 * yet in the page tables is dropped: they are made 4 MiB at a time, 8 MiB ahead (one
		 * call per 4 MiB instead of a fault per 64 KiB, each of them a missed header) */
		size_t to = RTE_MIN(r->off + REPLAY_AHEAD, r->map_len);

		if (unlikely(r->off + 2 * REPLAY_POPULATE > r->populated && r->populated < r->map_len)) {
			size_t len = RTE_MIN((size_t)REPLAY_POPULATE, r->map_len - r->populated);

			madvise(r->map + r->populated, len, MADV_POPULATE_READ); /* failing, pages fault in as read */
			r->populated += len;
		}
		for (; r->ahead < to; r->ahead += RTE_CACHE_LINE_SIZE)
			rte_prefetch0(r->map + r->ahead);
		return jg_pcapf_next(r->map, r->map_len, &r->hdr, &r->off, rec);
	}
	for (;;) {
		int rc = jg_pcapf_next(r->ch[r->cur].buf, r->have, &r->hdr, &r->off, rec);

		if (rc == 1 || r->at_end)
			return rc;
		if (r->have < JG_REPLAY_CHUNK) {
			read_step(r);
			continue;
		}
		add_refs(r);
		if (refill(r) != 0)
			return -EAGAIN;
	}
}

unsigned int
jg_replay_feed(struct jg_replay *r, unsigned int max)
{
	struct rte_mbuf *burst[64];
	unsigned int done = 0;

	while (done < max && !r->eof) {
		/* only what the ring has room for is built: the one producer is here, so the room only grows */
		unsigned int room = RTE_MIN(RTE_MIN(rte_ring_free_count(r->ring), (unsigned int)RTE_DIM(burst)), max - done);
		unsigned int n = 0;

		if (room == 0 || rte_pktmbuf_alloc_bulk(r->frame_pool != NULL ? r->frame_pool : r->mp, burst, room) != 0)
			break; /* the ring is full, or the pool low: the workers are behind */
		while (n < room) {
			struct jg_pcapf_rec rec;
			int rc = next_record(r, &rec);

			if (rc == -EAGAIN)
				break; /* every chunk is still pointed into */
			if (rc <= 0) {
				r->bad = rc < 0;
				r->eof = 1;
				break;
			}
			if (build(r, &burst[n], &rec) != 0) {
				r->off -= JG_PCAPF_REC_HDR + rec.caplen; /* the pool is empty: this record again next time */
				break;
			}
			n++;
		}
		if (n < room)
			rte_pktmbuf_free_bulk(burst + n, room - n);
		if (n == 0)
			break;
		add_refs(r); /* before any of them can reach a worker */
		rte_ring_sp_enqueue_bulk(r->ring, (void **)burst, n, NULL);
		r->fed += n;
		done += n;
		if (n < room)
			break;
	}
	return done;
}

void
jg_replay_close(struct jg_replay *r)
{
	/* the chunks stay: mbufs may still point into them until EAL goes */
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
