/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The server ports detection keeps sessions for (SMB 445/139, RPC 135/593,
 * RDP 3389, WinRM 5985/5986), in one list: detection tells its flows by them,
 * and the flow table's lean way (one frame or eight in lanes) marks the
 * packets on them, whose flows detection may still want to see.
 */
#ifndef JG_SESSION_PORTS_H
#define JG_SESSION_PORTS_H

#include <assert.h>
#include <stdint.h>

/** X(port) for each session port. */
#define JG_SESSION_PORTS(X) X(445) X(139) X(135) X(593) X(3389) X(5985) X(5986)
/** The lowest and the highest of them. */
#define JG_SESSION_PORT_MIN 135
#define JG_SESSION_PORT_MAX 5986

#define JG_SESSION_PORT_IN(p) && (p) >= JG_SESSION_PORT_MIN && (p) <= JG_SESSION_PORT_MAX
static_assert(1 JG_SESSION_PORTS(JG_SESSION_PORT_IN), "every session port within JG_SESSION_PORT_MIN..MAX");
#undef JG_SESSION_PORT_IN

/** 1 when port is one of JG_SESSION_PORTS. */
static inline int
jg_session_port(uint16_t port)
{
	/* most ports are outside the span of the list: one compare (its bounds asserted above) */
	if ((uint16_t)(port - JG_SESSION_PORT_MIN) > JG_SESSION_PORT_MAX - JG_SESSION_PORT_MIN)
		return 0;
#define JG_SESSION_PORT_CASE(p) case p:
	switch (port) {
	JG_SESSION_PORTS(JG_SESSION_PORT_CASE)
		return 1;
	default:
		return 0;
	}
#undef JG_SESSION_PORT_CASE
}

#endif
