/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: DCE-RPC PDUs, SVCCTL stub decoding for every opnum decoded, task registrations (TSCH, ATSVC; both
 * byte orders), endpoint-mapper towers, artifact origins. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "detect_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ops[] = { 11, 12, 16, 23, 24, 28, 44, 45 };
	struct jg_rpc_pdu pdu;
	struct jg_svc_req r;
	struct jg_task_req t;
	struct jg_epm_entry e[8];
	char name[256], host[64];
	uint32_t pid;

	if (jg_rpc_parse(data, size, &pdu) == 0 && pdu.stub != NULL &&
	    (pdu.stub < data || pdu.stub + pdu.stub_len > data + size))
		abort();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (jg_svcctl_decode(ops[i], data, size, &r) == 0 &&
		    (strnlen(r.service, sizeof(r.service)) == sizeof(r.service) ||
		     strnlen(r.binary_path, sizeof(r.binary_path)) == sizeof(r.binary_path)))
			abort();
	for (int k = 0; k < 4; k++)
		if (jg_task_decode(k & 1, data, size, k >> 1, &t) == 0 &&
		    (strnlen(t.name, sizeof(t.name)) == sizeof(t.name) || strnlen(t.command, sizeof(t.command)) == sizeof(t.command)))
			abort();
	if (jg_epm_map_response(data, size, e, 8) > 8)
		abort();
	memcpy(name, data, size < sizeof(name) - 1 ? size : sizeof(name) - 1);
	name[size < sizeof(name) - 1 ? size : sizeof(name) - 1] = '\0';
	jg_origin_parse(name, host, sizeof(host), &pid);
	return 0;
}
