/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: Ethernet/VLAN/IPv4/IPv6/TCP/UDP parsing, the lean way's hint, and the flow table on arbitrary frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "pkt_fastpath.h"

static uint64_t cnt[JG_CNT_MAX];
static struct jg_flow_table ft;

static int
emit(void *c, const struct jg_flow *f, enum jg_flow_end r)
{
	struct jg_flow_rec rec;

	(void)c;
	jg_flow_to_rec(&ft, f, r, 0, &rec);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *mem;
	struct jg_flow_timeouts to = { 300e9, 60e9, 30e9, 5e9, 1800e9, 0 };
	struct jg_pkt p;
	struct jg_flow_hint h, g;
	uint32_t avail;
	int lean;

	static struct jg_flow_hint x8h[8];
	static struct jg_flow_lanes lanes8;
	static int x8 = -1;

	if (x8 < 0)
		x8 = jg_flow_x8_supported();
	if (mem == NULL) {
		mem = aligned_alloc(64, jg_flow_table_mem_size(64));
		memset(mem, 0, jg_flow_table_mem_size(64));
		jg_flow_table_init(&ft, mem, 64, 1, &to, emit, NULL, cnt);
	}
	if (size < 2)
		return 0;
	/* first byte: how much of the frame is readable (a chained mbuf's first segment) */
	avail = (uint32_t)(size - 1) * data[0] / 255;
	lean = jg_flow_hint_lean(&ft, data + 1, avail, (uint32_t)(size - 1), &h);
	if (jg_pkt_parse(data + 1, avail, (uint32_t)(size - 1), &p) == JG_PKT_FLOW) {
		/* what the lean way takes, the general parser takes whole, with the same key and hash */
		g.pkt = &p;
		jg_flow_hint_prepare(&ft, &g);
		if (lean && (p.cut || memcmp(&g.k, &h.k, sizeof(h.k)) != 0 || g.b1 != h.b1 || g.sig != h.sig ||
			     g.src_is_a != h.src_is_a || h.payload_len != p.payload_len ||
			     h.lean_cls != jg_flow_lean_cls(p.proto, h.tcp_flags, h.payload_len, p.sport, p.dport)))
			abort();
		if (p.payload_off > size - 1 || p.payload_len > size - 1 - p.payload_off)
			abort(); /* the payload must lie inside the frame */
		jg_flow_packet(&ft, &p, (uint32_t)size, (uint64_t)data[0] * 1000000000ull, NULL);
		jg_flow_expire(&ft, (uint64_t)data[0] * 1000000000ull, 4);
	} else if (lean) {
		abort(); /* the lean way took a frame the general parser does not make a flow of */
	}
	if (x8) {
		/* eight lanes over the same bytes, each readable to its own length: a lane taken has the hint
		 * the scalar way makes of that length */
		const uint8_t *f[8];
		uint32_t av[8];
		unsigned int taken;

		for (int k = 0; k < 8; k++) {
			f[k] = data + 1;
			av[k] = k == 0 ? avail : (uint32_t)(size - 1) - (uint32_t)(k - 1) * (uint32_t)(size - 1) / 7;
		}
		taken = jg_flow_hint_lean_x8(&ft, f, av, &lanes8);
		jg_flow_lanes_unpack(&lanes8, taken, x8h);
		for (int k = 0; k < 8; k++) {
			if (!(taken >> k & 1))
				continue;
			if (!jg_flow_hint_lean(&ft, data + 1, av[k], (uint32_t)(size - 1), &g) ||
			    memcmp(&g.k, &x8h[k].k, sizeof(g.k)) != 0 || g.b1 != x8h[k].b1 || g.b2 != x8h[k].b2 ||
			    g.sig != x8h[k].sig || g.src_is_a != x8h[k].src_is_a || g.cand != x8h[k].cand ||
			    g.created != x8h[k].created || g.tcp_flags != x8h[k].tcp_flags ||
			    g.payload_len != x8h[k].payload_len || g.lean_cls != x8h[k].lean_cls)
				abort();
		}
	}
	return 0;
}
