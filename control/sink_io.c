/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collectors' queue and connection. Nothing here waits: connect is
 * non-blocking, a socket that takes no more leaves the rest queued for the next
 * poll, a full queue refuses the record (the output counts the drop), and a lost
 * TCP connection is retried with a doubling back-off.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jg_config.h"
#include "sink_priv.h"

int
jg_sq_init(struct jg_sq *q, uint32_t max_records)
{
	memset(q, 0, sizeof(*q));
	q->slot = calloc(max_records, sizeof(q->slot[0]));
	if (q->slot == NULL)
		return -ENOMEM;
	q->cap = max_records;
	return 0;
}

struct jg_sq_msg *
jg_sq_push(struct jg_sq *q, const void *data, size_t len, uint32_t records)
{
	struct jg_sq_msg *m;

	if (q->n == q->cap || q->records + records > q->cap || len > UINT32_MAX)
		return NULL;
	m = malloc(sizeof(*m) + len);
	if (m == NULL)
		return NULL;
	m->len = (uint32_t)len;
	m->off = 0;
	m->records = records;
	m->tag = 0;
	memcpy(m->data, data, len);
	q->slot[(q->head + q->n) % q->cap] = m;
	q->n++;
	q->records += records;
	return m;
}

struct jg_sq_msg *
jg_sq_head(const struct jg_sq *q)
{
	return q->n ? q->slot[q->head] : NULL;
}

void
jg_sq_pop(struct jg_sq *q)
{
	if (q->n == 0)
		return;
	q->records -= q->slot[q->head]->records;
	free(q->slot[q->head]);
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

uint64_t
jg_sq_free(struct jg_sq *q)
{
	uint64_t left = q->records;

	while (q->n)
		jg_sq_pop(q);
	free(q->slot);
	q->slot = NULL;
	return left;
}

int
jg_conn_init(struct jg_conn *c, const char *name, const char *hostport, int tcp, struct jg_sink_stats *st,
	     const struct jg_conn_ops *ops, void *ctx, char *err, size_t err_cap)
{
	struct addrinfo hints = { .ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM }, *res = NULL;
	char host[JG_CFG_STR], port_s[8];
	uint16_t port;
	int rc;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->tcp = tcp;
	c->fd = -1;
	c->st = st;
	c->ops = ops;
	c->ctx = ctx;
	c->backoff_ns = JG_CONN_BACKOFF_MIN_NS;
	c->budget = tcp ? 256 : 32;
	if (jg_hostport_split(hostport, host, sizeof(host), &port) != 0) {
		snprintf(err, err_cap, "%s: not host:port", hostport);
		return -EINVAL;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(err, err_cap, "%s: %s", hostport, rc ? gai_strerror(rc) : "no address");
		return -EHOSTUNREACH;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void
jg_conn_fail(struct jg_conn *c, uint64_t now_ns)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = JG_CONN_DOWN;
	c->st->connected = 0;
	c->st->errors++;
	c->retry_ns = now_ns + c->backoff_ns;
	c->backoff_ns = c->backoff_ns * 2 < JG_CONN_BACKOFF_MAX_NS ? c->backoff_ns * 2 : JG_CONN_BACKOFF_MAX_NS;
	c->hello_off = 0;
	c->in_len = 0;
}

static void
up(struct jg_conn *c)
{
	c->state = JG_CONN_UP;
	c->st->connected = 1;
	c->st->reconnects++;
	c->backoff_ns = JG_CONN_BACKOFF_MIN_NS;
	c->hello_off = 0;
	c->in_len = 0;
	if (c->ops->connected != NULL)
		c->ops->connected(c->ctx);
}

/* UDP: connect() only sets the peer (and lets ICMP errors be reported), it never waits. */
static void
start_connect(struct jg_conn *c, uint64_t now_ns)
{
	c->fd = socket(c->addr.ss_family, (c->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		jg_conn_fail(c, now_ns);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&c->addr, c->addr_len) == 0) {
		up(c);
	} else if (errno == EINPROGRESS) {
		c->state = JG_CONN_CONNECTING;
		c->retry_ns = now_ns + JG_CONN_CONNECT_NS;
	} else {
		jg_conn_fail(c, now_ns);
	}
}

static void
check_connect(struct jg_conn *c, uint64_t now_ns)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) <= 0) {
		if (now_ns >= c->retry_ns)
			jg_conn_fail(c, now_ns);
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
		jg_conn_fail(c, now_ns);
	else
		up(c);
}

/* Replies and closes: a TCP peer that closes is noticed here, not at the next write. */
static void
read_input(struct jg_conn *c, uint64_t now_ns)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		size_t used;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			jg_conn_fail(c, now_ns);
			return;
		}
		c->in_len += (uint32_t)n;
		used = c->ops->input != NULL ? c->ops->input(c->ctx, c->in, c->in_len) : c->in_len;
		if (used == 0 && c->in_len == sizeof(c->in)) {
			jg_conn_fail(c, now_ns); /* a reply larger than we ever expect */
			return;
		}
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= (uint32_t)used;
	}
}

/* @return bytes written (0: would block), or -1 after a failure */
static ssize_t
write_some(struct jg_conn *c, const uint8_t *p, size_t n, uint64_t now_ns)
{
	int refused = 0;

	for (;;) {
		ssize_t w = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w >= 0)
			return w;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		if (!c->tcp && errno == ECONNREFUSED && !refused++) {
			/* An earlier datagram's ICMP error, reported now; this one was not sent. */
			c->st->errors++;
			continue;
		}
		if (!c->tcp && errno == ECONNREFUSED)
			return 0;
		if (c->tcp) {
			jg_conn_fail(c, now_ns);
			return -1;
		}
		c->st->errors++;
		return -2; /* this datagram cannot be sent (too large, ...): drop it */
	}
}

static void
write_queue(struct jg_conn *c, struct jg_sq *q, uint64_t now_ns)
{
	struct jg_sq_msg *m;

	while (c->hello_off < c->hello_len) {
		ssize_t w = write_some(c, c->hello + c->hello_off, c->hello_len - c->hello_off, now_ns);

		if (w == -2)
			w = c->hello_len - c->hello_off;
		if (w <= 0)
			return;
		c->hello_off += c->tcp ? (uint32_t)w : c->hello_len - c->hello_off;
	}
	if (!c->tcp) {
		/* a datagram hello goes once; datagrams are paced (tokens) */
		uint64_t ms = now_ns > c->tokens_ns ? (now_ns - c->tokens_ns) / 1000000u : 0;

		if (ms > 0 || now_ns < c->tokens_ns) {
			uint64_t t = c->tokens + ms * JG_CONN_UDP_PER_MS;

			c->tokens = t < JG_CONN_UDP_BURST ? (uint32_t)t : JG_CONN_UDP_BURST;
			c->tokens_ns = now_ns < c->tokens_ns ? now_ns : c->tokens_ns + ms * 1000000u;
		}
		c->hello_len = c->hello_off = 0;
	}
	for (uint32_t k = 0; k < c->budget && (m = jg_sq_head(q)) != NULL; k++) {
		ssize_t w;

		if (!c->tcp && c->tokens == 0)
			return;
		if (m->off == 0 && c->ops->prepare != NULL)
			c->ops->prepare(c->ctx, m);
		w = write_some(c, m->data + m->off, m->len - m->off, now_ns);
		if (w == -2) {
			c->st->dropped += m->records;
			jg_sq_pop(q);
			continue;
		}
		if (w <= 0)
			return;
		m->off = c->tcp ? m->off + (uint32_t)w : m->len;
		if (m->off < m->len)
			return;
		if (!c->tcp)
			c->tokens--;
		c->st->sent += m->records;
		if (c->ops->written != NULL)
			c->ops->written(c->ctx, m);
		jg_sq_pop(q);
	}
}

void
jg_conn_poll(struct jg_conn *c, struct jg_sq *q, uint64_t now_ns)
{
	struct jg_sq_msg *m = jg_sq_head(q);

	if (c->state == JG_CONN_DOWN) {
		if (now_ns < c->retry_ns)
			goto out;
		/* Half a message went to a connection that is gone: all of it goes again. */
		if (m != NULL)
			m->off = 0;
		start_connect(c, now_ns);
	}
	if (c->state == JG_CONN_CONNECTING)
		check_connect(c, now_ns);
	if (c->state != JG_CONN_UP)
		goto out;
	if (c->tcp)
		read_input(c, now_ns);
	if (c->state == JG_CONN_UP)
		write_queue(c, q, now_ns);
out:
	c->st->queued = q->records;
}

static uint64_t
mono_ns(void)
{
	return jg_clock_ns(CLOCK_MONOTONIC);
}

void
jg_conn_finish(struct jg_conn *c, struct jg_sq *q, uint64_t deadline_ns, int (*done)(void *ctx))
{
	uint64_t end = mono_ns() + deadline_ns;
	int tried = 0;

	c->budget = c->tcp ? 1024 : 16;
	while (mono_ns() < end) {
		uint64_t now = jg_unix_ns();

		if (c->state == JG_CONN_DOWN) {
			/* One more try, whatever the back-off says; a collector still gone gets no more. */
			if (tried++)
				break;
			c->retry_ns = 0;
		}
		jg_conn_poll(c, q, now);
		if (c->state == JG_CONN_UP && q->n == 0 && c->hello_off == c->hello_len &&
		    (done == NULL || done(c->ctx)))
			break;
		if (c->fd >= 0) {
			struct pollfd p = { .fd = c->fd,
					    .events = (short)(POLLIN | (c->state != JG_CONN_UP || q->n ? POLLOUT : 0)) };

			/* UDP: a short pause paces the datagrams a collector has to take in. */
			if (c->tcp)
				poll(&p, 1, 10);
			else
				usleep(1000);
		}
	}
	c->st->dropped += jg_sq_free(q);
	c->st->queued = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st->connected = 0;
	/* no loss goes unsaid, also when nobody asks jgctl any more */
	if (c->st->dropped != 0)
		fprintf(stderr, "jg-control: output %s: %llu records sent, %llu dropped (queue full or collector gone), %llu errors\n",
			c->name, (unsigned long long)c->st->sent, (unsigned long long)c->st->dropped,
			(unsigned long long)c->st->errors);
}
