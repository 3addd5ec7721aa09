/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet header parsing: Ethernet, 802.1Q/802.1ad (QinQ), IPv4, IPv6 (with
 * extension headers), TCP, UDP, ICMP/ICMPv6. A pure function over
 * (bytes, length): every read is bounds-checked, nothing is trusted, and the
 * result says why a packet could not be parsed. No DPDK, no EAL, so it is
 * unit-tested and fuzzed on crafted bytes.
 */
#ifndef JG_PKT_FASTPATH_H
#define JG_PKT_FASTPATH_H

#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the common frame's checks read header words little-endian");

/** What the parser made of a packet; one per packet, mapped to the PKT_* counters. */
enum jg_pkt_class {
	JG_PKT_FLOW = 0,  /**< IP packet with a flow key */
	JG_PKT_NON_IP,    /**< not IPv4/IPv6 */
	JG_PKT_FRAGMENT,  /**< IP fragment (first or not): for reassembly (ipfrag.h); addresses and proto filled */
	JG_PKT_TRUNCATED, /**< a header is cut short (a cut payload is JG_PKT_FLOW with `cut`) */
	JG_PKT_MALFORMED, /**< impossible header field (version, IHL, ...) */
};

#define JG_TCP_FIN 0x01
#define JG_TCP_SYN 0x02
#define JG_TCP_RST 0x04
#define JG_TCP_PSH 0x08
#define JG_TCP_ACK 0x10

/** Parsed headers. Addresses are 16 bytes; IPv4 fills the first four, the rest is zero. */
struct jg_pkt {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /**< TCP/UDP port, ICMP echo id (both sides), else 0 */
	uint16_t dport;
	uint8_t proto;
	uint8_t ip_version;
	uint8_t tcp_flags;
	uint8_t ttl;        /**< IPv4 TTL, IPv6 hop limit */
	uint8_t cut;        /**< 1 when the frame ends before the datagram (capture snaplen): payload is partial */
	uint8_t tcp_wscale; /**< window scale option of a SYN, 0xff when absent (or not a SYN) */
	uint8_t csum_bad;   /**< set by the caller when it found the IP or TCP checksum wrong (parse leaves 0) */
	uint16_t tcp_win;   /**< TCP window field, as sent */
	uint16_t frag_hdr;  /**< fragments: offset of the IPv6 fragment header, 0 for IPv4 */
	uint16_t l4_off;    /**< first byte of the TCP/UDP/ICMP header */
	uint16_t vlan;      /**< outermost VLAN id, 0 when untagged */
	uint16_t l3_off;
	uint32_t ip_len;    /**< IP datagram length (header + payload) per the header */
	uint32_t payload_off; /**< first byte of L4 payload (TCP/UDP) */
	uint32_t payload_len; /**< bytes of L4 payload present in the frame */
	uint32_t tcp_seq;
	uint32_t tcp_ack;
};

#define JG_ETH_IPV4 0x0800
#define JG_ETH_IPV6 0x86dd
#define JG_ETH_VLAN 0x8100
#define JG_ETH_QINQ 0x88a8
#define JG_ETH_QINQ_OLD 0x9100

static inline uint16_t
jg_rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
jg_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The window scale option of a SYN's options, 0xff when it has none. */
static inline uint8_t
jg_tcp_wscale(const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2)
			break;
		if (o[i] == 3 && o[i + 1] == 3 && i + 2 < len)
			return o[i + 2] > 14 ? 14 : o[i + 2];
		i += o[i + 1];
	}
	return 0xff;
}

/*
 * `avail` is what may be read (the first segment of a chained mbuf); `end` is
 * where the datagram ends per its header, already checked against the frame.
 */
static inline enum jg_pkt_class
jg_pkt_l4(const uint8_t *p, uint32_t avail, uint32_t off, uint32_t end, struct jg_pkt *k)
{
	uint32_t lim = end < avail ? end : avail;
	uint32_t hl;

	k->l4_off = (uint16_t)off;
	switch (k->proto) {
	case 6: /* TCP */
		if (off + 20 > lim)
			return JG_PKT_TRUNCATED;
		hl = (uint32_t)(p[off + 12] >> 4) * 4;
		if (hl < 20)
			return JG_PKT_MALFORMED;
		if (off + hl > lim)
			return JG_PKT_TRUNCATED;
		k->sport = jg_rd16(p + off);
		k->dport = jg_rd16(p + off + 2);
		k->tcp_seq = jg_rd32(p + off + 4);
		k->tcp_ack = jg_rd32(p + off + 8);
		k->tcp_flags = p[off + 13];
		k->tcp_win = jg_rd16(p + off + 14);
		k->payload_off = off + hl;
		if (k->tcp_flags & JG_TCP_SYN)
			k->tcp_wscale = jg_tcp_wscale(p + off + 20, hl - 20);
		break;
	case 17: /* UDP */
		if (off + 8 > lim)
			return JG_PKT_TRUNCATED;
		k->sport = jg_rd16(p + off);
		k->dport = jg_rd16(p + off + 2);
		k->payload_off = off + 8;
		break;
	case 1:  /* ICMP: echo request/reply share the identifier as a "port" */
	case 58: /* ICMPv6 */
		if (off + 8 > lim)
			return JG_PKT_TRUNCATED;
		if (p[off] == 0 || p[off] == 8 || p[off] == 128 || p[off] == 129)
			k->sport = k->dport = jg_rd16(p + off + 4);
		k->payload_off = off + 8;
		break;
	default:
		if (off > end)
			return JG_PKT_TRUNCATED;
		k->payload_off = off;
		break;
	}
	k->payload_len = end - k->payload_off;
	return JG_PKT_FLOW;
}

/* IPv6 extension headers are walked so the flow key has the real L4 protocol. */
static inline enum jg_pkt_class
jg_pkt_ipv6(const uint8_t *p, uint32_t avail, uint32_t total, uint32_t off, struct jg_pkt *k)
{
	uint32_t end, lim;
	uint8_t nh;
	int hops;

	if (off + 40 > avail)
		return JG_PKT_TRUNCATED;
	if ((p[off] >> 4) != 6)
		return JG_PKT_MALFORMED;
	k->ip_version = 6;
	k->ip_len = 40u + jg_rd16(p + off + 4);
	end = off + k->ip_len;
	if (end > total) { /* cut by the capture's snaplen: headers may still be whole */
		k->cut = 1;
		end = total;
	}
	lim = end < avail ? end : avail;
	memcpy(k->src, p + off + 8, 16);
	memcpy(k->dst, p + off + 24, 16);
	k->ttl = p[off + 7];
	nh = p[off + 6];
	off += 40;
	for (hops = 0; hops < 8; hops++) {
		if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, destination options */
			if (off + 8 > lim)
				return JG_PKT_TRUNCATED;
			nh = p[off];
			off += 8u + (uint32_t)p[off + 1] * 8u;
		} else if (nh == 44) { /* fragment */
			if (off + 8 > lim)
				return JG_PKT_TRUNCATED;
			/* An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946). */
			if ((jg_rd16(p + off + 2) & 0xfff9) != 0) {
				k->proto = p[off];
				k->frag_hdr = (uint16_t)off;
				k->payload_off = off + 8;
				k->payload_len = end - (off + 8);
				return JG_PKT_FRAGMENT;
			}
			nh = p[off];
			off += 8;
		} else {
			break;
		}
		if (off > end)
			return JG_PKT_TRUNCATED;
	}
	if (hops == 8)
		return JG_PKT_MALFORMED;
	k->proto = nh;
	return jg_pkt_l4(p, avail, off, end, k);
}

static inline enum jg_pkt_class
jg_pkt_ipv4(const uint8_t *p, uint32_t avail, uint32_t total, uint32_t off, struct jg_pkt *k)
{
	uint32_t hl, end;
	uint16_t frag;

	if (off + 20 > avail)
		return JG_PKT_TRUNCATED;
	if ((p[off] >> 4) != 4)
		return JG_PKT_MALFORMED;
	hl = (uint32_t)(p[off] & 0x0f) * 4;
	k->ip_version = 4;
	k->ip_len = jg_rd16(p + off + 2);
	if (hl < 20 || k->ip_len < hl)
		return JG_PKT_MALFORMED;
	end = off + k->ip_len;
	if (end > total) { /* cut by the capture's snaplen: headers may still be whole */
		k->cut = 1;
		end = total;
	}
	if (off + hl > end) /* options longer than what the capture kept */
		return JG_PKT_TRUNCATED;
	memcpy(k->src, p + off + 12, 4);
	memcpy(k->dst, p + off + 16, 4);
	k->proto = p[off + 9];
	k->ttl = p[off + 8];
	frag = jg_rd16(p + off + 6);
	if ((frag & 0x3fff) != 0) { /* more fragments, or an offset */
		k->payload_off = off + hl;
		k->payload_len = end - (off + hl);
		return JG_PKT_FRAGMENT;
	}
	return jg_pkt_l4(p, avail, off + hl, end, k);
}

/**
 * Parse one Ethernet frame, the general way: every encapsulation, option and
 * extension header jg_pkt_parse() knows.
 */
static inline enum jg_pkt_class
jg_pkt_parse_full(const uint8_t *p, uint32_t avail, uint32_t total, struct jg_pkt *k)
{
	uint32_t len = avail;
	uint32_t off = 12;
	uint16_t type;
	int tags = 0;

	memset(k, 0, sizeof(*k));
	k->tcp_wscale = 0xff;
	if (len < 14)
		return JG_PKT_TRUNCATED;
	type = jg_rd16(p + off);
	while (type == JG_ETH_VLAN || type == JG_ETH_QINQ || type == JG_ETH_QINQ_OLD) {
		if (++tags > 2)
			return JG_PKT_MALFORMED;
		if (off + 6 > len)
			return JG_PKT_TRUNCATED;
		if (tags == 1)
			k->vlan = jg_rd16(p + off + 2) & 0x0fff;
		off += 4;
		type = jg_rd16(p + off);
	}
	off += 2;
	k->l3_off = (uint16_t)off;
	if (type == JG_ETH_IPV4)
		return jg_pkt_ipv4(p, avail, total, off, k);
	if (type == JG_ETH_IPV6)
		return jg_pkt_ipv6(p, avail, total, off, k);
	return JG_PKT_NON_IP;
}

/**
 * Is this the common frame: an untagged IPv4 header without options, not a
 * fragment, the datagram whole in the first segment, TCP (its header there
 * too) or UDP? The one check jg_pkt_parse_v4() and the flow table's lean way
 * (jg_flow_hint_lean) share. Whole in the first segment is whole in the
 * frame: `avail` never exceeds the frame's length.
 * @param ip_len  set to the IP datagram's length
 * @param hl      set to the L4 header's length
 * @param proto   set to 6 or 17
 * @return 1 when it is, 0 for the general parser
 */
static inline int
jg_pkt_v4_plain(const uint8_t *p, uint32_t avail, uint32_t *ip_len, uint32_t *hl, uint8_t *proto)
{
	uint32_t w12, w20, end;

	if (avail < 14 + 20 + 8)
		return 0;
	/* bytes 12-14 (type 08 00, version 4 and five words of header) and 20-23 (flags and offset, TTL,
	 * protocol) as two little-endian words: the checks in two compares */
	memcpy(&w12, p + 12, 4);
	memcpy(&w20, p + 20, 4);
	if ((w12 & 0xffffffu) != 0x450008u || (w20 & 0xff3fu) != 0) /* offset, or more fragments: not DF */
		return 0;
	*ip_len = jg_rd16(p + 16);
	*proto = (uint8_t)(w20 >> 24);
	end = 14 + *ip_len;
	if (end > avail)
		return 0;
	if (*proto == 6) /* the header length is read once the datagram holds its byte (ip_len >= 40) */
		return *ip_len >= 40 && (*hl = (uint32_t)(p[46] >> 4) * 4) >= 20 && 34 + *hl <= end;
	*hl = 8;
	return *proto == 17 && *ip_len >= 28;
}

/*
 * The common case in one pass: untagged IPv4 without options, not a fragment,
 * whole in the first segment, TCP or UDP with its header there. Fills k
 * exactly as jg_pkt_parse_full() would (pkt_test compares the two).
 * @return 1 when it took the packet, 0 for the general parser
 */
static inline int
jg_pkt_parse_v4(const uint8_t *p, uint32_t avail, uint32_t total, struct jg_pkt *k)
{
	uint32_t ip_len, end, hl;
	uint8_t proto;

	(void)total; /* a datagram whole in avail is whole in the frame */
	if (!jg_pkt_v4_plain(p, avail, &ip_len, &hl, &proto))
		return 0;
	end = 14 + ip_len;
	memset(k, 0, sizeof(*k));
	k->tcp_wscale = 0xff;
	k->l3_off = 14;
	k->ip_version = 4;
	k->ip_len = ip_len;
	memcpy(k->src, p + 26, 4);
	memcpy(k->dst, p + 30, 4);
	k->proto = proto;
	k->ttl = p[22];
	k->l4_off = 34;
	k->sport = jg_rd16(p + 34);
	k->dport = jg_rd16(p + 36);
	k->payload_off = 34 + hl;
	k->payload_len = end - (34 + hl);
	if (proto == 6) {
		k->tcp_seq = jg_rd32(p + 38);
		k->tcp_ack = jg_rd32(p + 42);
		k->tcp_flags = p[47];
		k->tcp_win = jg_rd16(p + 48);
		if (k->tcp_flags & JG_TCP_SYN)
			k->tcp_wscale = jg_tcp_wscale(p + 54, hl - 20);
	}
	return 1;
}

/**
 * Parse one Ethernet frame.
 * @param p      frame bytes
 * @param avail  bytes that may be read at p (the first segment of a chain); never read past it
 * @param total  bytes of the frame in all (>= avail): IP lengths are checked against it
 * @param k      filled as far as parsing got
 * @return the packet's class; only JG_PKT_FLOW fills the 5-tuple completely.
 */
static inline enum jg_pkt_class
jg_pkt_parse(const uint8_t *p, uint32_t avail, uint32_t total, struct jg_pkt *k)
{
	if (__builtin_expect(jg_pkt_parse_v4(p, avail, total, k), 1))
		return JG_PKT_FLOW;
	return jg_pkt_parse_full(p, avail, total, k);
}

#endif
