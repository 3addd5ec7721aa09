/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Redis output without EAL: RESP commands byte for byte, replies split at any
 * byte, and the sink against a fake server in this test (AUTH first, XADD
 * fields, an error reply counted, a lost connection reconnected).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jg_config.h"
#include "jg_records.h"
#include "jg_test.h"
#include "sink_priv.h"

static void
test_command(void)
{
	const char *argv[3] = { "XADD", "s", "a\r\n*1\r\n$4\r\nQUIT" };
	size_t lens[3] = { 4, 1, strlen(argv[2]) };
	uint8_t out[128];
	size_t n = jg_resp_command(out, sizeof(out), 3, argv, lens);
	static const char want[] = "*3\r\n$4\r\nXADD\r\n$1\r\ns\r\n$15\r\na\r\n*1\r\n$4\r\nQUIT\r\n";

	CHECK(n == sizeof(want) - 1 && !memcmp(out, want, n));
	CHECK(jg_resp_command(out, 20, 3, argv, lens) == 0);
}

static void
test_replies(void)
{
	static const struct {
		const char *in;
		long len;
		int err;
	} cases[] = {
		{ "+OK\r\n", 5, 0 },
		{ "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", 68, 1 },
		{ ":42\r\n", 5, 0 },
		{ "$-1\r\n", 5, 0 },
		{ "$15\r\n1700000000000-0\r\n", 22, 0 },
		{ "*2\r\n$1\r\na\r\n:5\r\n", 15, 0 },
		{ "*-1\r\n", 5, 0 },
		{ "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", -1, 0 }, /* nested too deep */
		{ "$3\r\nabcd\r\n", -1, 0 },                      /* length lies */
		{ "?what\r\n", -1, 0 },
		{ ":x\r\n", -1, 0 },
		{ "+OK\n", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		int err = 0;
		long len = jg_resp_reply((const uint8_t *)cases[i].in, n, &err);

		CHECK(len == cases[i].len);
		if (len != cases[i].len)
			fprintf(stderr, "  case %zu: %ld\n", i, len);
		if (len > 0) {
			CHECK(err == cases[i].err);
			/* every prefix is incomplete, never an error */
			for (size_t k = 0; k < n; k++)
				CHECK(jg_resp_reply((const uint8_t *)cases[i].in, k, &err) == 0);
		}
	}
}

static struct jg_event_rec ev;
static struct jg_alert alert;
static char json[1024];

static int
listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    listen(fd, 4) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* What the server has read so far from one connection. */
static size_t
slurp(int fd, char *buf, size_t cap, size_t have, size_t want)
{
	for (int i = 0; i < 200 && have < want; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = recv(fd, buf + have, cap - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	return have;
}

static void
pump(struct jg_sink *s, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		s->poll(s, jg_unix_ns());
		usleep(1000);
	}
}

static void
test_sink(void)
{
	static struct jg_config cfg;
	static struct jg_flow_rec fr;
	uint16_t port = 0;
	int lfd = listener(&port), cfd;
	struct jg_sink *s;
	char buf[8192];
	size_t got;

	jg_config_defaults(&cfg);
	cfg.out_redis.enabled = 1;
	strcpy(cfg.out_redis.stream, "alerts");
	strcpy(cfg.out_redis.flows_stream, "flows");
	strcpy(cfg.out_redis.password, "pw");
	cfg.out_redis.maxlen = 500;
	snprintf(cfg.out_redis.server, sizeof(cfg.out_redis.server), "127.0.0.1:%u", port);
	s = jg_redis_open(&cfg);
	CHECK(s != NULL && s->flow != NULL && s->alert != NULL);
	if (s == NULL)
		return;
	ev.type = JG_EV_ZONE_VIOLATION;
	ev.ip_version = 4;
	memcpy(ev.src_ip, "\x0a\0\0\x01", 4);
	memcpy(ev.dst_ip, "\x0a\0\0\x02", 4);
	alert.ev = &ev;
	alert.id = 3;
	alert.count = 1;
	alert.json = json;
	alert.json_len = jg_event_json(&ev, json, sizeof(json));
	s->alert(s, &alert);
	fr.ip_version = 4;
	s->flow(s, &fr, "{\"f\":1}", 7);
	pump(s, 5);
	CHECK(s->st.sent == 2 && s->st.connected == 1 && s->st.reconnects == 1);
	cfd = accept(lfd, NULL, NULL);
	got = slurp(cfd, buf, sizeof(buf) - 1, 0, 1000);
	buf[got] = '\0';
	/* AUTH first, then the two XADDs with their fields */
	CHECK(!strncmp(buf, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", 22));
	CHECK(strstr(buf, "$4\r\nXADD\r\n$6\r\nalerts\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n$3\r\n500\r\n$1\r\n*\r\n$5\r\nevent\r\n") !=
	      NULL);
	CHECK(strstr(buf, "$4\r\ntype\r\n$14\r\nzone_violation\r\n$3\r\nsrc\r\n$8\r\n10.0.0.1\r\n") != NULL);
	CHECK(strstr(buf, "$8\r\nalert_id\r\n$1\r\n3\r\n$5\r\ncount\r\n$1\r\n1\r\n") != NULL);
	CHECK(strstr(buf, "$5\r\nflows\r\n") != NULL && strstr(buf, "$4\r\nflow\r\n$7\r\n{\"f\":1}\r\n") != NULL);
	/* replies, split across writes: OK, an id, an error */
	CHECK(send(cfd, "+OK\r\n$15\r\n1700000000000-0\r\n-WRONG", 33, 0) == 33);
	pump(s, 3);
	CHECK(s->st.errors == 0);
	CHECK(send(cfd, "TYPE Operation against a key holding the wrong kind of value\r\n", 62, 0) == 62);
	pump(s, 3);
	CHECK(s->st.errors == 1 && s->st.connected == 1);
	/* the server goes away: noticed without a write, reconnected after the back-off, AUTH again */
	close(cfd);
	pump(s, 3);
	CHECK(s->st.connected == 0);
	pump(s, 300);
	CHECK(s->st.connected == 1 && s->st.reconnects == 2);
	s->alert(s, &alert);
	pump(s, 3);
	cfd = accept(lfd, NULL, NULL);
	got = slurp(cfd, buf, sizeof(buf) - 1, 0, 30);
	CHECK(got > 22 && !strncmp(buf, "*2\r\n$4\r\nAUTH\r\n", 14));
	CHECK(send(cfd, "+OK\r\n$3\r\n1-0\r\n", 14, 0) == 14);
	s->close(s); /* waits for the replies it is owed, then closes */
	got = slurp(cfd, buf, sizeof(buf), 0, 1);
	CHECK(got == 0); /* closed, nothing more */
	close(cfd);
	close(lfd);
}

int
main(void)
{
	test_command();
	test_replies();
	test_sink();
	return jg_test_done();
}
