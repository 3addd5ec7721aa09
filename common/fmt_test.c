/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jg_fmt.h"
#include "jg_test.h"
#include "jg_records.h"
#include "jg_wire.h"

static char line_buf[4096];

int
main(void)
{
	char mem[64], t[40], ip[64];
	struct jg_buf b;
	uint8_t v4[16] = { 192, 168, 10, 31 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	jg_buf_init(&b, mem, sizeof(mem));
	jg_buf_json_str(&b, "a\"b\\c\nd\x01\xff", 9);
	CHECK(strcmp(mem, "\"a\\\"b\\\\c\\u000ad\\u0001\\u00ff\"") == 0);
	CHECK(jg_buf_ok(&b));

	jg_buf_init(&b, mem, 8);
	jg_buf_printf(&b, "%s", "0123456789");
	CHECK(!jg_buf_ok(&b));
	CHECK(strlen(mem) == 7);

	CHECK(jg_fmt_time(t, sizeof(t), 1513782245123456789ull) == 27);
	CHECK(strcmp(t, "2017-12-20T15:04:05.123456Z") == 0);
	CHECK(jg_fmt_time(t, 10, 0) == 0);

	CHECK(strcmp(jg_fmt_ip(ip, sizeof(ip), v4, 4), "192.168.10.31") == 0);
	CHECK(strcmp(jg_fmt_ip(ip, sizeof(ip), v6, 6), "2001:db8::1") == 0);

	CHECK(strcmp(jg_counter_names[JG_CNT_RX], "rx") == 0);
	CHECK(strcmp(jg_event_names[JG_EV_ZONE_VIOLATION], "zone_violation") == 0);
	CHECK(strcmp(jg_tool_names[JG_TOOL_PAEXEC], "paexec") == 0);
	CHECK(strcmp(jg_flow_end_name(JG_FLOW_END_FLUSH), "end-of-input") == 0);
	CHECK(strcmp(jg_flow_end_name(99), "unknown") == 0);
	/* a file name written by an attacker cannot break out of its JSON string or its line */
	{
		struct jg_event_rec ev;
		char line[4096];
		size_t n;

		memset(&ev, 0, sizeof(ev));
		ev.type = JG_EV_TOOL_ARTIFACT;
		ev.ip_version = 4;
		jg_ev_str(&ev, JG_ATTR_FILE, "x\",\"tool\":\"none\"}\n{\"event\":\"forged\"\x1b[2J");
		n = jg_event_json(&ev, line, sizeof(line));
		CHECK(n > 0 && memchr(line, '\n', n) == NULL && memchr(line, 0x1b, n) == NULL);
		CHECK(strstr(line, "\"file\":\"x\\\",\\\"tool\\\":\\\"none\\\"}\\u000a{") != NULL);
		CHECK(strstr(line, "\"tool\":\"unknown\"") != NULL); /* the real tool field is untouched */
		CHECK(strcmp(jg_ev_get(&ev, JG_ATTR_FILE, line, sizeof(line)), "x\",\"tool\":\"none\"}\n{\"event\":\"forged\"\x1b[2J") == 0);
	}
	{
		char o[8];

		/* names from the wire: control bytes, spaces, non-ASCII and the chosen few become '?', cut to fit */
		CHECK(!strcmp(jg_fmt_printable(o, sizeof(o), "A\x1b[2J", NULL), "A?[2J"));
		CHECK(!strcmp(jg_fmt_printable(o, sizeof(o), "a b\"\\\xe9", "\"\\"), "a?b???"));
		CHECK(!strcmp(jg_fmt_printable(o, sizeof(o), "LONGNAME-1", NULL), "LONGNAM"));
		CHECK(!strcmp(jg_fmt_printable(o, sizeof(o), "", NULL), ""));
	}
	{
		struct jg_event_rec ev;
		char big[256], v[64];

		/* names and paths as long as a client can make them: the verdict still fits, whole */
		memset(&ev, 0, sizeof(ev));
		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		jg_ev_str(&ev, JG_ATTR_BINARY_PATH, big);
		jg_ev_str(&ev, JG_ATTR_SERVICE_NAME, big);
		jg_ev_str(&ev, JG_ATTR_DETAIL, big);
		jg_ev_str(&ev, JG_ATTR_SRC_ZONE, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
		jg_ev_str(&ev, JG_ATTR_DST_ZONE, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
		jg_ev_str(&ev, JG_ATTR_SERVICE, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		jg_ev_str(&ev, JG_ATTR_ACTION, "block");
		CHECK(!strcmp(jg_ev_get(&ev, JG_ATTR_ACTION, v, sizeof(v)), "block") &&
		      strlen(jg_ev_get(&ev, JG_ATTR_SRC_ZONE, v, sizeof(v))) == 31 &&
		      strlen(jg_ev_get(&ev, JG_ATTR_SERVICE, v, sizeof(v))) == 31 && ev.data_len <= JG_EVENT_DATA_LEN);
		CHECK(jg_ev_get(&ev, JG_ATTR_BINARY_PATH, v, sizeof(v))[0] == 'A'); /* the first long field whole or cut, kept */
	}
	{
		/* a field added to a JSON line: escaped, the line whole; what does not fit leaves it as it was */
		char line[64] = "{\"a\":1}";
		size_t n = jg_json_add_str(line, strlen(line), sizeof(line), "sensor", "s\"1");

		CHECK(n == strlen(line) && !strcmp(line, "{\"a\":1,\"sensor\":\"s\\\"1\"}"));
		CHECK(jg_json_add_str(line, n, n + 4, "more", "x") == n && !strcmp(line, "{\"a\":1,\"sensor\":\"s\\\"1\"}"));
		CHECK(jg_json_add_str(line, 0, sizeof(line), "k", "v") == 0);
	}
	{
		/* the printf-free formatters against libc's, on random values (seed printed) */
		unsigned int seed = (unsigned int)time(NULL);
		int bad_time = 0, bad_ip = 0, bad_num = 0, bad_dur = 0;

		printf("fmt_test: formatter seed %u\n", seed);
		srand(seed);
		for (int i = 0; i < 200000; i++) {
			uint64_t ns = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % 16000000000000000000ull;
			time_t sec = (time_t)(ns / 1000000000u);
			uint64_t v = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^ (uint64_t)rand();
			uint8_t a[16] = { (uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand() };
			char want[64], got[64];
			struct jg_flow_rec r;
			struct tm tm;

			if (i < 4) /* the edges: the epoch, leap days, the last second of a year */
				ns = (uint64_t[]){ 0, 951782400000000000ull, 4107542399999999999ull, 1709164800123456789ull }[i];
			sec = (time_t)(ns / 1000000000u);
			gmtime_r(&sec, &tm);
			snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned int)(ns % 1000000000u / 1000u));
			bad_time += jg_fmt_time(got, sizeof(got), ns) != 27 || strcmp(got, want) != 0;
			snprintf(want, sizeof(want), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
			bad_ip += strcmp(jg_fmt_ip(got, sizeof(got), a, 4), want) != 0;
			snprintf(want, sizeof(want), "%llu", (unsigned long long)(v >> (i % 64)));
			jg_buf_init(&b, got, sizeof(got));
			jg_buf_u64(&b, v >> (i % 64));
			bad_num += strcmp(got, want) != 0;
			/* a flow's duration: the microseconds %.6f would print (exact halves left out: the double is not) */
			memset(&r, 0, sizeof(r));
			r.first_ns = ns;
			r.last_ns = ns + v % 100000000000000ull;
			if ((r.last_ns - r.first_ns) % 1000 == 500)
				r.last_ns++;
			snprintf(want, sizeof(want), "\"duration\":%.6f,", (double)(r.last_ns - r.first_ns) / 1e9);
			jg_flow_json(&r, NULL, line_buf, sizeof(line_buf));
			bad_dur += strstr(line_buf, want) == NULL;
		}
		CHECK(bad_time == 0 && bad_ip == 0 && bad_num == 0 && bad_dur == 0);
		if (bad_time || bad_ip || bad_num || bad_dur)
			printf("fmt_test: wrong: %d times, %d addresses, %d numbers, %d durations\n", bad_time, bad_ip,
			       bad_num, bad_dur);
	}
	return jg_test_done();
}
