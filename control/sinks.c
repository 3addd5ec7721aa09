/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collectors' outputs as a set: open what the configuration enables,
 * report their counters.
 */
#include <stdio.h>

#include "jg_config.h"
#include "sink.h"

int
jg_sinks_open(const struct jg_config *cfg, const struct jg_policy *pol, struct jg_sink **sinks, int max)
{
	(void)cfg;
	(void)pol;
	(void)sinks;
	(void)max;
	return 0;
}

void
jg_sinks_stats(struct jg_sink *const *sinks, int n, int json, struct jg_buf *out)
{
	const char *sep = "";

	if (json)
		jg_buf_printf(out, "{");
	else if (n > 0)
		jg_buf_printf(out, "%-8s %-9s %12s %10s %8s %10s %7s\n", "output", "connected", "sent", "dropped",
			      "errors", "reconnects", "queued");
	for (int i = 0; i < n; i++) {
		const struct jg_sink_stats *st = &sinks[i]->st;

		if (json) {
			jg_buf_printf(out,
				      "%s\"%s\":{\"connected\":%s,\"sent\":%llu,\"dropped\":%llu,\"errors\":%llu,"
				      "\"reconnects\":%llu,\"queued\":%u}",
				      sep, sinks[i]->name, st->connected ? "true" : "false", (unsigned long long)st->sent,
				      (unsigned long long)st->dropped, (unsigned long long)st->errors,
				      (unsigned long long)st->reconnects, st->queued);
			sep = ",";
		} else {
			jg_buf_printf(out, "%-8s %-9s %12llu %10llu %8llu %10llu %7u\n", sinks[i]->name,
				      st->connected ? "yes" : "no", (unsigned long long)st->sent,
				      (unsigned long long)st->dropped, (unsigned long long)st->errors,
				      (unsigned long long)st->reconnects, st->queued);
		}
	}
	if (json)
		jg_buf_printf(out, "}");
}
