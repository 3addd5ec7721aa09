/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Host names: what the wire calls each address (the NTLM workstation a client
 * gives, the NetBIOS name a server gives in its CHALLENGE, the server a tree
 * path names, the origin a PAExec/PsExec artifact names), kept by the control
 * plane so that every event names both ends, even those whose own flow said
 * nothing (RDP, WinRM, an encrypted session), and a name that contradicts
 * another is flagged on the event (`host_conflict`) and in `jgctl hosts`.
 * Bounded: a full neighbourhood gives way to its least recently seen host.
 */
#ifndef JG_HOSTS_H
#define JG_HOSTS_H

#include <stdint.h>

#include "jg_fmt.h"
#include "jg_wire.h"

#define JG_HOSTS 8192       /* addresses named (a power of two) */
#define JG_HOST_NAME 64
#define JG_HOST_TTL_NS (24ull * 3600 * 1000000000ull) /* an address unseen this long may change hands (DHCP) */

struct jg_host {
	uint8_t used;
	uint8_t ip_version;
	uint8_t ip[16];
	uint32_t events;    /**< events that named it */
	uint32_t conflicts; /**< events that gave it another name */
	uint64_t first_ns, last_ns;
	char name[JG_HOST_NAME];
	char how[16];              /**< what named it first: workstation, server, origin */
	char other[JG_HOST_NAME];  /**< the last name that contradicted it */
};

struct jg_hosts {
	uint32_t n;
	uint64_t evicted;
	uint64_t conflicts;
	struct jg_host h[JG_HOSTS];
};

/**
 * Learn the names an event gives and give it those it lacks: src_host/dst_host
 * from the table, host_conflict when a name contradicts the table or the
 * event itself (an origin_host that is not the NTLM workstation).
 */
void jg_hosts_event(struct jg_hosts *t, struct jg_event_rec *ev);

/** The name of an address, or NULL. */
const char *jg_hosts_name(const struct jg_hosts *t, const uint8_t *ip, uint8_t version);

/** `jgctl hosts`: every named address (a table, or JSON). */
void jg_hosts_render(const struct jg_hosts *t, int json, struct jg_buf *out);

#endif
