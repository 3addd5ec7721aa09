/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jgctl: the operator CLI. Sends one request to jg-control over its UNIX
 * socket (protocol in jg_proto.h), prints the answer, exits with its code.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jg_proto.h"

#define DEFAULT_SOCKET "/run/jumpgate/jgctl.sock"

/* jg_helps[]: each command's section of docs/man/jgctl.1.scd (docs/man/mkhelp.py) */
#include "jgctl_help.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: jgctl [-s SOCKET] COMMAND [ARGS] [--json]\n\n"
		   "Operate a running Jumpgate through jg-control's socket\n"
		   "(default $JGCTL_SOCKET, else " DEFAULT_SOCKET ").\n\n"
		   "commands:\n"
		   "  status     dataplane, ports, workers and rings\n"
		   "  version    versions of the control plane and its protocols\n"
		   "  lateral    the lateral-movement chain (table, --json or Graphviz --dot)\n"
		   "  hosts      host names the wire gave each address, and contradictions\n"
		   "  events     alerts from the store (filters, --follow)\n"
		   "  flows top  the largest flows, remote administration first\n"
		   "  stats      every counter: ports, workers, drops, store, outputs\n"
		   "  zones      the running policy; zones test SRC DST [SERVICE]\n"
		   "  reload     re-read config, zones, policy and patterns without a restart\n"
		   "  policy     learn mode: policy suggest, policy diff DRAFT.yaml\n"
		   "  help CMD   the manual of one command\n\n"
		   "exit status: 0 done, 1 the command failed, 2 usage, 3 protocol version\n"
		   "mismatch, 4 jg-control unreachable.\n");
}

static int
help(const char *cmd)
{
	for (const struct jg_help *h = jg_helps; h->cmd != NULL; h++)
		if (!strcmp(h->cmd, cmd)) {
			fputs(h->text, stdout);
			return JG_OK;
		}
	fprintf(stderr, "jgctl: no command '%s'\n", cmd);
	return JG_USAGE;
}

/* Read the status line, then copy the body to out. @return the server's code */
static int
read_answer(int fd, FILE *out)
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
	if (code != JG_OK) {
		fprintf(stderr, "jgctl: %s\n", strchr(buf + sizeof(JG_PROTO_MAGIC), ' ') ? strchr(buf + sizeof(JG_PROTO_MAGIC), ' ') + 1 : buf);
		out = stderr; /* the details of a failure (every error of a rejected file) */
	}
	fwrite(nl + 1, 1, have - (size_t)(nl + 1 - buf), out);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	return code;
}

/* One request, its answer's body to out. @return the server's code, or JG_UNREACHABLE */
static int
transact(const char *path, const char *req, size_t len, FILE *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, code;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "jgctl: socket path too long\n");
		return JG_USAGE;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "jgctl: cannot reach jg-control at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return JG_UNREACHABLE;
	}
	if (write(fd, req, len) != (ssize_t)len) {
		fprintf(stderr, "jgctl: write: %s\n", strerror(errno));
		close(fd);
		return JG_UNREACHABLE;
	}
	code = read_answer(fd, out);
	close(fd);
	return code;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * `events --follow`: ask again every second for what came after the last id
 * the server reported (its #cursor line), print the new rows without repeating
 * the table header.
 */
static int
follow(const char *path, const char *req, size_t len)
{
	char next[JG_PROTO_MAX_REQ + 64];
	unsigned long long cursor = 0;
	int first = 1;

	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	while (!interrupted) {
		char *body = NULL, *line, *save = NULL;
		size_t blen = 0, n;
		FILE *mem = open_memstream(&body, &blen);
		int code;

		if (mem == NULL)
			return JG_ERR;
		/* req ends with "\n": insert the cursor arguments before it */
		if (first)
			n = (size_t)snprintf(next, sizeof(next), "%.*s --cursor\n", (int)(len - 1), req);
		else
			n = (size_t)snprintf(next, sizeof(next), "%.*s --cursor --after-id %llu\n", (int)(len - 1), req,
					     cursor);
		code = transact(path, next, n, mem);
		fclose(mem);
		if (code != JG_OK) {
			free(body);
			return code;
		}
		for (line = strtok_r(body, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, JG_PROTO_CURSOR " ", sizeof(JG_PROTO_CURSOR)))
				cursor = strtoull(line + sizeof(JG_PROTO_CURSOR), NULL, 10);
			else if (first || strncmp(line, "ID ", 3) != 0)
				puts(line);
		}
		fflush(stdout);
		free(body);
		first = 0;
		for (int i = 0; i < 10 && !interrupted; i++)
			usleep(100000);
	}
	return JG_OK;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("JGCTL_SOCKET");
	char req[JG_PROTO_MAX_REQ];
	size_t len;
	int i = 1, follow_mode = 0;

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
	for (int k = i; k < argc; k++) {
		/* Arguments are words: the protocol has no quoting, so refuse what it cannot carry. */
		if (argv[k][0] == '\0' || strpbrk(argv[k], " \t\r\n") != NULL) {
			fprintf(stderr, "jgctl: argument '%s' contains whitespace\n", argv[k]);
			return JG_USAGE;
		}
		if (!strcmp(argv[k], "--follow") && !strcmp(argv[i], "events")) {
			follow_mode = 1;
			continue;
		}
		/* the draft is read by jg-control, whose working directory is not ours */
		if (k == i + 2 && !strcmp(argv[i], "policy") && !strcmp(argv[i + 1], "diff") && argv[k][0] != '-') {
			char abs[PATH_MAX];

			if (realpath(argv[k], abs) == NULL) {
				fprintf(stderr, "jgctl: %s: %s\n", argv[k], strerror(errno));
				return JG_ERR;
			}
			len += (size_t)snprintf(req + len, len < sizeof(req) ? sizeof(req) - len : 0, " %s", abs);
			continue;
		}
		/* a followed JSON stream is JSON lines, not one array */
		len += (size_t)snprintf(req + len, len < sizeof(req) ? sizeof(req) - len : 0, " %s", argv[k]);
	}
	if (follow_mode && strstr(req, " --json") != NULL)
		len += (size_t)snprintf(req + len, len < sizeof(req) ? sizeof(req) - len : 0, " --lines");
	if (len + 1 >= sizeof(req)) {
		fprintf(stderr, "jgctl: request too long\n");
		return JG_USAGE;
	}
	req[len++] = '\n';
	if (follow_mode)
		return follow(path, req, len);
	return transact(path, req, len, stdout);
}
