/* SPDX-License-Identifier: BSD-3-Clause */
/* The in-place pcap reader on arbitrary files: it must stop at the end, never read past it. */
#include <stddef.h>
#include <stdint.h>

#include "jg_pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_pcapf h;
	struct jg_pcapf_rec r;
	size_t off = JG_PCAPF_HDR;
	volatile uint8_t sink = 0;

	if (jg_pcapf_header(data, size, &h) != 0)
		return 0;
	while (jg_pcapf_next(data, size, &h, &off, &r) == 1)
		if (r.caplen)
			sink ^= r.data[r.caplen - 1];
	(void)sink;
	return 0;
}
