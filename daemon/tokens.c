/*
 * tokens.c - builds the ABI-2 token stream (tokens.h): the words of the title, then the text,
 * exactly as words_next (plugins/words.h, the scanner every tagger used on its own before)
 * gives them (test_tokens compares the two token by token), each token's written form
 * interned once per article, with its FNV-1a 64 hash (the hash the plugins' word tables use).
 *
 * A word is read 16 bytes at a time: one block loaded at its first byte gives, by SSE2
 * compares (a byte loop where there is no SSE2), which bytes are ASCII letters and digits and
 * which are capitals, so where the word ends and its case flags.  A word that its block holds
 * and that an ASCII byte other than an apostrophe ends (nearly every word of news in Latin
 * scripts) is done there; any other (longer, or an apostrophe or a byte from 0x80 at its end)
 * takes word_slow, words_next's rules byte by byte with utf8proc's categories.  A word that
 * a space and a letter or digit follow gives the next word's start; other gaps are read byte
 * by byte through a table.  Blocks never read past the text's NUL: the last 15 bytes are
 * copied into a padded block.
 *
 * Written forms are interned by their first 16 bytes, zero-padded (the block's bytes masked
 * at the word's end: below 16 bytes that is the whole form), in an open-addressing table of
 * the article hashed by two multiplies.  Slots carry the number of the build that filled
 * them, so nothing is cleared between articles; buffers are kept from article to article.
 * This took the build from 162K to 114K instructions an article of the bench's news-size
 * corpus (tests/bench/bench_tokens.c over its texts under callgrind).  A type's copy takes
 * whole 16-byte cells, its first its key, read there by form_table_ids (no array of keys);
 * with the words of a text's last 15 bytes scanned apart (no end test a word before them),
 * 150.6K -> 139.6K instructions a build (daemon-cleaned article texts).  A form of under 16
 * bytes is interned with no branch on whether it is new (type_of_short): that branch, two
 * in five tokens, mispredicted; without it bench_tokens over the 1,000 article-size texts
 * went from 16.2-16.9 to 13.2-13.6 us an article (more instructions, half the mispredicts).
 *
 * Then each type gets its stable form id and its FNV-1a hash (token_forms.c: one probe a
 * type, by its key, in a table that lives from article to article and keeps each form's
 * hash, so FNV-1a, a multiply a byte, runs only for forms new to it), which plugins index
 * their per-form data by.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && !defined(TOKENS_NO_SSE2)
#include <emmintrin.h>
#endif

#include "token_forms.h"
#include "tokens.h"
#include "util.h"
#include "../plugins/words.h"

/* A slot of the intern table: empty unless its stamp is the current build's. */
struct slot {
	struct form_key	 key;
	uint32_t	 type;
	uint32_t	 stamp;
};

struct token_stream {
	struct ws_tokens	 view;
	struct ws_token		*tokens;	/* the title's, then the text's */
	size_t			 token_count;
	size_t			 token_capacity;
	struct ws_token_type	*types;
	size_t			 type_count;
	size_t			 type_capacity;
	char			*arena;		/* types' copies, 16-byte cells */
	size_t			 arena_capacity;
	size_t			 arena_used;
	struct slot		*slots;
	size_t			 slot_capacity;	/* a power of two */
	unsigned		 slot_shift;	/* 64 - log2(slot_capacity) */
	uint32_t		 stamp;		/* this build's number, never 0 */
	struct form_table	*forms;		/* stable form ids, from article to article */
	uint32_t		*form_ids;	/* of each type (type_capacity of them) */
};

/* The host fills ws_tokens' form ids (plugin_api.h). */
const unsigned ws_host_form_ids = 1;

/* Forms a stream made from now on numbers before it starts over (tokens.h). */
static size_t form_limit = FORM_LIMIT_DEFAULT;

#define SLOTS_FIRST	1024

struct token_stream *
token_stream_new(void)
{
	struct token_stream *stream = xcalloc(1, sizeof(struct token_stream));

	stream->forms = form_table_new(__atomic_load_n(&form_limit, __ATOMIC_RELAXED));
	return stream;
}

void
token_streams_form_limit(size_t limit)
{
	__atomic_store_n(&form_limit, limit, __ATOMIC_RELAXED);
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
	free(stream->form_ids);
	form_table_free(stream->forms);
	free(stream);
}

/* The key of any written form, from its bytes. */
static struct form_key
key_of(const char *bytes, size_t length)
{
	unsigned char padded[16] = { 0 };
	struct form_key key;

	memcpy(padded, bytes, length < 16 ? length : 16);
	memcpy(&key.lo, padded, 8);
	memcpy(&key.hi, padded + 8, 8);
	return key;
}

/* Where a key goes in a table of 2^(64 - shift) slots. */
static inline size_t
key_slot(uint64_t lo, uint64_t hi, unsigned shift)
{
	return (size_t)(((lo ^ (hi * 0x9E3779B97F4A7C15ULL)) * 0xD6E8FEB86659FD93ULL) >> shift);
}

/*
 * A new type of a form of 16 bytes or more (type_of_short adds the shorter ones): its
 * NUL-terminated copy goes into the arena at once, in as many 16-byte cells as it fills, so
 * its first 16 bytes are its key (arena_reserve() made room for every type the texts can
 * hold; types_reserve() for the type).  Its hash comes with its form id (form_table_ids).
 */
static inline uint32_t
type_add(struct token_stream *stream, const char *bytes, size_t length)
{
	struct ws_token_type *type = &stream->types[stream->type_count];
	char *copy = stream->arena + stream->arena_used;

	memcpy(copy, bytes, length);
	copy[length] = '\0';
	stream->arena_used += (length + 16) & ~(size_t)15;
	type->written = copy;
	type->length = length;
	return (uint32_t)stream->type_count++;
}

/*
 * Room for the types of texts of `bytes` bytes in all: at most one a token, and a text of n
 * bytes has at most n / 2 + 1 tokens (tokens_reserve).
 */
static void
types_reserve(struct token_stream *stream, size_t bytes)
{
	size_t wanted = bytes / 2 + 2;

	if (wanted <= stream->type_capacity)
		return;
	stream->type_capacity = stream->type_capacity ? stream->type_capacity : 256;
	while (stream->type_capacity < wanted)
		stream->type_capacity *= 2;
	free(stream->types);
	free(stream->form_ids);
	stream->types = xcalloc(stream->type_capacity, sizeof(*stream->types));
	stream->form_ids = xcalloc(stream->type_capacity, sizeof(*stream->form_ids));
}

/*
 * Room in the arena for the types of texts of `bytes` bytes in all.  A type's copy takes
 * whole 16-byte cells: one for a form of under 16 bytes (its key: the form, then zeros, so
 * NUL-terminated), its bytes and a NUL rounded up to cells for a longer one (its first 16
 * bytes are its key), at most its first token's bytes and 16; form_table_ids reads each
 * type's key there.  There are at most bytes / 2 + 2 types (types_reserve).
 */
static void
arena_reserve(struct token_stream *stream, size_t bytes)
{
	size_t needed = bytes + (bytes / 2 + 2) * 16;

	stream->arena_used = 0;
	if (needed <= stream->arena_capacity)
		return;
	stream->arena_capacity = needed * 2;
	free(stream->arena);
	stream->arena = xmalloc(stream->arena_capacity);
}

/* A table of `capacity` empty slots (stamp 0). */
static void
slots_make(struct token_stream *stream, size_t capacity)
{
	unsigned shift = 64;

	for (size_t size = capacity; size > 1; size /= 2)
		shift--;
	free(stream->slots);
	stream->slots = xcalloc(capacity, sizeof(*stream->slots));
	stream->slot_capacity = capacity;
	stream->slot_shift = shift;
}

/* The next build's stamp: the slots of earlier builds are empty to it. */
static void
slots_next_build(struct token_stream *stream)
{
	if (stream->slots == NULL)
		slots_make(stream, SLOTS_FIRST);
	if (++stream->stamp == 0) {	/* after 2^32 builds: clear them once */
		memset(stream->slots, 0, stream->slot_capacity * sizeof(*stream->slots));
		stream->stamp = 1;
	}
}

/* A fuller table: twice the room, this build's slots inserted again. */
static __attribute__((noinline)) void
slots_grow(struct token_stream *stream)
{
	struct slot *old = stream->slots;
	size_t old_capacity = stream->slot_capacity, mask;

	stream->slots = NULL;
	slots_make(stream, old_capacity * 2);
	mask = stream->slot_capacity - 1;
	for (size_t i = 0; i < old_capacity; i++) {
		size_t at;

		if (old[i].stamp != stream->stamp)
			continue;
		at = key_slot(old[i].key.lo, old[i].key.hi, stream->slot_shift);
		while (stream->slots[at].stamp == stream->stamp)
			at = (at + 1) & mask;
		stream->slots[at] = old[i];
	}
	free(old);
}

/*
 * A new long form's type into the empty slot `at` (the table grows at a quarter full, as in
 * type_of_short: at half full a tenth of the look-ups met another form first, a mispredict,
 * and bench_tokens took 10% longer; 2,048 slots, 48 KB, for a news article's ~300 types).
 */
static inline uint32_t
type_new(struct token_stream *stream, uint64_t lo, uint64_t hi, const char *bytes,
    size_t length, size_t at)
{
	struct slot *slot = &stream->slots[at];
	uint32_t index = type_add(stream, bytes, length);

	slot->key.lo = lo;
	slot->key.hi = hi;
	slot->type = index;
	slot->stamp = stream->stamp;
	if (__builtin_expect(stream->type_count * 4 >= stream->slot_capacity, 0))
		slots_grow(stream);
	return index;
}

/* type_of for forms of 16 bytes or more, whose keys do not tell them apart. */
static __attribute__((noinline)) uint32_t
type_of_long(struct token_stream *stream, uint64_t lo, uint64_t hi, const char *bytes,
    size_t length)
{
	size_t mask = stream->slot_capacity - 1;
	size_t at = key_slot(lo, hi, stream->slot_shift);

	for (;; at = (at + 1) & mask) {
		const struct slot *slot = &stream->slots[at];
		const struct ws_token_type *type;

		if (slot->stamp != stream->stamp)
			return type_new(stream, lo, hi, bytes, length, at);
		type = &stream->types[slot->type];
		if (slot->key.lo == lo && slot->key.hi == hi && type->length == length &&
		    memcmp(type->written + 16, bytes + 16, length - 16) == 0)
			return slot->type;
	}
}

/*
 * What type_of reads and writes of the table and types, in the scan's locals (registers:
 * stores of tokens and types cannot change them), stored back (view_store) before anything
 * that reads the stream's own fields, and read again (view_of) after.
 */
struct table_view {
	struct slot		*slots;
	size_t			 mask;
	unsigned		 shift;
	uint32_t		 stamp;
	struct ws_token_type	*types;
	char			*arena;
	size_t			 arena_used;
	size_t			 type_count;
	size_t			 grow_at;	/* the slots grow at this many types */
};

static inline struct table_view
view_of(const struct token_stream *stream)
{
	return (struct table_view){ stream->slots, stream->slot_capacity - 1, stream->slot_shift,
	    stream->stamp, stream->types, stream->arena, stream->arena_used,
	    stream->type_count, stream->slot_capacity / 4 };
}

static inline void
view_store(struct token_stream *stream, const struct table_view *view)
{
	stream->type_count = view->type_count;
	stream->arena_used = view->arena_used;
}

/*
 * The type of a written form of under 16 bytes, whose key (the whole form, its zeros say
 * where it ends) is lo and hi, added when new, with no branch on whether it is: a new type
 * is two in five of an article's tokens, and that branch mispredicted on most of them.  The
 * probe stops at the form's slot or an empty one (a branch that only a collision takes);
 * the type at type_count, its copy (the key: one 16-byte cell, the form and zeros) and the
 * slot are written either way (a known form's slot gets what it holds), and the counts move
 * by one when the slot was empty.  Room for all of it was made first (types_reserve,
 * arena_reserve).  The index is picked by a mask, not `empty ? count : slot->type`: that
 * took bench_tokens from 11.1-12.5 to 13.9-15.3 us an article (alternated pairs, load 14).
 */
static inline uint32_t
type_of_short(struct token_stream *stream, struct table_view *view, uint64_t lo, uint64_t hi,
    size_t length)
{
	size_t at = key_slot(lo, hi, view->shift), count = view->type_count;
	struct slot *slot;
	char *copy = view->arena + view->arena_used;
	unsigned empty;
	uint32_t index;

	for (;; at = (at + 1) & view->mask) {
		slot = &view->slots[at];
		empty = slot->stamp != view->stamp;
		/* one branch: not 0 only for another form's slot of this build */
		if (__builtin_expect((((slot->key.lo ^ lo) | (slot->key.hi ^ hi)) &
		    ((uint64_t)empty - 1)) == 0, 1))
			break;
	}
	index = slot->type + (((uint32_t)count - slot->type) & (0u - empty));
	memcpy(copy, &lo, 8);
	memcpy(copy + 8, &hi, 8);
	view->types[count].written = copy;
	view->types[count].length = length;
	slot->key.lo = lo;
	slot->key.hi = hi;
	slot->type = index;
	slot->stamp = view->stamp;
	view->arena_used += 16 & (0 - (size_t)empty);
	view->type_count = count + empty;
	if (__builtin_expect(view->type_count >= view->grow_at, 0)) {
		view_store(stream, view);
		slots_grow(stream);
		*view = view_of(stream);
	}
	return index;
}

/* The type of the written form bytes, whose key is lo and hi, added when new. */
static inline uint32_t
type_of(struct token_stream *stream, struct table_view *view, uint64_t lo, uint64_t hi,
    const char *bytes, size_t length)
{
	uint32_t index;

	if (__builtin_expect(length < 16, 1))
		return type_of_short(stream, view, lo, hi, length);
	view_store(stream, view);
	index = type_of_long(stream, lo, hi, bytes, length);
	*view = view_of(stream);
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
 * The byte-by-byte scanner: words_next (plugins/words.h) with its ASCII cases read from a
 * byte table.  Bytes from 0x80 take words_next's own code (words_decode, utf8proc's
 * categories); test_tokens compares the two on every token.
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
static unsigned char word_stop[256];	/* 1: ends a word (NUL, ASCII but ' and word's) */
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
		word_stop[byte] = class == BYTE_END || (class >= BYTE_SPACE && class != BYTE_HIGH &&
		    class != BYTE_APOSTROPHE);
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

/* A word found by word_slow: [start, end) its form, resume where the scan goes on. */
struct found {
	size_t		 end;
	size_t		 resume;
	struct form_key	 key;
	unsigned	 flags;		/* WORD_CAPITALIZED, WORD_ALL_UPPER */
};

#define WORD_CAPITALIZED	0x01
#define WORD_ALL_UPPER		0x02

/*
 * A token's four flag bytes (capitalized, all_upper, sentence_start, after_punctuation), by
 * its gap's GAP_SENTENCE and GAP_PUNCTUATION and its WORD_ flags: one copy a token.
 */
static const uint8_t token_flags[4][4][4] = {
	{ { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 1, 1, 0, 0 } },
	{ { 0, 0, 1, 1 }, { 1, 0, 1, 1 }, { 0, 1, 1, 1 }, { 1, 1, 1, 1 } },
	{ { 0, 0, 0, 1 }, { 1, 0, 0, 1 }, { 0, 1, 0, 1 }, { 1, 1, 0, 1 } },
	{ { 0, 0, 1, 1 }, { 1, 0, 1, 1 }, { 0, 1, 1, 1 }, { 1, 1, 1, 1 } },
};
_Static_assert(offsetof(struct ws_token, all_upper) == offsetof(struct ws_token,
    capitalized) + 1 && offsetof(struct ws_token, sentence_start) == offsetof(struct
    ws_token, capitalized) + 2 && offsetof(struct ws_token, after_punctuation) ==
    offsetof(struct ws_token, capitalized) + 3, "ws_token's flags are four bytes in a row");

/* words_next's possessive rule: the end of the word without a trailing 's or ’s. */
static size_t
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

/* The word at `at`, byte by byte: any word. */
static __attribute__((noinline)) void
word_slow(const char *text, size_t length, size_t at, struct found *found)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t start = at;
	int letters = 0, uppers = 0, capitalized = 0;
	unsigned high;

	for (;;) {
		unsigned char class = byte_class[bytes[at]];

		if (class == BYTE_LOWER) {
			letters++;
		} else if (class == BYTE_UPPER) {
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
			at += high & CHAR_SIZE;
			continue;
		} else if (class != BYTE_DIGIT &&
		    (class != BYTE_APOSTROPHE || !apostrophe_inside(text, length, at)))
			break;
		at++;
	}
	found->resume = at;
	found->end = possessive_end(text, start, at);
	found->key = key_of(text + start, found->end - start);
	found->flags = (capitalized ? WORD_CAPITALIZED : 0) |
	    (letters >= 2 && uppers == letters ? WORD_ALL_UPPER : 0);
}

/*
 * The 16 bytes at p as one block: returns the bit mask (bit i: byte i) of its ASCII letters
 * and digits, *letters and *uppers those of its ASCII letters and capitals.  key_at(): the
 * key of the `length` bytes at p (below 16), from a load of 16.
 */
#if defined(__SSE2__) && !defined(TOKENS_NO_SSE2)
static const unsigned char key_mask[32] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

static inline unsigned
block_masks(const unsigned char *p, unsigned *letters, unsigned *uppers)
{
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* a-z after folding, 0-9: shifted to start at -128, then one signed compare */
	__m128i folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
	__m128i letter = _mm_cmplt_epi8(_mm_add_epi8(folded, _mm_set1_epi8((char)(0x80 - 'a'))),
	    _mm_set1_epi8((char)(0x80 + 26)));
	__m128i digit = _mm_cmplt_epi8(_mm_add_epi8(bytes, _mm_set1_epi8((char)(0x80 - '0'))),
	    _mm_set1_epi8((char)(0x80 + 10)));
	__m128i upper = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_and_si128(bytes,
	    _mm_set1_epi8(0x20)), _mm_set1_epi8(0x20)), letter);

	*letters = (unsigned)_mm_movemask_epi8(letter);
	*uppers = (unsigned)_mm_movemask_epi8(upper);
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit));
}

static inline void
key_at(const unsigned char *p, unsigned length, struct form_key *key)
{
	__m128i kept = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)p),
	    _mm_loadu_si128((const __m128i *)(const void *)(key_mask + 16 - length)));

	key->lo = (uint64_t)_mm_cvtsi128_si64(kept);
	key->hi = (uint64_t)_mm_cvtsi128_si64(_mm_srli_si128(kept, 8));
}
#else
static inline unsigned
block_masks(const unsigned char *p, unsigned *letters, unsigned *uppers)
{
	unsigned word = 0;

	*letters = *uppers = 0;
	for (unsigned i = 0; i < 16; i++) {
		unsigned char class = byte_class[p[i]];

		if (class < BYTE_UPPER || class > BYTE_DIGIT)
			continue;
		word |= 1u << i;
		*letters |= (unsigned)(class != BYTE_DIGIT) << i;
		*uppers |= (unsigned)(class == BYTE_UPPER) << i;
	}
	return word;
}

static inline void
key_at(const unsigned char *p, unsigned length, struct form_key *key)
{
	*key = key_of((const char *)p, length);
}
#endif

/* WORD_CAPITALIZED and WORD_ALL_UPPER of a word of ASCII letters and digits, from its masks. */
static inline unsigned
case_flags(unsigned letters, unsigned uppers)
{
	unsigned first = letters & (0u - letters);

	/* no branch: whether a word has a capital is one in six words, unpredictable */
	return (unsigned)((uppers & first) != 0) * WORD_CAPITALIZED |
	    (unsigned)((uppers == letters) & ((letters & (letters - 1)) != 0)) * WORD_ALL_UPPER;
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
		if (bytes[at] < 0x80 || (high = gap_high(text, length, at)) == 0)
			return at;
		*gap |= high & CHAR_PUNCTUATION ? GAP_PUNCTUATION : 0;
		at += high & CHAR_SIZE;
	}
}

/*
 * The token at position from block (its 16 bytes, or a padded copy): a word the block holds
 * that an ASCII byte but an apostrophe ends (no possessive) is done here, any other by
 * word_slow.  Returns where the next word starts (or length): after a word, a space and a
 * letter or digit say where, with no gap to read.  *gap: this token's gap's bits, then the next's.
 */
static inline __attribute__((always_inline)) size_t
scan_word(struct token_stream *stream, struct table_view *table, struct ws_token *token,
    const char *text, size_t length, size_t position, const unsigned char *block,
    unsigned *gap)
{
	const unsigned char *bytes = (const unsigned char *)text;
	unsigned word, letters, uppers, end, stop, flags;
	struct form_key key;
	size_t word_end, next = 0;

	word = block_masks(block, &letters, &uppers);
	end = (unsigned)__builtin_ctz(~word);
	stop = bytes[position + end];
	if ((end < 16) & word_stop[stop]) {
		word_end = position + end;
		if ((word >> end & 2) && stop == ' ')
			next = word_end + 1;
		uppers &= (1u << end) - 1;
		flags = uppers != 0 ? case_flags(letters & ((1u << end) - 1), uppers) : 0;
		key_at(block, end, &key);
	} else {
		struct found found;

		word_slow(text, length, position, &found);
		key = found.key;
		word_end = found.end;
		flags = found.flags;
		end = (unsigned)(found.resume - position);
	}
	token->start = (uint32_t)position;
	token->end = (uint32_t)word_end;
	token->type = type_of(stream, table, key.lo, key.hi, text + position,
	    word_end - position);
	memcpy(&token->capitalized, token_flags[*gap][flags], 4);
	*gap = 0;
	return next != 0 ? next : skip_gap(text, length, position + end, gap);
}

/* Scan one text of length bytes (its strlen); returns how many tokens it added.  Blocks are
 * read in place up to its last 15 bytes (no end test a word), whose words from a padded copy. */
static size_t
scan(struct token_stream *stream, struct ws_token_text *view, const char *text, size_t length)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t position, blocks_end;
	unsigned gap = GAP_SENTENCE;	/* the first word starts a sentence */
	struct ws_token *token, *first;
	struct table_view table = view_of(stream);

	view->text = text != NULL ? text : "";
	view->length = length;
	if (length == 0 || length >= UINT32_MAX)
		return 0;
	tokens_reserve(stream, length);
	first = token = stream->tokens + stream->token_count;
	position = skip_gap(text, length, 0, &gap);
	blocks_end = length >= 16 ? length - 15 : 0;	/* from it, no whole block */
	while (position < blocks_end)
		position = scan_word(stream, &table, token++, text, length, position,
		    bytes + position, &gap);
	while (position < length) {
		unsigned char padded[16] = { 0 };

		memcpy(padded, bytes + position, length - position);
		position = scan_word(stream, &table, token++, text, length, position, padded,
		    &gap);
	}
	view_store(stream, &table);
	stream->token_count += (size_t)(token - first);
	return (size_t)(token - first);
}

const struct ws_tokens *
token_stream_build(struct token_stream *stream, const char *title, const char *text)
{
	struct ws_tokens *view = &stream->view;
	size_t title_length = title != NULL ? strlen(title) : 0;
	size_t text_length = text != NULL ? strlen(text) : 0;

	pthread_once(&byte_class_once, byte_class_init);
	slots_next_build(stream);
	stream->token_count = stream->type_count = 0;
	arena_reserve(stream, title_length + text_length);
	types_reserve(stream, title_length + text_length);
	view->title.count = scan(stream, &view->title, title, title_length);
	view->text.count = scan(stream, &view->text, text, text_length);
	view->title.tokens = stream->tokens;
	view->text.tokens = stream->tokens + view->title.count;
	view->types = stream->types;
	view->type_count = stream->type_count;
	view->form_generation = form_table_ids(stream->forms, stream->types, stream->type_count,
	    stream->arena_used, stream->form_ids, &view->form_id_count);
	view->form_ids = view->form_generation != 0 ? stream->form_ids : NULL;
	return view;
}
