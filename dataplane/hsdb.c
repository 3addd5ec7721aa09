/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Hyperscan database: every pattern of patterns.yaml in each of its
 * encodings, compiled once for streaming. The expression id is the pattern's
 * index, so a match names its pattern whatever the encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_priv.h"

struct jg_hs_db *
jg_hs_compile(const struct jg_patterns *pats, char *err, size_t err_len)
{
	const char *exprs[2 * JG_PAT_MAX];
	unsigned int flags[2 * JG_PAT_MAX], ids[2 * JG_PAT_MAX];
	static char text[2 * JG_PAT_MAX][JG_PAT_LEN * 8 + 8];
	struct jg_hs_db *db = calloc(1, sizeof(*db));
	hs_compile_error_t *cerr = NULL;
	unsigned int n = 0;

	if (db == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	db->pats = *pats;
	for (uint32_t i = 0; i < pats->n; i++) {
		const unsigned int enc[2] = { JG_PAT_ASCII, JG_PAT_UTF16 };

		for (int e = 0; e < 2; e++) {
			if (!(pats->p[i].encodings & enc[e]))
				continue;
			if (jg_pattern_expr(&pats->p[i], enc[e], text[n], sizeof(text[n])) != 0) {
				snprintf(err, err_len, "pattern %s: too long", pats->p[i].name);
				free(db);
				return NULL;
			}
			exprs[n] = text[n];
			flags[n] = (pats->p[i].nocase ? HS_FLAG_CASELESS : 0);
			ids[n] = i;
			n++;
		}
	}
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_STREAM, NULL, &db->db, &cerr) != HS_SUCCESS) {
		snprintf(err, err_len, "Hyperscan: %s (expression %d)", cerr ? cerr->message : "compile failed",
			 cerr ? cerr->expression : -1);
		hs_free_compile_error(cerr);
		free(db);
		return NULL;
	}
	hs_stream_size(db->db, &db->stream_size);
	return db;
}

void
jg_hs_free(struct jg_hs_db *db)
{
	if (db == NULL)
		return;
	hs_free_database(db->db);
	free(db);
}
