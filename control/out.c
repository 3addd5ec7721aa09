/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON-lines output files (out.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "out.h"

/*
 * A control plane killed in the middle of a write (SIGKILL stops a large
 * write at a page boundary) leaves a torn last line. The records in it were
 * not committed from their ring, so this process writes them again: cut the
 * torn line off, and every line of the file stays whole JSON.
 */
static void
cut_torn_line(int fd, const char *path)
{
	off_t size = lseek(fd, 0, SEEK_END), end = size;
	char buf[4096];

	while (end > 0) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);

		if (pread(fd, buf, n, end - (off_t)n) != (ssize_t)n)
			return;
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				end = end - (off_t)n + (off_t)i;
				goto found;
			}
		end -= (off_t)n;
	}
found:
	if (end < size && ftruncate(fd, end) == 0)
		fprintf(stderr, "jg-control: %s: cut a torn last line (%lld bytes) left by a control plane stopped mid-write; "
				"its records come again from the ring\n", path, (long long)(size - end));
}

int
jg_out_open(struct jg_out *o, const char *dir, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o->len = 0;
	o->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		fprintf(stderr, "jg-control: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	cut_torn_line(o->fd, path);
	return 0;
}

void
jg_out_flush(struct jg_out *o)
{
	size_t done = 0;

	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->errors++;
			break;
		}
		done += (size_t)n;
	}
	o->len = 0;
}

void
jg_out_line(struct jg_out *o, const char *line, size_t n)
{
	if (o->len + n + 1 > sizeof(o->buf))
		jg_out_flush(o);
	if (n + 1 > sizeof(o->buf)) {
		o->errors++;
		return;
	}
	memcpy(o->buf + o->len, line, n);
	o->buf[o->len + n] = '\n';
	o->len += n + 1;
}

void
jg_out_close(struct jg_out *o)
{
	if (o->fd < 0)
		return;
	jg_out_flush(o);
	close(o->fd);
	o->fd = -1;
}
