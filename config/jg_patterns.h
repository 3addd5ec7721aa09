/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Detection content (config/patterns.yaml). Artifact patterns: each is one
 * literal, matched in the byte stream in the forms its `encodings` name (ASCII
 * and/or UTF-16LE, both generated from the one definition), with the tool it
 * points to and what a match means. Attribution rules: regular expressions on
 * the fields the parsers decoded (service name, binary path, pipe...), per
 * event kind, naming a tool and an ATT&CK technique. Loaded and validated like
 * the main config (every error at once, file:line: key: reason).
 */
#ifndef JG_PATTERNS_H
#define JG_PATTERNS_H

#include <stddef.h>
#include <stdint.h>

#include "jg_config.h"

#define JG_PAT_MAX 128
#define JG_PAT_LEN 96

/** What a match means. */
enum jg_pat_kind {
	JG_PAT_ARTIFACT = 0, /**< a tool artifact on its own (tool_artifact event) */
	JG_PAT_ATTRIBUTE,    /**< names the tool of the structural event it lies in (service install...) */
	JG_PAT_WMI,          /**< inside a DCE-RPC request: remote WMI/DCOM execution (wmi_exec event) */
};

#define JG_PAT_ASCII 1u
#define JG_PAT_UTF16 2u

struct jg_pattern {
	char name[48];
	char literal[JG_PAT_LEN];
	uint8_t tool;     /**< enum jg_tool */
	uint8_t kind;     /**< enum jg_pat_kind */
	uint8_t encodings;/**< JG_PAT_ASCII | JG_PAT_UTF16 */
	uint8_t nocase;
};

#define JG_RULES_MAX 128
#define JG_RULE_CONDS 4   /* fields one rule may test */
#define JG_RULE_RE 256    /* bytes of one regular expression */

/** One condition of a rule: a Hyperscan regular expression on one decoded field of the event. */
struct jg_rule_cond {
	uint8_t attr;        /**< enum jg_attr: the field (service_name, binary_path, ...) */
	uint32_t line;       /**< where it was given (compile errors name it) */
	char re[JG_RULE_RE];
};

/**
 * An attribution rule: an event of one of `events` whose fields match every
 * condition is the rule's tool (and technique). Rules are tried in file order;
 * the first that matches wins.
 */
struct jg_rule {
	char name[48];
	char tool[32];      /**< "" when the rule names no tool */
	uint8_t tool_id;    /**< enum jg_tool; JG_TOOL_CUSTOM when `tool` is none of the built-in names */
	uint8_t n_cond;
	char technique[16]; /**< "" when the event keeps its own */
	uint32_t events;    /**< bit (1 << enum jg_event_type) per event kind it applies to */
	uint32_t line;
	struct jg_rule_cond cond[JG_RULE_CONDS];
};

struct jg_patterns {
	uint32_t n;
	struct jg_pattern p[JG_PAT_MAX];
	uint32_t n_rules;
	struct jg_rule rules[JG_RULES_MAX];
	char file[JG_CFG_PATH]; /**< where they were loaded from (rule compile errors name it) */
};

/** The event fields a rule may test (enum jg_attr values), and whether a given one is among them. */
int jg_rule_field(unsigned int attr);

/**
 * Load and validate a patterns file.
 * @return 0, -EINVAL with every problem in errs, or -errno when unreadable
 */
int jg_patterns_load(const char *path, struct jg_patterns *pats, struct jg_cfg_errors *errs);

/** Same from memory; `name` is used in messages. */
int jg_patterns_load_mem(const char *name, const char *text, size_t len, struct jg_patterns *pats,
			 struct jg_cfg_errors *errs);

/**
 * The Hyperscan expression of one encoding of a literal: every byte as \xHH,
 * UTF-16LE with a \x00 after each character.
 * @return 0, or -ENOSPC when out is too small
 */
int jg_pattern_expr(const struct jg_pattern *p, unsigned int encoding, char *out, size_t cap);

#endif
