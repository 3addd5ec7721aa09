/* SPDX-License-Identifier: BSD-3-Clause */
/* SMB1/SMB2/NTLM/NetBIOS parsing on crafted bytes: every field, every short cut. */
#include <string.h>

#include "jg_test.h"
#include "jg_test_bytes.h"
#include "smb.h"

static uint8_t m[2048];




static void
smb2_hdr(uint16_t cmd, int resp, uint32_t status, uint64_t mid, uint32_t tid)
{
	memset(m, 0, sizeof(m));
	memcpy(m, "\xfeSMB", 4);
	w16(m + 4, 64);
	w32(m + 8, status);
	w16(m + 12, cmd);
	w32(m + 16, resp ? 1 : 0);
	memcpy(m + 24, &mid, 8);
	w32(m + 36, tid);
}

static void
test_nbss_and_kind(void)
{
	const uint8_t hdr[] = { 0, 0x01, 0x02, 0x03 };

	CHECK(jg_nbss_len(hdr, 4) == 0x010203);
	CHECK(jg_nbss_len(hdr, 3) == -1);
	CHECK(jg_nbss_len((const uint8_t *)"\x85\0\0\0", 4) == -1);
	CHECK(jg_smb_kind((const uint8_t *)"\xfeSMB", 4) == JG_SMB2);
	CHECK(jg_smb_kind((const uint8_t *)"\xffSMB", 4) == JG_SMB1);
	CHECK(jg_smb_kind((const uint8_t *)"\xfdSMB", 4) == JG_SMB3_TRANSFORM);
	CHECK(jg_smb_kind((const uint8_t *)"\xfeSMC", 4) == JG_SMB_NONE);
	CHECK(jg_smb_kind((const uint8_t *)"\xfeS", 2) == JG_SMB_NONE);
}

static void
test_smb2_tree_and_create(void)
{
	struct jg_smb_msg msg;
	size_t next, n;

	smb2_hdr(3, 0, 0, 7, 0);
	w16(m + 64, 9);
	n = u16s(m + 72, "\\\\SRV-DB01\\ADMIN$");
	w16(m + 68, 72);
	w16(m + 70, (uint16_t)n);
	CHECK(jg_smb2_parse(m, 72 + n, &msg, &next) == 0);
	CHECK(msg.cmd == JG_SMB_TREE_CONNECT && !msg.response && msg.msg_id == 7 && next == 0);
	CHECK(strcmp(msg.name, "\\\\SRV-DB01\\ADMIN$") == 0);
	/* the path cut by the end of the kept bytes: what is there is kept */
	CHECK(jg_smb2_parse(m, 72 + 10, &msg, &next) == 0 && strcmp(msg.name, "\\\\SRV") == 0);
	/* a path offset pointing outside the message */
	w16(m + 68, 2000);
	CHECK(jg_smb2_parse(m, 72 + n, &msg, &next) == 0 && msg.name[0] == '\0');

	smb2_hdr(5, 0, 0, 8, 1);
	w16(m + 64, 57);
	w32(m + 64 + 36, 5);
	n = u16s(m + 120, "PSEXESVC.exe");
	w16(m + 64 + 44, 120);
	w16(m + 64 + 46, (uint16_t)n);
	CHECK(jg_smb2_parse(m, 120 + n, &msg, &next) == 0);
	CHECK(msg.cmd == JG_SMB_CREATE && msg.disposition == 5 && strcmp(msg.name, "PSEXESVC.exe") == 0);
	CHECK(msg.tree_id == 1);

	smb2_hdr(5, 1, 0, 8, 1);
	memset(m + 64 + 64, 0xab, 16);
	CHECK(jg_smb2_parse(m, 64 + 89, &msg, &next) == 0 && msg.response && msg.has_file_id && msg.file_id[15] == 0xab);
	CHECK(jg_smb2_parse(m, 64 + 60, &msg, &next) == 0 && !msg.has_file_id); /* cut before the file id */
	CHECK(jg_smb2_parse(m, 63, &msg, &next) == -1);
}

static void
test_smb2_write_ioctl_compound(void)
{
	struct jg_smb_msg msg;
	size_t next;

	/* WRITE then IOCTL (pipe transceive) in one compound */
	smb2_hdr(9, 0, 0, 9, 1);
	w32(m + 20, 128); /* next command */
	w16(m + 64, 49);
	w16(m + 66, 112);
	w32(m + 68, 8);
	memset(m + 64 + 16, 0x11, 16);
	memcpy(m + 112, "\x05\x00\x0b\x03\x10\0\0\0", 8);
	memcpy(m + 128, "\xfeSMB", 4);
	w16(m + 128 + 4, 64);
	w16(m + 128 + 12, 0x0b);
	w16(m + 128 + 64, 57);
	w32(m + 128 + 64 + 4, 0x0011c017);
	memset(m + 128 + 64 + 8, 0x22, 16);
	w32(m + 128 + 64 + 24, 64 + 56);
	w32(m + 128 + 64 + 28, 4);
	CHECK(jg_smb2_parse(m, 256, &msg, &next) == 0);
	CHECK(msg.cmd == JG_SMB_WRITE && next == 128 && msg.data_len == 8 && msg.data == m + 112);
	CHECK(msg.file_id[0] == 0x11);
	CHECK(jg_smb2_parse(m + 128, 128, &msg, &next) == 0);
	CHECK(msg.cmd == JG_SMB_IOCTL && msg.file_id[0] == 0x22 && msg.data_len == 4 && next == 0);
	/* a misaligned next-command offset is ignored, not followed */
	w32(m + 20, 130);
	CHECK(jg_smb2_parse(m, 256, &msg, &next) == 0 && next == 0);
	/* data length larger than the message: cut to what is there */
	w32(m + 20, 0);
	w32(m + 68, 100000);
	CHECK(jg_smb2_parse(m, 120, &msg, &next) == 0 && msg.data_len == 8);
}

static void
test_ntlm(void)
{
	uint8_t blob[400] = { 0x60, 0x82 };
	uint8_t *n = blob + 20;
	struct jg_ntlm_auth a;
	size_t off = 72, l;

	memcpy(n, "NTLMSSP\0", 8);
	w32(n + 8, 3);
	w32(n + 60, 1); /* unicode */
	l = u16s(n + off, "CORP");
	w16(n + 28, (uint16_t)l);
	w32(n + 32, (uint32_t)off);
	off += l;
	l = u16s(n + off, "jdoe");
	w16(n + 36, (uint16_t)l);
	w32(n + 40, (uint32_t)off);
	off += l;
	l = u16s(n + off, "WKSTN07");
	w16(n + 44, (uint16_t)l);
	w32(n + 48, (uint32_t)off);
	CHECK(jg_ntlm_find_auth(blob, sizeof(blob), &a) == 0);
	CHECK(!strcmp(a.user, "jdoe") && !strcmp(a.domain, "CORP") && !strcmp(a.workstation, "WKSTN07"));
	w32(n + 40, 5000); /* user offset outside the message */
	CHECK(jg_ntlm_find_auth(blob, sizeof(blob), &a) == 0 && a.user[0] == '\0' && !strcmp(a.domain, "CORP"));
	w32(n + 8, 1); /* a NEGOTIATE message is not what we want */
	CHECK(jg_ntlm_find_auth(blob, sizeof(blob), &a) == -1);
	CHECK(jg_ntlm_find_auth(blob, 30, &a) == -1);
}

static void
test_smb1(void)
{
	struct jg_smb_msg msg;
	size_t w = 33, bytes, n;

	/* TREE_CONNECT_ANDX, Unicode, password of 1 byte, then the path (aligned) */
	memset(m, 0, sizeof(m));
	memcpy(m, "\xffSMB", 4);
	m[4] = 0x75;
	w16(m + 10, 0x8000);
	m[32] = 4;
	m[w] = 0xff;
	w16(m + w + 6, 1);
	bytes = w + 8 + 2;
	n = u16s(m + bytes + 1, "\\\\10.0.0.2\\C$"); /* after the 1-byte password, already even */
	CHECK(jg_smb1_parse(m, bytes + 1 + n + 2, &msg) == 0);
	CHECK(msg.version == 1 && msg.cmd == JG_SMB_TREE_CONNECT && !strcmp(msg.name, "\\\\10.0.0.2\\C$"));

	/* NT_CREATE_ANDX, ASCII name */
	memset(m, 0, sizeof(m));
	memcpy(m, "\xffSMB", 4);
	m[4] = 0xa2;
	w16(m + 24, 0x800);
	m[32] = 24;
	m[w] = 0xff;
	w32(m + w + 33, 2);
	memcpy(m + w + 48 + 2, "\\svcctl", 8);
	CHECK(jg_smb1_parse(m, w + 48 + 2 + 8, &msg) == 0);
	CHECK(msg.cmd == JG_SMB_CREATE && !strcmp(msg.name, "\\svcctl") && msg.disposition == 2 && msg.tree_id == 0x800);
	/* word count lying about the words present */
	CHECK(jg_smb1_parse(m, w + 10, &msg) == 0 && msg.name[0] == '\0');

	/* WRITE_ANDX: data offset and length from the header */
	memset(m, 0, sizeof(m));
	memcpy(m, "\xffSMB", 4);
	m[4] = 0x2f;
	m[32] = 14;
	m[w] = 0xff;
	w16(m + w + 4, 0x4001);
	w16(m + w + 20, 6);
	w16(m + w + 22, 63);
	memcpy(m + 63, "\x05\x00\x00\x03\x10\0", 6);
	CHECK(jg_smb1_parse(m, 69, &msg) == 0 && msg.cmd == JG_SMB_WRITE && msg.data == m + 63 && msg.data_len == 6);
	CHECK(msg.file_id[0] == 0x01 && msg.file_id[1] == 0x40);
	CHECK(jg_smb1_parse(m, 20, &msg) == -1);
}

static void
test_helpers(void)
{
	char out[16];

	CHECK(strcmp(jg_share_of_path("\\\\srv\\admin$", out, sizeof(out)), "ADMIN$") == 0);
	CHECK(strcmp(jg_share_of_path("c$", out, sizeof(out)), "C$") == 0);
	CHECK(jg_utf16_to_ascii((const uint8_t *)"a\0\xe9\0b\0\0\0c\0", 10, out, sizeof(out)) == 3 && !strcmp(out, "a?b"));
	CHECK(jg_utf16_to_ascii((const uint8_t *)"a\0b\0c\0", 5, out, sizeof(out)) == 2); /* odd length */
	CHECK(jg_utf16_to_ascii((const uint8_t *)"a\0b\0c\0d\0", 8, out, 3) == 2 && !strcmp(out, "ab"));
}

int
main(void)
{
	test_nbss_and_kind();
	test_smb2_tree_and_create();
	test_smb2_write_ioctl_compound();
	test_ntlm();
	test_smb1();
	test_helpers();
	return jg_test_done();
}
