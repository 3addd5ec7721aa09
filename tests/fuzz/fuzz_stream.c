/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: the whole detection path (TCP stream handling in any segment order,
 * framing, SMB/DCE-RPC/RDP/WinRM parsers, Hyperscan, events) on one flow built
 * from the input: byte 0 picks the server port, then records of
 *   [flags: bit0 direction, bit1 SYN, bit2 FIN, bit3 RST, bit4 ACK lags, bit5 low TTL, bit6 bad checksum]
 *   [seq delta: 2 bytes][length][payload]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "flow.h"
#include "jg_patterns.h"
#include "jg_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t cnt[JG_CNT_MAX];
static struct jg_detect *det;
static struct jg_flow_table ft;

static void
on_event(void *ctx, struct jg_flow *f, struct jg_event_rec *ev)
{
	char line[4096];

	(void)ctx;
	(void)f;
	jg_event_json(ev, line, sizeof(line));
}

static int
on_flow(void *c, const struct jg_flow *f, enum jg_flow_end r)
{
	(void)c;
	(void)f;
	(void)r;
	return 0;
}

static void
on_release(void *c, struct jg_flow *f)
{
	(void)c;
	jg_detect_release(det, f);
}

static void *
zalloc(size_t n)
{
	return calloc(1, n);
}

static void
init(void)
{
	static struct jg_patterns pats;
	static struct jg_cfg_errors errs;
	struct jg_flow_timeouts to = { 300e9, 60e9, 30e9, 5e9, 1800e9, 3600e9 };
	struct jg_hs_db *db;
	void *mem;

	if (jg_patterns_load(JG_SOURCE_DIR "/config/patterns.yaml", &pats, &errs) != 0 ||
	    (db = jg_hs_compile(&pats, &errs)) == NULL)
		abort();
	/* few, small out-of-order buffers: their bounds are reached */
	det = jg_detect_create(db, &(struct jg_detect_limits){ 8, 4, 4096, JG_OVERLAP_FIRST, 0 }, 0, on_event, NULL, zalloc, cnt);
	mem = aligned_alloc(64, jg_flow_table_mem_size(64));
	memset(mem, 0, jg_flow_table_mem_size(64));
	jg_flow_table_init(&ft, mem, 64, 1, &to, on_flow, NULL, cnt);
	ft.release = on_release;
	jg_detect_set_flows(det, &ft);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 445, 139, 135, 3389, 5985, 5986, 49155, 8080 };
	uint32_t seq[2] = { 1000, 9000 };
	size_t off = 1;

	if (det == NULL)
		init();
	if (size < 1)
		return 0;
	while (off + 4 <= size) {
		uint8_t fl = data[off];
		int dir = fl & 1;
		uint32_t len = data[off + 3];
		struct jg_pkt p;
		struct jg_flow *f;
		int fdir;
		const uint8_t *seg = data + off + 4;

		if (off + 4 + len > size)
			len = (uint32_t)(size - off - 4);
		memset(&p, 0, sizeof(p));
		p.src[0] = dir ? 2 : 1;
		p.dst[0] = dir ? 1 : 2;
		p.sport = dir ? ports[data[0] & 7] : 50000;
		p.dport = dir ? 50000 : ports[data[0] & 7];
		p.proto = 6;
		p.ip_version = 4;
		p.tcp_flags = (uint8_t)(((fl & 2) ? 0x02 : 0) | ((fl & 4) ? 0x01 : 0) | ((fl & 8) ? 0x04 : 0) | 0x10);
		seq[dir] += (uint32_t)(int16_t)(data[off + 1] | data[off + 2] << 8);
		p.tcp_seq = seq[dir];
		/* the high bits: acknowledgement of what the other side sent, a lower TTL, a bad checksum */
		p.tcp_ack = seq[!dir] - ((fl & 0x10) ? (uint32_t)data[off + 1] : 0);
		p.tcp_win = (uint16_t)(fl << 8 | 0xff);
		p.tcp_wscale = (fl & 2) ? (uint8_t)(fl >> 5) : 0xff;
		p.ttl = (fl & 0x20) ? 2 : 64;
		p.csum_bad = (fl & 0x40) != 0;
		p.payload_len = len;
		f = jg_flow_packet(&ft, &p, 60 + len, 1000000000ull, &fdir);
		jg_detect_packet(det, f, &p, fdir, &seg, &len, len ? 1 : 0, 1000000000ull);
		seq[dir] += len;
		off += 4 + len;
	}
	/* every flow ends between inputs: sessions go back to the pool */
	while (jg_flow_flush(&ft, 64, UINT64_MAX) > 0)
		;
	if (jg_detect_sessions_used(det) != 0)
		abort();
	return 0;
}
