/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow table without EAL: directions, TCP life cycle, timeouts, eviction, flush. */
#include <nmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow.h"
#include "jg_test.h"

#define S 1000000000ull

static struct jg_flow_rec recs[4096];
static unsigned int n_recs;
static uint64_t n_emitted;
static uint64_t cnt[JG_CNT_MAX];

static int
emit(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	n_emitted++;
	if (n_recs < 4096)
		jg_flow_to_rec(ctx, f, reason, 0, &recs[n_recs++]);
	return 0;
}

static struct jg_pkt
tcp(uint32_t a, uint16_t sp, uint32_t b, uint16_t dp, uint8_t flags)
{
	struct jg_pkt p;

	memset(&p, 0, sizeof(p));
	memcpy(p.src, &a, 4);
	memcpy(p.dst, &b, 4);
	p.sport = sp;
	p.dport = dp;
	p.proto = 6;
	p.ip_version = 4;
	p.tcp_flags = flags;
	return p;
}

static struct jg_pkt
rev(struct jg_pkt p, uint8_t flags)
{
	struct jg_pkt r = p;

	memcpy(r.src, p.dst, 16);
	memcpy(r.dst, p.src, 16);
	r.sport = p.dport;
	r.dport = p.sport;
	r.tcp_flags = flags;
	return r;
}

static struct jg_flow *
pk(struct jg_flow_table *t, struct jg_pkt p, uint32_t len, uint64_t now)
{
	return jg_flow_packet(t, &p, len, now, NULL);
}

static struct jg_flow_table *
table(uint32_t cap)
{
	static struct jg_flow_table t;
	static void *mem;
	struct jg_flow_timeouts to = { 300 * S, 60 * S, 30 * S, 5 * S, 1800 * S, 0 };

	free(mem); /* the previous test's */
	mem = aligned_alloc(64, jg_flow_table_mem_size(cap));

	memset(mem, 0, jg_flow_table_mem_size(cap));
	memset(cnt, 0, sizeof(cnt));
	n_recs = 0;
	n_emitted = 0;
	CHECK(jg_flow_table_init(&t, mem, cap, 7ull << 48, &to, emit, &t, cnt) == 0);
	return &t;
}

static void
test_directions_and_close(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt syn = tcp(0x0100000a, 50000, 0x0200000a, 445, JG_TCP_SYN);
	struct jg_flow *f1, *f2;

	f1 = jg_flow_packet(t, &syn, 66, 10 * S, NULL);
	f2 = pk(t, rev(syn, JG_TCP_SYN | JG_TCP_ACK), 66, 10 * S + 1);
	CHECK(f1 == f2 && t->count == 1);
	pk(t, rev(rev(syn, 0), JG_TCP_ACK), 60, 10 * S + 2);
	CHECK(f1->tcp_state == JG_TCP_ESTABLISHED);
	pk(t, rev(rev(syn, 0), JG_TCP_ACK | JG_TCP_PSH), 1000, 11 * S);
	pk(t, rev(syn, JG_TCP_FIN | JG_TCP_ACK), 60, 12 * S);
	CHECK(f1->tcp_state == JG_TCP_CLOSING);
	pk(t, rev(rev(syn, 0), JG_TCP_FIN | JG_TCP_ACK), 60, 12 * S + 5);
	CHECK(f1->tcp_state == JG_TCP_CLOSED);
	CHECK(jg_flow_expire(t, 13 * S, 1u << 20) == 0); /* closed timeout is 5 s */
	CHECK(jg_flow_expire(t, 17 * S + 300000000, 1u << 20) == 1 && t->count == 0);
	CHECK(n_recs == 1);
	CHECK(recs[0].end_reason == JG_FLOW_END_CLOSED);
	CHECK(recs[0].src_port == 50000 && recs[0].dst_port == 445); /* initiator first */
	CHECK(recs[0].pkts_fwd == 4 && recs[0].pkts_rev == 2);
	CHECK(recs[0].bytes_fwd == 66 + 60 + 1000 + 60 && recs[0].bytes_rev == 66 + 60);
	CHECK(recs[0].first_ns == 10 * S && recs[0].last_ns == 12 * S + 5);
	CHECK(recs[0].flow_id >> 48 == 7);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1 && cnt[JG_CNT_FLOW_END_CLOSED] == 1);
}

static void
test_initiator_guess(void)
{
	struct jg_flow_table *t = table(1024);
	/* first packet seen is the server's SYN+ACK: the client is still the source */
	struct jg_pkt sa = tcp(0x0200000a, 445, 0x0100000a, 50001, JG_TCP_SYN | JG_TCP_ACK);
	/* mid-stream, from the well-known port */
	struct jg_pkt mid = tcp(0x0200000a, 135, 0x0300000a, 49000, JG_TCP_ACK);

	jg_flow_packet(t, &sa, 60, S, NULL);
	jg_flow_packet(t, &mid, 60, S, NULL);
	jg_flow_flush(t, 100, 2 * S);
	CHECK(n_recs == 2);
	for (unsigned int i = 0; i < n_recs; i++) {
		CHECK(recs[i].dst_port < 1024 && recs[i].src_port >= 1024);
		CHECK(recs[i].pkts_rev == 1 && recs[i].pkts_fwd == 0);
	}
	CHECK(cnt[JG_CNT_FLOW_END_FLUSH] == 2 && t->count == 0);
}

static void
test_port_reuse(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt syn = tcp(0x0100000a, 50000, 0x0200000a, 445, JG_TCP_SYN);

	jg_flow_packet(t, &syn, 60, S, NULL);
	pk(t, rev(syn, JG_TCP_RST), 60, S + 1);
	jg_flow_packet(t, &syn, 60, S + 2, NULL); /* same SYN again after the RST: a retry, same flow */
	CHECK(n_recs == 0 && t->count == 1 && cnt[JG_CNT_FLOW_NEW] == 1);
	pk(t, rev(syn, JG_TCP_RST), 60, S + 3);
	syn.tcp_seq = 777;
	jg_flow_packet(t, &syn, 60, 2 * S, NULL); /* same 5-tuple, new sequence: a second connection */
	CHECK(n_recs == 1 && t->count == 1 && cnt[JG_CNT_FLOW_NEW] == 2);
	CHECK(recs[0].pkts_fwd == 2 && recs[0].pkts_rev == 2);
}

static void
test_timeouts(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt u = tcp(0x0100000a, 5353, 0x0200000a, 53, 0);

	u.proto = 17;
	jg_flow_packet(t, &u, 80, S, NULL);
	CHECK(jg_flow_expire(t, 60 * S, 1u << 20) == 0);
	/* the wheel's tick is 134 ms: a flow ends within one tick of its timeout */
	CHECK(jg_flow_expire(t, 61 * S + 135000000, 1u << 20) == 1 && recs[0].end_reason == JG_FLOW_END_IDLE);
	/* active timeout: the wheel cuts a slice once 1800 s have passed since the first packet; the flow stays */
	u.proto = 6;
	for (uint64_t s = 0; s <= 1800; s += 100) {
		jg_flow_packet(t, &u, 100, (100 + s) * S, NULL);
		CHECK(jg_flow_expire(t, (100 + s) * S, 1u << 20) == 0);
	}
	CHECK(n_recs == 1 && t->count == 1);
	CHECK(jg_flow_expire(t, 1901 * S, 1u << 20) == 0 && t->count == 1);
	CHECK(n_recs == 2 && recs[1].end_reason == JG_FLOW_END_ACTIVE && recs[1].pkts_fwd + recs[1].pkts_rev == 19);
	CHECK(recs[1].first_ns == 100 * S && recs[1].last_ns == 1900 * S);
	/* the next packet starts the next slice */
	jg_flow_packet(t, &u, 100, 1902 * S, NULL);
	jg_flow_flush(t, 10, 1902 * S);
	CHECK(n_recs == 3 && recs[2].pkts_fwd + recs[2].pkts_rev == 1 && recs[2].first_ns == 1902 * S);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 2);
}

static void
test_eviction_bounded(void)
{
	struct jg_flow_table *t = table(64);
	struct jg_pkt p = tcp(0x0100000a, 1, 0x0200000a, 80, JG_TCP_SYN);

	for (uint32_t i = 0; i < 1000; i++) {
		p.sport = (uint16_t)(1024 + i);
		jg_flow_packet(t, &p, 60, (i + 1) * S, NULL);
	}
	CHECK(t->count <= 64);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1000);
	CHECK(cnt[JG_CNT_FLOW_END_EVICTED] == 1000 - t->count);
	CHECK(n_recs == 1000 - t->count);
	/* the newest flows survive: the most recent source port is still there */
	p.sport = 1024 + 999;
	jg_flow_packet(t, &p, 60, 1000 * S + 1, NULL);
	CHECK(cnt[JG_CNT_FLOW_NEW] == 1000);
	while (jg_flow_flush(t, 7, 1000 * S + 1) > 0)
		;
	CHECK(t->count == 0 && n_recs == 1000);
}

/* n distinct flows (UDP, source address and port from i) at time `now`. */
static void
fill(struct jg_flow_table *t, uint32_t n, uint64_t now, uint32_t salt)
{
	struct jg_pkt p = tcp(0, 0, 0x0200000a, 53, 0);

	p.proto = 17;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = 0x0a000000u + (i >> 10) + salt;

		memcpy(p.src, &a, 4);
		p.sport = (uint16_t)(1024 + (i & 1023));
		jg_flow_packet(t, &p, 100, now, NULL);
	}
}

static void
test_high_load(void)
{
	const uint32_t cap = 1u << 14, n = cap / 100 * 95;
	struct jg_flow_table *t = table(cap);

	/* 95% of the slots: entries move aside, none is evicted */
	fill(t, n, S, 0);
	CHECK(t->count == n && cnt[JG_CNT_FLOW_NEW] == n && cnt[JG_CNT_FLOW_END_EVICTED] == 0);
	CHECK(cnt[JG_CNT_FLOW_MOVED] > 0);
	/* every flow is still found where the moves left it */
	fill(t, n, 2 * S, 0);
	CHECK(t->count == n && cnt[JG_CNT_FLOW_NEW] == n && n_recs == 0);
	/* past the table's size: evictions, counted, and the table stays full and consistent */
	fill(t, cap, 3 * S, 1u << 20);
	CHECK(t->count <= cap && cnt[JG_CNT_FLOW_END_EVICTED] == n + cap - t->count);
	CHECK(n_emitted == cnt[JG_CNT_FLOW_END_EVICTED]);
	while (jg_flow_flush(t, 1000, 3 * S) > 0)
		;
	CHECK(t->count == 0 && n_emitted == n + cap);
}

/*
 * Regular keys (a run of ports from a few addresses, as a scan or a busy NAT
 * makes) under every hash key: NH is linear in them, and a bucket taken from
 * its bits as they are made a lattice of them, overloading a few buckets; with
 * the keys behind these seeds the table evicted at 87-94% load. The bucket
 * now comes through a mixer: no eviction up to 97%, whatever the key.
 */
static void
test_regular_keys(void)
{
	const uint64_t seeds[] = { 96, 144, 0x656058db13558c9aull };
	const uint64_t saved = jg_khash_seed();
	const uint32_t cap = 1u << 14, n = cap / 100 * 97;
	unsigned int r = (unsigned int)time(NULL);

	printf("flow_test: regular keys, random hash seeds from %u\n", r);
	for (int i = 0; i < 3 + 20; i++) {
		uint64_t seed = i < 3 ? seeds[i] : (uint64_t)(r + (unsigned int)i) * 0x9e3779b97f4a7c15ull;
		struct jg_flow_table *t;

		jg_khash_set_seed(seed);
		t = table(cap);
		fill(t, n, S, 0);
		if (cnt[JG_CNT_FLOW_END_EVICTED] != 0 || t->count != n) {
			CHECK(!"regular keys fill 97% of the table without an eviction");
			printf("flow_test: hash seed 0x%016llx: %llu evicted\n", (unsigned long long)seed,
			       (unsigned long long)cnt[JG_CNT_FLOW_END_EVICTED]);
		}
	}
	jg_khash_set_seed(saved);
}

static void
test_wheel(void)
{
	struct jg_flow_table *t = table(1024);
	struct jg_pkt p = tcp(0x0100000a, 40000, 0x0200000a, 80, JG_TCP_SYN);
	const uint64_t t0 = 1700000000ull * S; /* a real clock: the wheel starts far from 0 */

	/* 100 TCP flows (300 s) and 100 UDP ones (60 s) */
	for (uint16_t i = 0; i < 100; i++) {
		p.sport = (uint16_t)(40000 + i);
		p.proto = 6;
		jg_flow_packet(t, &p, 60, t0, NULL);
		p.proto = 17;
		jg_flow_packet(t, &p, 60, t0, NULL);
	}
	CHECK(jg_flow_expire(t, t0 + 59 * S, 1u << 20) == 0);
	/* a bound on the buckets visited per call: the rest waits for the next call */
	CHECK(jg_flow_expire(t, t0 + 61 * S, 1) <= 8);
	while (jg_flow_expire(t, t0 + 61 * S, 1) > 0)
		;
	CHECK(t->count == 100 && n_recs == 100 && cnt[JG_CNT_FLOW_END_IDLE] == 100);
	/* a flow kept alive is not ended by its first deadline */
	p.proto = 6;
	p.sport = 40000;
	jg_flow_packet(t, &p, 60, t0 + 200 * S, NULL);
	CHECK(jg_flow_expire(t, t0 + 301 * S, 1u << 20) == 99 && t->count == 1);
	/* a FIN from both sides: the closed timeout (5 s) applies at once */
	p.tcp_flags = JG_TCP_FIN | JG_TCP_ACK;
	jg_flow_packet(t, &p, 60, t0 + 302 * S, NULL);
	pk(t, rev(p, JG_TCP_FIN | JG_TCP_ACK), 60, t0 + 302 * S);
	CHECK(jg_flow_expire(t, t0 + 306 * S, 1u << 20) == 0);
	CHECK(jg_flow_expire(t, t0 + 308 * S, 1u << 20) == 1 && t->count == 0);
	CHECK(recs[n_recs - 1].end_reason == JG_FLOW_END_CLOSED);
	/* a leap of a year (a capture's clock): everything filed is visited within one turn */
	fill(t, 500, t0 + 400 * S, 0);
	CHECK(jg_flow_expire(t, t0 + 400 * S + 365 * 86400 * S, 1u << 20) == 500 && t->count == 0);
}

static void
test_counter_carries(void)
{
	struct jg_flow_table *t = table(64);
	struct jg_pkt p = tcp(0x0100000a, 40000, 0x0200000a, 80, JG_TCP_ACK);

	/* 70000 packets and 5 GiB one way: beyond the hot line's 16 and 32 bits */
	for (uint32_t i = 0; i < 70000; i++)
		jg_flow_packet(t, &p, i < 5 ? 1u << 30 : 1, S + i, NULL);
	jg_flow_flush(t, 10, 2 * S);
	CHECK(n_recs == 1 && recs[0].pkts_fwd == 70000);
	CHECK(recs[0].bytes_fwd == 5ull * (1u << 30) + 69995);
}

/* A hint prepared before other packets moved its flow still finds it. */
static void
test_stale_hint(void)
{
	const uint32_t cap = 1u << 10;
	struct jg_flow_table *t = table(cap);
	struct jg_pkt q = tcp(0x0909090a, 7, 0x0200000a, 80, JG_TCP_ACK);
	struct jg_flow_hint h = { .pkt = &q };
	struct jg_flow *f = jg_flow_packet(t, &q, 60, S, NULL);

	jg_flow_hint_prepare(t, &h);
	jg_flow_lookup_bulk(t, &h, 1);
	CHECK(h.cand != JG_FLOW_NIL && &t->flows[h.cand] == f);
	fill(t, cap / 100 * 95, S, 0); /* moves entries, maybe this one */
	f = jg_flow_packet_hint(t, &q, &h, 60, 2 * S, NULL);
	CHECK(!h.created && jg_flow_pkts(t, f, 0) + jg_flow_pkts(t, f, 1) == 2);
}

static void
test_symmetric_hash(void)
{
	struct jg_pkt a = tcp(0x0100000a, 50000, 0x0200000a, 445, 0), b = rev(a, 0);
	struct jg_flow_key ka, kb;

	CHECK(jg_flow_key_of(&a, &ka) != jg_flow_key_of(&b, &kb));
	CHECK(memcmp(&ka, &kb, sizeof(ka)) == 0);
	CHECK(jg_flow_hash(table(1024), &ka) == jg_flow_hash(table(1024), &kb));
	CHECK(jg_host_pair_hash(table(1024), &a) == jg_host_pair_hash(table(1024), &b));
}

/* CRC32C over a key's five words from state c: what the table hashed with before it was keyed. */
static uint32_t
crc_key(uint32_t c, const struct jg_flow_key *k)
{
	uint64_t w[5], x = c;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++)
		x = _mm_crc32_u64(x, w[i]);
	return (uint32_t)x;
}

/*
 * Keys an attacker can aim at one victim: the victim's server and port, client
 * addresses 10.x.y.z and ports chosen so that CRC32C (linear over GF(2)) gives
 * the victim's hash under every seed. The free bits are the client's last three
 * address bytes and its port; the key differences whose CRC is 0 form a null
 * space, found by elimination, and every combination of its basis is a key.
 * Returns how many keys were written to out (the victim first).
 */
static unsigned int
crc_colliding_keys(const struct jg_flow_key *victim, struct jg_flow_key *out, unsigned int max)
{
	struct jg_flow_key bit[40];
	uint32_t img[40];
	uint64_t comb[40]; /* which free bits each row of the elimination combines */
	unsigned int n = 0, nb = 0, rows = 0;

	for (unsigned int j = 0; j < 40; j++) {
		memset(&bit[j], 0, sizeof(bit[j]));
		if (j < 24)
			bit[j].a[1 + j / 8] = (uint8_t)(1u << (j % 8));
		else
			bit[j].pa = (uint16_t)(1u << (j - 24));
		img[j] = crc_key(0, &bit[j]);
		comb[j] = 1ull << j;
	}
	/* Gaussian elimination on the images: rows reduced to 0 are the null space's basis */
	for (int b = 31; b >= 0; b--) {
		unsigned int piv = rows;

		while (piv < 40 && !(img[piv] >> b & 1))
			piv++;
		if (piv == 40)
			continue;
		uint32_t ti = img[piv];
		uint64_t tc = comb[piv];

		img[piv] = img[rows];
		comb[piv] = comb[rows];
		img[rows] = ti;
		comb[rows] = tc;
		for (unsigned int r = 0; r < 40; r++)
			if (r != rows && (img[r] >> b & 1)) {
				img[r] ^= ti;
				comb[r] ^= tc;
			}
		rows++;
	}
	nb = 40 - rows; /* basis: rows rows..39, all images 0 */
	for (uint64_t sel = 0; sel < (1ull << nb) && n < max; sel++) {
		struct jg_flow_key k = *victim;

		for (unsigned int r = 0; r < nb; r++)
			if (sel >> r & 1)
				for (unsigned int j = 0; j < 40; j++)
					if (comb[rows + r] >> j & 1) {
						for (unsigned int x = 0; x < sizeof(k); x++)
							((uint8_t *)&k)[x] ^= ((const uint8_t *)&bit[j])[x];
					}
		out[n++] = k;
	}
	return n;
}

/*
 * A flow an attacker aims at: 64 spoofed flows whose keys all collide under
 * CRC32C, whatever its seed (checked), must spread over the keyed table and
 * leave the victim resident; under CRC they would fill its two buckets and
 * evict it.
 */
static void
test_crafted_collisions(void)
{
	static struct jg_flow_key keys[65];
	struct jg_pkt v = tcp(0x0100000a, 50000, 0x020000fa, 445, JG_TCP_SYN);
	struct jg_flow_table *t = table(1024);
	struct jg_flow_key vk;
	unsigned int n, same_pair = 0, used = 0;
	uint8_t seen[128] = { 0 };
	struct jg_flow *victim;

	jg_flow_key_of(&v, &vk);
	n = crc_colliding_keys(&vk, keys, 65);
	CHECK(n == 65);
	for (unsigned int i = 1; i < n; i++) {
		CHECK(memcmp(&keys[i], &vk, sizeof(vk)) != 0 && keys[i].a[0] == 10);
		CHECK(crc_key(0x9e3779b9u, &keys[i]) == crc_key(0x9e3779b9u, &vk));
		CHECK(crc_key(0x12345678u, &keys[i]) == crc_key(0x12345678u, &vk));
	}
	victim = pk(t, v, 60, 1 * S);
	for (unsigned int i = 1; i < n; i++) {
		struct jg_pkt p = tcp(0, keys[i].pa, 0x020000fa, 445, JG_TCP_SYN);
		uint32_t h = jg_flow_hash(t, &keys[i]);

		memcpy(p.src, keys[i].a, 16);
		pk(t, p, 60, 2 * S + i); /* fresher than the victim: it would be the stalest to evict */
		same_pair += h == jg_flow_hash(t, &vk);
		used += !seen[h & 127];
		seen[h & 127] = 1;
	}
	CHECK(t->count == n && cnt[JG_CNT_FLOW_END_EVICTED] == 0);
	CHECK(pk(t, rev(v, JG_TCP_SYN | JG_TCP_ACK), 60, 3 * S) == victim);
	CHECK(same_pair <= 1);
	CHECK(used >= 32); /* 64 keys over 128 buckets: about 50 expected */
}

static uint64_t lean_emitted[2];

static int
emit_count(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	(void)f;
	(void)reason;
	lean_emitted[*(int *)ctx]++;
	return 0;
}

/*
 * A lean packet's accounting as the worker's table of lean states and classes
 * decides it (without its verdict's part): jg_flow_lean_ok(), then
 * jg_flow_count_lean(). @return the direction, or -1 when the packet needs
 * jg_flow_packet_hint() (nothing was changed)
 */
static int
account_lean(struct jg_flow_table *t, struct jg_flow *f, const struct jg_flow_hint *h, uint32_t frame_len,
	     uint64_t now)
{
	if (!jg_flow_lean_ok(jg_flow_lean_state(f), h->lean_cls))
		return -1;
	return jg_flow_count_lean(t, f, h, frame_len, now);
}

/*
 * The worker's lean accounting against the general one: the same random
 * packets (every TCP flag mix, UDP, payloads, one flow past 2^16 packets and
 * 4 GiB, idle gaps past the timeouts, wheel turns) into two tables, one by
 * jg_flow_packet(), the other by account_lean() falling back to
 * jg_flow_packet_hint() as the worker does. Both tables must stay identical,
 * byte for byte, and emit the same records.
 */
static void
test_lean_same(void)
{
	static const uint8_t flag_mix[] = { JG_TCP_ACK, JG_TCP_ACK | JG_TCP_PSH, JG_TCP_ACK, JG_TCP_SYN,
					    JG_TCP_SYN | JG_TCP_ACK, JG_TCP_FIN | JG_TCP_ACK, JG_TCP_RST, 0 };
	struct jg_flow_timeouts to = { 300 * S, 60 * S, 30 * S, 5 * S, 1800 * S, 0 };
	uint32_t cap = 256, lean = 0, carried = 0;
	size_t sz = jg_flow_table_mem_size(cap);
	struct jg_flow_table t[2];
	void *mem[2];
	uint64_t c[2][JG_CNT_MAX] = { { 0 } }, now = 1 * S;
	int ids[2] = { 0, 1 };
	unsigned int seed = getenv("JG_FLOW_SEED") ? (unsigned int)strtoul(getenv("JG_FLOW_SEED"), NULL, 0)
						    : (unsigned int)time(NULL);

	printf("flow_test: lean accounting seed %u (JG_FLOW_SEED)\n", seed);
	srand(seed);
	lean_emitted[0] = lean_emitted[1] = 0;
	for (int k = 0; k < 2; k++) {
		mem[k] = aligned_alloc(64, sz);
		memset(mem[k], 0, sz);
		CHECK(jg_flow_table_init(&t[k], mem[k], cap, 7ull << 48, &to, emit_count, &ids[k], c[k]) == 0);
	}
	for (int i = 0; i < 300000; i++) {
		uint32_t fl = rand() % 5 != 0 ? 0 : (uint32_t)rand() % 60;
		int dir = rand() & 1, udp = fl % 7 == 3;
		/* flow 0 lives long (ACKs, big frames): its counters pass 2^16 packets and 4 GiB */
		uint8_t flags = fl == 0 && (i < 200000 || rand() % 2000 != 0) ? JG_TCP_ACK
										 : flag_mix[rand() % (sizeof(flag_mix) - 1)];
		struct jg_pkt p = tcp(0x0100000a + (fl << 8), (uint16_t)(40000 + fl), 0x0200000a, 445, flags);
		uint32_t len = 60 + (uint32_t)(rand() % 2 == 0 ? rand() % (fl == 0 ? 200000 : 1500) : 0);
		struct jg_flow_hint h = { .pkt = NULL };
		struct jg_flow *f;

		if (dir)
			p = rev(p, p.tcp_flags);
		if (udp) {
			p.proto = 17;
			p.tcp_flags = 0;
		}
		p.payload_len = rand() % 3 == 0 ? (uint32_t)(rand() % 1400) : 0;
		p.tcp_seq = (uint32_t)rand();
		now += i > 200000 && rand() % 5000 == 0 ? (uint64_t)(rand() % 700) * S : (uint64_t)(rand() % 1000) * 1000;
		f = pk(&t[0], p, len, now);
		carried |= jg_flow_cold(&t[0], f)->pkts_hi[0] | jg_flow_cold(&t[0], f)->pkts_hi[1] |
			   jg_flow_cold(&t[0], f)->bytes_hi[0] | jg_flow_cold(&t[0], f)->bytes_hi[1];
		h.pkt = &p;
		jg_flow_hint_prepare(&t[1], &h);
		jg_flow_lookup_bulk(&t[1], &h, 1);
		h.tcp_flags = p.tcp_flags;
		h.payload_len = (uint16_t)p.payload_len;
		h.lean_cls = jg_flow_lean_cls(p.proto, h.tcp_flags, h.payload_len, p.sport, p.dport);
		f = jg_flow_find_hint(&t[1], &h);
		if (f != NULL && account_lean(&t[1], f, &h, len, now) >= 0)
			lean++;
		else
			jg_flow_packet_hint(&t[1], &p, &h, len, now, NULL);
		if (rand() % 64 == 0) {
			jg_flow_expire(&t[0], now, 64);
			jg_flow_expire(&t[1], now, 64);
		}
		if (memcmp(t[0].flows, t[1].flows, cap * sizeof(struct jg_flow)) != 0 ||
		    memcmp(t[0].cold, t[1].cold, cap * sizeof(struct jg_flow_cold)) != 0 ||
		    memcmp(t[0].sigs, t[1].sigs, cap / JG_FLOW_BUCKET * sizeof(t[0].sigs[0])) != 0 ||
		    lean_emitted[0] != lean_emitted[1] || t[0].count != t[1].count) {
			CHECK(!"the lean accounting left the table as the general one did");
			printf("flow_test: first difference after packet %d\n", i);
			break;
		}
	}
	printf("flow_test: %u of 300000 packets accounted the lean way, %llu records\n", lean,
	       (unsigned long long)lean_emitted[0]);
	CHECK(lean > 100000 && carried != 0);
	free(mem[0]);
	free(mem[1]);
}

/* jg_flow_lean_state() reads the very fields it names, whatever their neighbours hold. */
static void
test_lean_state(void)
{
	for (unsigned int v = 0; v < 1u << 14; v += 7) {
		struct jg_flow f;

		memset(&f, 0, sizeof(f));
		f.tcp_state = v & 7;
		f.verdict = v >> 3 & 3;
		f.app = v >> 5 & 3;
		f.restart = v >> 7 & 1;
		f.init_is_a = v >> 8 & 1;
		f.fin_seen = v >> 9 & 3;
		f.det = v >> 11 & 7;
		f.flags[0] = f.flags[1] = 0xff;
		CHECK(jg_flow_lean_state(&f) == (uint8_t)(f.tcp_state | f.verdict << 3 | f.app << 5 | f.restart << 7));
		CHECK(JG_LEAN_ST_TCP(jg_flow_lean_state(&f)) == f.tcp_state &&
		      JG_LEAN_ST_VERDICT(jg_flow_lean_state(&f)) == f.verdict &&
		      JG_LEAN_ST_APP(jg_flow_lean_state(&f)) == f.app &&
		      JG_LEAN_ST_RESTART(jg_flow_lean_state(&f)) == f.restart);
	}
}

int
main(void)
{
	uint64_t seed = jg_khash_seed_from_env();

	printf("flow_test: hash seed 0x%016llx (JG_HASH_SEED)\n", (unsigned long long)seed);
	jg_khash_set_seed(seed);
	test_directions_and_close();
	test_initiator_guess();
	test_port_reuse();
	test_timeouts();
	test_eviction_bounded();
	test_high_load();
	test_regular_keys();
	test_wheel();
	test_counter_carries();
	test_stale_hint();
	test_symmetric_hash();
	test_crafted_collisions();
	test_lean_same();
	test_lean_state();
	free(table(16)->flows);
	return jg_test_done();
}
