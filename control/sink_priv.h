/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the collectors' outputs share: a bounded queue of encoded messages and a
 * non-blocking connection (UDP, or TCP with reconnect back-off) that writes the
 * queue out a little at each poll. The encoders of each output are declared
 * here too, so the unit tests exercise them without EAL or sockets.
 */
#ifndef JG_SINK_PRIV_H
#define JG_SINK_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sink.h"

/** One message ready for the wire. */
struct jg_sq_msg {
	uint32_t len;
	uint32_t off;     /**< bytes already written (TCP) */
	uint32_t records; /**< Jumpgate records it carries (alerts or flows): what the counters count */
	uint32_t tag;     /**< for the output's own use (IPFIX: data records in the message) */
	uint8_t data[];
};

/** A bounded FIFO of messages, bounded in records; a full queue refuses (the caller counts the drop). */
struct jg_sq {
	struct jg_sq_msg **slot;
	uint32_t cap; /**< slots: one per record at most */
	uint32_t head;
	uint32_t n;
	uint32_t records; /**< records queued now */
};

/** @return 0, or -ENOMEM */
int jg_sq_init(struct jg_sq *q, uint32_t max_records);
/**
 * Append a copy of a message. @return the message, or NULL when the queue holds
 * too many records already (or out of memory)
 */
struct jg_sq_msg *jg_sq_push(struct jg_sq *q, const void *data, size_t len, uint32_t records);
/** The oldest message, or NULL. */
struct jg_sq_msg *jg_sq_head(const struct jg_sq *q);
/** Remove and free the oldest message. */
void jg_sq_pop(struct jg_sq *q);
/** Free every message and the queue. @return records that were still queued */
uint64_t jg_sq_free(struct jg_sq *q);

enum jg_conn_state { JG_CONN_DOWN, JG_CONN_CONNECTING, JG_CONN_UP };

/** Hooks of an output into its connection. */
struct jg_conn_ops {
	/** Before the first byte of m is written (IPFIX: export time and sequence number). */
	void (*prepare)(void *ctx, struct jg_sq_msg *m);
	/** After the last byte of m is written. */
	void (*written)(void *ctx, const struct jg_sq_msg *m);
	/** A connection is up: `hello` is written first (Redis AUTH). */
	void (*connected)(void *ctx);
	/** Bytes the collector sent (Redis replies); @return bytes consumed */
	size_t (*input)(void *ctx, const uint8_t *p, size_t n);
};

#define JG_CONN_IN 4096
#define JG_CONN_HELLO 1536

/** A connection to one collector. Never blocks: every call returns at once. */
struct jg_conn {
	const char *name; /**< the output, for messages */
	int tcp;
	int fd;
	enum jg_conn_state state;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint64_t retry_ns;     /**< next connect attempt (DOWN) or connect deadline (CONNECTING) */
	uint64_t backoff_ns;   /**< doubles after each failure, up to JG_CONN_BACKOFF_MAX_NS */
	uint32_t budget;       /**< messages written per poll at most */
	uint32_t tokens;       /**< UDP: datagrams that may go now (paced, see JG_CONN_UDP_PER_MS) */
	uint64_t tokens_ns;    /**< UDP: when tokens were last added */
	struct jg_sink_stats *st;
	const struct jg_conn_ops *ops;
	void *ctx;
	uint8_t hello[JG_CONN_HELLO]; /**< written before the queue (TCP: after each connect) */
	uint32_t hello_len, hello_off;
	uint8_t in[JG_CONN_IN];
	uint32_t in_len;
};

#define JG_CONN_BACKOFF_MIN_NS 200000000ull    /* 0.2 s */
#define JG_CONN_BACKOFF_MAX_NS 30000000000ull  /* 30 s */
#define JG_CONN_CONNECT_NS 5000000000ull       /* a connect that takes longer has failed */
#define JG_SINK_CLOSE_NS 2000000000ull         /* what close() spends at most sending what is left */
/* UDP is paced: a collector whose socket buffer fills loses datagrams unseen, and the end of a
 * replay hands over every flow record at once. 8 datagrams a millisecond (about 240,000 IPFIX
 * records a second) in bursts of at most 32. */
#define JG_CONN_UDP_PER_MS 8
#define JG_CONN_UDP_BURST 32

/**
 * Resolve `host:port` (once, at start; a name may block briefly) and set up an
 * unconnected conn. @return 0, or -errno with the reason in err
 */
int jg_conn_init(struct jg_conn *c, const char *name, const char *hostport, int tcp, struct jg_sink_stats *st,
		 const struct jg_conn_ops *ops, void *ctx, char *err, size_t err_cap);

/** Connect, read, write what the queue holds (at most `budget` messages); never waits. */
void jg_conn_poll(struct jg_conn *c, struct jg_sq *q, uint64_t now_ns);

/**
 * At exit: send what is queued until done(ctx) says so or the deadline passes
 * (one connect attempt, no back-off), then close. Records left are dropped (counted).
 */
void jg_conn_finish(struct jg_conn *c, struct jg_sq *q, uint64_t deadline_ns, int (*done)(void *ctx));

/** Close now; a later poll reconnects after the back-off. */
void jg_conn_fail(struct jg_conn *c, uint64_t now_ns);

/* Encoders, pure functions (unit-tested). */

/** What a syslog message needs besides the alert. */
struct jg_syslog_id {
	char hostname[256]; /**< RFC 5424 HOSTNAME: printable ASCII, no spaces ("-" when unknown) */
	unsigned int facility;
	unsigned int pid;
	int octet_counting; /**< TCP: "LEN SP" in front (RFC 6587) */
};

/** RFC 5424 severity of an alert: by event type and the policy's action. */
unsigned int jg_syslog_severity(const struct jg_alert *a);

/**
 * One RFC 5424 message for an alert.
 * @return its length, or 0 when it does not fit in cap
 */
size_t jg_syslog_format(const struct jg_syslog_id *id, const struct jg_alert *a, uint8_t *out, size_t cap);

/** Append s as an RFC 5424 PARAM-VALUE: `"`, `\` and `]` escaped, control and non-ASCII bytes as \xNN. */
void jg_syslog_param_value(struct jg_buf *b, const char *s, size_t n);

/**
 * A RESP array of bulk strings (a Redis command).
 * @return its length, or 0 when it does not fit in cap
 */
size_t jg_resp_command(uint8_t *out, size_t cap, int argc, const char *const *argv, const size_t *lens);

/**
 * Length of the first complete RESP reply in p.
 * @return bytes, 0 when incomplete, -1 when malformed; *is_error set for an error reply
 */
long jg_resp_reply(const uint8_t *p, size_t n, int *is_error);

#define JG_IPFIX_PEN 32473u         /**< Jumpgate's IEs (RFC 5612's documentation number, for now) */
#define JG_IPFIX_PEN_REVERSE 29305u /**< RFC 5103: the reverse direction of a standard IE */
#define JG_IPFIX_MTU 1400           /**< largest message */
#define JG_IPFIX_HDR 16
#define JG_IPFIX_RECORD_MAX 768     /**< largest data record */
#define JG_IPFIX_SERVICES_MAX 512   /**< longest list of service names */

/** Template ids: one per IP version, for each export layout. */
enum {
	JG_IPFIX_TPL_V4_BIFLOW = 256,
	JG_IPFIX_TPL_V6_BIFLOW = 257,
	JG_IPFIX_TPL_V4 = 258,
	JG_IPFIX_TPL_V6 = 259,
};

/** Jumpgate's enterprise IEs, all strings (variable length). */
enum {
	JG_IE_SRC_ZONE = 1, /**< zone of the source address */
	JG_IE_DST_ZONE = 2,
	JG_IE_SERVICES = 3, /**< remote-administration services the policy judged, comma-separated */
	JG_IE_ACTION = 4,   /**< the policy's verdict: allow, alert, block ("" when no service) */
	JG_IE_SENSOR = 5,   /**< sensor.name: the appliance that saw the flow */
};

/** An IPFIX message being filled: header space, then data sets. */
struct jg_ipfix_msg {
	uint8_t buf[JG_IPFIX_MTU];
	size_t len;
	size_t set_off;   /**< offset of the open set's header, 0 when none */
	uint16_t set_id;
	uint32_t records; /**< data records */
	uint32_t flows;   /**< Jumpgate flow records */
};

/** The template set of one layout (biflow or per direction), both IP versions. @return bytes, 0 when cap is short */
size_t jg_ipfix_template_set(uint8_t *out, size_t cap, int biflow);
/** Write the 16-byte message header. */
void jg_ipfix_header(uint8_t *msg, uint16_t len, uint32_t export_s, uint32_t seq, uint32_t domain);
/**
 * One data record of a flow: the biflow record, or with biflow 0 the forward
 * (reverse 0) or reverse (reverse 1) direction. pol names zones and services (NULL: "unknown");
 * sensor is the appliance's name ("" none).
 * @return bytes and the record's template in *tpl, or 0 when cap is short
 */
size_t jg_ipfix_record(uint8_t *out, size_t cap, const struct jg_flow_rec *fr, const struct jg_policy *pol,
		       const char *sensor, int biflow, int reverse, uint16_t *tpl);
/** Empty the message (header space kept). */
void jg_ipfix_msg_reset(struct jg_ipfix_msg *m);
/** Append `records` data records (n bytes) of template tpl. @return 0, or -ENOSPC: send the message first */
int jg_ipfix_msg_add(struct jg_ipfix_msg *m, uint16_t tpl, const uint8_t *rec, size_t n, uint32_t records);
/** Close the open set. @return the message's length */
size_t jg_ipfix_msg_end(struct jg_ipfix_msg *m);

/** Sink constructors (control/syslog.c, control/redis.c, control/ipfix.c). @return NULL with the reason printed */
struct jg_sink *jg_syslog_open(const struct jg_config *cfg);
struct jg_sink *jg_redis_open(const struct jg_config *cfg);
struct jg_sink *jg_ipfix_open(const struct jg_config *cfg, const struct jg_policy *pol);

#endif
