/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

/*
 * The repeated 0x6d5a key makes Toeplitz hashing symmetric: swapping source
 * and destination gives the same hash, so both directions of a flow land on
 * the same queue and therefore the same worker.
 */
static uint8_t sym_rss_key[52];

int
jg_port_find(const struct jg_cfg_port *p, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(p->device, ",");

	if (n >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, p->device, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id);
}

int
jg_port_setup(const struct jg_cfg_port *p, uint16_t port_id, uint16_t n_txq, struct rte_mempool *mp,
	      int *hw_rss, char *err, size_t err_len)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = (uint16_t)p->rx_descriptors, nb_txd = (uint16_t)p->tx_descriptors;
	int rc;

	memset(&conf, 0, sizeof(conf));
	for (size_t i = 0; i < sizeof(sym_rss_key); i += 2) {
		sym_rss_key[i] = 0x6d;
		sym_rss_key[i + 1] = 0x5a;
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		snprintf(err, err_len, "%s: cannot read device info: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	if (p->rx_queues > info.max_rx_queues) {
		snprintf(err, err_len, "%s: rx_queues %u but the device has at most %u", p->name,
			 p->rx_queues, info.max_rx_queues);
		return -EINVAL;
	}
	if (n_txq > info.max_tx_queues)
		n_txq = info.max_tx_queues;
	*hw_rss = 0;
	if (p->rx_queues > 1 && (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)) &&
	    info.hash_key_size <= sizeof(sym_rss_key)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size ? info.hash_key_size : 40;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		*hw_rss = 1;
	}
	/* Captures hold frames larger than one mbuf (LSO, jumbo): take them as chains. */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	/* net_pcap hands over capture times only when asked to */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	rc = rte_eth_dev_configure(port_id, (uint16_t)p->rx_queues, n_txq, &conf);
	if (rc != 0) {
		snprintf(err, err_len, "%s: configure failed: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, err_len, "%s: descriptor counts refused: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < p->rx_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, rte_eth_dev_socket_id(port_id), NULL, mp);
		if (rc != 0) {
			snprintf(err, err_len, "%s: rx queue %u setup failed: %s", p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, rte_eth_dev_socket_id(port_id), NULL);
		if (rc != 0) {
			snprintf(err, err_len, "%s: tx queue %u setup failed: %s", p->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
jg_port_start(uint16_t port_id, char *err, size_t err_len)
{
	int rc = rte_eth_dev_start(port_id);

	if (rc != 0) {
		snprintf(err, err_len, "port %u: start failed: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	/* Monitor ports see mirrored traffic for other hosts; not every PMD has the notion. */
	rte_eth_promiscuous_enable(port_id);
	return 0;
}

void
jg_port_status_update(uint16_t port_id, struct jg_port_status *s)
{
	struct rte_eth_stats st;
	struct rte_eth_link link;

	if (rte_eth_stats_get(port_id, &st) == 0) {
		s->ipackets = st.ipackets;
		s->ibytes = st.ibytes;
		s->imissed = st.imissed;
		s->ierrors = st.ierrors;
		s->rx_nombuf = st.rx_nombuf;
		s->opackets = st.opackets;
		s->obytes = st.obytes;
		s->oerrors = st.oerrors;
	}
	if (rte_eth_link_get_nowait(port_id, &link) == 0)
		s->link_up = link.link_status == RTE_ETH_LINK_UP;
}
