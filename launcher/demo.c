/* SPDX-License-Identifier: BSD-3-Clause */
/* `jumpgate demo`: show what a replay found, as an operator would read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOP 10

/* Value of "key" in one of our own JSON lines (strings unescaped only as far as display needs). */
static const char *
field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	out[0] = '\0';
	if (p == NULL)
		return out;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < cap; p++) {
			if (*p == '\\' && p[1])
				p++;
			out[n++] = *p;
		}
	} else {
		while (*p && *p != ',' && *p != '}' && n + 1 < cap)
			out[n++] = *p++;
	}
	out[n] = '\0';
	return out;
}

struct top_flow {
	unsigned long long bytes;
	char text[200];
};

static void
show_events(const char *dir)
{
	static const char *const extra[] = { "share", "file", "pipe", "service_name", "binary_path", "origin_host",
					     "origin_pid", "user", "domain", "rpc_interface", "rpc_opnum", "detail", "src_zone", "dst_zone",
					     "service", "action", NULL };
	char path[4200], line[4096], a[128], b[128], c[128], d[128], e[128], v[256];
	FILE *f;
	int n = 0;

	static struct {
		unsigned long id, count;
	} repeats[256];
	unsigned int n_repeats = 0;

	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "r");
	printf("\nALERTS\n");
	/* An alert that repeated has an update line with its final count: show the count on the alert. */
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (!strcmp(field(line, "update", v, sizeof(v)), "true") && n_repeats < 256) {
			repeats[n_repeats].id = strtoul(field(line, "alert_id", v, sizeof(v)), NULL, 10);
			repeats[n_repeats++].count = strtoul(field(line, "count", v, sizeof(v)), NULL, 10);
		}
	if (f != NULL)
		rewind(f);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned long id = strtoul(field(line, "alert_id", v, sizeof(v)), NULL, 10);

		if (!strcmp(field(line, "update", v, sizeof(v)), "true"))
			continue;
		printf("  %s  %-16s %-16s %s -> %s", field(line, "timestamp", a, sizeof(a)),
		       field(line, "event", b, sizeof(b)), field(line, "tool", c, sizeof(c)),
		       field(line, "src_ip", d, sizeof(d)), field(line, "dst_ip", e, sizeof(e)));
		for (int i = 0; extra[i] != NULL; i++)
			if (field(line, extra[i], v, sizeof(v))[0])
				printf("  %s=%s", extra[i], v);
		if (!strcmp(field(line, "encrypted", v, sizeof(v)), "true"))
			printf("  ENCRYPTED");
		for (unsigned int i = 0; i < n_repeats; i++)
			if (repeats[i].id == id)
				printf("  (seen %lu times)", repeats[i].count);
		printf("\n");
		n++;
	}
	if (n == 0)
		printf("  (none)\n");
	if (f != NULL)
		fclose(f);
}

static void
show_flows(const char *dir)
{
	struct top_flow top[TOP] = { 0 };
	char path[4200], line[4096], a[64], b[64], c[64], d[64], e[64], pk[32], by[32];
	unsigned long long total = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/flows.jsonl", dir);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned long long bytes = strtoull(field(line, "bytes", by, sizeof(by)), NULL, 10);
		int slot = -1;

		total++;
		for (int i = 0; i < TOP; i++)
			if (slot < 0 || top[i].bytes < top[slot].bytes)
				slot = i;
		if (bytes <= top[slot].bytes)
			continue;
		top[slot].bytes = bytes;
		snprintf(top[slot].text, sizeof(top[slot].text), "%-5s %s:%s -> %s:%s  %s packets",
			 field(line, "proto", a, sizeof(a)), field(line, "src_ip", b, sizeof(b)),
			 field(line, "src_port", c, sizeof(c)), field(line, "dst_ip", d, sizeof(d)),
			 field(line, "dst_port", e, sizeof(e)), field(line, "packets", pk, sizeof(pk)));
	}
	if (f != NULL)
		fclose(f);
	printf("\nFLOWS: %llu; the largest:\n", total);
	for (int done = 0; done < TOP; done++) {
		int best = -1;

		for (int i = 0; i < TOP; i++)
			if (top[i].bytes && (best < 0 || top[i].bytes > top[best].bytes))
				best = i;
		if (best < 0)
			break;
		printf("  %10llu bytes  %s\n", top[best].bytes, top[best].text);
		top[best].bytes = 0;
	}
}

int jg_demo_show(const char *out_dir);

int
jg_demo_show(const char *out_dir)
{
	show_events(out_dir);
	show_flows(out_dir);
	printf("\nEverything is in %s (events.jsonl, flows.jsonl, summary.json).\n", out_dir);
	return 0;
}
