/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing on crafted bytes: every layer, every way a header can lie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow.h"
#include "jg_test.h"
#include "pkt_fastpath.h"

static uint32_t
eth(uint8_t *f, uint16_t type)
{
	memset(f, 0, 12);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

static uint32_t
vlan(uint8_t *f, uint32_t off, uint16_t tpid, uint16_t id, uint16_t inner_type)
{
	f[off - 2] = (uint8_t)(tpid >> 8);
	f[off - 1] = (uint8_t)tpid;
	f[off] = (uint8_t)(id >> 8);
	f[off + 1] = (uint8_t)id;
	f[off + 2] = (uint8_t)(inner_type >> 8);
	f[off + 3] = (uint8_t)inner_type;
	return off + 4;
}

/* IPv4 header + TCP header (no options) + payload bytes. @return frame length */
static uint32_t
ipv4_tcp(uint8_t *f, uint32_t off, uint16_t payload, uint8_t flags)
{
	uint16_t tot = (uint16_t)(20 + 20 + payload);
	uint8_t *ip = f + off, *tcp = ip + 20;

	memset(ip, 0, 40u + payload);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	tcp[0] = 0xc3; tcp[1] = 0x50; /* 50000 */
	tcp[2] = 0x01; tcp[3] = 0xbd; /* 445 */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return off + tot;
}

/* IPv6 header + TCP header (no options) + payload bytes. @return frame length */
static uint32_t
ipv6_tcp(uint8_t *f, uint32_t off, uint16_t payload, uint8_t flags)
{
	uint16_t plen = (uint16_t)(20 + payload);
	uint8_t *ip = f + off, *tcp = ip + 40;

	memset(ip, 0, 60u + payload);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd; ip[23] = 1;
	ip[24] = 0xfd; ip[39] = 2;
	tcp[0] = 0xc3; tcp[1] = 0x50; /* 50000 */
	tcp[2] = 0x01; tcp[3] = 0xbd; /* 445 */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return off + 40 + plen;
}

static void
test_ipv4_tcp(void)
{
	uint8_t f[256];
	struct jg_pkt p;
	uint32_t len = ipv4_tcp(f, eth(f, JG_ETH_IPV4), 10, JG_TCP_SYN);

	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW);
	CHECK(p.ip_version == 4 && p.proto == 6);
	CHECK(p.sport == 50000 && p.dport == 445);
	CHECK(p.tcp_flags == JG_TCP_SYN);
	CHECK(p.src[0] == 10 && p.src[3] == 1 && p.dst[3] == 2 && p.src[4] == 0);
	CHECK(p.payload_off == 54 && p.payload_len == 10);
	/* Ethernet padding after the datagram is not payload. */
	CHECK(jg_pkt_parse(f, len + 6, len + 6, &p) == JG_PKT_FLOW && p.payload_len == 10);
	/* Cut inside the headers: truncated, never a read past len. */
	for (uint32_t cut = 14; cut < 54; cut++)
		CHECK(jg_pkt_parse(f, cut, cut, &p) == JG_PKT_TRUNCATED);
	/* Cut inside the payload (a capture's snaplen): still the flow's packet, marked cut. */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.cut == 0);
	for (uint32_t cut = 54; cut < len; cut++)
		CHECK(jg_pkt_parse(f, cut, cut, &p) == JG_PKT_FLOW && p.cut == 1 && p.payload_len == cut - 54);
	CHECK(jg_pkt_parse(f, 13, 13, &p) == JG_PKT_TRUNCATED);
	/* A chained mbuf: headers in the first segment, the datagram goes on in the next. */
	len = ipv4_tcp(f, 14, 200, JG_TCP_ACK);
	CHECK(jg_pkt_parse(f, 64, len, &p) == JG_PKT_FLOW && p.payload_len == 200);
	/* ... but the TCP header itself must be readable */
	CHECK(jg_pkt_parse(f, 40, len, &p) == JG_PKT_TRUNCATED);
}

static void
test_ipv4_bogus(void)
{
	uint8_t f[256];
	struct jg_pkt p;
	uint32_t l3 = eth(f, JG_ETH_IPV4), len = ipv4_tcp(f, l3, 0, 0);

	f[l3] = 0x44; /* IHL 16 bytes */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_MALFORMED);
	f[l3] = 0x65; /* version 6 in an IPv4 ethertype */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_MALFORMED);
	f[l3] = 0x45;
	f[l3 + 2] = 0; f[l3 + 3] = 10; /* total length shorter than the header */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_MALFORMED);
	f[l3] = 0x4f; /* 60-byte header, 1500-byte datagram, in a frame cut after 40 bytes of IP */
	f[l3 + 2] = 0x05; f[l3 + 3] = 0xdc;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_TRUNCATED);
	f[l3 + 9] = 99; /* the same with a protocol that has no header of its own */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_TRUNCATED);
	f[l3] = 0x45;
	f[l3 + 9] = 6;
	f[l3 + 2] = 0x05; f[l3 + 3] = 0xdc; /* total length 1500 in a 54-byte frame: headers whole */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.cut == 1 && p.payload_len == 0);
	len = ipv4_tcp(f, l3, 0, 0);
	f[l3 + 20 + 12] = 2 << 4; /* TCP data offset 8 bytes */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_MALFORMED);
	f[l3 + 20 + 12] = 15 << 4; /* TCP header 60 bytes, only 20 present */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_TRUNCATED);
}

static void
test_fragments(void)
{
	uint8_t f[256];
	struct jg_pkt p;
	uint32_t l3 = eth(f, JG_ETH_IPV4), len = ipv4_tcp(f, l3, 8, 0);

	f[l3 + 6] = 0x20; /* MF, offset 0: the first fragment goes to reassembly too */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FRAGMENT && p.proto == 6 && p.frag_hdr == 0);
	CHECK(p.payload_off == l3 + 20 && p.payload_len == len - l3 - 20 && p.ttl == f[l3 + 8]);
	f[l3 + 6] = 0x00;
	f[l3 + 7] = 0x10; /* offset 128 bytes */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FRAGMENT);
	f[l3 + 7] = 0x00; /* neither: a whole datagram */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.dport == 445);
}

static void
test_vlan(void)
{
	uint8_t f[256];
	struct jg_pkt p;
	uint32_t off = vlan(f, eth(f, JG_ETH_VLAN), JG_ETH_VLAN, 100, JG_ETH_IPV4);
	uint32_t len = ipv4_tcp(f, off, 0, JG_TCP_ACK);

	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.vlan == 100 && p.l3_off == 18);
	/* QinQ: outer 802.1ad 200, inner 802.1Q 300; the outer id is kept */
	off = vlan(f, eth(f, JG_ETH_QINQ), JG_ETH_QINQ, 200, JG_ETH_VLAN);
	off = vlan(f, off, JG_ETH_VLAN, 300, JG_ETH_IPV4);
	len = ipv4_tcp(f, off, 0, 0);
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.vlan == 200 && p.l3_off == 22);
	/* three tags is not a thing */
	off = vlan(f, eth(f, JG_ETH_QINQ), JG_ETH_QINQ, 1, JG_ETH_VLAN);
	off = vlan(f, off, JG_ETH_VLAN, 2, JG_ETH_VLAN);
	off = vlan(f, off, JG_ETH_VLAN, 3, JG_ETH_IPV4);
	len = ipv4_tcp(f, off, 0, 0);
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_MALFORMED);
	/* a tag cut in half */
	CHECK(jg_pkt_parse(f, 16, 16, &p) == JG_PKT_TRUNCATED);
}

static void
test_ipv6(void)
{
	uint8_t f[256] = { 0 };
	struct jg_pkt p;
	uint32_t l3 = eth(f, JG_ETH_IPV6);
	uint8_t *ip = f + l3;
	uint32_t len;

	ip[0] = 0x60;
	ip[5] = 8 + 8; /* payload: hop-by-hop (8) + UDP (8) */
	ip[6] = 0;     /* next: hop-by-hop */
	ip[8] = 0xfe; ip[9] = 0x80; ip[23] = 1;
	ip[24] = 0xfe; ip[25] = 0x80; ip[39] = 2;
	ip[40] = 17;   /* hop-by-hop -> UDP */
	ip[41] = 0;
	ip[48] = 0x00; ip[49] = 53; ip[50] = 0xd4; ip[51] = 0x31;
	len = l3 + 40 + 16;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW);
	CHECK(p.ip_version == 6 && p.proto == 17 && p.sport == 53 && p.dport == 54321);
	CHECK(p.src[0] == 0xfe && p.src[15] == 1 && p.dst[15] == 2);
	CHECK(jg_pkt_parse(f, len - 1, len - 1, &p) == JG_PKT_TRUNCATED); /* UDP header cut */
	/* fragment header with a non-zero offset */
	ip[6] = 44;
	ip[40] = 17; ip[42] = 0x00; ip[43] = 0x08;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FRAGMENT && p.frag_hdr == l3 + 40 && p.proto == 17);
	/* an atomic fragment (offset 0, M clear) is a whole datagram */
	ip[43] = 0x00;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.proto == 17 && p.sport == 53);
	ip[43] = 0x01; /* offset 0, M set: the first fragment */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FRAGMENT && p.payload_off == l3 + 48);
	/* extension header whose length runs past the datagram */
	ip[6] = 60;
	ip[41] = 200;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_TRUNCATED);
}

static void
test_icmp_and_other(void)
{
	uint8_t f[256];
	struct jg_pkt p;
	uint32_t l3 = eth(f, JG_ETH_IPV4), len = ipv4_tcp(f, l3, 0, 0);

	f[l3 + 9] = 1; /* ICMP echo request id 0xc350 (the bytes where the TCP ports were) */
	f[l3 + 20] = 8;
	f[l3 + 24] = 0x12; f[l3 + 25] = 0x34;
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.proto == 1 && p.sport == 0x1234 && p.dport == 0x1234);
	f[l3 + 9] = 47; /* GRE: a flow by addresses only */
	CHECK(jg_pkt_parse(f, len, len, &p) == JG_PKT_FLOW && p.proto == 47 && p.sport == 0);
	eth(f, 0x0806);
	CHECK(jg_pkt_parse(f, 60, 60, &p) == JG_PKT_NON_IP);
}

/*
 * The one-pass IPv4 parser against the general one: frames from a TCP or UDP
 * template (SYNs with options among them), header bytes overwritten at random,
 * cut at random. Whatever the one-pass parser takes, the general one must make
 * the same of, field for field; it must take the plain frames.
 */
static void
test_fast_path_same(void)
{
	unsigned int seed = getenv("JG_PKT_SEED") ? (unsigned int)strtoul(getenv("JG_PKT_SEED"), NULL, 0)
						   : (unsigned int)time(NULL);
	uint32_t taken = 0, missed = 0, bad = 0, lean_bad = 0, lean_tagged = 0, lean_v6 = 0;
	size_t sz = jg_flow_table_mem_size(64);
	void *mem = aligned_alloc(64, sz);
	struct jg_flow_table t, *ft = &t;
	struct jg_flow_timeouts to = { 1, 1, 1, 1, 1, 0 };
	uint64_t cnt[JG_CNT_MAX];

	printf("pkt_test: fast path seed %u (JG_PKT_SEED)\n", seed);
	srand(seed);
	memset(mem, 0, sz);
	CHECK(jg_flow_table_init(ft, mem, 64, 1, &to, NULL, NULL, cnt) == 0);
	for (int i = 0; i < 200000; i++) {
		uint8_t f[256];
		struct jg_pkt a, b;
		struct jg_flow_hint h;
		int lean, tagged = 0;
		int v6 = rand() % 4 == 0;
		uint32_t len = v6 ? ipv6_tcp(f, eth(f, JG_ETH_IPV6), (uint16_t)(12 + rand() % 100), JG_TCP_ACK)
				  : ipv4_tcp(f, eth(f, JG_ETH_IPV4), (uint16_t)(12 + rand() % 100), JG_TCP_ACK),
			 avail, total;
		int mutations = rand() % 4;

		if (v6) {
			if (rand() % 3 == 0) /* UDP */
				f[20] = 17;
			else if (rand() % 4 == 0) /* an extension header: the general way */
				f[20] = 60;
			for (int k = 0; k < 4; k++) /* addresses and ports either way round, equal prefixes */
				f[22 + rand() % 36] = (uint8_t)(rand() % 3);
			if (mutations == 0)
				lean_v6 += jg_flow_hint_lean(ft, f, len, len, &h);
		} else if (rand() % 3 == 0) { /* UDP */
			f[23] = 17;
		} else if (rand() % 3 == 0) { /* a SYN with a window scale option */
			f[46] = 8 << 4;
			f[47] = JG_TCP_SYN;
			memcpy(f + 54, (uint8_t[]){ 1, 3, 3, (uint8_t)(rand() % 20), 0, 0, 0, 0, 0, 0, 0, 0 }, 12);
		}
		if (v6) {
			/* the one-pass parser is IPv4's */
		} else if (mutations == 0 && jg_pkt_parse_v4(f, len, len, &a)) {
			taken++;
		} else if (mutations == 0) {
			missed++;
		}
		if (rand() % 4 == 0) { /* one 802.1Q tag: the lean way takes it, the one-pass parser does not */
			memmove(f + 16, f + 12, len - 12);
			f[12] = 0x81;
			f[13] = 0;
			f[14] = (uint8_t)rand();
			f[15] = (uint8_t)rand();
			len += 4;
			tagged = 1;
			if (mutations == 0)
				lean_tagged += jg_flow_hint_lean(ft, f, len, len, &h);
		}
		for (int m = 0; m < mutations; m++)
			f[12 + rand() % 48] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 2 ? 0x45 : 0);
		total = len + (uint32_t)(rand() % 3 == 0 ? rand() % 40 : 0);
		total = total > sizeof(f) ? sizeof(f) : total;
		avail = rand() % 4 == 0 ? (uint32_t)rand() % (total + 1) : total;
		memset(&h, 0x5a, sizeof(h));
		lean = jg_flow_hint_lean(ft, f, avail, total, &h);
		memset(&a, 0x5a, sizeof(a));
		if (!tagged && !v6 && jg_pkt_parse_v4(f, avail, total, &a) != lean) {
			bad++;
		} else if (lean && (jg_pkt_parse(f, avail, total, &a) != JG_PKT_FLOW || a.cut)) {
			lean_bad++;
		} else if (lean) {
			/* the lean hint: the key, side and hash the general way gives, the flags and payload length */
			struct jg_flow_hint g = { .pkt = &a };

			jg_flow_hint_prepare(ft, &g);
			if (memcmp(&g.k, &h.k, sizeof(h.k)) != 0 || g.src_is_a != h.src_is_a || g.b1 != h.b1 || g.b2 != h.b2 ||
			    g.sig != h.sig || h.cand != JG_FLOW_NIL || h.created || h.payload_len != a.payload_len ||
			    h.tcp_flags != (a.proto == 6 ? a.tcp_flags : 0) ||
			    h.lean_cls != jg_flow_lean_cls(a.proto, h.tcp_flags, h.payload_len, a.sport, a.dport)) {
				if (lean_bad++ == 0)
					printf("pkt_test: the lean hint differs (avail %u total %u)\n", avail, total);
			}
		}
		if (jg_pkt_parse_v4(f, avail, total, &a)) {
			if (jg_pkt_parse_full(f, avail, total, &b) != JG_PKT_FLOW || memcmp(&a, &b, sizeof(a)) != 0) {
				if (bad++ == 0)
					for (size_t k = 0; k < sizeof(a); k++)
						if (((uint8_t *)&a)[k] != ((uint8_t *)&b)[k])
							printf("pkt_test: byte %zu of struct jg_pkt differs (avail %u total %u)\n", k, avail, total);
			}
		}
	}
	printf("pkt_test: one-pass parser took %u plain frames (missed %u), %u differences; the lean way took %u tagged "
	       "and %u IPv6 plain frames, %u lean hints differ\n",
	       taken, missed, bad, lean_tagged, lean_v6, lean_bad);
	CHECK(bad == 0 && missed == 0 && taken > 10000 && lean_bad == 0 && lean_tagged > 5000 && lean_v6 > 5000);
	free(mem);
}

/*
 * A port written at p: now and then a session port, or one byte-swapped (the
 * lean class must read ports in host order), else left as it is.
 */
static void
some_port(uint8_t *p)
{
	static const uint16_t ports[] = { 445, 139, 135, 593, 3389, 5985, 5986, 0xbd01, 0x8b00, 80, 444, 5987 };
	uint16_t v = ports[rand() % (int)(sizeof(ports) / sizeof(ports[0]))];

	if (rand() % 3 != 0)
		return;
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * The lean way eight frames at a time (AVX2) against jg_flow_hint_lean() one
 * by one: random groups of eight from the frames above (TCP, UDP, SYNs with
 * options, VLAN tags, IPv6, bytes mutated, short first segments). What the
 * vector way takes, the scalar way takes with the very same hint; it must
 * take the IPv4 frames the scalar way takes of 54 bytes or more, 58 with one
 * 802.1Q tag.
 */
/* A flow's end, said to nobody. */
static int
no_emit(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	(void)ctx;
	(void)f;
	(void)reason;
	return 0;
}

static void
test_x8_same(void)
{
	unsigned int seed = getenv("JG_PKT_SEED") ? (unsigned int)strtoul(getenv("JG_PKT_SEED"), NULL, 0)
						   : (unsigned int)time(NULL);
	uint32_t taken = 0, left = 0, bad = 0, lanes = 0, tagged = 0, found = 0, matched_groups = 0;
	static uint8_t allow[256 + 3];
	size_t sz = jg_flow_table_mem_size(4096);
	void *mem = aligned_alloc(64, sz);
	struct jg_flow_table t;
	struct jg_flow_timeouts to = { 1, 1, 1, 1, 1, 0 };
	uint64_t cnt[JG_CNT_MAX];
	static uint8_t fr[8][256];

	if (!jg_flow_x8_supported()) {
		printf("pkt_test: no AVX2 here (or JG_SCALAR=1): the eight-frame way is not tested\n");
		free(mem);
		return;
	}
	printf("pkt_test: eight-frame seed %u (JG_PKT_SEED)\n", seed);
	srand(seed);
	memset(mem, 0, sz);
	CHECK(jg_flow_table_init(&t, mem, 4096, 1, &to, no_emit, NULL, cnt) == 0);
	for (int g = 0; g < 40000; g++) {
		const uint8_t *p[8];
		uint32_t avail[8], total[8];
		struct jg_flow_hint h[8], s1;
		struct jg_flow_lanes lanes8;
		unsigned int got, matched;

		for (int k = 0; k < 8; k++) {
			uint8_t *f = fr[k];
			int v6 = rand() % 8 == 0, mutations = rand() % 3 == 0 ? 1 + rand() % 3 : 0;
			uint32_t len = v6 ? ipv6_tcp(f, eth(f, JG_ETH_IPV6), (uint16_t)(rand() % 100), JG_TCP_ACK)
					  : ipv4_tcp(f, eth(f, JG_ETH_IPV4), (uint16_t)(rand() % 100), JG_TCP_ACK);

			if (!v6 && rand() % 3 == 0) { /* UDP, down to the shortest datagram */
				f[23] = 17;
				if (rand() % 4 == 0) {
					len = 42 + (uint32_t)(rand() % 20);
					f[16] = 0;
					f[17] = (uint8_t)(len - 14);
				}
			} else if (!v6 && rand() % 4 == 0) { /* a SYN with options, or a header that lies */
				f[46] = (uint8_t)((rand() % 16) << 4);
				f[47] = (uint8_t)rand();
			}
			for (int a = 0; a < 6; a++) /* addresses and ports either way round, equal prefixes */
				f[26 + rand() % 12] = (uint8_t)(rand() % 3);
			some_port(f + 34);
			some_port(f + 36);
			if (rand() % 10 == 0) { /* one 802.1Q tag */
				memmove(f + 16, f + 12, len - 12);
				f[12] = 0x81;
				f[13] = 0;
				len += 4;
			}
			for (int m = 0; m < mutations; m++)
				f[12 + rand() % 40] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 2 ? 0x45 : 0);
			total[k] = len + (uint32_t)(rand() % 3 == 0 ? rand() % 40 : 0);
			total[k] = total[k] > sizeof(fr[k]) ? sizeof(fr[k]) : total[k];
			avail[k] = rand() % 5 == 0 ? (uint32_t)rand() % (total[k] + 1) : total[k];
			p[k] = f;
		}
		memset(h, 0x5a, sizeof(h));
		got = jg_flow_hint_lean_x8(&t, p, avail, &lanes8);
		jg_flow_lanes_unpack(&lanes8, got, h);
		for (int k = 0; k < 8; k++) {
			int one;

			memset(&s1, 0x5a, sizeof(s1));
			one = jg_flow_hint_lean(&t, p[k], avail[k], total[k], &s1);
			lanes++;
			if (got >> k & 1) {
				taken++;
				tagged += p[k][12] == 0x81;
				/* the same hint, field by field (the pointer to the parsed packet is the caller's) */
				if (!one || memcmp(&s1.k, &h[k].k, sizeof(s1.k)) != 0 || s1.b1 != h[k].b1 || s1.b2 != h[k].b2 ||
				    s1.sig != h[k].sig || s1.src_is_a != h[k].src_is_a || s1.created != h[k].created ||
				    s1.cand != h[k].cand || s1.tcp_flags != h[k].tcp_flags || s1.payload_len != h[k].payload_len ||
				    s1.lean_cls != h[k].lean_cls) {
					if (bad++ == 0)
						printf("pkt_test: lane %d of group %d differs from the scalar way\n", k, g);
				}
			} else if (one && ((avail[k] >= 54 && p[k][12] == 0x08) ||
					   (avail[k] >= 58 && p[k][12] == 0x81 && p[k][13] == 0 && p[k][16] == 0x08))) {
				if (bad++ == 0)
					printf("pkt_test: lane %d of group %d left a plain frame to the scalar way\n", k, g);
			} else {
				left++;
			}
		}
		/* the lanes' lookup and match against the scalar lookup and find, the table changed first:
		 * some of the frames' flows made, signatures colliding often (the table is small, the
		 * addresses few) */
		for (int k = 0; k < 8; k++) {
			struct jg_pkt pp;

			if (rand() % 3 == 0 && jg_pkt_parse(p[k], avail[k], total[k], &pp) == JG_PKT_FLOW)
				jg_flow_packet(&t, &pp, total[k], (uint64_t)g, NULL);
		}
		for (int i = 0; i < 256 + 3; i++)
			allow[i] = (uint8_t)rand();
		jg_flow_lookup_x8(&t, &lanes8, got);
		for (int k = 0; k < 8; k++)
			if (got >> k & 1)
				jg_flow_lookup_bulk(&t, &h[k], 1);
		matched = jg_flow_match_x8(&t, &lanes8, got, allow);
		for (int k = 0; k < 8; k++) {
			const struct jg_flow *f;
			int want;

			if (!(got >> k & 1))
				continue;
			f = h[k].cand != JG_FLOW_NIL ? &t.flows[h[k].cand] : NULL;
			want = f != NULL && memcmp(&f->key, &h[k].k, sizeof(f->key)) == 0 &&
			       (allow[jg_flow_lean_state(f)] >> h[k].lean_cls & 1);
			found += want;
			if (lanes8.cand[k] != h[k].cand || (int)(matched >> k & 1) != want ||
			    (want && lanes8.dir[k] != (h[k].src_is_a == f->init_is_a ? 0u : 1u))) {
				if (bad++ == 0)
					printf("pkt_test: lane %d of group %d: lookup or match differs from the scalar way\n", k, g);
			}
		}
		matched_groups += matched != 0;
	}
	printf("pkt_test: the eight-frame way took %u of %u frames (%u tagged; %u left to the scalar way), %u matched "
	       "their flows, %u differences\n",
	       taken, lanes, tagged, left, found, bad);
	CHECK(bad == 0 && taken > 100000 && left > 20000 && found > 10000 && matched_groups > 1000);
	free(mem);
}

/*
 * jg_flow_count_x8() against jg_flow_count_dir() one lane after the other: 64
 * flows, eight frames of them at a time (often two of one flow), each at its
 * own time (a little out of order, now and then past the idle timeout),
 * counters now and then about to wrap. The lanes
 * must count exactly when no two share a flow, none times out and none carries,
 * and then leave the flows as the one-by-one way does; else change nothing.
 */
static void
test_x8_count(void)
{
	unsigned int seed = getenv("JG_PKT_SEED") ? (unsigned int)strtoul(getenv("JG_PKT_SEED"), NULL, 0)
						   : (unsigned int)time(NULL) + 1;
	size_t sz = jg_flow_table_mem_size(1024);
	void *mem = aligned_alloc(64, sz);
	struct jg_flow_table t;
	struct jg_flow_timeouts to = { 60000000000ull, 60000000000ull, 60000000000ull, 60000000000ull,
				       60000000000ull, 0 };
	uint64_t cnt[JG_CNT_MAX], now = 1000000000000ull;
	static uint8_t fr[64][128], allow[256 + 3];
	uint32_t len[64], counted = 0, refused = 0, bad = 0, back = 0;

	if (!jg_flow_x8_supported()) {
		free(mem);
		return;
	}
	printf("pkt_test: eight-count seed %u (JG_PKT_SEED)\n", seed);
	srand(seed);
	memset(mem, 0, sz);
	memset(allow, 0xff, sizeof(allow));
	CHECK(jg_flow_table_init(&t, mem, 1024, 1, &to, no_emit, NULL, cnt) == 0);
	for (int i = 0; i < 64; i++) { /* 32 flows, frames i and i + 1 (i even) their two directions, made at now */
		struct jg_pkt pp;

		len[i] = ipv4_tcp(fr[i], eth(fr[i], JG_ETH_IPV4), (uint16_t)(rand() % 60),
				  (uint8_t)(i & 1 ? JG_TCP_ACK : JG_TCP_ACK | JG_TCP_PSH));
		fr[i][29] = (uint8_t)(i / 2);
		fr[i][33] = (uint8_t)(i / 4 + 100);
		if (i & 1) { /* the other way: addresses and ports swapped */
			uint8_t a[4], pt[2];

			memcpy(a, fr[i] + 26, 4);
			memcpy(fr[i] + 26, fr[i] + 30, 4);
			memcpy(fr[i] + 30, a, 4);
			memcpy(pt, fr[i] + 34, 2);
			memcpy(fr[i] + 34, fr[i] + 36, 2);
			memcpy(fr[i] + 36, pt, 2);
		}
		CHECK(jg_pkt_parse(fr[i], len[i], len[i], &pp) == JG_PKT_FLOW);
		if (!(i & 1))
			jg_flow_packet(&t, &pp, len[i], now, NULL);
	}
	for (int round = 0; round < 20000; round++) {
		const uint8_t *p[8];
		uint32_t avail[8];
		int pick[8], dup = 0, idle = 0, carry = 0, got;
		struct jg_flow_lanes g;
		struct jg_flow before[8], x8[8];
		uint64_t times[8];

		now += (uint64_t)(rand() % 1000);
		for (int k = 0; k < 8; k++) /* capture times a little out of order; now and then past the timeout */
			times[k] = now - (uint64_t)(rand() % 1500) + (rand() % 400 == 0 ? 61000000000ull : 0);

		for (int k = 0; k < 8; k++) {
			pick[k] = rand() % 4 == 0 ? rand() % 8 : rand() % 64; /* often two of a flow */
			p[k] = fr[pick[k]];
			avail[k] = len[pick[k]];
		}
		CHECK(jg_flow_hint_lean_x8(&t, p, avail, &g) == 0xff);
		jg_flow_lookup_x8(&t, &g, 0xff);
		if (jg_flow_match_x8(&t, &g, 0xff, allow) != 0xff) {
			if (bad++ == 0)
				printf("pkt_test: round %d: a flow of the 64 not matched\n", round);
			continue;
		}
		for (int k = 0; k < 8; k++) {
			struct jg_flow *f = &t.flows[g.cand[k]];

			g.len[k] = 60 + (uint32_t)(rand() % 1400);
			if (rand() % 200 == 0)
				f->pkts[g.dir[k]] = 0xffff;
			if (rand() % 200 == 0)
				f->bytes[g.dir[k]] = UINT32_MAX - (uint32_t)(rand() % 3000);
			for (int j = 0; j < k; j++)
				dup |= g.cand[j] == g.cand[k];
			carry |= f->pkts[g.dir[k]] == 0xffff || f->bytes[g.dir[k]] + g.len[k] < f->bytes[g.dir[k]];
			idle |= times[k] > f->last_ns && times[k] - f->last_ns >= t.min_idle_ns;
		}
		for (int k = 0; k < 8; k++)
			before[k] = t.flows[g.cand[k]];
		got = jg_flow_count_x8(&t, &g, times);
		for (int k = 0; k < 8; k++)
			x8[k] = t.flows[g.cand[k]];
		if (got != !(dup || idle || carry)) {
			if (bad++ == 0)
				printf("pkt_test: round %d: the lanes counted %d (shared %d, timeout %d, carry %d)\n", round, got,
				       dup, idle, carry);
		}
		for (int k = 0; k < 8; k++) /* as they were */
			t.flows[g.cand[k]] = before[k];
		if (!got) {
			for (int k = 0; k < 8; k++)
				if (memcmp(&x8[k], &before[k], sizeof(before[k])) != 0 && bad++ == 0)
					printf("pkt_test: round %d: the lanes refused yet changed a flow\n", round);
			refused++;
			for (int k = 0; k < 8; k++) /* wrapped counters put back low for the next rounds */
				t.flows[g.cand[k]].pkts[g.dir[k]] = 1, t.flows[g.cand[k]].bytes[g.dir[k]] = 1;
			continue;
		}
		for (int k = 0; k < 8; k++)
			CHECK(jg_flow_count_dir(&t, &t.flows[g.cand[k]], g.dir[k], (uint8_t)g.seg[k], g.len[k], times[k]) == 0);
		for (int k = 0; k < 8; k++)
			if (memcmp(&x8[k], &t.flows[g.cand[k]], sizeof(x8[k])) != 0 && bad++ == 0)
				printf("pkt_test: round %d: lane %d's flow differs from the one-by-one way's\n", round, k);
		counted++;
		for (int k = 0; k < 8; k++)
			back += g.dir[k];
	}
	printf("pkt_test: the eight-count counted %u groups (%u lanes from responders), refused %u, %u differences\n",
	       counted, back, refused, bad);
	CHECK(bad == 0 && counted > 2000 && refused > 5000 && back > 5000);
	free(mem);
}

int
main(void)
{
	test_fast_path_same();
	test_x8_same();
	test_x8_count();
	test_ipv4_tcp();
	test_ipv4_bogus();
	test_fragments();
	test_vlan();
	test_ipv6();
	test_icmp_and_other();
	return jg_test_done();
}
