/* SPDX-License-Identifier: BSD-3-Clause */
/* The eight-at-a-time Internet checksum against RFC 1071's word-by-word definition. */
#include <stdlib.h>

#include "cksum.h"
#include "jg_test.h"

/* RFC 1071 as written: big-endian 16-bit words, an odd last byte padded with zero, folded. */
static uint16_t
reference(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
main(void)
{
	static uint8_t buf[4096];
	unsigned int r = 12345;

	for (int round = 0; round < 2000; round++) {
		uint32_t len = round % 2 ? r % 4000 : (uint32_t)round, off = r % 7;
		uint16_t got, want;

		for (uint32_t i = 0; i < sizeof(buf); i++) {
			r = r * 1103515245u + 12345u;
			buf[i] = (uint8_t)(round % 5 == 0 ? 0xff : r >> 16); /* all-ones buffers: the carries */
		}
		if (len + off > sizeof(buf))
			len = sizeof(buf) - off;
		got = jg_cksum_fold(jg_cksum_add(0, buf + off, len));
		want = reference(buf + off, len);
		CHECK((uint16_t)(got << 8 | got >> 8) == want); /* native little-endian words: the sum byte-swapped */
		got = jg_cksum_fold(jg_cksum_add_scalar(0, buf + off, len));
		CHECK((uint16_t)(got << 8 | got >> 8) == want);
		if (__builtin_cpu_supports("avx2")) {
			got = jg_cksum_fold(jg_cksum_add_avx2(0, buf + off, len));
			CHECK((uint16_t)(got << 8 | got >> 8) == want);
		}
	}
	/* a verified header folds to 0xffff: an IPv4 header with its checksum filled in */
	{
		uint8_t ip[20] = { 0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
		uint16_t c = (uint16_t)~reference(ip, 20);

		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		CHECK(jg_cksum_fold(jg_cksum_add(0, ip, 20)) == 0xffff);
		ip[15] ^= 1;
		CHECK(jg_cksum_fold(jg_cksum_add(0, ip, 20)) != 0xffff);
	}
	return jg_test_done();
}
