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
 * The ids of an article's count types, whose forms are at most `bytes` bytes in all, into
 * ids[], all of one generation (the table starts over first when they might not fit); sets
 * *id_count (every id is below it) and returns the generation, never 0; 0 (no ids) when the
 * article alone has more forms than the limit (or more bytes than a generation keeps).
 * Either way every type's hash is set: words_hash of its form.  Each type's key is read from
 * its copy: its `written` must be readable for 16 bytes, zero past the form when it is
 * shorter (tokens.c's arena cells), so those 16 bytes are the form's struct form_key.
 */
uint32_t form_table_ids(struct form_table *table, struct ws_token_type *types, size_t count,
	    size_t bytes, uint32_t *ids, uint32_t *id_count);

#endif
