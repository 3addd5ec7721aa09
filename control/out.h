/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * JSON-lines output files (events.jsonl, flows.jsonl): whole lines, buffered,
 * appended; a torn last line left by a killed predecessor is cut at open.
 */
#ifndef JG_OUT_H
#define JG_OUT_H

#include <stddef.h>
#include <stdint.h>

struct jg_out {
	int fd;
	size_t len;
	uint64_t errors;
	char buf[1 << 16];
};

/** Open for appending (a torn last line, a killed writer's, is cut off first). @return 0 or -errno */
int jg_out_open(struct jg_out *o, const char *dir, const char *name);
/** Append one line (a newline is added). */
void jg_out_line(struct jg_out *o, const char *line, size_t n);
/** Write what is buffered. */
void jg_out_flush(struct jg_out *o);
/** Flush and close. */
void jg_out_close(struct jg_out *o);

#endif
