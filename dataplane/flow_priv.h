/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The flow table's internals shared by its three files: flow.c (lookups and
 * packets), flow_room.c (making room in full buckets), flow_wheel.c (expiry).
 */
#ifndef JG_FLOW_PRIV_H
#define JG_FLOW_PRIV_H

#include <nmmintrin.h>

#include "flow.h"
#include "flow_fastpath.h"

#define JG_FLOW_WHEEL (1u << JG_FLOW_WHEEL_BITS)

/** Report a long flow's slice and start the next one (the flow lives on). */
void jg_flow_slice(struct jg_flow_table *t, struct jg_flow *f);

/** A slot for a new flow in bucket b1 or b2: free, made free by moves, or evicted. */
uint32_t jg_flow_take_slot(struct jg_flow_table *t, uint32_t b1, uint32_t b2);

/**
 * Bucket b holds a flow that may be due at tick `at`: file it there unless it is
 * filed no later already (lo: the first tick it may be filed at).
 */
void jg_flow_wheel_file(struct jg_flow_table *t, uint32_t b, uint64_t at, uint64_t lo);

/** The tick by which flow f may be due (ceiling: the wheel is never early). */
uint64_t jg_flow_due_tick(const struct jg_flow_table *t, const struct jg_flow *f);

#endif
