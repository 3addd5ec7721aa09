/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: IP reassembly. The input is a run of frames, each behind a
 * two-byte length and a byte of clock; fragments go into a small table (so its
 * bounds, eviction and timeouts are reached) and every datagram it completes
 * must parse as a whole packet that lies inside the rebuilt frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipfrag.h"
#include "jg_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t cnt[JG_CNT_MAX];
	static uint8_t out[JG_FRAG_FRAME_MAX];
	static void *mem;
	const struct jg_frag_limits lim = { 8, 64, 16 * JG_FRAG_CHUNK, 5000000000ull,
					    size & 1 ? JG_OVERLAP_LAST : JG_OVERLAP_FIRST };
	struct jg_frag_table *t;
	uint64_t now = 0;

	if (mem == NULL)
		mem = aligned_alloc(64, (jg_frag_mem_size(&lim) + 63) & ~(size_t)63);
	t = jg_frag_init(mem, &lim, cnt);
	if (t == NULL)
		abort();
	while (size >= 3) {
		uint32_t len = (uint32_t)data[0] << 8 | data[1], out_len = 0, anomalies = 0;
		struct jg_pkt p;

		now += (uint64_t)data[2] * 100000000ull;
		data += 3;
		size -= 3;
		if (len > size)
			len = (uint32_t)size;
		jg_frag_expire(t, now);
		if (jg_pkt_parse(data, len, len, &p) == JG_PKT_FRAGMENT &&
		    jg_frag_add(t, data, len, &p, now, out, &out_len, &anomalies) == JG_FRAG_DONE) {
			struct jg_pkt q;
			enum jg_pkt_class c;

			if (out_len > JG_FRAG_FRAME_MAX)
				abort();
			c = jg_pkt_parse(out, out_len, out_len, &q);
			if (c == JG_PKT_FLOW && (q.payload_off > out_len || q.payload_len > out_len - q.payload_off))
				abort();
		}
		data += len;
		size -= len;
	}
	jg_frag_expire(t, UINT64_MAX);
	if (jg_frag_in_flight(t) != 0)
		abort();
	return 0;
}
