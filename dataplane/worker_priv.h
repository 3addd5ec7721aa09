/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What worker.c (the packets) and worker_loop.c (the loop around them) share
 * and nothing else uses.
 */
#ifndef JG_WORKER_PRIV_H
#define JG_WORKER_PRIV_H

#include "worker.h"

/** Send the staged flow records to the control plane's ring (what does not fit is counted lost). */
void jg_worker_flush_flows(struct jg_worker *w);

/** Send the staged events to the control plane's ring (what does not fit is counted lost). */
void jg_worker_flush_events(struct jg_worker *w);

/**
 * A burst from a single-queue port (or one without symmetric RSS): parsed
 * here, what this worker owns handled, the rest handed to its owner by
 * symmetric hash.
 */
void jg_worker_dispatch(struct jg_worker *w, struct rte_mbuf **pkts, uint16_t n);

#endif
