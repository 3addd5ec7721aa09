/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a remote-execution tool was launched from, as its own artifact names
 * tell: PAExec-<pid>-<host>.exe (and the service and pipes named after it),
 * PSEXESVC-<host>-<pid>-stdin|stdout|stderr (psexecsvc- in PsExec 1.x),
 * PSEXEC-<host>-<hex>.key.
 * NetBIOS host names are at most 15 characters; they may contain '-', so the
 * pid (all digits) is what anchors the split.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect_priv.h"

static const char *
base_name(const char *name)
{
	const char *s = strrchr(name, '\\');

	return s ? s + 1 : name;
}

static int
copy_host(const char *b, size_t n, char *host, size_t cap)
{
	if (n == 0 || n > 63 || n >= cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)b[i]) || b[i] == '-' || b[i] == '_' || b[i] == '.'))
			return 0;
	memcpy(host, b, n);
	host[n] = '\0';
	return 1;
}

static int
digits(const char *b, size_t n, uint32_t *v)
{
	char tmp[12];

	if (n == 0 || n > 10)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)b[i]))
			return 0;
	memcpy(tmp, b, n);
	tmp[n] = '\0';
	*v = (uint32_t)strtoul(tmp, NULL, 10);
	return 1;
}

int
jg_origin_parse(const char *name, char *host, size_t cap, uint32_t *pid)
{
	const char *b = base_name(name), *end, *dash;

	*pid = 0;
	if (strncasecmp(b, "PAExec-", 7) == 0) {
		/* PAExec-<pid>-<host>[.exe] */
		b += 7;
		dash = strchr(b, '-');
		if (dash == NULL || !digits(b, (size_t)(dash - b), pid))
			return 0;
		b = dash + 1;
		end = strrchr(b, '.');
		if (end == NULL || strcasecmp(end, ".exe") != 0)
			end = b + strlen(b);
		return copy_host(b, (size_t)(end - b), host, cap);
	}
	if (strncasecmp(b, "PSEXESVC-", 9) == 0 || strncasecmp(b, "PSEXECSVC-", 10) == 0) {
		/* PSEXESVC-<host>-<pid>-std(in|out|err) (PsExec 1.x: psexecsvc-): the pid is the last all-digit field */
		b += (b[5] == 'C' || b[5] == 'c') ? 10 : 9;
		end = strrchr(b, '-');
		if (end == NULL || strncasecmp(end, "-std", 4) != 0)
			return 0;
		for (dash = end - 1; dash > b && *dash != '-'; dash--)
			;
		if (dash <= b || !digits(dash + 1, (size_t)(end - dash - 1), pid))
			return 0;
		return copy_host(b, (size_t)(dash - b), host, cap);
	}
	if (strncasecmp(b, "PSEXEC-", 7) == 0) {
		/* PSEXEC-<host>-<hex>.key */
		b += 7;
		end = strrchr(b, '-');
		if (end == NULL)
			return 0;
		return copy_host(b, (size_t)(end - b), host, cap);
	}
	return 0;
}
