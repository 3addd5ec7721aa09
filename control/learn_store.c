/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Learn mode's graph in the store (table admin_edges): every change written in
 * the store's batch transaction, every edge given up deleted, all of it read
 * back at start. Tools are kept by name, so a later build's tool list reads them.
 */
#include <stdio.h>
#include <string.h>

#include "learn.h"
#include "store_priv.h"

static void
run(struct jg_store *s, sqlite3_stmt *q)
{
	if (sqlite3_step(q) != SQLITE_DONE)
		jg_store_error(s);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

void
jg_learn_store_edge(struct jg_store *s, const struct jg_learn_edge *e)
{
	sqlite3_stmt *q;
	char tools[256], users[JG_LEARN_USERS * JG_LEARN_USER_LEN + 8];
	size_t n = 0;

	if (s == NULL)
		return;
	q = jg_store_stmt(s, ST_EDGE_PUT);
	jg_store_begin(s);
	users[0] = '\0';
	for (uint32_t i = 0; i < e->n_users; i++)
		n += (size_t)snprintf(users + n, sizeof(users) - n, "%s%s", i ? "," : "", e->users[i]);
	sqlite3_bind_blob(q, 1, e->src, 16, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, e->dst, 16, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, e->service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, e->ip_version);
	sqlite3_bind_int64(q, 5, e->sessions);
	sqlite3_bind_int64(q, 6, e->attack_sessions);
	sqlite3_bind_int64(q, 7, e->events);
	sqlite3_bind_text(q, 8, jg_learn_tools(e, -1, tools, sizeof(tools)), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 9, users, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 10, e->more_users);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)e->first_ns);
	sqlite3_bind_int64(q, 12, (sqlite3_int64)e->last_ns);
	sqlite3_bind_int64(q, 13, (sqlite3_int64)e->seen_ns);
	sqlite3_bind_int64(q, 14, (sqlite3_int64)e->attack_first_ns);
	sqlite3_bind_int64(q, 15, (sqlite3_int64)e->attack_last_ns);
	run(s, q);
}

void
jg_learn_store_put(void *ctx, const struct jg_learn_edge *e)
{
	jg_learn_store_edge(ctx, e);
}

void
jg_learn_store_gone(void *ctx, const struct jg_learn_edge *e)
{
	struct jg_store *s = ctx;
	sqlite3_stmt *q;

	if (s == NULL)
		return;
	q = jg_store_stmt(s, ST_EDGE_DEL);
	jg_store_begin(s);
	sqlite3_bind_blob(q, 1, e->src, 16, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 2, e->dst, 16, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, e->service, -1, SQLITE_TRANSIENT);
	run(s, q);
}

void
jg_learn_store_clear(struct jg_store *s)
{
	if (s != NULL && sqlite3_exec(jg_store_db(s), "DELETE FROM admin_edges", NULL, NULL, NULL) != SQLITE_OK)
		jg_store_error(s);
}

static void
parse_tools(struct jg_learn_edge *e, const char *list)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		for (int k = 0; k < JG_TOOL_MAX; k++)
			if (!strcmp(t, jg_tool_names[k]))
				e->tools |= 1u << k;
}

static void
parse_users(struct jg_learn_edge *e, const char *list)
{
	char buf[JG_LEARN_USERS * JG_LEARN_USER_LEN + 8], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *u = strtok_r(buf, ",", &save); u != NULL && e->n_users < JG_LEARN_USERS;
	     u = strtok_r(NULL, ",", &save))
		snprintf(e->users[e->n_users++], JG_LEARN_USER_LEN, "%s", u);
}

int
jg_learn_store_load(struct jg_store *s, struct jg_learn *l)
{
	static const char sql[] = "SELECT src,dst,service,ip_version,sessions,attack_sessions,events,tools,users,"
				  "more_users,first_ns,last_ns,seen_ns,attack_first_ns,attack_last_ns FROM admin_edges ORDER BY seen_ns";
	sqlite3_stmt *q;
	int n = 0, rc;

	if (s == NULL)
		return 0;
	if (sqlite3_prepare_v2(jg_store_db(s), sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct jg_learn_edge e = { .used = 1 };
		const void *src = sqlite3_column_blob(q, 0), *dst = sqlite3_column_blob(q, 1);
		const unsigned char *svc = sqlite3_column_text(q, 2), *tools = sqlite3_column_text(q, 7),
				    *users = sqlite3_column_text(q, 8);
		int v = sqlite3_column_int(q, 3);

		if (src == NULL || dst == NULL || svc == NULL || sqlite3_column_bytes(q, 0) != 16 ||
		    sqlite3_column_bytes(q, 1) != 16 || (v != 4 && v != 6))
			continue; /* not a row this code wrote */
		memcpy(e.src, src, 16);
		memcpy(e.dst, dst, 16);
		if (v == 4) {
			memset(e.src + 4, 0, 12);
			memset(e.dst + 4, 0, 12);
		}
		snprintf(e.service, sizeof(e.service), "%s", (const char *)svc);
		e.ip_version = (uint8_t)v;
		e.sessions = (uint32_t)sqlite3_column_int64(q, 4);
		e.attack_sessions = (uint32_t)sqlite3_column_int64(q, 5);
		e.events = (uint32_t)sqlite3_column_int64(q, 6);
		parse_tools(&e, tools != NULL ? (const char *)tools : "");
		parse_users(&e, users != NULL ? (const char *)users : "");
		e.more_users = (uint32_t)sqlite3_column_int64(q, 9);
		e.first_ns = (uint64_t)sqlite3_column_int64(q, 10);
		e.last_ns = (uint64_t)sqlite3_column_int64(q, 11);
		e.seen_ns = (uint64_t)sqlite3_column_int64(q, 12);
		e.attack_first_ns = (uint64_t)sqlite3_column_int64(q, 13);
		e.attack_last_ns = (uint64_t)sqlite3_column_int64(q, 14);
		/* flows already counted are not remembered: the next event of one is a new session */
		if (jg_learn_put(l, &e) != NULL)
			n++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? n : -1;
}
