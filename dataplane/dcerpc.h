/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Connection-oriented DCE-RPC (MS-RPCE / C706): PDU header, bind and alter
 * context (interfaces), requests (opnum, stub, auth level), and the stub
 * decoders of the remote-administration interfaces: SVCCTL (MS-SCMR) service
 * creation and reconfiguration. Pure functions over bytes; bounds-checked.
 */
#ifndef JG_DCERPC_H
#define JG_DCERPC_H

#include <stddef.h>
#include <stdint.h>

#include "smb.h"

enum jg_rpc_ptype {
	JG_RPC_REQUEST = 0,
	JG_RPC_RESPONSE = 2,
	JG_RPC_FAULT = 3,
	JG_RPC_BIND = 11,
	JG_RPC_BIND_ACK = 12,
	JG_RPC_ALTER = 14,
	JG_RPC_ALTER_RESP = 15,
	JG_RPC_AUTH3 = 16,
};

/** Interfaces Jumpgate knows by name. */
#define JG_RPC_IFACES(X)                                                   \
	X(SVCCTL, "svcctl", "367abb81-9844-35f1-ad32-98f038001003")        \
	X(ATSVC, "atsvc", "1ff70682-0a51-30e8-076d-740be8cee98b")          \
	X(TSCH, "ITaskSchedulerService", "86d35949-83c9-4044-b424-db363231fd0c") \
	X(SASEC, "sasec", "378e52b0-c0a9-11cf-822d-00aa0051e40f")          \
	X(REMOTE_ACTIVATION, "IRemoteSCMActivator", "000001a0-0000-0000-c000-000000000046") \
	X(ISYSTEM_ACTIVATOR, "IActivation", "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57") \
	X(WBEM_LOGIN, "IWbemLevel1Login", "f309ad18-d86a-11d0-a075-00c04fb68820") \
	X(WBEM_SERVICES, "IWbemServices", "9556dc99-828c-11cf-a37e-00aa003240c7") \
	X(IDISPATCH, "IDispatch", "00020400-0000-0000-c000-000000000046") \
	X(EPM, "epm", "e1af8308-5d1f-11c9-91a4-08002b14a0fa")              \
	X(OXID, "IObjectExporter", "99fcfec4-5260-101b-bbcb-00aa0021347a") \
	X(WINREG, "winreg", "338cd001-2244-31f1-aaaa-900038001003")        \
	X(SRVSVC, "srvsvc", "4b324fc8-1670-01d3-1278-5a47bf6ee188")        \
	X(LSARPC, "lsarpc", "12345778-1234-abcd-ef00-0123456789ab")        \
	X(SAMR, "samr", "12345778-1234-abcd-ef00-0123456789ac")            \
	X(NETLOGON, "netlogon", "12345678-1234-abcd-ef00-01234567cffb")    \
	X(DRSUAPI, "drsuapi", "e3514235-4b06-11d1-ab04-00c04fc2dcd2")      \
	X(WKSSVC, "wkssvc", "6bffd098-a112-3610-9833-46c3f87e345a")        \
	X(SPOOLSS, "spoolss", "12345678-1234-abcd-ef00-0123456789ab")      \
	X(EVENTLOG, "eventlog", "82273fdc-e32a-18c3-3f78-827929dc23ea")    \
	X(EVEN6, "IEventService", "f6beaff7-1e19-4fbb-9f8f-b89e2018337c")  \
	X(SECLOGON, "ISecLogon", "12b81e99-f207-4a4c-85d3-77b42f76fd14")   \
	X(INITSHUTDOWN, "InitShutdown", "894de0c0-0d55-11d3-a322-00c04fa321a1") \
	X(WINSHUTDOWN, "WindowsShutdown", "d95afe70-a6d5-4259-822e-2c84da1ddb0d") \
	X(PAR, "IRemoteWinspool", "76f03f96-cdfd-44fc-a22c-64950a001209")

enum jg_rpc_iface {
	JG_IF_UNKNOWN = 0,
#define JG_X_ENUM(e, n, u) JG_IF_##e,
	JG_RPC_IFACES(JG_X_ENUM)
#undef JG_X_ENUM
	JG_IF_MAX
};

/** Names of the known interfaces ("" for unknown). */
extern const char *const jg_rpc_iface_names[JG_IF_MAX];

/** A 16-byte interface UUID as it is on the wire (little-endian fields). */
struct jg_uuid {
	uint8_t b[16];
};

/** @return the interface a wire UUID names, JG_IF_UNKNOWN when none. */
enum jg_rpc_iface jg_rpc_iface_of(const struct jg_uuid *u);

/** The wire UUID of a known interface. @return 0, or -1 for JG_IF_UNKNOWN */
int jg_rpc_iface_uuid(enum jg_rpc_iface iface, struct jg_uuid *u);

/** Format a wire UUID as 8-4-4-4-12 text (37 bytes with the NUL). */
char *jg_uuid_str(const struct jg_uuid *u, char *out, size_t cap);

#define JG_RPC_MAX_CTX 64 /* contexts read from one bind (a 4 KiB PDU holds at most 93) */

/** One parsed PDU. Fields are in host order whatever the data representation. */
struct jg_rpc_pdu {
	uint8_t ptype;
	uint8_t flags;      /**< 0x01 first fragment, 0x02 last fragment */
	uint8_t auth_level; /**< 0 when the PDU carries no auth trailer; 6 = privacy (stub encrypted) */
	uint8_t big_endian; /**< the data representation's integers are big-endian (NDR stubs too) */
	uint16_t frag_len;
	uint32_t call_id;
	/* bind / alter context: the contexts offered; bind_ack / alter_context_resp: their results, in order */
	uint8_t n_ctx;
	struct {
		uint16_t id;
		uint16_t result; /**< acks: 0 acceptance, 1 user rejection, 2 provider rejection */
		struct jg_uuid uuid; /**< in wire (little-endian fields) order, whatever the representation */
		uint16_t ver_major;
	} ctx[JG_RPC_MAX_CTX];
	/* request / response */
	uint16_t ctx_id;
	uint16_t opnum;
	const uint8_t *stub;
	uint32_t stub_len;  /**< bytes of stub present (may be less than the PDU says) */
};

/** @return 1 when p starts like a CO DCE-RPC PDU header (version 5.0/5.1, known type, ASCII, either byte order). */
int jg_rpc_looks_like(const uint8_t *p, size_t len);

/** Length of the PDU whose header is at p, or -1. Needs 10 bytes. */
int32_t jg_rpc_frag_len(const uint8_t *p, size_t len);

/**
 * Parse one PDU from the bytes present (len may be less than frag_len).
 * @return 0, or -1 when the header is not DCE-RPC
 */
int jg_rpc_parse(const uint8_t *p, size_t len, struct jg_rpc_pdu *pdu);

/** One endpoint the endpoint mapper handed out: interface, TCP port, IPv4 address (0: the mapper's own). */
struct jg_epm_entry {
	struct jg_uuid uuid;
	uint16_t port;
	uint8_t ip[4];
};

/**
 * Decode an ept_map (opnum 3) response stub: the towers' interface, TCP port and address.
 * @return entries found (at most max)
 */
unsigned int jg_epm_map_response(const uint8_t *stub, size_t len, struct jg_epm_entry *out, unsigned int max);

/** SVCCTL opnums Jumpgate decodes. */
enum jg_svcctl_op {
	JG_SCM_CHANGE_CONFIG_W = 11,
	JG_SCM_CREATE_SERVICE_W = 12,
	JG_SCM_OPEN_SERVICE_W = 16,
	JG_SCM_START_SERVICE_W = 19,
	JG_SCM_CHANGE_CONFIG_A = 23,
	JG_SCM_CREATE_SERVICE_A = 24,
	JG_SCM_OPEN_SERVICE_A = 28,
	JG_SCM_START_SERVICE_A = 31,
	JG_SCM_CREATE_SERVICE_WOW64_A = 44,
	JG_SCM_CREATE_SERVICE_WOW64_W = 45,
};

/** What a service creation or reconfiguration asks for. */
struct jg_svc_req {
	char service[JG_NAME_MAX];
	char binary_path[256];
	uint32_t start_type;
	uint8_t has_start_type;
};

/**
 * Decode a clear SVCCTL request stub (CreateService*, ChangeServiceConfig*, OpenService*).
 * @return 0 when at least one field was decoded, -1 otherwise
 */
int jg_svcctl_decode(uint16_t opnum, const uint8_t *stub, size_t len, struct jg_svc_req *r);

/** jg_svcctl_decode() for a stub in either data representation (big_endian from the PDU). */
int jg_svcctl_decode_drep(uint16_t opnum, const uint8_t *stub, size_t len, int big_endian, struct jg_svc_req *r);

/** winreg (MS-RRP) opnums Jumpgate decodes. */
enum jg_winreg_op {
	JG_REG_OPEN_CLASSES_ROOT = 0,
	JG_REG_OPEN_CURRENT_USER = 1,
	JG_REG_OPEN_LOCAL_MACHINE = 2,
	JG_REG_OPEN_USERS = 4,
	JG_REG_CREATE_KEY = 6,
	JG_REG_ENUM_KEY = 9,
	JG_REG_OPEN_KEY = 15,
	JG_REG_SAVE_KEY = 20,
	JG_REG_SET_VALUE = 22,
	JG_REG_SAVE_KEY_EX = 31,
};

/** A scheduled task a request registers: its name and what it runs. */
struct jg_task_req {
	char name[JG_NAME_MAX]; /**< SchRpcRegisterTask's path ("\\AbCdEfGh") */
	char command[256];      /**< the task's Exec Command and Arguments (entities undone), or NetrJobAdd's Command */
};

/**
 * Decode a clear task registration: MS-TSCH SchRpcRegisterTask (opnum 1: the
 * path, and the Exec action of the task XML) or, with atsvc, ATSVC NetrJobAdd
 * (opnum 0: AT_INFO's Command). @return 0 when a name or command was read
 */
int jg_task_decode(int atsvc, const uint8_t *stub, size_t len, int big_endian, struct jg_task_req *t);

/**
 * Decode the name a clear winreg request carries: the subkey of
 * BaseRegOpenKey and BaseRegCreateKey, the file of BaseRegSaveKey(Ex), the
 * value of BaseRegSetValue (an RRP_UNICODE_STRING after the key handle).
 * @return 0 when a name was decoded, -1 otherwise
 */
int jg_winreg_decode(uint16_t opnum, const uint8_t *stub, size_t len, int big_endian, char *out, size_t cap);

#endif
