/*
 * normalize.c - turns cleaned text into the sequence of its normalized words, each hashed
 * with XXH3_64bits, so that copies differing only in case, quotes, dashes, punctuation, line
 * breaks or Unicode compatibility forms give the same words.
 *
 * Normalization is Unicode NFKC with case folding and default-ignorable characters removed
 * (utf8proc). A word is a run of letters, marks and numbers; everything else (punctuation,
 * symbols, white space, controls) separates words. ASCII, most of the text of most news, takes
 * a fast path (NFKC is the identity there and case folding is tolower); a token holding any
 * other character goes through utf8proc_map as a whole, then is split by category. Room for
 * the hash of every word a text can hold (a byte and a separator each) is made before it
 * is read, so an ASCII word's hash is stored without a test.
 *
 * On a worker the plugins' token stream (tokens.c) has split the same text a moment before,
 * and dedup_words_from_tokens reads the words off it: a token of ASCII letters and digits
 * with a separator on either side is exactly the word the scanner would read there, and its
 * hash is kept by the token's stable form id (token_forms.c) for as long as the id lasts, so
 * a known word costs a look-up, not a fold and an XXH3; the bytes between such tokens (and
 * any token that is not such a word) are read by the same scanner (scan_span). The same
 * words (test_dedup_sketch compares both with its reference); on the 1,000 article-size
 * texts of the bench's article feeds 8.8 -> 3.8 us an article.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define XXH_INLINE_ALL	/* XXH3 inlined: the per-word and per-shingle calls are most of its cost */
#include <xxhash.h>

#include "dedup_internal.h"
#include "util.h"

static inline void
words_push(struct dedup_words *words, uint64_t hash)
{
	if (words->count == words->capacity) {
		words->capacity = words->capacity ? words->capacity * 2 : 512;
		words->hashes = xrealloc(words->hashes, words->capacity * sizeof *words->hashes);
	}
	words->hashes[words->count++] = hash;
}

/* Room for at least wanted word hashes. */
static void
words_reserve(struct dedup_words *words, size_t wanted)
{
	if (wanted <= words->capacity)
		return;
	words->capacity = wanted < 512 ? 512 : wanted;
	words->hashes = xrealloc(words->hashes, words->capacity * sizeof *words->hashes);
}

static void
scratch_reserve(struct dedup_words *words, size_t length)
{
	if (length <= words->scratch_capacity)
		return;
	words->scratch_capacity = length < 256 ? 256 : length * 2;
	words->scratch = xrealloc(words->scratch, words->scratch_capacity);
}

/* Letters, marks and numbers make words. */
static int
is_word_category(utf8proc_category_t category)
{
	switch (category) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Punctuation, spaces and controls separate tokens before normalization (NFKC keeps them
 * non-word characters, so splitting early is safe and spares utf8proc most quotes and dashes). */
static int
is_separator_category(utf8proc_category_t category)
{
	switch (category) {
	case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_CC:
		return 1;
	default:
		return 0;
	}
}

/* An ASCII token: its folded bytes are in scratch already, and room for its hash. */
static void
add_ascii_token(struct dedup_words *words, const char *folded, size_t length)
{
	words->hashes[words->count++] = XXH3_64bits(folded, length);
}

/* Split already normalized UTF-8 into words by category. */
static void
add_normalized_words(struct dedup_words *words, const utf8proc_uint8_t *text, size_t length)
{
	size_t position = 0, word_start = 0;
	int in_word = 0;

	while (position < length) {
		utf8proc_int32_t codepoint;
		utf8proc_ssize_t step = utf8proc_iterate(text + position,
		    (utf8proc_ssize_t)(length - position), &codepoint);
		int word_char = step > 0 && is_word_category(utf8proc_category(codepoint));

		if (step <= 0)
			step = 1;
		if (word_char && !in_word) {
			word_start = position;
			in_word = 1;
		} else if (!word_char && in_word) {
			words_push(words, XXH3_64bits(text + word_start, position - word_start));
			in_word = 0;
		}
		position += (size_t)step;
	}
	if (in_word)
		words_push(words, XXH3_64bits(text + word_start, length - word_start));
}

static void
add_unicode_token(struct dedup_words *words, const unsigned char *token, size_t length)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t mapped_length;

	mapped_length = utf8proc_map(token, (utf8proc_ssize_t)length, &mapped, UTF8PROC_STABLE |
	    UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
	if (mapped_length < 0) {
		/* Invalid UTF-8 cannot come from the cleaner; keep the bytes as one word. */
		words_push(words, XXH3_64bits(token, length));
		return;
	}
	add_normalized_words(words, mapped, (size_t)mapped_length);
	free(mapped);
}

/* The token at start (its folded copy at the same offset of scratch) ending at end. */
static inline void
add_token(struct dedup_words *words, const unsigned char *text, const char *scratch,
    size_t start, size_t end, int ascii)
{
	if (end == start)
		return;
	if (ascii)
		add_ascii_token(words, scratch + start, end - start);
	else {
		add_unicode_token(words, text + start, end - start);
		/* Room again for every word the rest can hold (a byte and a separator each). */
		words_reserve(words, words->count + (words->length - end) / 2 + 2);
	}
}

#define BYTES_OF(byte)	(0x0101010101010101ULL * (byte))
#define HIGH_BITS	BYTES_OF(0x80)

/* The high bit of each byte of word (every byte below 0x80) that is in [from, to]. */
static inline uint64_t
bytes_in_range(uint64_t word, unsigned from, unsigned to)
{
	return (word + BYTES_OF(0x80 - from)) & ~(word + BYTES_OF(0x7f - to)) & HIGH_BITS;
}

/*
 * Eight bytes of ASCII at text + position (none 0: they are before the end), folded into
 * scratch at the same offsets, each byte that is not a letter or digit ending the token
 * before it. Returns 0, having done nothing, when a byte is not ASCII.
 */
static inline int
words_block(struct dedup_words *words, const unsigned char *text, char *scratch,
    size_t position, size_t *token_start, int *token_ascii)
{
	uint64_t block, stops;

	memcpy(&block, text + position, sizeof block);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	block = __builtin_bswap64(block);
#endif
	if ((block & HIGH_BITS) != 0)
		return 0;
	stops = block | bytes_in_range(block, 'A', 'Z') >> 2;	/* A-Z to a-z */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	stops = __builtin_bswap64(stops);
#endif
	memcpy(scratch + position, &stops, sizeof stops);
	stops = ~(bytes_in_range(block | BYTES_OF(0x20), 'a', 'z') |
	    bytes_in_range(block, '0', '9')) & HIGH_BITS;
	for (; stops != 0; stops &= stops - 1) {
		size_t end = position + ((unsigned)__builtin_ctzll(stops) >> 3);

		add_token(words, text, scratch, *token_start, end, *token_ascii);
		*token_start = end + 1;
		*token_ascii = 1;
	}
	return 1;
}

#ifdef __SSE2__
static inline __m128i
bytes_between(__m128i bytes, char low, char high)
{
	return _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8((char)(low - 1))),
	    _mm_cmpgt_epi8(_mm_set1_epi8((char)(high + 1)), bytes));
}

/* words_block for sixteen bytes, with SSE2 compares (one bit a byte for the token ends). */
static inline int
words_block16(struct dedup_words *words, const unsigned char *text, char *scratch,
    size_t position, size_t *token_start, int *token_ascii)
{
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(text + position));
	unsigned stops;

	if (_mm_movemask_epi8(bytes) != 0)
		return 0;
	_mm_storeu_si128((__m128i *)(void *)(scratch + position), _mm_or_si128(bytes,
	    _mm_and_si128(bytes_between(bytes, 'A', 'Z'), _mm_set1_epi8(0x20))));
	stops = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
	    bytes_between(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), 'a', 'z'),
	    bytes_between(bytes, '0', '9'))) & 0xFFFF;
	for (; stops != 0; stops &= stops - 1) {
		size_t end = position + (unsigned)__builtin_ctz(stops);

		add_token(words, text, scratch, *token_start, end, *token_ascii);
		*token_start = end + 1;
		*token_ascii = 1;
	}
	return 1;
}
#endif

/* Where a scan over part of a text stands: the token being read and the block retry. */
struct scan_state {
	size_t	 position;
	size_t	 token_start;
	size_t	 retry;		/* no eight-byte step before */
	int	 token_ascii;
};

/*
 * The ASCII letters and digits of bytes [state->position, to) are folded into scratch at
 * their own offsets as they are read (room for the whole text is made first), so an ASCII
 * token is hashed from there without a second pass; a token holding other characters is
 * normalized from the text by add_unicode_token. Prose goes sixteen or eight bytes a step
 * (words_block16, words_block) while they are ASCII. A token still open at `to` stays open
 * in state (to is where the text ends, or a byte from which no UTF-8 sequence goes back).
 */
static inline __attribute__((always_inline)) void
scan_span(struct dedup_words *words, const unsigned char *bytes, char *scratch,
    struct scan_state *state, size_t to)
{
	size_t position = state->position, token_start = state->token_start;
	size_t retry = state->retry;
	int token_ascii = state->token_ascii;

	while (position < to) {
		unsigned char byte, folded;
		utf8proc_int32_t codepoint;
		utf8proc_ssize_t step;

		if (position >= retry && to - position >= 8) {
#ifdef __SSE2__
			if (to - position >= 16 && words_block16(words, bytes, scratch,
			    position, &token_start, &token_ascii)) {
				position += 16;
				continue;
			}
#endif
			if (words_block(words, bytes, scratch, position, &token_start,
			    &token_ascii)) {
				position += 8;
				continue;
			}
			retry = position + 8;
		}
		byte = bytes[position];
		folded = ascii_word_fold[byte];
		if (folded != 0) {
			scratch[position++] = (char)folded;
			continue;
		}
		if (byte < 0x80) {
			add_token(words, bytes, scratch, token_start, position, token_ascii);
			position++;
			token_start = position;
			token_ascii = 1;
			continue;
		}
		step = utf8proc_iterate(bytes + position, -1, &codepoint);
		if (step <= 0 || is_separator_category(utf8proc_category(codepoint))) {
			add_token(words, bytes, scratch, token_start, position, token_ascii);
			position += step > 0 ? (size_t)step : 1;
			token_start = position;
			token_ascii = 1;
			continue;
		}
		token_ascii = 0;
		position += (size_t)step;
	}
	state->position = position;
	state->token_start = token_start;
	state->retry = retry;
	state->token_ascii = token_ascii;
}

/* Room for the words and the folded bytes of a text of length bytes; returns scratch. */
static char *
words_begin(struct dedup_words *words, size_t length)
{
	words->count = 0;
	words->length = length;
	scratch_reserve(words, length + 1);
	words_reserve(words, length / 2 + 2);
	return words->scratch;
}

void
dedup_words_from_text(struct dedup_words *words, const char *text)
{
	const unsigned char *bytes = (const unsigned char *)(text ? text : "");
	size_t length = strlen((const char *)bytes);
	struct scan_state state = { .token_ascii = 1 };
	/* a local: a byte stored through words->scratch could alias words->scratch itself,
	 * reloaded on every byte */
	char *scratch = words_begin(words, length);

	scan_span(words, bytes, scratch, &state, length);
	add_token(words, bytes, scratch, state.token_start, length, state.token_ascii);
}

/*
 * The word a token type's written form makes, when it is one: all ASCII letters and digits
 * (at most FORM_BYTES), hashed folded as the scanner hashes it. Else FORM_NONE.
 */
static uint8_t
form_word(const struct ws_token_type *type, uint64_t *hash)
{
	char folded[FORM_BYTES];

	if (type->length == 0 || type->length > FORM_BYTES)
		return FORM_NONE;
	for (size_t i = 0; i < type->length; i++)
		if ((folded[i] = (char)ascii_word_fold[(unsigned char)type->written[i]]) == 0)
			return FORM_NONE;
	*hash = XXH3_64bits(folded, type->length);
	return FORM_WORD;
}

/*
 * Room for the forms of tokens' ids, all FORM_UNKNOWN when their generation is not the one
 * known: a form's word lasts as long as its id does (plugin_api.h, ws_tokens.form_ids).
 */
static void
forms_reserve(struct dedup_words *words, const struct ws_tokens *tokens)
{
	size_t wanted = tokens->form_id_count, old = words->form_capacity;

	if (tokens->form_generation != words->form_generation) {
		if (words->form_states != NULL)	/* none before the first article */
			memset(words->form_states, FORM_UNKNOWN, words->form_capacity);
		words->form_generation = tokens->form_generation;
	}
	if (wanted <= old)
		return;
	words->form_capacity = wanted < 1024 ? 1024 : wanted * 2;
	words->form_hashes = xrealloc(words->form_hashes,
	    words->form_capacity * sizeof *words->form_hashes);
	words->form_states = xrealloc(words->form_states, words->form_capacity);
	memset(words->form_states + old, FORM_UNKNOWN, words->form_capacity - old);
}

/*
 * Whether the scanner ends a token at bytes[end] (end < length): an ASCII byte that is no
 * letter or digit, invalid UTF-8, or a character of a separator category.
 */
static inline int
ends_token(const unsigned char *bytes, size_t end)
{
	utf8proc_int32_t codepoint;
	utf8proc_ssize_t step;

	if (bytes[end] < 0x80)
		return ascii_word_fold[bytes[end]] == 0;
	step = utf8proc_iterate(bytes + end, -1, &codepoint);
	return step <= 0 || is_separator_category(utf8proc_category(codepoint));
}

/* Bytes [from, to) hold no letter, digit or byte from 0x80: no word of the scanner. */
static inline int
plain_gap(const unsigned char *bytes, size_t from, size_t to)
{
	for (; from < to; from++)
		if (ascii_word_fold[bytes[from]] != 0 || bytes[from] >= 0x80)
			return 0;
	return 1;
}

void
dedup_words_from_tokens(struct dedup_words *words, const struct ws_tokens *stream)
{
	const struct ws_token_text *view = &stream->text;
	const unsigned char *bytes = (const unsigned char *)view->text;
	const struct ws_token *tokens = view->tokens;
	const uint32_t *ids = stream->form_ids;
	size_t length = view->length, count = view->count;
	struct scan_state state = { .token_ascii = 1 };
	char *scratch = words_begin(words, length);
	uint64_t *hashes = words->form_hashes;
	uint8_t *states;

	forms_reserve(words, stream);
	hashes = words->form_hashes;
	states = words->form_states;
	for (size_t t = 0; t < count; t++) {
		size_t start = tokens[t].start, end = tokens[t].end;
		uint32_t id = ids[tokens[t].type];
		uint8_t form = states[id];

		if (form == FORM_UNKNOWN)
			form = states[id] = form_word(&stream->types[tokens[t].type], &hashes[id]);
		if (form != FORM_WORD || start < state.position ||
		    (end < length && !ends_token(bytes, end)))
			continue;
		/* the bytes before it; a token they leave open runs into this one */
		if (state.token_start != state.position || !plain_gap(bytes, state.position, start)) {
			scan_span(words, bytes, scratch, &state, start);
			if (state.token_start != start)
				continue;
		}
		/* room was made for a word a byte and a separator */
		words->hashes[words->count++] = hashes[id];
		state.position = state.token_start = end;
	}
	scan_span(words, bytes, scratch, &state, length);
	add_token(words, bytes, scratch, state.token_start, length, state.token_ascii);
}

uint64_t
dedup_words_digest(const struct dedup_words *words)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	/* Past 240 bytes XXH3 runs its long loop: on AVX2 (digest_avx2.c) when there is. */
	if (words->count > 30 && __builtin_cpu_supports("avx2"))
		return dedup_digest_avx2(words->hashes, words->count * sizeof *words->hashes,
		    words->count);
#endif
	return XXH3_64bits_withSeed(words->hashes, words->count * sizeof *words->hashes,
	    words->count);
}

void
dedup_words_free(struct dedup_words *words)
{
	free(words->hashes);
	free(words->scratch);
	free(words->form_hashes);
	free(words->form_states);
	memset(words, 0, sizeof *words);
}
