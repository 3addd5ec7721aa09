/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * End-of-run accounting: every input packet is either handled by a worker
 * (one outcome counter each) or dropped with a named reason.
 */
#include <stdio.h>

#include "dataplane.h"
#include "jg_fmt.h"

static uint64_t
total(const struct jg_dataplane *dp, enum jg_counter c)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < dp->cfg.n_workers; i++)
		s += dp->shm->workers[i].cnt[c];
	return s;
}

static void
port_totals(const struct jg_dataplane *dp, struct jg_port_status *t)
{
	*t = (struct jg_port_status){ 0 };
	for (uint32_t p = 0; p < dp->cfg.n_ports; p++) {
		const struct jg_port_status *s = &dp->shm->ports[p];

		t->ipackets += s->ipackets;
		t->ibytes += s->ibytes;
		t->imissed += s->imissed;
		t->ierrors += s->ierrors;
		t->rx_nombuf += s->rx_nombuf;
	}
}

/* Milliseconds from a to b (0 when either was not reached). */
static double
ms(uint64_t a, uint64_t b)
{
	return a != 0 && b >= a ? (double)(b - a) / 1e6 : 0.0;
}

static void
write_json(const struct jg_dataplane *dp, const struct jg_port_status *pt, double secs)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/summary.json", dp->out_dir);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return;
	}
	fprintf(f, "{\"input_packets\":%llu,\"unread\":%llu,\"seconds\":%.6f,", (unsigned long long)dp->replay_packets,
		(unsigned long long)dp->unread, secs);
	fprintf(f, "\"port\":{\"ipackets\":%llu,\"ibytes\":%llu,\"imissed\":%llu,\"ierrors\":%llu,\"rx_nombuf\":%llu},",
		(unsigned long long)pt->ipackets, (unsigned long long)pt->ibytes,
		(unsigned long long)pt->imissed, (unsigned long long)pt->ierrors,
		(unsigned long long)pt->rx_nombuf);
	fprintf(f, "\"workers\":%u,\"counters\":{", dp->cfg.n_workers);
	for (int c = 0; c < JG_CNT_MAX; c++)
		fprintf(f, "%s\"%s\":%llu", c ? "," : "", jg_counter_names[c],
			(unsigned long long)total(dp, (enum jg_counter)c));
	fprintf(f, "},\"control_attaches\":%llu,\"control_done\":%u,", (unsigned long long)dp->shm->control_attach_count,
		dp->shm->control_done);
	fprintf(f, "\"phases_ms\":{\"eal\":%.1f,\"setup\":%.1f,\"attach\":%.1f,\"start\":%.1f,\"packets\":%.1f,"
		   "\"flush\":%.1f,\"drain\":%.1f},\"reader\":\"%s\",\"reader_waits\":%llu}\n",
		ms(dp->t_start_ns, dp->t_eal_ns), ms(dp->t_eal_ns, dp->t_setup_ns), ms(dp->t_setup_ns, dp->t_attached_ns),
		ms(dp->t_attached_ns, dp->t_running_ns), ms(dp->t_running_ns, dp->t_input_done_ns),
		ms(dp->t_input_done_ns, dp->t_flushed_ns), ms(dp->t_flushed_ns, dp->t_drained_ns),
		dp->rp.map != NULL ? "mapped" : "read", (unsigned long long)dp->rp.waits);
	if (fclose(f) != 0)
		perror(path);
}

void
jg_dp_summary(const struct jg_dataplane *dp)
{
	struct jg_port_status pt;
	double secs = (double)(dp->t_input_done_ns - dp->t_start_ns) / 1e9;
	uint64_t handled, dropped;

	port_totals(dp, &pt);
	handled = total(dp, JG_CNT_PKT_FLOW) + total(dp, JG_CNT_PKT_NON_IP) + total(dp, JG_CNT_PKT_FRAGMENT) +
		  total(dp, JG_CNT_PKT_TRUNCATED) + total(dp, JG_CNT_PKT_MALFORMED) +
		  total(dp, JG_CNT_PKT_FLOW_FULL);
	dropped = total(dp, JG_CNT_DISPATCH_DROP) + pt.imissed + pt.ierrors + pt.rx_nombuf + dp->unread;
	printf("jumpgate: %s %llu packets in %.2f s\n", dp->replay_packets ? "replayed" : "saw",
	       (unsigned long long)(dp->replay_packets ? dp->replay_packets : pt.ipackets + pt.imissed), secs);
	printf("  packets  %llu handled (%llu in flows, %llu non-IP, %llu fragments, %llu truncated, %llu malformed), %llu dropped",
	       (unsigned long long)handled, (unsigned long long)total(dp, JG_CNT_PKT_FLOW),
	       (unsigned long long)total(dp, JG_CNT_PKT_NON_IP), (unsigned long long)total(dp, JG_CNT_PKT_FRAGMENT),
	       (unsigned long long)total(dp, JG_CNT_PKT_TRUNCATED), (unsigned long long)total(dp, JG_CNT_PKT_MALFORMED),
	       (unsigned long long)dropped);
	if (dropped)
		printf(" (%llu dispatch-ring-full, %llu missed, %llu errors, %llu no-mbuf, %llu unread)",
		       (unsigned long long)total(dp, JG_CNT_DISPATCH_DROP), (unsigned long long)pt.imissed,
		       (unsigned long long)pt.ierrors, (unsigned long long)pt.rx_nombuf, (unsigned long long)dp->unread);
	printf("\n  flows    %llu (%llu records sent, %llu lost to a full ring, %llu evicted)\n",
	       (unsigned long long)total(dp, JG_CNT_FLOW_NEW), (unsigned long long)total(dp, JG_CNT_FLOW_REC_SENT),
	       (unsigned long long)total(dp, JG_CNT_FLOW_REC_DROP), (unsigned long long)total(dp, JG_CNT_FLOW_END_EVICTED));
	printf("  events   %llu (%llu lost to a full ring)\n", (unsigned long long)total(dp, JG_CNT_EVENT_SENT),
	       (unsigned long long)total(dp, JG_CNT_EVENT_DROP));
	if (dp->replay_packets && dp->t_running_ns != 0 && dp->t_input_done_ns > dp->t_running_ns)
		printf("  time     start %.2f s (EAL %.2f, set-up %.2f, control %.2f), packets %.2f s (%.2f Mpps), "
		       "flush and drain %.2f s\n",
		       ms(dp->t_start_ns, dp->t_running_ns) / 1e3, ms(dp->t_start_ns, dp->t_eal_ns) / 1e3,
		       ms(dp->t_eal_ns, dp->t_setup_ns) / 1e3, ms(dp->t_setup_ns, dp->t_running_ns) / 1e3,
		       ms(dp->t_running_ns, dp->t_input_done_ns) / 1e3,
		       (double)dp->replay_packets / (ms(dp->t_running_ns, dp->t_input_done_ns) * 1e3),
		       ms(dp->t_input_done_ns, dp->t_drained_ns) / 1e3);
	if (dp->replay_packets && handled + dropped != dp->replay_packets)
		printf("  WARNING: %llu packets unaccounted for\n",
		       (unsigned long long)(dp->replay_packets - handled - dropped));
	if (dp->out_dir != NULL)
		write_json(dp, &pt, secs);
}
