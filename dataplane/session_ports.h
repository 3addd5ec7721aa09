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

#include <stdint.h>

/** X(port) for each session port. */
#define JG_SESSION_PORTS(X) X(445) X(139) X(135) X(593) X(3389) X(5985) X(5986)

/** 1 when port is one of JG_SESSION_PORTS. */
static inline int
jg_session_port(uint16_t port)
{
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
