/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jg-control: the DPDK secondary process. Attaches to a running dataplane's
 * status memzone and rings, writes events and flow records as JSON lines and
 * serves jgctl. It may start late, die and be restarted: the dataplane never
 * waits for it, and a restarted control plane appends to the same files.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "control.h"

static volatile int stop;
static volatile sig_atomic_t reopen;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: jg-control -c CONFIG [--out DIR] [--socket PATH] [--file-prefix P] [--replay]\n"
		   "The Jumpgate control plane (DPDK secondary). Normally started by `jumpgate`.\n"
		   "  --out DIR       write DIR/events.jsonl and DIR/flows.jsonl (default output.dir)\n"
		   "  --socket PATH   operator socket (default control.socket)\n"
		   "  --file-prefix P DPDK shared-memory prefix of the dataplane\n"
		   "  --replay        exit once the dataplane has drained everything\n"
		   "  --suggest FILE  at the end of a replay, write learn mode's proposal to DIR/FILE\n"
		   "  --min-sessions N  sessions an admin source needs in that proposal (default 1)\n");
}

static int
attach(struct jg_control *c)
{
	const struct rte_memzone *mz = rte_memzone_lookup(JG_SHM_NAME);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL) {
		fprintf(stderr, "jg-control: no Jumpgate dataplane status in this shared memory\n");
		return -ENOENT;
	}
	c->shm = mz->addr;
	if (c->shm->magic != JG_SHM_MAGIC || c->shm->version != JG_WIRE_VERSION) {
		fprintf(stderr, "jg-control: dataplane wire version %u, this control plane speaks %u\n",
			c->shm->version, JG_WIRE_VERSION);
		return -EPROTO;
	}
	/* The rings have one consumer: never two control planes at once. */
	if (c->shm->control_pid != 0 && !(kill((pid_t)c->shm->control_pid, 0) != 0 && errno == ESRCH)) {
		fprintf(stderr, "jg-control: another control plane (pid %u) is attached\n", c->shm->control_pid);
		return -EBUSY;
	}
	for (uint32_t w = 0; w < c->shm->n_workers && w < JG_MAX_WORKERS; w++) {
		snprintf(name, sizeof(name), JG_RING_EVENTS_FMT, w);
		c->ev_ring[w] = rte_ring_lookup(name);
		snprintf(name, sizeof(name), JG_RING_FLOWS_FMT, w);
		c->fr_ring[w] = rte_ring_lookup(name);
		if (c->ev_ring[w] == NULL || c->fr_ring[w] == NULL) {
			fprintf(stderr, "jg-control: rings of worker %u not found\n", w);
			return -ENOENT;
		}
		jg_drain_reclaim(c->ev_ring[w]);
		jg_drain_reclaim(c->fr_ring[w]);
	}
	mz = rte_memzone_lookup(JG_POLICY_MZ_NAME);
	c->pm = mz != NULL ? mz->addr : NULL;
	return 0;
}

static int
dataplane_alive(const struct jg_control *c)
{
	return c->shm->dp_state != JG_DP_STOPPED && !(kill((pid_t)c->shm->dp_pid, 0) != 0 && errno == ESRCH);
}

static int
rings_empty(const struct jg_control *c)
{
	for (uint32_t w = 0; w < c->shm->n_workers; w++)
		if (rte_ring_count(c->ev_ring[w]) || rte_ring_count(c->fr_ring[w]))
			return 0;
	return 1;
}

static void
flush_outputs(struct jg_control *c)
{
	jg_out_flush(c->events);
	if (c->flows)
		jg_out_flush(c->flows);
}

/* SIGHUP (logrotate): the JSON files are moved away; start new ones at their names. */
static void
reopen_files(struct jg_control *c)
{
	jg_out_close(c->events);
	if (jg_out_open(c->events, c->out_dir, "events.jsonl") != 0)
		c->events->errors++;
	if (c->flows != NULL) {
		jg_out_close(c->flows);
		if (jg_out_open(c->flows, c->out_dir, "flows.jsonl") != 0)
			c->flows->errors++;
	}
}

static int
run(struct jg_control *c)
{
	while (!stop) {
		unsigned int n = jg_drain(c);

		if (c->shm->dp_state >= JG_DP_DRAINED && rings_empty(c) && !c->shm->control_done) {
			jg_agg_flush(c->agg);
			jg_control_learn_flush(c);
			jg_store_index(c->store);
			jg_store_commit(c->store);
			flush_outputs(c);
			jg_lateral_write_dot(c);
			if (c->replay)
				jg_control_learn_finish(c);
			c->shm->control_done = 1;
			if (c->replay)
				return 0;
		}
		if (!dataplane_alive(c)) {
			jg_drain(c);
			jg_agg_flush(c->agg);
			flush_outputs(c);
			if (c->shm->dp_state == JG_DP_STOPPED)
				return 0;
			fprintf(stderr, "jg-control: the dataplane (pid %u) is gone\n", c->shm->dp_pid);
			return 1;
		}
		jg_control_tick(c);
		if (reopen) {
			reopen = 0;
			reopen_files(c);
		}
		/* idle: a short sleep, so an event waits at most ~0.2 ms to be drained */
		jg_server_poll(c, n ? 0 : 200);
		jg_metrics_poll(c);
	}
	/* Asked to stop: take what is already in the rings. */
	while (jg_drain(c) > 0)
		;
	jg_agg_flush(c->agg);
	flush_outputs(c);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "out", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 's' }, { "file-prefix", required_argument, NULL, 'f' },
		{ "replay", no_argument, NULL, 'r' },       { "help", no_argument, NULL, 'h' },
		{ "suggest", required_argument, NULL, 'g' }, { "min-sessions", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	static struct jg_control ctl;
	static struct jg_out ev_out = { .fd = -1 }, fl_out = { .fd = -1 };
	struct jg_control *c = &ctl;
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	const char *cfg_path = NULL, *prefix = NULL;
	char pfx[96];
	char *eal_argv[9];
	int opt, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c->listen_fd = -1;
	c->metrics_fd = -1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfg_path = optarg; break;
		case 'o': c->out_dir = optarg; break;
		case 's': c->socket_path = optarg; break;
		case 'f': prefix = optarg; break;
		case 'r': c->replay = 1; break;
		case 'g': c->suggest_path = optarg; break;
		case 'm': c->min_sessions = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (cfg_path == NULL || errs == NULL) {
		usage(stderr);
		return 2;
	}
	if (jg_config_load(cfg_path, &c->cfg, errs) != 0) {
		for (uint32_t i = 0; i < errs->n; i++)
			fprintf(stderr, "%s\n", errs->e[i].msg);
		return 2;
	}
	free(errs);
	if (c->out_dir == NULL)
		c->out_dir = c->cfg.out_dir;
	if (c->socket_path == NULL)
		c->socket_path = c->cfg.socket_path;
	snprintf(pfx, sizeof(pfx), "--file-prefix=%.63s", prefix ? prefix : c->cfg.file_prefix);
	eal_argv[0] = "jg-control";
	eal_argv[1] = "--proc-type=secondary";
	eal_argv[2] = pfx;
	eal_argv[3] = "--no-pci";
	eal_argv[4] = "--log-level=*:warning";
	eal_argv[5] = "-l";
	eal_argv[6] = "0";
	eal_argv[7] = "--no-telemetry"; /* the dataplane serves telemetry */
	eal_argv[8] = NULL;
	if (rte_eal_init(8, eal_argv) < 0) {
		fprintf(stderr, "jg-control: cannot attach to the dataplane (prefix %s): %s\n", pfx + 14,
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	c->start_ns = jg_unix_ns();
	c->lat = calloc(1, sizeof(*c->lat));
	c->hosts = calloc(1, sizeof(*c->hosts));
	c->learn = malloc(sizeof(*c->learn));
	if (c->learn != NULL)
		jg_learn_init(c->learn, 0);
	rc = c->lat != NULL && c->hosts != NULL && c->learn != NULL ? attach(c) : -ENOMEM;
	if (rc == 0) {
		mkdir(c->out_dir, 0755);
		c->events = &ev_out;
		c->flows = c->cfg.flows_output ? &fl_out : NULL;
		if (jg_out_open(&ev_out, c->out_dir, "events.jsonl") != 0 ||
		    (c->flows && jg_out_open(&fl_out, c->out_dir, "flows.jsonl") != 0))
			rc = -EIO;
	}
	if (rc == 0)
		rc = jg_control_alerts_open(c);
	if (rc == 0) {
		int n = jg_sinks_open(&c->cfg, c->pm != NULL ? &c->pm->pol[c->pm->gen & 1] : NULL, c->sinks,
				      (int)(sizeof(c->sinks) / sizeof(c->sinks[0])));

		if (n < 0)
			rc = n;
		else
			c->n_sinks = n;
	}
	if (rc == 0 && jg_server_open(c) != 0)
		rc = -EIO;
	if (rc == 0 && jg_metrics_open(c) != 0)
		rc = -EIO;
	if (rc == 0 && (rc = jg_drop_privileges()) != 0)
		fprintf(stderr, "jg-control: cannot drop privileges: %s\n", strerror(-rc));
	if (rc == 0) {
		c->shm->control_pid = (uint32_t)getpid();
		c->shm->control_attach_count++;
		rc = run(c);
		c->shm->control_pid = 0;
	} else {
		rc = 1;
	}
	jg_server_close(c);
	jg_metrics_close(c);
	jg_agg_destroy(c->agg);
	for (int k = 0; k < c->n_sinks; k++)
		c->sinks[k]->close(c->sinks[k]);
	jg_control_learn_flush(c);
	jg_store_close(c->store);
	jg_out_close(&ev_out);
	jg_out_close(&fl_out);
	rte_eal_cleanup();
	return rc;
}
