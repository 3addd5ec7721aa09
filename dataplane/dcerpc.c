/* SPDX-License-Identifier: BSD-3-Clause */
#include "dcerpc.h"

#include <stdio.h>
#include <string.h>

#include "le.h"

#define RPC_HDR 16

/* Integers in the PDU's data representation. */
static uint16_t
rd16(const uint8_t *p, int be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : jg_le16(p);
}

static uint32_t
rd32(const uint8_t *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : jg_le32(p);
}

/* A UUID as sent in a big-endian representation: its first three fields turned to the wire's usual order. */
static void
uuid_in(struct jg_uuid *u, const uint8_t *p, int be)
{
	memcpy(u->b, p, 16);
	if (be) {
		for (int i = 0; i < 4; i++)
			u->b[i] = p[3 - i];
		u->b[4] = p[5], u->b[5] = p[4];
		u->b[6] = p[7], u->b[7] = p[6];
	}
}

const char *const jg_rpc_iface_names[JG_IF_MAX] = {
	[JG_IF_UNKNOWN] = "",
#define JG_X_NAME(e, n, u) [JG_IF_##e] = n,
	JG_RPC_IFACES(JG_X_NAME)
#undef JG_X_NAME
};

static const char *const iface_uuids[JG_IF_MAX] = {
	[JG_IF_UNKNOWN] = "",
#define JG_X_UUID(e, n, u) [JG_IF_##e] = u,
	JG_RPC_IFACES(JG_X_UUID)
#undef JG_X_UUID
};

char *
jg_uuid_str(const struct jg_uuid *u, char *out, size_t cap)
{
	const uint8_t *b = u->b;

	snprintf(out, cap, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", jg_le32(b), jg_le16(b + 4),
		 jg_le16(b + 6), b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return out;
}

int
jg_rpc_iface_uuid(enum jg_rpc_iface iface, struct jg_uuid *u)
{
	unsigned int f[11];

	if (iface <= JG_IF_UNKNOWN || iface >= JG_IF_MAX ||
	    sscanf(iface_uuids[iface], "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &f[0], &f[1], &f[2], &f[3], &f[4],
		   &f[5], &f[6], &f[7], &f[8], &f[9], &f[10]) != 11)
		return -1;
	/* the first three fields little-endian, the rest as written */
	for (int i = 0; i < 4; i++)
		u->b[i] = (uint8_t)(f[0] >> (8 * i));
	u->b[4] = (uint8_t)f[1];
	u->b[5] = (uint8_t)(f[1] >> 8);
	u->b[6] = (uint8_t)f[2];
	u->b[7] = (uint8_t)(f[2] >> 8);
	for (int i = 0; i < 8; i++)
		u->b[8 + i] = (uint8_t)f[3 + i];
	return 0;
}

enum jg_rpc_iface
jg_rpc_iface_of(const struct jg_uuid *u)
{
	char s[40];

	jg_uuid_str(u, s, sizeof(s));
	for (int i = 1; i < JG_IF_MAX; i++)
		if (strcmp(s, iface_uuids[i]) == 0)
			return (enum jg_rpc_iface)i;
	return JG_IF_UNKNOWN;
}

int
jg_rpc_looks_like(const uint8_t *p, size_t len)
{
	/* data representation: integers big- (0x00) or little-endian (0x10), ASCII characters */
	if (len < RPC_HDR || p[0] != 5 || p[1] > 1 || (p[4] & 0xe0) != 0 || (p[4] & 0x0f) != 0)
		return 0;
	switch (p[2]) {
	case JG_RPC_REQUEST: case JG_RPC_RESPONSE: case JG_RPC_FAULT: case JG_RPC_BIND:
	case JG_RPC_BIND_ACK: case JG_RPC_ALTER: case JG_RPC_ALTER_RESP: case JG_RPC_AUTH3:
	case 13: /* bind_nak */ case 17: /* shutdown */ case 18: /* co_cancel */ case 19: /* orphaned */
		break;
	default:
		return 0;
	}
	return rd16(p + 8, !(p[4] & 0x10)) >= RPC_HDR;
}

int32_t
jg_rpc_frag_len(const uint8_t *p, size_t len)
{
	if (len < 10 || p[0] != 5)
		return -1;
	return rd16(p + 8, !(p[4] & 0x10));
}

static void
parse_ctx_list(const uint8_t *p, size_t len, struct jg_rpc_pdu *pdu)
{
	size_t off = 28;
	uint8_t n;
	int be = pdu->big_endian;

	if (len < 25)
		return;
	n = p[24];
	for (uint8_t i = 0; i < n && pdu->n_ctx < JG_RPC_MAX_CTX; i++) {
		uint8_t n_tr;

		if (off + 24 > len)
			return;
		n_tr = p[off + 2];
		pdu->ctx[pdu->n_ctx].id = rd16(p + off, be);
		uuid_in(&pdu->ctx[pdu->n_ctx].uuid, p + off + 4, be);
		pdu->ctx[pdu->n_ctx].ver_major = rd16(p + off + 20, be);
		pdu->n_ctx++;
		off += 24 + 20u * n_tr;
	}
}

/* bind_ack / alter_context_resp: after the secondary address (padded to 4), one result per context offered. */
static void
parse_results(const uint8_t *p, size_t len, struct jg_rpc_pdu *pdu)
{
	size_t off;
	uint8_t n;
	int be = pdu->big_endian;

	if (len < 26)
		return;
	off = (26 + (size_t)rd16(p + 24, be) + 3) & ~(size_t)3;
	if (off + 4 > len)
		return;
	n = p[off];
	off += 4;
	for (uint8_t i = 0; i < n && pdu->n_ctx < JG_RPC_MAX_CTX && off + 24 <= len; i++, off += 24)
		pdu->ctx[pdu->n_ctx++].result = rd16(p + off, be);
}

int
jg_rpc_parse(const uint8_t *p, size_t len, struct jg_rpc_pdu *pdu)
{
	uint16_t auth_len;
	size_t end, hdr;

	memset(pdu, 0, sizeof(*pdu));
	if (!jg_rpc_looks_like(p, len))
		return -1;
	pdu->ptype = p[2];
	pdu->flags = p[3];
	pdu->big_endian = !(p[4] & 0x10);
	pdu->frag_len = rd16(p + 8, pdu->big_endian);
	auth_len = rd16(p + 10, pdu->big_endian);
	pdu->call_id = rd32(p + 12, pdu->big_endian);
	end = pdu->frag_len < len ? pdu->frag_len : len;
	/* The sec_trailer sits before the auth value: its level tells if the stub is sealed. */
	/* An auth trailer reaching into the header is bogus: ignored. */
	if (auth_len != 0 && (size_t)auth_len + 8 + RPC_HDR <= pdu->frag_len) {
		size_t tr = pdu->frag_len - auth_len - 8u;

		if (tr + 2 <= len)
			pdu->auth_level = p[tr + 1];
		if (tr < end)
			end = tr;
		if (tr + 3 <= len && p[tr + 2] <= end - RPC_HDR)
			end -= p[tr + 2]; /* auth padding */
	}
	switch (pdu->ptype) {
	case JG_RPC_BIND:
	case JG_RPC_ALTER:
		parse_ctx_list(p, end, pdu);
		break;
	case JG_RPC_BIND_ACK:
	case JG_RPC_ALTER_RESP:
		parse_results(p, end, pdu);
		break;
	case JG_RPC_REQUEST:
		if (end < 24)
			break;
		pdu->ctx_id = rd16(p + 20, pdu->big_endian);
		pdu->opnum = rd16(p + 22, pdu->big_endian);
		hdr = (pdu->flags & 0x80) ? 40 : 24; /* object UUID present */
		if (end > hdr) {
			pdu->stub = p + hdr;
			pdu->stub_len = (uint32_t)(end - hdr);
		}
		break;
	case JG_RPC_RESPONSE:
		if (end < 24)
			break;
		pdu->ctx_id = rd16(p + 20, pdu->big_endian);
		if (end > 24) {
			pdu->stub = p + 24;
			pdu->stub_len = (uint32_t)(end - 24);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* NDR reading over a stub: alignment is relative to the stub's start. */
struct ndr {
	const uint8_t *p;
	size_t len;
	size_t off;
	int bad;
	int be; /* big-endian data representation */
};

static uint32_t
ndr_u32(struct ndr *n)
{
	uint32_t v;

	n->off = (n->off + 3) & ~(size_t)3;
	if (n->off + 4 > n->len) {
		n->bad = 1;
		return 0;
	}
	v = rd32(n->p + n->off, n->be);
	n->off += 4;
	return v;
}

static void
ndr_skip(struct ndr *n, size_t k)
{
	if (n->off + k > n->len)
		n->bad = 1;
	else
		n->off += k;
}

/* A conformant varying string: max count, offset, actual count, then the characters. */
static void
ndr_string(struct ndr *n, int wide, char *out, size_t cap)
{
	uint32_t actual, bytes;

	out[0] = '\0';
	ndr_u32(n);
	ndr_u32(n);
	actual = ndr_u32(n);
	if (n->bad)
		return;
	bytes = actual * (wide ? 2u : 1u);
	if (bytes > n->len - n->off) {
		/* cut short (capture or cap): keep what is there */
		bytes = (uint32_t)(n->len - n->off);
		n->bad = 1;
	}
	if (wide && n->be) { /* big-endian code units: turned around first */
		uint8_t le[2 * 256];
		uint32_t k = bytes < sizeof(le) ? bytes & ~1u : sizeof(le);

		for (uint32_t i = 0; i + 1 < k; i += 2) {
			le[i] = n->p[n->off + i + 1];
			le[i + 1] = n->p[n->off + i];
		}
		jg_utf16_to_ascii(le, k, out, cap);
	} else if (wide) {
		jg_utf16_to_ascii(n->p + n->off, bytes, out, cap);
	} else {
		size_t k = 0;

		for (uint32_t i = 0; i < bytes && k + 1 < cap && n->p[n->off + i]; i++)
			out[k++] = (n->p[n->off + i] >= 0x20 && n->p[n->off + i] < 0x7f) ? (char)n->p[n->off + i] : '?';
		out[k] = '\0';
	}
	n->off += bytes;
}

/* A [unique] pointer to a string: referent id, then the string when not NULL. */
static void
ndr_unique_string(struct ndr *n, int wide, char *out, size_t cap)
{
	out[0] = '\0';
	if (ndr_u32(n) != 0 && !n->bad)
		ndr_string(n, wide, out, cap);
}

int
jg_svcctl_decode(uint16_t opnum, const uint8_t *stub, size_t len, struct jg_svc_req *r)
{
	return jg_svcctl_decode_drep(opnum, stub, len, 0, r);
}

int
jg_svcctl_decode_drep(uint16_t opnum, const uint8_t *stub, size_t len, int big_endian, struct jg_svc_req *r)
{
	struct ndr n = { stub, len, 0, 0, big_endian };
	char display[JG_NAME_MAX];
	int wide = 1;

	memset(r, 0, sizeof(*r));
	if (stub == NULL)
		return -1;
	switch (opnum) {
	case JG_SCM_CREATE_SERVICE_A:
	case JG_SCM_CREATE_SERVICE_WOW64_A:
		wide = 0;
		/* fall through */
	case JG_SCM_CREATE_SERVICE_W:
	case JG_SCM_CREATE_SERVICE_WOW64_W:
		ndr_skip(&n, 20); /* SCM handle */
		ndr_string(&n, wide, r->service, sizeof(r->service));
		ndr_unique_string(&n, wide, display, sizeof(display));
		ndr_u32(&n); /* access */
		ndr_u32(&n); /* type */
		r->start_type = ndr_u32(&n);
		r->has_start_type = !n.bad;
		ndr_u32(&n); /* error control */
		ndr_string(&n, wide, r->binary_path, sizeof(r->binary_path));
		break;
	case JG_SCM_CHANGE_CONFIG_A:
		wide = 0;
		/* fall through */
	case JG_SCM_CHANGE_CONFIG_W:
		ndr_skip(&n, 20); /* service handle */
		ndr_u32(&n);
		r->start_type = ndr_u32(&n);
		r->has_start_type = !n.bad;
		ndr_u32(&n);
		ndr_unique_string(&n, wide, r->binary_path, sizeof(r->binary_path));
		break;
	case JG_SCM_OPEN_SERVICE_A:
		wide = 0;
		/* fall through */
	case JG_SCM_OPEN_SERVICE_W:
		ndr_skip(&n, 20);
		ndr_string(&n, wide, r->service, sizeof(r->service));
		break;
	default:
		return -1;
	}
	return r->service[0] || r->binary_path[0] ? 0 : -1;
}

int
jg_winreg_decode(uint16_t opnum, const uint8_t *stub, size_t len, int big_endian, char *out, size_t cap)
{
	struct ndr n = { stub, len, 0, 0, big_endian };

	out[0] = '\0';
	if (stub == NULL)
		return -1;
	switch (opnum) {
	case JG_REG_CREATE_KEY:
	case JG_REG_OPEN_KEY:
	case JG_REG_SAVE_KEY:
	case JG_REG_SET_VALUE:
	case JG_REG_SAVE_KEY_EX:
		ndr_skip(&n, 20); /* key handle */
		ndr_skip(&n, 4);  /* Length, MaximumLength (bytes) */
		ndr_unique_string(&n, 1, out, cap);
		return out[0] ? 0 : -1;
	default:
		return -1;
	}
}

/* One protocol tower: floors of (lhs, rhs); floor 1 names the interface, 4 the TCP port, 5 the IP. */
static int
parse_tower(const uint8_t *t, size_t len, struct jg_epm_entry *e)
{
	size_t off = 2;
	uint16_t floors;
	int have_uuid = 0, have_port = 0;

	if (len < 2)
		return 0;
	floors = jg_le16(t);
	memset(e, 0, sizeof(*e));
	for (uint16_t f = 0; f < floors && f < 8; f++) {
		uint16_t lhs_len, rhs_len;
		const uint8_t *lhs, *rhs;

		if (off + 2 > len || (lhs_len = jg_le16(t + off)) == 0 || off + 2 + lhs_len + 2 > len)
			return 0;
		lhs = t + off + 2;
		rhs_len = jg_le16(t + off + 2 + lhs_len);
		rhs = t + off + 2 + lhs_len + 2;
		if ((size_t)(rhs - t) + rhs_len > len)
			return 0;
		if (lhs[0] == 0x0d && lhs_len >= 17 && !have_uuid) {
			memcpy(e->uuid.b, lhs + 1, 16);
			have_uuid = 1;
		} else if (lhs[0] == 0x07 && rhs_len == 2) {
			e->port = (uint16_t)(rhs[0] << 8 | rhs[1]);
			have_port = 1;
		} else if (lhs[0] == 0x09 && rhs_len == 4) {
			memcpy(e->ip, rhs, 4);
		}
		off = (size_t)(rhs - t) + rhs_len;
	}
	return have_uuid && have_port && e->port != 0;
}

unsigned int
jg_epm_map_response(const uint8_t *stub, size_t len, struct jg_epm_entry *out, unsigned int max)
{
	struct ndr n = { stub, len, 20, 0, 0 }; /* after the context handle */
	uint32_t count;
	unsigned int found = 0;

	if (stub == NULL)
		return 0;
	ndr_u32(&n); /* num_towers */
	ndr_u32(&n); /* max count */
	ndr_u32(&n); /* offset */
	count = ndr_u32(&n);
	if (n.bad || count > 64)
		return 0;
	for (uint32_t i = 0; i < count; i++)
		ndr_u32(&n); /* referent ids */
	for (uint32_t i = 0; i < count && !n.bad && found < max; i++) {
		uint32_t tlen = ndr_u32(&n);

		ndr_u32(&n); /* the octet string's max count */
		if (n.bad || tlen > n.len - n.off)
			break;
		if (parse_tower(n.p + n.off, tlen, &out[found]))
			found++;
		n.off += tlen;
	}
	return found;
}

/* The text of the first <tag>...</tag> of a task XML, its five entities undone. */
static void
xml_element(const char *xml, const char *tag, char *out, size_t cap)
{
	static const struct {
		const char *e;
		char c;
	} ents[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' } };
	char open[32], close[32];
	const char *p, *end;
	size_t n = 0;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((p = strstr(xml, open)) == NULL || (end = strstr(p, close)) == NULL)
		return;
	for (p += strlen(open); p < end && n + 1 < cap;) {
		size_t k = 0;

		for (; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strncmp(p, ents[k].e, strlen(ents[k].e)) == 0)
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			out[n++] = ents[k].c;
			p += strlen(ents[k].e);
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

int
jg_task_decode(int atsvc, const uint8_t *stub, size_t len, int big_endian, struct jg_task_req *t)
{
	struct ndr n = { stub, len, 0, 0, big_endian };
	char xml[2048], cmd[128], args[256];

	memset(t, 0, sizeof(*t));
	if (stub == NULL)
		return -1;
	if (atsvc) {
		char server[JG_NAME_MAX];

		/* NetrJobAdd(ServerName, AT_INFO { JobTime, DaysOfMonth, DaysOfWeek, Flags, Command }) */
		ndr_unique_string(&n, 1, server, sizeof(server));
		ndr_u32(&n);
		ndr_u32(&n);
		ndr_skip(&n, 4); /* DaysOfWeek, Flags, padding */
		if (ndr_u32(&n) != 0 && !n.bad)
			ndr_string(&n, 1, t->command, sizeof(t->command));
		return t->command[0] ? 0 : -1;
	}
	/* SchRpcRegisterTask(path, xml, flags, sddl, logonType, cCreds, pCreds) */
	ndr_unique_string(&n, 1, t->name, sizeof(t->name));
	ndr_string(&n, 1, xml, sizeof(xml));
	xml_element(xml, "Command", cmd, sizeof(cmd));
	xml_element(xml, "Arguments", args, sizeof(args));
	snprintf(t->command, sizeof(t->command), "%s%s%s", cmd, cmd[0] && args[0] ? " " : "", args);
	return t->name[0] || t->command[0] ? 0 : -1;
}
