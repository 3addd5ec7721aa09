/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Port bring-up for any DPDK port (PCI NIC or vdev) with a symmetric RSS key.
 */
#ifndef JG_PORT_H
#define JG_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "jg_config.h"
#include "jg_wire.h"
#include "pkt_fastpath.h"

/** Port id of a configured device (by its name, the part before the first comma). @return 0 or -errno */
int jg_port_find(const struct jg_cfg_port *p, uint16_t *port_id);

/**
 * Configure rx/tx queues; RSS with a symmetric key when the device has it and
 * more than one rx queue is asked for.
 * @param hw_rss  set to 1 when RSS spreads flows over the rx queues
 * @return 0, or -errno with a message in err
 */
int jg_port_setup(const struct jg_cfg_port *p, uint16_t port_id, uint16_t n_txq, struct rte_mempool *mp,
		  int *hw_rss, char *err, size_t err_len);

/**
 * How a port's RSS spreads packets over its queues, so software can tell which
 * queue (and so which worker) the NIC gives a packet: a reassembled datagram is
 * handed to the worker that receives its flow's unfragmented packets.
 */
struct jg_rss_map {
	uint64_t hf;        /**< hashed fields (RTE_ETH_RSS_*) */
	uint16_t reta_size; /**< 0: the port has no hardware RSS */
	uint16_t n_queues;
	uint16_t reta[512];
	uint8_t key[52];
};

/**
 * After jg_port_setup() with hardware RSS: read the port's redirection table
 * (or assume the usual round robin when the PMD cannot say).
 */
void jg_port_rss_map(uint16_t port_id, uint16_t n_queues, struct jg_rss_map *m);

/** The queue the NIC gives a whole packet of this flow (the flow's own direction or the other). */
uint16_t jg_rss_queue(const struct jg_rss_map *m, const struct jg_pkt *p);

/** Start a configured port. @return 0 or -errno with a message in err */
int jg_port_start(uint16_t port_id, char *err, size_t err_len);

/** Copy the port's ethdev counters and link state into the shared status. */
void jg_port_status_update(uint16_t port_id, struct jg_port_status *s);

#endif
