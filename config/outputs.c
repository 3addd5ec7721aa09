/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of the collectors' outputs (output.syslog, output.redis, output.ipfix)
 * and the parsers they share with the control plane: collector addresses and
 * syslog facilities. Values that only make sense together are checked here,
 * after the loader has mapped every key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jg_config.h"

#define cfg_err jg_cfg_err
#define key_line jg_config_key_line

/* RFC 5424 section 6.2.1: codes 0-11 by their usual names, then local0-local7 (16-23). */
static const char *const facility_names[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
};

int
jg_syslog_facility_code(const char *name)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(facility_names) / sizeof(facility_names[0]); i++)
		if (!strcmp(name, facility_names[i]))
			return (int)i;
	if (!strncmp(name, "local", 5) && name[5] >= '0' && name[5] <= '7' && name[6] == '\0')
		return 16 + (name[5] - '0');
	if (name[0] < '0' || name[0] > '9')
		return -1;
	v = strtol(name, &end, 10);
	return *end == '\0' && v >= 0 && v <= 23 ? (int)v : -1;
}

int
jg_hostport_split(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long v;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -EINVAL; /* a bare IPv6 address needs brackets */
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= cap || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	v = strtol(colon + 1, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static void
check_address(const struct jg_config *cfg, struct jg_cfg_errors *errs, const char *f, const char *key,
	      const char *value)
{
	char host[JG_CFG_STR];
	uint16_t port;

	if (jg_hostport_split(value, host, sizeof(host), &port) != 0)
		cfg_err(errs, f, key_line(cfg, key), key, "%s: expected host:port or [IPv6]:port (port 1-65535)",
			value);
}

void
jg_config_validate_outputs(struct jg_config *cfg, struct jg_cfg_errors *errs)
{
	struct jg_cfg_syslog *sl = &cfg->out_syslog;
	struct jg_cfg_redis *rd = &cfg->out_redis;
	const char *f = cfg->path[0] ? cfg->path : "(config)";
	int code;

	check_address(cfg, errs, f, "output.syslog.server", sl->server);
	if (!strcmp(sl->transport, "udp") || !strcmp(sl->transport, "tcp"))
		sl->tcp = !strcmp(sl->transport, "tcp");
	else
		cfg_err(errs, f, key_line(cfg, "output.syslog.transport"), "output.syslog.transport",
			"%s: expected udp or tcp", sl->transport);
	code = jg_syslog_facility_code(sl->facility);
	if (code < 0)
		cfg_err(errs, f, key_line(cfg, "output.syslog.facility"), "output.syslog.facility",
			"%s: expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, "
			"local0-local7 or a number 0-23",
			sl->facility);
	else
		sl->facility_code = (uint32_t)code;

	check_address(cfg, errs, f, "output.redis.server", rd->server);
	if (rd->stream[0] == '\0')
		cfg_err(errs, f, key_line(cfg, "output.redis.stream"), "output.redis.stream", "(empty): a stream key is needed");
	if (rd->flows_stream[0] != '\0' && !strcmp(rd->flows_stream, rd->stream))
		cfg_err(errs, f, key_line(cfg, "output.redis.flows_stream"), "output.redis.flows_stream",
			"%s: the same key as output.redis.stream", rd->flows_stream);

	check_address(cfg, errs, f, "output.ipfix.collector", cfg->out_ipfix.collector);
	if (cfg->metrics_listen[0] != '\0')
		check_address(cfg, errs, f, "control.metrics", cfg->metrics_listen);
}
