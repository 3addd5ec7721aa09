/* SPDX-License-Identifier: BSD-3-Clause */
/* DCE-RPC PDUs, SVCCTL stubs and artifact origins on crafted bytes. */
#include <string.h>

#include "dcerpc.h"
#include "detect_priv.h"
#include "jg_test.h"
#include "jg_test_bytes.h"

static uint8_t b[4096];



static void
hdr(uint8_t ptype, uint16_t frag_len, uint16_t auth_len)
{
	memset(b, 0, sizeof(b));
	b[0] = 5;
	b[2] = ptype;
	b[3] = 3;
	b[4] = 0x10;
	w16(b + 8, frag_len);
	w16(b + 10, auth_len);
	w32(b + 12, 9);
}

/* NDR conformant varying string, wide or not; @return new offset (4-aligned) */
static size_t
ndr_str(uint8_t *p, size_t off, const char *s, int wide)
{
	size_t n = strlen(s) + 1;

	w32(p + off, (uint32_t)n);
	w32(p + off + 4, 0);
	w32(p + off + 8, (uint32_t)n);
	off += 12;
	for (size_t i = 0; i < n; i++) {
		if (wide) {
			p[off + 2 * i] = (uint8_t)s[i];
			p[off + 2 * i + 1] = 0;
		} else {
			p[off + i] = (uint8_t)s[i];
		}
	}
	off += n * (wide ? 2 : 1);
	return (off + 3) & ~(size_t)3;
}

static void
test_bind(void)
{
	static const uint8_t svcctl[16] = { 0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
					    0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03 };
	struct jg_rpc_pdu pdu;
	struct jg_uuid u;
	char s[40];

	hdr(JG_RPC_BIND, 28 + 2 * 44, 0);
	b[24] = 2;
	for (int i = 0; i < 2; i++) {
		uint8_t *c = b + 28 + 44 * i;

		w16(c, (uint16_t)i);
		c[2] = 1;
		memcpy(c + 4, i ? svcctl : (const uint8_t *)"0123456789abcdef", 16);
		w16(c + 20, 2);
	}
	CHECK(jg_rpc_looks_like(b, 16));
	CHECK(jg_rpc_parse(b, 28 + 88, &pdu) == 0 && pdu.ptype == JG_RPC_BIND && pdu.n_ctx == 2);
	CHECK(pdu.ctx[1].id == 1 && jg_rpc_iface_of(&pdu.ctx[1].uuid) == JG_IF_SVCCTL && pdu.ctx[1].ver_major == 2);
	CHECK(jg_rpc_iface_of(&pdu.ctx[0].uuid) == JG_IF_UNKNOWN);
	memcpy(u.b, svcctl, 16);
	CHECK(strcmp(jg_uuid_str(&u, s, sizeof(s)), "367abb81-9844-35f1-ad32-98f038001003") == 0);
	/* a context list cut short keeps the whole entries only */
	CHECK(jg_rpc_parse(b, 28 + 60, &pdu) == 0 && pdu.n_ctx == 1);
	/* not DCE-RPC: wrong version, EBCDIC characters, unknown type */
	b[0] = 4;
	CHECK(!jg_rpc_looks_like(b, 16) && jg_rpc_parse(b, 100, &pdu) == -1);
	b[0] = 5;
	b[4] = 0x11;
	CHECK(!jg_rpc_looks_like(b, 16));
	b[4] = 0x10;
	b[2] = 42;
	CHECK(!jg_rpc_looks_like(b, 16));
	b[2] = JG_RPC_BIND;
	/* the same bind in the big-endian representation: the same contexts */
	b[4] = 0x00;
	b[8] = 0, b[9] = 28 + 88;
	for (int i = 0; i < 2; i++) {
		uint8_t *c = b + 28 + 44 * i, t;

		t = c[0], c[0] = c[1], c[1] = t;
		t = c[20], c[20] = c[21], c[21] = t;
		t = c[4], c[4] = c[7], c[7] = t;
		t = c[5], c[5] = c[6], c[6] = t;
		t = c[8], c[8] = c[9], c[9] = t;
		t = c[10], c[10] = c[11], c[11] = t;
	}
	CHECK(jg_rpc_looks_like(b, 16) && jg_rpc_frag_len(b, 16) == 28 + 88);
	CHECK(jg_rpc_parse(b, 28 + 88, &pdu) == 0 && pdu.big_endian && pdu.n_ctx == 2 && pdu.ctx[1].id == 1);
	CHECK(jg_rpc_iface_of(&pdu.ctx[1].uuid) == JG_IF_SVCCTL && pdu.ctx[1].ver_major == 2);
}

/* bind_ack: one result per context offered, after the secondary address */
static void
test_bind_ack(void)
{
	struct jg_rpc_pdu pdu;
	size_t off;

	hdr(JG_RPC_BIND_ACK, 0, 0);
	w16(b + 24, 6);
	memcpy(b + 26, "\\PIPE\\ntsvcs", 6);
	off = (26 + 6 + 3) & ~(size_t)3;
	b[off] = 3;
	w16(b + off + 4, 2);      /* provider rejection */
	w16(b + off + 4 + 24, 0); /* acceptance */
	w16(b + off + 4 + 48, 2);
	w16(b + 8, (uint16_t)(off + 4 + 72));
	CHECK(jg_rpc_parse(b, off + 4 + 72, &pdu) == 0 && pdu.ptype == JG_RPC_BIND_ACK && pdu.n_ctx == 3);
	CHECK(pdu.ctx[0].result == 2 && pdu.ctx[1].result == 0 && pdu.ctx[2].result == 2);
	/* cut before the last result: the whole ones only */
	CHECK(jg_rpc_parse(b, off + 4 + 60, &pdu) == 0 && pdu.n_ctx == 2);
}

static void
test_request_and_svcctl(void)
{
	struct jg_rpc_pdu pdu;
	struct jg_svc_req r;
	size_t off = 24 + 20;

	hdr(JG_RPC_REQUEST, 0, 0);
	w16(b + 20, 1);
	w16(b + 22, JG_SCM_CREATE_SERVICE_W);
	off = ndr_str(b, off, "PSEXESVC", 1);
	w32(b + off, 0x20000);
	off = ndr_str(b, off + 4, "PSEXESVC", 1);
	w32(b + off + 8, 3); /* start type: demand */
	off = ndr_str(b, off + 16, "%SystemRoot%\\PSEXESVC.exe", 1);
	w16(b + 8, (uint16_t)off);
	CHECK(jg_rpc_parse(b, off, &pdu) == 0 && pdu.ptype == JG_RPC_REQUEST && pdu.opnum == 12 && pdu.ctx_id == 1);
	CHECK(pdu.stub == b + 24 && pdu.stub_len == off - 24 && pdu.auth_level == 0);
	CHECK(jg_svcctl_decode(pdu.opnum, pdu.stub, pdu.stub_len, &r) == 0);
	CHECK(!strcmp(r.service, "PSEXESVC") && !strcmp(r.binary_path, "%SystemRoot%\\PSEXESVC.exe"));
	CHECK(r.has_start_type && r.start_type == 3);
	/* the stub cut inside the binary path: the part that is there */
	CHECK(jg_svcctl_decode(12, pdu.stub, pdu.stub_len - 20, &r) == 0 && !strcmp(r.service, "PSEXESVC"));
	CHECK(strncmp(r.binary_path, "%SystemRoot%", 12) == 0 && strlen(r.binary_path) < 25);
	/* cut inside the service name */
	CHECK(jg_svcctl_decode(12, pdu.stub, 36, &r) == 0 && !strcmp(r.service, "PS"));
	CHECK(jg_svcctl_decode(12, pdu.stub, 10, &r) == -1);
	CHECK(jg_svcctl_decode(99, pdu.stub, pdu.stub_len, &r) == -1);
	/* the same stub in the big-endian representation: every 32-bit word and UTF-16 unit turned */
	{
		static uint8_t be[4096];

		memcpy(be, pdu.stub, pdu.stub_len);
		for (size_t i = 20; i + 3 < 32; i += 4) /* max, offset, actual count of the name */
			for (int k = 0; k < 2; k++) {
				uint8_t t = be[i + k];

				be[i + k] = be[i + 3 - k];
				be[i + 3 - k] = t;
			}
		for (size_t i = 32; i < 32 + 18; i += 2) {
			uint8_t t = be[i];

			be[i] = be[i + 1];
			be[i + 1] = t;
		}
		CHECK(jg_svcctl_decode_drep(12, be, 32 + 18, 1, &r) == 0 && !strcmp(r.service, "PSEXESVC"));
		CHECK(jg_svcctl_decode_drep(12, be, 32 + 18, 0, &r) != 0 || strcmp(r.service, "PSEXESVC") != 0);
	}

	/* an auth trailer: level privacy, the stub is what precedes it */
	w16(b + 8, (uint16_t)(off + 8 + 16));
	w16(b + 10, 16);
	b[off + 1] = 6;
	CHECK(jg_rpc_parse(b, off + 24, &pdu) == 0 && pdu.auth_level == 6 && pdu.stub_len == off - 24);
	/* an auth trailer that would start inside the header is ignored */
	w16(b + 8, 30);
	w16(b + 10, 10);
	b[13] = 0xff;
	CHECK(jg_rpc_parse(b, 30, &pdu) == 0 && pdu.auth_level == 0 && pdu.stub_len == 6);
	w16(b + 8, (uint16_t)(off + 8 + 16));
	/* an auth length larger than the PDU is ignored */
	w16(b + 10, 60000);
	CHECK(jg_rpc_parse(b, off + 24, &pdu) == 0 && pdu.auth_level == 0);
}

static void
test_svcctl_ansi_and_change(void)
{
	struct jg_svc_req r;
	size_t off = 20;

	memset(b, 0, sizeof(b));
	off = ndr_str(b, off, "RemComSvc", 0);
	w32(b + off, 0);
	off += 4; /* no display name */
	off += 16;
	off = ndr_str(b, off, "%SystemRoot%\\system32\\RemComSvc.exe", 0);
	CHECK(jg_svcctl_decode(JG_SCM_CREATE_SERVICE_A, b, off, &r) == 0);
	CHECK(!strcmp(r.service, "RemComSvc") && !strcmp(r.binary_path, "%SystemRoot%\\system32\\RemComSvc.exe"));

	memset(b, 0, sizeof(b));
	off = 20 + 12;
	w32(b + off, 0x20004);
	off = ndr_str(b, off + 4, "cmd.exe /c powershell", 0);
	CHECK(jg_svcctl_decode(JG_SCM_CHANGE_CONFIG_A, b, off, &r) == 0 && !strcmp(r.binary_path, "cmd.exe /c powershell"));
	w32(b + 32, 0); /* NULL binary path: nothing changed there */
	CHECK(jg_svcctl_decode(JG_SCM_CHANGE_CONFIG_A, b, off, &r) == -1);
}

static void
test_origin(void)
{
	char host[64];
	uint32_t pid;

	CHECK(jg_origin_parse("PAExec-4242-WKSTN07.exe", host, sizeof(host), &pid) && pid == 4242 && !strcmp(host, "WKSTN07"));
	CHECK(jg_origin_parse("PAExec-17-MY-HOST", host, sizeof(host), &pid) && pid == 17 && !strcmp(host, "MY-HOST"));
	CHECK(jg_origin_parse("PSEXESVC-VICTIM-PC-2412-stdin", host, sizeof(host), &pid) && pid == 2412 &&
	      !strcmp(host, "VICTIM-PC"));
	CHECK(jg_origin_parse("psexecsvc-STEVELAPTOP-968-stderr", host, sizeof(host), &pid) && pid == 968 &&
	      !strcmp(host, "STEVELAPTOP"));
	CHECK(jg_origin_parse("\\PSEXESVC-CHIP_DOUGLAS-PC-3556-stdout", host, sizeof(host), &pid) && pid == 3556 &&
	      !strcmp(host, "CHIP_DOUGLAS-PC"));
	CHECK(jg_origin_parse("PSEXEC-ADMINBOX-8A2F31C0.key", host, sizeof(host), &pid) && pid == 0 && !strcmp(host, "ADMINBOX"));
	CHECK(!jg_origin_parse("PSEXESVC.exe", host, sizeof(host), &pid));
	CHECK(!jg_origin_parse("PAExec-x12-HOST.exe", host, sizeof(host), &pid));
	CHECK(!jg_origin_parse("PSEXESVC-HOST-12a-stdin", host, sizeof(host), &pid));
	CHECK(!jg_origin_parse("PAExec-12-bad\"name", host, sizeof(host), &pid)); /* not a NetBIOS name */
}

static size_t
floor_add(uint8_t *p, size_t off, const uint8_t *lhs, uint16_t ll, const uint8_t *rhs, uint16_t rl)
{
	w16(p + off, ll);
	memcpy(p + off + 2, lhs, ll);
	w16(p + off + 2 + ll, rl);
	memcpy(p + off + 4 + ll, rhs, rl);
	return off + 4u + ll + rl;
}

static void
test_epm(void)
{
	struct jg_epm_entry e[4];
	struct jg_uuid u;
	uint8_t lhs[19] = { 0x0d };
	size_t off, tw;

	CHECK(jg_rpc_iface_uuid(JG_IF_SVCCTL, &u) == 0 && jg_rpc_iface_of(&u) == JG_IF_SVCCTL);
	CHECK(jg_rpc_iface_uuid(JG_IF_WBEM_LOGIN, &u) == 0 && jg_rpc_iface_of(&u) == JG_IF_WBEM_LOGIN);
	CHECK(jg_rpc_iface_uuid(JG_IF_UNKNOWN, &u) == -1);
	/* an ept_map response: handle, num_towers 1, array [max 1, offset 0, actual 1, ref], one tower */
	memset(b, 0, sizeof(b));
	off = 20;
	w32(b + off, 1);
	w32(b + off + 4, 1);
	w32(b + off + 8, 0);
	w32(b + off + 12, 1);
	w32(b + off + 16, 3);
	off += 20;
	tw = off + 8; /* the tower octets, after its length and max count */
	w16(b + tw, 5);
	jg_rpc_iface_uuid(JG_IF_SVCCTL, &u);
	memcpy(lhs + 1, u.b, 16);
	off = floor_add(b, tw + 2, lhs, 19, (const uint8_t *)"\0\0", 2);
	off = floor_add(b, off, (const uint8_t *)"\x04\x5d\x88\x8a\xeb\x1c\xc9\x11\x9f\xe8\x08\x00\x2b\x10\x48\x60\x02\x00", 19,
			(const uint8_t *)"\0\0", 2);
	off = floor_add(b, off, (const uint8_t *)"\x0b", 1, (const uint8_t *)"\0\0", 2);
	off = floor_add(b, off, (const uint8_t *)"\x07", 1, (const uint8_t *)"\xc0\x03", 2); /* port 49155 */
	off = floor_add(b, off, (const uint8_t *)"\x09", 1, (const uint8_t *)"\xc0\xa8\x0a\x0a", 4);
	w32(b + tw - 8, (uint32_t)(off - tw));
	w32(b + tw - 4, (uint32_t)(off - tw));
	CHECK(jg_epm_map_response(b, off + 4, e, 4) == 1);
	CHECK(jg_rpc_iface_of(&e[0].uuid) == JG_IF_SVCCTL && e[0].port == 49155 && e[0].ip[0] == 192 && e[0].ip[3] == 10);
	CHECK(jg_epm_map_response(b, off - 3, e, 4) == 0); /* the tower cut short */
	w32(b + 32, 100000);                               /* an absurd tower count */
	CHECK(jg_epm_map_response(b, off + 4, e, 4) == 0);
}

int
main(void)
{
	test_bind();
	test_bind_ack();
	test_request_and_svcctl();
	test_svcctl_ansi_and_change();
	test_origin();
	test_epm();
	return jg_test_done();
}
