/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SQLite store. Writes go into one open transaction committed every
 * batch_ns (WAL, synchronous=NORMAL): a burst of ten thousand events costs ten
 * thousand prepared inserts in memory and one commit, so ring draining never
 * waits on the disk per record. Pruning deletes the oldest rows in bulk when a
 * table exceeds its bound by 1%, and rows older than the age limit.
 */
#include "store.h"
#include "store_priv.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_policy.h"
#include "jg_records.h"

#define PRUNE_EVERY_NS (5ull * 1000000000ull)


static const char *const schema =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	/* checkpoints (the only fsyncs in this mode) every 64 MiB of log rather than 4: a replay's
	 * hundred thousand flows cost a few, not fifteen */
	"PRAGMA wal_autocheckpoint=16384;"
	"PRAGMA cache_size=-16384;"
	"CREATE TABLE IF NOT EXISTS alerts("
	" id INTEGER PRIMARY KEY, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, count INTEGER NOT NULL,"
	" type TEXT, tool TEXT, src TEXT, dst TEXT, dst_port INTEGER, src_zone TEXT, dst_zone TEXT,"
	" service TEXT, action TEXT, flow_id INTEGER, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS alerts_last ON alerts(last_ns);"
	"CREATE INDEX IF NOT EXISTS alerts_src ON alerts(src);"
	"CREATE INDEX IF NOT EXISTS alerts_dst ON alerts(dst);"
	"CREATE INDEX IF NOT EXISTS alerts_type ON alerts(type);"
	"CREATE INDEX IF NOT EXISTS alerts_tool ON alerts(tool);"
	"CREATE INDEX IF NOT EXISTS alerts_src_zone ON alerts(src_zone);"
	"CREATE INDEX IF NOT EXISTS alerts_dst_zone ON alerts(dst_zone);"
	"CREATE TABLE IF NOT EXISTS flows("
	" id INTEGER PRIMARY KEY, flow_id INTEGER, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,"
	" src TEXT, dst TEXT, src_port INTEGER, dst_port INTEGER, proto INTEGER, packets INTEGER, bytes INTEGER,"
	" admin INTEGER NOT NULL, action TEXT, json TEXT NOT NULL);"
	/* learn mode's graph (learn.h): one row per (source, target, service) */
	"CREATE TABLE IF NOT EXISTS admin_edges("
	" src BLOB NOT NULL, dst BLOB NOT NULL, service TEXT NOT NULL, ip_version INTEGER NOT NULL,"
	" sessions INTEGER, attack_sessions INTEGER, events INTEGER, tools TEXT, users TEXT, more_users INTEGER,"
	" first_ns INTEGER, last_ns INTEGER, seen_ns INTEGER, attack_first_ns INTEGER, attack_last_ns INTEGER, PRIMARY KEY(src, dst, service)) WITHOUT ROWID;";

/*
 * The flows' indices. A replay's store starts empty and takes a hundred thousand flows at its
 * end: kept up row by row they were half its cost; built once after its last flow, a scan of
 * the rows each.
 */
static const char *const flow_indices =
	"CREATE INDEX IF NOT EXISTS flows_end ON flows(end_ns);"
	"CREATE INDEX IF NOT EXISTS flows_bytes ON flows(admin, bytes);"
	"CREATE INDEX IF NOT EXISTS flows_packets ON flows(admin, packets);";

static const char *const stmts[ST_MAX] = {
	[ST_ALERT_ADD] = "INSERT INTO alerts(first_ns,last_ns,count,type,tool,src,dst,dst_port,src_zone,dst_zone,"
			 "service,action,flow_id,json) VALUES(?1,?1,1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
	[ST_ALERT_COUNT] = "UPDATE alerts SET count=?2, last_ns=?3 WHERE id=?1",
	[ST_FLOW_ADD] = "INSERT INTO flows(flow_id,start_ns,end_ns,src,dst,src_port,dst_port,proto,packets,bytes,"
			"admin,action,json) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	[ST_EDGE_PUT] = "INSERT OR REPLACE INTO admin_edges(src,dst,service,ip_version,sessions,attack_sessions,events,"
			"tools,users,more_users,first_ns,last_ns,seen_ns,attack_first_ns,attack_last_ns)"
			" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
	[ST_EDGE_DEL] = "DELETE FROM admin_edges WHERE src=?1 AND dst=?2 AND service=?3",
};

struct jg_store;
static void prune(struct jg_store *s, uint64_t now_ns);

struct jg_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_MAX];
	struct jg_store_limits lim;
	int in_txn;
	uint64_t txn_start_ns;
	uint64_t last_prune_ns;
	uint64_t newest_ns; /**< capture time of the newest record (age limit) */
	uint64_t n_alerts, n_flows; /**< rows now */
	int indices_later;          /**< the flows' indices wait for jg_store_index() */
	struct jg_store_stats stats;
};

static int
exec(struct jg_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "jg-control: store: %s: %s\n", sql, msg ? msg : "error");
	sqlite3_free(msg);
	s->stats.errors++;
	return -EIO;
}

static uint64_t
count_rows(struct jg_store *s, const char *table)
{
	char sql[64];
	sqlite3_stmt *q;
	uint64_t n = 0;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* A learn-mode table of a development build, without today's columns: it held nothing to keep. */
static void
drop_old_edges(sqlite3 *db)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, "SELECT attack_last_ns FROM admin_edges LIMIT 0", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_finalize(q);
		return;
	}
	sqlite3_exec(db, "DROP TABLE IF EXISTS admin_edges", NULL, NULL, NULL);
}

struct jg_store *
jg_store_open(const char *path, const struct jg_store_limits *lim, char *err, size_t cap)
{
	struct jg_store *s = calloc(1, sizeof(*s));
	char *msg = NULL;

	if (s == NULL) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	s->lim = *lim;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto err;
	sqlite3_busy_timeout(s->db, 50);
	drop_old_edges(s->db);
	if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK)
		goto err;
	s->indices_later = lim->bulk;
	if (!s->indices_later && sqlite3_exec(s->db, flow_indices, NULL, NULL, &msg) != SQLITE_OK)
		goto err;
	for (int i = 0; i < ST_MAX; i++)
		if (sqlite3_prepare_v3(s->db, stmts[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK)
			goto err;
	s->n_alerts = count_rows(s, "alerts");
	s->n_flows = count_rows(s, "flows");
	return s;
err:
	snprintf(err, cap, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

void
jg_store_commit(struct jg_store *s)
{
	uint64_t t0;

	if (s == NULL || !s->in_txn)
		return;
	t0 = jg_unix_ns();
	if (exec(s, "COMMIT") != 0)
		exec(s, "ROLLBACK");
	s->in_txn = 0;
	s->stats.commits++;
	t0 = jg_unix_ns() - t0;
	if (t0 > s->stats.max_commit_ns)
		s->stats.max_commit_ns = t0;
}

void
jg_store_index(struct jg_store *s)
{
	if (s == NULL || !s->indices_later)
		return;
	if (exec(s, flow_indices) == 0)
		s->indices_later = 0;
}

void
jg_store_close(struct jg_store *s)
{
	if (s == NULL)
		return;
	jg_store_index(s);
	prune(s, jg_unix_ns()); /* what came since the last tick stays within the bounds too */
	jg_store_commit(s);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static void
begin(struct jg_store *s)
{
	if (s->in_txn)
		return;
	if (exec(s, "BEGIN") == 0) {
		s->in_txn = 1;
		s->txn_start_ns = jg_unix_ns();
	}
}

void
jg_store_begin(struct jg_store *s)
{
	begin(s);
}

void
jg_store_error(struct jg_store *s)
{
	s->stats.errors++;
}

static int
step(struct jg_store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE) {
		s->stats.errors++;
		return -EIO;
	}
	return 0;
}

static void
bind_text(sqlite3_stmt *q, int i, const char *v)
{
	sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT);
}

uint64_t
jg_store_alert_add(struct jg_store *s, const struct jg_event_rec *ev, const char *json, size_t n)
{
	sqlite3_stmt *q = s->st[ST_ALERT_ADD];
	char a[48], b[48], v[64];

	begin(s);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)ev->ts_ns);
	bind_text(q, 2, ev->type < JG_EV_MAX ? jg_event_names[ev->type] : "unknown");
	bind_text(q, 3, jg_ev_tool(ev, v, sizeof(v)));
	bind_text(q, 4, jg_fmt_ip(a, sizeof(a), ev->src_ip, ev->ip_version));
	bind_text(q, 5, jg_fmt_ip(b, sizeof(b), ev->dst_ip, ev->ip_version));
	sqlite3_bind_int(q, 6, ev->dst_port);
	bind_text(q, 7, jg_ev_get(ev, JG_ATTR_SRC_ZONE, v, sizeof(v)));
	bind_text(q, 8, jg_ev_get(ev, JG_ATTR_DST_ZONE, v, sizeof(v)));
	bind_text(q, 9, jg_ev_get(ev, JG_ATTR_SERVICE, v, sizeof(v)));
	bind_text(q, 10, jg_ev_get(ev, JG_ATTR_ACTION, v, sizeof(v)));
	sqlite3_bind_int64(q, 11, (sqlite3_int64)ev->flow_id);
	sqlite3_bind_text(q, 12, json, (int)n, SQLITE_TRANSIENT);
	if (step(s, q) != 0)
		return 0;
	if (ev->ts_ns > s->newest_ns)
		s->newest_ns = ev->ts_ns;
	s->n_alerts++;
	s->stats.alerts++;
	return (uint64_t)sqlite3_last_insert_rowid(s->db);
}

void
jg_store_alert_count(struct jg_store *s, uint64_t id, uint64_t count, uint64_t last_ns)
{
	sqlite3_stmt *q = s->st[ST_ALERT_COUNT];

	begin(s);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)count);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)last_ns);
	step(s, q);
	if (last_ns > s->newest_ns)
		s->newest_ns = last_ns;
}

void
jg_store_flow(struct jg_store *s, const struct jg_flow_rec *fr, const char *json, size_t n)
{
	sqlite3_stmt *q = s->st[ST_FLOW_ADD];
	char a[48], b[48];

	begin(s);
	sqlite3_bind_int64(q, 1, (sqlite3_int64)fr->flow_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)fr->first_ns);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)fr->last_ns);
	bind_text(q, 4, jg_fmt_ip(a, sizeof(a), fr->src_ip, fr->ip_version));
	bind_text(q, 5, jg_fmt_ip(b, sizeof(b), fr->dst_ip, fr->ip_version));
	sqlite3_bind_int(q, 6, fr->src_port);
	sqlite3_bind_int(q, 7, fr->dst_port);
	sqlite3_bind_int(q, 8, fr->proto);
	sqlite3_bind_int64(q, 9, (sqlite3_int64)(fr->pkts_fwd + fr->pkts_rev));
	sqlite3_bind_int64(q, 10, (sqlite3_int64)(fr->bytes_fwd + fr->bytes_rev));
	sqlite3_bind_int(q, 11, fr->services != 0);
	if (fr->services != 0)
		bind_text(q, 12, fr->action < 3 ? jg_action_names[fr->action] : "unknown");
	sqlite3_bind_text(q, 13, json, (int)n, SQLITE_TRANSIENT);
	if (step(s, q) != 0)
		return;
	if (fr->last_ns > s->newest_ns)
		s->newest_ns = fr->last_ns;
	s->n_flows++;
	s->stats.flows++;
}

/* Delete the oldest rows of a table down to its bound (less 1%, so pruning runs in bulk). */
static void
prune_count(struct jg_store *s, const char *table, uint64_t *rows, uint64_t max, uint64_t *pruned)
{
	uint64_t excess;
	char sql[160];

	if (*rows <= max)
		return;
	excess = *rows - max + max / 100;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id IN (SELECT id FROM %s ORDER BY id LIMIT %llu)", table,
		 table, (unsigned long long)excess);
	if (exec(s, sql) == 0) {
		*rows -= (uint64_t)sqlite3_changes(s->db) < *rows ? (uint64_t)sqlite3_changes(s->db) : *rows;
		*pruned += (uint64_t)sqlite3_changes(s->db);
	}
}

static void
prune_age(struct jg_store *s, const char *table, const char *col, uint64_t *rows, uint64_t *pruned)
{
	char sql[160];
	uint64_t changed;

	if (s->lim.max_age_ns == 0 || s->newest_ns <= s->lim.max_age_ns)
		return;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s < %llu", table, col,
		 (unsigned long long)(s->newest_ns - s->lim.max_age_ns));
	if (exec(s, sql) == 0) {
		changed = (uint64_t)sqlite3_changes(s->db);
		*rows -= changed < *rows ? changed : *rows;
		*pruned += changed;
	}
}

static void
prune(struct jg_store *s, uint64_t now_ns)
{
	s->last_prune_ns = now_ns;
	begin(s);
	prune_count(s, "alerts", &s->n_alerts, s->lim.max_alerts, &s->stats.pruned_alerts);
	prune_count(s, "flows", &s->n_flows, s->lim.max_flows, &s->stats.pruned_flows);
	prune_age(s, "alerts", "last_ns", &s->n_alerts, &s->stats.pruned_alerts);
	prune_age(s, "flows", "end_ns", &s->n_flows, &s->stats.pruned_flows);
}

void
jg_store_tick(struct jg_store *s, uint64_t now_ns)
{
	if (s == NULL)
		return;
	if (s->n_alerts > s->lim.max_alerts || s->n_flows > s->lim.max_flows ||
	    now_ns - s->last_prune_ns >= PRUNE_EVERY_NS)
		prune(s, now_ns);
	if (s->in_txn && now_ns - s->txn_start_ns >= s->lim.batch_ns)
		jg_store_commit(s);
}

const struct jg_store_stats *
jg_store_stats(const struct jg_store *s)
{
	return &s->stats;
}

sqlite3 *
jg_store_db(struct jg_store *s)
{
	return s->db;
}

sqlite3_stmt *
jg_store_stmt(struct jg_store *s, enum jg_store_st which)
{
	return s->st[which];
}
