/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The operator protocol between jgctl and jg-control over a UNIX stream socket.
 *
 * Request: one line, `JGCTL/<version> <command> [arg ...]\n`, at most
 * JG_PROTO_MAX_REQ bytes, arguments separated by single spaces (no quoting:
 * arguments never contain spaces). The flag `--json` asks for JSON.
 * Response: one status line `JGCTL/<version> <code> <message>\n`, then the body
 * until the server closes the connection. Codes are the jgctl exit codes.
 */
#ifndef JG_PROTO_H
#define JG_PROTO_H

#define JG_PROTO_VERSION 1
#define JG_PROTO_MAGIC "JGCTL/1"
#define JG_PROTO_MAX_REQ 1024
#define JG_PROTO_MAX_ARGS 16
#define JG_PROTO_MAX_RESP (1u << 20)
/** Last body line of `events --cursor`: the id to follow from (jgctl events --follow). */
#define JG_PROTO_CURSOR "#cursor"

/** Response codes, also jgctl's exit status. */
enum jg_proto_code {
	JG_OK = 0,        /**< done */
	JG_ERR = 1,       /**< the command failed */
	JG_USAGE = 2,     /**< bad command or arguments */
	JG_BADVERSION = 3,   /**< protocol version mismatch */
	JG_UNREACHABLE = 4, /**< (jgctl only) cannot reach jg-control */
};

#endif
