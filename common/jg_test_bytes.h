/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Byte writers for unit tests that craft protocol messages: little-endian
 * integers and UTF-16LE strings.
 */
#ifndef JG_TEST_BYTES_H
#define JG_TEST_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void
w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v);
	w16(p + 2, (uint16_t)(v >> 16));
}

/** Write s as UTF-16LE (no terminator). @return bytes written */
static inline size_t
u16s(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		p[2 * i] = (uint8_t)s[i];
		p[2 * i + 1] = 0;
	}
	return 2 * n;
}

#endif
