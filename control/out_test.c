/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-lines outputs: a torn last line (a control plane killed mid-write) is
 * cut at open, whole files are left alone, lines are appended whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jg_test.h"
#include "out.h"

static char dir[] = "/tmp/jg-out-test-XXXXXX";
static struct jg_out o;

/* Write `before` to the file, open it as an output, append one line; @return the file's content */
static const char *
through(const char *before)
{
	static char got[1 << 17];
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/x.jsonl", dir);
	f = fopen(path, "w");
	fputs(before, f);
	fclose(f);
	if (jg_out_open(&o, dir, "x.jsonl") != 0)
		return "(open failed)";
	jg_out_line(&o, "{\"new\":1}", 9);
	jg_out_close(&o);
	f = fopen(path, "r");
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	return got;
}

int
main(void)
{
	static char big[20000];

	if (mkdtemp(dir) == NULL)
		return 1;
	CHECK(!strcmp(through(""), "{\"new\":1}\n"));
	CHECK(!strcmp(through("{\"a\":1}\n{\"b\":2}\n"), "{\"a\":1}\n{\"b\":2}\n{\"new\":1}\n"));
	CHECK(!strcmp(through("{\"a\":1}\n{\"b\":"), "{\"a\":1}\n{\"new\":1}\n"));
	CHECK(!strcmp(through("{\"torn"), "{\"new\":1}\n"));
	/* a torn line longer than one read back */
	memset(big, 'x', sizeof(big) - 1);
	big[0] = '\n';
	CHECK(!strcmp(through(big), "\n{\"new\":1}\n"));
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/x.jsonl", dir);
		remove(path);
		rmdir(dir);
	}
	return jg_test_done();
}
