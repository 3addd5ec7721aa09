/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark traffic (see gen.h). Frames are Ethernet II, IPv4, checksummed
 * IP headers; TCP/UDP checksums are left zero (Jumpgate does not verify them,
 * like any passive monitor that sees offloaded traffic).
 */
#include "gen.h"

#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_LEN 14
#define IP_LEN 20
#define TCP_LEN 20
#define UDP_LEN 8
#define MSS 1460
#define SMB_WRITE_LEN 65536
#define DEMO_PAEXEC_PORT 51234

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint8_t *
add_frame(struct jg_traffic *t, uint32_t len)
{
	uint8_t *p;

	if (t->n == t->cap) {
		uint64_t cap = t->cap ? t->cap * 2 : 4096;
		struct jg_frame *f = realloc(t->frames, cap * sizeof(*f));

		if (f == NULL)
			return NULL;
		t->frames = f;
		t->cap = cap;
	}
	if (t->arena_len + len > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap * 2 : (size_t)1 << 20;
		uint8_t *a;

		while (cap < t->arena_len + len)
			cap *= 2;
		if ((a = realloc(t->arena, cap)) == NULL)
			return NULL;
		t->arena = a;
		t->arena_cap = cap;
	}
	p = t->arena + t->arena_len;
	memset(p, 0, len);
	t->frames[t->n++] = (struct jg_frame){ .off = (uint32_t)t->arena_len, .len = (uint16_t)len };
	t->arena_len += len;
	t->bytes += len;
	return p;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
ip_checksum(uint8_t *ip)
{
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < IP_LEN; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
}

/* The TCP or UDP checksum of an IPv4 frame, as a real sender's NIC fills it in. */
static void
l4_checksum(uint8_t *f, uint32_t len)
{
	uint8_t *ip = f + ETH_LEN;
	uint32_t ihl = (uint32_t)(ip[0] & 15) * 4, l4len = len - ETH_LEN - ihl, sum = 0;
	uint8_t *l4 = ip + ihl, *ck = ip[9] == 6 ? l4 + 16 : l4 + 6;

	if (ip[9] != 6 && ip[9] != 17)
		return;
	ck[0] = ck[1] = 0;
	for (int i = 12; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum += ip[9] + l4len;
	for (uint32_t i = 0; i + 1 < l4len; i += 2)
		sum += (uint32_t)l4[i] << 8 | l4[i + 1];
	if (l4len & 1)
		sum += (uint32_t)l4[l4len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ck, (uint16_t)~sum);
}

/*
 * An IPv4 frame as fragments of `size` bytes (a multiple of 8), emitted in
 * reverse order (fragroute's favourite): the frame at f is replaced.
 */
static int
fragment_last(struct jg_traffic *t, uint32_t size, uint16_t id)
{
	struct jg_frame last = t->frames[t->n - 1];
	uint8_t whole[ETH_LEN + 65535];
	uint32_t pay = last.len - ETH_LEN - IP_LEN, n = (pay + size - 1) / size;

	memcpy(whole, t->arena + last.off, last.len);
	t->n--;
	t->arena_len -= last.len;
	t->bytes -= last.len;
	for (uint32_t k = n; k-- > 0;) {
		uint32_t off = k * size, len = pay - off < size ? pay - off : size;
		uint8_t *f = add_frame(t, ETH_LEN + IP_LEN + len), *ip;

		if (f == NULL)
			return -1;
		memcpy(f, whole, ETH_LEN + IP_LEN);
		memcpy(f + ETH_LEN + IP_LEN, whole + ETH_LEN + IP_LEN + off, len);
		ip = f + ETH_LEN;
		put16(ip + 2, (uint16_t)(IP_LEN + len));
		put16(ip + 4, id);
		put16(ip + 6, (uint16_t)((k + 1 < n ? 0x2000 : 0) | off / 8));
		ip_checksum(ip);
	}
	return 0;
}

struct endpoints {
	uint32_t src, dst;
	uint16_t sport, dport;
};

/* Ethernet + IPv4 (+ TCP or UDP header); returns the L4 payload. */
static uint8_t *
headers(uint8_t *f, uint32_t len, uint8_t proto, const struct endpoints *e, uint32_t seq, uint32_t ack,
	uint8_t flags)
{
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 1 }, mac_b[6] = { 0x02, 0, 0, 0, 0, 2 };
	uint8_t *ip = f + ETH_LEN, *l4 = ip + IP_LEN;

	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(len - ETH_LEN));
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, e->src);
	put32(ip + 16, e->dst);
	ip_checksum(ip);
	put16(l4, e->sport);
	put16(l4 + 2, e->dport);
	if (proto == 17) {
		put16(l4 + 4, (uint16_t)(len - ETH_LEN - IP_LEN));
		return l4 + UDP_LEN;
	}
	put32(l4 + 4, seq);
	put32(l4 + 8, ack);
	l4[12] = 5 << 4;
	l4[13] = flags;
	put16(l4 + 14, 65535);
	return l4 + TCP_LEN;
}

/* Flow i's endpoints, client to server (dir 0) or back. */
static struct endpoints
flow_ends(uint32_t i, uint16_t server_port, int dir)
{
	struct endpoints e = {
		.src = 0x0a000000u | (i + 1),
		.dst = 0xac100000u | (i % 4093 + 1),
		.sport = (uint16_t)(10000 + (i * 7919u) % 50000u), /* clear of every service port */
		.dport = server_port,
	};

	if (dir) {
		uint32_t a = e.src;
		uint16_t p = e.sport;

		e.src = e.dst;
		e.dst = a;
		e.sport = e.dport;
		e.dport = p;
	}
	return e;
}

/* Zipf: the CDF over the flows, sampled by binary search. */
static double *
zipf_cdf(uint32_t n, double s)
{
	double *cdf = malloc((size_t)n * sizeof(double)), sum = 0;

	if (cdf == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		cdf[i] = sum += 1.0 / pow((double)i + 1, s);
	for (uint32_t i = 0; i < n; i++)
		cdf[i] /= sum;
	return cdf;
}

static uint32_t
zipf_pick(const double *cdf, uint32_t n, uint64_t *seed)
{
	double u = (double)(rnd(seed) >> 11) / (double)(1ull << 53);
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
build_small(const struct jg_gen_cfg *cfg, struct jg_traffic *t, char *err, size_t cap)
{
	static const uint16_t imix_len[12] = { 60, 60, 60, 60, 60, 60, 60, 566, 566, 566, 566, 1514 };
	double *cdf = NULL;
	uint64_t seed = cfg->seed | 1;

	if (cfg->zipf > 0 && (cdf = zipf_cdf(cfg->flows, cfg->zipf)) == NULL) {
		snprintf(err, cap, "out of memory for the Zipf table");
		return -1;
	}
	for (uint64_t k = 0; k < cfg->packets; k++) {
		uint64_t r = rnd(&seed);
		/* uniform: every flow once per round, in a scattered order (a stride prime to the count) */
		uint32_t i = cdf != NULL ? zipf_pick(cdf, cfg->flows, &seed)
					 : (uint32_t)((k * 2654435761u) % cfg->flows);
		int dir = (int)(r >> 40) & 1;
		uint8_t proto = cfg->profile == JG_GEN_UDP64 || (cfg->profile == JG_GEN_IMIX && (i & 1)) ? 17 : 6;
		uint32_t len = cfg->profile == JG_GEN_IMIX ? imix_len[(r >> 41) % 12] : 60;
		struct endpoints e = flow_ends(i, proto == 6 ? 80 : 53, dir);
		uint8_t *f = add_frame(t, len);

		if (f == NULL) {
			free(cdf);
			snprintf(err, cap, "out of memory after %llu frames", (unsigned long long)k);
			return -1;
		}
		headers(f, len, proto, &e, (uint32_t)k, (uint32_t)k, 0x10);
		l4_checksum(f, len);
	}
	free(cdf);
	return 0;
}

/* The frames of a capture (Ethernet link type), in order. */
static int
load_pcap(const char *path, struct jg_traffic *t, uint16_t port, char *err, size_t cap)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, perr);
	struct pcap_pkthdr *h;
	const u_char *d;

	if (pc == NULL) {
		snprintf(err, cap, "%s: %s", path, perr);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(err, cap, "%s: not an Ethernet capture", path);
		pcap_close(pc);
		return -1;
	}
	while (pcap_next_ex(pc, &h, &d) == 1) {
		uint8_t *f;

		if (h->caplen > 9000 || h->caplen < ETH_LEN)
			continue;
		/* port != 0: only the TCP frames of that port (the demo's PAExec session) */
		if (port != 0 && !(h->caplen >= ETH_LEN + IP_LEN + TCP_LEN && d[23] == 6 &&
				   ((d[34] << 8 | d[35]) == port || (d[36] << 8 | d[37]) == port)))
			continue;
		if ((f = add_frame(t, h->caplen)) == NULL) {
			pcap_close(pc);
			snprintf(err, cap, "out of memory");
			return -1;
		}
		memcpy(f, d, h->caplen);
	}
	pcap_close(pc);
	if (t->n == 0) {
		snprintf(err, cap, "%s: no frames%s", path, port ? " of the PAExec session" : "");
		return -1;
	}
	return 0;
}

/* "PAExec" in ASCII or UTF-16LE: where to cut a segment so the name straddles two. */
static int
artifact_cut(const uint8_t *p, uint32_t len)
{
	static const char a[] = "PAExec";
	static const uint8_t u[] = { 'P', 0, 'A', 0, 'E', 0, 'x', 0, 'e', 0, 'c', 0 };

	for (uint32_t i = 0; i + sizeof(u) <= len; i++) {
		if (!memcmp(p + i, u, sizeof(u)))
			return (int)i + 5;
		if (!memcmp(p + i, a, sizeof(a) - 1))
			return (int)i + 3;
	}
	return -1;
}

/* One PAExec session from the demo: client port and address made unique, names split across segments. */
static int
add_admin_session(struct jg_traffic *t, const struct jg_traffic *demo, uint32_t k)
{
	for (uint64_t i = 0; i < demo->n; i++) {
		const uint8_t *src = demo->arena + demo->frames[i].off;
		uint32_t len = demo->frames[i].len, ihl = (uint32_t)(src[ETH_LEN] & 15) * 4;
		uint32_t l4 = ETH_LEN + ihl, hl = l4 + (uint32_t)(src[l4 + 12] >> 4) * 4;
		int from_client = (src[l4] << 8 | src[l4 + 1]) == DEMO_PAEXEC_PORT;
		int cut = hl < len ? artifact_cut(src + hl, len - hl) : -1;
		int parts = cut > 0 ? 2 : 1;

		for (int part = 0; part < parts; part++) {
			uint32_t from = part == 0 ? 0 : (uint32_t)cut, to = parts == 1 || part == 1 ? len - hl : (uint32_t)cut;
			uint8_t *f = add_frame(t, hl + to - from);

			if (f == NULL)
				return -1;
			memcpy(f, src, hl);
			memcpy(f + hl, src + hl + from, to - from);
			put16(f + ETH_LEN + 2, (uint16_t)(ihl + (hl - l4) + to - from));
			/* a client of its own: 10.200.x.y:(40000 + k % 20000) */
			put32(f + ETH_LEN + (from_client ? 12 : 16), 0x0ac80000u | (k % 65000 + 1));
			put16(f + l4 + (from_client ? 0 : 2), (uint16_t)(40000 + k % 20000));
			put32(f + l4 + 4, (uint32_t)(src[l4 + 4] << 24 | src[l4 + 5] << 16 | src[l4 + 6] << 8 | src[l4 + 7]) + from);
			ip_checksum(f + ETH_LEN);
			l4_checksum(f, hl + to - from);
		}
	}
	return 0;
}

/*
 * File copies over SMB2: per flow a stream of WRITE requests (NetBIOS, SMB2
 * header, WRITE body, 64 KiB of data in full-size segments), each answered by
 * a WRITE response; flows take turns, one message at a time.
 */
static int
build_smb(const struct jg_gen_cfg *cfg, struct jg_traffic *t, char *err, size_t cap)
{
	struct jg_traffic demo = { 0 };
	uint32_t *seq_c = calloc(cfg->flows, 4), *seq_s = calloc(cfg->flows, 4);
	uint64_t msg = 0, admin = 0, seed = cfg->seed | 1;
	uint8_t data[MSS];
	int rc = -1;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(' ' + rnd(&seed) % 90); /* text-like file content */
	if (seq_c == NULL || seq_s == NULL) {
		snprintf(err, cap, "out of memory");
		goto out;
	}
	if (cfg->admin_every && load_pcap(cfg->pcap, &demo, DEMO_PAEXEC_PORT, err, cap) != 0)
		goto out;
	while (t->n < cfg->packets) {
		uint32_t i = (uint32_t)(msg % cfg->flows), total = 4 + 64 + 48 + SMB_WRITE_LEN, sent = 0;
		struct endpoints c2s = flow_ends(i, 445, 0), s2c = flow_ends(i, 445, 1);
		uint8_t *f, *p;

		while (sent < total) {
			uint32_t n = total - sent < MSS ? total - sent : MSS;

			if ((f = add_frame(t, ETH_LEN + IP_LEN + TCP_LEN + n)) == NULL)
				goto oom;
			p = headers(f, ETH_LEN + IP_LEN + TCP_LEN + n, 6, &c2s, seq_c[i], seq_s[i], 0x18);
			memcpy(p, data, n);
			if (sent == 0) {
				memset(p, 0, 4 + 64 + 48); /* header fields not set below are zero */
				put32(p, total - 4);   /* NetBIOS session message */
				memcpy(p + 4, "\xfeSMB", 4);
				p[8] = 64;             /* SMB2 header length */
				p[16] = 9;             /* WRITE */
				p[68] = 49;            /* WRITE request structure size */
				p[70] = 0x70;          /* data offset */
				put32(p + 72, 0);
				p[74] = 1;             /* length 65536, little-endian */
			}
			l4_checksum(f, ETH_LEN + IP_LEN + TCP_LEN + n);
			seq_c[i] += n;
			sent += n;
			/* an evader's share: this segment swapped with the one before, or sent as IP fragments */
			if (cfg->evade_pct && rnd(&seed) % 1000 < cfg->evade_pct * 10u) {
				if (sent > n && (rnd(&seed) & 1)) {
					struct jg_frame x = t->frames[t->n - 1];

					t->frames[t->n - 1] = t->frames[t->n - 2];
					t->frames[t->n - 2] = x;
				} else if (fragment_last(t, 8 * (16 + (uint32_t)(rnd(&seed) % 48)), (uint16_t)t->n) != 0) {
					goto oom;
				}
			}
		}
		if ((f = add_frame(t, ETH_LEN + IP_LEN + TCP_LEN + 4 + 64 + 16)) == NULL)
			goto oom;
		p = headers(f, ETH_LEN + IP_LEN + TCP_LEN + 84, 6, &s2c, seq_s[i], seq_c[i], 0x18);
		put32(p, 80);
		memcpy(p + 4, "\xfeSMB", 4);
		p[8] = 64;
		p[16] = 9;             /* WRITE */
		p[20] = 1;             /* flags: SERVER_TO_REDIR, a response */
		p[68] = 17;
		l4_checksum(f, ETH_LEN + IP_LEN + TCP_LEN + 84);
		seq_s[i] += 84;
		msg++;
		if (cfg->admin_every && msg % cfg->admin_every == 0 && add_admin_session(t, &demo, (uint32_t)admin++) != 0)
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, cap, "out of memory after %llu frames", (unsigned long long)t->n);
out:
	jg_gen_free(&demo);
	free(seq_c);
	free(seq_s);
	return rc;
}

int
jg_gen_profile_parse(const char *s, enum jg_gen_profile *p)
{
	static const char *const names[] = { "tcp64", "udp64", "imix", "smb", "pcap" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i])) {
			*p = (enum jg_gen_profile)i;
			return 0;
		}
	return -1;
}

static int
build_frames(const struct jg_gen_cfg *cfg, struct jg_traffic *t, char *err, size_t cap)
{
	memset(t, 0, sizeof(*t));
	if (cfg->flows == 0 && cfg->profile != JG_GEN_PCAP) {
		snprintf(err, cap, "flows must be at least 1");
		return -1;
	}
	switch (cfg->profile) {
	case JG_GEN_SMB:
		return build_smb(cfg, t, err, cap);
	case JG_GEN_PCAP: {
		uint64_t once;

		if (load_pcap(cfg->pcap, t, 0, err, cap) != 0)
			return -1;
		once = t->n;
		while (t->n < cfg->packets)
			for (uint64_t i = 0; i < once && t->n < cfg->packets; i++) {
				struct jg_frame f = t->frames[i];
				uint8_t *p = add_frame(t, f.len);

				if (p == NULL) {
					snprintf(err, cap, "out of memory");
					return -1;
				}
				memcpy(p, t->arena + f.off, f.len);
			}
		return 0;
	}
	default:
		return build_small(cfg, t, err, cap);
	}
}

int
jg_gen_write_pcap(const struct jg_traffic *t, const char *path)
{
	FILE *f = fopen(path, "wb");
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	if (f == NULL)
		return -errno;
	fwrite(hdr, sizeof(hdr), 1, f);
	for (uint64_t i = 0; i < t->n; i++) {
		uint32_t rec[4] = { (uint32_t)(1700000000 + i / 1000000), (uint32_t)(i % 1000000), t->frames[i].len,
				    t->frames[i].len };

		fwrite(rec, sizeof(rec), 1, f);
		fwrite(t->arena + t->frames[i].off, t->frames[i].len, 1, f);
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

void
jg_gen_free(struct jg_traffic *t)
{
	free(t->arena);
	free(t->frames);
	memset(t, 0, sizeof(*t));
}

/* Every frame as a trunk's mirror carries it: an 802.1Q tag (81 00, the id) after the addresses. */
static int
tag_frames(struct jg_traffic *t, uint16_t vlan, char *err, size_t cap)
{
	uint8_t *a = malloc(t->arena_len + 4 * t->n), *d = a;

	if (a == NULL) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (uint64_t i = 0; i < t->n; i++) {
		const uint8_t *f = t->arena + t->frames[i].off;
		uint32_t len = t->frames[i].len;

		if (len < 12 || len + 4 > UINT16_MAX) {
			free(a);
			snprintf(err, cap, "frame %llu of %u bytes cannot take a tag", (unsigned long long)i, len);
			return -1;
		}
		memcpy(d, f, 12);
		put16(d + 12, 0x8100);
		put16(d + 14, vlan);
		memcpy(d + 16, f + 12, len - 12);
		t->frames[i].off = (uint32_t)(d - a);
		t->frames[i].len = (uint16_t)(len + 4);
		d += len + 4;
	}
	free(t->arena);
	t->arena = a;
	t->arena_len = t->arena_cap = (size_t)(d - a);
	t->bytes += 4 * t->n;
	return 0;
}

int
jg_gen_build(const struct jg_gen_cfg *cfg, struct jg_traffic *t, char *err, size_t cap)
{
	int rc = build_frames(cfg, t, err, cap);

	if (rc == 0 && cfg->vlan != 0)
		rc = tag_frames(t, cfg->vlan, err, cap);
	return rc;
}
