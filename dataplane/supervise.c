/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore: publishes port counters, notices the end of a replay (net_pcap
 * gives no end-of-file signal, so the end is "every packet of the file
 * accounted for"), and runs the ordered shutdown: workers flush their flows
 * into the rings, the control plane drains them, then everything stops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dataplane.h"
#include "jg_fmt.h"
#include "port.h"

volatile int jg_dp_stop_requested;

#define TICK_US 2000
#define FEED_MAX 8192    /* replay: frames read per turn of the loop */
#define FEED_WAIT_US 100 /* replay: the ring is full or the pool empty: the workers are behind */
#define ATTACH_WAIT_S 60   /* replay: how long to wait for the control plane */
#define STALL_S 5          /* replay: input that makes no progress this long is over */
#define FLUSH_WAIT_S 30
#define DRAIN_WAIT_S 60

static void
update_ports(struct jg_dataplane *dp)
{
	for (uint32_t p = 0; p < dp->cfg.n_ports; p++)
		jg_port_status_update(dp->port_ids[p], &dp->shm->ports[p]);
	/* a ring port counts no bytes: those the reader handed over (a ring's worth ahead, at most) */
	if (dp->pcap != NULL)
		dp->shm->ports[0].ibytes = dp->rp.bytes;
}

static uint64_t
sum_cnt(const struct jg_dataplane *dp, enum jg_counter c)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->cfg.n_workers; i++)
		s += dp->shm->workers[i].cnt[c];
	return s;
}

/* Packets that reached a final outcome on some worker. */
static uint64_t
handled(const struct jg_dataplane *dp)
{
	return sum_cnt(dp, JG_CNT_PKT_FLOW) + sum_cnt(dp, JG_CNT_PKT_NON_IP) +
	       sum_cnt(dp, JG_CNT_PKT_FRAGMENT) + sum_cnt(dp, JG_CNT_PKT_TRUNCATED) +
	       sum_cnt(dp, JG_CNT_PKT_MALFORMED) + sum_cnt(dp, JG_CNT_PKT_FLOW_FULL) +
	       sum_cnt(dp, JG_CNT_DISPATCH_DROP);
}

/* The control plane may have died without saying so. */
static int
control_alive(struct jg_shm *shm)
{
	pid_t pid = (pid_t)shm->control_pid;

	if (pid == 0)
		return 0;
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		shm->control_pid = 0;
		return 0;
	}
	return 1;
}

static int
wait_for_control(struct jg_dataplane *dp)
{
	uint64_t deadline = rte_get_tsc_cycles() + ATTACH_WAIT_S * rte_get_tsc_hz();

	while (!control_alive(dp->shm)) {
		if (jg_dp_stop_requested || rte_get_tsc_cycles() > deadline) {
			fprintf(stderr, "jg-dataplane: no control plane attached within %d s; stopping\n",
				ATTACH_WAIT_S);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(TICK_US);
	}
	return 0;
}

/* Replay: is every packet of the input accounted for? */
static int
input_done(struct jg_dataplane *dp, uint64_t *last_in, uint64_t *last_change)
{
	uint64_t in = 0, now = rte_get_tsc_cycles();

	for (uint32_t p = 0; p < dp->cfg.n_ports; p++) {
		const struct jg_port_status *s = &dp->shm->ports[p];

		in += s->ipackets + s->imissed + s->ierrors + s->rx_nombuf;
	}
	if (in != *last_in) {
		*last_in = in;
		*last_change = now;
	}
	if (handled(dp) != sum_cnt(dp, JG_CNT_RX))
		return 0;
	if (dp->replay_packets != 0 && in >= dp->replay_packets)
		return 1;
	if (dp->pcap != NULL && dp->rp.eof && in >= dp->rp.fed) {
		/* The file ended before the count it was announced with (or none was: jg-dataplane run by
		 * hand): no need to wait for the rest. */
		if (dp->replay_packets != 0) {
			dp->unread = dp->replay_packets - in;
			fprintf(stderr, "jg-dataplane: %s: %s after %llu of %llu packets\n", dp->pcap,
				dp->rp.bad ? "cut short inside a record" : "ended", (unsigned long long)in,
				(unsigned long long)dp->replay_packets);
		} else if (dp->rp.bad) {
			fprintf(stderr, "jg-dataplane: %s: cut short inside a record after %llu packets\n", dp->pcap,
				(unsigned long long)in);
		}
		return 1;
	}
	if (dp->replay_packets == 0)
		return 0;
	if (now - *last_change > STALL_S * rte_get_tsc_hz()) {
		dp->unread = dp->replay_packets - in;
		fprintf(stderr, "jg-dataplane: input stalled: %llu of %llu packets never arrived\n",
			(unsigned long long)dp->unread, (unsigned long long)dp->replay_packets);
		return 1;
	}
	return 0;
}

static int
wait_until(struct jg_dataplane *dp, int (*cond)(struct jg_dataplane *), unsigned int seconds)
{
	uint64_t deadline = rte_get_tsc_cycles() + seconds * rte_get_tsc_hz();

	while (!cond(dp)) {
		if (rte_get_tsc_cycles() > deadline)
			return -ETIMEDOUT;
		update_ports(dp);
		rte_delay_us_sleep(TICK_US);
	}
	return 0;
}

static int
all_flushed(struct jg_dataplane *dp)
{
	for (uint32_t i = 0; i < dp->cfg.n_workers; i++)
		if (!dp->shm->workers[i].flushed)
			return 0;
	return 1;
}

static int
drained(struct jg_dataplane *dp)
{
	/* In replay the launcher restarts a dead control plane; live, nobody may come. */
	if (!control_alive(dp->shm) && (dp->replay_packets == 0 || jg_dp_stop_requested > 1))
		return 1;
	return dp->shm->control_done != 0;
}

static void
stop_sequence(struct jg_dataplane *dp)
{
	dp->shm->dp_state = JG_DP_FLUSHING;
	if (wait_until(dp, all_flushed, FLUSH_WAIT_S) != 0)
		fprintf(stderr, "jg-dataplane: workers did not finish flushing within %d s\n", FLUSH_WAIT_S);
	dp->t_flushed_ns = jg_unix_ns();
	dp->shm->dp_state = JG_DP_DRAINED;
	if (wait_until(dp, drained, DRAIN_WAIT_S) != 0)
		fprintf(stderr, "jg-dataplane: control plane did not drain the rings within %d s\n", DRAIN_WAIT_S);
	dp->t_drained_ns = jg_unix_ns();
	jg_worker_quit = 1;
	rte_eal_mp_wait_lcore();
	update_ports(dp);
}

int
jg_dp_supervise(struct jg_dataplane *dp)
{
	uint64_t last_in = 0, last_change = rte_get_tsc_cycles(), anchored = 0;
	char err[256];
	int rc;

	if (dp->ready_fd >= 0) {
		if (write(dp->ready_fd, "ready\n", 6) != 6)
			fprintf(stderr, "jg-dataplane: cannot signal readiness: %s\n", strerror(errno));
		close(dp->ready_fd);
	}
	if (dp->replay_packets && wait_for_control(dp) != 0)
		return 1;
	dp->t_attached_ns = jg_unix_ns();
	for (uint32_t p = 0; p < dp->cfg.n_ports; p++) {
		if (jg_port_start(dp->port_ids[p], err, sizeof(err)) != 0) {
			fprintf(stderr, "jg-dataplane: %s\n", err);
			return 1;
		}
	}
	dp->shm->dp_state = JG_DP_RUNNING;
	for (uint32_t i = 0; i < dp->cfg.n_workers; i++) {
		rc = rte_eal_remote_launch(jg_worker_main, dp->workers[i], dp->cfg.workers[i]);
		if (rc != 0) {
			fprintf(stderr, "jg-dataplane: cannot launch worker on lcore %u: %s\n", dp->cfg.workers[i],
				strerror(-rc));
			jg_worker_quit = 1;
			rte_eal_mp_wait_lcore();
			return 1;
		}
	}
	dp->t_running_ns = jg_unix_ns();
	printf("jg-dataplane: running: %u port(s), %u worker(s), pid %d, hash seed 0x%016llx\n", dp->cfg.n_ports,
	       dp->cfg.n_workers, getpid(), (unsigned long long)jg_khash_seed());
	while (!jg_dp_stop_requested) {
		/* a replay is read here, as fast as the workers take it */
		unsigned int fed = dp->pcap != NULL ? jg_replay_feed(&dp->rp, FEED_MAX) : 0;
		uint64_t tsc = rte_rdtsc();

		/* the workers' clocks, pinned to Unix time every millisecond or so */
		if (tsc - anchored > rte_get_tsc_hz() / 1000) {
			uint64_t ns = jg_unix_ns();

			for (uint32_t i = 0; i < dp->cfg.n_workers; i++)
				jg_worker_clock_anchor(dp->workers[i], tsc, ns);
			anchored = tsc;
		}

		update_ports(dp);
		control_alive(dp->shm);
		jg_dp_reload_poll(dp);
		if ((dp->replay_packets || dp->pcap != NULL) && input_done(dp, &last_in, &last_change))
			break;
		if (fed == 0 && dp->pcap != NULL && !dp->rp.eof) {
			dp->rp.waits++; /* the workers are behind the reader */
			rte_delay_us_sleep(FEED_WAIT_US);
		} else if (fed == 0) {
			rte_delay_us_sleep(TICK_US);
		}
	}
	dp->t_input_done_ns = jg_unix_ns();
	stop_sequence(dp);
	if (dp->replay_packets && jg_dp_stop_requested) {
		/* stopped before the end of the input: what was never read is accounted as such */
		uint64_t in = 0;

		for (uint32_t p = 0; p < dp->cfg.n_ports; p++)
			in += dp->shm->ports[p].ipackets + dp->shm->ports[p].imissed + dp->shm->ports[p].ierrors +
			      dp->shm->ports[p].rx_nombuf;
		dp->unread = in < dp->replay_packets ? dp->replay_packets - in : 0;
	}
	for (uint32_t p = 0; p < dp->cfg.n_ports; p++)
		rte_eth_dev_stop(dp->port_ids[p]);
	jg_dp_summary(dp);
	dp->shm->dp_state = JG_DP_STOPPED;
	return 0;
}
