/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Formatting helpers shared by the control plane, the CLI and the launcher:
 * a bounded string builder, JSON string escaping, RFC 3339 times, IP addresses.
 * None of them allocates; all of them truncate safely and report it.
 */
#ifndef JG_FMT_H
#define JG_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** A bounded output buffer. `len` may exceed `cap` after truncation (like snprintf). */
struct jg_buf {
	char *p;
	size_t cap;
	size_t len;
};

/** Start an empty buffer over caller memory (cap >= 1). */
void jg_buf_init(struct jg_buf *b, char *mem, size_t cap);
/** Append printf-style text. */
void jg_buf_printf(struct jg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append raw bytes. */
void jg_buf_put(struct jg_buf *b, const char *s, size_t n);
/** Append a string literal. */
#define jg_buf_lit(b, s) jg_buf_put((b), "" s, sizeof(s) - 1)
/** Append a number in decimal (no printf: flow records are formatted by the hundred thousand). */
void jg_buf_u64(struct jg_buf *b, uint64_t v);
/** Append a JSON string literal (with quotes) escaping every control, quote and non-ASCII byte. */
void jg_buf_json_str(struct jg_buf *b, const char *s, size_t n);
/** @return 1 when everything appended fitted. */
int jg_buf_ok(const struct jg_buf *b);

/**
 * Format Unix nanoseconds as RFC 3339 UTC with microseconds: 2017-12-20T15:04:05.123456Z.
 * @return chars written (27), or 0 when out is too small.
 */
size_t jg_fmt_time(char *out, size_t cap, uint64_t unix_ns);

/**
 * A name from the wire, fit for a terminal or a quoted label: every byte that is
 * not printable ASCII (a space included), or is one of `also`, becomes '?'.
 * @return out
 */
char *jg_fmt_printable(char *out, size_t cap, const char *in, const char *also);

/**
 * Format an address: IPv4 from the first four bytes when version is 4, IPv6
 * (RFC 5952) otherwise. @return out
 */
char *jg_fmt_ip(char *out, size_t cap, const uint8_t addr[16], unsigned int version);

/** Unix time now, ns (CLOCK_REALTIME). */
uint64_t jg_unix_ns(void);

/** A clock's time now, ns. */
uint64_t jg_clock_ns(clockid_t clock);

#endif
