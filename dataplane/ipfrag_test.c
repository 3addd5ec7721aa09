/* SPDX-License-Identifier: BSD-3-Clause */
/* IP reassembly on crafted fragments: any order, overlaps by policy, every bound. */
#include <stdlib.h>
#include <string.h>

#include "ipfrag.h"
#include "jg_test.h"
#include "jg_wire.h"

static uint64_t cnt[JG_CNT_MAX];
static uint8_t dgram[4000]; /* the transport header and payload of the datagram under test */
static uint32_t dlen;

static struct jg_frag_table *
table(void **mem, uint32_t datagrams, uint32_t fragments, uint32_t mem_bytes, uint8_t policy)
{
	struct jg_frag_limits lim = { datagrams, fragments, mem_bytes, 1000, policy };

	free(*mem);
	*mem = aligned_alloc(64, (jg_frag_mem_size(&lim) + 63) & ~(size_t)63);
	memset(cnt, 0, sizeof(cnt));
	return jg_frag_init(*mem, &lim, cnt);
}

static void
make_dgram(uint32_t n)
{
	dlen = n;
	for (uint32_t i = 0; i < n; i++)
		dgram[i] = (uint8_t)(i * 7 + 3);
	dgram[12] = 5 << 4; /* a TCP header of 20 bytes */
}

/* An IPv4 fragment of dgram: bytes [off, off+len), more fragments or not, id. */
static uint32_t
frag4(uint8_t *f, uint32_t off, uint32_t len, int more, uint16_t id, const uint8_t *bytes)
{
	uint8_t *ip = f + 14;

	memset(f, 0, 14 + 20);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + len) >> 8);
	ip[3] = (uint8_t)(20 + len);
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[6] = (uint8_t)((more ? 0x20 : 0) | (off / 8) >> 8);
	ip[7] = (uint8_t)(off / 8);
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	memcpy(ip + 20, bytes ? bytes : dgram + off, len);
	return 14 + 20 + len;
}

/* The same over IPv6, with a destination-options header before the fragment header. */
static uint32_t
frag6(uint8_t *f, uint32_t off, uint32_t len, int more, uint32_t id)
{
	uint8_t *ip = f + 14;

	memset(f, 0, 14 + 40 + 8 + 8);
	f[12] = 0x86, f[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((16 + len) >> 8);
	ip[5] = (uint8_t)(16 + len);
	ip[6] = 60; /* destination options */
	ip[7] = 64;
	ip[8] = 0xfd, ip[23] = 1;
	ip[24] = 0xfd, ip[39] = 2;
	ip[40] = 44; /* -> fragment */
	ip[48] = 6;  /* -> TCP */
	ip[50] = (uint8_t)(off >> 8);
	ip[51] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	ip[52] = (uint8_t)(id >> 24), ip[55] = (uint8_t)id;
	memcpy(ip + 56, dgram + off, len);
	return 14 + 40 + 16 + len;
}

static enum jg_frag_rc
add(struct jg_frag_table *t, const uint8_t *f, uint32_t len, uint64_t now, uint8_t *out, uint32_t *out_len,
    uint32_t *anom)
{
	struct jg_pkt p;

	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FRAGMENT);
	return jg_frag_add(t, f, len, &p, now, out, out_len, anom);
}

/* Cut dgram in pieces of 8..64 bytes, shuffle them, feed them: one datagram, whatever the order. */
static void
test_orders(void)
{
	static uint8_t f[2000], out[JG_FRAG_FRAME_MAX];
	void *mem = NULL;
	struct jg_frag_table *t = table(&mem, 16, 256, 1 << 20, JG_OVERLAP_FIRST);
	unsigned int r = 7;

	for (int round = 0; round < 50; round++) {
		uint32_t cut[300], n = 0, order[300], out_len = 0, anom = 0;
		int done = 0;

		make_dgram(200 + (uint32_t)round * 29);
		for (uint32_t off = 0; off < dlen; n++) {
			r = r * 1103515245u + 12345u;
			cut[n] = off;
			off += 8 * (1 + (r >> 16) % 8);
		}
		cut[n] = dlen;
		for (uint32_t i = 0; i < n; i++)
			order[i] = round % 3 == 0 ? i : round % 3 == 1 ? n - 1 - i : i;
		for (uint32_t i = n; round % 3 == 2 && i > 1; i--) {
			uint32_t j, x;

			r = r * 1103515245u + 12345u;
			j = (r >> 16) % i;
			x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint32_t k = order[i], len = frag4(f, cut[k], cut[k + 1] - cut[k], k + 1 < n, (uint16_t)round, NULL);
			enum jg_frag_rc rc = add(t, f, len, 1, out, &out_len, &anom);

			CHECK(rc == (i + 1 == n ? JG_FRAG_DONE : JG_FRAG_HELD));
			done += rc == JG_FRAG_DONE;
		}
		CHECK(done == 1 && out_len == 14 + 20 + dlen && memcmp(out + 34, dgram, dlen) == 0 && (anom & ~JG_FRAG_A_TINY) == 0);
		CHECK(out[14 + 6] == 0 && out[14 + 7] == 0 && (out[16] << 8 | out[17]) == 20 + (int)dlen);
		{
			struct jg_pkt p;

			CHECK(jg_pkt_parse(out, out_len, out_len, &p) == JG_PKT_FLOW && p.payload_len == dlen - 20);
		}
	}
	CHECK(jg_frag_in_flight(t) == 0 && cnt[JG_CNT_FRAG_DONE] == 50);
	free(mem);
}

static void
test_ipv6(void)
{
	static uint8_t f[2000], out[JG_FRAG_FRAME_MAX];
	void *mem = NULL;
	struct jg_frag_table *t = table(&mem, 16, 256, 1 << 20, JG_OVERLAP_FIRST);
	uint32_t out_len = 0, anom = 0, len;
	struct jg_pkt p;

	make_dgram(100);
	len = frag6(f, 48, 52, 0, 99);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
	len = frag6(f, 0, 48, 1, 99);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DONE);
	/* the fragment header is gone: destination options now lead to TCP */
	CHECK(out_len == 14 + 40 + 8 + 100 && memcmp(out + 14 + 48, dgram, 100) == 0);
	CHECK(jg_pkt_parse(out, out_len, out_len, &p) == JG_PKT_FLOW && p.proto == 6 && p.ip_version == 6);
	CHECK(p.payload_len == 80 && out[14 + 40] == 6 && (out[18] << 8 | out[19]) == 108);
	free(mem);
}

/* Overlaps: the first copy wins (or the last, by policy); different bytes are a conflict. */
static void
test_overlap(void)
{
	static uint8_t f[2000], out[JG_FRAG_FRAME_MAX], junk[64];
	void *mem = NULL;

	memset(junk, 'J', sizeof(junk));
	for (uint8_t pol = JG_OVERLAP_FIRST; pol <= JG_OVERLAP_LAST; pol++)
		for (int junk_first = 0; junk_first < 2; junk_first++) {
			struct jg_frag_table *t = table(&mem, 16, 256, 1 << 20, pol);
			uint32_t out_len = 0, anom = 0, len;
			const uint8_t *want;

			make_dgram(96);
			len = frag4(f, 0, 32, 1, 1, NULL);
			CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
			len = frag4(f, 32, 32, 1, 1, junk_first ? junk : NULL);
			CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
			len = frag4(f, 32, 32, 1, 1, junk_first ? NULL : junk);
			CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
			len = frag4(f, 64, 32, 0, 1, NULL);
			CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DONE);
			CHECK((anom & (JG_FRAG_A_OVERLAP | JG_FRAG_A_CONFLICT)) == (JG_FRAG_A_OVERLAP | JG_FRAG_A_CONFLICT));
			CHECK(cnt[JG_CNT_FRAG_CONFLICT] == 1);
			/* first wins keeps what came first; last wins what came last */
			want = (pol == JG_OVERLAP_FIRST) == (junk_first != 0) ? junk : dgram + 32;
			CHECK(memcmp(out + 34 + 32, want, 32) == 0);
		}
	free(mem);
}

/* Every bound: datagrams in flight, fragments each, memory, age; and malformed fragments. */
static void
test_bounds(void)
{
	static uint8_t f[2000], out[JG_FRAG_FRAME_MAX];
	void *mem = NULL;
	struct jg_frag_table *t = table(&mem, 4, 8, 8 * JG_FRAG_CHUNK, JG_OVERLAP_FIRST);
	uint32_t out_len, anom, len;

	make_dgram(400);
	for (uint16_t id = 0; id < 6; id++) {
		len = frag4(f, 0, 64, 1, id, NULL);
		CHECK(add(t, f, len, (uint64_t)id + 1, out, &out_len, &anom) == JG_FRAG_HELD);
	}
	CHECK(jg_frag_in_flight(t) == 4 && cnt[JG_CNT_FRAG_TABLE_FULL] == 2); /* the oldest went */
	CHECK(jg_frag_expire(t, 1004) == 2 && cnt[JG_CNT_FRAG_TIMEOUT] == 2 && jg_frag_in_flight(t) == 2);
	CHECK(jg_frag_expire(t, 10000) == 2 && jg_frag_in_flight(t) == 0);
	/* a ninth fragment of one datagram */
	for (uint32_t i = 0; i < 9; i++) {
		len = frag4(f, i * 8, 8, 1, 100, NULL);
		CHECK(add(t, f, len, 1, out, &out_len, &anom) == (i < 8 ? JG_FRAG_HELD : JG_FRAG_DROPPED));
	}
	CHECK(cnt[JG_CNT_FRAG_TOO_MANY] == 1 && jg_frag_in_flight(t) == 0);
	/* memory: 8 chunks, one per datagram spread over 2 KiB blocks */
	for (uint16_t id = 0; id < 3; id++)
		for (uint32_t c = 0; c < 3; c++) {
			len = frag4(f, c * JG_FRAG_CHUNK, 8, 1, (uint16_t)(200 + id), dgram);
			add(t, f, len, 1, out, &out_len, &anom);
		}
	CHECK(cnt[JG_CNT_FRAG_MEM_FULL] == 1);
	jg_frag_expire(t, 1u << 30);
	/* not a multiple of 8 with more to come; past 65535; two different ends */
	len = frag4(f, 0, 12, 1, 300, NULL);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DROPPED && cnt[JG_CNT_FRAG_BAD] == 1);
	len = frag4(f, 65528, 16, 0, 301, dgram);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DROPPED && cnt[JG_CNT_FRAG_TOO_BIG] == 1);
	len = frag4(f, 64, 16, 0, 302, NULL);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
	len = frag4(f, 64, 24, 0, 302, NULL);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DROPPED && cnt[JG_CNT_FRAG_BAD] == 2);
	/* a first fragment that cuts the TCP header: reassembled, and said */
	jg_frag_expire(t, 1u << 31);
	len = frag4(f, 0, 8, 1, 400, NULL);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_HELD);
	len = frag4(f, 8, 40, 0, 400, NULL);
	CHECK(add(t, f, len, 1, out, &out_len, &anom) == JG_FRAG_DONE && (anom & JG_FRAG_A_TINY));
	free(mem);
}

int
main(void)
{
	test_orders();
	test_ipv6();
	test_overlap();
	test_bounds();
	return jg_test_done();
}
