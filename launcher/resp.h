/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A small blocking Redis (RESP2) client: what `jumpgate fleet` needs to read
 * a stream as a consumer group.
 */
#ifndef JG_RESP_H
#define JG_RESP_H

#include <stddef.h>

struct jg_resp {
	int fd;
	size_t pos, len;
	char buf[1u << 16];
};

/** A reply: '+' status, '-' error, ':' integer, '$' bulk string, '*' array; nil for a null bulk or array. */
struct jg_resp_val {
	char type;
	int nil;
	long long num;
	char *str; /**< '+', '-', '$': NUL-terminated (binary safe with len) */
	size_t len;
	struct jg_resp_val *elem; /**< '*' */
	size_t n;
};

/** Connect to host:port (10 s timeouts on the connect and on every read and write). @return 0, or -errno with the reason in err */
int jg_resp_connect(struct jg_resp *r, const char *hostport, char *err, size_t cap);

/** Send one command. @return 0 or -errno */
int jg_resp_command(struct jg_resp *r, int argc, const char *const *argv);

/** Read one reply (free it with jg_resp_free). @return 0 or -errno */
int jg_resp_reply(struct jg_resp *r, struct jg_resp_val *v);

/** Free a reply's memory. */
void jg_resp_free(struct jg_resp_val *v);

/** Close the connection. */
void jg_resp_close(struct jg_resp *r);

#endif
