/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The wire between the dataplane (DPDK primary) and the control plane (secondary):
 * the shared status memzone, the per-worker counters and the fixed-size records
 * carried by the per-worker rings. Defined once, versioned, sizes asserted.
 *
 * Any change to a layout below must bump JG_WIRE_VERSION: a control plane refuses
 * to attach to a dataplane of another version instead of misreading its memory.
 */
#ifndef JG_WIRE_H
#define JG_WIRE_H

#include <assert.h>
#include <stdint.h>

#include "jg_policy.h"

#define JG_WIRE_VERSION 11u
#define JG_SHM_MAGIC 0x4a475348u /* "JGSH" */
#define JG_SHM_NAME "jg_shm"
#define JG_RING_EVENTS_FMT "jg_ev_%u"
#define JG_RING_FLOWS_FMT "jg_fr_%u"

#define JG_MAX_WORKERS 32
#define JG_MAX_PORTS 8
#define JG_PORT_NAME_LEN 64

/**
 * Per-worker counters. Every packet a worker handles ends in exactly one PKT_*
 * outcome, so `rx` + `dispatch-in` == sum(PKT_*) + `dispatch-drop` + `dispatch-out`.
 * X(enum suffix, name printed by jgctl and in summaries, help text)
 */
#define JG_WORKER_COUNTERS(X)                                                       \
	X(RX, "rx", "packets received from this worker's port queues")             \
	X(RX_BYTES, "rx-bytes", "bytes received from this worker's port queues")   \
	X(DISPATCH_OUT, "dispatch-out", "packets handed to the worker owning the flow") \
	X(DISPATCH_IN, "dispatch-in", "packets received from other workers")       \
	X(DISPATCH_DROP, "dispatch-ring-full", "packets dropped: peer's dispatch ring full") \
	X(PKT_FLOW, "pkt-flow", "packets accounted to a flow")                     \
	X(PKT_NON_IP, "pkt-non-ip", "packets that are not IPv4/IPv6 (ARP, LLDP, ...)") \
	X(PKT_FRAGMENT, "pkt-fragment", "IP fragments taken by reassembly (their datagram is counted again when whole)") \
	X(PKT_TRUNCATED, "pkt-truncated", "packets shorter than their headers claim") \
	X(PKT_MALFORMED, "pkt-malformed", "packets with bogus header fields")     \
	X(PKT_FLOW_FULL, "pkt-flow-table-full", "packets of flows that could not be inserted") \
	X(PKT_CUT, "pkt-payload-cut", "flow packets whose payload the frame cuts short (snaplen)") \
	X(PKT_BLOCKED, "pkt-blocked", "inline: packets of flows the policy blocks, not forwarded") \
	X(PKT_FAIL_CLOSED, "pkt-fail-closed", "inline, fail-closed: packets dropped while no control plane") \
	X(TX, "tx", "inline: packets forwarded to the peer port")                  \
	X(TX_DROP, "tx-full", "inline: packets the peer port did not take")        \
	X(TX_RST, "tx-rst", "inline: TCP resets sent to the ends of blocked flows") \
	X(FLOW_NEW, "flow-new", "flows created")                                   \
	X(FLOW_MOVED, "flow-moved", "flows moved to their other bucket to make room for a new one") \
	X(FLOW_END_IDLE, "flow-end-idle", "flows ended by idle timeout")           \
	X(FLOW_END_ACTIVE, "flow-end-active", "flows ended by active timeout")     \
	X(FLOW_END_CLOSED, "flow-end-closed", "TCP flows ended after FIN/RST")     \
	X(FLOW_END_EVICTED, "flow-evicted", "flows evicted to make room (table full)") \
	X(FLOW_END_FLUSH, "flow-end-flush", "flows flushed at end of input or shutdown") \
	X(FLOW_REC_SENT, "flow-records", "flow records enqueued to the control plane") \
	X(FLOW_REC_DROP, "flow-ring-full", "flow records dropped: flow ring full") \
	X(EVENT_SENT, "events", "events enqueued to the control plane")           \
	X(EVENT_DROP, "event-ring-full", "events dropped: event ring full")       \
	X(SESS_NEW, "sessions", "flows given a protocol session (SMB, DCE-RPC, RDP, WinRM)") \
	X(SESS_LIGHT, "sessions-first-bytes", "RDP and WinRM flows judged on their first client bytes, with no session kept") \
	X(SESS_FULL, "session-pool-full", "flows not inspected: session pool exhausted") \
	X(SEG_GAP, "stream-gaps", "TCP sequence gaps (missing bytes, resynchronised)") \
	X(SEG_RETRANS, "stream-retransmits", "segments or bytes already seen")      \
	X(RESYNC, "stream-resyncs", "message framing found after a gap or a mid-stream start") \
	X(PDU, "pdus", "protocol messages parsed")                                    \
	X(PDU_CUT, "pdus-cut", "messages longer than the per-message cap (parsed as far as kept)") \
	X(HS_BYTES, "hs-bytes", "payload bytes scanned by Hyperscan")               \
	X(HS_MATCH, "hs-matches", "Hyperscan matches")                               \
	X(HS_ERR, "hs-errors", "Hyperscan scan errors")                              \
	X(EV_DEDUP, "events-deduplicated", "events not repeated within a flow")     \
	X(RPC_REQ_CUT, "rpc-requests-cut", "DCE-RPC requests in fragments longer than the 4 KiB kept (parsed as far as kept)") \
	X(EPM_LEARNED, "rpc-endpoints-learned", "dynamic RPC endpoints learnt from endpoint-mapper responses") \
	X(EPM_USED, "rpc-endpoints-used", "RPC streams without a bind, known from a learnt endpoint") \
	X(POL_ALERT, "policy-alerts", "flows whose remote administration the policy alerts on") \
	X(POL_BLOCK, "policy-blocks", "flows the policy blocks")                    \
	X(POL_ALLOW, "policy-allowed", "flows whose remote administration the policy allows") \
	X(FRAG_DONE, "frag-reassembled", "IP datagrams reassembled from their fragments") \
	X(FRAG_TIMEOUT, "frag-timeout", "IP datagrams dropped: fragments missing at the timeout") \
	X(FRAG_TABLE_FULL, "frag-table-full", "IP datagrams dropped: too many in reassembly at once") \
	X(FRAG_MEM_FULL, "frag-mem-full", "IP fragments dropped: reassembly memory exhausted") \
	X(FRAG_TOO_MANY, "frag-too-many", "IP datagrams dropped: more fragments than a datagram may have") \
	X(FRAG_TOO_BIG, "frag-too-big", "IP fragments dropped: the datagram would pass 65535 bytes") \
	X(FRAG_BAD, "frag-malformed", "IP fragments dropped: bad offsets, lengths or headers") \
	X(FRAG_OVERLAP, "frag-overlap", "IP fragments overlapping bytes already held (first copy kept)") \
	X(FRAG_CONFLICT, "frag-conflict", "IP fragment overlaps whose bytes differ (reported as evasion)") \
	X(FRAG_LOST, "frag-lost", "reassembled IP datagrams lost: no mbuf, or the owner's dispatch ring full") \
	X(SEG_HELD, "stream-held", "TCP segments held out of order until the bytes before them came") \
	X(SEG_OOO_FULL, "stream-ooo-full", "TCP bytes not held: out-of-order store of the direction full") \
	X(SEG_OOO_POOL, "stream-ooo-pool-empty", "TCP segments not held: no out-of-order buffer free") \
	X(SEG_CONFLICT, "stream-conflicts", "TCP overlaps whose bytes differ from the first copy (reported as evasion)") \
	X(SEG_BAD_CSUM, "stream-bad-checksum", "segments of inspected flows with a bad IP or TCP checksum (data held until a good copy or the receiver's ACK)") \
	X(SEG_OUT_OF_WINDOW, "stream-out-of-window", "segments and RSTs of inspected flows outside the window, ignored") \
	X(SEG_TTL, "stream-ttl-ignored", "segments of inspected flows ignored: TTL lower than the flow's (would expire)") \
	X(SEG_SYN_IGNORED, "stream-syn-ignored", "SYNs inside an inspected connection, ignored as the endpoint would")

enum jg_counter {
#define JG_X_ENUM(e, n, h) JG_CNT_##e,
	JG_WORKER_COUNTERS(JG_X_ENUM)
#undef JG_X_ENUM
	JG_CNT_MAX
};

/** Dataplane life cycle, published in the shared status. */
enum jg_dp_state {
	JG_DP_STARTING = 0, /**< EAL up, rings created, ports not started. */
	JG_DP_RUNNING,      /**< Workers polling. */
	JG_DP_FLUSHING,     /**< End of input or shutdown: workers flush their flows. */
	JG_DP_DRAINED,      /**< Every record is in the rings; nothing more will come. */
	JG_DP_STOPPED,      /**< Dataplane has exited. */
};

/** Why a flow record was emitted. */
enum jg_flow_end {
	JG_FLOW_END_IDLE = 1,
	JG_FLOW_END_ACTIVE,
	JG_FLOW_END_CLOSED,
	JG_FLOW_END_EVICTED,
	JG_FLOW_END_FLUSH,
};

/** One port's counters, copied from rte_eth_stats by the dataplane's main lcore. */
struct jg_port_status {
	char name[JG_PORT_NAME_LEN];
	uint16_t port_id;
	uint16_t rx_queues;
	uint16_t tx_queues;
	uint8_t link_up;
	uint8_t rss; /**< 1 when hardware RSS spreads flows over queues. */
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
	uint64_t opackets, obytes, oerrors;
};

/** One worker's status, written only by that worker (its own cache lines). */
struct jg_worker_status {
	uint32_t lcore_id;
	uint32_t flushed; /**< Set by the worker once its flush is complete. */
	uint32_t rx_stopped; /**< Set by the worker once it has stopped reading its ports (stop sequence). */
	uint32_t pad0;
	uint64_t flows_active;
	uint64_t flow_capacity;
	uint64_t now_ns; /**< The worker's clock (capture time in replay). */
	uint64_t cnt[JG_CNT_MAX];
} __attribute__((aligned(64)));

/** The status memzone: everything the control plane reads of the dataplane. */
struct jg_shm {
	uint32_t magic;
	uint32_t version;
	uint32_t n_workers;
	uint32_t n_ports;
	uint64_t start_unix_ns;
	uint64_t replay_expected; /**< Packets in the replayed input; 0 when live. */
	uint32_t dp_pid;
	volatile uint32_t dp_state; /**< enum jg_dp_state */
	volatile uint32_t control_pid;  /**< Set by the attached control plane, 0 when none. */
	volatile uint32_t control_done; /**< Control plane wrote everything after DRAINED. */
	volatile uint64_t control_attach_count;
	uint32_t event_ring_size;
	uint32_t flow_ring_size;
	/* reload (jgctl reload): the control plane fills the request paths in the
	 * policy memzone and bumps reload_req; the main lcore answers in reload_done */
	volatile uint32_t reload_req;
	volatile uint32_t reload_done;
	volatile int32_t reload_rc; /**< 0, or -errno of the last reload */
	uint32_t pad1;
	char reload_msg[4096];      /**< its errors, one per line */
	struct jg_port_status ports[JG_MAX_PORTS];
	struct jg_worker_status workers[JG_MAX_WORKERS];
};

/**
 * A flow record: one per finished flow. `src` is the initiator (the sender of
 * the first packet seen, or of the SYN). Addresses are 16 bytes; IPv4 uses the
 * first four.
 */
struct jg_flow_rec {
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t ip_version;
	uint8_t end_reason; /**< enum jg_flow_end */
	uint8_t tcp_state;
	uint8_t tcp_flags_fwd; /**< OR of TCP flags sent by src */
	uint8_t tcp_flags_rev; /**< OR of TCP flags sent by dst */
	uint16_t vlan;         /**< outermost VLAN id, 0 when untagged */
	uint16_t worker;
	uint16_t pad0;
	uint64_t flow_id;
	uint64_t pkts_fwd, pkts_rev;
	uint64_t bytes_fwd, bytes_rev;
	uint64_t first_ns; /**< Unix time of the first packet, ns */
	uint64_t last_ns;  /**< Unix time of the last packet, ns */
	uint32_t services; /**< remote-administration services the policy judged (bit = service index) */
	uint8_t action;    /**< strongest verdict (enum jg_action); meaningful when services != 0 */
	uint8_t src_zone;  /**< zone index of src in the policy generation `policy_gen` (0: unknown) */
	uint8_t dst_zone;
	uint8_t policy_gen; /**< low byte of the policy generation that named the zones */
	uint64_t reserved[2];
};
static_assert(sizeof(struct jg_flow_rec) == 128, "flow record is two cache lines");

/** Event types; the names are what events.jsonl carries. */
#define JG_EVENT_TYPES(X)                     \
	X(ADMIN_SESSION, "admin_session")     \
	X(TOOL_ARTIFACT, "tool_artifact")     \
	X(SERVICE_INSTALL, "service_install") \
	X(SERVICE_CHANGE, "service_change")   \
	X(TASK_CREATE, "task_create")         \
	X(WMI_EXEC, "wmi_exec")               \
	X(WINRM_SESSION, "winrm_session")     \
	X(RDP_SESSION, "rdp_session")         \
	X(LOGON_FAILURE, "logon_failure")     \
	X(ZONE_VIOLATION, "zone_violation")   \
	X(INSPECTION_CUT, "inspection_cut")   \
	X(EVASION, "evasion")                 \
	X(RPC_CALL, "rpc_call")

enum jg_event_type {
	JG_EV_NONE = 0,
#define JG_X_ENUM(e, n) JG_EV_##e,
	JG_EVENT_TYPES(JG_X_ENUM)
#undef JG_X_ENUM
	JG_EV_MAX
};

/**
 * Tools an event may name; the names are what events.jsonl carries. The third
 * column says whether the tool is an attack tool, one no administrator runs for
 * work (Impacket, Metasploit, Cobalt Strike, CrackMapExec...): a policy never
 * allows its sessions (`policy.attack_tools`) and learning never trusts them.
 * PsExec, PAExec, RemCom and winexe are dual-use: judged by zones alone.
 */
#define JG_TOOLS(X)                                      \
	X(UNKNOWN, "unknown", 0)                         \
	X(PAEXEC, "paexec", 0)                           \
	X(PSEXEC, "psexec", 0)                           \
	X(IMPACKET_PSEXEC, "impacket-psexec", 1)         \
	X(REMCOM, "remcom", 0)                           \
	X(WINEXE, "winexe", 0)                           \
	X(SMBEXEC, "smbexec", 1)                         \
	X(CRACKMAPEXEC, "crackmapexec", 1)               \
	X(METASPLOIT_PSEXEC, "metasploit-psexec", 1)     \
	X(ATEXEC, "atexec", 1)                           \
	X(WMIEXEC, "wmiexec", 1)                         \
	X(DCOMEXEC, "dcomexec", 1)                       \
	X(COBALT_STRIKE, "cobalt-strike", 1)             \
	X(SHARPMOVE, "sharpmove", 1)                     \
	X(SCSHELL, "scshell", 1)                         \
	X(CSEXEC, "csexec", 1)                           \
	X(CUSTOM, "custom", 0) /* an operator's rule names it: the event's `tool` attribute */

enum jg_tool {
#define JG_X_ENUM(e, n, a) JG_TOOL_##e,
	JG_TOOLS(JG_X_ENUM)
#undef JG_X_ENUM
	JG_TOOL_MAX
};

/** Event attribute value kinds. */
enum jg_attr_kind { JG_ATTR_STR = 0, JG_ATTR_UINT, JG_ATTR_BOOL };

/**
 * Event attributes: X(enum suffix, JSON key, kind). Strings are raw bytes (the
 * control plane escapes them); UINT is a little-endian uint64; BOOL is one byte.
 */
#define JG_EVENT_ATTRS(X)                              \
	X(SHARE, "share", JG_ATTR_STR)                 \
	X(FILE, "file", JG_ATTR_STR)                   \
	X(PIPE, "pipe", JG_ATTR_STR)                   \
	X(SERVICE_NAME, "service_name", JG_ATTR_STR)   \
	X(BINARY_PATH, "binary_path", JG_ATTR_STR)     \
	X(ORIGIN_HOST, "origin_host", JG_ATTR_STR)     \
	X(ORIGIN_PID, "origin_pid", JG_ATTR_UINT)      \
	X(RPC_INTERFACE, "rpc_interface", JG_ATTR_STR) \
	X(RPC_OPNUM, "rpc_opnum", JG_ATTR_UINT)        \
	X(USER, "user", JG_ATTR_STR)                   \
	X(DOMAIN, "domain", JG_ATTR_STR)               \
	X(WORKSTATION, "workstation", JG_ATTR_STR)     \
	X(SMB_DIALECT, "smb_dialect", JG_ATTR_STR)     \
	X(ENCRYPTED, "encrypted", JG_ATTR_BOOL)        \
	X(DETAIL, "detail", JG_ATTR_STR)               \
	X(SRC_ZONE, "src_zone", JG_ATTR_STR)           \
	X(DST_ZONE, "dst_zone", JG_ATTR_STR)           \
	X(SERVICE, "service", JG_ATTR_STR)             \
	X(ACTION, "action", JG_ATTR_STR)               \
	X(RPC_FUNCTION, "rpc_function", JG_ATTR_STR)   \
	X(TECHNIQUE, "technique", JG_ATTR_STR)         \
	X(TACTIC, "tactic", JG_ATTR_STR)               \
	X(SEVERITY, "severity", JG_ATTR_STR)           \
	X(RULE, "rule", JG_ATTR_STR)                   \
	X(INTERFACE_FROM, "interface_from", JG_ATTR_STR) \
	X(TOOL, "tool", JG_ATTR_STR) /* the name of a JG_TOOL_CUSTOM tool */ \
	X(SRC_HOST, "src_host", JG_ATTR_STR)           \
	X(DST_HOST, "dst_host", JG_ATTR_STR)           \
	X(HOST_CONFLICT, "host_conflict", JG_ATTR_STR) \
	X(SHAPE, "shape", JG_ATTR_STR) /* what an encrypted session's message sizes look like */ \
	X(TASK_NAME, "task_name", JG_ATTR_STR)         \
	X(COMMAND_LINE, "command_line", JG_ATTR_STR)

enum jg_attr {
	JG_ATTR_END = 0,
#define JG_X_ENUM(e, n, k) JG_ATTR_##e,
	JG_EVENT_ATTRS(JG_X_ENUM)
#undef JG_X_ENUM
	JG_ATTR_MAX
};

#define JG_EVENT_DATA_LEN 448

/**
 * An event. Fixed header with the flow's 5-tuple, then `data`: a sequence of
 * attributes, each {uint8_t key, uint8_t len, len bytes}, key 0 ends the list.
 * Attribute keys are defined with the detection code that emits them.
 */
struct jg_event_rec {
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t ip_version;
	uint8_t type; /**< enum jg_event_type */
	uint8_t tool;
	uint16_t worker;
	uint16_t data_len;
	uint32_t pad0;
	uint64_t flow_id;
	uint64_t ts_ns; /**< capture time of the packet that triggered it */
	uint8_t data[JG_EVENT_DATA_LEN];
};
static_assert(sizeof(struct jg_event_rec) == 512, "event record is eight cache lines");
static_assert(sizeof(struct jg_worker_status) % 64 == 0, "worker status is cache aligned");

#define JG_POLICY_MZ_NAME "jg_policy"

/**
 * The rules the dataplane runs, published for the control plane (zone and
 * service names of flow records, `jgctl zones`, reload). A reload writes the
 * slot `gen % 2` before the workers switch to it, so records still in the rings
 * from the previous generation keep their names.
 */
struct jg_policy_mz {
	volatile uint32_t gen;         /**< generation the workers run (1 at start) */
	uint32_t detect_on;
	char policy_path[4096];        /**< "" when the built-in default policy runs */
	char patterns_path[4096];
	uint32_t policy_override;      /**< 1: --policy gave the policy file (a reload keeps it) */
	uint32_t pad0;
	char req_policy_path[4096];    /**< reload request: "" for the built-in default policy */
	char req_patterns_path[4096];
	uint64_t loaded_unix_ns;       /**< when generation gen was swapped in */
	struct jg_policy pol[2];       /**< by generation parity */
};

/** Names of the counters, in enum order. */
extern const char *const jg_counter_names[JG_CNT_MAX];
/** Help texts of the counters, in enum order. */
extern const char *const jg_counter_help[JG_CNT_MAX];
/** Names of the event types, indexed by enum jg_event_type ("" for NONE). */
extern const char *const jg_event_names[JG_EV_MAX];
/** Names of the tools, indexed by enum jg_tool. */
extern const char *const jg_tool_names[JG_TOOL_MAX];
/** 1 for the attack tools (JG_TOOLS' third column), indexed by enum jg_tool. */
extern const uint8_t jg_tool_attack[JG_TOOL_MAX];
/** JSON keys and kinds of the event attributes, indexed by enum jg_attr ("" for END). */
extern const char *const jg_attr_names[JG_ATTR_MAX];
extern const uint8_t jg_attr_kinds[JG_ATTR_MAX];
/** Name of a flow end reason ("unknown" when out of range). */
const char *jg_flow_end_name(unsigned int reason);
/** Name of a dataplane state ("unknown" when out of range). */
const char *jg_dp_state_name(unsigned int state);

#endif
