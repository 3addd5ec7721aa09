/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Learn mode: sessions counted once per flow, attack tools kept apart, the
 * graph bounded, the store round trip; and properties of the proposal on
 * random graphs (JG_LEARN_SEED replays one): it loads as a policy, no learnt
 * zone holds hosts of two roles (by an oracle written here), every allow rule
 * has evidence, every benign session of an admin source is allowed, no
 * attack-tool session is, and the draft alerts on no more than the default.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jg_policy_load.h"
#include "jg_records.h"
#include "jg_test.h"
#include "learn.h"
#include "store.h"

#define SEC 1000000000ull

static const char *const svcs[] = { "smb-admin", "rpc", "wmi", "winrm", "rdp", "ssh" };

static struct jg_learn l;
static struct jg_policy cur, prop;
static struct jg_cfg_errors errs;
static char yaml_mem[1 << 20];

static struct jg_event_rec
event(const uint8_t *src, const uint8_t *dst, uint8_t v, const char *svc, uint64_t flow, uint8_t tool, const char *user,
      uint64_t ts)
{
	struct jg_event_rec ev;

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.src_ip, src, 16);
	memcpy(ev.dst_ip, dst, 16);
	ev.ip_version = v;
	ev.type = JG_EV_SERVICE_INSTALL;
	ev.tool = tool;
	ev.flow_id = flow;
	ev.ts_ns = ts;
	jg_ev_str(&ev, JG_ATTR_SERVICE, svc);
	if (user != NULL) {
		jg_ev_str(&ev, JG_ATTR_DOMAIN, "CORP");
		jg_ev_str(&ev, JG_ATTR_USER, user);
	}
	return ev;
}

static void
ip4(uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, 16);
	a[0] = x;
	a[1] = y;
	a[2] = z;
	a[3] = w;
}

static unsigned int n_puts;

static void
count_put(void *ctx, const struct jg_learn_edge *e)
{
	(void)ctx;
	(void)e;
	n_puts++;
}

static void
test_sessions(void)
{
	uint8_t a[16], b[16];
	struct jg_event_rec ev;
	const struct jg_learn_edge *e;
	char buf[256];

	jg_learn_init(&l, 0);
	ip4(a, 10, 0, 5, 10);
	ip4(b, 10, 20, 0, 1);
	/* three events of one flow: one session; a zone violation repeats an event and is not counted */
	for (int i = 0; i < 3; i++) {
		ev = event(a, b, 4, "smb-admin", 7, JG_TOOL_PAEXEC, "adm1", 100 * SEC + (uint64_t)i);
		e = jg_learn_event(&l, &ev, ev.ts_ns);
	}
	ev.type = JG_EV_ZONE_VIOLATION;
	CHECK(jg_learn_event(&l, &ev, ev.ts_ns) == NULL);
	CHECK(l.n == 1 && e->sessions == 1 && e->events == 3 && e->attack_sessions == 0 && e->n_users == 1);
	CHECK(!strcmp(jg_learn_users(e, buf, sizeof(buf)), "CORP\\adm1"));
	CHECK(!strcmp(jg_learn_tools(e, -1, buf, sizeof(buf)), "paexec"));
	/* the store gets a changed edge once per flush, not once per event */
	jg_learn_flush(&l, count_put, NULL);
	CHECK(n_puts == 1);
	jg_learn_flush(&l, count_put, NULL);
	CHECK(n_puts == 1);
	/* a second flow; then smbexec named in it later: one attack session, still two sessions */
	ev = event(a, b, 4, "smb-admin", 8, JG_TOOL_UNKNOWN, "adm1", 200 * SEC);
	jg_learn_event(&l, &ev, ev.ts_ns);
	ev = event(a, b, 4, "smb-admin", 8, JG_TOOL_SMBEXEC, "adm1", 201 * SEC);
	jg_learn_event(&l, &ev, ev.ts_ns);
	ev = event(a, b, 4, "smb-admin", 8, JG_TOOL_SMBEXEC, "adm2", 202 * SEC);
	e = jg_learn_event(&l, &ev, ev.ts_ns);
	CHECK(e->sessions == 2 && e->attack_sessions == 1 && e->n_users == 2);
	CHECK(e->first_ns == 100 * SEC && e->last_ns == 202 * SEC);
	/* no service attribute: not remote administration the dataplane judged */
	memset(&ev, 0, sizeof(ev));
	CHECK(jg_learn_event(&l, &ev, ev.ts_ns) == NULL && l.n == 1);
	/* the window: an edge unseen for 30 days is forgotten */
	ev = event(b, a, 4, "rdp", 9, JG_TOOL_UNKNOWN, NULL, 203 * SEC + JG_LEARN_WINDOW_NS);
	jg_learn_event(&l, &ev, ev.ts_ns);
	jg_learn_age(&l, 203 * SEC + JG_LEARN_WINDOW_NS);
	CHECK(l.n == 1 && l.aged == 1);
}

/* Bounded: a flood of distinct edges never holds more than the cap; attack edges outlive benign ones. */
static void
test_bounded(unsigned int seed)
{
	uint8_t a[16], b[16];
	uint32_t max = 0, attack_kept = 0;

	srand(seed);
	jg_learn_init(&l, 512);
	ip4(a, 10, 9, 9, 9);
	ip4(b, 10, 8, 8, 8);
	for (int k = 0; k < 4; k++) {
		struct jg_event_rec ev = event(a, b, 4, svcs[k], 1000 + (uint64_t)k, JG_TOOL_WMIEXEC, NULL, SEC);

		jg_learn_event(&l, &ev, ev.ts_ns);
	}
	for (uint32_t i = 0; i < 200000; i++) {
		struct jg_event_rec ev;

		ip4(a, 10, (uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand());
		ip4(b, 172, 16, (uint8_t)rand(), (uint8_t)rand());
		ev = event(a, b, 4, svcs[rand() % 6], i, JG_TOOL_UNKNOWN, NULL, SEC + i);
		jg_learn_event(&l, &ev, ev.ts_ns);
		max = l.n > max ? l.n : max;
	}
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		attack_kept += l.e[i].used && l.e[i].attack_sessions;
	CHECK(max <= 512 && l.n <= 512 && l.evicted >= 200000 - 512);
	CHECK(attack_kept == 4);
	printf("bounded: %zu bytes whatever the traffic, %u edges at most, %" PRIu64 " given up\n", sizeof(l), max,
	       l.evicted);
}

/* The store keeps the graph: written, deleted when given up, read back after a restart. */
static void
test_store(void)
{
	char path[] = "/tmp/jg-learn-test-XXXXXX";
	struct jg_store_limits lim = { .max_alerts = 1000, .max_flows = 1000, .batch_ns = SEC };
	struct jg_store *s;
	struct jg_learn *back = malloc(sizeof(*back));
	char err[256];
	int fd = mkstemp(path), n;
	uint8_t a[16], b[16];

	close(fd);
	s = jg_store_open(path, &lim, err, sizeof(err));
	CHECK(s != NULL && back != NULL);
	if (s == NULL || back == NULL)
		return;
	jg_learn_init(&l, 4);
	l.gone = jg_learn_store_gone;
	l.gone_ctx = s;
	ip4(a, 10, 0, 5, 10);
	for (int i = 0; i < 6; i++) {
		struct jg_event_rec ev;

		ip4(b, 10, 20, 0, (uint8_t)(1 + i));
		ev = event(a, b, 4, "smb-admin", (uint64_t)i, i == 0 ? JG_TOOL_ATEXEC : JG_TOOL_PSEXEC, "a,b", SEC * (uint64_t)(i + 1));
		jg_learn_event(&l, &ev, ev.ts_ns);
	}
	jg_learn_flush(&l, jg_learn_store_put, s);
	jg_store_close(s);
	s = jg_store_open(path, &lim, err, sizeof(err));
	jg_learn_init(back, 0);
	n = jg_learn_store_load(s, back);
	CHECK(n == (int)l.n && back->n == l.n);
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++) {
		const struct jg_learn_edge *e = &l.e[i];
		const struct jg_learn_edge *f = NULL;

		if (!e->used)
			continue;
		for (uint32_t k = 0; k < JG_LEARN_EDGES && f == NULL; k++)
			if (back->e[k].used && !memcmp(back->e[k].dst, e->dst, 16))
				f = &back->e[k];
		CHECK(f != NULL && f->sessions == e->sessions && f->attack_sessions == e->attack_sessions &&
		      f->tools == e->tools && f->first_ns == e->first_ns && f->last_ns == e->last_ns && f->seen_ns == e->seen_ns &&
		      f->attack_first_ns == e->attack_first_ns && f->attack_last_ns == e->attack_last_ns &&
		      f->n_users == 1 && !strcmp(f->users[0], e->users[0]) && !strcmp(f->service, e->service));
	}
	/* a name from the wire with the list's separator in it was made harmless */
	CHECK(!strcmp(back->e[0].used ? back->e[0].users[0] : "CORP\\a?b", "CORP\\a?b"));
	jg_store_close(s);
	unlink(path);
	free(back);
}

/* ---- random graphs ------------------------------------------------------ */

struct ghost {
	uint8_t ip[16];
	uint8_t v;
	int kind; /* 0 admin, 1 noisy (many accounts), 2 attacker, 3 workstation (one session), 4 server */
};

#define NH 48
static struct ghost gh[NH];

static void
make_hosts(void)
{
	for (int i = 0; i < NH; i++) {
		struct ghost *h = &gh[i];

		h->kind = i < 4 ? 0 : i < 6 ? 1 : i < 8 ? 2 : i < 14 ? 3 : 4;
		h->v = rand() % 8 ? 4 : 6;
		memset(h->ip, 0, 16);
		if (h->v == 4) {
			/* a few subnets so that roles interleave and aggregate */
			ip4(h->ip, 10, (uint8_t)(rand() % 3), (uint8_t)(rand() % 4), (uint8_t)(rand() % 64));
		} else {
			h->ip[0] = 0xfd;
			h->ip[15] = (uint8_t)(rand() % 32);
		}
		for (int k = 0; k < i; k++)
			if (gh[k].v == h->v && !memcmp(gh[k].ip, h->ip, 16)) {
				h->ip[h->v == 4 ? 2 : 14]++; /* distinct addresses */
				k = -1;
			}
	}
}

static int
pick(int kind, uint8_t v)
{
	for (int n = 0; n < 1000; n++) {
		int i = rand() % NH;

		if (gh[i].kind == kind && gh[i].v == v)
			return i;
	}
	return -1;
}

static void
random_graph(void)
{
	uint64_t flow = 1, t = 1000 * SEC;

	jg_learn_init(&l, 0);
	make_hosts();
	for (int i = 0; i < NH; i++) {
		int sessions = gh[i].kind == 0 ? 2 + rand() % 6 : gh[i].kind == 1 || gh[i].kind == 2 ? 3 + rand() % 4 : gh[i].kind == 3 ? 1 : 0;

		for (int s = 0; s < sessions; s++) {
			int d = pick(4, gh[i].v);
			const char *svc = svcs[rand() % 6];
			char user[16];
			uint8_t tool = gh[i].kind == 2 ? (rand() % 2 ? JG_TOOL_SMBEXEC : JG_TOOL_WMIEXEC)
						       : (rand() % 3 ? JG_TOOL_PAEXEC : JG_TOOL_UNKNOWN);

			if (d < 0)
				continue;
			snprintf(user, sizeof(user), "u%d", gh[i].kind == 1 ? s : i);
			for (int k = 0, n = 1 + rand() % 3; k < n; k++) {
				struct jg_event_rec ev = event(gh[i].ip, gh[d].ip, gh[i].v, svc, flow, tool, user, t);

				jg_learn_event(&l, &ev, ev.ts_ns);
				t += SEC;
			}
			flow++;
		}
	}
	/* an admin source's sessions with an attack tool count for nothing benign */
	{
		int a = pick(0, 4), d = pick(4, 4);

		if (a >= 0 && d >= 0) {
			struct jg_event_rec ev = event(gh[a].ip, gh[d].ip, 4, "wmi", flow++, JG_TOOL_WMIEXEC, "x", t);

			jg_learn_event(&l, &ev, ev.ts_ns);
		}
	}
}

/* 1 when the graph holds the address (a host never seen has no role). */
static int
seen(const uint8_t *ip, uint8_t v)
{
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		if (l.e[i].used && l.e[i].ip_version == v && (!memcmp(l.e[i].src, ip, 16) || !memcmp(l.e[i].dst, ip, 16)))
			return 1;
	return 0;
}

/* An admin source, as the documentation states it, computed apart from suggest.c. */
static int
oracle_admin(const uint8_t *ip, uint8_t v, uint32_t min_sessions, uint32_t max_users)
{
	uint64_t out = 0, more = 0, users;
	const char *names[256];
	uint32_t n = 0;

	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++) {
		const struct jg_learn_edge *e = &l.e[i];

		if (e->used && e->ip_version == v && !memcmp(e->src, ip, 16) && e->sessions > e->attack_sessions) {
			out += e->sessions - e->attack_sessions;
			more += e->more_users;
			for (uint32_t u = 0; u < e->n_users; u++) {
				uint32_t k = 0;

				while (k < n && strcmp(names[k], e->users[u]) != 0)
					k++;
				if (k == n && n < 256)
					names[n++] = e->users[u];
			}
		}
	}
	users = n + more;
	return out >= min_sessions && users <= max_users;
}

/* 1 admin source, 2 managed (administered by one), 0 other. */
static int
oracle_role(const uint8_t *ip, uint8_t v, uint32_t min_sessions, uint32_t max_users)
{
	if (oracle_admin(ip, v, min_sessions, max_users))
		return 1;
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++) {
		const struct jg_learn_edge *e = &l.e[i];

		if (e->used && e->ip_version == v && !memcmp(e->dst, ip, 16) && e->sessions > e->attack_sessions &&
		    oracle_admin(e->src, v, min_sessions, max_users))
			return 2;
	}
	return 0;
}

static int
learnt_zone(const struct jg_policy *p, int z)
{
	return !strncmp(p->zones[z], "learnt-", 7);
}

/* Every `allow` line is preceded by its `# seen: N session(s)` comment with N > 0. */
static int
allow_rules_have_evidence(const char *y)
{
	const char *prev = NULL;

	for (const char *line = y; line != NULL && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strstr(line, "action: allow }") != NULL && (strchr(line, '\n') == NULL || strstr(line, "action: allow }") < strchr(line, '\n'))) {
			unsigned long n = 0;

			if (prev == NULL || sscanf(prev, " # seen: %lu session", &n) != 1 || n == 0)
				if (prev == NULL || strncmp(prev, "    # kept from the running policy", 34) != 0)
					return 0;
		}
		prev = line;
	}
	return 1;
}

static void
check_proposal(unsigned int seed, const char *current_yaml)
{
	struct jg_suggest_opts o = { .min_sessions = 2, .max_users = 3, .now_ns = 2000 * SEC };
	struct jg_suggest_result res;
	struct jg_whatif_totals tc, td;
	struct jg_buf y, w;
	static char wmem[1 << 20];
	int ok_roles = 1, ok_allowed = 1, ok_load;

	memset(&errs, 0, sizeof(errs));
	if (current_yaml == NULL)
		jg_policy_defaults(&cur);
	else
		CHECK(jg_policy_load_mem("cur.yaml", current_yaml, strlen(current_yaml), &cur, &errs) == 0);
	jg_buf_init(&y, yaml_mem, sizeof(yaml_mem));
	CHECK(jg_suggest(&l, &cur, &o, &y, &res) == 0);
	memset(&errs, 0, sizeof(errs));
	ok_load = jg_policy_load_mem("proposal.yaml", y.p, y.len, &prop, &errs) == 0;
	CHECK(ok_load);
	if (!ok_load) {
		fprintf(stderr, "seed %u: the proposal does not load:\n", seed);
		for (uint32_t i = 0; i < errs.n; i++)
			fprintf(stderr, "  %s\n", errs.e[i].msg);
		fprintf(stderr, "%.*s\n", (int)y.len, y.p);
		return;
	}
	CHECK(res.admin_hosts > 0 && res.rules_new > 0);
	/* no learnt zone holds two roles; every host the oracle calls other stays out of learnt zones */
	for (int z = 0; z < (int)prop.n_zones; z++) {
		int role = -1;

		if (!learnt_zone(&prop, z))
			continue;
		for (int i = 0; i < NH; i++) {
			int r = oracle_role(gh[i].ip, gh[i].v, o.min_sessions, o.max_users);

			if (jg_policy_zone_of(&prop, gh[i].ip, gh[i].v, NULL) != z || !seen(gh[i].ip, gh[i].v))
				continue;
			if (role >= 0 && r != role)
				ok_roles = 0;
			role = r;
			if (r == 0)
				ok_roles = 0;
		}
	}
	CHECK(ok_roles);
	CHECK(allow_rules_have_evidence(y.p));
	/* what an admin source was seen doing (benign) is allowed; no attack-tool session ever is */
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++) {
		const struct jg_learn_edge *e = &l.e[i];
		int sz, dz, s;

		if (!e->used)
			continue;
		sz = jg_policy_zone_of(&prop, e->src, e->ip_version, NULL);
		dz = jg_policy_zone_of(&prop, e->dst, e->ip_version, NULL);
		s = jg_policy_service_index(&prop, e->service);
		if (e->sessions > e->attack_sessions && oracle_role(e->src, e->ip_version, 2, 3) == 1 && current_yaml == NULL)
			ok_allowed &= jg_policy_action(&prop, (uint8_t)sz, (uint8_t)dz, (unsigned int)s, 0) == JG_ACT_ALLOW;
		if (e->attack_sessions)
			ok_allowed &= jg_policy_action(&prop, (uint8_t)sz, (uint8_t)dz, (unsigned int)s, 1) != JG_ACT_ALLOW;
		if (oracle_role(e->src, e->ip_version, 2, 3) == 0)
			ok_allowed &= jg_policy_action(&prop, (uint8_t)sz, (uint8_t)dz, (unsigned int)s, 0) ==
				      jg_policy_action(&cur, (uint8_t)jg_policy_zone_of(&cur, e->src, e->ip_version, NULL),
						       (uint8_t)jg_policy_zone_of(&cur, e->dst, e->ip_version, NULL),
						       (unsigned int)jg_policy_service_index(&cur, e->service), 0);
	}
	CHECK(ok_allowed);
	jg_buf_init(&w, wmem, sizeof(wmem));
	jg_whatif(&l, &cur, "current", &prop, "proposal", 0, 1, &w, &tc, &td);
	CHECK(td.attack_allowed == 0 && td.alert + td.block < tc.alert + tc.block && td.allow > tc.allow);
	CHECK(tc.allow + tc.alert + tc.block + tc.unjudged == td.allow + td.alert + td.block + td.unjudged);
	if (!ok_roles || !ok_allowed)
		fprintf(stderr, "seed %u:\n%.*s\n", seed, (int)y.len, y.p);
}

/* The proposal for the graph in l against the running policy text: loaded back into prop. @return 0 when it loads */
static int
propose(const char *running, uint32_t min_sessions, char *out, size_t cap)
{
	struct jg_suggest_opts o = { .min_sessions = min_sessions, .max_users = 3, .now_ns = 2000 * SEC };
	struct jg_suggest_result res;
	struct jg_buf y;

	memset(&errs, 0, sizeof(errs));
	if (running == NULL)
		jg_policy_defaults(&cur);
	else if (jg_policy_load_mem("cur.yaml", running, strlen(running), &cur, &errs) != 0)
		return -2;
	jg_buf_init(&y, out, cap);
	if (jg_suggest(&l, &cur, &o, &y, &res) != 0)
		return -3;
	memset(&errs, 0, sizeof(errs));
	if (jg_policy_load_mem("proposal.yaml", y.p, y.len, &prop, &errs) != 0) {
		for (uint32_t i = 0; i < errs.n; i++)
			fprintf(stderr, "  %s\n", errs.e[i].msg);
		return -1;
	}
	return 0;
}

static void
admin(uint8_t a3, uint8_t b3, uint8_t v, const char *svc, uint64_t flow)
{
	uint8_t a[16], b[16];
	struct jg_event_rec ev;

	ip4(a, 10, 0, 0, a3);
	ip4(b, 10, 0, 0, b3);
	if (v == 6) {
		a[15] = 1;
		b[15] = 1;
	}
	ev = event(a, b, v, svc, flow, JG_TOOL_PSEXEC, "adm", 100 * SEC + flow);
	jg_learn_event(&l, &ev, ev.ts_ns);
}

static uint8_t
action_between(const struct jg_policy *p, uint8_t a3, uint8_t b3, const char *svc)
{
	uint8_t a[16], b[16];

	ip4(a, 10, 0, 0, a3);
	ip4(b, 10, 0, 0, b3);
	return jg_policy_action(p, (uint8_t)jg_policy_zone_of(p, a, 4, NULL), (uint8_t)jg_policy_zone_of(p, b, 4, NULL),
				(unsigned int)jg_policy_service_index(p, svc), 0);
}

/* Cases a review found: each proposal must load and do what its comments say. */
static void
test_crafted(void)
{
	static char y1[1 << 20], y2[1 << 20];
	char *big;
	size_t n = 0;

	/* a host carved out of a zone that holds another role, by its own running host prefix */
	jg_learn_init(&l, 0);
	admin(5, 6, 4, "smb-admin", 1);
	CHECK(propose("zones:\n  - { name: ops, prefixes: [10.0.0.5/32, 10.0.0.6/32] }\n", 1, y1, sizeof(y1)) == 0);
	CHECK(action_between(&prop, 5, 6, "smb-admin") == JG_ACT_ALLOW && action_between(&prop, 6, 5, "smb-admin") != JG_ACT_ALLOW);
	/* a running prefix deeper inside a learnt one would keep its hosts: the learnt one is split */
	jg_learn_init(&l, 0);
	admin(1, 200, 4, "rdp", 1);
	admin(2, 200, 4, "rdp", 2);
	admin(5, 200, 4, "rdp", 3);
	admin(6, 200, 4, "rdp", 4);
	{
		uint8_t a[16], b[16];
		struct jg_event_rec ev;

		/* a host of another role near them: it ran an attack tool */
		ip4(a, 10, 0, 0, 9);
		ip4(b, 10, 0, 0, 10);
		ev = event(a, b, 4, "rdp", 5, JG_TOOL_WMIEXEC, "x", 100 * SEC);
		jg_learn_event(&l, &ev, ev.ts_ns);
	}
	CHECK(propose("zones:\n  - { name: z, prefixes: [10.0.0.0/30, 10.0.0.128/25] }\n", 1, y1, sizeof(y1)) == 0);
	CHECK(action_between(&prop, 1, 200, "rdp") == JG_ACT_ALLOW && action_between(&prop, 6, 200, "rdp") == JG_ACT_ALLOW);
	/* adopting the proposal round after round: it loads, and adds nothing the last one allows */
	jg_learn_init(&l, 0);
	admin(1, 2, 4, "smb-admin", 1);
	admin(1, 3, 4, "smb-admin", 2);
	CHECK(propose(NULL, 1, y1, sizeof(y1)) == 0);
	admin(2, 4, 4, "wmi", 3); /* a managed host turns admin source */
	for (int round = 0; round < 300; round++) {
		char *from = round % 2 ? y2 : y1, *to = round % 2 ? y1 : y2;

		if (propose(from, 1, to, sizeof(y1)) != 0) {
			CHECK(0);
			fprintf(stderr, "round %d:\n%s\n", round, to);
			break;
		}
	}
	CHECK(prop.n_rules <= 4 && action_between(&prop, 2, 4, "wmi") == JG_ACT_ALLOW &&
	      action_between(&prop, 3, 4, "wmi") != JG_ACT_ALLOW);
	/* the prefix limit reached: what does not fit is left out, every zone still a list */
	big = malloc(1 << 16);
	n += (size_t)snprintf(big + n, (1 << 16) - n, "zones:\n  - name: many\n    prefixes:\n");
	for (int i = 0; i < 1023; i++)
		n += (size_t)snprintf(big + n, (1 << 16) - n, "      - 172.16.%d.%d/32\n", i / 256, i % 256);
	jg_learn_init(&l, 0);
	admin(1, 2, 4, "smb-admin", 1);
	CHECK(propose(big, 1, y1, sizeof(y1)) == 0);
	free(big);
	/* names that are no plain YAML words, and an operator's default block, kept */
	jg_learn_init(&l, 0);
	admin(1, 2, 4, "a,b", 1);
	CHECK(propose("zones:\n  - { name: \"dmz #1\", prefixes: [10.0.0.2/32] }\n"
		      "services:\n  - { name: \"a,b\", ports: [2222] }\n"
		      "policy:\n  default: block\n  rules:\n    - { from: \"dmz #1\", to: any, service: \"a,b\", action: alert }\n",
		      1, y1, sizeof(y1)) == 0);
	CHECK(prop.default_action == JG_ACT_BLOCK && prop.n_rules == 2 && prop.rules[0].action == JG_ACT_ALERT &&
	      !strcmp(prop.zones[1], "dmz #1"));
	CHECK(action_between(&prop, 1, 2, "a,b") == JG_ACT_ALLOW);
	/* the same bytes as IPv4 and IPv6 are two paths; flow 0 of worker 0 is a session */
	jg_learn_init(&l, 0);
	admin(1, 2, 4, "rdp", 0);
	admin(1, 2, 6, "rdp", 0);
	CHECK(l.n == 2 && l.e[0].sessions == 1 && l.e[1].sessions == 1);
}

/* A sweep of attack-tool paths and a few benign ones: room is made from the benign ones first. */
static void
test_evict_order(void)
{
	uint8_t a[16], b[16];
	uint32_t attack = 0;

	jg_learn_init(&l, 64);
	ip4(a, 10, 1, 1, 1);
	for (int i = 0; i < 60; i++) {
		struct jg_event_rec ev;

		ip4(b, 10, 2, 2, (uint8_t)i);
		ev = event(a, b, 4, "smb-admin", (uint64_t)i + 1, JG_TOOL_CRACKMAPEXEC, NULL, SEC);
		jg_learn_event(&l, &ev, SEC);
	}
	for (int i = 0; i < 10; i++) {
		struct jg_event_rec ev;

		ip4(b, 10, 3, 3, (uint8_t)i);
		ev = event(b, a, 4, "rdp", 1000 + (uint64_t)i, JG_TOOL_UNKNOWN, NULL, SEC);
		jg_learn_event(&l, &ev, SEC);
	}
	for (uint32_t i = 0; i < JG_LEARN_EDGES; i++)
		attack += l.e[i].used && l.e[i].attack_sessions;
	CHECK(attack == 60 && l.n <= 64);
}

int
main(void)
{
	const char *env = getenv("JG_LEARN_SEED");
	unsigned int seed = env != NULL ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	/* a running policy with a zone that mixes roles, one that does not, a custom service and a rule */
	const char *running = "zones:\n"
			      "  - { name: lab, prefixes: [10.0.0.0/16] }\n"
			      "  - { name: six, prefixes: [\"fd00::/64\"] }\n"
			      "services:\n"
			      "  - { name: ssh-alt, ports: [2222] }\n"
			      "policy:\n"
			      "  default: alert\n"
			      "  rules:\n"
			      "    - { from: any, to: six, service: vnc, action: block }\n";

	printf("JG_LEARN_SEED=%u\n", seed);
	test_sessions();
	test_bounded(seed);
	test_store();
	test_crafted();
	test_evict_order();
	for (int round = 0; round < 200; round++) {
		srand(seed + (unsigned int)round);
		random_graph();
		check_proposal(seed + (unsigned int)round, round % 2 ? running : NULL);
	}
	return jg_test_done();
}
