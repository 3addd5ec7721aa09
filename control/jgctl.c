/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jgctl: the operator CLI. Sends one request to jg-control over its UNIX
 * socket (protocol in jg_proto.h), prints the answer, exits with its code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jg_proto.h"

#define DEFAULT_SOCKET "/run/jumpgate/jgctl.sock"

struct help {
	const char *cmd;
	const char *text;
};

static const struct help helps[] = {
	{ "status",
	  "jgctl status [--json]\n\n"
	  "The dataplane's state and uptime, the control plane's pid and how often it\n"
	  "attached, then one row per port (link, rx queues, RSS, packets, bytes,\n"
	  "missed, errors, no-mbuf), per worker (lcore, packets, active flows and\n"
	  "capacity, packets in flows, non-IP, fragments, bad, dispatch drops) and per\n"
	  "ring (occupancy, size, records sent and dropped because the ring was full).\n"
	  "--json prints one JSON object with every counter.\n" },
	{ "version", "jgctl version [--json]\n\nVersion of jg-control and of its protocols.\n" },
	{ "lateral",
	  "jgctl lateral [--host IP] [--since TIME] [--dot | --json]\n\n"
	  "The lateral-movement chain: one row per (source, target) pair of hosts between\n"
	  "which remote administration was seen, in the order it first happened, with the\n"
	  "first and last time, services, tools, zones, the strongest verdict, and the\n"
	  "origin host and pid that PAExec/PsExec artifacts named.\n"
	  "  --host IP     only what IP reached and what reached it\n"
	  "  --since TIME  only edges active since TIME (RFC 3339 UTC, 2026-03-02T09:00:00Z)\n"
	  "  --dot         Graphviz DOT (jgctl lateral --dot | dot -Tsvg > chain.svg)\n"
	  "  --json        one JSON array\n" },
	{ NULL, NULL },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: jgctl [-s SOCKET] COMMAND [--json]\n\n"
		   "Operate a running Jumpgate through jg-control's socket\n"
		   "(default $JGCTL_SOCKET, else " DEFAULT_SOCKET ").\n\n"
		   "commands:\n"
		   "  status     dataplane, ports, workers and rings\n"
		   "  version    versions of the control plane and its protocols\n"
		   "  lateral    the lateral-movement chain (table, --json or Graphviz --dot)\n"
		   "  help CMD   the manual of one command\n\n"
		   "exit status: 0 done, 1 the command failed, 2 usage, 3 protocol version\n"
		   "mismatch, 4 jg-control unreachable.\n");
}

static int
help(const char *cmd)
{
	for (const struct help *h = helps; h->cmd != NULL; h++)
		if (!strcmp(h->cmd, cmd)) {
			fputs(h->text, stdout);
			return JG_OK;
		}
	fprintf(stderr, "jgctl: no command '%s'\n", cmd);
	return JG_USAGE;
}

/* Read the status line, then copy the body to stdout. @return the server's code */
static int
read_answer(int fd)
{
	char buf[65536], *nl;
	size_t have = 0;
	ssize_t n;
	int code;

	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strchr(buf, '\n') != NULL || have == sizeof(buf) - 1)
			break;
	}
	buf[have] = '\0';
	nl = strchr(buf, '\n');
	if (nl == NULL || strncmp(buf, JG_PROTO_MAGIC " ", sizeof(JG_PROTO_MAGIC)) != 0) {
		fprintf(stderr, "jgctl: the server did not answer in protocol %s\n", JG_PROTO_MAGIC);
		return JG_BADVERSION;
	}
	*nl = '\0';
	code = atoi(buf + sizeof(JG_PROTO_MAGIC));
	if (code != JG_OK)
		fprintf(stderr, "jgctl: %s\n", strchr(buf + sizeof(JG_PROTO_MAGIC), ' ') ? strchr(buf + sizeof(JG_PROTO_MAGIC), ' ') + 1 : buf);
	fwrite(nl + 1, 1, have - (size_t)(nl + 1 - buf), stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return code;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("JGCTL_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[JG_PROTO_MAX_REQ];
	size_t len;
	int i = 1, fd;

	if (path == NULL)
		path = DEFAULT_SOCKET;
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		path = argv[2];
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? JG_USAGE : JG_OK;
	}
	if (!strcmp(argv[i], "help"))
		return i + 1 < argc ? help(argv[i + 1]) : (usage(stdout), JG_OK);
	if (i + 1 < argc && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h")))
		return help(argv[i]);
	len = (size_t)snprintf(req, sizeof(req), "%s", JG_PROTO_MAGIC);
	for (; i < argc; i++) {
		/* Arguments are words: the protocol has no quoting, so refuse what it cannot carry. */
		if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\r\n") != NULL) {
			fprintf(stderr, "jgctl: argument '%s' contains whitespace\n", argv[i]);
			return JG_USAGE;
		}
		len += (size_t)snprintf(req + len, len < sizeof(req) ? sizeof(req) - len : 0, " %s", argv[i]);
	}
	if (len + 1 >= sizeof(req)) {
		fprintf(stderr, "jgctl: request too long\n");
		return JG_USAGE;
	}
	req[len++] = '\n';
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "jgctl: socket path too long\n");
		return JG_USAGE;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "jgctl: cannot reach jg-control at %s: %s\n", path, strerror(errno));
		return JG_UNREACHABLE;
	}
	if (write(fd, req, len) != (ssize_t)len) {
		fprintf(stderr, "jgctl: write: %s\n", strerror(errno));
		close(fd);
		return JG_UNREACHABLE;
	}
	i = read_answer(fd);
	close(fd);
	return i;
}
