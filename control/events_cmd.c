/* SPDX-License-Identifier: BSD-3-Clause */
/* `jgctl events` and `jgctl flows top`: argument parsing over the store's queries. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long x = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || x < lo || x > hi)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A word argument copied into a fixed field; refuse what does not fit. */
static int
word(const char *v, char *dst, size_t cap, const char *flag, struct jg_buf *out)
{
	if (strlen(v) >= cap) {
		jg_buf_printf(out, "%s %.40s: too long", flag, v);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int
no_store(struct jg_control *c, struct jg_buf *out)
{
	if (c->store != NULL)
		return 0;
	jg_buf_printf(out, "the event store is off (store.enabled: false): see events.jsonl");
	return 1;
}

int
jg_cmd_events(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	struct jg_alert_query q;
	int cursor = 0, lines = 0, rows;
	uint8_t addr[16];

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	for (int i = 0; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(f, "--cursor")) {
			cursor = 1;
			continue;
		}
		if (!strcmp(f, "--lines")) {
			lines = 1;
			continue;
		}
		if (v == NULL) {
			jg_buf_printf(out, "%.40s: unknown option or missing value (see jgctl help events)", f);
			return JG_USAGE;
		}
		i++;
		if (!strcmp(f, "--since")) {
			if (jg_parse_time(v, &q.since_ns) != 0) {
				jg_buf_printf(out, "--since %.64s: expected RFC 3339 UTC, e.g. 2026-03-02T09:00:00Z", v);
				return JG_USAGE;
			}
		} else if (!strcmp(f, "--host")) {
			if (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1) {
				jg_buf_printf(out, "--host %.64s: not an IP address", v);
				return JG_USAGE;
			}
			if (word(v, q.host, sizeof(q.host), f, out) != 0)
				return JG_USAGE;
		} else if (!strcmp(f, "--zone")) {
			if (word(v, q.zone, sizeof(q.zone), f, out) != 0)
				return JG_USAGE;
		} else if (!strcmp(f, "--tool")) {
			if (word(v, q.tool, sizeof(q.tool), f, out) != 0)
				return JG_USAGE;
		} else if (!strcmp(f, "--type")) {
			if (word(v, q.type, sizeof(q.type), f, out) != 0)
				return JG_USAGE;
		} else if (!strcmp(f, "--limit")) {
			if (parse_u32(v, 1, 100000, &q.limit) != 0) {
				jg_buf_printf(out, "--limit %.40s: expected 1..100000", v);
				return JG_USAGE;
			}
		} else if (!strcmp(f, "--after-id")) {
			char *end;

			q.after_id = strtoull(v, &end, 10);
			if (*v == '\0' || *end != '\0') {
				jg_buf_printf(out, "--after-id %.40s: expected a number", v);
				return JG_USAGE;
			}
		} else {
			jg_buf_printf(out, "%.40s: unknown option (see jgctl help events)", f);
			return JG_USAGE;
		}
	}
	if (no_store(c, out))
		return JG_ERR;
	/* The newest alerts can still be in the aggregator's first write: commit first. */
	rows = jg_store_alerts(c->store, &q, lines ? 2 : json, out);
	if (rows < 0)
		return JG_ERR;
	if (cursor)
		jg_buf_printf(out, "%s %llu\n", JG_PROTO_CURSOR, (unsigned long long)q.last_id);
	return JG_OK;
}

int
jg_cmd_flows(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	enum jg_flow_order by = JG_BY_BYTES;
	uint64_t since = 0;
	uint32_t limit = 20;

	if (argc < 1 || strcmp(argv[0], "top") != 0) {
		jg_buf_printf(out, "usage: flows top [--by bytes|packets] [--limit N] [--since TIME]");
		return JG_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		i++;
		if (!strcmp(f, "--by") && (!strcmp(v, "bytes") || !strcmp(v, "packets"))) {
			by = !strcmp(v, "packets") ? JG_BY_PACKETS : JG_BY_BYTES;
		} else if (!strcmp(f, "--limit") && parse_u32(v, 1, 100000, &limit) == 0) {
			continue;
		} else if (!strcmp(f, "--since") && jg_parse_time(v, &since) == 0) {
			continue;
		} else {
			jg_buf_printf(out, "%.40s %.40s: expected --by bytes|packets, --limit 1..100000 or --since TIME", f, v);
			return JG_USAGE;
		}
	}
	if (no_store(c, out))
		return JG_ERR;
	return jg_store_flows_top(c->store, by, since, limit, json, out) < 0 ? JG_ERR : JG_OK;
}
