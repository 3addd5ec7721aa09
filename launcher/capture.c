/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "launcher.h"

#define SNAP 262144
#define ETH_HDR 14

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

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
	default:
		return -1;
	}
}

static int
supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
	case DLT_RAW: case 228: case 229:
		return 1;
	default:
		return 0;
	}
}

static int
copy_one(const char *file, pcap_dumper_t *out, uint64_t *count, char *err, size_t err_len, char *warn,
	 size_t warn_len)
{
	static u_char frame[SNAP + ETH_HDR];
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *in = pcap_open_offline(file, perr);
	uint64_t skipped = 0;
	int dlt, rc;

	if (in == NULL) {
		snprintf(err, err_len, "%s: %s", file, perr);
		return -EINVAL;
	}
	dlt = pcap_datalink(in);
	if (!supported(dlt)) {
		snprintf(err, err_len, "%s: link type %s is not supported (Ethernet, Linux cooked, null/loopback, raw IP are)",
			 file, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "unknown");
		pcap_close(in);
		return -ENOTSUP;
	}
	while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
		struct pcap_pkthdr oh = *h;
		uint16_t etype;
		uint32_t off;

		if (dlt == DLT_EN10MB) {
			pcap_dump((u_char *)out, h, data);
			(*count)++;
			continue;
		}
		if (l3_of(dlt, data, h->caplen, &etype, &off) != 0) {
			/* Kept as a frame the dataplane will count as non-IP: every packet stays accounted for. */
			etype = 0;
			off = h->caplen;
			skipped++;
		}
		memset(frame, 0, 12);
		frame[12] = (u_char)(etype >> 8);
		frame[13] = (u_char)etype;
		memcpy(frame + ETH_HDR, data + off, h->caplen - off);
		oh.caplen = h->caplen - off + ETH_HDR;
		oh.len = h->len - off + ETH_HDR;
		pcap_dump((u_char *)out, &oh, frame);
		(*count)++;
	}
	if (rc == -1)
		snprintf(warn, warn_len, "%s: read error after %llu packets (%s); the rest is ignored", file,
			 (unsigned long long)*count, pcap_geterr(in));
	else if (skipped)
		snprintf(warn, warn_len, "%s: %llu frames of an unknown protocol kept as non-IP", file,
			 (unsigned long long)skipped);
	pcap_close(in);
	return 0;
}

int
jg_capture_normalize(char *const *files, int n, const char *out_path, uint64_t *count, char *err,
		     size_t err_len, char *warn, size_t warn_len)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAP + ETH_HDR);
	pcap_dumper_t *out;
	int rc = 0;

	*count = 0;
	warn[0] = '\0';
	if (dead == NULL)
		return -ENOMEM;
	out = pcap_dump_open(dead, out_path);
	if (out == NULL) {
		snprintf(err, err_len, "%s: %s", out_path, pcap_geterr(dead));
		pcap_close(dead);
		return -EIO;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = copy_one(files[i], out, count, err, err_len, warn, warn_len);
	if (pcap_dump_flush(out) != 0 && rc == 0) {
		snprintf(err, err_len, "%s: write failed", out_path);
		rc = -EIO;
	}
	pcap_dump_close(out);
	pcap_close(dead);
	return rc;
}
