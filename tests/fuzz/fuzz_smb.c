/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: NetBIOS, SMB1 (AndX chains), SMB2/3 (compounds), NTLMSSP AUTHENTICATE and CHALLENGE, tree paths, on arbitrary messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use(const struct jg_smb_msg *m, const uint8_t *base, size_t len)
{
	/* what a parser hands out must lie inside the message */
	if (m->data != NULL && (m->data < base || m->data + m->data_len > base + len))
		abort();
	if (m->blob != NULL && (m->blob < base || m->blob + m->blob_len > base + len))
		abort();
	if (strnlen(m->name, sizeof(m->name)) == sizeof(m->name))
		abort();
}

/* the server of a tree path: a name that fits, never an address */
static void
names(const struct jg_smb_msg *m)
{
	char out[64];

	if (jg_server_of_path(m->name, out, sizeof(out)) && (strnlen(out, sizeof(out)) == sizeof(out) || !out[0]))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_smb_msg m;
	struct jg_ntlm_auth a;
	struct jg_ntlm_chal c;
	size_t off = 0, next;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		for (int n = 0; n < 16 && off < size - 1; n++) {
			if (jg_smb2_parse(data + 1 + off, size - 1 - off, &m, &next) != 0)
				break;
			use(&m, data + 1 + off, size - 1 - off);
			if (m.blob) {
				jg_ntlm_find_auth(m.blob, m.blob_len, &a);
				jg_ntlm_find_challenge(m.blob, m.blob_len, &c);
			}
			names(&m);
			if (next == 0)
				break;
			off += next;
		}
		break;
	case 1:
		if (jg_smb1_parse(data + 1, size - 1, &m) == 0) {
			use(&m, data + 1, size - 1);
			if (m.blob)
				jg_ntlm_find_auth(m.blob, m.blob_len, &a);
		}
		break;
	case 2:
		jg_ntlm_find_auth(data + 1, size - 1, &a);
		/* names are NUL-terminated within their buffers */
		if (jg_ntlm_find_challenge(data + 1, size - 1, &c) == 0 &&
		    (strnlen(c.nb_computer, sizeof(c.nb_computer)) == sizeof(c.nb_computer) ||
		     strnlen(c.dns_computer, sizeof(c.dns_computer)) == sizeof(c.dns_computer)))
			abort();
		break;
	default:
		jg_nbss_len(data + 1, size - 1);
		jg_smb3_transform_session(data + 1, size - 1);
		break;
	}
	return 0;
}
