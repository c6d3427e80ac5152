/*
 * tokens.h - the token stream the host hands ABI-2 plugins (plugin_api.h): the words of an
 * article's title and text, scanned once per article with the plugins' own scanner
 * (plugins/words.h), each distinct written form interned once. After the plugins
 * (plugin_chain_tokens), the dedup sketch (dedup/normalize.c) and story features
 * (story/features.c) read their words off it too, where a token is the word they would
 * have read; each keeps what it made of a form by the form's stable id.  Each form
 * carries a stable id too (token_forms.c), the same from article to article of one stream.
 */
#ifndef WIRESIFT_TOKENS_H
#define WIRESIFT_TOKENS_H

#include "plugin_api.h"

struct token_stream;

struct token_stream *token_stream_new(void);
void	 token_stream_free(struct token_stream *stream);
/*
 * Scan title and text (either may be NULL) into the stream, replacing what it held; the
 * returned view stays valid until the next build or free, and points into title and text.
 */
const struct ws_tokens *token_stream_build(struct token_stream *stream, const char *title,
	    const char *text);
/*
 * How many written forms a stream made after this call numbers (ws_tokens.form_ids) before it
 * starts over with a new generation; FORM_LIMIT_DEFAULT (token_forms.h) unless set.  For tests.
 */
void	 token_streams_form_limit(size_t limit);

#endif
