/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Zones, remote-administration services and the policy between them, as the
 * dataplane runs it and the control plane reads it (the policy memzone):
 * rules compiled into a matrix (source zone, destination zone, service) ->
 * action, so evaluation on the fast path is one array read. The loader that
 * builds one from YAML is config/jg_policy_load.h.
 */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define JG_ZONES_MAX 64      /* zone 0 is `unknown` */
#define JG_ZONE_PREFIXES 1024
#define JG_SERVICES_MAX 32
#define JG_SERVICE_PORTS 16
#define JG_POLICY_PATH 4096  /* the file it came from */
#define JG_POLICY_RULES 256
#define JG_RULE_ANY 0xff     /* a rule's from, to or service: any */

/** Built-in services; operators add their own after these. */
#define JG_BUILTIN_SERVICES(X)                                                   \
	X(SMB_ADMIN, "smb-admin", "SMB to an admin share, or an SMB3-encrypted session shaped like a service install") \
	X(SMB_ENCRYPTED, "smb-encrypted", "an SMB3 session whose content is sealed (only its sizes show)") \
	X(RPC, "rpc", "DCE-RPC remote administration over TCP (service control, tasks, DCSync, registry...)") \
	X(WMI, "wmi", "WMI and DCOM remote execution")                                  \
	X(WINRM, "winrm", "WinRM (5985/5986, or POST /wsman on any port)")              \
	X(RDP, "rdp", "RDP (3389, or an X.224 connection request on any port)")        \
	X(SSH, "ssh", "SSH (22)")                                                       \
	X(VNC, "vnc", "VNC (5900-5906)")

enum jg_service {
#define JG_X_ENUM(e, n, h) JG_SVC_##e,
	JG_BUILTIN_SERVICES(JG_X_ENUM)
#undef JG_X_ENUM
	JG_SVC_BUILTIN_MAX
};

enum jg_action { JG_ACT_ALLOW = 0, JG_ACT_ALERT, JG_ACT_BLOCK };

/** The action names: allow, alert, block. */
extern const char *const jg_action_names[3];

struct jg_prefix {
	uint8_t addr[16]; /**< IPv4 in the first four bytes */
	uint8_t version;
	uint8_t depth;
	uint8_t zone;
};

struct jg_service_def {
	char name[32];
	uint8_t n_ports;
	uint16_t ports[JG_SERVICE_PORTS][2]; /**< [first, last] */
};

/** A rule as the file wrote it (zone and service indexes, or JG_RULE_ANY). */
struct jg_policy_rule {
	uint8_t from, to, service, action;
};

struct jg_policy {
	char path[JG_POLICY_PATH];
	uint32_t n_zones;
	char zones[JG_ZONES_MAX][32];
	uint32_t n_prefixes;
	struct jg_prefix prefixes[JG_ZONE_PREFIXES];
	uint32_t n_services;
	struct jg_service_def services[JG_SERVICES_MAX];
	uint8_t default_action;
	/** the least a session of an attack tool gets, whatever its zones: alert or block (policy.attack_tools) */
	uint8_t attack_action;
	uint16_t n_rules;
	struct jg_policy_rule rules[JG_POLICY_RULES]; /**< what the matrix was compiled from, first match first */
	/** action[src zone][dst zone][service] */
	uint8_t action[JG_ZONES_MAX][JG_ZONES_MAX][JG_SERVICES_MAX];
};

/**
 * What the policy does to a session of service svc from zone sz to zone dz:
 * the matrix, raised to attack_action when an attack tool is named.
 */
static inline uint8_t
jg_policy_action(const struct jg_policy *p, uint8_t sz, uint8_t dz, unsigned int svc, int attack_tool)
{
	uint8_t a = p->action[sz][dz][svc];

	return attack_tool && a < p->attack_action ? p->attack_action : a;
}

#endif
