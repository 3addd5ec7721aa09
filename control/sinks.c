/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collectors' outputs as a set: open what the configuration enables,
 * report their counters. An enabled output that cannot be opened (a name that
 * does not resolve, no memory) stops the control plane at start, its reason
 * printed with the key; a collector that is down is not an error (it is
 * connected to when it comes up).
 */
#include <errno.h>
#include <stdio.h>

#include "jg_config.h"
#include "sink_priv.h"

int
jg_sinks_open(const struct jg_config *cfg, const struct jg_policy *pol, struct jg_sink **sinks, int max)
{
	int n = 0, failed = 0;

	if (cfg->out_syslog.enabled && n < max && (sinks[n] = jg_syslog_open(cfg)) != NULL)
		n++;
	else
		failed |= cfg->out_syslog.enabled;
	if (cfg->out_redis.enabled && n < max && (sinks[n] = jg_redis_open(cfg)) != NULL)
		n++;
	else
		failed |= cfg->out_redis.enabled;
	if (cfg->out_ipfix.enabled && n < max && (sinks[n] = jg_ipfix_open(cfg, pol)) != NULL)
		n++;
	else
		failed |= cfg->out_ipfix.enabled;
	for (int i = 0; i < n; i++)
		sinks[i]->pol = pol;
	if (failed) {
		/* An output the operator asked for and cannot have: do not run without it. */
		for (int i = 0; i < n; i++)
			sinks[i]->close(sinks[i]);
		return -EINVAL;
	}
	return n;
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
