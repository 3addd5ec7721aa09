/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The in-tree traffic generator: frames for the benchmark profiles, built
 * once into memory (so generating is never what is measured) and written as
 * pcap for replay (jumpgate replay, tcpreplay, pktgen-dpdk).
 *
 * Profiles:
 *  - tcp64, udp64: 64-byte frames (60 + FCS) over N concurrent flows, both
 *    directions, flows picked uniformly or by a Zipf law;
 *  - imix: 64/570/1518-byte frames 7:4:1 over N TCP and UDP flows;
 *  - smb: 1514-byte frames of SMB2 WRITE streams to port 445 (file copies),
 *    plus every `admin_every` sessions a real PAExec lateral movement (the
 *    bundled demo capture's session) with its artifact names cut across two
 *    TCP segments; with `evade_pct`, that share of the client's segments
 *    reordered or sent as IPv4 fragments of 128-504 bytes in reverse order;
 *  - pcap: the frames of a capture, looped (addresses kept).
 */
#ifndef JG_GEN_H
#define JG_GEN_H

#include <stddef.h>
#include <stdint.h>

enum jg_gen_profile { JG_GEN_TCP64 = 0, JG_GEN_UDP64, JG_GEN_IMIX, JG_GEN_SMB, JG_GEN_PCAP };

struct jg_gen_cfg {
	enum jg_gen_profile profile;
	uint32_t flows;      /**< concurrent flows (tcp64, udp64, imix, smb) */
	double zipf;         /**< 0: uniform; s > 0: Zipf exponent over the flows */
	uint64_t packets;    /**< frames to build */
	uint32_t admin_every; /**< smb: one PAExec session per this many file-copy messages (0: none) */
	const char *pcap;    /**< pcap profile: the capture; smb: the demo capture with the PAExec session */
	uint32_t evade_pct;  /**< smb: percent of client segments swapped with the one before or sent as IP fragments */
	uint16_t vlan;       /**< 1-4094: every frame carries this 802.1Q tag (a trunk's mirror); 0: untagged */
	uint64_t seed;
};

/** One built frame. */
struct jg_frame {
	uint32_t off;  /**< in the arena */
	uint16_t len;
	uint16_t pad;
};

/** A traffic set: frames laid end to end in one arena. */
struct jg_traffic {
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct jg_frame *frames;
	uint64_t n, cap;
	uint64_t bytes;   /**< sum of frame lengths (without FCS) */
};

/** Parse a profile name. @return 0, or -1 */
int jg_gen_profile_parse(const char *s, enum jg_gen_profile *p);

/**
 * Build cfg->packets frames (a pcap profile: every frame of the capture,
 * repeated to at least cfg->packets).
 * @return 0, or -1 with the reason in err
 */
int jg_gen_build(const struct jg_gen_cfg *cfg, struct jg_traffic *t, char *err, size_t cap);

/** Write the frames as a pcap file (1 µs apart). @return 0, or -errno */
int jg_gen_write_pcap(const struct jg_traffic *t, const char *path);

/** Free what jg_gen_build() took. */
void jg_gen_free(struct jg_traffic *t);

#endif
