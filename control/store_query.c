/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queries of the store for jgctl: alerts with filters (follow mode by id) and
 * the top flows. Filters are bound as parameters, never pasted into SQL; the
 * statement only names the columns a filter uses, so SQLite picks their index.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_priv.h"

/* The stored JSON line with the alert's fields added before its closing brace. */
static void
put_alert_json(struct jg_buf *out, const char *json, int64_t id, int64_t count, int64_t first, int64_t last)
{
	size_t n = strlen(json);
	char t1[32], t2[32];

	while (n > 0 && json[n - 1] != '}')
		n--;
	if (n == 0)
		return;
	jg_fmt_time(t1, sizeof(t1), (uint64_t)first);
	jg_fmt_time(t2, sizeof(t2), (uint64_t)last);
	jg_buf_put(out, json, n - 1);
	jg_buf_printf(out, ",\"alert_id\":%lld,\"count\":%lld,\"first_seen\":\"%s\",\"last_seen\":\"%s\"}",
		      (long long)id, (long long)count, t1, t2);
}

void
jg_store_alert_line(struct jg_buf *out, const char *json, uint64_t id, uint64_t count, uint64_t first_ns,
		    uint64_t last_ns)
{
	put_alert_json(out, json, (int64_t)id, (int64_t)count, (int64_t)first_ns, (int64_t)last_ns);
}

static const char *
col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t != NULL ? (const char *)t : "";
}

/* Seconds precision is what a terminal table needs: 2026-03-02T09:01:00Z. */
static const char *
short_time(char *buf, size_t cap, int64_t ns)
{
	jg_fmt_time(buf, cap, (uint64_t)ns);
	if (strlen(buf) == 27) {
		buf[19] = 'Z';
		buf[20] = '\0';
	}
	return buf;
}

/* End of a query's rows: close the JSON array, or replace the output with the error. */
static int
finish(struct jg_store *s, sqlite3_stmt *st, int rc, int rows, int close_array, struct jg_buf *out)
{
	sqlite3_finalize(st);
	if (close_array)
		jg_buf_printf(out, "]\n");
	if (rc != SQLITE_DONE) {
		out->len = 0;
		jg_buf_printf(out, "store query failed: %s", sqlite3_errmsg(jg_store_db(s)));
		return -1;
	}
	return rows;
}

/* "WKSTN20 (10.77.2.20)" when the wire named the host (printable ASCII only: names come from the wire), else the address. */
static const char *
host(char *out, size_t cap, const char *name, const char *ip)
{
	size_t n;

	jg_fmt_printable(out, cap < 41 ? cap : 41, name, NULL);
	n = strlen(out);
	snprintf(out + n, cap - n, n ? " (%s)" : "%s", ip);
	return out;
}

int
jg_store_alerts(struct jg_store *s, struct jg_alert_query *q, int json, struct jg_buf *out)
{
	char sql[768], t[32], target[200], zones[72], a[100], b[100];
	const char *binds[4];
	int n_binds = 0, rows = 0, rc;
	sqlite3_stmt *st;
	size_t len;

	len = (size_t)snprintf(sql, sizeof(sql),
			       "SELECT id,first_ns,last_ns,count,type,tool,src,dst,dst_port,src_zone,dst_zone,service,"
			       "action,json,json_extract(json,'$.src_host'),json_extract(json,'$.dst_host') FROM alerts WHERE last_ns >= %llu AND id > %llu",
			       (unsigned long long)q->since_ns, (unsigned long long)q->after_id);
	if (q->host[0]) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND (src = ?%d OR dst = ?%d)", n_binds + 1,
					n_binds + 1);
		binds[n_binds++] = q->host;
	}
	if (q->zone[0]) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND (src_zone = ?%d OR dst_zone = ?%d)",
					n_binds + 1, n_binds + 1);
		binds[n_binds++] = q->zone;
	}
	if (q->tool[0]) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND tool = ?%d", n_binds + 1);
		binds[n_binds++] = q->tool;
	}
	if (q->type[0]) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND type = ?%d", n_binds + 1);
		binds[n_binds++] = q->type;
	}
	/* Follow mode reads forward from a known id; otherwise the newest `limit`, printed oldest first. */
	if (q->after_id)
		snprintf(sql + len, sizeof(sql) - len, " ORDER BY id LIMIT %u", q->limit);
	else
		snprintf(sql + len, sizeof(sql) - len, " ORDER BY id DESC LIMIT %u", q->limit);
	if (strlen(sql) + 40 < sizeof(sql) && !q->after_id) {
		char inner[768];

		snprintf(inner, sizeof(inner), "SELECT * FROM (%s) ORDER BY id", sql);
		snprintf(sql, sizeof(sql), "%s", inner);
	}
	jg_store_commit(s);
	if (sqlite3_prepare_v2(jg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		jg_buf_printf(out, "store query failed: %s", sqlite3_errmsg(jg_store_db(s)));
		return -1;
	}
	for (int i = 0; i < n_binds; i++)
		sqlite3_bind_text(st, i + 1, binds[i], -1, SQLITE_STATIC);
	q->last_id = q->after_id;
	if (json == 1)
		jg_buf_printf(out, "[");
	else if (json == 0)
		jg_buf_printf(out, "%-6s %-20s %6s %-16s %-16s %-56s %-10s %-24s %s\n", "ID", "LAST SEEN", "COUNT",
			      "EVENT", "TOOL", "SOURCE -> TARGET", "SERVICE", "ZONES", "ACTION");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(st, 0) > q->last_id)
			q->last_id = (uint64_t)sqlite3_column_int64(st, 0);
		if (json) {
			if (rows && json == 1)
				jg_buf_printf(out, ",\n");
			put_alert_json(out, col(st, 13), sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 3),
				       sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
			if (json == 2)
				jg_buf_printf(out, "\n");
		} else {
			snprintf(target, sizeof(target), "%s -> %s:%d", host(a, sizeof(a), col(st, 14), col(st, 6)),
				 host(b, sizeof(b), col(st, 15), col(st, 7)), sqlite3_column_int(st, 8));
			snprintf(zones, sizeof(zones), "%s", col(st, 9)[0] ? col(st, 9) : "-");
			if (col(st, 10)[0])
				snprintf(zones + strlen(zones), sizeof(zones) - strlen(zones), "->%s", col(st, 10));
			jg_buf_printf(out, "%-6lld %-20s %6lld %-16s %-16s %-56s %-10s %-24s %s\n",
				      (long long)sqlite3_column_int64(st, 0), short_time(t, sizeof(t), sqlite3_column_int64(st, 2)),
				      (long long)sqlite3_column_int64(st, 3), col(st, 4), col(st, 5), target,
				      col(st, 11)[0] ? col(st, 11) : "-", zones, col(st, 12)[0] ? col(st, 12) : "-");
		}
		rows++;
	}
	return finish(s, st, rc, rows, json == 1, out);
}

int
jg_store_flows_top(struct jg_store *s, enum jg_flow_order by, uint64_t since_ns, uint32_t limit, int json,
		   struct jg_buf *out)
{
	static const char *const protos[] = { [1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "icmp6" };
	char sql[256], t[32], ends[100];
	int rows = 0, rc;
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql),
		 "SELECT flow_id,start_ns,end_ns,src,dst,src_port,dst_port,proto,packets,bytes,admin,action,json "
		 "FROM flows WHERE end_ns >= %llu ORDER BY admin DESC, %s DESC LIMIT %u",
		 (unsigned long long)since_ns, by == JG_BY_PACKETS ? "packets" : "bytes", limit);
	jg_store_commit(s);
	if (sqlite3_prepare_v2(jg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		jg_buf_printf(out, "store query failed: %s", sqlite3_errmsg(jg_store_db(s)));
		return -1;
	}
	if (json)
		jg_buf_printf(out, "[");
	else
		jg_buf_printf(out, "%-10s %-20s %-50s %-5s %10s %14s %10s %s\n", "FLOW", "END", "SOURCE -> TARGET",
			      "PROTO", "PACKETS", "BYTES", "SECONDS", "ADMIN");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int proto = sqlite3_column_int(st, 7);

		if (json) {
			jg_buf_printf(out, "%s%s", rows ? ",\n" : "", col(st, 12));
		} else {
			snprintf(ends, sizeof(ends), "%s:%d -> %s:%d", col(st, 3), sqlite3_column_int(st, 5), col(st, 4),
				 sqlite3_column_int(st, 6));
			jg_buf_printf(out, "%-10lld %-20s %-50s %-5s %10lld %14lld %10.3f %s\n",
				      (long long)sqlite3_column_int64(st, 0),
				      short_time(t, sizeof(t), sqlite3_column_int64(st, 2)), ends,
				      proto >= 0 && proto < 59 && protos[proto] ? protos[proto] : "other",
				      (long long)sqlite3_column_int64(st, 8), (long long)sqlite3_column_int64(st, 9),
				      (double)(sqlite3_column_int64(st, 2) - sqlite3_column_int64(st, 1)) / 1e9,
				      sqlite3_column_int(st, 10) ? col(st, 11) : "-");
		}
		rows++;
	}
	return finish(s, st, rc, rows, json != 0, out);
}
