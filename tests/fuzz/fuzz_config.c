/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the YAML loaders (main config, patterns, policy) on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>

#include "jg_config.h"
#include "jg_patterns.h"
#include "jg_policy_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jg_config cfg;
	static struct jg_patterns pats;
	static struct jg_policy pol;
	static struct jg_cfg_errors errs;
	char expr[1024];

	if (size < 1)
		return 0;
	errs.n = errs.dropped = 0;
	switch (data[0] % 3) {
	case 0:
		jg_config_load_mem("f.yaml", (const char *)data + 1, size - 1, &cfg, &errs);
		break;
	case 1:
		if (jg_patterns_load_mem("f.yaml", (const char *)data + 1, size - 1, &pats, &errs) == 0)
			for (uint32_t i = 0; i < pats.n; i++)
				jg_pattern_expr(&pats.p[i], JG_PAT_UTF16, expr, sizeof(expr));
		break;
	default:
		jg_policy_load_mem("f.yaml", (const char *)data + 1, size - 1, &pol, &errs);
		break;
	}
	if (errs.n > JG_CFG_MAX_ERRORS)
		abort();
	return 0;
}
