/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The DCE-RPC functions that remote administration, and the preparation of a
 * lateral movement, call on a target: interface and opnum -> function name,
 * MITRE ATT&CK technique and tactic. The set covers MITRE's BZAR lists
 * (credential access, defence evasion, execution, persistence, impact,
 * discovery) and a few functions BZAR leaves out (DCShadow's replica add,
 * PrintNightmare's driver install, the printer bug's forced authentication,
 * DPAPI backup-key retrieval). Pure data; docs/detection.md shows it as a table.
 */
#ifndef JG_RPC_CATALOG_H
#define JG_RPC_CATALOG_H

#include <stdint.h>

/** ATT&CK tactics the functions serve; the names are what events carry. */
#define JG_TACTICS(X)                                    \
	X(CREDENTIAL_ACCESS, "credential-access")        \
	X(DEFENSE_EVASION, "defense-evasion")            \
	X(EXECUTION, "execution")                        \
	X(PERSISTENCE, "persistence")                    \
	X(PRIVILEGE_ESCALATION, "privilege-escalation")  \
	X(IMPACT, "impact")                              \
	X(DISCOVERY, "discovery")

enum jg_tactic {
	JG_TAC_NONE = 0,
#define JG_X_ENUM(e, n) JG_TAC_##e,
	JG_TACTICS(JG_X_ENUM)
#undef JG_X_ENUM
	JG_TAC_MAX
};

/** Names of the tactics ("" for NONE). */
extern const char *const jg_tactic_names[JG_TAC_MAX];

/** One function of the catalogue. */
struct jg_rpc_func {
	uint8_t iface;         /**< enum jg_rpc_iface */
	uint8_t tactic;        /**< enum jg_tactic */
	uint8_t bzar;          /**< 1: in one of BZAR's lists */
	uint16_t opnum;
	const char *name;      /**< MS-xxxx method name */
	const char *technique; /**< ATT&CK technique id */
};

/** The catalogue, and its length. */
extern const struct jg_rpc_func jg_rpc_funcs[];
extern const unsigned int jg_rpc_funcs_n;

/** @return the catalogue's entry for an interface and opnum, or NULL */
const struct jg_rpc_func *jg_rpc_func_of(unsigned int iface, unsigned int opnum);

#endif
