/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jg-dataplane: the DPDK primary process. Builds the EAL command line from the
 * config, creates the status memzone and the rings the control plane drains,
 * brings the ports up and launches one polling loop per worker lcore.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "jg_policy_load.h"
#include "dataplane.h"
#include "detect.h"
#include "jg_fmt.h"
#include "jg_patterns.h"
#include "port.h"

#define MAX_EAL_ARGV (16 + 2 * JG_CFG_MAX_PORTS + JG_CFG_MAX_EAL_ARGS)
/* Frames the replay reader keeps ahead of the workers. */
#define REPLAY_RING 4096

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: jg-dataplane -c CONFIG [--pcap FILE --replay-packets N] [--out DIR]\n"
		"                    [--file-prefix P] [--ready-fd FD] [--check]\n"
		"The Jumpgate dataplane (DPDK primary). Normally started by `jumpgate`.\n"
		"  -c, --config FILE        YAML configuration\n"
		"      --pcap FILE          replace the configured ports with FILE (an Ethernet pcap), read in place\n"
		"      --replay-packets N   FILE holds N packets: stop once all are accounted for\n"
		"      --out DIR            write DIR/summary.json at exit\n"
		"      --file-prefix P      DPDK shared-memory prefix (overrides eal.file_prefix)\n"
		"      --ready-fd FD        write \"ready\" to FD once the control plane may attach\n"
		"      --policy FILE        zones and policy (overrides detect.policy): what-if on recorded traffic\n"
		"      --check              validate the configuration and exit\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	jg_dp_stop_requested++;
}

/*
 * A replayed file is read through its mapping (replay.c): a page past its end,
 * cut off by someone truncating the file meanwhile, raises SIGBUS. Said in
 * words, then the process ends (what it had not sent is lost either way).
 */
static void
on_sigbus(int sig)
{
	static const char msg[] = "jg-dataplane: the capture being replayed was cut short while it was read "
				  "(truncated or rewritten on disk): stopping\n";
	ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)rc;
	(void)sig;
	_exit(3);
}

static int
parse_args(int argc, char **argv, struct jg_dataplane *dp, const char **cfg_path, const char **prefix,
	   int *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },   { "pcap", required_argument, NULL, 'p' },
		{ "replay-packets", required_argument, NULL, 'n' }, { "out", required_argument, NULL, 'o' },
		{ "file-prefix", required_argument, NULL, 'f' }, { "ready-fd", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'k' },           { "help", no_argument, NULL, 'h' },
		{ "policy", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *cfg_path = optarg; break;
		case 'p': dp->pcap = optarg; break;
		case 'n':
			dp->replay_packets = strtoull(optarg, &end, 10);
			if (*end != '\0') {
				fprintf(stderr, "jg-dataplane: --replay-packets %s: not a number\n", optarg);
				return -EINVAL;
			}
			break;
		case 'o': dp->out_dir = optarg; break;
		case 'f': *prefix = optarg; break;
		case 'r': dp->ready_fd = atoi(optarg); break;
		case 'k': *check = 1; break;
		case 'P': dp->policy_arg = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (*cfg_path == NULL) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * The patterns: detect.patterns relative to the config file, or the bundled
 * file (source tree, then installed data) when the config names none.
 */
static int
load_patterns(struct jg_dataplane *dp, struct jg_cfg_errors *errs)
{
	static struct jg_patterns pats;
	char path[JG_CFG_PATH + 512];

	jg_config_patterns_path(&dp->cfg, path, sizeof(path));
	snprintf(dp->patterns_path, sizeof(dp->patterns_path), "%s", path);
	if (jg_patterns_load(path, &pats, errs) != 0)
		return -EINVAL;
	dp->hs = jg_hs_compile(&pats, errs);
	return dp->hs == NULL ? -EINVAL : 0;
}

static int
load_policy(struct jg_dataplane *dp, struct jg_cfg_errors *errs)
{
	struct jg_policy *pol = calloc(1, sizeof(*pol));
	char path[JG_CFG_PATH + 512];

	if (pol == NULL)
		return -ENOMEM;
	dp->policy = pol;
	if (dp->policy_arg != NULL)
		snprintf(path, sizeof(path), "%s", dp->policy_arg);
	else if (dp->cfg.policy_path[0] != '\0')
		jg_config_policy_path(&dp->cfg, path, sizeof(path));
	else {
		jg_policy_defaults(pol);
		return 0;
	}
	snprintf(dp->policy_path, sizeof(dp->policy_path), "%s", path);
	return jg_policy_load(path, pol, errs);
}

static void
print_errors(const struct jg_cfg_errors *errs, const char *path)
{
	for (uint32_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->e[i].msg);
	if (errs->dropped)
		fprintf(stderr, "%s: ... and %u more errors\n", path, errs->dropped);
}

/* Load the config and apply flag overrides; print every error. With patterns_later, a
 * valid config leaves the patterns to patterns_start(). */
static int
load_config(struct jg_dataplane *dp, const char *path, const char *prefix, int patterns_later)
{
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_config *cfg = &dp->cfg;
	int rc;

	if (errs == NULL)
		return -ENOMEM;
	rc = jg_config_load(path, cfg, errs);
	if (rc == 0 && (prefix != NULL || dp->pcap != NULL)) {
		if (prefix != NULL)
			snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "%s", prefix);
		if (dp->pcap != NULL) {
			char err[512];

			if (jg_replay_open(&dp->rp, dp->pcap, err, sizeof(err)) != 0) {
				fprintf(stderr, "jg-dataplane: --pcap %s\n", err);
				free(errs);
				return -EINVAL;
			}
			/* the port is made from the reader's ring after EAL, not probed */
			snprintf(cfg->ports[0].device, sizeof(cfg->ports[0].device), "jg_replay");
			cfg->n_ports = 1;
			snprintf(cfg->ports[0].name, sizeof(cfg->ports[0].name), "replay");
			cfg->ports[0].rx_queues = 1;
		}
		rc = jg_config_validate(cfg, errs);
	}
	if (cfg->detect_on) {
		/* a broken config reports its patterns' errors too, all at once */
		if (rc != 0 || !patterns_later)
			rc = load_patterns(dp, errs) != 0 ? -EINVAL : rc;
		rc = load_policy(dp, errs) != 0 ? -EINVAL : rc;
	}
	print_errors(errs, path);
	free(errs);
	return rc;
}

/* Hyperscan compiles the patterns on a thread of its own while EAL starts (25-30 ms of
 * the start of a replay); the thread touches only dp->hs and its own errors. */
struct pattern_job {
	struct jg_dataplane *dp;
	pthread_t tid;
	int started, rc;
	struct jg_cfg_errors errs;
};

static void *
compile_patterns(void *arg)
{
	struct pattern_job *job = arg;

	job->rc = load_patterns(job->dp, &job->errs);
	return NULL;
}

static int
patterns_start(struct pattern_job *job, struct jg_dataplane *dp)
{
	job->dp = dp;
	if (!dp->cfg.detect_on || dp->hs != NULL)
		return 0;
	if (pthread_create(&job->tid, NULL, compile_patterns, job) == 0) {
		job->started = 1;
		return 0;
	}
	compile_patterns(job);
	return job->rc;
}

static int
patterns_join(struct pattern_job *job, const char *cfg_path)
{
	if (job->started)
		pthread_join(job->tid, NULL);
	print_errors(&job->errs, cfg_path);
	return job->rc;
}

static int
build_eal_argv(const struct jg_config *cfg, int replay, char **argv, char store[][JG_CFG_STR])
{
	int argc = 0, s = 0, pci = 0;
	int len;

	argv[argc++] = "jg-dataplane";
	snprintf(store[s], JG_CFG_STR, "--file-prefix=%s", cfg->file_prefix);
	argv[argc++] = store[s++];
	len = snprintf(store[s], JG_CFG_STR, "--lcores=%u@%u", cfg->main_lcore,
		       cfg->n_cpus ? cfg->cpus[0] : cfg->main_lcore);
	for (uint32_t i = 0; i < cfg->n_workers && len < JG_CFG_STR; i++)
		len += snprintf(store[s] + len, JG_CFG_STR - (size_t)len, ",%u@%u", cfg->workers[i],
				cfg->n_cpus ? cfg->cpus[i + 1] : cfg->workers[i]);
	argv[argc++] = store[s++];
	snprintf(store[s], JG_CFG_STR, "--main-lcore=%u", cfg->main_lcore);
	argv[argc++] = store[s++];
	if (cfg->memory_mb) { /* else EAL takes hugepages as it needs them */
		snprintf(store[s], JG_CFG_STR, "-m%u", cfg->memory_mb);
		argv[argc++] = store[s++];
	}
	argv[argc++] = "--proc-type=primary";
	argv[argc++] = "--log-level=*:warning";
	for (uint32_t i = replay ? 1 : 0; i < cfg->n_ports; i++) {
		if (jg_config_port_is_vdev(&cfg->ports[i])) {
			snprintf(store[s], JG_CFG_STR, "--vdev=%s", cfg->ports[i].device);
		} else {
			snprintf(store[s], JG_CFG_STR, "--allow=%s", cfg->ports[i].device);
			pci = 1;
		}
		argv[argc++] = store[s++];
	}
	if (!pci)
		argv[argc++] = "--no-pci";
	for (uint32_t i = 0; i < cfg->n_eal_args; i++)
		argv[argc++] = (char *)cfg->eal_args[i];
	argv[argc] = NULL;
	return argc;
}

static struct rte_ring *
make_ring(const char *fmt, unsigned int id, unsigned int esize, unsigned int count, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), fmt, id);
	return rte_ring_create_elem(name, esize, count, (int)rte_socket_id(), flags);
}

/* A port is inline when it names a peer or another port names it. */
static int
is_inline(const struct jg_config *cfg, uint32_t p)
{
	for (uint32_t q = 0; q < cfg->n_ports; q++)
		if (!strcmp(cfg->ports[q].peer, cfg->ports[p].name))
			return 1;
	return cfg->ports[p].peer[0] != '\0';
}

/* Pairs are symmetric: naming a peer on one side is enough. */
static void
inline_peers(const struct jg_dataplane *dp, struct jg_worker *w)
{
	const struct jg_config *cfg = &dp->cfg;

	for (uint32_t i = 0; i < RTE_MAX_ETHPORTS; i++)
		w->peer[i] = JG_NO_PEER;
	for (uint32_t a = 0; a < cfg->n_ports; a++)
		for (uint32_t b = 0; b < cfg->n_ports; b++)
			if (a != b && (!strcmp(cfg->ports[a].peer, cfg->ports[b].name) ||
				       !strcmp(cfg->ports[b].peer, cfg->ports[a].name))) {
				w->peer[dp->port_ids[a]] = dp->port_ids[b];
				w->tx_ports[w->n_tx_ports++] = dp->port_ids[b];
			}
}

static int
setup_workers(struct jg_dataplane *dp, int dispatch, struct rte_mempool *mp)
{
	const struct jg_config *cfg = &dp->cfg;
	struct jg_flow_timeouts to = {
		.tcp_idle_ns = (uint64_t)cfg->tcp_idle_s * 1000000000u,
		.udp_idle_ns = (uint64_t)cfg->udp_idle_s * 1000000000u,
		.other_idle_ns = (uint64_t)cfg->other_idle_s * 1000000000u,
		.closed_ns = (uint64_t)cfg->closed_s * 1000000000u,
		.active_ns = (uint64_t)cfg->active_s * 1000000000u,
		.session_idle_ns = (uint64_t)cfg->session_idle_s * 1000000000u,
	};
	const struct jg_detect_limits dlim = {
		/* a replay has no more sessions than packets (each takes one with its first payload) */
		.sessions = dp->replay_packets && dp->replay_packets < cfg->detect_sessions ? (uint32_t)RTE_MAX(dp->replay_packets, 64u)
											    : cfg->detect_sessions,
		.ooo_buffers = cfg->ooo_buffers,
		.ooo_window = cfg->ooo_window,
		.policy = strcmp(cfg->overlap_policy, "last") == 0 ? JG_OVERLAP_LAST : JG_OVERLAP_FIRST,
		.no_discovery = !cfg->rpc_discovery,
	};
	const struct jg_frag_limits flim = {
		.datagrams = cfg->frag_datagrams,
		.fragments = cfg->frag_fragments,
		.mem_bytes = cfg->frag_memory_kb * 1024u,
		.timeout_ns = (uint64_t)cfg->frag_timeout_s * 1000000000u,
		.policy = dlim.policy,
	};

	uint32_t flows = cfg->flow_table_size;

	/* A replay has no more flows than packets: a table that holds them all (at 96%) is enough,
	 * and a small capture does not wait for a table of a million flows to be cleared. */
	while (dp->replay_packets && flows > 1024 && (uint64_t)flows / 2 * 24 >= dp->replay_packets * 25)
		flows /= 2;
	for (uint32_t i = 0; i < cfg->n_workers; i++) {
		struct jg_worker *w = rte_zmalloc("jg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
		int rc;

		if (w == NULL)
			return -ENOMEM;
		dp->workers[i] = w;
		w->id = (uint16_t)i;
		w->n_workers = (uint16_t)cfg->n_workers;
		w->burst = (uint16_t)cfg->burst;
		w->shm = dp->shm;
		w->st = &dp->shm->workers[i];
		w->cnt = w->st->cnt;
		w->dispatch = dispatch;
		w->lossless = dp->replay_packets != 0;
		w->fail_closed = !cfg->fail_open;
		w->send_rst = (int)cfg->send_rst;
		inline_peers(dp, w);
		w->peers = dp->dispatch;
		w->dispatch_ring = dp->dispatch[i];
		for (uint32_t p = 0; !dispatch && p < cfg->n_ports; p++)
			if (dp->rss[p].reta_size != 0)
				w->rss[dp->port_ids[p]] = &dp->rss[p];
		for (uint32_t p = 0; p < cfg->n_ports; p++)
			if (i < cfg->ports[p].rx_queues)
				w->rxq[w->n_rxq++] = (struct jg_rxq){ dp->port_ids[p], (uint16_t)i };
		w->ev_ring = make_ring(JG_RING_EVENTS_FMT, i, sizeof(struct jg_event_rec), cfg->ring_events,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->fr_ring = make_ring(JG_RING_FLOWS_FMT, i, sizeof(struct jg_flow_rec), cfg->ring_flows,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->ev_ring == NULL || w->fr_ring == NULL) {
			fprintf(stderr, "jg-dataplane: worker %u: cannot create rings: %s\n", i,
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
		rc = jg_worker_init(w, flows, &to);
		if (rc != 0) {
			fprintf(stderr, "jg-dataplane: worker %u: no memory for %u flows (%zu MiB); lower flows.table_size or raise eal.memory_mb\n",
				i, flows, jg_flow_table_mem_size(flows) >> 20);
			return rc;
		}
		if (dp->policy != NULL)
			jg_worker_policy_init(w, dp->policy, &dp->zones);
		if (dp->hs != NULL && jg_worker_detect_init(w, dp->hs, &dlim) != 0) {
			fprintf(stderr, "jg-dataplane: worker %u: no memory for %u detection sessions (%zu MiB) and %u reassembly buffers (%zu MiB); lower detect.sessions or detect.reassembly.tcp_buffers\n",
				i, cfg->detect_sessions, (size_t)cfg->detect_sessions * jg_detect_session_size() >> 20,
				cfg->ooo_buffers, (size_t)cfg->ooo_buffers * jg_detect_ooo_size(cfg->ooo_window) >> 20);
			return -ENOMEM;
		}
		if (jg_worker_frag_init(w, &flim, mp) != 0) {
			fprintf(stderr, "jg-dataplane: worker %u: no memory for IP reassembly (%zu MiB); lower detect.reassembly.ip_memory_kb\n",
				i, jg_frag_mem_size(&flim) >> 20);
			return -ENOMEM;
		}
	}
	/* what one worker learns from the endpoint mapper, the others read */
	for (uint32_t i = 0; dp->hs != NULL && i < cfg->n_workers; i++)
		dp->dets[i] = dp->workers[i]->det;
	for (uint32_t i = 0; dp->hs != NULL && i < cfg->n_workers; i++)
		jg_detect_set_peers(dp->workers[i]->det, dp->dets, cfg->n_workers);
	return 0;
}

/*
 * Generation 1 of the rules is what the workers were set up with; reloads
 * replace it (rules.h). Workers report quiescent states to one QSBR variable.
 */
static int
setup_rules(struct jg_dataplane *dp)
{
	struct jg_rules *r;
	size_t sz;

	if (dp->policy == NULL)
		return 0;
	sz = rte_rcu_qsbr_get_memsize(dp->cfg.n_workers);
	dp->qs = rte_zmalloc("jg_qsbr", sz, RTE_CACHE_LINE_SIZE);
	r = calloc(1, sizeof(*r));
	if (dp->qs == NULL || r == NULL || rte_rcu_qsbr_init(dp->qs, dp->cfg.n_workers) != 0) {
		fprintf(stderr, "jg-dataplane: no memory for the rules' RCU state\n");
		free(r);
		return -ENOMEM;
	}
	r->gen = 1;
	r->pol = dp->policy;
	r->zones = dp->zones;
	r->hs = dp->hs;
	dp->rules = r;
	for (uint32_t i = 0; i < dp->cfg.n_workers; i++) {
		struct jg_worker *w = dp->workers[i];

		w->rules = &dp->rules;
		w->rules_gen = 1;
		w->qs = dp->qs;
		w->verdict.zones = &r->zones;
		rte_rcu_qsbr_thread_register(dp->qs, i);
	}
	return 0;
}

/* The rules in shared memory, for the control plane (see struct jg_policy_mz). */
static int
publish_policy(struct jg_dataplane *dp)
{
	const struct rte_memzone *mz = rte_memzone_reserve(JG_POLICY_MZ_NAME, sizeof(struct jg_policy_mz),
							   SOCKET_ID_ANY, 0);
	struct jg_policy_mz *pm;

	if (mz == NULL) {
		fprintf(stderr, "jg-dataplane: cannot reserve the policy memzone: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	pm = mz->addr;
	memset(pm, 0, sizeof(*pm));
	pm->gen = 1;
	pm->detect_on = dp->cfg.detect_on;
	snprintf(pm->policy_path, sizeof(pm->policy_path), "%s", dp->policy_path);
	snprintf(pm->patterns_path, sizeof(pm->patterns_path), "%s", dp->patterns_path);
	pm->loaded_unix_ns = dp->t_start_ns;
	pm->policy_override = dp->policy_arg != NULL;
	if (dp->policy != NULL)
		pm->pol[1] = *dp->policy;
	else
		jg_policy_defaults(&pm->pol[1]);
	dp->policy_mz = pm;
	return 0;
}

/* Ports and rings; packets do not flow until the ports start. */
static int
setup(struct jg_dataplane *dp)
{
	const struct jg_config *cfg = &dp->cfg;
	const struct rte_memzone *mz;
	struct rte_mempool *mp;
	char err[256];
	int dispatch = 0;
	int hw_rss;

	mz = rte_memzone_reserve(JG_SHM_NAME, sizeof(struct jg_shm), SOCKET_ID_ANY, 0);
	if (mz == NULL) {
		fprintf(stderr, "jg-dataplane: cannot reserve the status memzone: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	dp->shm = mz->addr;
	memset(dp->shm, 0, sizeof(*dp->shm));
	dp->shm->magic = JG_SHM_MAGIC;
	dp->shm->version = JG_WIRE_VERSION;
	dp->shm->n_workers = cfg->n_workers;
	dp->shm->n_ports = cfg->n_ports;
	dp->shm->start_unix_ns = dp->t_start_ns;
	dp->shm->replay_expected = dp->replay_packets;
	dp->shm->dp_pid = (uint32_t)getpid();
	dp->shm->event_ring_size = cfg->ring_events;
	dp->shm->flow_ring_size = cfg->ring_flows;

	mp = rte_pktmbuf_pool_create("jg_mbufs", cfg->mbufs, cfg->mbuf_cache, 0, (uint16_t)cfg->mbuf_data_room,
				     (int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "jg-dataplane: cannot create a pool of %u mbufs: %s\n", cfg->mbufs,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint32_t p = 0; p < cfg->n_ports; p++) {
		struct jg_port_status *ps = &dp->shm->ports[p];
		int rc;

		if (dp->pcap != NULL) {
			rc = jg_replay_port(&dp->rp, mp, REPLAY_RING, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "jg-dataplane: %s\n", err);
				return rc;
			}
			dp->port_ids[p] = dp->rp.port_id;
		} else if ((rc = jg_port_find(&cfg->ports[p], &dp->port_ids[p])) != 0) {
			fprintf(stderr, "jg-dataplane: port %s: device %s not found (check the PCI address or vdev)\n",
				cfg->ports[p].name, cfg->ports[p].device);
			return rc;
		}
		/* an inline port needs a tx queue per worker: no locks on transmit */
		rc = jg_port_setup(&cfg->ports[p], dp->port_ids[p], is_inline(cfg, p) ? (uint16_t)cfg->n_workers : 1, mp,
				   &hw_rss, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "jg-dataplane: %s\n", err);
			return rc;
		}
		snprintf(ps->name, sizeof(ps->name), "%s", cfg->ports[p].name);
		ps->port_id = dp->port_ids[p];
		ps->rx_queues = (uint16_t)cfg->ports[p].rx_queues;
		ps->tx_queues = is_inline(cfg, p) ? (uint16_t)cfg->n_workers : 1;
		ps->rss = (uint8_t)hw_rss;
		if (hw_rss)
			jg_port_rss_map(dp->port_ids[p], (uint16_t)cfg->ports[p].rx_queues, &dp->rss[p]);
		/* One consistent owner function for every port: software dispatch if any port lacks RSS. */
		if (cfg->n_workers > 1 && (!hw_rss || cfg->ports[p].rx_queues < cfg->n_workers))
			dispatch = 1;
	}
	if (dp->policy != NULL && jg_zones_build(&dp->zones, dp->policy) != 0) {
		fprintf(stderr, "jg-dataplane: cannot build the zone tables\n");
		return -ENOMEM;
	}
	if (publish_policy(dp) != 0)
		return -ENOMEM;
	/* With RSS the rings carry only reassembled datagrams to the worker owning their flow. */
	for (uint32_t i = 0; cfg->n_workers > 1 && i < cfg->n_workers; i++) {
		dp->dispatch[i] = make_ring("jg_dq_%u", i, sizeof(void *), cfg->ring_dispatch, RING_F_SC_DEQ);
		if (dp->dispatch[i] == NULL) {
			fprintf(stderr, "jg-dataplane: cannot create dispatch ring: %s\n", rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	if (setup_workers(dp, dispatch, mp) != 0)
		return -ENOMEM;
	return setup_rules(dp);
}

int
main(int argc, char **argv)
{
	static char store[MAX_EAL_ARGV][JG_CFG_STR];
	static struct pattern_job job;
	struct jg_dataplane *dp = calloc(1, sizeof(*dp));
	const char *cfg_path = NULL, *prefix = NULL;
	char *eal_argv[MAX_EAL_ARGV + 1];
	int check = 0, eal_argc, rc;

	if (dp == NULL)
		return 1;
	dp->ready_fd = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, dp, &cfg_path, &prefix, &check) != 0 ||
	    load_config(dp, cfg_path, prefix, !check) != 0)
		return 2;
	if (check) {
		printf("%s: configuration is valid\n", cfg_path);
		return 0;
	}
	dp->t_start_ns = jg_unix_ns();
	/* keyed table hashes: an attacker who cannot know the keys cannot aim flows at one bucket */
	jg_khash_set_seed(jg_khash_seed_from_env());
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (dp->pcap != NULL && dp->rp.map != NULL)
		signal(SIGBUS, on_sigbus);
	eal_argc = build_eal_argv(&dp->cfg, dp->pcap != NULL, eal_argv, store);
	if (patterns_start(&job, dp) != 0) {
		print_errors(&job.errs, cfg_path);
		return 2;
	}
	jg_tsc_short_begin();
	rc = rte_eal_init(eal_argc, eal_argv);
	jg_tsc_short_end();
	if (patterns_join(&job, cfg_path) != 0) {
		if (rc >= 0)
			rte_eal_cleanup();
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "jg-dataplane: EAL init failed: %s (hugepages reserved and mounted? see `jumpgate setup`)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	dp->t_eal_ns = jg_unix_ns();
	jg_tsc_check();
	rc = setup(dp);
	dp->t_setup_ns = jg_unix_ns();
	if (rc == 0) {
		jg_dp_telemetry_register(dp);
		rc = jg_dp_supervise(dp);
	}
	else
		rc = 1;
	/* Hugepage memory goes with the process; freeing it piecemeal would only
	 * make EAL try to sync with a control plane that has already left. */
	if (dp->pcap != NULL)
		jg_replay_close(&dp->rp);
	rte_eal_cleanup();
	return rc;
}
