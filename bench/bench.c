/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jg-bench: how fast one worker core runs Jumpgate's pipeline.
 *
 * The traffic is built in memory once (bench/gen.c) and copied into mbufs
 * before anything is timed. Two paths:
 *  - inproc: bursts of those mbufs straight into the worker's pipeline on the
 *    main lcore, stage by stage: rx (touch and free: the baseline), parse,
 *    flow (parse + flow table), policy (the worker without payload
 *    inspection: flows, zone policy, records), full (the worker as it runs:
 *    + TCP streams, SMB/DCE-RPC parsing, Hyperscan, events). Cycles per
 *    packet come from the TSC around each pass; a stage's cost is its
 *    difference to the one before.
 *  - ring: a net_ring port; the main lcore feeds it, worker lcore 1 runs the
 *    real worker loop (jg_worker_main) or a plain rx-and-drop loop.
 * Results are one JSON object per line (bench/run makes the tables and plots).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "detect.h"
#include "flow.h"
#include "gen.h"
#include "jg_patterns.h"
#include "jg_policy_load.h"
#include "pkt_fastpath.h"
#include "worker.h"
#include "zones.h"

#define BURST 32

struct opts {
	struct jg_gen_cfg gen;
	double seconds;
	const char *stages;
	const char *path;
	const char *write_pcap;
	const char *policy;
	const char *patterns;
	const char *label;
	uint32_t table_size;
	uint32_t sessions;
	int no_huge;
	int fresh;      /**< end every flow between passes (payload profiles: see pass()) */
};

struct bench {
	struct opts o;
	struct jg_traffic t;
	struct rte_mempool *mp;
	struct rte_mbuf **m;
	uint64_t n;
	uint64_t tsc_hz;
	struct jg_shm *shm;
	struct jg_policy pol;
	struct jg_zones zones;
	struct jg_hs_db *hs;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: jg-bench [--profile tcp64|udp64|imix|smb|pcap] [--flows N] [--zipf S] [--packets N]\n"
		"                [--pcap FILE] [--admin-every N] [--evade PCT] [--vlan ID] [--stages rx,parse,flow,policy,full]\n"
		"                [--path inproc|ring|both] [--seconds S] [--table-size N] [--sessions N]\n"
		"                [--policy FILE] [--patterns FILE] [--label TEXT] [--no-huge] [--write-pcap FILE]\n"
		"One worker core's rate, cycles per packet and memory per flow; one JSON line per\n"
		"measurement. --write-pcap writes the traffic as a capture and exits (for\n"
		"jumpgate replay, tcpreplay or pktgen-dpdk). See bench/README.md.\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "profile", 1, NULL, 'P' }, { "flows", 1, NULL, 'f' },      { "zipf", 1, NULL, 'z' },
		{ "packets", 1, NULL, 'n' }, { "pcap", 1, NULL, 'c' },       { "admin-every", 1, NULL, 'a' }, { "evade", 1, NULL, 'v' }, { "vlan", 1, NULL, 'V' },
		{ "stages", 1, NULL, 's' },  { "path", 1, NULL, 'p' },       { "seconds", 1, NULL, 'S' },
		{ "table-size", 1, NULL, 't' }, { "sessions", 1, NULL, 'e' }, { "policy", 1, NULL, 'y' },
		{ "patterns", 1, NULL, 'r' }, { "label", 1, NULL, 'l' },     { "no-huge", 0, NULL, 'H' },
		{ "write-pcap", 1, NULL, 'w' }, { "help", 0, NULL, 'h' },     { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){
		.gen = { .profile = JG_GEN_TCP64, .flows = 1000, .packets = 1u << 20, .admin_every = 200,
			 .pcap = JG_SOURCE_DIR "/demo/demo.pcap", .seed = 42 },
		.seconds = 2,
		.stages = "rx,parse,flow,policy,full",
		.path = "inproc",
		.table_size = 0,
		.sessions = 4096,
		.patterns = JG_SOURCE_DIR "/config/patterns.yaml",
		.label = "",
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (jg_gen_profile_parse(optarg, &o->gen.profile) != 0) {
				fprintf(stderr, "jg-bench: unknown profile %s\n", optarg);
				return -1;
			}
			break;
		case 'f': o->gen.flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'z': o->gen.zipf = strtod(optarg, NULL); break;
		case 'n': o->gen.packets = strtoull(optarg, NULL, 0); break;
		case 'c': o->gen.pcap = optarg; break;
		case 'a': o->gen.admin_every = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'v': o->gen.evade_pct = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'V':
			o->gen.vlan = (uint16_t)strtoul(optarg, NULL, 0);
			if (o->gen.vlan == 0 || o->gen.vlan > 4094) {
				fprintf(stderr, "jg-bench: --vlan %s: an id from 1 to 4094\n", optarg);
				return -1;
			}
			break;
		case 's': o->stages = optarg; break;
		case 'p': o->path = optarg; break;
		case 'S': o->seconds = strtod(optarg, NULL); break;
		case 't': o->table_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'e': o->sessions = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'y': o->policy = optarg; break;
		case 'r': o->patterns = optarg; break;
		case 'l': o->label = optarg; break;
		case 'H': o->no_huge = 1; break;
		case 'w': o->write_pcap = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	/* A looped TCP stream repeats its sequence numbers: from the second pass on every
	 * segment would be a retransmission and skip inspection. Ending the flows between
	 * passes (untimed) makes each pass a fresh pickup of the same streams. */
	o->fresh = o->gen.profile == JG_GEN_SMB || o->gen.profile == JG_GEN_PCAP || o->gen.profile == JG_GEN_IMIX;
	if (o->table_size == 0) {
		/* room for the flows at a load the cuckoo table holds without evicting (96%) */
		o->table_size = 1024;
		while ((uint64_t)o->table_size * 24 < (uint64_t)o->gen.flows * 25)
			o->table_size <<= 1;
	}
	return 0;
}

static int
has_stage(const struct opts *o, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = o->stages; (p = strstr(p, s)) != NULL; p += n)
		if ((p == o->stages || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The frames into mbufs, once. */
static int
load_mbufs(struct bench *b)
{
	uint16_t room = RTE_PKTMBUF_HEADROOM;

	for (uint64_t i = 0; i < b->t.n; i++)
		if (b->t.frames[i].len + RTE_PKTMBUF_HEADROOM > room)
			room = (uint16_t)(b->t.frames[i].len + RTE_PKTMBUF_HEADROOM);
	b->n = b->t.n;
	/* room for reassembled datagrams too (a few mbufs each, freed as they are handled) */
	b->mp = rte_pktmbuf_pool_create("bench", (unsigned int)(b->n + 16384), 0, 0, room, (int)rte_socket_id());
	b->m = calloc(b->n, sizeof(*b->m));
	if (b->mp == NULL || b->m == NULL || rte_pktmbuf_alloc_bulk(b->mp, b->m, (unsigned int)b->n) != 0) {
		fprintf(stderr, "jg-bench: no memory for %llu mbufs of %u bytes (%s)\n", (unsigned long long)b->n, room,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < b->n; i++) {
		char *d = rte_pktmbuf_append(b->m[i], b->t.frames[i].len);

		memcpy(d, b->t.arena + b->t.frames[i].off, b->t.frames[i].len);
	}
	return 0;
}

static struct rte_ring *
ring(const char *name, size_t esize, unsigned int count)
{
	return rte_ring_create_elem(name, (unsigned int)esize, count, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/* A worker as the dataplane sets one up (main.c), on memory of its own. */
static struct jg_worker *
make_worker(struct bench *b, int policy, int detect, const char *tag)
{
	struct jg_flow_timeouts to = { 300000000000ull, 60000000000ull, 30000000000ull, 5000000000ull,
				       1800000000000ull, 3600000000000ull };
	const struct jg_detect_limits dlim = { b->o.sessions, 256, 65536, JG_OVERLAP_FIRST, 0 };
	const struct jg_frag_limits flim = { 1024, 256, 8u << 20, 30000000000ull, JG_OVERLAP_FIRST };
	struct jg_worker *w = rte_zmalloc("bench_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	char name[32];

	if (w == NULL)
		return NULL;
	memset(b->shm, 0, sizeof(*b->shm));
	b->shm->n_workers = 1;
	b->shm->dp_state = JG_DP_RUNNING;
	b->shm->control_pid = (uint32_t)getpid();
	w->n_workers = 1;
	w->burst = BURST;
	w->shm = b->shm;
	w->st = &b->shm->workers[0];
	w->cnt = w->st->cnt;
	for (uint32_t i = 0; i < RTE_MAX_ETHPORTS; i++)
		w->peer[i] = JG_NO_PEER;
	snprintf(name, sizeof(name), "bev_%s", tag);
	w->ev_ring = ring(name, sizeof(struct jg_event_rec), 1u << 16);
	snprintf(name, sizeof(name), "bfr_%s", tag);
	w->fr_ring = ring(name, sizeof(struct jg_flow_rec), 1u << 18);
	if (w->ev_ring == NULL || w->fr_ring == NULL || jg_worker_init(w, b->o.table_size, &to) != 0 ||
	    jg_worker_frag_init(w, &flim, b->mp) != 0)
		return NULL;
	if (policy)
		jg_worker_policy_init(w, &b->pol, &b->zones);
	if (detect && jg_worker_detect_init(w, b->hs, &dlim) != 0)
		return NULL;
	return w;
}

static void
drain_rings(struct jg_worker *w)
{
	static uint8_t sink[64 * 512];

	while (rte_ring_dequeue_burst_elem(w->ev_ring, sink, sizeof(struct jg_event_rec), 64, NULL) > 0)
		;
	while (rte_ring_dequeue_burst_elem(w->fr_ring, sink, sizeof(struct jg_flow_rec), 128, NULL) > 0)
		;
}

static void
report(const struct bench *b, const char *path, const char *stage, uint64_t pkts, uint64_t bytes, uint64_t cycles,
       const struct jg_worker *w)
{
	double secs = (double)cycles / (double)b->tsc_hz;
	const uint64_t *c = w != NULL ? w->cnt : NULL;

	printf("{\"label\":\"%s\",\"path\":\"%s\",\"stage\":\"%s\",\"profile\":\"%s\",\"flows\":%u,\"zipf\":%.2f,"
	       "\"frames\":%llu,\"avg_frame\":%.1f,\"packets\":%llu,\"seconds\":%.3f,\"cycles_per_packet\":%.1f,"
	       "\"mpps\":%.3f,\"gbps_l1\":%.3f,\"gbps_l2\":%.3f",
	       b->o.label, path, stage,
	       (const char *[]){ "tcp64", "udp64", "imix", "smb", "pcap" }[b->o.gen.profile], b->o.gen.flows,
	       b->o.gen.zipf, (unsigned long long)b->n, (double)b->t.bytes / (double)b->n, (unsigned long long)pkts,
	       secs, pkts ? (double)cycles / (double)pkts : 0, pkts / secs / 1e6,
	       ((double)bytes + 24.0 * (double)pkts) * 8 / secs / 1e9, (double)bytes * 8 / secs / 1e9);
	if (c != NULL)
		printf(",\"flows_active\":%llu,\"table_slots\":%u,\"table_bytes\":%zu,\"hs_bytes_per_packet\":%.1f,"
		       "\"events\":%llu,\"flow_table_full\":%llu,\"evicted\":%llu,\"sessions\":%llu",
		       (unsigned long long)w->flows.count, b->o.table_size, jg_flow_table_mem_size(b->o.table_size),
		       pkts ? (double)c[JG_CNT_HS_BYTES] / (double)pkts : 0,
		       (unsigned long long)(c[JG_CNT_EVENT_SENT] + c[JG_CNT_EVENT_DROP]),
		       (unsigned long long)c[JG_CNT_PKT_FLOW_FULL], (unsigned long long)c[JG_CNT_FLOW_END_EVICTED],
		       (unsigned long long)c[JG_CNT_SESS_NEW]);
	if (b->o.gen.vlan)
		printf(",\"vlan\":%u", b->o.gen.vlan);
	if (c != NULL && b->o.gen.evade_pct)
		printf(",\"evade_pct\":%u,\"fragments\":%llu,\"reassembled\":%llu,\"segments_held\":%llu,\"gaps\":%llu",
		       b->o.gen.evade_pct, (unsigned long long)c[JG_CNT_PKT_FRAGMENT], (unsigned long long)c[JG_CNT_FRAG_DONE],
		       (unsigned long long)c[JG_CNT_SEG_HELD], (unsigned long long)c[JG_CNT_SEG_GAP]);
	printf("}\n");
	fflush(stdout);
}

static volatile uint32_t bench_sink;

enum stage { ST_RX, ST_PARSE, ST_FLOW, ST_POLICY, ST_FULL };

/* One pass over every mbuf: each handed out again (refcount) so the pipeline may free it. */
/* The flow stage's burst in flight. */
struct fl_burst {
	uint16_t n;
	struct rte_mbuf **m;
	struct jg_pkt p[BURST];
	struct jg_flow_hint h[BURST];
};

static void
fl_finish(struct jg_worker *w, struct fl_burst *b, int *dir)
{
	for (uint16_t k = 0; k < b->n; k++)
		if (b->h[k].pkt != NULL)
			jg_flow_packet_hint(&w->flows, &b->p[k], &b->h[k], b->m[k]->pkt_len, w->now_ns, dir);
	if (b->n)
		rte_pktmbuf_free_bulk(b->m, b->n);
	b->n = 0;
}

/*
 * One more reference on every frame before a pass: what the pass frees goes
 * back to the frames' own count, not to the pool, so the same frames serve
 * every pass. Outside the pass (and callgrind's figure for it): a NIC's
 * driver does nothing of the kind.
 */
static void
hold_frames(struct bench *b)
{
	for (uint64_t i = 0; i < b->n; i++)
		rte_mbuf_refcnt_update(b->m[i], 1);
}

static uint64_t
pass(struct bench *b, enum stage st, struct jg_worker *w)
{
	static struct fl_burst fl[2];
	struct jg_pkt p;
	uint64_t t0, cycles = 0;
	int dir;

	t0 = rte_rdtsc_precise();
	for (uint64_t i = 0; i < b->n; i += BURST) {
		uint16_t n = (uint16_t)RTE_MIN((uint64_t)BURST, b->n - i);
		struct rte_mbuf **m = &b->m[i];

		switch (st) {
		case ST_RX: {
			uint16_t sum = 0;

			for (uint16_t k = 0; k < n; k++)
				sum += *rte_pktmbuf_mtod_offset(m[k], const uint16_t *, 12);
			bench_sink += sum; /* the frames are read, as a NIC's consumer would */
			jg_worker_free_mbufs(m, n); /* and given back as the worker gives them */
			break;
		}
		case ST_PARSE:
			for (uint16_t k = 0; k < n; k++) {
				if (k + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(m[k + 1], void *));
				w->cnt[jg_pkt_parse(rte_pktmbuf_mtod(m[k], const uint8_t *), m[k]->data_len,
						    m[k]->pkt_len, &p)]++;
			}
			rte_pktmbuf_free_bulk(m, n);
			break;
		case ST_FLOW: {
			/* what the worker does for a burst (two bursts in flight), without the policy,
			 * inspection and records */
			struct fl_burst *cur = &fl[i / BURST & 1], *prev = &fl[(i / BURST & 1) ^ 1];

			for (uint16_t k = 0; k < n; k++) {
				if (k + 4 < n)
					rte_prefetch0(rte_pktmbuf_mtod(m[k + 4], void *));
				cur->h[k].pkt = jg_pkt_parse(rte_pktmbuf_mtod(m[k], const uint8_t *), m[k]->data_len,
							     m[k]->pkt_len, &cur->p[k]) == JG_PKT_FLOW ? &cur->p[k] : NULL;
				if (cur->h[k].pkt != NULL)
					jg_flow_hint_prepare(&w->flows, &cur->h[k]);
				else
					cur->h[k].sig = 0;
			}
			fl_finish(w, prev, &dir);
			jg_flow_lookup_bulk(&w->flows, cur->h, n);
			cur->n = n;
			cur->m = m;
			break;
		}
		default:
			/* as the worker loop does per burst: handle, send or free, expire a slice */
			jg_worker_process(w, m, n);
			jg_worker_tx_flush(w);
			jg_flow_expire(&w->flows, w->now_ns, 8);
			break;
		}
		if ((i & 4095) == 0 && w != NULL) {
			cycles += rte_rdtsc_precise() - t0;
			drain_rings(w);
			t0 = rte_rdtsc_precise();
		}
	}
	if (st == ST_FLOW) {
		fl_finish(w, &fl[0], &dir);
		fl_finish(w, &fl[1], &dir);
	} else if (st >= ST_POLICY) {
		jg_worker_drain(w);
		jg_worker_tx_flush(w);
	}
	return cycles + rte_rdtsc_precise() - t0;
}

static void
run_inproc(struct bench *b)
{
	static const char *const names[] = { "rx", "parse", "flow", "policy", "full" };

	for (int st = ST_RX; st <= ST_FULL; st++) {
		struct jg_worker *w = NULL;
		uint64_t cycles = 0, pkts = 0, bytes = 0;
		uint64_t budget = (uint64_t)(b->o.seconds * (double)b->tsc_hz);

		if (!has_stage(&b->o, names[st]))
			continue;
		if (st != ST_RX && (w = make_worker(b, st >= ST_POLICY, st == ST_FULL, names[st])) == NULL) {
			fprintf(stderr, "jg-bench: no memory for a worker (%u flows)\n", b->o.table_size);
			exit(1);
		}
		hold_frames(b);
		pass(b, st, w); /* warm-up: flows created, caches and tables as in steady state */
		if (w != NULL)
			memset(w->cnt, 0, sizeof(uint64_t) * JG_CNT_MAX);
		while (cycles < budget) {
			if (b->o.fresh && w != NULL) {
				uint64_t keep[JG_CNT_MAX];

				memcpy(keep, w->cnt, sizeof(keep));
				while (jg_flow_flush(&w->flows, 1024, w->now_ns) > 0)
					drain_rings(w);
				memcpy(w->cnt, keep, sizeof(keep));
			}
			hold_frames(b);
			cycles += pass(b, st, w);
			pkts += b->n;
			bytes += b->t.bytes;
		}
		report(b, "inproc", names[st], pkts, bytes, cycles, w);
		if (w != NULL) {
			drain_rings(w);
			jg_worker_fini(w);
			rte_ring_free(w->ev_ring);
			rte_ring_free(w->fr_ring);
			rte_free(w);
		}
	}
}

static int
drop_loop(void *arg)
{
	struct jg_worker *w = arg;
	struct rte_mbuf *m[BURST];

	while (!jg_worker_quit) {
		uint16_t n = rte_eth_rx_burst(w->rxq[0].port, 0, m, BURST);

		w->cnt[JG_CNT_RX] += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	return 0;
}

/* Feed the port from the main lcore for the given time while lcore 1 runs fn. */
static void
run_ring_one(struct bench *b, const char *stage, int (*fn)(void *), int detect, struct rte_ring *rx, uint16_t port)
{
	struct jg_worker *w = make_worker(b, detect, detect, stage);
	uint64_t t0, t1, end, i = 0, rx0;

	if (w == NULL) {
		fprintf(stderr, "jg-bench: no memory for a worker\n");
		exit(1);
	}
	w->rxq[0] = (struct jg_rxq){ port, 0 };
	w->n_rxq = 1;
	jg_worker_quit = 0;
	if (rte_eal_remote_launch(fn, w, rte_get_next_lcore(-1, 1, 0)) != 0) {
		fprintf(stderr, "jg-bench: cannot start the ring path's worker lcore\n");
		exit(1);
	}
	/* warm-up pass, then measure what lcore 1 took in the time given */
	for (int timed = 0; timed < 2; timed++) {
		end = rte_rdtsc() + (uint64_t)((timed ? b->o.seconds : 0.5) * (double)b->tsc_hz);
		rx0 = w->cnt[JG_CNT_RX];
		t0 = rte_rdtsc();
		while ((t1 = rte_rdtsc()) < end) {
			struct rte_mbuf *m[BURST];
			unsigned int n = 0;

			for (; n < BURST; n++, i++) {
				m[n] = b->m[i % b->n];
				rte_mbuf_refcnt_update(m[n], 1);
			}
			n = rte_ring_sp_enqueue_burst(rx, (void **)m, n, NULL);
			for (unsigned int k = n; k < BURST; k++)
				rte_mbuf_refcnt_update(m[k], -1);
			i -= BURST - n;
			if ((i & 8191) < BURST)
				drain_rings(w);
		}
		if (timed)
			report(b, "ring", stage, w->cnt[JG_CNT_RX] - rx0,
			       (uint64_t)((double)(w->cnt[JG_CNT_RX] - rx0) * (double)b->t.bytes / (double)b->n),
			       t1 - t0, w);
	}
	jg_worker_quit = 1;
	rte_eal_mp_wait_lcore();
	/* what is left in the port's ring goes back */
	for (void *m; rte_ring_sc_dequeue(rx, &m) == 0;)
		rte_pktmbuf_free(m);
	drain_rings(w);
	jg_worker_fini(w);
	rte_ring_free(w->ev_ring);
	rte_ring_free(w->fr_ring);
	rte_free(w);
}

static void
run_ring(struct bench *b)
{
	struct rte_ring *rx = rte_ring_create("bench_rx", 4096, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *tx = rte_ring_create("bench_tx", 64, (int)rte_socket_id(), 0);
	struct rte_eth_conf conf = { 0 };
	int port;

	if (rte_lcore_count() < 2 || rx == NULL || tx == NULL) {
		fprintf(stderr, "jg-bench: the ring path needs two lcores and ring memory\n");
		return;
	}
	port = rte_eth_from_rings("net_ring_bench", &rx, 1, &tx, 1, (unsigned int)rte_socket_id());
	if (port < 0 || rte_eth_dev_configure((uint16_t)port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup((uint16_t)port, 0, 1024, (unsigned int)rte_socket_id(), NULL, b->mp) != 0 ||
	    rte_eth_tx_queue_setup((uint16_t)port, 0, 1024, (unsigned int)rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start((uint16_t)port) != 0) {
		fprintf(stderr, "jg-bench: cannot set up the net_ring port\n");
		return;
	}
	if (has_stage(&b->o, "rx"))
		run_ring_one(b, "rx", drop_loop, 0, rx, (uint16_t)port);
	if (has_stage(&b->o, "full"))
		run_ring_one(b, "full", jg_worker_main, 1, rx, (uint16_t)port);
}

static int
load_rules(struct bench *b)
{
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_patterns *pats = calloc(1, sizeof(*pats));
	int rc = -1;

	if (errs == NULL || pats == NULL)
		goto out;
	if (b->o.policy != NULL) {
		if (jg_policy_load(b->o.policy, &b->pol, errs) != 0)
			goto out;
	} else {
		jg_policy_defaults(&b->pol);
	}
	if (jg_patterns_load(b->o.patterns, pats, errs) != 0)
		goto out;
	if ((b->hs = jg_hs_compile(pats, errs)) == NULL)
		goto out;
	if (jg_zones_build(&b->zones, &b->pol) != 0)
		goto out;
	rc = 0;
out:
	for (uint32_t i = 0; errs != NULL && i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->e[i].msg);
	free(errs);
	free(pats);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	char prefix[64], mem[32], err[256], run_dir[PATH_MAX];
	char *eal[12];
	int n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_opts(argc, argv, &b.o) != 0)
		return 2;
	if (jg_gen_build(&b.o.gen, &b.t, err, sizeof(err)) != 0) {
		fprintf(stderr, "jg-bench: %s\n", err);
		return 1;
	}
	if (b.o.write_pcap != NULL) {
		int rc = jg_gen_write_pcap(&b.t, b.o.write_pcap);

		if (rc != 0)
			fprintf(stderr, "jg-bench: %s: %s\n", b.o.write_pcap, strerror(-rc));
		else
			fprintf(stderr, "jg-bench: %llu frames (%llu bytes) written to %s\n", (unsigned long long)b.t.n,
				(unsigned long long)b.t.bytes, b.o.write_pcap);
		return rc != 0;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=jgbench%d", getpid());
	snprintf(mem, sizeof(mem), "%llu",
		 (unsigned long long)(((b.t.n + 8192) * (2176 + 256) + jg_flow_table_mem_size(b.o.table_size) * 2) >> 20) + 512);
	eal[n++] = "jg-bench";
	eal[n++] = "-l";
	eal[n++] = "0,1";
	/* nothing shared, nothing left behind: --in-memory with hugepages, --no-shconf without */
	eal[n++] = b.o.no_huge ? "--no-shconf" : "--in-memory";
	eal[n++] = prefix;
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--log-level=*:error";
	if (b.o.no_huge) {
		eal[n++] = "--no-huge";
		eal[n++] = "-m";
		eal[n++] = mem;
	}
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "jg-bench: EAL: %s (hugepages? `jumpgate setup`, or --no-huge)\n", rte_strerror(rte_errno));
		return 1;
	}
	b.tsc_hz = rte_get_tsc_hz();
	/* the dataplane's keyed hashes, drawn the same way (JG_HASH_SEED reproduces a run's table layout) */
	jg_khash_set_seed(jg_khash_seed_from_env());
	b.shm = rte_zmalloc("bench_shm", sizeof(*b.shm), RTE_CACHE_LINE_SIZE);
	if (b.shm == NULL || load_mbufs(&b) != 0 || load_rules(&b) != 0)
		return 1;
	if (!strcmp(b.o.path, "inproc") || !strcmp(b.o.path, "both"))
		run_inproc(&b);
	if (!strcmp(b.o.path, "ring") || !strcmp(b.o.path, "both"))
		run_ring(&b);
	/* EAL leaves its run-time directory (empty, even --in-memory): one per run piled up in /var/run/dpdk */
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(run_dir);
	return 0;
}
