/* SPDX-License-Identifier: BSD-3-Clause */
#include "jg_fmt.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
jg_buf_init(struct jg_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	b->len = 0;
	if (cap)
		mem[0] = '\0';
}

void
jg_buf_printf(struct jg_buf *b, const char *fmt, ...)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

void
jg_buf_put(struct jg_buf *b, const char *s, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->p + b->len, s, n);
		b->p[b->len + n] = '\0';
	} else if (b->len < b->cap) {
		b->p[b->len] = '\0';
	}
	b->len += n;
}

void
jg_buf_json_str(struct jg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7];

	jg_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jg_buf_put(b, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes from the wire are not trusted to be UTF-8: escape them all. */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			jg_buf_put(b, esc, 6);
		} else {
			jg_buf_put(b, (const char *)&s[i], 1);
		}
	}
	jg_buf_put(b, "\"", 1);
}

int
jg_buf_ok(const struct jg_buf *b)
{
	return b->len < b->cap;
}

size_t
jg_fmt_time(char *out, size_t cap, uint64_t unix_ns)
{
	time_t sec = (time_t)(unix_ns / 1000000000u);
	unsigned int usec = (unsigned int)((unix_ns % 1000000000u) / 1000u);
	struct tm tm;
	int n;

	if (cap < 28 || gmtime_r(&sec, &tm) == NULL)
		return 0;
	n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

char *
jg_fmt_ip(char *out, size_t cap, const uint8_t addr[16], unsigned int version)
{
	if (inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)cap) == NULL && cap)
		out[0] = '\0';
	return out;
}

uint64_t
jg_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
jg_unix_ns(void)
{
	return jg_clock_ns(CLOCK_REALTIME);
}

char *
jg_fmt_printable(char *out, size_t cap, const char *in, const char *also)
{
	size_t n = 0;

	if (cap == 0)
		return out;
	for (; in[n] && n + 1 < cap; n++) {
		unsigned char c = (unsigned char)in[n];

		out[n] = c > 0x20 && c < 0x7f && (also == NULL || strchr(also, c) == NULL) ? (char)c : '?';
	}
	out[n] = '\0';
	return out;
}
