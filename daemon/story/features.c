/*
 * features.c - what identifies the event an article reports, counted from the article alone
 * (so worker threads do it): the entities the entities plugin found, the words of its title
 * and of the start of its text (where news puts the event), and the numbers it mentions.
 *
 * Words are split on anything but letters, digits and UTF-8 sequences, ASCII is lower-cased,
 * stop words (stopwords.c) are dropped and a light suffix rule folds plurals ("bases" -> "base",
 * "casualties" -> "casualty"). A number keeps its decimal point and loses its thousands
 * separators ("10,000" -> "10000"); one-digit numbers say nothing and are dropped. Entities
 * keep the plugin's normalised name (case-folded for the key) and its type.
 *
 * When the plugins' token stream (tokens.h) is of this very title and text, the words are
 * read off it (count_token_words): a token of ASCII letters and digits that starts with a
 * letter, and ends where the byte scanner's word would, is that word, so each distinct
 * written form is folded, looked up and hashed once an article (memo_first) and its other
 * mentions only counted; the rest of the text is read byte by byte as without the stream
 * (count_span). The same features (test_story_words compares them); on the bench's article
 * corpus 146K -> 104K instructions an article. What memo_first makes of a form (a term and
 * its key, no feature, or bytes to read) is kept by the stream's stable form id
 * (form_verdict) while the ids' generation lasts, so a form met in an earlier article costs
 * no fold check, stop-word look-up or XXH3: 107K -> 88K instructions an article, 32.7K ->
 * 28.8K cycles (4,000 cleaned article-size texts); the verdicts' lines (a random one each)
 * are loaded VERDICT_AHEAD types ahead: 27.7K cycles. A term's verdict keeps its word (the
 * item's name) too, so its bytes are not folded again for the name: 90.5K -> 79.5K
 * instructions an article, bench_clean's story.features 20.0 -> 16.4 us (its article corpus).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL	/* one XXH3 per word: inlined */
#include <xxhash.h>

#include "log.h"
#include "plugin_api.h"
#include "stopwords.h"
#include "story_internal.h"
#include "util.h"

#define TEXT_BYTES	6000	/* of the text read for words and numbers */
#define TITLE_COUNT	3	/* a title word counts as this many mentions */
#define WORD_BYTES	48
#define FUTURE_SLACK	3600	/* seconds past the fetch a date may be */
#define NAME_COPY	WORD_BYTES	/* names this short come from buffers that long */
#define NAMES_START	2048	/* bytes of names an article's features start with */
#define ITEMS_START	256	/* and items: an article-size text has about 200 */

struct story_extractor {
	uint32_t	*slots;		/* item index + 1, 0 empty */
	uint32_t	*stamps;
	size_t		 capacity;	/* power of two */
	uint32_t	 stamp;
	char		*title;		/* the title folded (fold_title) */
	size_t		 title_length;
	size_t		 title_capacity;
	const struct ws_token_type *types;	/* of the token stream read (count_token_words) */
	uint32_t	*memo;		/* MEMO_*: what each of its types is */
	size_t		 memo_capacity;
	size_t		 type_count;
	const uint32_t	*form_ids;	/* the stream's stable form ids of types, NULL: none */
	struct form_verdict *verdicts;	/* by stable form id (form_verdict) */
	size_t		 verdict_capacity;
	uint32_t	 verdict_generation;	/* of the ids verdicts are by, 0: none */
};

/*
 * What memo_first made of a written form, by the stream's stable form id (plugin_api.h,
 * struct ws_tokens), kept from article to article while the ids' generation lasts: the
 * form's hash (the stream's ws_token_type.hash, so a verdict is used only for the form it
 * was made for) and its verdict, VERDICT_* in the low bits of the term's key (a term's key
 * has KIND_TERM, 0, there); for a term, its word too (folded, plural folded: the item's
 * name), when shorter than VERDICT_NAME. A form met in an earlier article costs no fold
 * check, stop-word look-up or XXH3, nor a fold of its bytes for the name (that fold was
 * ~8% of the stage's time); one cache line a verdict (verdicts_ready aligns them).
 */
#define VERDICT_NAME	(WORD_BYTES - 1)
struct form_verdict {
	uint64_t	 form_hash;
	uint64_t	 key_verdict;	/* 0: none yet */
	char		 name[VERDICT_NAME];	/* with name_length: add_name reads WORD_BYTES */
	uint8_t		 name_length;	/* of a term's word, 0: not kept (term_word makes it) */
};
_Static_assert(sizeof(struct form_verdict) == 64, "a verdict is one cache line");
_Static_assert(NAME_COPY <= VERDICT_NAME + 1, "add_name reads within a verdict");
#define VERDICT_READ	1	/* MEMO_READ */
#define VERDICT_NONE	2	/* MEMO_NONE */
#define VERDICT_TERM	3	/* a term: the key is key_verdict & ~KIND_MASK */
#define VERDICT_MASK	((uint64_t)3)
#define VERDICT_AHEAD	8	/* types whose verdicts are loaded ahead (a random line each) */

static uint64_t
word_hash(const char *word, size_t length)
{
	uint64_t hash = XXH3_64bits(word, length);

	return hash != 0 ? hash : 1;
}


struct story_extractor *
story_extractor_new(void)
{
	struct story_extractor *extractor = xcalloc(1, sizeof *extractor);

	story_stop_words_init();
	extractor->capacity = 1024;
	extractor->slots = xcalloc(extractor->capacity, sizeof *extractor->slots);
	extractor->stamps = xcalloc(extractor->capacity, sizeof *extractor->stamps);
	return extractor;
}

void
story_extractor_free(struct story_extractor *extractor)
{
	if (extractor == NULL)
		return;
	free(extractor->slots);
	free(extractor->stamps);
	free(extractor->title);
	free(extractor->memo);
	free(extractor->verdicts);
	free(extractor);
}

void
story_features_reset(struct story_features *features)
{
	features->count = 0;
	features->names_length = 0;
	features->time = 0;
}

void
story_features_destroy(struct story_features *features)
{
	if (features == NULL)
		return;
	free(features->items);
	free(features->names);
	free(features);
}

const char *
story_feature_name(const struct story_features *features, uint32_t item)
{
	return features->names + features->items[item].name;
}

static uint32_t
add_name(struct story_features *features, const char *name, size_t length)
{
	uint32_t offset = (uint32_t)features->names_length;

	/* room for NAME_COPY bytes more than the name: a short one is copied whole */
	if (features->names_length + length + 1 + NAME_COPY > features->names_capacity) {
		features->names_capacity = (features->names_length + length + 1 + NAME_COPY) * 2 +
		    NAMES_START;
		features->names = xrealloc(features->names, features->names_capacity);
	}
	if (length <= NAME_COPY)
		memcpy(features->names + offset, name, NAME_COPY);	/* a fixed-size copy */
	else
		memcpy(features->names + offset, name, length);
	features->names[offset + length] = '\0';
	features->names_length += length + 1;
	return offset;
}

static void
extractor_grow(struct story_extractor *extractor, const struct story_features *features)
{
	free(extractor->slots);
	free(extractor->stamps);
	extractor->capacity *= 2;
	extractor->slots = xcalloc(extractor->capacity, sizeof *extractor->slots);
	extractor->stamps = xcalloc(extractor->capacity, sizeof *extractor->stamps);
	for (uint32_t i = 0; i < features->count; i++) {
		size_t slot = features->items[i].key & (extractor->capacity - 1);

		while (extractor->stamps[slot] == extractor->stamp)
			slot = (slot + 1) & (extractor->capacity - 1);
		extractor->stamps[slot] = extractor->stamp;
		extractor->slots[slot] = i + 1;
	}
}

/* Count one mention of a feature, adding it the first time; returns its item's index. */
static inline uint32_t
count_feature(struct story_extractor *extractor, struct story_features *features,
    const char *name, size_t length, uint64_t hash, enum story_kind kind, int count,
    int salient)
{
	uint64_t key = (hash & ~KIND_MASK) | (uint64_t)kind;
	size_t slot;
	struct story_item *item;

	if ((features->count + 1) * 2 > extractor->capacity)
		extractor_grow(extractor, features);
	slot = key & (extractor->capacity - 1);
	while (extractor->stamps[slot] == extractor->stamp) {
		item = &features->items[extractor->slots[slot] - 1];
		if (item->key == key) {
			item->count = (uint16_t)(item->count + count > 60000 ? 60000 :
			    item->count + count);
			item->salient |= (uint16_t)salient;
			return extractor->slots[slot] - 1;
		}
		slot = (slot + 1) & (extractor->capacity - 1);
	}
	if (features->count == features->capacity) {
		features->capacity = features->capacity ? features->capacity * 2 : ITEMS_START;
		features->items = xrealloc(features->items,
		    features->capacity * sizeof *features->items);
	}
	item = &features->items[features->count];
	item->key = key;
	item->count = (uint16_t)count;
	item->salient = (uint16_t)salient;
	item->name = add_name(features, name, length);
	extractor->stamps[slot] = extractor->stamp;
	extractor->slots[slot] = ++features->count;
	return features->count - 1;
}

/*
 * isdigit(), isalnum() and tolower() of the C locale (wiresift never calls setlocale), inline:
 * they are asked about every byte the features read.
 */
static inline int
digit_byte(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int
ascii_alnum(unsigned char c)
{
	return (unsigned)((c | 0x20) - 'a') < 26 || digit_byte(c);
}

static inline char
lower_byte(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static inline int
word_byte(unsigned char c)
{
	return c >= 0x80 || ascii_alnum(c);
}

/* Bytes of the punctuation at text (U+2000-U+206F: quotes, dashes; U+00A0), else 0. */
static size_t
punctuation_length(const char *text, size_t length)
{
	const unsigned char *p = (const unsigned char *)text;

	if (length >= 3 && p[0] == 0xe2 && (p[1] == 0x80 || p[1] == 0x81))
		return 3;
	if (length >= 2 && p[0] == 0xc2 && (p[1] == 0xa0 || p[1] == 0xab || p[1] == 0xbb))
		return 2;
	return 0;
}

/* A possessive "'s" or "’s" at text, ending the word: its length, else 0. */
static size_t
possessive_length(const char *text, size_t length)
{
	size_t quote = text[0] == '\'' ? 1 : punctuation_length(text, length) == 3 &&
	    (unsigned char)text[2] == 0x99 ? 3 : 0;

	if (quote == 0 || quote + 1 > length || text[quote] != 's' ||
	    (quote + 1 < length && word_byte((unsigned char)text[quote + 1]) &&
	    punctuation_length(text + quote + 1, length - quote - 1) == 0))
		return 0;
	return quote + 1;
}

/* A byte of a word as the features keep it (A-Z lower-cased, from 0x80 as it is); 0: none. */
static const unsigned char word_fold[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0, 0, 0, 0, 0, 0,
	0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0,
	0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

/* An ASCII byte that is no letter or digit and no ': count_span finds nothing in a run of
 * them (word_fold[] 0, not '), so a gap of them before a token needs no count_span. */
static const unsigned char gap_plain[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
	1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,
	1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1,
};	/* from 0x80 on: 0 */

/* The token starting at text: a number ("10,000", "7.1") or a word. Returns its length. */
static size_t
read_token(const char *text, size_t length, char *out, size_t *out_length, int *number)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t i = 0, o = 0;
	int digits = digit_byte(bytes[0]);

	if (!digits) {
		/* a word (it starts with a letter): no number rule to watch; its ASCII letters
		 * and digits, most of most words, copied folded while they fit (o is i there) */
		size_t fits = length < WORD_BYTES ? length : WORD_BYTES;
		unsigned char ascii;

		while (i < fits && (ascii = ascii_word_fold[bytes[i]]) != 0)
			out[i++] = (char)ascii;
		o = i;
		while (i < length) {
			unsigned char c = bytes[i], folded = word_fold[c];

			if (folded == 0 ||
			    (c >= 0x80 && punctuation_length(text + i, length - i) > 0))
				break;
			if (o < WORD_BYTES)
				out[o++] = (char)folded;
			i++;
		}
		*number = 0;
		*out_length = o;
		return i;
	}
	while (i < length) {
		unsigned char c = bytes[i], folded = word_fold[c];

		if (folded == 0) {
			/* inside a number, "," and "." before a digit: "10,000", "7.1" */
			if (!digits || (c != ',' && c != '.') || i + 1 >= length ||
			    !digit_byte(bytes[i + 1]) || o == 0)
				break;
			if (c == '.' && o < WORD_BYTES)
				out[o++] = '.';
			i++;
			continue;
		}
		if (c >= 0x80 && punctuation_length(text + i, length - i) > 0)
			break;
		digits &= digit_byte(c);
		if (o < WORD_BYTES)
			out[o++] = (char)folded;
		i++;
	}
	*number = digits;
	*out_length = o;
	return i;
}

/*
 * Words and numbers of text from `at` on, each mention counting `weight`, until a token starts
 * or a skip ends at or past `stop` (length bounds what is read); returns where it stopped.
 */
static size_t
count_span(struct story_extractor *extractor, struct story_features *features,
    const char *text, size_t length, size_t at, size_t stop, int weight, int salient)
{
	char word[WORD_BYTES] = { 0 };	/* is_stop_word() reads 16 bytes of it */
	size_t i = at, word_length;
	int number;

	while (i < stop) {
		unsigned char c = (unsigned char)text[i];
		size_t skip;

		/* ASCII besides ' and letters and digits: no possessive, no word */
		if (word_fold[c] == 0 && c != '\'') {
			i++;
			continue;
		}
		/* an ASCII letter or digit starts a token; ' and UTF-8 may not */
		skip = c < 0x80 && c != '\'' ? 0 : possessive_length(text + i, length - i);

		/* "Taliban's": the possessive is not a word */
		if (skip == 0 && c >= 0x80)
			skip = punctuation_length(text + i, length - i);
		if (skip == 0 && !word_byte(c))
			skip = 1;
		if (skip > 0) {
			i += skip;
			continue;
		}
		i += read_token(text + i, length - i, word, &word_length, &number);
		if (number) {
			if (word_length >= 2)
				count_feature(extractor, features, word, word_length,
				    word_hash(word, word_length), KIND_NUMBER, 1, salient);
			continue;
		}
		if (word_length < 3)
			continue;
		word_length = fold_plural(word, word_length);
		if (!is_stop_word(word, word_length))
			count_feature(extractor, features, word, word_length,
			    word_hash(word, word_length), KIND_TERM, weight, salient);
	}
	return i;
}

/* Words and numbers of text, each mention counting `weight`. */
static void
count_words(struct story_extractor *extractor, struct story_features *features,
    const char *text, size_t length, int weight, int salient)
{
	count_span(extractor, features, text, length, 0, length, weight, salient);
}

/*
 * What the features make of a token type of the stream (extractor->memo): not known yet; a
 * type count_span must read (not all ASCII letters and digits from a letter on); one that is
 * no feature (short, a stop word); from MEMO_ITEM on, the index of its item + MEMO_ITEM.
 */
#define MEMO_UNKNOWN	0
#define MEMO_READ	1
#define MEMO_NONE	2
#define MEMO_ITEM	3

/*
 * What count_span makes of a type's word: VERDICT_READ when it must read it (not ASCII
 * letters and digits from a letter on), VERDICT_NONE when it is no feature (short, a stop
 * word), else VERDICT_TERM with the word folded into word (WORD_BYTES, zero-filled) and
 * its length.
 */
static int
judge_form(const struct ws_token_type *type, char *word, size_t *word_length)
{
	const unsigned char *bytes = (const unsigned char *)type->written;
	size_t length = type->length < WORD_BYTES ? type->length : WORD_BYTES;

	/* read_token's word: its bytes folded, the first WORD_BYTES of them kept */
	if (type->length == 0 || (unsigned)((bytes[0] | 0x20) - 'a') >= 26)
		return VERDICT_READ;
	for (size_t i = 0; i < type->length; i++) {
		unsigned char folded = ascii_word_fold[bytes[i]];

		if (folded == 0)
			return VERDICT_READ;
		if (i < WORD_BYTES)
			word[i] = (char)folded;
	}
	if (length < 3)
		return VERDICT_NONE;
	*word_length = fold_plural(word, length);
	return is_stop_word(word, *word_length) ? VERDICT_NONE : VERDICT_TERM;
}

/* A term's word, of a form judge_form found all ASCII letters and digits: folded again
 * from the form's bytes (no check, no stop-word look-up). */
static size_t
term_word(const struct ws_token_type *type, char *word)
{
	size_t length = type->length < WORD_BYTES ? type->length : WORD_BYTES;

	for (size_t i = 0; i < length; i++)
		word[i] = (char)ascii_word_fold[(unsigned char)type->written[i]];
	return fold_plural(word, length);
}

/*
 * The first mention of type t in this article: what count_span would count, counted, and
 * what it is returned for the memo. The form's verdict of an earlier article is used when
 * the stream gave form ids (its key, for a term: no XXH3), else made and kept.
 */
static uint32_t
memo_first(struct story_extractor *extractor, struct story_features *features, uint32_t t,
    int weight, int salient)
{
	const struct ws_token_type *type = &extractor->types[t];
	struct form_verdict *verdict = extractor->form_ids != NULL ?
	    &extractor->verdicts[extractor->form_ids[t]] : NULL;
	char word[WORD_BYTES] = { 0 };	/* is_stop_word() reads 16 bytes of it */
	const char *name = word;
	size_t word_length = 0;
	uint64_t hash = 0;
	int judged;

	/* types are numbered as first met, and are first mentioned here in about that order */
	if (verdict != NULL && t + VERDICT_AHEAD < extractor->type_count)
		__builtin_prefetch(&extractor->verdicts[extractor->form_ids[t + VERDICT_AHEAD]]);

	if (verdict != NULL && verdict->key_verdict != 0 && verdict->form_hash == type->hash) {
		judged = (int)(verdict->key_verdict & VERDICT_MASK);
		if (judged == VERDICT_TERM) {
			hash = verdict->key_verdict & ~VERDICT_MASK;
			name = verdict->name;
			if ((word_length = verdict->name_length) == 0) {
				word_length = term_word(type, word);
				name = word;
			}
		}
	} else {
		judged = judge_form(type, word, &word_length);
		hash = judged == VERDICT_TERM ? word_hash(word, word_length) : 0;
		if (verdict != NULL) {
			verdict->form_hash = type->hash;
			verdict->key_verdict = (hash & ~KIND_MASK) | (uint64_t)judged;
			verdict->name_length = judged == VERDICT_TERM && word_length < VERDICT_NAME ?
			    (uint8_t)word_length : 0;
			memcpy(verdict->name, word, VERDICT_NAME);
		}
	}
	if (judged == VERDICT_READ)
		return MEMO_READ;
	if (judged == VERDICT_NONE)
		return MEMO_NONE;
	return MEMO_ITEM + count_feature(extractor, features, name, word_length, hash, KIND_TERM,
	    weight, salient);
}

/* One more mention of the item the memo of a type names. */
static inline void
memo_count(struct story_features *features, uint32_t memo, int weight, int salient)
{
	struct story_item *item = &features->items[memo - MEMO_ITEM];

	item->count = (uint16_t)(item->count + weight > 60000 ? 60000 : item->count + weight);
	item->salient |= (uint16_t)salient;
}

/*
 * count_words over a text the token stream has scanned (tokens.c): a token of ASCII letters
 * and digits that starts with a letter, where count_span would start a word, and that ends
 * where a word of count_span would (an ASCII byte that is no letter or digit follows, or the
 * bytes read end) is that word, whose fate depends on its bytes alone: it is read, folded,
 * looked up and hashed once per type (memo_first), then only counted. Between such tokens
 * count_span reads the text as count_words does, so the features are the same.
 */
static void
count_token_words(struct story_extractor *extractor, struct story_features *features,
    const char *text, size_t length, const struct ws_token_text *view, int weight, int salient)
{
	const unsigned char *bytes = (const unsigned char *)text;
	const struct ws_token *tokens = view->tokens;
	const uint32_t *memo = extractor->memo;
	size_t at = 0, from, count = view->count;

	for (size_t t = 0; t < count; t++) {
		size_t start = tokens[t].start, end = tokens[t].end;
		uint32_t known;

		/* a word of count_span would go on past a letter, digit or byte from 0x80 */
		if (end >= length) {
			if (start >= length)
				break;
			if (end > length)
				continue;
		} else if (word_fold[bytes[end]] != 0)
			continue;
		if (start < at || (known = memo[tokens[t].type]) == MEMO_READ)
			continue;
		/* ASCII but letters, digits and ' before it: no word for count_span */
		for (from = at; from < start && gap_plain[bytes[from]]; from++)
			;
		if (from != start && (at = count_span(extractor, features, text, length, at,
		    start, weight, salient)) != start)
			continue;
		at = end;
		if (known >= MEMO_ITEM) {	/* the most frequent case: a known item */
			memo_count(features, known, weight, salient);
			continue;
		}
		if (known == MEMO_NONE)
			continue;
		/* MEMO_UNKNOWN: memo_first counts this first mention */
		known = extractor->memo[tokens[t].type] = memo_first(extractor, features,
		    tokens[t].type, weight, salient);
		if (known == MEMO_READ)
			at = start;	/* count_span reads it */
	}
	count_span(extractor, features, text, length, at, length, weight, salient);
}

/* The title with A-Z lower-cased, into extractor->title, for in_title(). */
static void
fold_title(struct story_extractor *extractor, const char *title)
{
	size_t length = strlen(title);

	if (length + 1 > extractor->title_capacity) {
		extractor->title_capacity = length + 1 < 256 ? 256 : (length + 1) * 2;
		extractor->title = xrealloc(extractor->title, extractor->title_capacity);
	}
	for (size_t i = 0; i < length; i++)
		extractor->title[i] = lower_byte((unsigned char)title[i]);
	extractor->title_length = length;
}

static enum story_kind
entity_kind(const char *type)
{
	if (type == NULL)
		return KIND_OTHER;
	if (strcmp(type, "person") == 0)
		return KIND_PERSON;
	if (strcmp(type, "place") == 0)
		return KIND_PLACE;
	if (strcmp(type, "organization") == 0)
		return KIND_ORGANIZATION;
	return KIND_OTHER;
}

/* Does needle (length >= 1) occur in haystack? A title is short: memchr() to each place its
 * first byte is and a memcmp() there cost less than memmem()'s set-up per entity. */
static int
occurs(const char *haystack, size_t haystack_length, const char *needle, size_t length)
{
	const char *at = haystack, *last;

	if (length > haystack_length)
		return 0;
	last = haystack + (haystack_length - length);
	while (at <= last && (at = memchr(at, needle[0], (size_t)(last - at) + 1)) != NULL) {
		if (memcmp(at, needle, length) == 0)
			return 1;
		at++;
	}
	return 0;
}

/*
 * Is name in the title, ignoring ASCII case (strcasestr() of the C locale)?  The title comes
 * folded (A-Z lower-cased, extractor->title), and so does the name when it fits in folded:
 * one search each (occurs()), not strcasestr()'s case-folding search per entity.
 */
static int
in_title(const struct story_extractor *extractor, const char *title, const char *name,
    const char *folded, size_t length, size_t name_length)
{
	if (title == NULL)
		return 0;
	if (length < name_length)	/* folded holds only the start of name */
		return strcasestr(title, name) != NULL;
	return occurs(extractor->title, extractor->title_length, folded, length);
}

static void
count_entity(struct story_extractor *extractor, struct story_features *features,
    const struct entity *entity, const char *title)
{
	char folded[128] = { 0 };	/* add_name() may copy NAME_COPY bytes of it */
	size_t name_length = strlen(entity->name), length = name_length;
	int salient;

	if (length == 0)
		return;
	if (length >= sizeof folded)
		length = sizeof folded - 1;
	for (size_t i = 0; i < length; i++)
		folded[i] = lower_byte((unsigned char)entity->name[i]);
	folded[length] = '\0';
	salient = entity->count >= 2 ||
	    in_title(extractor, title, entity->name, folded, length, name_length);
	count_feature(extractor, features, folded, length, word_hash(folded, length),
	    entity_kind(entity->type), entity->count > 0 ? entity->count : 1, salient);
}

/* The verdicts by form id for ids of generation below id_count: emptied when the generation
 * changed (the ids name other forms), grown (new ones empty). */
static void
verdicts_ready(struct story_extractor *extractor, uint32_t generation, uint32_t id_count)
{
	if (extractor->verdict_generation != generation && extractor->verdict_capacity > 0) {
		memset(extractor->verdicts, 0, extractor->verdict_capacity *
		    sizeof *extractor->verdicts);
	}
	extractor->verdict_generation = generation;
	if (id_count > extractor->verdict_capacity) {
		size_t capacity = extractor->verdict_capacity ? extractor->verdict_capacity : 1024;
		struct form_verdict *verdicts;

		while (capacity < id_count)
			capacity *= 2;
		/* a verdict a cache line: aligned to one (aligned_alloc, so no realloc) */
		verdicts = aligned_alloc(64, capacity * sizeof *verdicts);
		if (verdicts == NULL)
			fatalx("out of memory allocating %zu bytes", capacity * sizeof *verdicts);
		if (extractor->verdict_capacity > 0)
			memcpy(verdicts, extractor->verdicts,
			    extractor->verdict_capacity * sizeof *verdicts);
		memset(verdicts + extractor->verdict_capacity, 0,
		    (capacity - extractor->verdict_capacity) * sizeof *verdicts);
		free(extractor->verdicts);
		extractor->verdicts = verdicts;
		extractor->verdict_capacity = capacity;
	}
}

/* Forget the memo of the last article's types: room for those of tokens, all MEMO_UNKNOWN. */
static void
memo_reset(struct story_extractor *extractor, const struct ws_tokens *tokens)
{
	if (tokens->type_count > extractor->memo_capacity) {
		extractor->memo_capacity = tokens->type_count * 2;
		free(extractor->memo);
		extractor->memo = xmalloc(extractor->memo_capacity * sizeof *extractor->memo);
	}
	memset(extractor->memo, 0, tokens->type_count * sizeof *extractor->memo);
	extractor->types = tokens->types;
	extractor->type_count = tokens->type_count;
	extractor->form_ids = tokens->form_ids;
	if (tokens->form_ids == NULL)
		return;
	verdicts_ready(extractor, tokens->form_generation, tokens->form_id_count);
	for (size_t t = 0; t < tokens->type_count && t < VERDICT_AHEAD; t++)
		__builtin_prefetch(&extractor->verdicts[tokens->form_ids[t]]);
}

/* The words of title or text: off the token stream's view when it is of these very bytes. */
static void
count_text(struct story_extractor *extractor, struct story_features *features,
    const char *text, size_t length, const struct ws_token_text *view, int weight, int salient)
{
	if (view != NULL && view->text == text && view->count > 0)
		count_token_words(extractor, features, text, length, view, weight, salient);
	else
		count_words(extractor, features, text, length, weight, salient);
}

void
story_extract_tokens(struct story_extractor *extractor, struct story_features *features,
    const char *title, const char *text, const struct entity *entities, size_t entity_count,
    int64_t time, const struct ws_tokens *tokens)
{
	story_features_reset(features);
	features->time = time;
	if (++extractor->stamp == 0) {
		memset(extractor->stamps, 0, extractor->capacity * sizeof *extractor->stamps);
		extractor->stamp = 1;
	}
	if (tokens != NULL)
		memo_reset(extractor, tokens);
	if (title != NULL && entity_count > 0)
		fold_title(extractor, title);
	for (size_t i = 0; i < entity_count; i++)
		count_entity(extractor, features, &entities[i], title);
	if (title != NULL)
		count_text(extractor, features, title, strlen(title),
		    tokens != NULL ? &tokens->title : NULL, TITLE_COUNT, 1);
	if (text != NULL) {
		size_t length = strlen(text);

		count_text(extractor, features, text, length < TEXT_BYTES ? length : TEXT_BYTES,
		    tokens != NULL ? &tokens->text : NULL, 1, 0);
	}
}

void
story_extract(struct story_extractor *extractor, struct story_features *features,
    const char *title, const char *text, const struct entity *entities, size_t entity_count,
    int64_t time)
{
	story_extract_tokens(extractor, features, title, text, entities, entity_count, time, NULL);
}

void
story_extract_article_tokens(struct story_extractor *extractor, struct article *article,
    const struct ws_tokens *tokens)
{
	const char *text = article->text != NULL ? article->text : article->summary;
	int64_t time = article->published_is_fetch_time || article->published == 0 ?
	    article->fetched : article->published;

	/* A date far past the fetch would move the stream's clock and close every story. */
	if (article->fetched != 0 && time > article->fetched + FUTURE_SLACK)
		time = article->fetched;
	if (article->story_features == NULL)
		article->story_features = xcalloc(1, sizeof *article->story_features);
	story_extract_tokens(extractor, article->story_features, article->title, text,
	    article->entities, article->entity_count, time, tokens);
}

void
story_extract_article(struct story_extractor *extractor, struct article *article)
{
	story_extract_article_tokens(extractor, article, NULL);
}
