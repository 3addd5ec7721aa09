/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: what `jumpgate fleet` takes from the network. The first byte picks
 * the RESP reply parser (the rest is what a Redis server would send, through a
 * socket pair) or the graph (the rest is alert lines, one per '\n', then every
 * rendering).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleet.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
resp(const uint8_t *data, size_t size)
{
	static struct jg_resp r;
	struct jg_resp_val v;
	int sv[2];

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[1]);
	memset(&r, 0, sizeof(r));
	r.fd = sv[0];
	while (jg_resp_reply(&r, &v) == 0)
		jg_resp_free(&v);
	close(sv[0]);
}

static void
graph(const uint8_t *data, size_t size)
{
	struct jg_fleet *f = jg_fleet_new();
	char *text = malloc(size + 1);
	FILE *sink = fopen("/dev/null", "w");

	if (f != NULL && text != NULL && sink != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		for (char *line = text, *nl; line != NULL; line = nl) {
			nl = strchr(line, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			jg_fleet_line(f, line);
		}
		for (int fmt = 0; fmt < 3; fmt++)
			jg_fleet_render(f, fmt, sink);
	}
	if (sink != NULL)
		fclose(sink);
	free(text);
	jg_fleet_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		resp(data + 1, size - 1);
	else
		graph(data + 1, size - 1);
	return 0;
}
