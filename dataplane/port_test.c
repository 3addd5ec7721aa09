/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which queue RSS gives a packet, computed in software (reassembled datagrams
 * go to the worker of their flow's queue): the Toeplitz hash over the fields
 * a NIC hashes, checked on the verification vectors of Microsoft's RSS
 * specification, and the symmetric key's promise that both directions meet.
 */
#include <string.h>

#include "jg_test.h"
#include <rte_ethdev.h>

#include "port.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static struct jg_pkt
v4(const uint8_t *s, const uint8_t *d, uint16_t sp, uint16_t dp)
{
	struct jg_pkt p;

	memset(&p, 0, sizeof(p));
	memcpy(p.src, s, 4);
	memcpy(p.dst, d, 4);
	p.sport = sp;
	p.dport = dp;
	p.proto = 6;
	p.ip_version = 4;
	return p;
}

int
main(void)
{
	static struct jg_rss_map m;
	struct jg_pkt p, q;

	/* a redirection table that is the identity over 2^16 entries would need the whole hash:
	 * a 512-entry table shows its low nine bits, enough to check the vectors */
	m.reta_size = 512;
	m.n_queues = 512;
	for (uint16_t i = 0; i < 512; i++)
		m.reta[i] = i;
	memcpy(m.key, ms_key, sizeof(ms_key));
	m.hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4;
	/* 66.9.149.187:2794 -> 161.142.100.80:1766: 0x51ccc178 with ports, 0x323e8fc2 without */
	p = v4((const uint8_t[]){ 66, 9, 149, 187 }, (const uint8_t[]){ 161, 142, 100, 80 }, 2794, 1766);
	CHECK(jg_rss_queue(&m, &p) == (0x51ccc178 & 511));
	p.proto = 17; /* UDP not hashed with ports in this map */
	CHECK(jg_rss_queue(&m, &p) == (0x323e8fc2 & 511));
	/* 199.92.111.2:14230 -> 65.69.140.83:4739: 0xc626b0ea with ports */
	p = v4((const uint8_t[]){ 199, 92, 111, 2 }, (const uint8_t[]){ 65, 69, 140, 83 }, 14230, 4739);
	CHECK(jg_rss_queue(&m, &p) == (0xc626b0ea & 511));
	/* the symmetric key: both directions, one queue */
	for (int i = 0; i < 40; i += 2) {
		m.key[i] = 0x6d;
		m.key[i + 1] = 0x5a;
	}
	m.reta_size = 128;
	for (uint16_t i = 0; i < 128; i++)
		m.reta[i] = i % 4;
	for (uint16_t sp = 1024; sp < 1124; sp++) {
		p = v4((const uint8_t[]){ 10, 0, (uint8_t)sp, 7 }, (const uint8_t[]){ 10, 1, 2, (uint8_t)(sp * 3) }, sp, 445);
		q = v4(p.dst, p.src, 445, sp);
		CHECK(jg_rss_queue(&m, &p) == jg_rss_queue(&m, &q));
	}
	return jg_test_done();
}
