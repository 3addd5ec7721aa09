/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host names by address (hosts.h): an open-addressed table probed over a
 * short neighbourhood; names compare without case and by their first DNS
 * label, so WS2016 and ws2016.corp.local are one host.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hosts.h"
#include "jg_hash.h"
#include "jg_records.h"

#define PROBE 16

static uint32_t
ip_hash(const uint8_t *ip)
{
	return (uint32_t)jg_fnv1a(JG_FNV_BASIS, ip, 16);
}

/* Same host: equal without case up to the first dot of either. */
static int
same_name(const char *a, const char *b)
{
	size_t na = strcspn(a, "."), nb = strcspn(b, ".");

	return na == nb && strncasecmp(a, b, na) == 0;
}

static struct jg_host *
find(const struct jg_hosts *t, const uint8_t *ip, uint8_t version)
{
	uint32_t h = ip_hash(ip);

	for (uint32_t i = 0; i < PROBE; i++) {
		const struct jg_host *e = &t->h[(h + i) & (JG_HOSTS - 1)];

		if (e->used && e->ip_version == version && !memcmp(e->ip, ip, 16))
			return (struct jg_host *)e;
	}
	return NULL;
}

const char *
jg_hosts_name(const struct jg_hosts *t, const uint8_t *ip, uint8_t version)
{
	const struct jg_host *e = find(t, ip, version);

	return e != NULL ? e->name : NULL;
}

/* A slot for a new address: a free one, else the least recently seen of the neighbourhood. */
static struct jg_host *
take(struct jg_hosts *t, const uint8_t *ip)
{
	uint32_t h = ip_hash(ip);
	struct jg_host *old = NULL;

	for (uint32_t i = 0; i < PROBE; i++) {
		struct jg_host *e = &t->h[(h + i) & (JG_HOSTS - 1)];

		if (!e->used) {
			t->n++;
			return e;
		}
		if (old == NULL || e->last_ns < old->last_ns)
			old = e;
	}
	t->evicted++;
	return old;
}

static void
add_conflict(char *buf, size_t cap, const char *what)
{
	size_t n = strlen(buf);

	snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", what);
}

/* One address named `name` by `how`: @return 0, or -1 with the contradiction written to why */
static int
learn(struct jg_hosts *t, const uint8_t *ip, uint8_t version, const char *name, const char *how, uint64_t ts,
      char *why, size_t cap)
{
	struct jg_host *e = find(t, ip, version);
	char addr[64];

	/* unseen for a day: the address may have changed hands, and the new name is no contradiction */
	if (e == NULL || (!same_name(e->name, name) && ts >= e->last_ns && ts - e->last_ns > JG_HOST_TTL_NS)) {
		e = e != NULL ? e : take(t, ip);
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->ip_version = version;
		memcpy(e->ip, ip, 16);
		e->first_ns = ts;
		jg_fmt_printable(e->name, sizeof(e->name), name, NULL);
		snprintf(e->how, sizeof(e->how), "%s", how);
	}
	e->events++;
	if (ts > e->last_ns)
		e->last_ns = ts;
	if (same_name(e->name, name))
		return 0;
	e->conflicts++;
	t->conflicts++;
	jg_fmt_printable(e->other, sizeof(e->other), name, NULL);
	snprintf(why, cap, "%s is %s (%s), this %s says %s", jg_fmt_ip(addr, sizeof(addr), ip, version), e->name,
		 e->how, how, name);
	return -1;
}

void
jg_hosts_event(struct jg_hosts *t, struct jg_event_rec *ev)
{
	char src[JG_HOST_NAME], dst[JG_HOST_NAME], origin[JG_HOST_NAME], conflict[256] = "", why[200];
	const char *known;
	int given;

	if (ev->type == JG_EV_NONE || ev->type >= JG_EV_MAX)
		return;
	/* the source's name: the one the event gives, else its NTLM workstation */
	given = jg_ev_get(ev, JG_ATTR_SRC_HOST, src, sizeof(src))[0] != '\0';
	if (!given)
		jg_ev_get(ev, JG_ATTR_WORKSTATION, src, sizeof(src));
	jg_ev_get(ev, JG_ATTR_DST_HOST, dst, sizeof(dst));
	jg_ev_get(ev, JG_ATTR_ORIGIN_HOST, origin, sizeof(origin));
	/* a tool that says it came from elsewhere than the logon: a relay, a pivot, or a forged name */
	if (src[0] && origin[0] && !same_name(src, origin)) {
		snprintf(why, sizeof(why), "origin_host %s is not the workstation %s", origin, src);
		add_conflict(conflict, sizeof(conflict), why);
	}
	if ((src[0] || origin[0]) &&
	    learn(t, ev->src_ip, ev->ip_version, src[0] ? src : origin, src[0] ? "workstation" : "origin", ev->ts_ns,
		  why, sizeof(why)) != 0)
		add_conflict(conflict, sizeof(conflict), why);
	if (dst[0] && learn(t, ev->dst_ip, ev->ip_version, dst, "server", ev->ts_ns, why, sizeof(why)) != 0)
		add_conflict(conflict, sizeof(conflict), why);
	if (!given && (known = src[0] ? src : jg_hosts_name(t, ev->src_ip, ev->ip_version)) != NULL)
		jg_ev_str(ev, JG_ATTR_SRC_HOST, known);
	if (!dst[0] && (known = jg_hosts_name(t, ev->dst_ip, ev->ip_version)) != NULL)
		jg_ev_str(ev, JG_ATTR_DST_HOST, known);
	jg_ev_str(ev, JG_ATTR_HOST_CONFLICT, conflict);
}

void
jg_hosts_render(const struct jg_hosts *t, int json, struct jg_buf *out)
{
	char a[64], t1[32], t2[32];
	int first = 1;

	if (json)
		jg_buf_printf(out, "[");
	else
		jg_buf_printf(out, "%-39s %-24s %-11s %-27s %-27s %7s  %s\n", "ADDRESS", "NAME", "FROM", "FIRST", "LAST",
			      "EVENTS", "CONFLICTS");
	for (uint32_t i = 0; i < JG_HOSTS; i++) {
		const struct jg_host *e = &t->h[i];

		if (!e->used)
			continue;
		jg_fmt_ip(a, sizeof(a), e->ip, e->ip_version);
		jg_fmt_time(t1, sizeof(t1), e->first_ns);
		jg_fmt_time(t2, sizeof(t2), e->last_ns);
		if (json) {
			jg_buf_printf(out, "%s{\"ip\":\"%s\",\"name\":", first ? "" : ",", a);
			jg_buf_json_str(out, e->name, strlen(e->name));
			jg_buf_printf(out, ",\"from\":\"%s\",\"first\":\"%s\",\"last\":\"%s\",\"events\":%u,\"conflicts\":%u,\"other\":",
				      e->how, t1, t2, e->events, e->conflicts);
			jg_buf_json_str(out, e->other, strlen(e->other));
			jg_buf_printf(out, "}");
		} else {
			jg_buf_printf(out, "%-39s %-24s %-11s %-27s %-27s %7u  ", a, e->name, e->how, t1, t2, e->events);
			if (e->conflicts)
				jg_buf_printf(out, "%u (last: %s)\n", e->conflicts, e->other);
			else
				jg_buf_printf(out, "-\n");
		}
		first = 0;
	}
	if (json)
		jg_buf_printf(out, "]\n");
	else if (t->evicted)
		jg_buf_printf(out, "(%llu hosts forgotten: the table is full)\n", (unsigned long long)t->evicted);
}
