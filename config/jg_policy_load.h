/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The policy file: zones, services and rules from YAML (or the built-in
 * default: no zones, every remote administration is an alert from `unknown`
 * to `unknown`), validated with every error as file:line: key: reason, and
 * compiled into struct jg_policy (common/jg_policy.h).
 */
#ifndef JG_POLICY_LOAD_H
#define JG_POLICY_LOAD_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "jg_config.h"
#include "jg_policy.h"

static_assert(JG_POLICY_PATH == JG_CFG_PATH, "a policy's path is a config path");

/** The built-in default: zone `unknown` only, built-in services, every action alert. */
void jg_policy_defaults(struct jg_policy *p);

/**
 * Load and validate a policy file; every error collected as file:line: key: reason.
 * @return 0, -EINVAL, or -errno when unreadable
 */
int jg_policy_load(const char *path, struct jg_policy *p, struct jg_cfg_errors *errs);

/** Same from memory. */
int jg_policy_load_mem(const char *name, const char *text, size_t len, struct jg_policy *p,
		       struct jg_cfg_errors *errs);

/**
 * The zone of an address under a policy: its longest matching prefix, as the
 * dataplane's LPM finds it (0: unknown). @param via  the prefix (may be NULL)
 */
int jg_policy_zone_of(const struct jg_policy *pol, const uint8_t *ip, uint8_t version, const struct jg_prefix **via);

/** The index of a service by name, or -1. */
int jg_policy_service_index(const struct jg_policy *pol, const char *name);

/** The service a TCP/UDP destination port names (port-only services), or -1. */
int jg_policy_port_service(const struct jg_policy *p, uint16_t port);

/**
 * Parse "10.0.0.0/8", "fd00::/16" or a bare address (host prefix).
 * @return 0, or -EINVAL
 */
int jg_prefix_parse(const char *s, struct jg_prefix *out);

#endif
