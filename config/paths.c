/* SPDX-License-Identifier: BSD-3-Clause */
/* Paths the config names: relative to the config file, or the bundled defaults. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jg_config.h"

void
jg_config_path(const struct jg_config *cfg, const char *p, char *out, size_t cap)
{
	const char *slash = strrchr(cfg->path, '/');

	if (p[0] == '/' || slash == NULL)
		snprintf(out, cap, "%s", p);
	else
		snprintf(out, cap, "%.*s%s", (int)(slash - cfg->path + 1), cfg->path, p);
}

void
jg_config_patterns_path(const struct jg_config *cfg, char *out, size_t cap)
{
	if (cfg->patterns_path[0] != '\0') {
		jg_config_path(cfg, cfg->patterns_path, out, cap);
		return;
	}
	/* the bundled file: the source tree when running from a build, else the installed data */
	snprintf(out, cap, "%s/config/patterns.yaml", JG_SOURCE_DIR);
	if (access(out, R_OK) != 0)
		snprintf(out, cap, "%s/patterns.yaml", JG_DATA_DIR);
}

int
jg_config_store_path(const struct jg_config *cfg, const char *out_dir, char *out, size_t cap)
{
	if (cfg->store_path[0] == '/') {
		snprintf(out, cap, "%s", cfg->store_path);
		return 0;
	}
	snprintf(out, cap, "%s/%s", out_dir, cfg->store_path[0] ? cfg->store_path : "jumpgate.db");
	return 1;
}

void
jg_config_policy_path(const struct jg_config *cfg, char *out, size_t cap)
{
	if (cfg->policy_path[0] == '\0')
		snprintf(out, cap, "%s", "");
	else
		jg_config_path(cfg, cfg->policy_path, out, cap);
}
