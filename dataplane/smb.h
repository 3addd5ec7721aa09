/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NetBIOS session service, SMB1 and SMB2/3 message parsing (MS-SMB, MS-SMB2),
 * and NTLMSSP AUTHENTICATE. Pure functions over (bytes, length): every read is
 * bounds-checked and a message cut short (by the capture or by Jumpgate's own
 * per-message cap) parses as far as its bytes go.
 */
#ifndef JG_SMB_H
#define JG_SMB_H

#include <stddef.h>
#include <stdint.h>

#define JG_NAME_MAX 128 /* names kept from the wire (UTF-16 converted), NUL included */

/** A NetBIOS session message header: @return the message length, or -1 when p is not one. */
int32_t jg_nbss_len(const uint8_t *p, size_t len);

/** What kind of SMB a message is. */
enum jg_smb_kind { JG_SMB_NONE = 0, JG_SMB1, JG_SMB2, JG_SMB3_TRANSFORM, JG_SMB_COMPRESSED };

/** @return the kind of the message starting at p (after the NetBIOS header). */
enum jg_smb_kind jg_smb_kind(const uint8_t *p, size_t len);

/** Commands the detection acts on (SMB2 numbering; SMB1 ones are mapped onto these). */
enum jg_smb_cmd {
	JG_SMB_NEGOTIATE = 0x00,
	JG_SMB_SESSION_SETUP = 0x01,
	JG_SMB_TREE_CONNECT = 0x03,
	JG_SMB_CREATE = 0x05,
	JG_SMB_READ = 0x08,
	JG_SMB_WRITE = 0x09,
	JG_SMB_IOCTL = 0x0b,
	JG_SMB_TRANS = 0x100, /**< SMB1 TRANSACTION (named-pipe transact) */
	JG_SMB_OTHER = 0xffff,
};

/**
 * One parsed SMB command: the header fields and, per command, what was found.
 * Strings are converted from UTF-16LE (or taken as ASCII for SMB1 without
 * Unicode) to NUL-terminated ASCII; other characters become '?'.
 */
struct jg_smb_msg {
	uint8_t version;    /**< 1 or 2 */
	uint8_t response;
	uint16_t cmd;       /**< enum jg_smb_cmd */
	uint16_t raw_cmd;
	uint32_t status;    /**< NT status */
	uint64_t msg_id;    /**< SMB2 MessageId, SMB1 (PID << 16 | MID) */
	uint64_t session_id;/**< SMB2 SessionId, SMB1 UID */
	uint32_t tree_id;
	uint8_t file_id[16];/**< SMB2 FileId, SMB1 FID in the first two bytes */
	uint8_t has_file_id;
	uint16_t dialect;   /**< negotiate response: chosen dialect (SMB1: 0x0100) */
	uint32_t disposition; /**< create request */
	char name[JG_NAME_MAX]; /**< tree connect path, or create file name */
	const uint8_t *data; /**< write/ioctl/trans request or read/ioctl response data */
	uint32_t data_len;   /**< bytes present at data */
	const uint8_t *blob; /**< session setup security blob */
	uint32_t blob_len;
};

/**
 * Parse the SMB2 message at p (one command of a compound).
 * @param next  set to the offset of the next command of the compound, 0 when none
 * @return 0, or -1 when the header is not SMB2
 */
int jg_smb2_parse(const uint8_t *p, size_t len, struct jg_smb_msg *m, size_t *next);

/**
 * Parse the SMB1 message at p (the first command; AndX chains are followed for
 * the commands that matter: session setup, tree connect, create).
 * @return 0, or -1 when the header is not SMB1
 */
int jg_smb1_parse(const uint8_t *p, size_t len, struct jg_smb_msg *m);

/** SMB3 transform header: @return the session id, 0 when short. */
uint64_t jg_smb3_transform_session(const uint8_t *p, size_t len);

/** NTLMSSP AUTHENTICATE fields. */
struct jg_ntlm_auth {
	char user[64];
	char domain[64];
	char workstation[64];
};

/**
 * Find an NTLMSSP AUTHENTICATE message inside a security blob (SPNEGO or raw).
 * @return 0 when found and parsed, -1 otherwise
 */
int jg_ntlm_find_auth(const uint8_t *blob, size_t len, struct jg_ntlm_auth *a);

/** NTLMSSP CHALLENGE: the server names itself in its target info (MS-NLMP 2.2.2.1 AV_PAIRs). */
struct jg_ntlm_chal {
	char nb_computer[64];  /**< MsvAvNbComputerName */
	char nb_domain[64];    /**< MsvAvNbDomainName */
	char dns_computer[64]; /**< MsvAvDnsComputerName */
};

/**
 * Find an NTLMSSP CHALLENGE message inside a security blob and read the
 * names in its target info. @return 0 when one names the server, -1 otherwise
 */
int jg_ntlm_find_challenge(const uint8_t *blob, size_t len, struct jg_ntlm_chal *c);

/**
 * The server of a UNC path ("\\SRV30\ADMIN$" -> "SRV30"), when it is a name:
 * an address (IPv4, IPv6, or its ipv6-literal.net form) names nothing.
 * @return 1 when out holds a name, else 0
 */
int jg_server_of_path(const char *path, char *out, size_t cap);

/**
 * Copy a UTF-16LE string of `bytes` bytes to NUL-terminated ASCII (non-ASCII -> '?').
 * Stops at a NUL character. @return length written
 */
size_t jg_utf16_to_ascii(const uint8_t *p, size_t bytes, char *out, size_t cap);

/** "\\server\share" -> "share" (upper-cased); @return out */
char *jg_share_of_path(const char *path, char *out, size_t cap);

#endif
