/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Detection internals shared by detect.c (sessions, events), stream.c (TCP
 * and message framing), smb_detect.c and rpc_detect.c (protocol rules).
 */
#ifndef JG_DETECT_PRIV_H
#define JG_DETECT_PRIV_H

#include <hs/hs.h>

#include "dcerpc.h"
#include "detect.h"
#include "jg_records.h"
#include "smb.h"

#define JG_PDU_CAP 4096   /* bytes kept of one message: headers, names, the start of a stub */
#define JG_HIST 2048      /* bytes delivered last, per direction: a retransmission is compared with them */
/* A hole the receiver acknowledged is given up this long (packet time) after the ACK: the
 * capture lost its bytes. Not at once: the bytes may be on their way to this worker by
 * another (a datagram reassembled elsewhere), behind the ACK that followed them. */
#define JG_HOLE_GRACE_NS 100000000ull
#define JG_HIT_WORDS (JG_PAT_MAX / 64)
#define JG_TREES 8
#define JG_SMB_USERS 8   /* SMB sessions (users) per connection: an RDS or jump host multiplexes several */
#define JG_FILES 16
#define JG_PENDING 8
#define JG_RPC_CTX 16    /* contexts kept per channel: the least telling ones give way first */
#define JG_RPC_CHANS 4   /* DCE-RPC channels per session: likewise */
#define JG_RPC_BUF 2048  /* bytes kept of a DCE-RPC PDU written to a pipe in pieces */
#define JG_RPC_REQ 4096  /* bytes kept of a request's stub sent in several fragments */
#define JG_DEDUP 32
#define JG_EPM_SLOTS 1024 /* endpoints learnt from the endpoint mapper, per worker */

/** Application protocol of a session. */
enum jg_app {
	JG_APP_NONE = 0,
	JG_APP_SMB,    /**< NetBIOS session service framing, SMB1/2/3 */
	JG_APP_RPC,    /**< DCE-RPC over TCP */
	JG_APP_RDP,
	JG_APP_WINRM,
	JG_APP_UNDECIDED, /**< a port of no protocol of ours, and too few bytes yet to tell */
};

#define JG_CLASSIFY_BYTES 16 /* what the first-bytes guess needs */

/** The protocol of a stream that starts with these bytes, or JG_APP_NONE. */
enum jg_app jg_detect_classify_bytes(const uint8_t *data, uint32_t len);


/** One direction of a TCP stream and its message framing. */
struct jg_dir {
	uint32_t next_seq; /**< the next byte to deliver */
	uint8_t seq_ok;
	uint8_t synced;   /**< message framing found */
	uint8_t seen;     /**< payload seen in this direction */
	uint8_t syn;      /**< the direction's SYN was seen (isn valid) */
	uint8_t wscale;   /**< window scale of its SYN, 0xff when none */
	uint8_t csum_off; /**< the receiver took bytes whose checksum looked bad: captured before the sender's
			       NIC filled checksums in (offload); this direction's checksums mean nothing */
	uint8_t ttl;      /**< the TTL its packets carry */
	uint8_t ttl_odd;  /**< packets in a row with a lower TTL (a route change adopts it) */
	uint8_t pkt_seen; /**< a packet of this direction was seen (ttl is set) */
	uint8_t ack_ok;   /**< `acked` and `win` are set */
	uint8_t good_csum; /**< it sent a packet with a good checksum: a bad one later may be chaff */
	uint8_t pad0;
	uint32_t hist_from; /**< hist holds the delivered bytes from this sequence number on */
	uint64_t hole_acked_ns; /**< packet time the receiver first acknowledged bytes past the hole, 0: none */
	uint32_t isn;     /**< its SYN's sequence number */
	uint32_t acked;   /**< highest ACK the other side sent for this direction's bytes */
	uint32_t win;     /**< bytes the other side last said it would take beyond `acked` */
	uint32_t held_hi; /**< one past the highest sequence number held or delivered */
	uint32_t ooo;     /**< out-of-order buffer (pool index + 1), 0 when none */
	uint32_t held;    /**< bytes held in it */
	uint32_t hdr_len; /**< bytes of the current message header gathered */
	uint32_t msg_len; /**< length of the current message, 0 until its header is complete */
	uint32_t msg_got; /**< bytes of the current message seen */
	uint32_t buf_len; /**< bytes of it kept in buf */
	uint64_t off;     /**< stream offset: in-order bytes delivered so far */
	uint64_t msg_start;
	hs_stream_t *hs;
	uint64_t hits[JG_HIT_WORDS]; /**< patterns matched in the message being framed (or since the last flush) */
	uint8_t hist[JG_HIST];       /**< the last bytes delivered, by sequence number modulo JG_HIST */
	uint8_t buf[JG_PDU_CAP];
};

/** A DCE-RPC channel: a named pipe, or the TCP stream itself. */
struct jg_rpc_chan {
	uint8_t used;
	uint8_t n_ctx;
	uint8_t key[16]; /**< SMB file id of the pipe (zero for TCP) */
	/* a pipe is a byte stream: a PDU may come in several writes */
	uint16_t have;   /**< bytes of the current PDU kept in buf */
	uint16_t total;  /**< its length, 0 until its header is in */
	uint16_t got;    /**< bytes of it seen */
	uint8_t buf[JG_RPC_BUF];
	struct {
		uint16_t id;
		uint8_t iface; /**< enum jg_rpc_iface */
		uint8_t age;   /**< bind order: the oldest of the least telling gives way */
		struct jg_uuid uuid;
	} ctx[JG_RPC_CTX];
	uint8_t n_prop;                   /**< contexts the last bind offered, whose results the ack gives in order */
	uint8_t next_age;
	uint16_t prop_id[64];
	/* no bind seen: what the requests tell of the interface */
	uint8_t unk_ops;   /**< opnums seen on no known context (JG_UNK_* bits) */
	uint8_t inferred;  /**< enum jg_rpc_inferred: how the interface of the contexts was found */
	/* winreg: the key the next call is about (the last opened or created), as "HKLM\SAM" */
	char reg_key[96];
};

/** How the server's name is known (a better source replaces a worse one, never the reverse). */
enum jg_name_from { JG_NAME_NONE = 0, JG_NAME_PATH, JG_NAME_CHALLENGE };

/** How a channel's interface was known without its bind. */
enum jg_rpc_inferred { JG_INF_BIND = 0, JG_INF_EPM, JG_INF_PIPE, JG_INF_CALLS };

struct jg_session {
	uint32_t next_free;
	uint8_t app;        /**< enum jg_app */
	uint8_t client_dir; /**< direction (0/1) of the client: requests come from it */
	uint8_t client_known;
	uint8_t encrypted;
	uint8_t tool;       /**< best attribution so far (enum jg_tool) */
	uint8_t remcom_svc; /**< RemComSvc seen: RemCom_* pipes are RemCom's, not Impacket's */
	uint16_t dialect;
	uint16_t n_dedup;
	uint8_t cut;        /**< an inspection_cut was said for this flow */
	uint8_t dedup_next; /**< the dedup table is full: the slot the next key takes (round robin) */
	uint8_t pad0[2];
	char tool_rule[48]; /**< the rule or pattern that named `tool` */
	/* SMB: who is logged on, per SessionId (SMB1: UID); the message being parsed is of cur_sid */
	struct {
		uint64_t sid;
		uint8_t used;
		uint8_t age;
		char user[64];
		char domain[64];
		char workstation[64];
	} users[JG_SMB_USERS];
	uint8_t user_age;
	uint8_t server_from; /**< enum jg_name_from: how server_name is known */
	char server_name[64];/**< the server's own name (NTLM CHALLENGE), or the one the client asked for (tree path) */
	/* SMB3 encrypted: what the sizes of the sealed messages tell (smb_detect.c, encrypted_shape) */
	struct {
		uint32_t up;   /**< bytes the client sent in upload-sized messages */
		uint8_t state; /**< where the current request/response exchange is */
		uint8_t calls; /**< consecutive RPC-shaped calls after an upload */
		uint8_t shaped;/**< said once */
	} enc;
	uint8_t last_user;  /**< the user authenticated last (slot + 1): for messages of an unseen SessionId */
	uint64_t cur_sid;
	/* SMB: trees and files by id, and requests waiting for their response */
	struct {
		uint32_t id;
		uint64_t sid;
		char share[48];
	} trees[JG_TREES];
	struct {
		uint8_t used;
		uint8_t pipe;
		uint8_t id[16];
		uint32_t tree;
		char name[JG_NAME_MAX];
	} files[JG_FILES];
	struct {
		uint8_t used;
		uint16_t cmd;
		uint64_t msg_id;
		uint32_t tree;
		uint8_t fid[16]; /**< a read of a pipe: whose answer the response carries */
		char name[JG_NAME_MAX];
	} pending[JG_PENDING];
	struct jg_rpc_chan rpc[JG_RPC_CHANS];
	/* a request whose stub comes in several fragments, put back together */
	struct {
		uint8_t active;
		uint8_t chan;
		uint8_t auth_level;
		uint8_t big_endian;
		uint16_t ctx_id;
		uint16_t opnum;
		uint32_t call_id;
		uint32_t len;
		uint8_t buf[JG_RPC_REQ];
	} req;
	uint32_t dedup[JG_DEDUP];
	/* what the message being parsed is about, for Hyperscan matches inside it */
	struct {
		uint8_t valid;
		uint8_t rpc_request; /**< a DCE-RPC request stub is in the message */
		char share[48];
		char file[JG_NAME_MAX];
		char pipe[JG_NAME_MAX];
		char service[JG_NAME_MAX];
	} cur;
	struct jg_dir dir[2];
};

struct jg_hs_db {
	hs_database_t *db;
	struct jg_patterns pats;
	size_t stream_size;
	/* attribution rules: per event field, one block-mode database of every rule's expression on it (id: rule index) */
	hs_database_t *rule_db[JG_ATTR_MAX];
	uint32_t rule_events; /**< event kinds some rule applies to (bit per enum jg_event_type) */
};

struct jg_detect {
	const struct jg_hs_db *db;
	hs_scratch_t *scratch;
	struct jg_session *sess;
	uint32_t n_sess;
	uint32_t free_head; /**< index + 1 of the first free session, 0 when none */
	uint32_t used;
	uint16_t worker;
	jg_event_fn emit;
	void *emit_ctx;
	uint64_t *cnt;
	struct jg_flow_table *ft; /**< the flows' table (jg_detect_set_flows) */
	/* out-of-order buffers: a ring of `ooo_win` bytes and a bitmap of the bytes held, each */
	uint8_t *ooo_mem;
	uint32_t *ooo_next;
	uint32_t ooo_n;
	uint32_t ooo_free; /**< index + 1 of the first free buffer, 0 when none */
	uint32_t ooo_win;  /**< power of two */
	uint8_t policy;    /**< enum jg_overlap_policy */
	uint8_t no_discovery;
	/* RDP and WinRM flows whose first client bytes come whole are judged on this, with no session */
	struct jg_session first_bytes;
	/* endpoint-mapper answers this worker learnt (only it writes them); peers: every worker's context */
	uint64_t epm[JG_EPM_SLOTS];
	const struct jg_detect *const *peers;
	uint32_t n_peers;
	const struct jg_detect *self;
	/* the packet being handled */
	struct jg_flow *flow;
	uint64_t ts;
	struct jg_dir *scan_dir; /**< the direction Hyperscan is scanning (match callback) */
};

/* detect.c */
void jg_ev_begin(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev, enum jg_event_type type,
		 uint8_t tool);
/** The attribution rules' verdict on an event about to be emitted (its tool, rule and technique). */
void jg_rules_attribute(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev);
/** Allocate (or grow) a scratch for every database of db, the rules' among them. @return 0, or -ENOMEM */
int jg_hs_scratch(const struct jg_hs_db *db, hs_scratch_t **scratch);
/** Emit unless the same (type, tool, key) was emitted in this flow already. */
void jg_ev_emit(struct jg_detect *d, struct jg_session *s, struct jg_event_rec *ev, const char *dedup_key);
/** Add session context (user, domain, dialect, encrypted) to an event. */
void jg_ev_session(struct jg_session *s, struct jg_event_rec *ev);
/** The SMB user of the message being parsed (its SessionId, else the last to log on), or NULL. */
int jg_smb_user_slot(const struct jg_session *s);
/** Tool attribution of the Hyperscan matches of the message being parsed, or UNKNOWN. */
uint8_t jg_hits_tool(struct jg_detect *d, struct jg_dir *dir, unsigned int kind);
/** A decoded name of the message being parsed: the artifact patterns it holds count as matches of the message. */
void jg_hits_from_name(struct jg_detect *d, struct jg_dir *dir, const char *name);
/** Emit the events of the pending matches, with the current context, and forget them. */
void jg_hits_flush(struct jg_detect *d, struct jg_session *s, struct jg_dir *dir);
/** An evasion attempt (insertion, conflicting overlap...): one event per flow and kind. */
void jg_ev_evasion(struct jg_detect *d, struct jg_session *s, const char *kind, const char *detail);
/** A bound was reached and part of a flow goes uninspected: a counter was bumped; one event per flow. */
void jg_ev_cut(struct jg_detect *d, struct jg_session *s, const char *why);

/* frame.c: in-order bytes -> messages; the reassembler's narrow interface to the protocols */
/** Bytes of direction di in order, from where the last ones ended (a gap notice between). */
void jg_frame_bytes(struct jg_detect *d, struct jg_session *s, int di, const uint8_t *p, uint32_t len);
/** n bytes of direction di are lost: the message they were in is given up. */
void jg_frame_gap(struct jg_detect *d, struct jg_session *s, int di, uint32_t n);

/* stream.c: TCP segments -> in-order bytes, as the endpoint would take them */
#define JG_SEG_RST 0x1u /**< a RST the endpoint would take: the connection ends */
#define JG_SEG_FIN 0x2u /**< a FIN inside the window */
/**
 * One packet of a session's flow. @return JG_SEG_* bits: what the flow's TCP
 * state may take from it (a RST or FIN inside the window).
 */
unsigned int jg_stream_segment(struct jg_detect *d, struct jg_session *s, int dir, const struct jg_pkt *p,
			       const uint8_t *const *seg, const uint32_t *seg_len, unsigned int n_seg);
/** The flow ends: what is held is delivered, its holes as gaps; buffers go back to the pool. */
void jg_stream_end(struct jg_detect *d, struct jg_session *s);

/* smb_detect.c / rpc_detect.c: one complete (or capped) message */
void jg_smb_message(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *m, size_t len);
void jg_rpc_message(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch,
		    const uint8_t *m, size_t len);
/** Bytes written to a named pipe: DCE-RPC PDUs, whole or in pieces. */
void jg_rpc_pipe_data(struct jg_detect *d, struct jg_session *s, int dir, struct jg_rpc_chan *ch,
		      const uint8_t *p, size_t len);
/** The flow ends: a request still waiting for fragments goes to the rules as it is. */
void jg_rpc_end(struct jg_detect *d, struct jg_session *s);
/** The DCE-RPC channel of a pipe (or the TCP stream for a NULL key). */
struct jg_rpc_chan *jg_rpc_chan_of(struct jg_session *s, const uint8_t *key);
/* rpc_calls.c: the catalogue's functions (rpc_catalog.h) as events, and what a request without a bind tells */
struct jg_rpc_func;
/**
 * Attributes of a DCE-RPC event: interface, opnum, function and technique
 * (fn: NULL for the catalogue's entry of the request; technique: NULL for fn's).
 */
void jg_rpc_event_attrs(struct jg_session *s, struct jg_event_rec *ev, const struct jg_rpc_chan *ch, int c,
			const struct jg_rpc_pdu *pdu, const struct jg_rpc_func *fn, const char *technique);
/** A request on a context of no known interface: the pipe's name or the calls so far may tell. @return the context, or -1 */
int jg_rpc_infer(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, const struct jg_rpc_pdu *pdu);
/** A request of a known interface that no rule of rpc_detect.c took: a catalogue function is an rpc_call event. */
void jg_rpc_call(struct jg_detect *d, struct jg_session *s, struct jg_rpc_chan *ch, int c, const struct jg_rpc_pdu *pdu);
/** Add a context id and its interface to a channel (bound, learnt or inferred). @return its slot, or -1 when the contexts it holds tell more */
int jg_rpc_ctx_add(struct jg_rpc_chan *ch, uint16_t id, const struct jg_uuid *u);

/** NTLM AUTHENTICATE seen for SessionId sid (SMB) or on an RPC connection (sid 0): who, from which workstation. */
void jg_session_user(struct jg_session *s, uint64_t sid, const struct jg_ntlm_auth *a);
/** NTLM CHALLENGE seen: the server's own name replaces what a tree path called it. */
void jg_session_server(struct jg_session *s, const struct jg_ntlm_chal *c);

/** RDP and WinRM: the first bytes of a client stream. */
void jg_raw_message(struct jg_detect *d, struct jg_session *s, int dir, const uint8_t *m, size_t len);

/* origin.c */
/**
 * Origin of a PAExec or PsExec artifact name: PAExec-<pid>-<host>[.exe],
 * PSEXESVC-<host>-<pid>-stdin|stdout|stderr, PSEXEC-<host>-<hex>.key.
 * @return 1 when the name carries an origin (host filled; pid 0 when the name has none)
 */
int jg_origin_parse(const char *name, char *host, size_t cap, uint32_t *pid);

#endif
