/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jg-harness: the dataplane's per-packet code (parsing, flow table, stream
 * handling, protocol parsers, Hyperscan, events) run over capture files in one
 * plain process, without EAL. It exists so that the same code can run under
 * ASan/UBSan on every real capture (DPDK's hugepage memory and ASan do not mix
 * well) and be fuzzed; events go to stdout as JSON lines, a summary to stderr.
 *
 *   jg-harness PATTERNS.yaml FILE...
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "flow.h"
#include "jg_patterns.h"
#include "jg_records.h"
#include "launcher.h"
#include "pkt_fastpath.h"

#define FLOWS 65536
#define SESSIONS 1024

static uint64_t cnt[JG_CNT_MAX];
static uint64_t n_events;
static struct jg_detect *det;

static void
on_event(void *ctx, struct jg_flow *f, struct jg_event_rec *ev)
{
	char line[4096];
	size_t n = jg_event_json(ev, line, sizeof(line));

	(void)ctx;
	(void)f;
	fwrite(line, 1, n, stdout);
	fputc('\n', stdout);
	n_events++;
}

static int
on_flow(void *ctx, const struct jg_flow *f, enum jg_flow_end reason)
{
	(void)ctx;
	(void)f;
	(void)reason;
	return 0;
}

static void
on_release(void *ctx, struct jg_flow *f)
{
	(void)ctx;
	jg_detect_release(det, f);
}

static void *
zalloc(size_t n)
{
	return calloc(1, n);
}

int
main(int argc, char **argv)
{
	static struct jg_patterns pats;
	static struct jg_cfg_errors errs;
	struct jg_flow_timeouts to = { 300e9, 60e9, 30e9, 5e9, 1800e9, 3600e9 };
	const struct jg_detect_limits dlim = { SESSIONS, 64, 65536, JG_OVERLAP_FIRST, 0 };
	const struct jg_frag_limits flim = { 256, 256, 1u << 20, 30000000000ull, JG_OVERLAP_FIRST };
	struct jg_frag_table *frag;
	uint8_t *frame;
	void *fmem;
	struct jg_flow_table ft;
	struct jg_hs_db *db;
	char err[256], warn[512], tmp[] = "/tmp/jg-harness-XXXXXX";
	uint64_t packets = 0, total;
	void *mem;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: jg-harness PATTERNS.yaml FILE...\n");
		return 2;
	}
	if (jg_patterns_load(argv[1], &pats, &errs) != 0 || (db = jg_hs_compile(&pats, &errs)) == NULL) {
		for (uint32_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.e[i].msg);
		return 2;
	}
	/* The same normalisation as `jumpgate replay`: every frame Ethernet. */
	if ((fd = mkstemp(tmp)) < 0)
		return 1;
	close(fd);
	if (jg_capture_normalize(argv + 2, argc - 2, tmp, &total, err, sizeof(err), warn, sizeof(warn)) != 0) {
		fprintf(stderr, "jg-harness: %s\n", err);
		unlink(tmp);
		return 1;
	}
	mem = aligned_alloc(64, jg_flow_table_mem_size(FLOWS));
	memset(mem, 0, jg_flow_table_mem_size(FLOWS));
	det = jg_detect_create(db, &dlim, 0, on_event, NULL, zalloc, cnt);
	fmem = aligned_alloc(64, (jg_frag_mem_size(&flim) + 63) & ~(size_t)63);
	frame = malloc(JG_FRAG_FRAME_MAX);
	if (mem == NULL || det == NULL || fmem == NULL || frame == NULL ||
	    jg_flow_table_init(&ft, mem, FLOWS, 1, &to, on_flow, NULL, cnt) != 0 ||
	    (frag = jg_frag_init(fmem, &flim, cnt)) == NULL)
		return 1;
	ft.release = on_release;
	jg_detect_set_flows(det, &ft);
	{
		pcap_t *in = pcap_open_offline(tmp, err);
		struct pcap_pkthdr *h;
		const u_char *data;

		unlink(tmp);
		if (in == NULL)
			return 1;
		while (pcap_next_ex(in, &h, &data) == 1) {
			uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
			struct jg_pkt p;
			enum jg_pkt_class c = jg_pkt_parse(data, h->caplen, h->caplen, &p);
			uint32_t flen, anomalies;

			packets++;
			jg_frag_expire(frag, ts);
			/* a fragment that completes its datagram: the datagram goes on as one packet */
			if (c == JG_PKT_FRAGMENT &&
			    jg_frag_add(frag, data, h->caplen, &p, ts, frame, &flen, &anomalies) == JG_FRAG_DONE) {
				data = frame;
				c = jg_pkt_parse(frame, flen, flen, &p);
			}
			if (c == JG_PKT_FLOW) {
				int dir;
				struct jg_flow *f = jg_flow_packet(&ft, &p, h->caplen, ts, &dir);
				const uint8_t *seg = data + p.payload_off;
				uint32_t len = p.payload_len;

				jg_detect_packet(det, f, &p, dir, &seg, &len, len ? 1 : 0, ts);
			}
		}
		pcap_close(in);
	}
	while (jg_flow_flush(&ft, 1024, UINT64_MAX) > 0)
		;
	fprintf(stderr, "jg-harness: %llu packets, %llu flows, %llu events, %llu pdus, %llu hs bytes\n",
		(unsigned long long)packets, (unsigned long long)cnt[JG_CNT_FLOW_NEW], (unsigned long long)n_events,
		(unsigned long long)cnt[JG_CNT_PDU], (unsigned long long)cnt[JG_CNT_HS_BYTES]);
	free(mem);
	free(fmem);
	free(frame);
	jg_detect_destroy(det, free);
	jg_hs_free(db);
	return packets == total ? 0 : 1;
}
