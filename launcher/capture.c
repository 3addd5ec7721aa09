/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jg_pcapfile.h"
#include "launcher.h"

#define SNAP 262144
#define ETH_HDR 14

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/*
 * Linux NFLOG: family, version, resource id, then TLVs (length and type in
 * host order, 4-byte aligned); the packet is the NFULA_PAYLOAD one (type 9).
 */
static int
nflog_payload(const u_char *p, uint32_t caplen, uint16_t *etype, uint32_t *off)
{
	uint32_t o = 4;

	if (caplen < 4 || (p[0] != 2 && p[0] != 10))
		return -1;
	while (o + 4 <= caplen) {
		uint32_t len = (uint32_t)(p[o] | p[o + 1] << 8), type = (uint32_t)(p[o + 2] | p[o + 3] << 8);

		if (len < 4 || o + len > caplen) {
			len = (uint32_t)(p[o] << 8 | p[o + 1]); /* written on a big-endian host */
			type = (uint32_t)(p[o + 2] << 8 | p[o + 3]);
			if (len < 4 || o + len > caplen)
				return -1;
		}
		if ((type & 0x7fff) == 9) {
			*etype = p[0] == 2 ? 0x0800 : 0x86dd;
			*off = o + 4;
			return 0;
		}
		o += (len + 3u) & ~3u;
	}
	return -1;
}

/*
 * Ethertype of a frame of another link type, and where its network-layer
 * header starts. @return 0, or -1 when the frame cannot be converted.
 */
static int
l3_of(int dlt, const u_char *p, uint32_t caplen, uint16_t *etype, uint32_t *off)
{
	uint32_t fam;

	switch (dlt) {
	case DLT_LINUX_SLL: /* 16-byte header, protocol at 14 */
		if (caplen < 16)
			return -1;
		*etype = (uint16_t)(p[14] << 8 | p[15]);
		*off = 16;
		return 0;
	case DLT_LINUX_SLL2: /* 20-byte header, protocol at 0 */
		if (caplen < 20)
			return -1;
		*etype = (uint16_t)(p[0] << 8 | p[1]);
		*off = 20;
		return 0;
	case DLT_NULL:
	case DLT_LOOP: /* 4-byte address family, host order for NULL, network order for LOOP */
		if (caplen < 4)
			return -1;
		fam = dlt == DLT_LOOP ? (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]
				      : (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
		if (fam > 0xffff) /* written on a host of the other byte order */
			fam = __builtin_bswap32(fam);
		*etype = fam == 2 ? 0x0800 : 0x86dd; /* AF_INET, else one of the AF_INET6 values */
		if (fam != 2 && fam != 10 && fam != 24 && fam != 28 && fam != 30)
			return -1;
		*off = 4;
		return 0;
	case DLT_RAW:
	case 228: /* DLT_IPV4 */
	case 229: /* DLT_IPV6 */
		if (caplen < 1)
			return -1;
		*etype = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		*off = 0;
		return 0;
	case DLT_PPP:
	case DLT_PPP_SERIAL: /* HDLC-like framing (ff 03) may be left out; the protocol is one or two bytes */
		*off = caplen >= 2 && p[0] == 0xff && p[1] == 0x03 ? 2 : 0;
		if (*off < caplen && (p[*off] & 1)) { /* a compressed (one-byte) protocol field */
			fam = p[*off];
			*off += 1;
		} else if (*off + 2 <= caplen) {
			fam = (uint32_t)p[*off] << 8 | p[*off + 1];
			*off += 2;
		} else {
			return -1;
		}
		if (fam != 0x21 && fam != 0x57)
			return -1;
		*etype = fam == 0x21 ? 0x0800 : 0x86dd;
		return 0;
	case DLT_C_HDLC: /* Cisco HDLC: address, control, then an Ethertype */
		if (caplen < 4)
			return -1;
		*etype = (uint16_t)(p[2] << 8 | p[3]);
		*off = 4;
		return 0;
	case DLT_NFLOG:
		return nflog_payload(p, caplen, etype, off);
	default:
		return -1;
	}
}

static int
supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
	case DLT_RAW: case 228: case 229: case DLT_PPP: case DLT_PPP_SERIAL: case DLT_C_HDLC: case DLT_NFLOG:
		return 1;
	default:
		return 0;
	}
}

/* Where converted packets go. */
struct conv {
	pcap_dumper_t *out;
	uint64_t count;
	uint64_t skipped;     /**< frames of a protocol that could not be found, kept as non-IP */
	uint64_t unsupported; /**< packets of a link type not converted, kept as non-IP */
	uint32_t bad_dlt;
};

/*
 * One packet into the Ethernet pcap. A frame that cannot be converted is kept
 * as a frame the dataplane counts as non-IP: every packet stays accounted for.
 */
static void
convert(void *ctx, uint32_t dlt, uint64_t ts_ns, uint32_t caplen, uint32_t origlen, const uint8_t *data)
{
	static u_char frame[SNAP + ETH_HDR];
	struct conv *c = ctx;
	struct pcap_pkthdr oh;
	uint16_t etype;
	uint32_t off;

	oh.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	oh.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u / 1000u);
	if (caplen > SNAP)
		caplen = SNAP;
	c->count++;
	if (dlt == DLT_EN10MB) {
		oh.caplen = caplen;
		oh.len = origlen;
		pcap_dump((u_char *)c->out, &oh, data);
		return;
	}
	if (!supported((int)dlt)) {
		c->unsupported++;
		c->bad_dlt = dlt;
		etype = 0;
		off = caplen;
	} else if (l3_of((int)dlt, data, caplen, &etype, &off) != 0) {
		etype = 0;
		off = caplen;
		c->skipped++;
	}
	memset(frame, 0, 12);
	frame[12] = (u_char)(etype >> 8);
	frame[13] = (u_char)etype;
	memcpy(frame + ETH_HDR, data + off, caplen - off);
	oh.caplen = caplen - off + ETH_HDR;
	oh.len = (origlen > off ? origlen - off : 0) + ETH_HDR;
	pcap_dump((u_char *)c->out, &oh, frame);
}

static int
copy_one(const char *file, struct conv *c, char *err, size_t err_len, char *warn, size_t warn_len)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t before = c->count;
	pcap_t *in;
	int dlt, rc, cut = 0;

	if (jg_pcapng_is(file)) {
		c->unsupported = 0;
		if ((rc = jg_pcapng_read(file, convert, c, err, err_len, &cut)) != 0)
			return rc;
		if (c->unsupported && c->unsupported == c->count - before) {
			snprintf(err, err_len, "%s: link type %s is not supported (Ethernet, Linux cooked, null/loopback, raw IP, PPP, Cisco HDLC, NFLOG are)",
				 file, pcap_datalink_val_to_name((int)c->bad_dlt) ? pcap_datalink_val_to_name((int)c->bad_dlt) : "unknown");
			return -ENOTSUP;
		}
		if (cut)
			snprintf(warn, warn_len, "%s: the file ends inside a block after %llu packets; the rest is ignored",
				 file, (unsigned long long)(c->count - before));
		else if (c->unsupported)
			snprintf(warn, warn_len, "%s: %llu packets of an unsupported link type kept as non-IP", file,
				 (unsigned long long)c->unsupported);
		return 0;
	}
	in = pcap_open_offline(file, perr);
	if (in == NULL) {
		snprintf(err, err_len, "%s: %s", file, perr);
		return -EINVAL;
	}
	dlt = pcap_datalink(in);
	if (!supported(dlt)) {
		snprintf(err, err_len, "%s: link type %s is not supported (Ethernet, Linux cooked, null/loopback, raw IP, PPP, Cisco HDLC, NFLOG are)",
			 file, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "unknown");
		pcap_close(in);
		return -ENOTSUP;
	}
	c->skipped = 0;
	while ((rc = pcap_next_ex(in, &h, &data)) == 1)
		convert(c, (uint32_t)dlt, (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u,
			h->caplen, h->len, data);
	if (rc == -1)
		snprintf(warn, warn_len, "%s: read error after %llu packets (%s); the rest is ignored", file,
			 (unsigned long long)(c->count - before), pcap_geterr(in));
	else if (c->skipped)
		snprintf(warn, warn_len, "%s: %llu frames of an unknown protocol kept as non-IP", file,
			 (unsigned long long)c->skipped);
	pcap_close(in);
	return 0;
}

int
jg_capture_normalize(char *const *files, int n, const char *out_path, uint64_t *count, char *err,
		     size_t err_len, char *warn, size_t warn_len)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAP + ETH_HDR);
	struct conv c = { 0 };
	pcap_dumper_t *out;
	int rc = 0;

	*count = 0;
	warn[0] = '\0';
	if (dead == NULL)
		return -ENOMEM;
	out = c.out = pcap_dump_open(dead, out_path);
	if (out == NULL) {
		snprintf(err, err_len, "%s: %s", out_path, pcap_geterr(dead));
		pcap_close(dead);
		return -EIO;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = copy_one(files[i], &c, err, err_len, warn, warn_len);
	*count = c.count;
	if (pcap_dump_flush(out) != 0 && rc == 0) {
		snprintf(err, err_len, "%s: write failed", out_path);
		rc = -EIO;
	}
	pcap_dump_close(out);
	pcap_close(dead);
	return rc;
}

int
jg_capture_direct(const char *file, uint64_t *count)
{
	/* read in chunks, record headers walked: a mapped file's page faults cost more than the copy */
	const size_t chunk = 4u << 20;
	uint8_t *buf = malloc(chunk);
	size_t have = 0, off = JG_PCAPF_HDR;
	struct jg_pcapf h;
	struct jg_pcapf_rec r;
	int fd = open(file, O_RDONLY | O_CLOEXEC), ok = 0, at_end = 0;
	ssize_t n;

	*count = 0;
	if (fd < 0 || buf == NULL || (n = read(fd, buf, chunk)) < 0)
		goto out;
	have = (size_t)n;
	if (jg_pcapf_header(buf, have, &h) != 0 || h.linktype != DLT_EN10MB)
		goto out;
	for (;;) {
		int rc;

		while ((rc = jg_pcapf_next(buf, have, &h, &off, &r)) == 1)
			(*count)++;
		/* every record whole: a cut file goes through libpcap, which says where it ends */
		if (at_end || (rc < 0 && have - off >= JG_PCAPF_REC_HDR + JG_PCAPF_MAX_CAPLEN)) {
			ok = rc == 0;
			break;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		if ((n = read(fd, buf + have, chunk - have)) < 0)
			break;
		at_end = n == 0;
		have += (size_t)n;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok && *count > 0;
}
