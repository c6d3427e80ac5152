/*
 * tokens.c - builds the ABI-2 token stream (tokens.h): words_next (plugins/words.h, the
 * scanner every tagger used on its own before) over the title, then the text; each token's
 * written form interned in an open-addressing table of the article, keyed by FNV-1a 64 (the
 * hash the plugins' word tables use) and its bytes.  Buffers are kept from article to article.
 */
#include <stdlib.h>
#include <string.h>

#include "tokens.h"
#include "util.h"
#include "../plugins/words.h"

struct token_stream {
	struct ws_tokens	 view;
	struct ws_token		*tokens;	/* the title's, then the text's */
	size_t			 token_count;
	size_t			 token_capacity;
	struct ws_token_type	*types;
	size_t			 type_count;
	size_t			 type_capacity;
	size_t			*written_at;	/* types[i]'s copy at arena + written_at[i] */
	char			*arena;
	size_t			 arena_used;
	size_t			 arena_capacity;
	uint32_t		*slots;		/* type index + 1, 0: empty */
	size_t			 slot_capacity;	/* a power of two */
};

struct token_stream *
token_stream_new(void)
{
	return xcalloc(1, sizeof(struct token_stream));
}

void
token_stream_free(struct token_stream *stream)
{
	if (stream == NULL)
		return;
	free(stream->tokens);
	free(stream->types);
	free(stream->written_at);
	free(stream->arena);
	free(stream->slots);
	free(stream);
}

static uint64_t
bytes_hash(const char *bytes, size_t length)
{
	uint64_t hash = 1469598103934665603ULL;	/* FNV-1a, as words_hash */

	for (size_t i = 0; i < length; i++)
		hash = (hash ^ (unsigned char)bytes[i]) * 1099511628211ULL;
	return hash;
}

/* A new type for bytes: its copy goes to the arena (NUL-terminated). */
static uint32_t
type_add(struct token_stream *stream, const char *bytes, size_t length, uint64_t hash)
{
	struct ws_token_type *type;

	if (stream->type_count == stream->type_capacity) {
		stream->type_capacity = stream->type_capacity ? stream->type_capacity * 2 : 256;
		stream->types = xrealloc(stream->types, stream->type_capacity *
		    sizeof(*stream->types));
		stream->written_at = xrealloc(stream->written_at, stream->type_capacity *
		    sizeof(*stream->written_at));
	}
	if (stream->arena_used + length + 1 > stream->arena_capacity) {
		while (stream->arena_used + length + 1 > stream->arena_capacity)
			stream->arena_capacity = stream->arena_capacity ?
			    stream->arena_capacity * 2 : 4096;
		stream->arena = xrealloc(stream->arena, stream->arena_capacity);
	}
	memcpy(stream->arena + stream->arena_used, bytes, length);
	stream->arena[stream->arena_used + length] = '\0';
	stream->written_at[stream->type_count] = stream->arena_used;
	stream->arena_used += length + 1;
	type = &stream->types[stream->type_count];
	type->length = length;
	type->hash = hash;
	return (uint32_t)stream->type_count++;
}

/* The type of the written form bytes, added when new. */
static uint32_t
type_of(struct token_stream *stream, const char *bytes, size_t length)
{
	uint64_t hash = bytes_hash(bytes, length);
	size_t mask = stream->slot_capacity - 1, slot = (size_t)hash & mask;
	uint32_t index;

	while ((index = stream->slots[slot]) != 0) {
		const struct ws_token_type *type = &stream->types[index - 1];

		if (type->hash == hash && type->length == length &&
		    memcmp(stream->arena + stream->written_at[index - 1], bytes, length) == 0)
			return index - 1;
		slot = (slot + 1) & mask;
	}
	index = type_add(stream, bytes, length, hash);
	stream->slots[slot] = index + 1;
	return index;
}

/* Room for at least `wanted` types at a load of at most a half: slots cleared. */
static void
slots_reset(struct token_stream *stream, size_t wanted)
{
	size_t capacity = stream->slot_capacity ? stream->slot_capacity : 1024;

	while (capacity < wanted * 2)
		capacity *= 2;
	if (capacity != stream->slot_capacity) {
		free(stream->slots);
		stream->slots = xcalloc(capacity, sizeof(*stream->slots));
		stream->slot_capacity = capacity;
	} else
		memset(stream->slots, 0, capacity * sizeof(*stream->slots));
}

static void
token_add(struct token_stream *stream, const char *text, const struct word *word)
{
	struct ws_token *token;

	if (stream->token_count == stream->token_capacity) {
		stream->token_capacity = stream->token_capacity ? stream->token_capacity * 2 : 1024;
		stream->tokens = xrealloc(stream->tokens, stream->token_capacity *
		    sizeof(*stream->tokens));
	}
	if (stream->type_count * 2 >= stream->slot_capacity) {
		/* Grow the table: re-insert every type so far. */
		size_t count = stream->type_count;

		slots_reset(stream, count + 1);
		for (size_t i = 0; i < count; i++) {
			size_t mask = stream->slot_capacity - 1;
			size_t slot = (size_t)stream->types[i].hash & mask;

			while (stream->slots[slot] != 0)
				slot = (slot + 1) & mask;
			stream->slots[slot] = (uint32_t)i + 1;
		}
	}
	token = &stream->tokens[stream->token_count++];
	token->start = (uint32_t)word->start;
	token->end = (uint32_t)word->end;
	token->type = type_of(stream, text + word->start, word->end - word->start);
	token->capitalized = (uint8_t)word->capitalized;
	token->all_upper = (uint8_t)word->all_upper;
	token->sentence_start = (uint8_t)word->sentence_start;
	token->after_punctuation = (uint8_t)word->after_punctuation;
}

/* Scan one text; returns how many tokens it added. */
static size_t
scan(struct token_stream *stream, struct ws_token_text *view, const char *text)
{
	size_t length = text != NULL ? strlen(text) : 0, position = 0, first;
	struct word word;

	view->text = text != NULL ? text : "";
	view->length = length;
	first = stream->token_count;
	while (length > 0 && length < UINT32_MAX && words_next(text, length, &position, &word))
		token_add(stream, text, &word);
	return stream->token_count - first;
}

const struct ws_tokens *
token_stream_build(struct token_stream *stream, const char *title, const char *text)
{
	struct ws_tokens *view = &stream->view;

	stream->token_count = stream->type_count = stream->arena_used = 0;
	slots_reset(stream, 0);
	view->title.count = scan(stream, &view->title, title);
	view->text.count = scan(stream, &view->text, text);
	view->title.tokens = stream->tokens;
	view->text.tokens = stream->tokens + view->title.count;
	for (size_t i = 0; i < stream->type_count; i++)
		stream->types[i].written = stream->arena + stream->written_at[i];
	view->types = stream->types;
	view->type_count = stream->type_count;
	return view;
}
