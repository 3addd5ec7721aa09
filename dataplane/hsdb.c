/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Hyperscan databases. The stream one: every pattern of patterns.yaml in
 * each of its encodings, compiled once for streaming; the expression id is the
 * pattern's index, so a match names its pattern whatever the encoding. The
 * rules': per event field, every rule's regular expression on that field, in
 * block mode (a field is scanned whole when an event is made); the id is the
 * rule's index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_priv.h"

/* Windows names are caseless; one match per rule is all a verdict needs */
#define RULE_FLAGS (HS_FLAG_CASELESS | HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH)

static void
rule_err(struct jg_cfg_errors *errs, const struct jg_patterns *pats, uint32_t r, uint8_t c, const char *why)
{
	const struct jg_rule_cond *k = &pats->rules[r].cond[c];
	char key[96];

	snprintf(key, sizeof(key), "rules[%u].match.%s", r, jg_attr_names[k->attr]);
	jg_cfg_err(errs, pats->file, k->line, key, "%s: %s", k->re, why);
}

/*
 * Every rule expression is checked on its own first, so that each one that
 * does not compile is named at its line; then one block-mode database per
 * field that rules test.
 */
static int
compile_rules(struct jg_hs_db *db, struct jg_cfg_errors *errs)
{
	const struct jg_patterns *pats = &db->pats;
	uint32_t before = errs->n + errs->dropped;

	for (uint32_t r = 0; r < pats->n_rules; r++)
		for (uint8_t c = 0; c < pats->rules[r].n_cond; c++) {
			hs_expr_info_t *info = NULL;
			hs_compile_error_t *cerr = NULL;

			if (hs_expression_info(pats->rules[r].cond[c].re, RULE_FLAGS, &info, &cerr) != HS_SUCCESS)
				rule_err(errs, pats, r, c, cerr ? cerr->message : "does not compile");
			hs_free_compile_error(cerr);
			free(info);
		}
	if (errs->n + errs->dropped != before)
		return -1;
	for (unsigned int a = 1; a < JG_ATTR_MAX; a++) {
		const char *exprs[JG_RULES_MAX];
		unsigned int flags[JG_RULES_MAX], ids[JG_RULES_MAX];
		uint8_t conds[JG_RULES_MAX];
		hs_compile_error_t *cerr = NULL;
		unsigned int n = 0;

		for (uint32_t r = 0; r < pats->n_rules; r++)
			for (uint8_t c = 0; c < pats->rules[r].n_cond; c++)
				if (pats->rules[r].cond[c].attr == a) {
					exprs[n] = pats->rules[r].cond[c].re;
					flags[n] = RULE_FLAGS;
					ids[n] = r;
					conds[n] = c;
					n++;
				}
		if (n == 0)
			continue;
		/* each compiled alone above: what fails here is a bound of the whole set */
		if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &db->rule_db[a], &cerr) != HS_SUCCESS) {
			int e = cerr != NULL ? cerr->expression : -1;

			if (e >= 0 && (unsigned int)e < n)
				rule_err(errs, pats, ids[e], conds[e], cerr->message);
			else
				jg_cfg_err(errs, pats->file, 0, "rules", "the rules on %s: %s", jg_attr_names[a],
					   cerr ? cerr->message : "do not compile together");
			hs_free_compile_error(cerr);
			return -1;
		}
	}
	for (uint32_t r = 0; r < pats->n_rules; r++)
		db->rule_events |= pats->rules[r].events;
	return 0;
}

struct jg_hs_db *
jg_hs_compile(const struct jg_patterns *pats, struct jg_cfg_errors *errs)
{
	const char *exprs[2 * JG_PAT_MAX];
	unsigned int flags[2 * JG_PAT_MAX], ids[2 * JG_PAT_MAX];
	static char text[2 * JG_PAT_MAX][JG_PAT_LEN * 8 + 8];
	struct jg_hs_db *db = calloc(1, sizeof(*db));
	hs_compile_error_t *cerr = NULL;
	unsigned int n = 0;

	if (db == NULL) {
		jg_cfg_err(errs, pats->file, 0, "patterns", "out of memory");
		return NULL;
	}
	db->pats = *pats;
	for (uint32_t i = 0; i < pats->n; i++) {
		const unsigned int enc[2] = { JG_PAT_ASCII, JG_PAT_UTF16 };

		for (int e = 0; e < 2; e++) {
			if (!(pats->p[i].encodings & enc[e]))
				continue;
			if (jg_pattern_expr(&pats->p[i], enc[e], text[n], sizeof(text[n])) != 0) {
				jg_cfg_err(errs, pats->file, 0, "patterns", "pattern %s: too long", pats->p[i].name);
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
		jg_cfg_err(errs, pats->file, 0, "patterns", "Hyperscan: %s (expression %d)",
			   cerr ? cerr->message : "compile failed", cerr ? cerr->expression : -1);
		hs_free_compile_error(cerr);
		free(db);
		return NULL;
	}
	hs_stream_size(db->db, &db->stream_size);
	if (compile_rules(db, errs) != 0) {
		jg_hs_free(db);
		return NULL;
	}
	return db;
}

int
jg_hs_scratch(const struct jg_hs_db *db, hs_scratch_t **scratch)
{
	if (hs_alloc_scratch(db->db, scratch) != HS_SUCCESS)
		return -ENOMEM;
	for (unsigned int a = 0; a < JG_ATTR_MAX; a++)
		if (db->rule_db[a] != NULL && hs_alloc_scratch(db->rule_db[a], scratch) != HS_SUCCESS)
			return -ENOMEM;
	return 0;
}

void
jg_hs_free(struct jg_hs_db *db)
{
	if (db == NULL)
		return;
	hs_free_database(db->db);
	for (unsigned int a = 0; a < JG_ATTR_MAX; a++)
		hs_free_database(db->rule_db[a]);
	free(db);
}
