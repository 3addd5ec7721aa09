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

/** Format one flow record as a JSON line (no newline). @return length, truncated to cap - 1 */
size_t jg_flow_json(const struct jg_flow_rec *r, char *out, size_t cap);

#endif
