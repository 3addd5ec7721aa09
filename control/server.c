/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator socket. One request per connection (see jg_proto.h). A client
 * gets a short receive timeout so a stuck peer cannot stall ring draining.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#define CLIENT_TIMEOUT_MS 300

int
jg_server_open(struct jg_control *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct group *gr;
	char *slash;
	int fd;

	if (strlen(c->socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "jg-control: socket path too long: %s\n", c->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->socket_path);
	strcpy(dir, c->socket_path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "jg-control: cannot listen on %s: %s\n", sa.sun_path, strerror(errno));
		close(fd);
		return -errno;
	}
	/* Operators in the configured group may use jgctl without being root. */
	gr = c->cfg.socket_group[0] ? getgrnam(c->cfg.socket_group) : NULL;
	if (gr != NULL && chown(sa.sun_path, 0, gr->gr_gid) != 0 && geteuid() == 0)
		fprintf(stderr, "jg-control: chown %s: %s\n", sa.sun_path, strerror(errno));
	if (chmod(sa.sun_path, c->cfg.socket_mode) != 0)
		fprintf(stderr, "jg-control: chmod %s: %s\n", sa.sun_path, strerror(errno));
	c->listen_fd = fd;
	return 0;
}

void
jg_server_close(struct jg_control *c)
{
	if (c->listen_fd < 0)
		return;
	close(c->listen_fd);
	unlink(c->socket_path);
	c->listen_fd = -1;
}

static int
cmd_version(struct jg_control *c, int argc, char **argv, int json, struct jg_buf *out)
{
	(void)c;
	(void)argv;
	if (argc > 0) {
		jg_buf_printf(out, "version takes no argument but --json");
		return JG_USAGE;
	}
	if (json)
		jg_buf_printf(out, "{\"version\":\"%s\",\"protocol\":%d,\"wire\":%u}\n", JG_VERSION,
			      JG_PROTO_VERSION, JG_WIRE_VERSION);
	else
		jg_buf_printf(out, "jumpgate %s (protocol %d, wire %u)\n", JG_VERSION, JG_PROTO_VERSION,
			      JG_WIRE_VERSION);
	return JG_OK;
}

struct jg_cmd {
	const char *name;
	jg_cmd_fn fn;
};

static const struct jg_cmd cmds[] = {
	{ "status", jg_cmd_status },
	{ "version", cmd_version },
	{ "lateral", jg_cmd_lateral },
	{ "hosts", jg_cmd_hosts },
	{ "events", jg_cmd_events },
	{ "flows", jg_cmd_flows },
	{ "stats", jg_cmd_stats },
	{ "zones", jg_cmd_zones },
	{ "reload", jg_cmd_reload },
	{ "policy", jg_cmd_policy },
	{ NULL, NULL },
};

/* Split the request in place. @return argc, or -1 when it is not a valid request line */
static int
split(char *line, char **argv)
{
	int argc = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		if (argc == JG_PROTO_MAX_ARGS)
			return -1;
		argv[argc++] = t;
	}
	return argc;
}

static void
answer(struct jg_control *c, char *req, struct jg_buf *out, int *code, const char **msg)
{
	char *argv[JG_PROTO_MAX_ARGS], *args[JG_PROTO_MAX_ARGS];
	int argc = split(req, argv), json = 0, n = 0;
	const struct jg_cmd *cmd;
	static char reason[160];

	*code = JG_USAGE;
	*msg = "bad request";
	if (argc < 2)
		return;
	if (strcmp(argv[0], JG_PROTO_MAGIC) != 0) {
		*code = JG_BADVERSION;
		*msg = "unsupported protocol version (this server speaks " JG_PROTO_MAGIC ")";
		return;
	}
	for (cmd = cmds; cmd->name != NULL; cmd++)
		if (!strcmp(cmd->name, argv[1]))
			break;
	if (cmd->name == NULL) {
		*msg = "unknown command";
		return;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			args[n++] = argv[i];
	}
	*code = cmd->fn(c, n, args, json, out);
	if (*code == JG_OK) {
		*msg = "ok";
	} else {
		/* The command's first line is the reason (the status message); what follows
		 * it (every error of a rejected file, say) stays in the body. */
		size_t len = out->len < out->cap ? out->len : out->cap - 1;
		const char *nl = memchr(out->p, '\n', len);
		size_t first = nl != NULL ? (size_t)(nl - out->p) : len;

		snprintf(reason, sizeof(reason), "%.*s", (int)(first < sizeof(reason) ? first : sizeof(reason) - 1),
			 out->p);
		if (nl != NULL) {
			memmove(out->p, nl + 1, len - first - 1);
			out->len = len - first - 1;
		} else {
			out->len = 0;
		}
		*msg = reason;
	}
}

static void
serve_one(struct jg_control *c, int fd)
{
	static char body[JG_PROTO_MAX_RESP];
	char req[JG_PROTO_MAX_REQ + 1], head[160];
	struct timeval tv = { 0, CLIENT_TIMEOUT_MS * 1000 };
	struct jg_buf out;
	const char *msg;
	size_t got = 0;
	int code;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < JG_PROTO_MAX_REQ) {
		ssize_t n = recv(fd, req + got, JG_PROTO_MAX_REQ - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(req, '\n', got) != NULL)
			break;
	}
	req[got] = '\0';
	if (memchr(req, '\n', got) == NULL)
		return; /* no complete line: nothing to answer */
	*strchr(req, '\n') = '\0';
	jg_buf_init(&out, body, sizeof(body));
	answer(c, req, &out, &code, &msg);
	snprintf(head, sizeof(head), "%s %d %s\n", JG_PROTO_MAGIC, code, msg);
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
		return;
	if (out.len > 0 && send(fd, body, out.len < sizeof(body) ? out.len : sizeof(body) - 1, MSG_NOSIGNAL) < 0)
		return;
}

void
jg_server_poll(struct jg_control *c, int timeout_us)
{
	struct pollfd pfd = { .fd = c->listen_fd, .events = POLLIN };
	struct timespec ts = { timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000 };

	if (c->listen_fd < 0 || ppoll(&pfd, 1, &ts, NULL) <= 0)
		return;
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		serve_one(c, fd);
		close(fd);
	}
}
