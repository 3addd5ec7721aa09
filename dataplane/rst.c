/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inline blocking with resets: when a TCP flow is blocked, both ends get a RST
 * so the client fails at once instead of timing out. Built from the packet that
 * decided the verdict: one RST continues its direction (to the receiver), one
 * goes back (to the sender). IPv4 only; once per blocked flow.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "worker.h"

/* A RST from the packet's destination back to its source (back != 0), or onwards. */
static struct rte_mbuf *
make_rst(struct rte_mempool *mp, const struct rte_mbuf *m, const struct jg_pkt *p, int back)
{
	const uint8_t *in = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(in + p->l3_off);
	const struct rte_tcp_hdr *tcp = (const struct rte_tcp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	uint16_t l2 = p->l3_off, len = (uint16_t)(l2 + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr));
	struct rte_mbuf *r = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *rip;
	struct rte_tcp_hdr *rtcp;
	uint8_t *o;

	if (r == NULL || rte_pktmbuf_append(r, len) == NULL) {
		rte_pktmbuf_free(r);
		return NULL;
	}
	o = rte_pktmbuf_mtod(r, uint8_t *);
	memcpy(o, in, l2); /* Ethernet and VLAN tags as they were */
	if (back) {        /* swap the MAC addresses */
		memcpy(o, in + 6, 6);
		memcpy(o + 6, in, 6);
	}
	rip = (struct rte_ipv4_hdr *)(o + l2);
	memset(rip, 0, sizeof(*rip) + sizeof(*rtcp));
	rip->version_ihl = RTE_IPV4_VHL_DEF;
	rip->total_length = rte_cpu_to_be_16(sizeof(*rip) + sizeof(*rtcp));
	rip->time_to_live = 64;
	rip->next_proto_id = IPPROTO_TCP;
	rip->src_addr = back ? ip->dst_addr : ip->src_addr;
	rip->dst_addr = back ? ip->src_addr : ip->dst_addr;
	rtcp = (struct rte_tcp_hdr *)(rip + 1);
	rtcp->src_port = back ? tcp->dst_port : tcp->src_port;
	rtcp->dst_port = back ? tcp->src_port : tcp->dst_port;
	/*
	 * onwards: where the sender's stream stands. back: where the receiver's does
	 * (the sender's ack), with ACK acknowledging what the sender sent: a client in
	 * SYN-SENT accepts a reset only if it acknowledges its SYN (RFC 9293 3.10.7.3),
	 * else it waits out its connect timeout.
	 */
	if (back) {
		uint32_t next = p->tcp_seq + p->payload_len + ((p->tcp_flags & JG_TCP_SYN) ? 1 : 0) +
				((p->tcp_flags & JG_TCP_FIN) ? 1 : 0);

		rtcp->sent_seq = (p->tcp_flags & JG_TCP_ACK) ? tcp->recv_ack : 0;
		rtcp->recv_ack = rte_cpu_to_be_32(next);
		rtcp->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	} else {
		rtcp->sent_seq = rte_cpu_to_be_32(p->tcp_seq + p->payload_len);
		rtcp->tcp_flags = RTE_TCP_RST_FLAG;
	}
	rtcp->data_off = 5 << 4;
	rip->hdr_checksum = rte_ipv4_cksum(rip);
	rtcp->cksum = rte_ipv4_udptcp_cksum(rip, rtcp);
	return r;
}

void
jg_worker_send_rsts(struct jg_worker *w, const struct rte_mbuf *m, const struct jg_pkt *p)
{
	uint16_t peer = w->peer[m->port];
	struct rte_mbuf *r;

	if (p->ip_version != 4 || p->proto != 6 || peer == JG_NO_PEER)
		return;
	jg_worker_tx_flush(w); /* the flow's earlier packets leave before its reset */
	for (int back = 0; back < 2; back++) {
		uint16_t port = back ? m->port : peer;

		/* from the worker's pool: a replay's frames come from a pool of mbufs without data room */
		if ((r = make_rst(w->pool != NULL ? w->pool : m->pool, m, p, back)) == NULL)
			continue;
		if (rte_eth_tx_burst(port, w->id, &r, 1) == 1) {
			w->cnt[JG_CNT_TX_RST]++;
		} else {
			w->cnt[JG_CNT_TX_DROP]++;
			rte_pktmbuf_free(r);
		}
	}
}
