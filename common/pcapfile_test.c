/* SPDX-License-Identifier: BSD-3-Clause */
/* Classic pcap read in place: headers of every kind, records whole, cut and impossible. */
#include <string.h>

#include "jg_pcapfile.h"
#include "jg_test.h"

static void
w32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A header, then records of the given lengths (frame bytes = their index). @return file size */
static size_t
file(uint8_t *f, uint32_t magic, const uint32_t *lens, int n)
{
	size_t off = JG_PCAPF_HDR;

	memset(f, 0, JG_PCAPF_HDR);
	w32(f, magic);
	f[4] = 2;
	f[6] = 4;
	w32(f + 16, 65535);
	w32(f + 20, 1);
	for (int i = 0; i < n; i++) {
		w32(f + off, 1700000000u + (uint32_t)i);
		w32(f + off + 4, 999999);
		w32(f + off + 8, lens[i]);
		w32(f + off + 12, lens[i] + 4);
		memset(f + off + 16, i, lens[i]);
		off += 16 + lens[i];
	}
	return off;
}

static void
test_headers(void)
{
	static uint8_t f[64];
	struct jg_pcapf h;

	file(f, 0xa1b2c3d4u, NULL, 0);
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR, &h) == 0 && !h.nsec && h.linktype == 1 && h.snaplen == 65535);
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR - 1, &h) == -1);
	file(f, 0xa1b23c4du, NULL, 0);
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR, &h) == 0 && h.nsec);
	w32(f + 20, 0x10000001u); /* FCS bits above the link type */
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR, &h) == 0 && h.linktype == 1);
	file(f, 0xd4c3b2a1u, NULL, 0); /* written big-endian */
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR, &h) == -1);
	file(f, 0x0a0d0d0au, NULL, 0); /* pcapng */
	CHECK(jg_pcapf_header(f, JG_PCAPF_HDR, &h) == -1);
}

static void
test_records(void)
{
	static uint8_t f[4096];
	const uint32_t lens[] = { 60, 0, 1514, 100 };
	struct jg_pcapf h;
	struct jg_pcapf_rec r;
	size_t size = file(f, 0xa1b2c3d4u, lens, 4), off = JG_PCAPF_HDR;
	int n = 0;

	CHECK(jg_pcapf_header(f, size, &h) == 0);
	while (jg_pcapf_next(f, size, &h, &off, &r) == 1) {
		CHECK(r.caplen == lens[n] && r.origlen == lens[n] + 4);
		CHECK(r.caplen == 0 || (r.data[0] == n && r.data[r.caplen - 1] == n));
		CHECK(r.ts_ns == (1700000000ull + (uint64_t)n) * 1000000000ull + 999999000ull);
		n++;
	}
	CHECK(n == 4 && off == size);
	/* nanosecond stamps are taken as they are */
	size = file(f, 0xa1b23c4du, lens, 1);
	off = JG_PCAPF_HDR;
	CHECK(jg_pcapf_header(f, size, &h) == 0 && jg_pcapf_next(f, size, &h, &off, &r) == 1);
	CHECK(r.ts_ns == 1700000000ull * 1000000000ull + 999999u);
	/* cut inside a record's header, inside its data; a length no capture has */
	size = file(f, 0xa1b2c3d4u, lens, 3);
	for (size_t cut = JG_PCAPF_HDR + 76 + 1; cut < size; cut += 97) {
		int rc;

		off = JG_PCAPF_HDR;
		n = 0;
		while ((rc = jg_pcapf_next(f, cut, &h, &off, &r)) == 1)
			n++;
		CHECK(rc == -1 && n >= 1 && n < 3 && off <= cut);
	}
	w32(f + JG_PCAPF_HDR + 8, JG_PCAPF_MAX_CAPLEN + 1);
	off = JG_PCAPF_HDR;
	CHECK(jg_pcapf_next(f, size, &h, &off, &r) == -1);
}

int
main(void)
{
	test_headers();
	test_records();
	return jg_test_done();
}
