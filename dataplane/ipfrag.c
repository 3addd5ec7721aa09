/* SPDX-License-Identifier: BSD-3-Clause */
#include "ipfrag.h"

#include <string.h>

#include "jg_khash.h"
#include "jg_wire.h"

#define NCHUNK (65536u / JG_FRAG_CHUNK)
#define NBLOCK (65536u / 8u)

/* One datagram in reassembly. Indexes are slot + 1, 0 meaning none. */
struct dgram {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t ip_version;
	uint8_t proto;
	uint8_t have_first;
	uint8_t have_last;
	uint16_t vlan;
	uint16_t hdr_len;  /* bytes of hdr: the first fragment up to its fragmentable part */
	uint16_t l3_off;
	uint16_t nh_off;   /* IPv6: where in hdr the next-header byte naming the fragment header is */
	uint8_t v6_next;   /* IPv6: the protocol after the fragment header */
	uint8_t anomalies; /* JG_FRAG_A_* */
	uint32_t total;    /* payload bytes, once the last fragment came */
	uint32_t max_end;  /* end of the furthest byte held */
	uint32_t n_frags;
	uint32_t n_blocks; /* 8-byte blocks held */
	uint32_t hash;
	uint32_t hnext;
	uint32_t older, newer; /* age list */
	uint64_t first_ns;
	uint32_t chunk[NCHUNK];
	uint64_t blocks[NBLOCK / 64];
	uint8_t hdr[JG_FRAG_HDR_MAX];
};

struct jg_frag_table {
	struct jg_khash hk; /* keyed: crafted ids must not chain into one bucket */
	struct jg_frag_limits lim;
	uint64_t *cnt;
	uint32_t n_buckets;
	uint32_t shift; /* jg_khash_shift(n_buckets) */
	uint32_t n_chunks;
	uint32_t in_flight;
	uint32_t free_dg;    /* free datagram slots, chained through hnext */
	uint32_t free_chunk; /* free chunks, chained through chunk_next */
	uint32_t oldest, newest;
	uint32_t *buckets;
	uint32_t *chunk_next;
	struct dgram *dg;
	uint8_t *mem;
};

static size_t
align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

size_t
jg_frag_mem_size(const struct jg_frag_limits *lim)
{
	uint32_t chunks = lim->mem_bytes / JG_FRAG_CHUNK;

	return align64(sizeof(struct jg_frag_table)) + align64(sizeof(uint32_t) * pow2_at_least(2 * lim->datagrams)) +
	       align64(sizeof(uint32_t) * chunks) + align64(sizeof(struct dgram) * lim->datagrams) +
	       (size_t)chunks * JG_FRAG_CHUNK;
}

struct jg_frag_table *
jg_frag_init(void *mem, const struct jg_frag_limits *lim, uint64_t *cnt)
{
	struct jg_frag_table *t = mem;
	uint8_t *p = mem;
	uint32_t chunks = lim->mem_bytes / JG_FRAG_CHUNK;

	if (lim->datagrams == 0 || lim->datagrams > (1u << 20) || chunks == 0 || lim->fragments == 0 ||
	    lim->policy > JG_OVERLAP_LAST)
		return NULL;
	memset(t, 0, sizeof(*t));
	jg_khash_init(&t->hk, jg_khash_seed() ^ 0x6672616773ull); /* "frags": not the flow tables' keys */
	t->lim = *lim;
	t->cnt = cnt;
	t->n_buckets = pow2_at_least(2 * lim->datagrams);
	t->shift = jg_khash_shift(t->n_buckets);
	t->n_chunks = chunks;
	p += align64(sizeof(*t));
	t->buckets = (uint32_t *)p;
	memset(t->buckets, 0, sizeof(uint32_t) * t->n_buckets);
	p += align64(sizeof(uint32_t) * t->n_buckets);
	t->chunk_next = (uint32_t *)p;
	p += align64(sizeof(uint32_t) * chunks);
	t->dg = (struct dgram *)p;
	p += align64(sizeof(struct dgram) * lim->datagrams);
	t->mem = p;
	for (uint32_t i = 0; i < chunks; i++)
		t->chunk_next[i] = i + 2 <= chunks ? i + 2 : 0;
	t->free_chunk = 1;
	for (uint32_t i = 0; i < lim->datagrams; i++)
		t->dg[i].hnext = i + 2 <= lim->datagrams ? i + 2 : 0;
	t->free_dg = 1;
	return t;
}

uint32_t
jg_frag_in_flight(const struct jg_frag_table *t)
{
	return t->in_flight;
}

static uint32_t
key_hash(const struct jg_frag_table *t, const uint8_t *src, const uint8_t *dst, uint32_t id, uint8_t proto,
	 uint16_t vlan)
{
	uint64_t w[5];

	memcpy(w, src, 16);
	memcpy(w + 2, dst, 16);
	w[4] = (uint64_t)id | (uint64_t)proto << 32 | (uint64_t)vlan << 40;
	return jg_khash40(&t->hk, w);
}

/* The datagram id and where the fragment lies in it. */
static void
frag_fields(const uint8_t *frame, const struct jg_pkt *k, uint32_t *id, uint32_t *off, int *more)
{
	if (k->ip_version == 4) {
		const uint8_t *ip = frame + k->l3_off;
		uint16_t f = jg_rd16(ip + 6);

		*id = jg_rd16(ip + 4);
		*off = (uint32_t)(f & 0x1fff) * 8u;
		*more = (f & 0x2000) != 0;
	} else {
		const uint8_t *fh = frame + k->frag_hdr;

		*id = jg_rd32(fh + 4);
		*off = jg_rd16(fh + 2) & 0xfff8u;
		*more = fh[3] & 1;
	}
}

static void
age_unlink(struct jg_frag_table *t, uint32_t i)
{
	struct dgram *d = &t->dg[i - 1];

	if (d->older)
		t->dg[d->older - 1].newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer)
		t->dg[d->newer - 1].older = d->older;
	else
		t->newest = d->older;
}

/* A hash's chain, chosen as the flow table chooses a bucket (regular ids and addresses would crowd otherwise). */
static inline uint32_t *
chain(const struct jg_frag_table *t, uint32_t h)
{
	return &t->buckets[jg_khash_bucket(h, t->shift)];
}

/* Give a datagram's chunks and slot back. */
static void
dg_free(struct jg_frag_table *t, uint32_t i)
{
	struct dgram *d = &t->dg[i - 1];
	uint32_t *pp = chain(t, d->hash);

	while (*pp != 0 && *pp != i)
		pp = &t->dg[*pp - 1].hnext;
	if (*pp == i)
		*pp = d->hnext;
	age_unlink(t, i);
	for (uint32_t c = 0; c < NCHUNK; c++)
		if (d->chunk[c]) {
			t->chunk_next[d->chunk[c] - 1] = t->free_chunk;
			t->free_chunk = d->chunk[c];
		}
	d->hnext = t->free_dg;
	t->free_dg = i;
	t->in_flight--;
}

static uint32_t
dg_find(struct jg_frag_table *t, uint32_t h, const struct jg_pkt *k, uint32_t id)
{
	for (uint32_t i = *chain(t, h); i != 0; i = t->dg[i - 1].hnext) {
		const struct dgram *d = &t->dg[i - 1];

		if (d->hash == h && d->id == id && d->proto == k->proto && d->ip_version == k->ip_version &&
		    d->vlan == k->vlan && memcmp(d->src, k->src, 16) == 0 && memcmp(d->dst, k->dst, 16) == 0)
			return i;
	}
	return 0;
}

static uint32_t
dg_new(struct jg_frag_table *t, uint32_t h, const struct jg_pkt *k, uint32_t id, uint64_t now)
{
	struct dgram *d;
	uint32_t i;

	if (t->free_dg == 0) { /* in flight at the bound: the oldest goes */
		t->cnt[JG_CNT_FRAG_TABLE_FULL]++;
		dg_free(t, t->oldest);
	}
	i = t->free_dg;
	d = &t->dg[i - 1];
	t->free_dg = d->hnext;
	memset(d, 0, offsetof(struct dgram, blocks));
	memset(d->blocks, 0, sizeof(d->blocks));
	memcpy(d->src, k->src, 16);
	memcpy(d->dst, k->dst, 16);
	d->id = id;
	d->ip_version = k->ip_version;
	d->proto = k->proto;
	d->vlan = k->vlan;
	d->hash = h;
	d->first_ns = now;
	d->hnext = *chain(t, h);
	*chain(t, h) = i;
	d->older = t->newest;
	if (t->newest)
		t->dg[t->newest - 1].newer = i;
	else
		t->oldest = i;
	t->newest = i;
	t->in_flight++;
	return i;
}

static uint8_t *
chunk_at(struct jg_frag_table *t, struct dgram *d, uint32_t off)
{
	uint32_t c = off / JG_FRAG_CHUNK;

	if (d->chunk[c] == 0) {
		if (t->free_chunk == 0)
			return NULL;
		d->chunk[c] = t->free_chunk;
		t->free_chunk = t->chunk_next[t->free_chunk - 1];
	}
	return t->mem + (size_t)(d->chunk[c] - 1) * JG_FRAG_CHUNK + off % JG_FRAG_CHUNK;
}

/*
 * Keep the first fragment's headers: link and IP up to the fragmentable part.
 * For IPv6, find the next-header byte that names the fragment header (the base
 * header's, or the last extension header's before it).
 */
static int
keep_headers(struct dgram *d, const uint8_t *frame, const struct jg_pkt *k)
{
	uint32_t end = k->ip_version == 4 ? k->payload_off : k->frag_hdr;

	if (end > JG_FRAG_HDR_MAX)
		return -1;
	memcpy(d->hdr, frame, end);
	d->hdr_len = (uint16_t)end;
	d->l3_off = k->l3_off;
	if (k->ip_version == 6) {
		uint32_t nh = k->l3_off + 6u, cur = k->l3_off + 40u;

		while (cur < end) {
			nh = cur;
			cur += 8u + (uint32_t)frame[cur + 1] * 8u;
		}
		if (cur != end)
			return -1;
		d->nh_off = (uint16_t)nh;
		d->v6_next = frame[k->frag_hdr];
	}
	d->have_first = 1;
	if ((k->proto == 6 && (k->payload_len < 20 || k->payload_len < (uint32_t)(frame[k->payload_off + 12] >> 4) * 4u)) ||
	    (k->proto == 17 && k->payload_len < 8))
		d->anomalies |= JG_FRAG_A_TINY;
	return 0;
}

/* Copy a fragment's bytes in, 8-byte block by block; blocks already held are compared. @return -1 out of memory */
static int
store(struct jg_frag_table *t, struct dgram *d, uint32_t off, const uint8_t *data, uint32_t len)
{
	int overlap = 0, conflict = 0;
	uint32_t end = off + len;

	for (uint32_t b = off / 8; b * 8 < end; b++) {
		uint32_t from = b * 8 < off ? off : b * 8;
		uint32_t to = b * 8 + 8 > end ? end : b * 8 + 8;
		uint8_t *dst = chunk_at(t, d, from); /* a block never straddles a chunk */
		uint64_t bit = 1ull << (b % 64);

		if (dst == NULL)
			return -1;
		if (d->blocks[b / 64] & bit) {
			overlap = 1;
			if (memcmp(dst, data + (from - off), to - from) != 0) {
				conflict = 1;
				if (t->lim.policy == JG_OVERLAP_LAST)
					memcpy(dst, data + (from - off), to - from);
			}
			continue;
		}
		memcpy(dst, data + (from - off), to - from);
		d->blocks[b / 64] |= bit;
		d->n_blocks++;
	}
	if (end > d->max_end)
		d->max_end = end;
	if (overlap) {
		t->cnt[JG_CNT_FRAG_OVERLAP]++;
		d->anomalies |= JG_FRAG_A_OVERLAP;
	}
	if (conflict) {
		t->cnt[JG_CNT_FRAG_CONFLICT]++;
		d->anomalies |= JG_FRAG_A_CONFLICT;
	}
	return 0;
}

static uint16_t
ip4_csum(const uint8_t *h, uint32_t len)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The whole datagram as one frame. */
static uint32_t
rebuild(struct jg_frag_table *t, struct dgram *d, uint8_t *out)
{
	uint8_t *ip = out + d->l3_off;
	uint32_t n = d->hdr_len;

	memcpy(out, d->hdr, d->hdr_len);
	for (uint32_t off = 0; off < d->total; off += JG_FRAG_CHUNK) {
		uint32_t take = d->total - off < JG_FRAG_CHUNK ? d->total - off : JG_FRAG_CHUNK;

		memcpy(out + n, t->mem + (size_t)(d->chunk[off / JG_FRAG_CHUNK] - 1) * JG_FRAG_CHUNK, take);
		n += take;
	}
	if (d->ip_version == 4) {
		uint32_t tot = d->hdr_len - d->l3_off + d->total;
		uint16_t c;

		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[6] &= 0x40; /* DF stays; MF and the offset go */
		ip[7] = 0;
		ip[10] = ip[11] = 0;
		c = ip4_csum(ip, d->hdr_len - d->l3_off);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	} else {
		uint32_t plen = d->hdr_len - d->l3_off - 40u + d->total;

		out[d->nh_off] = d->v6_next;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
	}
	return n;
}

enum jg_frag_rc
jg_frag_add(struct jg_frag_table *t, const uint8_t *frame, uint32_t len, const struct jg_pkt *k, uint64_t now,
	    uint8_t *out, uint32_t *out_len, uint32_t *anomalies)
{
	uint32_t id, off, h, i, hlen, need;
	struct dgram *d;
	int more;

	if (k->cut || k->payload_off + k->payload_len > len) {
		t->cnt[JG_CNT_FRAG_BAD]++; /* a fragment the capture cut short cannot be put together */
		return JG_FRAG_DROPPED;
	}
	frag_fields(frame, k, &id, &off, &more);
	hlen = k->ip_version == 4 ? k->payload_off - k->l3_off : k->frag_hdr - k->l3_off - 40u;
	if ((more && (k->payload_len == 0 || k->payload_len % 8 != 0)) || (!more && k->payload_len == 0 && off == 0)) {
		t->cnt[JG_CNT_FRAG_BAD]++;
		return JG_FRAG_DROPPED;
	}
	if (off + k->payload_len + hlen > JG_FRAG_MAX_DGRAM) {
		t->cnt[JG_CNT_FRAG_TOO_BIG]++;
		return JG_FRAG_DROPPED;
	}
	h = key_hash(t, k->src, k->dst, id, k->proto, k->vlan);
	i = dg_find(t, h, k, id);
	if (i == 0)
		i = dg_new(t, h, k, id, now);
	d = &t->dg[i - 1];
	if (++d->n_frags > t->lim.fragments) {
		t->cnt[JG_CNT_FRAG_TOO_MANY]++;
		dg_free(t, i);
		return JG_FRAG_DROPPED;
	}
	if (!more) {
		uint32_t end = off + k->payload_len;

		/* a second, different end, or bytes already held past it: no real stack sends that */
		if ((d->have_last && d->total != end) || d->max_end > end) {
			t->cnt[JG_CNT_FRAG_BAD]++;
			d->anomalies |= JG_FRAG_A_CONFLICT;
			return JG_FRAG_DROPPED;
		}
		d->total = end;
		d->have_last = 1;
	} else if (d->have_last && off + k->payload_len > d->total) {
		t->cnt[JG_CNT_FRAG_BAD]++;
		return JG_FRAG_DROPPED;
	}
	if (off == 0 && !d->have_first && keep_headers(d, frame, k) != 0) {
		t->cnt[JG_CNT_FRAG_BAD]++;
		dg_free(t, i);
		return JG_FRAG_DROPPED;
	}
	if (store(t, d, off, frame + k->payload_off, k->payload_len) != 0) {
		t->cnt[JG_CNT_FRAG_MEM_FULL]++;
		dg_free(t, i);
		return JG_FRAG_DROPPED;
	}
	need = (d->total + 7) / 8;
	if (!d->have_first || !d->have_last || d->n_blocks != need)
		return JG_FRAG_HELD;
	*out_len = rebuild(t, d, out);
	*anomalies = d->anomalies;
	t->cnt[JG_CNT_FRAG_DONE]++;
	dg_free(t, i);
	return JG_FRAG_DONE;
}

uint32_t
jg_frag_expire(struct jg_frag_table *t, uint64_t now)
{
	uint32_t n = 0;

	while (t->oldest != 0) {
		const struct dgram *d = &t->dg[t->oldest - 1];

		if (now < d->first_ns || now - d->first_ns < t->lim.timeout_ns)
			break;
		t->cnt[JG_CNT_FRAG_TIMEOUT]++;
		dg_free(t, t->oldest);
		n++;
	}
	return n;
}
