/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The JSON form of the ring records (events.jsonl, flows.jsonl), shared by the
 * control plane and the offline tools.
 */
#ifndef JG_RECORDS_H
#define JG_RECORDS_H

#include <stddef.h>

#include "jg_wire.h"

/** Format one event as a JSON line (no newline). @return length, truncated to cap - 1 */
size_t jg_event_json(const struct jg_event_rec *ev, char *out, size_t cap);

struct jg_policy;

/**
 * Format one flow record as a JSON line (no newline). With the policy the
 * dataplane judged by, the zones, services and verdict are named too.
 * @return length, truncated to cap - 1
 */
size_t jg_flow_json(const struct jg_flow_rec *r, const struct jg_policy *pol, char *out, size_t cap);

/**
 * Add `"key":"value"` (escaped) at the end of a JSON object line of length len
 * (before its closing brace). @return the new length; len when it does not fit
 */
size_t jg_json_add_str(char *line, size_t len, size_t cap, const char *key, const char *value);

/** Append a string attribute to an event (cut to the room left; nothing when empty). */
void jg_ev_str(struct jg_event_rec *ev, enum jg_attr key, const char *v);
/** Append an integer attribute (left out when it does not fit). */
void jg_ev_uint(struct jg_event_rec *ev, enum jg_attr key, uint64_t v);
/** Append a boolean attribute (left out when it does not fit). */
void jg_ev_bool(struct jg_event_rec *ev, enum jg_attr key, int v);

/** The name of the event's tool: a custom tool's own name (its `tool` attribute), else the built-in name. @return out */
const char *jg_ev_tool(const struct jg_event_rec *ev, char *out, size_t cap);
/** 1 when the event is discovery (an rpc_call of severity low: a share list, a SID lookup): reported, never judged. */
int jg_ev_discovery(const struct jg_event_rec *ev);
/** Remove every attribute of a key (to set it anew). */
void jg_ev_del(struct jg_event_rec *ev, enum jg_attr key);

/** The value of an attribute as text ("" when absent). @return out */
const char *jg_ev_get(const struct jg_event_rec *ev, enum jg_attr key, char *out, size_t cap);

#endif
