/*
 * tokens.c - builds the ABI-2 token stream (tokens.h): the words of the title, then the text,
 * exactly as words_next (plugins/words.h, the scanner every tagger used on its own before)
 * gives them, by a scanner of its own that reads ASCII through a byte table and hashes each
 * word as it goes (test_tokens compares the two token by token); each token's written form
 * interned in an open-addressing table of the article, keyed by FNV-1a 64 (the hash the
 * plugins' word tables use) and its bytes.  Buffers are kept from article to article; the
 * token array is grown once per text to the most tokens it can hold, and the scan keeps its
 * flags and counters in locals (the helpers for bytes from 0x80 return a size with flag bits
 * rather than write through pointers), which took the build from 208K to 176K instructions
 * an article of the bench's news-size corpus; a gap between words is read through a second
 * table (gap_bits: a load and an OR a byte) and the token count kept in a local: 163K.
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
	char			*arena;		/* the types' copies, NUL-terminated */
	size_t			 arena_capacity;
	size_t			 arena_used;
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
 * A new type for bytes: its NUL-terminated copy goes into the arena at once (arena_reserve()
 * made room for every type the texts can hold).
 */
static uint32_t
type_add(struct token_stream *stream, const char *bytes, size_t length, uint64_t hash)
{
	struct ws_token_type *type;
	char *copy = stream->arena + stream->arena_used;

	if (stream->type_count == stream->type_capacity) {
		stream->type_capacity = stream->type_capacity ? stream->type_capacity * 2 : 256;
		stream->types = xrealloc(stream->types, stream->type_capacity *
		    sizeof(*stream->types));
	}
	memcpy(copy, bytes, length);
	copy[length] = '\0';
	stream->arena_used += length + 1;
	type = &stream->types[stream->type_count];
	type->written = copy;
	type->length = length;
	type->hash = hash;
	return (uint32_t)stream->type_count++;
}

/*
 * Room in the arena for the types of texts of `bytes` bytes in all: a type's copy is at most
 * its first token's bytes and a NUL, and there are at most bytes / 2 + 1 tokens a text.
 */
static void
arena_reserve(struct token_stream *stream, size_t bytes)
{
	size_t needed = bytes + bytes / 2 + 4;

	stream->arena_used = 0;
	if (needed <= stream->arena_capacity)
		return;
	stream->arena_capacity = needed * 2;
	free(stream->arena);
	stream->arena = xmalloc(stream->arena_capacity);
}

/*
 * Are a and b, both length bytes, the same?  Words are short: no call to memcmp, and a word
 * below 8 bytes is compared as two loads that overlap (4 + 4, 2 + 2 or 1), not byte by byte.
 */
static inline int
same_bytes(const char *a, const char *b, size_t length)
{
	uint64_t x, y;
	uint32_t u, v;
	uint16_t h, k;

	if (length >= 8) {
		for (; length > 8; length -= 8, a += 8, b += 8) {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + length - 8, 8);	/* the last 8, overlapping what was compared */
		memcpy(&y, b + length - 8, 8);
		return x == y;
	}
	if (length >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return 0;
		memcpy(&u, a + length - 4, 4);
		memcpy(&v, b + length - 4, 4);
		return u == v;
	}
	if (length >= 2) {
		memcpy(&h, a, 2);
		memcpy(&k, b, 2);
		if (h != k)
			return 0;
		return a[length - 1] == b[length - 1];
	}
	return length == 0 || a[0] == b[0];
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

/*
 * Empty the table for the next article: the slots its types took, each found along its probe
 * chain (nothing is ever removed, so it is there), when they are few; else all of them.
 */
static void
slots_clear(struct token_stream *stream)
{
	size_t mask = stream->slot_capacity - 1;

	if (stream->slot_capacity == 0 || stream->type_count * 8 > stream->slot_capacity) {
		slots_reset(stream, 0);
		return;
	}
	for (size_t i = 0; i < stream->type_count; i++) {
		size_t slot = (size_t)stream->types[i].hash & mask;

		while (stream->slots[slot] != (uint32_t)i + 1)
			slot = (slot + 1) & mask;
		stream->slots[slot] = 0;
	}
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

/*
 * Room for every token a text of length bytes can give: a word is at least one byte and at
 * least one byte that is no word's separates it from the next, so at most length / 2 + 1.
 * Made once per text, so adding a token checks nothing.
 */
static void
tokens_reserve(struct token_stream *stream, size_t length)
{
	size_t wanted = stream->token_count + length / 2 + 1, capacity;

	if (wanted <= stream->token_capacity)
		return;
	capacity = stream->token_capacity ? stream->token_capacity * 2 : 1024;
	while (capacity < wanted)
		capacity *= 2;
	stream->tokens = xrealloc(stream->tokens, capacity * sizeof(*stream->tokens));
	stream->token_capacity = capacity;
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

/*
 * What a byte in a gap between words says (gap_bits): a sentence starts after it, it is
 * punctuation; GAP_END: the gap ends there or the byte is UTF-8, left to the slow path.
 */
#define GAP_SENTENCE	0x01
#define GAP_PUNCTUATION	0x02
#define GAP_END		0x80

static unsigned char byte_class[256];
static unsigned char gap_bits[256];
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
		if (class <= BYTE_DIGIT || class == BYTE_HIGH)
			gap_bits[byte] = GAP_END;
		else
			gap_bits[byte] = (class == BYTE_NEWLINE || class == BYTE_STOP ?
			    GAP_SENTENCE : 0) | (class >= BYTE_STOP ? GAP_PUNCTUATION : 0);
	}
}

/*
 * The helpers below return a character's size with what the scan needs to know of it in the
 * bits above: no pointers to the scan's counters, which stay in registers.
 */
#define CHAR_SIZE		0x0F
#define CHAR_PUNCTUATION	0x10	/* in a gap: not a space separator (Zs) */
#define CHAR_LETTER		0x20	/* in a word: Lu, Ll, Lt or Lo */
#define CHAR_UPPER		0x40	/* in a word: Lu or Lt */

/* A character from 0x80 in a gap: 0 when it starts a word, else its size and punctuation. */
static unsigned
gap_high(const char *text, size_t length, size_t at)
{
	utf8proc_int32_t code;
	size_t size = words_decode(text, length, at, &code);

	if (words_is_word_char(code))
		return 0;
	return (unsigned)size |
	    (utf8proc_category(code) != UTF8PROC_CATEGORY_ZS ? CHAR_PUNCTUATION : 0);
}

/* A character from 0x80 inside a word, as words_next counts it: its size, 0 ends the word. */
static unsigned
word_high(const char *text, size_t length, size_t at)
{
	utf8proc_int32_t code, next_code;
	size_t size = words_decode(text, length, at, &code);
	utf8proc_category_t category;
	unsigned flags = 0;

	if (!words_is_word_char(code)) {
		if (code == 0x2019 && at + size < length) {
			words_decode(text, length, at + size, &next_code);
			if (words_is_word_char(next_code))
				return (unsigned)size;
		}
		return 0;
	}
	category = utf8proc_category(code);
	if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LT)
		flags |= CHAR_UPPER;
	if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
	    category == UTF8PROC_CATEGORY_LT || category == UTF8PROC_CATEGORY_LO)
		flags |= CHAR_LETTER;
	return (unsigned)size | flags;
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

/* What scanning a word found: where it ends, its FNV-1a hash and its case flags. */
struct body {
	size_t		 end;
	uint64_t	 hash;
	int		 capitalized;
	int		 all_upper;
};

/* Scan the word at `at` to its end. */
static inline struct body
word_body(const char *text, size_t length, size_t at)
{
	const unsigned char *bytes = (const unsigned char *)text;
	uint64_t value = 1469598103934665603ULL;
	int letters = 0, uppers = 0, capitalized = 0;
	unsigned high;

	for (;;) {
		unsigned char byte = bytes[at], class = byte_class[byte];
		size_t run = at;

		while (class == BYTE_LOWER) {	/* most bytes of most words */
			value = (value ^ byte) * 1099511628211ULL;
			byte = bytes[++at];
			class = byte_class[byte];
		}
		letters += (int)(at - run);
		if (class == BYTE_UPPER) {
			capitalized |= letters == 0;
			uppers++;
			letters++;
		} else if (class == BYTE_HIGH) {
			if ((high = word_high(text, length, at)) == 0)
				break;
			if (high & CHAR_UPPER) {
				capitalized |= letters == 0;
				uppers++;
			}
			letters += (high & CHAR_LETTER) != 0;
			for (size_t end = at + (high & CHAR_SIZE); at < end; at++)
				value = (value ^ bytes[at]) * 1099511628211ULL;
			continue;
		} else if (class != BYTE_DIGIT &&
		    (class != BYTE_APOSTROPHE || !apostrophe_inside(text, length, at)))
			break;
		value = (value ^ byte) * 1099511628211ULL;
		at++;
	}
	return (struct body){ at, value, capitalized, letters >= 2 && uppers == letters };
}

/* words_next's possessive rule: the end of the word without a trailing 's or ’s. */
static inline size_t
possessive_end(const char *text, size_t start, size_t end)
{
	const char *tail = text + end;
	size_t length = end - start;

	if (length <= 3 || (tail[-1] != 's' && tail[-1] != 'S'))
		return end;
	if (tail[-2] == '\'')
		return end - 2;
	if (length > 5 && memcmp(tail - 4, "\xE2\x80\x99", 3) == 0)
		return end - 4;
	return end;
}

/*
 * Where the next word starts (length: none), from at; *gap gathers the gap's GAP_SENTENCE and
 * GAP_PUNCTUATION (the caller's local, kept in a register once this is inlined).  An ASCII
 * byte costs a load of its gap_bits and an OR.
 */
static inline size_t
skip_gap(const char *text, size_t length, size_t at, unsigned *gap)
{
	const unsigned char *bytes = (const unsigned char *)text;
	unsigned bits, high;

	for (;;) {
		bits = gap_bits[bytes[at]];
		if (!(bits & GAP_END)) {
			*gap |= bits;
			at++;
			continue;
		}
		/* BYTE_END, a letter or a digit end the gap; a character from 0x80 may */
		if (byte_class[bytes[at]] != BYTE_HIGH ||
		    (high = gap_high(text, length, at)) == 0)
			return at;
		*gap |= high & CHAR_PUNCTUATION ? GAP_PUNCTUATION : 0;
		at += high & CHAR_SIZE;
	}
}

/* Scan one text; returns how many tokens it added. */
static size_t
scan(struct token_stream *stream, struct ws_token_text *view, const char *text)
{
	size_t length = text != NULL ? strlen(text) : 0, position = 0, first, count, end;
	unsigned gap = GAP_SENTENCE;	/* the first word starts a sentence */

	view->text = text != NULL ? text : "";
	view->length = length;
	first = stream->token_count;
	if (length == 0 || length >= UINT32_MAX)
		return 0;
	tokens_reserve(stream, length);
	for (count = first;; count++) {
		struct ws_token *token;
		struct body body;
		uint64_t hash;

		if ((position = skip_gap(text, length, position, &gap)) >= length)
			break;
		body = word_body(text, length, position);
		hash = body.hash;
		if ((end = possessive_end(text, position, body.end)) != body.end)
			hash = bytes_hash(text + position, end - position);
		token = &stream->tokens[count];
		token->start = (uint32_t)position;
		token->end = (uint32_t)end;
		token->type = type_of(stream, text + position, end - position, hash);
		token->capitalized = (uint8_t)body.capitalized;
		token->all_upper = (uint8_t)body.all_upper;
		token->sentence_start = (uint8_t)(gap & GAP_SENTENCE);
		token->after_punctuation = gap != 0;
		gap = 0;
		position = body.end;
	}
	stream->token_count = count;
	return count - first;
}

const struct ws_tokens *
token_stream_build(struct token_stream *stream, const char *title, const char *text)
{
	struct ws_tokens *view = &stream->view;

	pthread_once(&byte_class_once, byte_class_init);
	slots_clear(stream);
	stream->token_count = stream->type_count = 0;
	arena_reserve(stream, (title != NULL ? strlen(title) : 0) +
	    (text != NULL ? strlen(text) : 0));
	view->title.count = scan(stream, &view->title, title);
	view->text.count = scan(stream, &view->text, text);
	view->title.tokens = stream->tokens;
	view->text.tokens = stream->tokens + view->title.count;
	view->types = stream->types;
	view->type_count = stream->type_count;
	return view;
}
