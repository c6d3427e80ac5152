/*
 * words.h - what the tagger plugins share, included by their .c files (header-only, so each
 * plugin stays one self-contained .so): a UTF-8 word scanner built on utf8proc's character
 * categories, case folding, a string-keyed hash table and a line reader for the data files in
 * conf/.  Plugins link with -lutf8proc.
 *
 * ASCII, most of the text of news in Latin scripts, takes fast paths that give what utf8proc
 * gives for it (letters are Lu or Ll, digits Nd, the space Zs, folding is A-Z to a-z), so
 * utf8proc is only asked about other characters.  Everything here is reentrant.
 */
#ifndef WIRESIFT_PLUGIN_WORDS_H
#define WIRESIFT_PLUGIN_WORDS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define WORDS_UNUSED __attribute__((unused))

/* One word of a text: bytes [start, end) with what the scanner saw around it. */
struct word {
	size_t	 start;
	size_t	 end;
	int	 capitalized;		/* first letter upper or title case */
	int	 all_upper;		/* every letter upper case (and at least two letters) */
	int	 sentence_start;	/* first word of the text, a paragraph or a sentence */
	int	 after_punctuation;	/* something besides spaces separates it from the previous word */
};

/* An ASCII letter or digit: the ASCII characters utf8proc puts in a word category. */
static inline int
words_ascii_is_word(utf8proc_int32_t code)
{
	return (utf8proc_uint32_t)((code | 0x20) - 'a') < 26 || (utf8proc_uint32_t)(code - '0') < 10;
}

static WORDS_UNUSED int
words_is_word_char(utf8proc_int32_t code)
{
	if (code < 0x80)
		return words_ascii_is_word(code);
	switch (utf8proc_category(code)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

static WORDS_UNUSED int
words_is_apostrophe(utf8proc_int32_t code)
{
	return code == '\'' || code == 0x2019;
}

/* Decode one code point at text[position]; invalid bytes count as one U+FFFD byte. */
static WORDS_UNUSED size_t
words_decode(const char *text, size_t length, size_t position, utf8proc_int32_t *code)
{
	utf8proc_ssize_t size;

	if ((unsigned char)text[position] < 0x80) {
		*code = (unsigned char)text[position];
		return 1;
	}
	size = utf8proc_iterate((const utf8proc_uint8_t *)text + position,
	    (utf8proc_ssize_t)(length - position), code);
	if (size <= 0) {
		*code = 0xFFFD;
		return 1;
	}
	return (size_t)size;
}

/*
 * Find the next word at or after *position; 0 at the end of the text.  A word is a run of
 * letters, marks and digits, with inner apostrophes ("don't"); a trailing possessive "'s" is
 * left out of it ("Trump's" gives "Trump").
 */
static WORDS_UNUSED int
words_next(const char *text, size_t length, size_t *position, struct word *word)
{
	size_t at = *position;
	int sentence_start = at == 0, punctuation = 0, letters = 0, uppers = 0;
	utf8proc_int32_t code;
	size_t size;

	while (at < length) {
		size = words_decode(text, length, at, &code);
		if (code < 0x80 ? words_ascii_is_word(code) : words_is_word_char(code))
			break;
		if (code == '.' || code == '!' || code == '?' || code == '\n')
			sentence_start = 1;
		if (code < 0x80 ? code != ' ' && code != '\t' && code != '\r' && code != '\n' :
		    utf8proc_category(code) != UTF8PROC_CATEGORY_ZS)
			punctuation = 1;
		at += size;
	}
	if (at >= length)
		return 0;
	memset(word, 0, sizeof(*word));
	word->start = at;
	word->sentence_start = sentence_start;
	word->after_punctuation = punctuation || sentence_start;
	while (at < length) {
		size = words_decode(text, length, at, &code);
		if (code < 0x80 && words_ascii_is_word(code)) {
			if (code >= 'A' && code <= 'Z') {
				if (letters == 0)
					word->capitalized = 1;
				uppers++;
				letters++;
			} else if (code >= 'a')
				letters++;
			at++;
			continue;
		}
		if (code >= 0x80 && words_is_word_char(code)) {
			utf8proc_category_t category = utf8proc_category(code);

			if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LT) {
				if (letters == 0)
					word->capitalized = 1;
				uppers++;
			}
			if (category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
			    category == UTF8PROC_CATEGORY_LT || category == UTF8PROC_CATEGORY_LO)
				letters++;
			at += size;
			continue;
		}
		if (words_is_apostrophe(code) && at + size < length) {
			utf8proc_int32_t next_code;

			words_decode(text, length, at + size, &next_code);
			if (words_is_word_char(next_code)) {
				at += size;
				continue;
			}
		}
		break;
	}
	word->end = at;
	word->all_upper = letters >= 2 && uppers == letters;
	/* Drop a possessive 's / ’s. */
	if (word->end - word->start > 3) {
		const char *tail = text + word->end;

		if ((tail[-1] == 's' || tail[-1] == 'S') && tail[-2] == '\'')
			word->end -= 2;
		else if ((tail[-1] == 's' || tail[-1] == 'S') && word->end - word->start > 5 &&
		    memcmp(tail - 4, "\xE2\x80\x99", 3) == 0)
			word->end -= 4;
	}
	*position = at;
	return 1;
}

/* Case-fold bytes into out (NUL-terminated, truncated to fit); returns the length written. */
static WORDS_UNUSED size_t
words_fold(const char *text, size_t length, char *out, size_t out_size)
{
	size_t at = 0, written = 0;
	utf8proc_int32_t code;
	utf8proc_uint8_t encoded[4];

	while (at < length) {
		if ((unsigned char)text[at] < 0x80) {
			char byte = text[at++];

			if (written + 2 > out_size)
				break;
			out[written++] = byte >= 'A' && byte <= 'Z' ? (char)(byte + 32) : byte;
			continue;
		}
		at += words_decode(text, length, at, &code);
		code = utf8proc_tolower(code);
		if (words_is_apostrophe(code))
			code = '\'';
		utf8proc_ssize_t size = utf8proc_encode_char(code, encoded);

		if (written + (size_t)size + 1 > out_size)
			break;
		memcpy(out + written, encoded, (size_t)size);
		written += (size_t)size;
	}
	if (out_size > 0)
		out[written] = '\0';
	return written;
}

/*
 * A string-keyed open-addressing hash table; keys are copied, values are the caller's.  Each
 * slot keeps its key's hash, so a probe compares strings only when the hashes agree.
 */
struct word_table {
	char	**keys;
	void	**values;
	size_t	  count;
	size_t	  capacity;	/* a power of two */
	uint64_t *hashes;	/* hashes[i]: words_hash(keys[i]) */
};

static WORDS_UNUSED uint64_t
words_hash(const char *key)
{
	uint64_t hash = 1469598103934665603ULL;	/* FNV-1a */

	for (; *key != '\0'; key++)
		hash = (hash ^ (unsigned char)*key) * 1099511628211ULL;
	return hash;
}

/*
 * words_fold into out, and *hash = words_hash(out): an ASCII word that fits is folded and
 * hashed in one pass; anything else takes words_fold, then words_hash.
 */
static WORDS_UNUSED size_t
words_fold_hash(const char *text, size_t length, char *out, size_t out_size, uint64_t *hash)
{
	uint64_t value = 1469598103934665603ULL;	/* FNV-1a, as words_hash */
	size_t at, limit = out_size == 0 ? 0 : length < out_size - 1 ? length : out_size - 1;

	for (at = 0; at < limit; at++) {
		unsigned byte = (unsigned char)text[at];

		if (byte >= 0x80)
			break;
		byte += (unsigned)(byte - 'A' < 26u) << 5;	/* A-Z to a-z */
		out[at] = (char)byte;
		value = (value ^ byte) * 1099511628211ULL;
	}
	if (at == length) {
		out[at] = '\0';
		*hash = value;
		return at;
	}
	at = words_fold(text, length, out, out_size);
	*hash = words_hash(out);
	return at;
}

static inline WORDS_UNUSED size_t
word_table_slot(const struct word_table *table, const char *key, uint64_t hash)
{
	size_t mask = table->capacity - 1, slot = (size_t)hash & mask;

	while (table->keys[slot] != NULL &&
	    (table->hashes[slot] != hash || strcmp(table->keys[slot], key) != 0))
		slot = (slot + 1) & mask;
	return slot;
}

/* word_table_find with the key's words_hash already known (an ABI-2 token type's). */
static WORDS_UNUSED void **
word_table_find_hashed(const struct word_table *table, const char *key, uint64_t hash)
{
	size_t slot;

	if (table->capacity == 0)
		return NULL;
	slot = word_table_slot(table, key, hash);
	return table->keys[slot] != NULL ? &table->values[slot] : NULL;
}

static WORDS_UNUSED void **
word_table_find(const struct word_table *table, const char *key)
{
	return word_table_find_hashed(table, key, words_hash(key));
}

static WORDS_UNUSED int
word_table_grow(struct word_table *table)
{
	struct word_table bigger = { .capacity = table->capacity ? table->capacity * 2 : 64 };

	bigger.keys = calloc(bigger.capacity, sizeof(*bigger.keys));
	bigger.values = calloc(bigger.capacity, sizeof(*bigger.values));
	bigger.hashes = calloc(bigger.capacity, sizeof(*bigger.hashes));
	if (bigger.keys == NULL || bigger.values == NULL || bigger.hashes == NULL) {
		free(bigger.keys);
		free(bigger.values);
		free(bigger.hashes);
		return -1;
	}
	for (size_t i = 0; i < table->capacity; i++) {
		if (table->keys[i] != NULL) {
			size_t slot = word_table_slot(&bigger, table->keys[i], table->hashes[i]);

			bigger.keys[slot] = table->keys[i];
			bigger.values[slot] = table->values[i];
			bigger.hashes[slot] = table->hashes[i];
			bigger.count++;
		}
	}
	free(table->keys);
	free(table->values);
	free(table->hashes);
	*table = bigger;
	return 0;
}

/* The value slot of key (whose words_hash is hash), inserted (value NULL) when new; NULL when
 * out of memory. */
static WORDS_UNUSED void **
word_table_insert_hashed(struct word_table *table, const char *key, uint64_t hash)
{
	size_t slot;

	if ((table->count + 1) * 4 > table->capacity * 3 && word_table_grow(table) == -1)
		return NULL;
	slot = word_table_slot(table, key, hash);
	if (table->keys[slot] == NULL) {
		if ((table->keys[slot] = strdup(key)) == NULL)
			return NULL;
		table->values[slot] = NULL;
		table->hashes[slot] = hash;
		table->count++;
	}
	return &table->values[slot];
}

/*
 * word_table_insert_hashed for a key most often there already (a word form met in an earlier
 * article): its probe inline, and no growth check unless the key is new.
 */
static inline WORDS_UNUSED void **
word_table_get_hashed(struct word_table *table, const char *key, uint64_t hash)
{
	size_t mask = table->capacity - 1, slot;

	if (table->capacity != 0) {
		for (slot = (size_t)hash & mask; table->keys[slot] != NULL; slot = (slot + 1) & mask)
			if (table->hashes[slot] == hash && strcmp(table->keys[slot], key) == 0)
				return &table->values[slot];
	}
	return word_table_insert_hashed(table, key, hash);
}

/* The stored copy of the key whose value slot word_table_*_hashed just gave (valid until the
 * table is freed: growing the table moves its slots, not its keys). */
static inline WORDS_UNUSED const char *
word_table_key_of(const struct word_table *table, void **value)
{
	return table->keys[value - table->values];
}

/*
 * A direct-mapped memo in front of a word_table of a plugin's cached word forms: an article's
 * distinct written forms (ABI-2 token types, whose hash and length the stream gives) are
 * found with one probe and one memcmp of known length, most of the time, instead of a probe
 * sequence of the table and a strcmp.  Its keys are the table's: forget the memo (memset it
 * to 0) whenever the table is freed.
 */
#define WORD_MEMO_SLOTS	4096	/* a power of two */

struct word_memo {
	uint64_t	 hash;
	const char	*key;		/* NULL: an empty slot */
	size_t		 length;
	void		*value;
};

/* The value memoised for the key (length bytes, words_hash hash); NULL when none. */
static inline WORDS_UNUSED void *
word_memo_find(const struct word_memo *memo, const char *key, size_t length, uint64_t hash)
{
	const struct word_memo *slot = &memo[hash & (WORD_MEMO_SLOTS - 1)];

	if (slot->hash == hash && slot->key != NULL && slot->length == length &&
	    memcmp(slot->key, key, length) == 0)
		return slot->value;
	return NULL;
}

/* Memoise value for key, a table's stored key (word_table_key_of). */
static inline WORDS_UNUSED void
word_memo_put(struct word_memo *memo, const char *key, size_t length, uint64_t hash,
    void *value)
{
	struct word_memo *slot = &memo[hash & (WORD_MEMO_SLOTS - 1)];

	slot->hash = hash;
	slot->key = key;
	slot->length = length;
	slot->value = value;
}

/*
 * What a plugin keeps of each written form by its stable id (plugin_api.h: ws_tokens'
 * form_ids, of one generation): a value by id, NULL while not known.  Looking a form up is
 * an array read, with no hash, no probe and no string compare.
 */
struct form_index {
	void		**values;
	size_t		  capacity;
	uint32_t	  generation;	/* of the ids values are by; 0: none yet */
};

/*
 * The values of an article's ids, of generation and below id_count: emptied when the
 * generation changed, grown to id_count (new values NULL); NULL when out of memory.
 */
static WORDS_UNUSED void **
form_index_ready(struct form_index *index, uint32_t generation, uint32_t id_count)
{
	if (index->generation != generation) {
		if (index->capacity != 0)
			memset(index->values, 0, index->capacity * sizeof(*index->values));
		index->generation = generation;
	}
	if (id_count > index->capacity) {
		size_t capacity = index->capacity ? index->capacity : 1024;
		void **grown;

		while (capacity < id_count)
			capacity *= 2;
		if ((grown = realloc(index->values, capacity * sizeof(*grown))) == NULL)
			return NULL;
		memset(grown + index->capacity, 0, (capacity - index->capacity) * sizeof(*grown));
		index->values = grown;
		index->capacity = capacity;
	}
	return index->values;
}

/* Forget every value (what they point at is being freed); the memory goes too. */
static WORDS_UNUSED void
form_index_free(struct form_index *index)
{
	free(index->values);
	memset(index, 0, sizeof(*index));
}

static WORDS_UNUSED void **
word_table_insert(struct word_table *table, const char *key)
{
	return word_table_insert_hashed(table, key, words_hash(key));
}

/* Free the keys, and each value with free_value when not NULL. */
static WORDS_UNUSED void
word_table_free(struct word_table *table, void (*free_value)(void *))
{
	for (size_t i = 0; i < table->capacity; i++) {
		if (table->keys[i] == NULL)
			continue;
		free(table->keys[i]);
		if (free_value != NULL)
			free_value(table->values[i]);
	}
	free(table->keys);
	free(table->values);
	free(table->hashes);
	memset(table, 0, sizeof(*table));
}

/*
 * Read the next meaningful line of a data file: comments (#) and blank lines skipped,
 * surrounding spaces trimmed.  Returns a pointer into *buffer, NULL at end of file.
 */
static WORDS_UNUSED char *
words_read_line(FILE *file, char **buffer, size_t *buffer_size, int *line_number)
{
	while (getline(buffer, buffer_size, file) != -1) {
		char *line = *buffer, *end, *hash;

		(*line_number)++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		if (*line != '\0')
			return line;
	}
	return NULL;
}

#endif
