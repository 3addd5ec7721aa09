/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small blocking Redis client for `jumpgate fleet` (RESP2): commands as
 * arrays of bulk strings, replies parsed into a tree. Every read, write and
 * the connect have a timeout; a reply nested deeper than 8, or with an array
 * or string longer than the bounds, or not well formed, is an error.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <unistd.h>

#include "jg_config.h"
#include "resp.h"

#define MAX_DEPTH 8
#define MAX_ELEMS (1u << 20)
#define MAX_BULK (64u << 20)

int
jg_resp_connect(struct jg_resp *r, const char *hostport, char *err, size_t cap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *p;
	struct timeval tv = { 10, 0 };
	char host[256], port[8];
	uint16_t pn;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (jg_hostport_split(hostport, host, sizeof(host), &pn) != 0) {
		snprintf(err, cap, "%s: expected host:port", hostport);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", pn);
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, cap, "%s: %s", hostport, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (p = ai; p != NULL && r->fd < 0; p = p->ai_next) {
		int one = 1;

		r->fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (r->fd < 0)
			continue;
		/* the timeouts bound the connect too (SO_SNDTIMEO) */
		setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(r->fd, p->ai_addr, p->ai_addrlen) != 0) {
			close(r->fd);
			r->fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (r->fd < 0) {
		snprintf(err, cap, "%s: %s", hostport, strerror(errno));
		return -ECONNREFUSED;
	}
	return 0;
}

void
jg_resp_close(struct jg_resp *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int
jg_resp_command(struct jg_resp *r, int argc, const char *const *argv)
{
	size_t cap = 32, n = 0;
	char *buf;
	int rc = 0;

	for (int i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 32;
	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	/* one write per command: no wait between its pieces (Nagle, delayed ACK) */
	n += (size_t)snprintf(buf + n, cap - n, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		n += (size_t)snprintf(buf + n, cap - n, "$%zu\r\n", len);
		memcpy(buf + n, argv[i], len);
		n += len;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	for (size_t off = 0; off < n && rc == 0;) {
		ssize_t k = send(r->fd, buf + off, n - off, MSG_NOSIGNAL);

		if (k <= 0)
			rc = -EIO;
		else
			off += (size_t)k;
	}
	free(buf);
	return rc;
}

static int
fill(struct jg_resp *r)
{
	ssize_t n;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == sizeof(r->buf))
		return -ENOBUFS;
	n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	r->len += (size_t)n;
	return 0;
}

/* One CRLF-terminated line, without its CRLF (in the buffer: valid until the next read). */
static int
line(struct jg_resp *r, char **out, size_t *n)
{
	for (;;) {
		char *s = r->buf + r->pos, *e = memchr(s, '\n', r->len - r->pos);

		if (e != NULL && (e == s || e[-1] != '\r'))
			return -EIO; /* a bare LF: not RESP */
		if (e != NULL) {
			*out = s;
			*n = (size_t)(e - 1 - s);
			r->pos = (size_t)(e + 1 - r->buf);
			return 0;
		}
		if (fill(r) != 0)
			return -EIO;
	}
}

static int
take(struct jg_resp *r, char *dst, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t k;

		if (r->pos == r->len && fill(r) != 0)
			return -EIO;
		k = r->len - r->pos < n - got ? r->len - r->pos : n - got;
		memcpy(dst + got, r->buf + r->pos, k);
		r->pos += k;
		got += k;
	}
	return 0;
}

static int
parse(struct jg_resp *r, struct jg_resp_val *v, int depth)
{
	char *s, *end;
	size_t n;
	long long x;

	memset(v, 0, sizeof(*v));
	if (depth > MAX_DEPTH || line(r, &s, &n) != 0 || n == 0)
		return -EIO;
	v->type = s[0];
	if (v->type == '+' || v->type == '-') {
		v->str = malloc(n);
		if (v->str == NULL)
			return -ENOMEM;
		memcpy(v->str, s + 1, n - 1);
		v->str[n - 1] = '\0';
		v->len = n - 1;
		return 0;
	}
	s[n] = '\0';
	if (n < 2 || !(s[1] == '-' || (s[1] >= '0' && s[1] <= '9')))
		return -EIO;
	x = strtoll(s + 1, &end, 10);
	if (*end != '\0')
		return -EIO;
	v->num = x;
	if (v->type == ':')
		return 0;
	if (v->type == '$') {
		if (x < 0) {
			v->nil = 1;
			return 0;
		}
		if ((unsigned long long)x > MAX_BULK || (v->str = malloc((size_t)x + 1)) == NULL)
			return -ENOMEM;
		char crlf[2];

		if (take(r, v->str, (size_t)x) != 0 || take(r, crlf, 2) != 0 || crlf[0] != '\r' || crlf[1] != '\n')
			return -EIO;
		v->str[x] = '\0';
		v->len = (size_t)x;
		return 0;
	}
	if (v->type == '*') {
		if (x < 0) {
			v->nil = 1;
			return 0;
		}
		if ((unsigned long long)x > MAX_ELEMS || (v->elem = calloc((size_t)x + 1, sizeof(*v->elem))) == NULL)
			return -ENOMEM;
		v->n = (size_t)x;
		for (size_t i = 0; i < v->n; i++)
			if (parse(r, &v->elem[i], depth + 1) != 0)
				return -EIO;
		return 0;
	}
	return -EIO;
}

int
jg_resp_reply(struct jg_resp *r, struct jg_resp_val *v)
{
	int rc = parse(r, v, 0);

	if (rc != 0)
		jg_resp_free(v);
	return rc;
}

void
jg_resp_free(struct jg_resp_val *v)
{
	for (size_t i = 0; i < v->n; i++)
		jg_resp_free(&v->elem[i]);
	free(v->elem);
	free(v->str);
	memset(v, 0, sizeof(*v));
}
