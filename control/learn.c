/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The observed remote-administration graph (learn.h): edges found by a hash of
 * (src, dst, service) over chained slots, sessions counted once per flow, and
 * room made by giving up the weakest sixteenth of the graph in one pass.
 */
#include <stdio.h>
#include <string.h>

#include "jg_hash.h"
#include "jg_khash.h"
#include "jg_records.h"
#include "learn.h"

#define EVICT_SHARE 16 /* a full graph gives up 1/16 of its edges at once: one scan per 256 new ones */

/*
 * The edge's bucket: a keyed hash (jg_khash.h) of the two addresses, the
 * version and the service. The addresses are what an attacker chooses (a SYN
 * to an SSH port makes an edge): with an unkeyed hash he could chain every
 * edge into one bucket and make each event a walk of the whole graph.
 */
static uint32_t
edge_hash(const struct jg_learn *l, uint8_t v, const uint8_t *src, const uint8_t *dst, const char *svc)
{
	uint32_t key[10];

	memcpy(key, src, 16);
	memcpy(key + 4, dst, 16);
	key[8] = (uint32_t)jg_fnv1a(JG_FNV_BASIS, svc, strlen(svc)); /* the policy's names, not the wire's */
	key[9] = v;
	return jg_khash40(&l->hk, key);
}

static uint32_t
bucket(const struct jg_learn *l, const struct jg_learn_edge *e)
{
	return edge_hash(l, e->ip_version, e->src, e->dst, e->service) & (2 * JG_LEARN_EDGES - 1);
}

void
jg_learn_init(struct jg_learn *l, uint32_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap == 0 || cap > JG_LEARN_EDGES ? JG_LEARN_EDGES : cap;
	jg_khash_init(&l->hk, jg_khash_seed_from_env());
}

static void
unlink_slot(struct jg_learn *l, uint32_t slot)
{
	uint16_t *p = &l->head[bucket(l, &l->e[slot])];

	if (l->gone != NULL)
		l->gone(l->gone_ctx, &l->e[slot]);
	while (*p != 0 && *p != slot + 1)
		p = &l->next[*p - 1];
	if (*p == slot + 1)
		*p = l->next[slot];
	l->e[slot].used = 0;
	l->n--;
}

/* What an edge is worth keeping for: attack tools first (what to look at), then sessions. */
static uint64_t
worth(const struct jg_learn_edge *e)
{
	return (e->attack_sessions ? 1ull << 40 : 0) + e->sessions;
}

static uint32_t
worth_bucket(const struct jg_learn_edge *e)
{
	uint64_t w = worth(e);

	return w >= (1ull << 40) ? 41 : (uint32_t)(64 - __builtin_clzll(w | 1));
}

/*
 * Give up the weakest sixteenth: every edge in the worth buckets below the one
 * where the count reaches it, or, when there is none, as many from that bucket
 * (attack-tool edges, the top bucket, only when there is nothing else).
 */
static void
make_room(struct jg_learn *l)
{
	uint32_t hist[42] = { 0 }, want = l->cap / EVICT_SHARE + 1, sum = 0, cut = 0, freed = 0;

	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		if (l->e[i].used)
			hist[worth_bucket(&l->e[i])]++;
	while (cut < 41 && sum + hist[cut] < want)
		sum += hist[cut++];
	/* the cut bucket only when nothing below it went: attack-tool edges go last */
	for (int pass = 0; pass < 2 && (pass == 0 || freed == 0); pass++)
		for (uint32_t i = 0; i < JG_LEARN_EDGES && freed < want; i++) {
			uint32_t b;

			if (!l->e[i].used)
				continue;
			b = worth_bucket(&l->e[i]);
			if (pass == 0 ? b < cut : b == cut) {
				unlink_slot(l, i);
				l->evicted++;
				freed++;
			}
		}
}

static struct jg_learn_edge *
find(struct jg_learn *l, uint8_t v, const uint8_t *src, const uint8_t *dst, const char *svc, int create)
{
	uint32_t b = edge_hash(l, v, src, dst, svc) & (2 * JG_LEARN_EDGES - 1);
	struct jg_learn_edge *e;
	uint32_t slot;

	for (uint16_t s = l->head[b]; s != 0; s = l->next[s - 1]) {
		e = &l->e[s - 1];
		if (e->ip_version == v && !memcmp(e->src, src, 16) && !memcmp(e->dst, dst, 16) && !strcmp(e->service, svc))
			return e;
	}
	if (!create)
		return NULL;
	if (l->n >= l->cap)
		make_room(l);
	for (slot = 0; slot < JG_LEARN_EDGES && l->e[slot].used; slot++)
		;
	if (slot == JG_LEARN_EDGES || l->n >= l->cap)
		return NULL;
	e = &l->e[slot];
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->ip_version = v;
	memcpy(e->src, src, 16);
	memcpy(e->dst, dst, 16);
	snprintf(e->service, sizeof(e->service), "%s", svc);
	l->next[slot] = l->head[b];
	l->head[b] = (uint16_t)(slot + 1);
	l->n++;
	return e;
}

static void
add_user(struct jg_learn_edge *e, const char *user)
{
	for (uint32_t i = 0; i < e->n_users; i++)
		if (!strcmp(e->users[i], user))
			return;
	if (e->n_users < JG_LEARN_USERS)
		snprintf(e->users[e->n_users++], JG_LEARN_USER_LEN, "%s", user);
	else if (e->more_users < UINT32_MAX)
		e->more_users++;
}

struct jg_learn_edge *
jg_learn_event(struct jg_learn *l, const struct jg_event_rec *ev, uint64_t now_ns)
{
	char svc[32], user[JG_LEARN_USER_LEN], dom[JG_LEARN_USER_LEN], raw[JG_LEARN_USER_LEN * 2 + 2];
	int attack = ev->tool < JG_TOOL_MAX && jg_tool_attack[ev->tool];
	/* bit 1 marks a slot in use (flow 0 of worker 0 too), bit 0 an attack tool counted */
	uint64_t tag = (ev->flow_id << 8 | (ev->worker & 0xff)) << 2 | 2;
	struct jg_learn_edge *e;
	int seen = -1;

	uint8_t src[16], dst[16];

	if (ev->type == JG_EV_ZONE_VIOLATION || !jg_ev_get(ev, JG_ATTR_SERVICE, svc, sizeof(svc))[0] ||
	    (ev->ip_version != 4 && ev->ip_version != 6))
		return NULL;
	/* an IPv4 address is its first four bytes, whatever follows them */
	memcpy(src, ev->src_ip, 16);
	memcpy(dst, ev->dst_ip, 16);
	if (ev->ip_version == 4) {
		memset(src + 4, 0, 12);
		memset(dst + 4, 0, 12);
	}
	e = find(l, ev->ip_version, src, dst, svc, 1);
	if (e == NULL)
		return NULL;
	if (e->events == 0 || ev->ts_ns < e->first_ns)
		e->first_ns = ev->ts_ns;
	if (ev->ts_ns > e->last_ns)
		e->last_ns = ev->ts_ns;
	if (ev->ts_ns > l->newest_ns)
		l->newest_ns = ev->ts_ns;
	e->events++;
	e->seen_ns = now_ns;
	if (!e->dirty) {
		e->dirty = 1;
		if (l->n_dirty < JG_LEARN_EDGES)
			l->dirty[l->n_dirty++] = (uint16_t)(e - l->e);
		else
			l->dirty_all = 1;
	}
	if (ev->tool < JG_TOOL_MAX && ev->tool != JG_TOOL_UNKNOWN)
		e->tools |= 1u << ev->tool;
	for (int i = 0; i < JG_LEARN_RECENT; i++)
		if ((e->recent[i] & ~1ull) == tag)
			seen = i;
	if (seen < 0) {
		memmove(&e->recent[1], &e->recent[0], sizeof(e->recent[0]) * (JG_LEARN_RECENT - 1));
		e->recent[0] = tag;
		seen = 0;
		e->sessions++;
	}
	if (attack) {
		if (e->attack_first_ns == 0 || ev->ts_ns < e->attack_first_ns)
			e->attack_first_ns = ev->ts_ns;
		if (ev->ts_ns > e->attack_last_ns)
			e->attack_last_ns = ev->ts_ns;
	}
	if (attack && !(e->recent[seen] & 1)) {
		e->recent[seen] |= 1;
		e->attack_sessions++;
	}
	if (jg_ev_get(ev, JG_ATTR_USER, user, sizeof(user))[0]) {
		jg_ev_get(ev, JG_ATTR_DOMAIN, dom, sizeof(dom));
		snprintf(raw, sizeof(raw), "%s%s%s", dom, dom[0] ? "\\" : "", user);
		/* a name from the wire: printable, and no separator of the store's list */
		add_user(e, jg_fmt_printable(user, sizeof(user), raw, ","));
	}
	return e;
}

struct jg_learn_edge *
jg_learn_put(struct jg_learn *l, const struct jg_learn_edge *in)
{
	struct jg_learn_edge *e = find(l, in->ip_version, in->src, in->dst, in->service, 1);

	if (e == NULL)
		return NULL;
	*e = *in;
	e->used = 1;
	e->dirty = 0;
	if (e->last_ns > l->newest_ns)
		l->newest_ns = e->last_ns;
	return e;
}

void
jg_learn_flush(struct jg_learn *l, void (*put)(void *ctx, const struct jg_learn_edge *e), void *ctx)
{
	uint32_t n = l->dirty_all ? JG_LEARN_EDGES : l->n_dirty;

	for (uint32_t i = 0; i < n; i++) {
		struct jg_learn_edge *e = &l->e[l->dirty_all ? i : l->dirty[i]];

		/* a slot listed twice (given up and taken again) is written once */
		if (e->used && e->dirty) {
			e->dirty = 0;
			put(ctx, e);
		}
	}
	l->n_dirty = 0;
	l->dirty_all = 0;
}

void
jg_learn_age(struct jg_learn *l, uint64_t now_ns)
{
	if (now_ns < JG_LEARN_WINDOW_NS)
		return;
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		if (l->e[i].used && l->e[i].seen_ns < now_ns - JG_LEARN_WINDOW_NS) {
			unlink_slot(l, i);
			l->aged++;
		}
}

const char *
jg_learn_tools(const struct jg_learn_edge *e, int which, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (int t = 0; t < JG_TOOL_MAX && n < cap; t++)
		if ((e->tools & (1u << t)) && (which < 0 || jg_tool_attack[t] == which))
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", jg_tool_names[t]);
	return out;
}

const char *
jg_learn_users(const struct jg_learn_edge *e, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < e->n_users && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", e->users[i]);
	if (e->more_users && n < cap)
		snprintf(out + n, cap - n, " +%u more", e->more_users);
	return out;
}
