/* SPDX-License-Identifier: BSD-3-Clause */
/* `jgctl lateral`: argument parsing, and lateral.dot at the end of a replay. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

int
jg_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm;
	const char *rest;
	double frac = 0;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		return -1;
	if (*rest == '.') {
		char *end;

		frac = strtod(rest, &end);
		rest = end;
	}
	if (strcmp(rest, "Z") != 0 && *rest != '\0')
		return -1;
	*ns = (uint64_t)timegm(&tm) * 1000000000u + (uint64_t)(frac * 1e9);
	return 0;
}

int
jg_cmd_lateral(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	struct jg_lateral_query q;

	memset(&q, 0, sizeof(q));
	q.format = json ? JG_LAT_JSON : JG_LAT_TABLE;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dot")) {
			q.format = JG_LAT_DOT;
		} else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
			i++;
			if (inet_pton(AF_INET, argv[i], q.host) == 1) {
				q.host_version = 4;
			} else if (inet_pton(AF_INET6, argv[i], q.host) == 1) {
				q.host_version = 6;
			} else {
				jg_buf_printf(out, "--host %.64s: not an IP address", argv[i]);
				return JG_USAGE;
			}
			q.has_host = 1;
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			if (jg_parse_time(argv[++i], &q.since_ns) != 0) {
				jg_buf_printf(out, "--since %.64s: expected RFC 3339 UTC, e.g. 2026-03-02T09:00:00Z", argv[i]);
				return JG_USAGE;
			}
		} else {
			jg_buf_printf(out, "%.64s: unknown argument (--host IP, --since TIME, --dot, --json)", argv[i]);
			return JG_USAGE;
		}
	}
	jg_lateral_render(c->lat, &q, out);
	return JG_OK;
}

int
jg_cmd_hosts(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	if (argc > 0) {
		jg_buf_printf(out, "%.64s: unknown argument (--json)", argv[0]);
		return JG_USAGE;
	}
	jg_hosts_render(c->hosts, json, out);
	return JG_OK;
}

void
jg_lateral_write_dot(struct jg_control *c)
{
	static char body[1 << 20];
	struct jg_lateral_query q = { .format = JG_LAT_DOT };
	struct jg_buf b;
	char path[4200];
	int fd;

	if (c->lat->n == 0 || c->out_dir == NULL)
		return;
	jg_buf_init(&b, body, sizeof(body));
	jg_lateral_render(c->lat, &q, &b);
	snprintf(path, sizeof(path), "%s/lateral.dot", c->out_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, body, b.len < sizeof(body) ? b.len : sizeof(body) - 1) < 0)
		fprintf(stderr, "jg-control: %s: write failed\n", path);
	close(fd);
}
