/*
 * test_story_words.c - story features read off the token stream (features.c,
 * count_token_words) against the same features read by their own scanner (story_extract,
 * the code they were read with before): generated titles and texts full of what the two
 * scanners split differently (apostrophes and possessives, numbers with separators, UTF-8
 * letters, symbols and punctuation, words longer than WORD_BYTES, text past the 6000 bytes
 * read), every item the same in the same order: key, count, salient, name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_api.h"
#include "story/story_internal.h"
#include "token_forms.h"
#include "tokens.h"
#include "util.h"

#define TEXT_BYTES_READ	6000	/* of the text the features read (features.c, TEXT_BYTES) */

/* Pieces the texts are made of, glued with or without a separator between them. */
static const char *const pieces[] = {
	"Bases", "bases", "casualties", "the", "The", "THE", "news", "reports", "Reports",
	"Taliban's", "Taliban\xE2\x80\x99s", "it's", "It's", "don't", "O'Brien", "O\xE2\x80\x99" "Brien",
	"rock'n'roll", "'s", "s", "'", "''", "x'", "'x", "ab's", "Ab's", "bus", "virus", "iris",
	"10,000", "7.1", "3", "42", "1,2,3", "1.2.3", "42.", ",5", "2024", "1st", "4G", "a1b2",
	"3d", "007", "10,0", "9.", "U.S.", "NATO", "iPhone", "caf\xC3\xA9", "Z\xC3\xBCrich",
	"na\xC3\xAFve", "\xC3\x89mile", "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0",
	"\xE6\x9D\xB1\xE4\xBA\xAC", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x94", "\xE2\x80\xA6",
	"\xC2\xA0", "\xC2\xAB", "\xC2\xBB", "\xE2\x82\xAC", "\xC2\xA9", "\xCC\x81", "5\xE2\x82\xAC",
	"\xE2\x82\xAC" "5", "Minister", "ministers", "Kabul", "Kabul's", "election", "elections",
	"earthquake", "Earthquake", "magnitude", "tsunami", "aid", "convoy", "convoys",
	"international", "Internationalisation",
	"Pneumonoultramicroscopicsilicovolcanoconiosisandthensomemorelettersbeyond",
	"pneumonoultramicroscopicsilicovolcanoconiosisandthensomemorelettersbeyondS",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh\xC3\xA9",
	"Sixteenletterwrd", "seventeenletterws",
	/* 46, 47 and 48 letters: a term's word kept with its verdict below 47 (features.c) */
	"Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrst",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstus", "ies", "flies", "Says", "it", "an", "X",
	"\xEF\xAC\x81" "nance", "\xEF\xBC\xA1\xEF\xBC\xA2", "soft\xC2\xAD" "hyphen",
	"zero\xE2\x80\x8D" "joiner", "km\xC2\xB2", "\xC2\xB2", "bad\xFF" "byte", "\xFF",
	"e\xCC\x81t\xC3\xA9", "\xE2\x84\xAB", "\xC3\x9F", "STRASSE", "_under_", "x_y",
};

static const char *const separators[] = {
	" ", " ", " ", " ", ", ", ". ", "\n", "\n\n", "-", "'", "\"", "(", ")", "\t", ": ", "",
	"", "/", "&", "'s ", "\xE2\x80\x99", "\xE2\x80\x99s ", "\xC2\xA0", " \xE2\x80\x94 ", ".",
	",",
};

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "xorshift.h"

/* A generated text of about `bytes` bytes into buffer. */
static void
generate(struct buffer *buffer, size_t bytes)
{
	size_t piece_count = sizeof pieces / sizeof pieces[0];
	size_t separator_count = sizeof separators / sizeof separators[0];

	buffer_reset(buffer);
	while (buffer->length < bytes) {
		buffer_append_string(buffer, pieces[next_random(piece_count)]);
		buffer_append_string(buffer, separators[next_random(separator_count)]);
	}
}

/* Are the two feature sets the same items in the same order? */
static int
same_features(const struct story_features *a, const struct story_features *b)
{
	if (a->count != b->count || a->time != b->time)
		return 0;
	for (uint32_t i = 0; i < a->count; i++)
		if (a->items[i].key != b->items[i].key || a->items[i].count != b->items[i].count ||
		    a->items[i].salient != b->items[i].salient ||
		    strcmp(story_feature_name(a, i), story_feature_name(b, i)) != 0)
			return 0;
	return 1;
}

/* Old and new over one title and text, with and without entities. */
static int
compare(struct story_extractor *extractor, struct token_stream *stream, const char *title,
    const char *text)
{
	struct entity entities[2] = {
		{ .name = "Kabul", .type = "place", .count = 2 },
		{ .name = "Taliban", .type = "organization", .count = 1 },
	};
	struct story_features *old = xcalloc(1, sizeof *old), *new = xcalloc(1, sizeof *new);
	const struct ws_tokens *tokens = token_stream_build(stream, title, text);
	int same;

	story_extract(extractor, old, title, text, entities, 2, 1000);
	story_extract_tokens(extractor, new, title, text, entities, 2, 1000, tokens);
	same = same_features(old, new) && old->count > 0;
	story_extract(extractor, old, title, text, NULL, 0, 7);
	story_extract_tokens(extractor, new, title, text, NULL, 0, 7, tokens);
	same = same && same_features(old, new);
	story_features_destroy(old);
	story_features_destroy(new);
	return same;
}

static void
test_generated_texts(void)
{
	struct story_extractor *extractor = story_extractor_new();
	struct token_stream *stream = token_stream_new();
	struct buffer title = { 0 }, text = { 0 };
	int differing = 0;

	for (int round = 0; round < 400; round++) {
		generate(&title, 20 + next_random(120));
		generate(&text, round % 10 == 0 ? 5900 + next_random(400) : 200 + next_random(3000));
		if (!compare(extractor, stream, title.data, text.data)) {
			if (differing++ < 3)
				fprintf(stderr, "differ: title \"%s\"\n", title.data);
		}
	}
	CHECK(differing == 0);
	buffer_free(&title);
	buffer_free(&text);
	token_stream_free(stream);
	story_extractor_free(extractor);
}

/*
 * The verdicts kept by stable form id (features.c, form_verdict) from article to article:
 * with a stream that starts its ids over every few articles (a small form limit), and with
 * two streams taking turns on one extractor (the same ids naming other forms), every
 * article's features are still those of the plain scanner.
 */
static void
test_form_verdicts(void)
{
	struct story_extractor *extractor = story_extractor_new();
	struct token_stream *small, *first, *second;
	struct buffer title = { 0 }, text = { 0 };
	int differing = 0, generations = 0;
	uint32_t generation = 0;

	token_streams_form_limit(300);
	small = token_stream_new();
	token_streams_form_limit(FORM_LIMIT_DEFAULT);
	first = token_stream_new();
	second = token_stream_new();
	for (int round = 0; round < 300; round++) {
		struct token_stream *stream = round < 100 ? small : round % 2 ? first : second;
		const struct ws_tokens *tokens;

		generate(&title, 20 + next_random(60));
		generate(&text, 100 + next_random(1500));
		differing += !compare(extractor, stream, title.data, text.data);
		tokens = token_stream_build(stream, title.data, text.data);
		if (round < 100 && tokens->form_generation != generation) {
			generation = tokens->form_generation;
			generations++;
		}
	}
	CHECK(differing == 0);
	CHECK(generations >= 3);	/* the small stream did start its ids over */
	buffer_free(&title);
	buffer_free(&text);
	token_stream_free(small);
	token_stream_free(first);
	token_stream_free(second);
	story_extractor_free(extractor);
}

/* A token stream of other bytes (a copy of the text) is not read: the same features. */
static void
test_other_bytes_not_read(void)
{
	struct story_extractor *extractor = story_extractor_new();
	struct token_stream *stream = token_stream_new();
	struct story_features *old = xcalloc(1, sizeof *old), *new = xcalloc(1, sizeof *new);
	char text[] = "Earthquake relief convoys reached Kabul's suburbs; 10,000 tents.";
	char other[] = "Tsunami warnings lifted across the Pacific after aid convoys left.";
	const struct ws_tokens *tokens = token_stream_build(stream, "Convoys", other);

	story_extract(extractor, old, "Convoys", text, NULL, 0, 5);
	story_extract_tokens(extractor, new, "Convoys", text, NULL, 0, 5, tokens);
	CHECK(same_features(old, new));
	CHECK(old->count >= 5);
	story_features_destroy(old);
	story_features_destroy(new);
	token_stream_free(stream);
	story_extractor_free(extractor);
}

/* Edge texts: empty, words only, a token across the 6000 bytes read, the title only. */
static void
test_edges(void)
{
	struct story_extractor *extractor = story_extractor_new();
	struct token_stream *stream = token_stream_new();
	struct buffer text = { 0 };
	int same = 1;

	same &= compare(extractor, stream, "Kabul convoys", "");
	same &= compare(extractor, stream, "Kabul convoys", "Kabul");
	for (size_t shift = 0; shift < 12; shift++) {
		buffer_reset(&text);
		while (text.length < TEXT_BYTES_READ - 6 + shift)
			buffer_append_string(&text, "x");
		buffer_append_string(&text, " earthquakes convoys 10,000 ministers");
		same &= compare(extractor, stream, "Kabul", text.data);
	}
	CHECK(same);
	buffer_free(&text);
	token_stream_free(stream);
	story_extractor_free(extractor);
}

/* Is there a term item of this name among the features? */
static int
has_term(const struct story_features *features, const char *name)
{
	for (uint32_t i = 0; i < features->count; i++)
		if (key_kind(features->items[i].key) == KIND_TERM &&
		    strcmp(story_feature_name(features, i), name) == 0)
			return 1;
	return 0;
}

/*
 * The stop-word test (features.c: a Bloom filter in front of the set since issue 17) drops
 * words of the list, in any case and plural folded, and keeps the words around them: on both
 * paths (the byte scanner and the token stream).
 */
static void
test_stop_words(void)
{
	static const char *const stops[] = {
		"the", "The", "THE", "according", "yesterday", "within", "reports", "Reported",
		"people", "taken", "added", "without", "whom", "tomorrow", "through", "because",
	};
	static const char *const kept[] = {
		"theater", "reporting", "throughput", "addendum", "taker", "accordion",
		"sixteenletterswx", "seventeenletterwxy", "whomsoever", "peopled",
	};
	struct story_extractor *extractor = story_extractor_new();
	struct token_stream *stream = token_stream_new();
	struct story_features *old = xcalloc(1, sizeof *old), *new = xcalloc(1, sizeof *new);
	struct buffer text = { 0 };
	const struct ws_tokens *tokens;

	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
		buffer_append_string(&text, stops[i]);
		buffer_append_string(&text, " ");
		buffer_append_string(&text, kept[i % (sizeof kept / sizeof kept[0])]);
		buffer_append_string(&text, i % 3 == 0 ? ". " : " ");
	}
	buffer_append(&text, "", 1);
	tokens = token_stream_build(stream, "Stop words", text.data);
	story_extract(extractor, old, "Stop words", text.data, NULL, 0, 5);
	story_extract_tokens(extractor, new, "Stop words", text.data, NULL, 0, 5, tokens);
	CHECK(same_features(old, new));
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		CHECK(has_term(new, kept[i]));
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
		char folded[32];
		size_t length = strlen(stops[i]);

		for (size_t k = 0; k <= length; k++)
			folded[k] = (char)(stops[i][k] >= 'A' && stops[i][k] <= 'Z' ?
			    stops[i][k] + 32 : stops[i][k]);
		CHECK(!has_term(new, folded) && !has_term(old, folded));
	}
	CHECK(!has_term(new, "report") && has_term(new, "stop") && has_term(new, "word"));
	story_features_destroy(old);
	story_features_destroy(new);
	buffer_free(&text);
	token_stream_free(stream);
	story_extractor_free(extractor);
}

int
main(void)
{
	RUN(test_generated_texts);
	RUN(test_form_verdicts);
	RUN(test_other_bytes_not_read);
	RUN(test_edges);
	RUN(test_stop_words);
	return check_finish();
}
