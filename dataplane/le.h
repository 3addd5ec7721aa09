/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Little-endian reads for protocol parsers (SMB, DCE-RPC, NTLM). Callers check
 * bounds first; these only assemble bytes.
 */
#ifndef JG_LE_H
#define JG_LE_H

#include <stdint.h>

static inline uint16_t
jg_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
jg_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
jg_le64(const uint8_t *p)
{
	return (uint64_t)jg_le32(p) | (uint64_t)jg_le32(p + 4) << 32;
}

#endif
