/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Artifact patterns (config/patterns.yaml): each is one literal, matched in the
 * forms its `encodings` name (ASCII and/or UTF-16LE, both generated from the one
 * definition), with the tool it points to and what a match means. Loaded and
 * validated like the main config (every error at once, file:line: key: reason).
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

struct jg_patterns {
	uint32_t n;
	struct jg_pattern p[JG_PAT_MAX];
};

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
