/* SPDX-License-Identifier: BSD-3-Clause */
/* Between the store's writer (store.c) and its queries (store_query.c). */
#ifndef JG_STORE_PRIV_H
#define JG_STORE_PRIV_H

#include <sqlite3.h>

#include "store.h"

/** The store's prepared statements. */
enum jg_store_st { ST_ALERT_ADD, ST_ALERT_COUNT, ST_FLOW_ADD, ST_EDGE_PUT, ST_EDGE_DEL, ST_MAX };

/** A prepared statement of the store (bind, step, reset: the caller's). */
sqlite3_stmt *jg_store_stmt(struct jg_store *s, enum jg_store_st which);

/** The store's database handle. */
sqlite3 *jg_store_db(struct jg_store *s);

/** Open the batch transaction when none is (its commit comes with the store's). */
void jg_store_begin(struct jg_store *s);

/** Count a database error in the store's statistics. */
void jg_store_error(struct jg_store *s);

#endif
