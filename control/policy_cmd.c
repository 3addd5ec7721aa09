/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `jgctl policy suggest` and `jgctl policy diff DRAFT.yaml` (learn.h), and what
 * the end of a replay writes for `jumpgate learn` and `jumpgate replay --policy`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_policy_load.h"
#include "control.h"
#include "learn.h"

#define YAML_CAP (1u << 20)

/* --since: a time (RFC 3339) or a span back from the newest observation: 7d, 12h, 30m. */
static int
parse_since(const struct jg_learn *l, const char *v, uint64_t *ns)
{
	char *end = NULL;
	unsigned long long n = strtoull(v, &end, 10);
	uint64_t unit = 0;

	if (jg_parse_time(v, ns) == 0)
		return 0;
	if (end != v && end[0] != '\0' && end[1] == '\0')
		unit = end[0] == 'd' ? 86400ull : end[0] == 'h' ? 3600ull : end[0] == 'm' ? 60ull : 0;
	if (unit == 0 || n > 100000)
		return -1;
	*ns = l->newest_ns > n * unit * 1000000000ull ? l->newest_ns - n * unit * 1000000000ull : 0;
	return 0;
}

static const struct jg_policy *
running(const struct jg_control *c, struct jg_policy *fallback)
{
	if (c->pm != NULL && c->pm->detect_on)
		return &c->pm->pol[c->pm->gen & 1];
	jg_policy_defaults(fallback);
	return fallback;
}

static int
suggest(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	struct jg_suggest_opts o = { .hosts = c->hosts, .min_sessions = 1, .max_users = 3, .now_ns = jg_unix_ns() };
	struct jg_suggest_result res;
	struct jg_policy *fb = malloc(sizeof(*fb));
	struct jg_buf y;
	char *mem = malloc(YAML_CAP);
	int rc = JG_OK;

	for (int i = 0; i < argc && rc == JG_OK; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;

		if (v != NULL && !strcmp(argv[i], "--since") && parse_since(c->learn, v, &o.since_ns) == 0)
			continue;
		if (v != NULL && !strcmp(argv[i], "--min-sessions") && (o.min_sessions = (uint32_t)strtoul(v, &end, 10)) > 0 &&
		    *end == '\0')
			continue;
		if (v != NULL && !strcmp(argv[i], "--max-users") && (o.max_users = (uint32_t)strtoul(v, &end, 10)) > 0 &&
		    *end == '\0')
			continue;
		jg_buf_printf(out, "usage: policy suggest [--since TIME|7d|12h] [--min-sessions N] [--max-users N]");
		rc = JG_USAGE;
	}
	if (rc == JG_OK && (fb == NULL || mem == NULL)) {
		jg_buf_printf(out, "out of memory");
		rc = JG_ERR;
	}
	if (rc == JG_OK) {
		jg_buf_init(&y, mem, YAML_CAP);
		if (jg_suggest(c->learn, running(c, fb), &o, &y, &res) != 0) {
			jg_buf_printf(out, "the proposal does not fit in %u bytes", YAML_CAP);
			rc = JG_ERR;
		} else if (json) {
			jg_buf_printf(out,
				      "{\"admin_hosts\":%u,\"managed_hosts\":%u,\"other_hosts\":%u,\"zones_new\":%u,"
				      "\"rules_new\":%u,\"attack_paths\":%u,\"yaml\":",
				      res.admin_hosts, res.managed_hosts, res.other_hosts, res.zones_new, res.rules_new,
				      res.attack_edges);
			jg_buf_json_str(out, y.p, y.len);
			jg_buf_printf(out, "}\n");
		} else {
			jg_buf_put(out, y.p, y.len);
		}
	}
	free(mem);
	free(fb);
	return rc;
}

static int
diff(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	struct jg_policy *draft = malloc(sizeof(*draft)), *fb = malloc(sizeof(*fb));
	struct jg_whatif_totals tc, td;
	uint64_t since = 0;
	int rc = JG_OK;

	if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "--since") && parse_since(c->learn, argv[2], &since) == 0)) {
		jg_buf_printf(out, "usage: policy diff DRAFT.yaml [--since TIME|7d|12h]");
		rc = JG_USAGE;
	} else if (errs == NULL || draft == NULL || fb == NULL) {
		jg_buf_printf(out, "out of memory");
		rc = JG_ERR;
	} else if (jg_policy_load(argv[0], draft, errs) != 0) {
		jg_buf_printf(out, "%s: %u error%s\n", argv[0], errs->n, errs->n == 1 ? "" : "s");
		for (uint32_t i = 0; i < errs->n; i++)
			jg_buf_printf(out, "%s\n", errs->e[i].msg);
		rc = JG_ERR;
	} else {
		const struct jg_policy *cur = running(c, fb);

		jg_whatif(c->learn, cur, cur->path[0] ? cur->path : "built-in default", draft, argv[0], since, json, out,
			  &tc, &td);
	}
	free(errs);
	free(draft);
	free(fb);
	return rc;
}

int
jg_cmd_policy(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	if (c->learn == NULL) {
		jg_buf_printf(out, "learn mode is not running");
		return JG_ERR;
	}
	if (argc >= 1 && !strcmp(argv[0], "suggest"))
		return suggest(c, argc - 1, argv + 1, json, out);
	if (argc >= 1 && !strcmp(argv[0], "diff"))
		return diff(c, argc - 1, argv + 1, json, out);
	jg_buf_printf(out, "usage: policy suggest [--since TIME|7d] [--min-sessions N] | policy diff DRAFT.yaml");
	return JG_USAGE;
}

static int
write_file(const char *dir, const char *name, const char *p, size_t n)
{
	char path[4096 + 64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "jg-control: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	ok = fwrite(p, 1, n, f) == n;
	ok &= fclose(f) == 0;
	return ok ? 0 : -EIO;
}

void
jg_control_learn_finish(struct jg_control *c)
{
	struct jg_policy *cur = malloc(sizeof(*cur)), *draft = malloc(sizeof(*draft));
	struct jg_cfg_errors *errs = calloc(1, sizeof(*errs));
	char *mem = malloc(YAML_CAP), *wmem = malloc(YAML_CAP);
	const char *cur_name = "built-in default", *draft_name = NULL;
	struct jg_whatif_totals tc, td;
	struct jg_buf y, w;

	if (cur == NULL || draft == NULL || errs == NULL || mem == NULL || wmem == NULL || c->pm == NULL ||
	    !c->pm->detect_on)
		goto out;
	if (c->suggest_path != NULL) {
		/* jumpgate learn: the proposal from what ran, then the proposal against what ran */
		struct jg_suggest_opts o = { .hosts = c->hosts, .min_sessions = c->min_sessions ? c->min_sessions : 1,
					     .max_users = 3, .now_ns = jg_unix_ns() };
		struct jg_suggest_result res;

		*cur = c->pm->pol[c->pm->gen & 1];
		if (cur->path[0])
			cur_name = cur->path;
		jg_buf_init(&y, mem, YAML_CAP);
		if (jg_suggest(c->learn, cur, &o, &y, &res) != 0 || write_file(c->out_dir, c->suggest_path, y.p, y.len) != 0)
			goto out;
		if (jg_policy_load_mem(c->suggest_path, y.p, y.len, draft, errs) != 0) {
			fprintf(stderr, "jg-control: the proposal does not load (a bug): %s\n", errs->n ? errs->e[0].msg : "");
			goto out;
		}
		draft_name = "proposal";
	} else if (c->pm->policy_override) {
		/* jumpgate replay --policy: the draft ran; the config's policy is the current one */
		*draft = c->pm->pol[c->pm->gen & 1];
		draft_name = draft->path;
		if (c->cfg.policy_path[0] == '\0')
			jg_policy_defaults(cur);
		else if (jg_policy_load(c->cfg.policy_path, cur, errs) != 0)
			goto out;
		else
			cur_name = c->cfg.policy_path;
	} else {
		goto out;
	}
	jg_buf_init(&w, wmem, YAML_CAP);
	jg_whatif(c->learn, cur, cur_name, draft, draft_name, 0, 0, &w, &tc, &td);
	write_file(c->out_dir, "whatif.txt", w.p, w.len);
	jg_buf_init(&w, wmem, YAML_CAP);
	jg_whatif(c->learn, cur, cur_name, draft, draft_name, 0, 1, &w, &tc, &td);
	write_file(c->out_dir, "whatif.json", w.p, w.len);
out:
	free(cur);
	free(draft);
	free(errs);
	free(mem);
	free(wmem);
}
