/*
 * tokens.c - builds the ABI-2 token stream (tokens.h): the words of the title, then the text,
 * exactly as words_next (plugins/words.h, the scanner every tagger used on its own before)
 * gives them, by a scanner of its own that reads ASCII through a byte table and hashes each
 * word as it goes (test_tokens compares the two token by token); each token's written form
 * interned in an open-addressing table of the article, keyed by FNV-1a 64 (the hash the
 * plugins' word tables use) and its bytes.  Buffers are kept from article to article.
 */
#include <pthread.h>
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
	char			*arena;		/* the types' copies, made once scanned */
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

/*
 * A new type for bytes.  While the texts are scanned a type's written points at its first
 * occurrence; copy_types() gives each its NUL-terminated copy once all are known.
 */
static uint32_t
type_add(struct token_stream *stream, const char *bytes, size_t length, uint64_t hash)
{
	struct ws_token_type *type;

	if (stream->type_count == stream->type_capacity) {
		stream->type_capacity = stream->type_capacity ? stream->type_capacity * 2 : 256;
		stream->types = xrealloc(stream->types, stream->type_capacity *
		    sizeof(*stream->types));
	}
	type = &stream->types[stream->type_count];
	type->written = bytes;
	type->length = length;
	type->hash = hash;
	return (uint32_t)stream->type_count++;
}

/* Each type's written form copied into the arena, NUL-terminated. */
static void
copy_types(struct token_stream *stream)
{
	size_t needed = 0, used = 0;

	for (size_t i = 0; i < stream->type_count; i++)
		needed += stream->types[i].length + 1;
	if (needed > stream->arena_capacity) {
		stream->arena_capacity = needed * 2;
		free(stream->arena);
		stream->arena = xmalloc(stream->arena_capacity);
	}
	for (size_t i = 0; i < stream->type_count; i++) {
		struct ws_token_type *type = &stream->types[i];

		memcpy(stream->arena + used, type->written, type->length);
		stream->arena[used + type->length] = '\0';
		type->written = stream->arena + used;
		used += type->length + 1;
	}
}

/* Are a and b, both length bytes, the same? Words are short: no call to memcmp. */
static int
same_bytes(const char *a, const char *b, size_t length)
{
	uint64_t x, y;

	for (; length >= 8; length -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	while (length > 0 && *a == *b)
		length--, a++, b++;
	return length == 0;
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

/* A fuller table: twice the room, every type so far inserted again. */
static void
slots_grow(struct token_stream *stream)
{
	size_t mask;

	slots_reset(stream, stream->type_count + 1);
	mask = stream->slot_capacity - 1;
	for (size_t i = 0; i < stream->type_count; i++) {
		size_t slot = (size_t)stream->types[i].hash & mask;

		while (stream->slots[slot] != 0)
			slot = (slot + 1) & mask;
		stream->slots[slot] = (uint32_t)i + 1;
	}
}

/* The type of the written form bytes, added when new. */
static uint32_t
type_of(struct token_stream *stream, const char *bytes, size_t length, uint64_t hash)
{
	size_t mask = stream->slot_capacity - 1, slot = (size_t)hash & mask;
	uint32_t index;

	while ((index = stream->slots[slot]) != 0) {
		const struct ws_token_type *type = &stream->types[index - 1];

		if (type->hash == hash && type->length == length &&
		    same_bytes(type->written, bytes, length))
			return index - 1;
		slot = (slot + 1) & mask;
	}
	index = type_add(stream, bytes, length, hash);
	stream->slots[slot] = index + 1;
	if (stream->type_count * 2 >= stream->slot_capacity)
		slots_grow(stream);
	return index;
}

static void
token_add(struct token_stream *stream, const char *text, const struct word *word,
    uint64_t hash)
{
	struct ws_token *token;

	if (stream->token_count == stream->token_capacity) {
		stream->token_capacity = stream->token_capacity ? stream->token_capacity * 2 : 1024;
		stream->tokens = xrealloc(stream->tokens, stream->token_capacity *
		    sizeof(*stream->tokens));
	}
	token = &stream->tokens[stream->token_count++];
	token->start = (uint32_t)word->start;
	token->end = (uint32_t)word->end;
	token->type = type_of(stream, text + word->start, word->end - word->start, hash);
	token->capitalized = (uint8_t)word->capitalized;
	token->all_upper = (uint8_t)word->all_upper;
	token->sentence_start = (uint8_t)word->sentence_start;
	token->after_punctuation = (uint8_t)word->after_punctuation;
}

/*
 * The scanner: words_next (plugins/words.h) with its ASCII cases read from a byte table and
 * each word's FNV-1a hash taken as its bytes go by.  Bytes from 0x80 take words_next's own
 * code (words_decode, utf8proc's categories); test_tokens compares the two on every token.
 */
enum {
	BYTE_END,		/* NUL: the text ends (its length is its strlen) */
	BYTE_UPPER,		/* A-Z */
	BYTE_LOWER,		/* a-z */
	BYTE_DIGIT,		/* 0-9 */
	BYTE_SPACE,		/* space, tab, CR: no punctuation */
	BYTE_NEWLINE,		/* a sentence starts after it; no punctuation */
	BYTE_STOP,		/* . ! ?: a sentence starts after it */
	BYTE_APOSTROPHE,	/* ': inside a word when a word character follows */
	BYTE_OTHER,		/* any other ASCII byte: punctuation */
	BYTE_HIGH		/* 0x80-0xFF: UTF-8, decoded */
};

static unsigned char byte_class[256];
static pthread_once_t byte_class_once = PTHREAD_ONCE_INIT;

static void
byte_class_init(void)
{
	for (int byte = 0; byte < 256; byte++) {
		unsigned char class = byte >= 0x80 ? BYTE_HIGH : BYTE_OTHER;

		if (byte == '\0')
			class = BYTE_END;
		else if (byte >= 'A' && byte <= 'Z')
			class = BYTE_UPPER;
		else if (byte >= 'a' && byte <= 'z')
			class = BYTE_LOWER;
		else if (byte >= '0' && byte <= '9')
			class = BYTE_DIGIT;
		else if (byte == ' ' || byte == '\t' || byte == '\r')
			class = BYTE_SPACE;
		else if (byte == '\n')
			class = BYTE_NEWLINE;
		else if (byte == '.' || byte == '!' || byte == '?')
			class = BYTE_STOP;
		else if (byte == '\'')
			class = BYTE_APOSTROPHE;
		byte_class[byte] = class;
	}
}

/*
 * Where the next word starts (length: none), noting the sentence and punctuation flags.  The
 * scans read up to the text's NUL (BYTE_END), which is at length.
 */
static size_t
skip_gap(const char *text, size_t length, size_t at, struct word *word)
{
	const unsigned char *bytes = (const unsigned char *)text;
	utf8proc_int32_t code;
	size_t size;

	for (;;) {
		unsigned char class = byte_class[bytes[at]];

		if (class <= BYTE_DIGIT)
			return at;	/* a word, or the end */
		if (class != BYTE_HIGH) {
			word->sentence_start |= class == BYTE_NEWLINE || class == BYTE_STOP;
			word->after_punctuation |= class >= BYTE_STOP;
			at++;
			continue;
		}
		size = words_decode(text, length, at, &code);
		if (words_is_word_char(code))
			return at;
		word->after_punctuation |= utf8proc_category(code) != UTF8PROC_CATEGORY_ZS;
		at += size;
	}
}

/* A character from 0x80 inside a word: counted as words_next counts it; 0 ends the word. */
static size_t
word_high(const char *text, size_t length, size_t at, int *letters, int *uppers,
    struct word *word)
{
	utf8proc_int32_t code, next_code;
	size_t size = words_decode(text, length, at, &code);
	utf8proc_category_t category;

	if (!words_is_word_char(code)) {
		if (code == 0x2019 && at + size < length) {
			words_decode(text, length, at + size, &next_code);
			if (words_is_word_char(next_code))
				return size;
		}
		return 0;
	}
	category = utf8proc_category(code);
	if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LT) {
		if (*letters == 0)
			word->capitalized = 1;
		(*uppers)++;
	}
	if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
	    category == UTF8PROC_CATEGORY_LT || category == UTF8PROC_CATEGORY_LO)
		(*letters)++;
	return size;
}

/* An ASCII apostrophe at `at` stays in the word when a word character follows it. */
static int
apostrophe_inside(const char *text, size_t length, size_t at)
{
	utf8proc_int32_t code;

	if (at + 1 >= length)
		return 0;
	words_decode(text, length, at + 1, &code);
	return words_is_word_char(code);
}

/* Scan the word at `at` to its end (returned), setting its flags and *hash (FNV-1a). */
static size_t
word_body(const char *text, size_t length, size_t at, struct word *word, uint64_t *hash)
{
	const unsigned char *bytes = (const unsigned char *)text;
	uint64_t value = 1469598103934665603ULL;
	int letters = 0, uppers = 0;
	size_t size;

	for (;;) {
		unsigned char byte = bytes[at], class = byte_class[byte];

		while (class == BYTE_LOWER) {	/* most bytes of most words */
			value = (value ^ byte) * 1099511628211ULL;
			letters++;
			byte = bytes[++at];
			class = byte_class[byte];
		}
		if (class == BYTE_UPPER) {
			word->capitalized |= letters == 0;
			uppers++;
			letters++;
		} else if (class == BYTE_HIGH) {
			if ((size = word_high(text, length, at, &letters, &uppers, word)) == 0)
				break;
			for (size_t i = 0; i < size; i++)
				value = (value ^ bytes[at + i]) * 1099511628211ULL;
			at += size;
			continue;
		} else if (class != BYTE_DIGIT &&
		    (class != BYTE_APOSTROPHE || !apostrophe_inside(text, length, at)))
			break;
		value = (value ^ byte) * 1099511628211ULL;
		at++;
	}
	word->all_upper = letters >= 2 && uppers == letters;
	*hash = value;
	return at;
}

/* words_next's possessive rule: the end of the word without a trailing 's or ’s. */
static size_t
possessive_end(const char *text, const struct word *word)
{
	const char *tail = text + word->end;
	size_t length = word->end - word->start;

	if (length <= 3 || (tail[-1] != 's' && tail[-1] != 'S'))
		return word->end;
	if (tail[-2] == '\'')
		return word->end - 2;
	if (length > 5 && memcmp(tail - 4, "\xE2\x80\x99", 3) == 0)
		return word->end - 4;
	return word->end;
}

/* Scan one text; returns how many tokens it added. */
static size_t
scan(struct token_stream *stream, struct ws_token_text *view, const char *text)
{
	size_t length = text != NULL ? strlen(text) : 0, position = 0, first;
	struct word word;
	uint64_t hash;

	view->text = text != NULL ? text : "";
	view->length = length;
	first = stream->token_count;
	if (length == 0 || length >= UINT32_MAX)
		return 0;
	while (position < length) {
		memset(&word, 0, sizeof(word));
		word.sentence_start = position == 0;
		if ((position = skip_gap(text, length, position, &word)) >= length)
			break;
		word.after_punctuation |= word.sentence_start;
		word.start = position;
		position = word.end = word_body(text, length, position, &word, &hash);
		if ((word.end = possessive_end(text, &word)) != position)
			hash = bytes_hash(text + word.start, word.end - word.start);
		token_add(stream, text, &word, hash);
	}
	return stream->token_count - first;
}

const struct ws_tokens *
token_stream_build(struct token_stream *stream, const char *title, const char *text)
{
	struct ws_tokens *view = &stream->view;

	pthread_once(&byte_class_once, byte_class_init);
	stream->token_count = stream->type_count = 0;
	slots_reset(stream, 0);
	view->title.count = scan(stream, &view->title, title);
	view->text.count = scan(stream, &view->text, text);
	view->title.tokens = stream->tokens;
	view->text.tokens = stream->tokens + view->title.count;
	copy_types(stream);
	view->types = stream->types;
	view->type_count = stream->type_count;
	return view;
}
