/* SPDX-License-Identifier: BSD-3-Clause */
/* Between the store's writer (store.c) and its queries (store_query.c). */
#ifndef JG_STORE_PRIV_H
#define JG_STORE_PRIV_H

#include <sqlite3.h>

#include "store.h"

/** The store's database handle. */
sqlite3 *jg_store_db(struct jg_store *s);

#endif
