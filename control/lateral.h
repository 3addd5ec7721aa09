/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The lateral-movement graph kept by the control plane (jgctl lateral).
 */
#ifndef JG_LATERAL_H
#define JG_LATERAL_H

#include <stdint.h>

#include "jg_fmt.h"
#include "jg_records.h"
#include "jg_wire.h"

#define JG_EDGES 4096
static_assert(JG_EDGES <= 65536, "jg_lateral.taken holds slot numbers in 16 bits");

struct jg_edge {
	uint8_t used;
	uint8_t ip_version;
	uint8_t verdict; /**< 0 none, 1 allow, 2 alert, 3 block */
	uint8_t src[16];
	uint8_t dst[16];
	uint64_t first_ns, last_ns;
	uint32_t events;
	uint32_t origin_pid;
	char tools[64];
	char services[64];
	char kinds[128];
	char src_zone[32];
	char dst_zone[32];
	char origin_host[64];
	char src_host[64];  /**< what the events named each end (hosts.h) */
	char dst_host[64];
	uint32_t conflicts; /**< events whose names contradicted each other or the host table */
};

struct jg_lateral {
	uint32_t n;
	uint64_t dropped;
	uint16_t taken[JG_EDGES]; /**< slots in use, in the order they were taken: renders read only those */
	struct jg_edge edges[JG_EDGES];
};

enum jg_lat_format { JG_LAT_TABLE = 0, JG_LAT_JSON, JG_LAT_DOT };

struct jg_lateral_query {
	uint8_t has_host;
	uint8_t host_version;
	uint8_t host[16];
	uint64_t since_ns;
	enum jg_lat_format format;
};

/** Join one event into the graph (logon failures are not movement). */
void jg_lateral_add(struct jg_lateral *l, const struct jg_event_rec *ev);

/** Render the edges that pass the query, in time order: a table, JSON or Graphviz DOT. */
void jg_lateral_render(const struct jg_lateral *l, const struct jg_lateral_query *q, struct jg_buf *out);

#endif
