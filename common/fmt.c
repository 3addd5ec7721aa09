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

/* Write v as exactly `width` decimal digits (the low ones). */
static void
digits(char *out, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

void
jg_buf_u64(struct jg_buf *b, uint64_t v)
{
	char d[20];
	int n = 0;

	do
		d[19 - n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	jg_buf_put(b, d + 20 - n, (size_t)n);
}

/*
 * The civil date of a day counted from 1970-01-01 (H. Hinnant's days_from_civil,
 * inverted): gmtime_r() takes glibc's time-zone lock at every call, and a
 * replay's end formats two times for each of a hundred thousand flows.
 */
static void
civil_from_days(uint64_t days, uint64_t *y, unsigned int *m, unsigned int *d)
{
	uint64_t z = days + 719468, era = z / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

size_t
jg_fmt_time(char *out, size_t cap, uint64_t unix_ns)
{
	uint64_t sec = unix_ns / 1000000000u, y;
	unsigned int mon, day, tod = (unsigned int)(sec % 86400);

	if (cap < 28)
		return 0;
	civil_from_days(sec / 86400, &y, &mon, &day);
	/* 2017-12-20T15:04:05.123456Z */
	digits(out, y, 4);
	out[4] = '-';
	digits(out + 5, mon, 2);
	out[7] = '-';
	digits(out + 8, day, 2);
	out[10] = 'T';
	digits(out + 11, tod / 3600, 2);
	out[13] = ':';
	digits(out + 14, tod / 60 % 60, 2);
	out[16] = ':';
	digits(out + 17, tod % 60, 2);
	out[19] = '.';
	digits(out + 20, unix_ns % 1000000000u / 1000u, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return 27;
}

char *
jg_fmt_ip(char *out, size_t cap, const uint8_t addr[16], unsigned int version)
{
	if (version == 4 && cap >= 16) { /* glibc's inet_ntop formats IPv4 with sprintf */
		char *o = out;

		for (int i = 0; i < 4; i++) {
			unsigned int v = addr[i];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return out;
	}
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
