/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Classic pcap files read in place (mapped), without libpcap: the header and
 * one record at a time, every length checked against the file. What the
 * replay reader feeds the dataplane from, and what the launcher counts and
 * checks a capture with before deciding it needs no conversion. Pure
 * functions over (bytes, size), unit-tested and fuzzed like the parsers.
 */
#ifndef JG_PCAPFILE_H
#define JG_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JG_PCAPF_HDR 24u
#define JG_PCAPF_REC_HDR 16u
/** The largest record taken (libpcap's own bound for a snapshot length). */
#define JG_PCAPF_MAX_CAPLEN 262144u

/** What a classic pcap header says. */
struct jg_pcapf {
	uint32_t snaplen;
	uint32_t linktype;
	uint8_t nsec; /**< timestamps in nanoseconds (magic 0xa1b23c4d), else microseconds */
};

/** One record of the file. */
struct jg_pcapf_rec {
	uint64_t ts_ns;       /**< capture time, Unix ns */
	uint32_t caplen;      /**< bytes in the file */
	uint32_t origlen;     /**< bytes on the wire */
	const uint8_t *data;  /**< caplen bytes */
};

static inline uint32_t
jg_pcapf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/**
 * Read the file header: a classic pcap written on a little-endian machine
 * (what libpcap, tcpdump, Wireshark and the launcher's conversion write here).
 * @return 0, or -1 when it is something else (pcapng, big-endian, not a capture)
 */
static inline int
jg_pcapf_header(const uint8_t *p, size_t size, struct jg_pcapf *h)
{
	uint32_t magic;

	if (size < JG_PCAPF_HDR)
		return -1;
	magic = jg_pcapf_le32(p);
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
		return -1;
	h->nsec = magic == 0xa1b23c4du;
	h->snaplen = jg_pcapf_le32(p + 16);
	h->linktype = jg_pcapf_le32(p + 20) & 0x0fffffffu; /* the top bits carry FCS information */
	return 0;
}

/**
 * The record at *off (JG_PCAPF_HDR for the first); *off moves past it.
 * @return 1 with the record, 0 at the end of the file, -1 when the record is
 *         cut short or impossible (a caplen over JG_PCAPF_MAX_CAPLEN)
 */
static inline int
jg_pcapf_next(const uint8_t *base, size_t size, const struct jg_pcapf *h, size_t *off, struct jg_pcapf_rec *r)
{
	const uint8_t *p = base + *off;
	uint32_t frac;

	if (*off >= size)
		return 0;
	if (size - *off < JG_PCAPF_REC_HDR)
		return -1;
	r->caplen = jg_pcapf_le32(p + 8);
	r->origlen = jg_pcapf_le32(p + 12);
	if (r->caplen > JG_PCAPF_MAX_CAPLEN || r->caplen > size - *off - JG_PCAPF_REC_HDR)
		return -1;
	frac = jg_pcapf_le32(p + 4);
	r->ts_ns = (uint64_t)jg_pcapf_le32(p) * 1000000000ull + (h->nsec ? frac : (uint64_t)frac * 1000u);
	r->data = p + JG_PCAPF_REC_HDR;
	*off += JG_PCAPF_REC_HDR + r->caplen;
	return 1;
}

#endif
