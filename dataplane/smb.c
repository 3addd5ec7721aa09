/* SPDX-License-Identifier: BSD-3-Clause */
#include "smb.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "le.h"

#define SMB2_HDR 64
#define SMB1_HDR 32
#define FSCTL_PIPE_TRANSCEIVE 0x0011c017u

int32_t
jg_nbss_len(const uint8_t *p, size_t len)
{
	/* Type 0 (session message); SMB2 over TCP uses all 24 bits of length. */
	if (len < 4 || p[0] != 0x00)
		return -1;
	return (int32_t)((uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

enum jg_smb_kind
jg_smb_kind(const uint8_t *p, size_t len)
{
	if (len < 4 || p[1] != 'S' || p[2] != 'M' || p[3] != 'B')
		return JG_SMB_NONE;
	switch (p[0]) {
	case 0xff: return JG_SMB1;
	case 0xfe: return JG_SMB2;
	case 0xfd: return JG_SMB3_TRANSFORM;
	case 0xfc: return JG_SMB_COMPRESSED;
	default: return JG_SMB_NONE;
	}
}

size_t
jg_utf16_to_ascii(const uint8_t *p, size_t bytes, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i + 1 < bytes && n + 1 < cap; i += 2) {
		uint16_t c = jg_le16(p + i);

		if (c == 0)
			break;
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = '\0';
	return n;
}

static size_t
ascii_copy(const uint8_t *p, size_t bytes, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < bytes && n + 1 < cap && p[i] != 0; i++)
		out[n++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[n] = '\0';
	return n;
}

char *
jg_share_of_path(const char *path, char *out, size_t cap)
{
	const char *s = strrchr(path, '\\');
	size_t n = 0;

	s = s ? s + 1 : path;
	for (; *s && n + 1 < cap; s++)
		out[n++] = (char)toupper((unsigned char)*s);
	if (cap)
		out[n] = '\0';
	return out;
}

/* A (offset, length) pair that must lie inside the message. */
static const uint8_t *
span(const uint8_t *base, size_t len, size_t off, size_t n, uint32_t *got)
{
	if (off > len) {
		*got = 0;
		return NULL;
	}
	*got = (uint32_t)(n < len - off ? n : len - off);
	return base + off;
}

static void
smb2_body(const uint8_t *p, size_t len, struct jg_smb_msg *m)
{
	const uint8_t *b = p + SMB2_HDR;
	size_t bl = len - SMB2_HDR;
	const uint8_t *s;
	uint32_t got;

	switch (m->cmd) {
	case JG_SMB_NEGOTIATE:
		if (m->response && bl >= 6)
			m->dialect = jg_le16(b + 4);
		break;
	case JG_SMB_SESSION_SETUP:
		if (!m->response && bl >= 16)
			m->blob = span(p, len, jg_le16(b + 12), jg_le16(b + 14), &m->blob_len);
		else if (m->response && bl >= 8)
			m->blob = span(p, len, jg_le16(b + 4), jg_le16(b + 6), &m->blob_len);
		break;
	case JG_SMB_TREE_CONNECT:
		if (!m->response && bl >= 8 && (s = span(p, len, jg_le16(b + 4), jg_le16(b + 6), &got)) != NULL)
			jg_utf16_to_ascii(s, got, m->name, sizeof(m->name));
		break;
	case JG_SMB_CREATE:
		if (!m->response && bl >= 56) {
			m->disposition = jg_le32(b + 36);
			if ((s = span(p, len, jg_le16(b + 44), jg_le16(b + 46), &got)) != NULL)
				jg_utf16_to_ascii(s, got, m->name, sizeof(m->name));
		} else if (m->response && bl >= 80) {
			memcpy(m->file_id, b + 64, 16);
			m->has_file_id = 1;
		}
		break;
	case JG_SMB_WRITE:
		if (!m->response && bl >= 32) {
			memcpy(m->file_id, b + 16, 16);
			m->has_file_id = 1;
			m->data = span(p, len, jg_le16(b + 2), jg_le32(b + 4), &m->data_len);
		}
		break;
	case JG_SMB_READ:
		if (m->response && bl >= 8) {
			m->data = span(p, len, b[2], jg_le32(b + 4), &m->data_len);
		} else if (!m->response && bl >= 32) {
			memcpy(m->file_id, b + 16, 16);
			m->has_file_id = 1;
		}
		break;
	case JG_SMB_IOCTL:
		if (bl >= 40 && jg_le32(b + 4) == FSCTL_PIPE_TRANSCEIVE) {
			memcpy(m->file_id, b + 8, 16);
			m->has_file_id = 1;
			if (!m->response)
				m->data = span(p, len, jg_le32(b + 24), jg_le32(b + 28), &m->data_len);
			else
				m->data = span(p, len, jg_le32(b + 32), jg_le32(b + 36), &m->data_len);
		}
		break;
	default:
		break;
	}
}

int
jg_smb2_parse(const uint8_t *p, size_t len, struct jg_smb_msg *m, size_t *next)
{
	uint32_t nc;

	memset(m, 0, sizeof(*m));
	*next = 0;
	if (len < SMB2_HDR || jg_smb_kind(p, len) != JG_SMB2 || jg_le16(p + 4) != 64)
		return -1;
	m->version = 2;
	m->status = jg_le32(p + 8);
	m->raw_cmd = jg_le16(p + 12);
	m->response = (jg_le32(p + 16) & 1) != 0;
	nc = jg_le32(p + 20);
	m->msg_id = jg_le64(p + 24);
	m->tree_id = (jg_le32(p + 16) & 2) ? 0 : jg_le32(p + 36); /* async messages carry no tree */
	m->session_id = jg_le64(p + 40);
	switch (m->raw_cmd) {
	case 0x00: case 0x01: case 0x03: case 0x05: case 0x08: case 0x09: case 0x0b:
		m->cmd = m->raw_cmd;
		break;
	default:
		m->cmd = JG_SMB_OTHER;
	}
	/* A compound's next command must be 8-aligned and inside the message. */
	if (nc != 0 && nc >= SMB2_HDR && nc < len && (nc & 7) == 0) {
		*next = nc;
		len = nc;
	}
	smb2_body(p, len, m);
	return 0;
}

uint64_t
jg_smb3_transform_session(const uint8_t *p, size_t len)
{
	return len >= 52 ? jg_le64(p + 44) : 0;
}

/* SMB1: strings are Unicode (aligned to 2 from the header) when FLAGS2_UNICODE is set. */
static void
smb1_string(const uint8_t *hdr, size_t len, size_t off, int unicode, char *out, size_t cap)
{
	if (off >= len) {
		out[0] = '\0';
		return;
	}
	if (unicode) {
		if (off & 1)
			off++;
		if (off < len)
			jg_utf16_to_ascii(hdr + off, len - off, out, cap);
		else
			out[0] = '\0';
	} else {
		ascii_copy(hdr + off, len - off, out, cap);
	}
}

static void
smb1_command(const uint8_t *p, size_t len, size_t wc_off, uint8_t cmd, struct jg_smb_msg *m, int unicode)
{
	uint8_t wc;
	size_t w, bytes;
	uint32_t got;

	if (wc_off >= len)
		return;
	wc = p[wc_off];
	w = wc_off + 1;
	bytes = w + 2u * wc + 2; /* after ByteCount */
	switch (cmd) {
	case 0x72: /* NEGOTIATE */
		if (m->response)
			m->dialect = 0x0100;
		break;
	case 0x73: /* SESSION_SETUP_ANDX */
		if (!m->response && wc == 12 && w + 16 <= len)
			m->blob = span(p, len, bytes, jg_le16(p + w + 14), &m->blob_len);
		else if (!m->response && wc == 13 && bytes <= len)
			m->blob = span(p, len, bytes, len - bytes, &m->blob_len);
		else if (m->response && wc == 4 && w + 8 <= len)
			m->blob = span(p, len, bytes, jg_le16(p + w + 6), &m->blob_len);
		break;
	case 0x75: /* TREE_CONNECT_ANDX: password, then the path */
		if (!m->response && wc == 4 && w + 8 <= len)
			smb1_string(p, len, bytes + jg_le16(p + w + 6), unicode, m->name, sizeof(m->name));
		break;
	case 0xa2: /* NT_CREATE_ANDX */
		if (!m->response && wc == 24 && w + 48 <= len) {
			m->disposition = jg_le32(p + w + 33);
			smb1_string(p, len, bytes, unicode, m->name, sizeof(m->name));
		} else if (m->response && wc >= 34 && w + 7 <= len) {
			memcpy(m->file_id, p + w + 5, 2);
			m->has_file_id = 1;
		}
		break;
	case 0x2f: /* WRITE_ANDX */
		if (!m->response && (wc == 12 || wc == 14) && w + 24 <= len) {
			memcpy(m->file_id, p + w + 4, 2);
			m->has_file_id = 1;
			m->data = span(p, len, jg_le16(p + w + 22),
				       (uint32_t)jg_le16(p + w + 18) << 16 | jg_le16(p + w + 20), &m->data_len);
		}
		break;
	case 0x2e: /* READ_ANDX response */
		if (m->response && wc == 12 && w + 14 <= len)
			m->data = span(p, len, jg_le16(p + w + 12), jg_le16(p + w + 10), &m->data_len);
		break;
	case 0x25: /* TRANSACTION: TransactNmPipe carries DCE-RPC */
		if (!m->response && wc >= 16 && w + 32 <= len && p[w + 26] >= 2 && jg_le16(p + w + 28) == 0x0026) {
			memcpy(m->file_id, p + w + 30, 2);
			m->has_file_id = 1;
			m->data = span(p, len, jg_le16(p + w + 24), jg_le16(p + w + 22), &m->data_len);
		} else if (m->response && wc >= 10 && w + 20 <= len) {
			m->data = span(p, len, jg_le16(p + w + 16), jg_le16(p + w + 14), &m->data_len);
		}
		break;
	default:
		break;
	}
	(void)got;
}

int
jg_smb1_parse(const uint8_t *p, size_t len, struct jg_smb_msg *m)
{
	static const uint16_t map[256] = {
		[0x72] = JG_SMB_NEGOTIATE, [0x73] = JG_SMB_SESSION_SETUP, [0x75] = JG_SMB_TREE_CONNECT,
		[0xa2] = JG_SMB_CREATE,    [0x2f] = JG_SMB_WRITE,         [0x2e] = JG_SMB_READ,
		[0x25] = JG_SMB_TRANS,
	};
	uint8_t cmd;
	int unicode;
	size_t wc_off = SMB1_HDR;

	memset(m, 0, sizeof(*m));
	if (len < SMB1_HDR + 1 || jg_smb_kind(p, len) != JG_SMB1)
		return -1;
	m->version = 1;
	cmd = p[4];
	m->raw_cmd = cmd;
	m->status = jg_le32(p + 5);
	m->response = (p[9] & 0x80) != 0;
	unicode = (jg_le16(p + 10) & 0x8000) != 0;
	m->tree_id = jg_le16(p + 24);
	m->session_id = jg_le16(p + 28);
	m->msg_id = (uint64_t)jg_le16(p + 26) << 16 | jg_le16(p + 30);
	/*
	 * Follow an AndX chain to the first command that matters (session setup
	 * and tree connect are often chained); at most a few links.
	 */
	for (int hops = 0; hops < 4; hops++) {
		uint8_t wc = p[wc_off];
		uint8_t andx;
		uint16_t andx_off;

		if (map[cmd] != 0 || cmd == 0x72)
			break;
		if (!(cmd == 0x73 || cmd == 0x75 || cmd == 0x2f || cmd == 0x2e || cmd == 0xa2 || cmd == 0x24 ||
		      cmd == 0x2d) || wc < 2 || wc_off + 5 > len)
			break;
		andx = p[wc_off + 1];
		andx_off = jg_le16(p + wc_off + 3);
		if (andx == 0xff || andx_off <= wc_off || andx_off >= len)
			break;
		cmd = andx;
		wc_off = andx_off;
	}
	m->cmd = map[cmd] ? map[cmd] : (cmd == 0x72 ? JG_SMB_NEGOTIATE : JG_SMB_OTHER);
	m->raw_cmd = cmd;
	smb1_command(p, len, wc_off, cmd, m, unicode);
	/* A session setup chained with a tree connect: take the path from the link too. */
	if (cmd == 0x73 && !m->response && wc_off < len && p[wc_off] >= 2 && wc_off + 5 <= len &&
	    p[wc_off + 1] == 0x75) {
		struct jg_smb_msg t;
		size_t off = jg_le16(p + wc_off + 3);

		memset(&t, 0, sizeof(t));
		if (off > wc_off && off < len) {
			smb1_command(p, len, off, 0x75, &t, unicode);
			memcpy(m->name, t.name, sizeof(m->name));
		}
	}
	return 0;
}

static void
ntlm_field(const uint8_t *msg, size_t len, size_t field, int unicode, char *out, size_t cap)
{
	uint16_t n;
	uint32_t off;

	out[0] = '\0';
	if (field + 8 > len)
		return;
	n = jg_le16(msg + field);
	off = jg_le32(msg + field + 4);
	if (off > len || n > len - off)
		return;
	if (unicode)
		jg_utf16_to_ascii(msg + off, n, out, cap);
	else
		ascii_copy(msg + off, n, out, cap);
}

/* The first NTLMSSP message of a type in a blob (raw, or wrapped in SPNEGO), at least min bytes long: @return it, its bytes in *ml */
static const uint8_t *
ntlm_find(const uint8_t *blob, size_t len, uint32_t type, size_t min, size_t *ml)
{
	static const uint8_t sig[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

	for (size_t i = 0; i + min <= len; i++)
		if (memcmp(blob + i, sig, 8) == 0 && jg_le32(blob + i + 8) == type) {
			*ml = len - i;
			return blob + i;
		}
	return NULL;
}

int
jg_ntlm_find_auth(const uint8_t *blob, size_t len, struct jg_ntlm_auth *a)
{
	size_t ml;
	const uint8_t *m = ntlm_find(blob, len, 3, 64, &ml);
	int unicode;

	memset(a, 0, sizeof(*a));
	if (m == NULL)
		return -1;
	unicode = (jg_le32(m + 60) & 1) != 0;
	ntlm_field(m, ml, 28, unicode, a->domain, sizeof(a->domain));
	ntlm_field(m, ml, 36, unicode, a->user, sizeof(a->user));
	ntlm_field(m, ml, 44, unicode, a->workstation, sizeof(a->workstation));
	return 0;
}

/* MS-NLMP AV_PAIR ids of the names a server gives */
#define AV_EOL 0
#define AV_NB_COMPUTER 1
#define AV_NB_DOMAIN 2
#define AV_DNS_COMPUTER 3

int
jg_ntlm_find_challenge(const uint8_t *blob, size_t len, struct jg_ntlm_chal *c)
{
	size_t ml, off, end;
	const uint8_t *m = ntlm_find(blob, len, 2, 48, &ml);

	memset(c, 0, sizeof(*c));
	if (m == NULL)
		return -1;
	off = jg_le32(m + 44);
	end = off + jg_le16(m + 40);
	if (off > ml || end > ml)
		return -1;
	/* AV_PAIRs: id, length, value (UTF-16LE), until MsvAvEOL */
	while (off + 4 <= end) {
		uint16_t id = jg_le16(m + off), n = jg_le16(m + off + 2);
		char *out = id == AV_NB_COMPUTER ? c->nb_computer
			    : id == AV_NB_DOMAIN  ? c->nb_domain
			    : id == AV_DNS_COMPUTER ? c->dns_computer
						    : NULL;

		off += 4;
		if (id == AV_EOL || n > end - off)
			break;
		if (out != NULL)
			jg_utf16_to_ascii(m + off, n, out, sizeof(c->nb_computer));
		off += n;
	}
	return c->nb_computer[0] || c->dns_computer[0] ? 0 : -1;
}

int
jg_server_of_path(const char *path, char *out, size_t cap)
{
	const char *s = path, *e;
	size_t n;
	int letter = 0;

	out[0] = '\0';
	while (*s == '\\')
		s++;
	e = strchr(s, '\\');
	n = e != NULL ? (size_t)(e - s) : 0; /* a bare share name has no server */
	if (n == 0 || n >= cap || memchr(s, ':', n) != NULL)
		return 0; /* none, too long, or an IPv6 address */
	for (size_t i = 0; i < n; i++)
		if (isalpha((unsigned char)s[i]))
			letter = 1;
	/* an IPv4 address has no letter; an IPv6 one in UNC form ends .ipv6-literal.net */
	if (!letter || (n > 17 && strncasecmp(s + n - 17, ".ipv6-literal.net", 17) == 0))
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}
