/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

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
	/* Checksums the NIC verifies are not computed again (detection ignores what fails them) */
	conf.rxmode.offloads |= info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
							RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
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

void
jg_port_rss_map(uint16_t port_id, uint16_t n_queues, struct jg_rss_map *m)
{
	struct rte_eth_rss_reta_entry64 conf[512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rss = { .rss_key = m->key, .rss_key_len = sizeof(m->key) };
	struct rte_eth_dev_info info;
	uint16_t size;

	memset(m, 0, sizeof(*m));
	if (rte_eth_dev_info_get(port_id, &info) != 0 || n_queues < 2)
		return;
	size = info.reta_size && info.reta_size <= 512 ? info.reta_size : 128;
	memcpy(m->key, sym_rss_key, sizeof(m->key));
	m->hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	if (rte_eth_dev_rss_hash_conf_get(port_id, &rss) == 0)
		m->hf = rss.rss_hf;
	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < size / RTE_ETH_RETA_GROUP_SIZE; i++)
		conf[i].mask = UINT64_MAX;
	for (uint16_t i = 0; i < size; i++)
		m->reta[i] = (uint16_t)(i % n_queues);
	if (rte_eth_dev_rss_reta_query(port_id, conf, size) == 0)
		for (uint16_t i = 0; i < size; i++)
			m->reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	m->reta_size = size;
	m->n_queues = n_queues;
}

uint16_t
jg_rss_queue(const struct jg_rss_map *m, const struct jg_pkt *p)
{
	uint32_t t[9], n, h;
	int l4 = (p->proto == 6 && (m->hf & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP))) ||
		 (p->proto == 17 && (m->hf & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)));

	/* Toeplitz over the fields the NIC hashes, as host-order words (rte_softrss) */
	if (p->ip_version == 4) {
		memcpy(&t[0], p->src, 4);
		memcpy(&t[1], p->dst, 4);
		n = 2;
	} else {
		for (int i = 0; i < 4; i++) {
			memcpy(&t[i], p->src + 4 * i, 4);
			memcpy(&t[4 + i], p->dst + 4 * i, 4);
		}
		n = 8;
	}
	for (uint32_t i = 0; i < n; i++)
		t[i] = rte_be_to_cpu_32(t[i]);
	if (l4)
		t[n++] = (uint32_t)p->sport << 16 | p->dport;
	h = rte_softrss(t, n, m->key);
	return m->reta[h % m->reta_size];
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
