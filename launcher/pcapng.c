/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng read in place, for what libpcap refuses: a section whose interfaces
 * differ in link type or snapshot length (libpcap stops at the first packet of
 * such a file), several sections, any timestamp resolution. Enhanced, simple
 * and obsolete packet blocks; other blocks are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define MAX_IFACES 256

struct iface {
	uint16_t linktype;
	uint32_t snaplen;
	uint8_t res_pow2; /**< resolution is 2^-res, else 10^-res */
	uint8_t res;
};

struct section {
	int swap;
	uint32_t n_if;
	struct iface ifs[MAX_IFACES];
};

static uint32_t
rd32(const struct section *s, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return s->swap ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const struct section *s, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return s->swap ? __builtin_bswap16(v) : v;
}

/* An interface's timestamp units to Unix ns. */
static uint64_t
to_ns(const struct iface *i, uint64_t t)
{
	if (i->res_pow2)
		return (uint64_t)(((unsigned __int128)t * 1000000000u) >> i->res);
	if (i->res <= 9) {
		for (uint8_t k = i->res; k < 9; k++)
			t *= 10;
		return t;
	}
	for (uint8_t k = 9; k < i->res && k < 30; k++)
		t /= 10;
	return t;
}

static void
read_idb(struct section *s, const uint8_t *b, uint32_t len)
{
	struct iface *i;
	uint32_t off;

	if (s->n_if >= MAX_IFACES || len < 20)
		return;
	i = &s->ifs[s->n_if++];
	i->linktype = rd16(s, b + 8);
	if (i->linktype == 101) /* LINKTYPE_RAW in files is DLT_RAW in programs */
		i->linktype = DLT_RAW;
	i->snaplen = rd32(s, b + 12);
	i->res_pow2 = 0;
	i->res = 6;
	/* options: code, length, value padded to 4 bytes, until opt_endofopt or the block's end */
	for (off = 16; off + 4 <= len - 4;) {
		uint16_t code = rd16(s, b + off), olen = rd16(s, b + off + 2);

		if (code == 0 || off + 4u + olen > len - 4)
			break;
		if (code == 9 && olen >= 1) { /* if_tsresol */
			i->res_pow2 = (b[off + 4] & 0x80) != 0;
			i->res = b[off + 4] & 0x7f;
			if (i->res_pow2 ? i->res > 63 : i->res > 19)
				i->res = 6, i->res_pow2 = 0;
		}
		off += 4u + ((olen + 3u) & ~3u);
	}
}

int
jg_pcapng_is(const char *file)
{
	uint8_t m[4];
	FILE *f = fopen(file, "rb");
	int is = 0;

	if (f != NULL) {
		is = fread(m, 1, 4, f) == 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
		fclose(f);
	}
	return is;
}

int
jg_pcapng_read(const char *file, jg_capture_fn fn, void *ctx, char *err, size_t err_len, int *cut)
{
	static struct section s;
	struct stat st;
	const uint8_t *base;
	size_t size, off = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	*cut = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	size = (size_t)st.st_size;
	base = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (base == MAP_FAILED || base == NULL) {
		snprintf(err, err_len, "%s: cannot map it", file);
		return -EIO;
	}
	memset(&s, 0, sizeof(s));
	while (off + 12 <= size) {
		const uint8_t *b = base + off;
		uint32_t type, len;

		if (memcmp(b, "\x0a\x0d\x0d\x0a", 4) == 0) { /* a section header: the same in either byte order */
			uint32_t bom;

			memcpy(&bom, b + 8, 4);
			s.swap = bom == 0x4d3c2b1au;
			if (!s.swap && bom != 0x1a2b3c4du)
				break;
			s.n_if = 0;
		}
		type = rd32(&s, b);
		len = rd32(&s, b + 4);
		if (len < 12 || (len & 3) != 0 || len > size - off) {
			*cut = 1;
			break;
		}
		if (type == 1) {
			read_idb(&s, b, len);
		} else if (type == 6 || type == 2) { /* enhanced, obsolete packet block */
			uint32_t id = type == 6 ? rd32(&s, b + 8) : rd16(&s, b + 8);
			uint32_t caplen = rd32(&s, b + 20), origlen = rd32(&s, b + 24);
			uint64_t ts = (uint64_t)rd32(&s, b + 12) << 32 | rd32(&s, b + 16);

			if (len < 32 || id >= s.n_if || caplen > len - 32) {
				*cut = 1;
				break;
			}
			fn(ctx, s.ifs[id].linktype, to_ns(&s.ifs[id], ts), caplen, origlen, b + 28);
		} else if (type == 3 && s.n_if > 0) { /* simple packet block: interface 0 */
			uint32_t origlen = rd32(&s, b + 8), caplen = len - 16;

			if (len < 16) {
				*cut = 1;
				break;
			}
			if (caplen > origlen)
				caplen = origlen;
			if (s.ifs[0].snaplen && caplen > s.ifs[0].snaplen)
				caplen = s.ifs[0].snaplen;
			fn(ctx, s.ifs[0].linktype, 0, caplen, origlen, b + 12);
		}
		off += len;
	}
	if (off < size && !*cut)
		*cut = 1;
	munmap((void *)(uintptr_t)base, size);
	return 0;
}
