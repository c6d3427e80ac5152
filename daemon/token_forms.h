/*
 * token_forms.h - stable form ids for the ABI-2 token stream (tokens.c): each distinct written
 * form a token stream has met gets an id that stays the same from article to article, until
 * the table outgrows its limit and starts over with a new generation (plugin_api.h,
 * ws_tokens.form_ids).  The table keeps each form's FNV-1a hash too and hands it to the
 * stream's types (ws_token_type.hash).  One table per token stream, so per worker thread.
 */
#ifndef WIRESIFT_TOKEN_FORMS_H
#define WIRESIFT_TOKEN_FORMS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_api.h"

#define FORM_LIMIT_DEFAULT	32768	/* forms a generation holds */

/* A written form's first 16 bytes, zero past its end (a form holds no NUL). */
struct form_key {
	uint64_t	 lo;
	uint64_t	 hi;
};

struct form_table;

/* A table that starts over when an article would take it past limit forms (at least 1). */
struct form_table *form_table_new(size_t limit);
void	 form_table_free(struct form_table *table);
/*
 * The ids of an article's count types (keys[i] the key of types[i]), whose forms are at most
 * `bytes` bytes in all, into ids[], all of one generation (the table starts over first when
 * they might not fit); sets *id_count (every id is below it) and returns the generation,
 * never 0; 0 (no ids) when the article alone has more forms than the limit (or more bytes
 * than a generation keeps).  Either way every type's hash is set: words_hash of its form.
 */
uint32_t form_table_ids(struct form_table *table, const struct form_key *keys,
	    struct ws_token_type *types, size_t count, size_t bytes, uint32_t *ids,
	    uint32_t *id_count);

#endif
