/*
 * test_dedup_sketch.c - the sketch of a text (normalized word hashes, exact hash, shingle
 * count, MinHash signature, band keys) is stored on disk and sent to other instances, so it
 * must not change when its code is made faster. This test computes it a second way, plainly
 * as the code before the fast paths did (a byte at a time, the xxhash library's own
 * XXH3_64bits called for every word and shingle, distinct shingles counted by sorting), and
 * compares both on generated texts: ASCII prose, odd and long words, digits, punctuation runs,
 * UTF-8 (accents, quotes and dashes, CJK, ligatures, full-width forms, combining marks, an
 * expanding ligature, default-ignorables), invalid bytes, and texts shorter than one shingle,
 * under several shingle widths and signature sizes, on the CPU's shingle pass (AVX2 where it
 * has it: minhash_avx2.c) and on the baseline's; and on the seed articles (real news text,
 * read at run time from ../shared/seeds) when they are there. Every text's words are also read
 * off its token stream (tokens.c, as a worker's pipeline reads them: dedup_words_from_tokens,
 * with the words of forms known from earlier texts, and form ids that start over) and must be
 * the reference's; dedup_sketch_article_tokens must give dedup_sketch_article's sketch with
 * the stream, without it, and with a stream of other bytes than those sketched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "check.h"
#include "fixtures.h"
#include "token_forms.h"
#include "tokens.h"
#include "util.h"
#include "dedup/dedup_internal.h"

#define RANDOM_SEED 0x9d2c5680a1f3e2b7ULL
#include "xorshift.h"

/* ---- the reference: the sketch as defined, one byte and one library call at a time ---- */

struct reference_words {
	uint64_t	*hashes;
	size_t		 count;
};

static void
reference_push(struct reference_words *words, uint64_t hash)
{
	words->hashes = xrealloc(words->hashes, (words->count + 1) * sizeof *words->hashes);
	words->hashes[words->count++] = hash;
}

static int
reference_word_category(utf8proc_category_t category)
{
	return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
	    category == UTF8PROC_CATEGORY_LT || category == UTF8PROC_CATEGORY_LM ||
	    category == UTF8PROC_CATEGORY_LO || category == UTF8PROC_CATEGORY_MN ||
	    category == UTF8PROC_CATEGORY_MC || category == UTF8PROC_CATEGORY_ME ||
	    category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL ||
	    category == UTF8PROC_CATEGORY_NO;
}

static int
reference_separator_category(utf8proc_category_t category)
{
	return category == UTF8PROC_CATEGORY_PC || category == UTF8PROC_CATEGORY_PD ||
	    category == UTF8PROC_CATEGORY_PS || category == UTF8PROC_CATEGORY_PE ||
	    category == UTF8PROC_CATEGORY_PI || category == UTF8PROC_CATEGORY_PF ||
	    category == UTF8PROC_CATEGORY_PO || category == UTF8PROC_CATEGORY_ZS ||
	    category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP ||
	    category == UTF8PROC_CATEGORY_CC;
}

/* A token with non-ASCII characters: NFKC + case fold + ignorables removed, split by category. */
static void
reference_unicode_token(struct reference_words *words, const uint8_t *token, size_t length)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t mapped_length = utf8proc_map(token, (utf8proc_ssize_t)length, &mapped,
	    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE);
	size_t position = 0, start = 0;
	int in_word = 0;

	if (mapped_length < 0) {
		reference_push(words, XXH3_64bits(token, length));
		return;
	}
	while (position < (size_t)mapped_length) {
		utf8proc_int32_t codepoint;
		utf8proc_ssize_t step = utf8proc_iterate(mapped + position,
		    mapped_length - (utf8proc_ssize_t)position, &codepoint);
		int word = step > 0 && reference_word_category(utf8proc_category(codepoint));

		if (word && !in_word)
			start = position;
		else if (!word && in_word)
			reference_push(words, XXH3_64bits(mapped + start, position - start));
		in_word = word;
		position += step > 0 ? (size_t)step : 1;
	}
	if (in_word)
		reference_push(words, XXH3_64bits(mapped + start, position - start));
	free(mapped);
}

static void
reference_token(struct reference_words *words, const uint8_t *text, size_t start, size_t end,
    int ascii)
{
	char folded[4096];

	if (end == start)
		return;
	if (!ascii || end - start > sizeof folded) {
		if (!ascii)
			reference_unicode_token(words, text + start, end - start);
		else {
			char *copy = xmalloc(end - start);

			for (size_t i = start; i < end; i++)
				copy[i - start] = (char)ascii_word_fold[text[i]];
			reference_push(words, XXH3_64bits(copy, end - start));
			free(copy);
		}
		return;
	}
	for (size_t i = start; i < end; i++)
		folded[i - start] = (char)ascii_word_fold[text[i]];
	reference_push(words, XXH3_64bits(folded, end - start));
}

static void
reference_words_from_text(struct reference_words *words, const char *text)
{
	const uint8_t *bytes = (const uint8_t *)text;
	size_t position = 0, start = 0;
	int ascii = 1;

	words->count = 0;
	for (;;) {
		uint8_t byte = bytes[position];
		utf8proc_int32_t codepoint;
		utf8proc_ssize_t step;

		if (byte < 0x80) {
			if (ascii_word_fold[byte] != 0) {
				position++;
				continue;
			}
			reference_token(words, bytes, start, position, ascii);
			if (byte == '\0')
				return;
			start = ++position;
			ascii = 1;
			continue;
		}
		step = utf8proc_iterate(bytes + position, -1, &codepoint);
		if (step <= 0 || reference_separator_category(utf8proc_category(codepoint))) {
			reference_token(words, bytes, start, position, ascii);
			position += step > 0 ? (size_t)step : 1;
			start = position;
			ascii = 1;
			continue;
		}
		ascii = 0;
		position += (size_t)step;
	}
}

static int
compare_hashes(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
reference_mix64(uint64_t value)
{
	value ^= value >> 30;
	value *= 0xbf58476d1ce4e5b9ULL;
	value ^= value >> 27;
	value *= 0x94d049bb133111ebULL;
	value ^= value >> 31;
	return value;
}

static uint32_t
reference_range(uint64_t hash, uint32_t range)
{
	return (uint32_t)(((unsigned __int128)hash * range) >> 64);
}

/* Optimal densification as minhash.c defines it (see there). */
static void
reference_densify(uint64_t *values, uint32_t size, uint64_t salt)
{
	uint32_t filled = 0;

	for (uint32_t i = 0; i < size; i++)
		filled += values[i] != UINT64_MAX;
	if (filled == 0 || filled == size)
		return;
	for (uint32_t i = 0; i < size; i++) {
		if (values[i] != UINT64_MAX)
			continue;
		for (uint64_t attempt = 1;; attempt++) {
			uint32_t donor = reference_range(reference_mix64(salt ^
			    ((uint64_t)i << 32 | attempt)), size);

			if ((values[donor] >> 63) == 0) {
				values[i] = values[donor] | (1ULL << 63);
				break;
			}
		}
	}
}

struct reference_sketch {
	uint64_t	 exact_hash;
	uint32_t	 word_count;
	uint32_t	 shingle_count;
	uint8_t		 signature[4096];
	uint64_t	 band_keys[256];
};

static void
reference_sketch(const struct reference_words *words, int width, uint32_t size, int bands,
    struct reference_sketch *sketch)
{
	size_t count = 0, shingle_width = (size_t)width;
	uint64_t *shingles, *sorted, *bins = xmalloc(size * sizeof *bins);
	uint32_t rows = size / (uint32_t)bands;

	memset(sketch, 0, sizeof *sketch);
	sketch->exact_hash = XXH3_64bits_withSeed(words->hashes,
	    words->count * sizeof *words->hashes, words->count);
	sketch->word_count = (uint32_t)words->count;
	if (words->count == 0) {
		free(bins);
		return;
	}
	if (words->count < shingle_width)
		shingle_width = words->count;
	count = words->count - shingle_width + 1;
	shingles = xmalloc(count * sizeof *shingles);
	sorted = xmalloc(count * sizeof *sorted);
	for (size_t i = 0; i < count; i++)
		shingles[i] = sorted[i] = XXH3_64bits(words->hashes + i,
		    shingle_width * sizeof *words->hashes);
	qsort(sorted, count, sizeof *sorted, compare_hashes);
	for (size_t i = 0; i < count; i++)
		sketch->shingle_count += i == 0 || sorted[i] != sorted[i - 1];
	for (uint32_t i = 0; i < size; i++)
		bins[i] = UINT64_MAX;
	for (size_t i = 0; i < count; i++) {
		uint32_t bin = reference_range(shingles[i], size);
		uint64_t value = shingles[i] & ~(1ULL << 63);

		if (value < bins[bin])
			bins[bin] = value;
	}
	for (int band = 0; band < bands; band++) {
		uint64_t minimum = UINT64_MAX;

		for (uint32_t row = 0; row < rows; row++)
			if (bins[(uint32_t)band * rows + row] < minimum)
				minimum = bins[(uint32_t)band * rows + row];
		sketch->band_keys[band] = minimum;
	}
	reference_densify(sketch->band_keys, (uint32_t)bands, 0x6a09e667f3bcc908ULL);
	for (int band = 0; band < bands; band++)
		sketch->band_keys[band] = XXH3_64bits_withSeed(&sketch->band_keys[band], 8,
		    (uint64_t)band + 1);
	reference_densify(bins, size, 0xbb67ae8584caa73bULL);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t nibble = bins[i] & 0xf, word;

		memcpy(&word, sketch->signature + i / 16 * 8, 8);
		word |= nibble << (4 * (i % 16));
		memcpy(sketch->signature + i / 16 * 8, &word, 8);
	}
	free(shingles);
	free(sorted);
	free(bins);
}

/* ---- generated texts ---- */

static const char *const pieces[] = {
	/* UTF-8: accents, curly quotes and dashes, NBSP, CJK, ligature, full-width, combining
	 * acute, an Arabic ligature NFKC expands to four words, zero-width space, a circled
	 * digit, the ideographic space, the euro sign; the trade mark sign (a symbol, so no
	 * word to the token stream, that NFKC makes "tm") and an enclosing circle (a mark the
	 * token stream does not count as a word's): in the gap between two tokens, words */
	"caf\xc3\xa9", "\xe2\x80\x99", "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x94", "\xc2\xa0",
	"\xe4\xb8\xad\xe6\x96\x87", "\xef\xac\x81", "\xef\xbc\xa1\xef\xbc\xa2", "e\xcc\x81",
	"\xef\xb7\xba", "\xe2\x80\x8b", "\xe2\x91\xa0", "\xe3\x80\x80", "\xe2\x82\xac",
	"\xe2\x84\xa2", "\xe2\x83\x9d",
	"Stra\xc3\x9f" "e", "\xc3\x9c" "BER",
	/* invalid UTF-8: a lone continuation byte, a truncated sequence, 0xff */
	"\x80", "\xe2\x80", "\xff",
	/* ASCII punctuation and white space runs */
	", ", ". ", " - ", "\n\n", "  ", "\t", "(", ")\"", "'s", "--", "...", "/",
};

static void
append_word(struct buffer *out, unsigned longest)
{
	unsigned length = 1 + next_random(longest);

	for (unsigned i = 0; i < length; i++) {
		unsigned kind = next_random(20);
		char byte = kind == 0 ? (char)('0' + next_random(10)) : kind < 3 ?
		    (char)('A' + next_random(26)) : (char)('a' + next_random(26));

		buffer_append(out, &byte, 1);
	}
}

/*
 * A text of about `words` words: mostly ASCII words of 1 to 12 letters (and now and then
 * much longer), separated by spaces or punctuation, with UTF-8 and invalid pieces mixed in
 * at a rate of one in `odd_every` (0: none).
 */
static char *
generated_text(unsigned words, unsigned odd_every)
{
	struct buffer out = { 0 };

	buffer_append_string(&out, "");
	for (unsigned i = 0; i < words; i++) {
		unsigned roll = next_random(100);

		if (odd_every != 0 && next_random(odd_every) == 0)
			buffer_append_string(&out, pieces[next_random(sizeof pieces /
			    sizeof pieces[0])]);
		append_word(&out, roll < 2 ? 300 : roll < 6 ? 40 : 12);
		buffer_append_string(&out, next_random(8) == 0 ?
		    pieces[sizeof pieces / sizeof pieces[0] - 1 - next_random(12)] : " ");
	}
	return buffer_steal(&out);
}

/* ---- comparison ---- */

struct setup {
	int	 shingle_size;
	int	 signature_size;
	int	 bands;
};

static const struct setup setups[] = { { 5, 128, 16 }, { 3, 96, 12 }, { 7, 64, 8 }, { 1, 128, 16 } };

/*
 * The token stream the words are read off too (dedup_words_from_tokens), one from text to
 * text as a worker's is, so the words it knows by form id carry over; token_words keeps them.
 */
static struct token_stream *stream;
static struct dedup_words token_words;
static unsigned token_texts;	/* texts whose words were read off tokens */

/* 1 when dedup_words_from_tokens over text's token stream gives the reference's words. */
static int
same_token_words(const char *text, const struct reference_words *reference)
{
	const struct ws_tokens *tokens = token_stream_build(stream, "a title", text);

	if (tokens->text.count == 0 || tokens->form_ids == NULL)
		return 1;	/* the sketcher reads such a text itself */
	token_texts++;
	dedup_words_from_tokens(&token_words, tokens);
	return token_words.count == reference->count && (reference->count == 0 ||
	    memcmp(token_words.hashes, reference->hashes,
	    reference->count * sizeof *reference->hashes) == 0);
}

/*
 * 1 when the sketch code and the reference agree on text under every setup, its words read
 * from the text and off its token stream.
 */
static int
same_sketch(struct dedup_words *words, const char *text)
{
	struct reference_words reference = { 0 };
	int same = 1;

	dedup_words_from_text(words, text);
	reference_words_from_text(&reference, text);
	if (words->count != reference.count || (reference.count > 0 &&
	    memcmp(words->hashes, reference.hashes, reference.count * sizeof *reference.hashes)))
		same = 0;
	if (!same_token_words(text, &reference)) {
		fprintf(stderr, "  words off the tokens differ (%zu, reference %zu)\n",
		    token_words.count, reference.count);
		same = 0;
	}
	/* each setup on the CPU's own pass (AVX2 where it has it), then on the baseline's */
	for (size_t i = 0; same && i < 2 * sizeof setups / sizeof setups[0]; i++) {
		const struct setup *setup = &setups[i / 2];
		struct dedup_hasher hasher;
		struct dedup_sketch sketch;
		struct reference_sketch expected;

		dedup_hasher_init(&hasher, setup->shingle_size, setup->signature_size,
		    setup->bands);
		dedup_sketch_init(&sketch, &hasher);
		dedup_sketch_baseline = (int)(i % 2);
		dedup_sketch_compute(&hasher, words, &sketch);
		dedup_sketch_baseline = 0;
		reference_sketch(&reference, setup->shingle_size,
		    (uint32_t)setup->signature_size, setup->bands, &expected);
		same = sketch.exact_hash == expected.exact_hash &&
		    sketch.word_count == expected.word_count &&
		    sketch.shingle_count == expected.shingle_count &&
		    memcmp(sketch.signature, expected.signature, hasher.signature_bytes) == 0 &&
		    memcmp(sketch.band_keys, expected.band_keys,
		    (size_t)setup->bands * sizeof *sketch.band_keys) == 0;
		dedup_sketch_free(&sketch);
		dedup_hasher_free(&hasher);
	}
	if (!same)
		fprintf(stderr, "  sketches differ (%zu words, reference %zu) for: %.200s\n",
		    words->count, reference.count, text);
	free(reference.hashes);
	return same;
}

static void
test_generated_texts(void)
{
	struct dedup_words words = { 0 };
	int differing = 0, compared = 0;

	/* Long texts, ASCII only and with odd pieces; short ones around one shingle. */
	for (unsigned round = 0; round < 300; round++) {
		unsigned length = round % 3 == 0 ? 1 + next_random(8) : round % 3 == 1 ?
		    20 + next_random(200) : 600 + next_random(900);
		char *text = generated_text(length, round % 4 == 0 ? 0 : 1 + round % 30);

		differing += !same_sketch(&words, text);
		compared++;
		free(text);
	}
	CHECK(compared == 300);
	CHECK(differing == 0);
	dedup_words_free(&words);
}

/* Each piece alone and between words, at every offset of a 16-byte step, and near the end. */
static void
test_pieces_at_every_offset(void)
{
	struct dedup_words words = { 0 };
	int differing = 0;

	for (size_t piece = 0; piece < sizeof pieces / sizeof pieces[0]; piece++) {
		for (size_t offset = 0; offset < 40; offset++) {
			struct buffer text = { 0 };

			buffer_append_string(&text, "");
			for (size_t i = 0; i < offset; i++)
				buffer_append_string(&text, i % 7 == 6 ? " " : "x");
			buffer_append_string(&text, pieces[piece]);
			/* in the text's last 16 bytes too (the token gaps' bits there: normalize.c) */
			buffer_append_string(&text, " end");
			differing += !same_sketch(&words, text.data);
			text.length -= 4;	/* " end" off again */
			buffer_append_string(&text, "Word and more words follow here, then the end");
			differing += !same_sketch(&words, text.data);
			differing += !same_sketch(&words, pieces[piece]);
			buffer_free(&text);
		}
	}
	CHECK(differing == 0);
	differing = !same_sketch(&words, "") + !same_sketch(&words, " , ") +
	    !same_sketch(&words, "one") + !same_sketch(&words, "one two three four");
	CHECK(differing == 0);
	dedup_words_free(&words);
}

/* Every length of one word from 1 to 300 letters, alone and between others. */
static void
test_word_lengths(void)
{
	struct dedup_words words = { 0 };
	int differing = 0;

	for (size_t length = 1; length <= 300; length++) {
		struct buffer text = { 0 };

		buffer_append_string(&text, "a few words before ");
		for (size_t i = 0; i < length; i++)
			buffer_append(&text, &"aBcDeFgHiJ0123"[i % 14], 1);
		buffer_append_string(&text, length % 2 ? " and after it" : "");
		differing += !same_sketch(&words, text.data);
		buffer_free(&text);
	}
	CHECK(differing == 0);
	dedup_words_free(&words);
}

/* The seed articles, whole and from each of their first 40 bytes (every block alignment). */
static void
test_seed_articles(void)
{
	struct dedup_words words = { 0 };
	char *texts[16];
	size_t count = seeds_read(texts, NULL, 16);
	int differing = 0;

	if (count == 0) {
		SKIP("no seeds in ../shared/seeds (set WIRESIFT_SEEDS)");
		return;
	}
	for (size_t i = 0; i < count; i++) {
		for (size_t offset = 0; offset < 40 && texts[i][offset] != '\0'; offset++)
			differing += !same_sketch(&words, texts[i] + offset);
		free(texts[i]);
	}
	CHECK(differing == 0);
	printf("seeds: %zu articles compared at 40 offsets each\n", count);
	dedup_words_free(&words);
}

/*
 * Form ids that start over often (a stream whose generation holds 200 forms): the words
 * known by the ids of one generation must not be taken for another's.
 */
static void
test_form_generations(void)
{
	struct dedup_words words = { 0 };
	struct token_stream *saved = stream;
	unsigned before = token_texts;
	int differing = 0;

	token_streams_form_limit(200);
	stream = token_stream_new();
	dedup_words_free(&token_words);
	for (unsigned round = 0; round < 120; round++) {
		char *text = generated_text(20 + next_random(150), round % 3 == 0 ? 0 : 7);

		differing += !same_sketch(&words, text);
		free(text);
	}
	token_stream_free(stream);
	stream = saved;
	token_streams_form_limit(FORM_LIMIT_DEFAULT);
	CHECK(differing == 0);
	CHECK(token_texts - before >= 100);
	dedup_words_free(&words);
}

static int
same_article_sketch(const struct dedup_sketch *a, const struct dedup_sketch *b,
    size_t signature_bytes, int bands)
{
	return a->exact_hash == b->exact_hash && a->word_count == b->word_count &&
	    a->shingle_count == b->shingle_count &&
	    memcmp(a->signature, b->signature, signature_bytes) == 0 &&
	    memcmp(a->band_keys, b->band_keys, (size_t)bands * sizeof *a->band_keys) == 0;
}

/*
 * dedup_sketch_article_tokens as the pipeline calls it: the same sketch as
 * dedup_sketch_article with the article's token stream, without one (NULL), and with one of
 * other bytes than those sketched (an article without text is sketched from its title and
 * summary, which the stream does not hold as one text).
 */
static void
test_sketch_article_tokens(void)
{
	struct dedup_config config;
	struct dedup_sketcher *plain, *tokened;
	struct dedup_hasher hasher;
	int differing = 0;

	dedup_config_defaults(&config);
	plain = dedup_sketcher_new(&config);
	tokened = dedup_sketcher_new(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	for (unsigned round = 0; round < 60; round++) {
		struct article article = { 0 };
		struct dedup_sketch *expected;
		const struct ws_tokens *tokens;
		char *text = generated_text(30 + next_random(700), round % 2 ? 9 : 0);

		article.title = generated_text(8, 0);
		if (round % 5 == 4)
			article.summary = text;	/* no text: title and summary sketched */
		else
			article.text = text;
		tokens = token_stream_build(stream, article.title, article.text);
		dedup_sketch_article(plain, &article);
		expected = article.dedup_sketch;
		article.dedup_sketch = NULL;
		dedup_sketch_article_tokens(tokened, &article, round % 7 == 6 ? NULL : tokens);
		differing += !same_article_sketch(expected, article.dedup_sketch,
		    hasher.signature_bytes, config.bands);
		dedup_sketch_destroy(expected);
		dedup_sketch_destroy(article.dedup_sketch);
		free(article.title);
		free(text);
	}
	CHECK(differing == 0);
	dedup_hasher_free(&hasher);
	dedup_sketcher_free(plain);
	dedup_sketcher_free(tokened);
}

int
main(void)
{
	stream = token_stream_new();
	RUN(test_generated_texts);
	RUN(test_pieces_at_every_offset);
	RUN(test_word_lengths);
	RUN(test_seed_articles);
	RUN(test_form_generations);
	RUN(test_sketch_article_tokens);
	printf("%u texts also read off their token stream\n", token_texts);
	token_stream_free(stream);
	dedup_words_free(&token_words);
	return check_finish();
}
