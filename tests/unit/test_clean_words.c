/*
 * test_clean_words.c - differential test of words.c's word count: count_words reading 64
 * bytes a step in bit masks (count_words_block_steps = 1, the default) against the same
 * function one character at a time (0) and against a plain reference written here from the
 * definition (utf8proc's categories, one code point at a time). Inputs: seeded random texts
 * of ASCII words, ' and -, every character of U+2000-U+203F, letters from 0x80, marks, CJK,
 * truncated and invalid UTF-8; each special piece at every offset of a plain text (so each
 * straddles a 64-byte block's end and the padded last block); every length up to 300. The
 * block steps' one assumption, that U+2000-U+203F holds no letter, digit or mark and only
 * U+2019 continues a word, is checked against utf8proc. The lengths the cleaner passes on
 * instead of measuring again are checked against strlen (test_measured_lengths).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "check.h"
#include "clean/clean_internal.h"
#include "util.h"
#include "words_reference.h"

/* count_words with and without block steps, against the reference; 1 when all three agree. */
static int
counts_agree(const char *text, size_t length)
{
	size_t blocks, characters, reference = reference_count_words(text, length);

	count_words_block_steps = 1;
	blocks = count_words(text, length);
	count_words_block_steps = 0;
	characters = count_words(text, length);
	count_words_block_steps = 1;
	if (blocks == reference && characters == reference)
		return 1;
	fprintf(stderr, "  length %zu: blocks %zu, characters %zu, reference %zu\n", length,
	    blocks, characters, reference);
	return 0;
}

static const char *const pieces[] = {
	"word", "Ab", "9", "x", " ", "  ", "'", "-", "--", "don't", "re-run", "-5", "a'", ".", ",",
	"\n", "\t", "\x7f", "\x01", "\xE2\x80\x99", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x94",
	"\xE2\x80\x93", "\xE2\x80\xA6", "\xE2\x80\x8B", "\xE2\x80", "\xE2", "\x80", "\x99",
	"\xE2\x80\xE2\x80\x99", "\xE2\x81\x80", "\xE2\x82\xAC", "\xC3\xA9", "e\xCC\x81",
	"\xE6\x9D\xB1", "\xE3\x81\x82", "\xE0\xA4\xBF", "\xFF", "\xC2\xA0", "\xF0\x9F\x98\x80",
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "The quick brown fox ", "10,000",
};
#define PIECES	(sizeof pieces / sizeof pieces[0])

static void
test_random_texts(void)
{
	unsigned seed = 17;
	char text[2048];
	int failures = 0;

	for (int round = 0; round < 20000 && failures < 5; round++) {
		size_t length = 0, count = 1 + (size_t)(rand_r(&seed) % 120);

		for (size_t i = 0; i < count; i++) {
			const char *piece = pieces[(size_t)rand_r(&seed) % PIECES];

			if (length + strlen(piece) >= sizeof text)
				break;
			memcpy(text + length, piece, strlen(piece));
			length += strlen(piece);
		}
		failures += !counts_agree(text, length);
	}
	CHECK(failures == 0);
}

/* Each piece at every offset of a plain sentence, so across every block end. */
static void
test_pieces_at_every_offset(void)
{
	static const char plain[] = "Officials said the talks in Geneva would resume on Monday "
	    "after a pause of two weeks, and that both sides had agreed to a list of topics";
	char text[512];
	int failures = 0;

	for (size_t piece = 0; piece < PIECES; piece++) {
		size_t piece_length = strlen(pieces[piece]);

		for (size_t offset = 0; offset <= sizeof plain - 1; offset++) {
			memcpy(text, plain, offset);
			memcpy(text + offset, pieces[piece], piece_length);
			memcpy(text + offset + piece_length, plain + offset, sizeof plain - 1 - offset);
			failures += !counts_agree(text, sizeof plain - 1 + piece_length);
		}
	}
	CHECK(failures == 0);
}

/* Every length up to 300 of prose with each kind of word edge. */
static void
test_every_length(void)
{
	static const char prose[] = "A well-known \xE2\x80\x9Cquote\xE2\x80\x9D isn't news \xE2\x80\x94 "
	    "it\xE2\x80\x99s 1,200 km of road-works, said O'Brien's aide -- again. Z ";
	char text[320];
	int failures = 0;

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = prose[i % (sizeof prose - 1)];
	for (size_t length = 0; length <= 300; length++)
		failures += !counts_agree(text, length);
	CHECK(failures == 0);
	/* the counts are not all zero: words are found */
	CHECK(count_words(text, 300) > 40);
}

/* The block steps read E2 80 xx (U+2000-U+203F) as no letter, digit or mark, U+2019 as a
 * joiner: true of every one of them in utf8proc's tables. */
static void
test_general_punctuation_is_no_word(void)
{
	for (utf8proc_int32_t code = 0x2000; code <= 0x203F; code++) {
		utf8proc_category_t category = utf8proc_category(code);

		CHECK(category != UTF8PROC_CATEGORY_LU && category != UTF8PROC_CATEGORY_LL &&
		    category != UTF8PROC_CATEGORY_LT && category != UTF8PROC_CATEGORY_LM &&
		    category != UTF8PROC_CATEGORY_LO && category != UTF8PROC_CATEGORY_ND &&
		    category != UTF8PROC_CATEGORY_NL && category != UTF8PROC_CATEGORY_NO &&
		    category != UTF8PROC_CATEGORY_MN && category != UTF8PROC_CATEGORY_MC &&
		    category != UTF8PROC_CATEGORY_ME);
	}
	CHECK(count_words("don\xE2\x80\x99t", 7) == 1);
	CHECK(count_words("a\xE2\x80\x94" "b", 5) == 2);
	CHECK(count_words("\xE2\x80\x99" "a", 4) == 1);
}

/*
 * The lengths the cleaner passes on instead of measuring again (html_to_text_measured,
 * normalize_nfc_length, paragraphs_split_length) against strlen and the measuring functions:
 * seeded random HTML of plain words, decomposed characters NFC composes (shorter), characters
 * it keeps, tags, references, line breaks and a NUL inside the given length.
 */
static void
test_measured_lengths(void)
{
	static const char *const html_pieces[] = { "word", " ", "\n\n", "<p>", "</p>", "<br>",
	    "&amp;", "e\xcc\x81", "\xe2\x80\x94", "\xc3\xa9", "A\xcc\x8a", "\x01", "\0" };
	unsigned seed = 41;
	int same = 0, total = 4000, composed = 0;

	for (int round = 0; round < total; round++) {
		char html[1024];
		size_t length = 0, count = 1 + (size_t)(rand_r(&seed) % 40), text_length;

		for (size_t i = 0; i < count; i++) {
			const char *piece = html_pieces[(size_t)rand_r(&seed) %
			    (sizeof html_pieces / sizeof html_pieces[0])];
			size_t size = piece[0] != '\0' ? strlen(piece) : 1;

			memcpy(html + length, piece, size);
			length += size;
		}
		html[length] = '\0';
		char *measured = html_to_text_measured(html, length, NULL, NULL, &text_length);
		char *plain = html_to_text_explain(html, length, NULL, NULL);
		char *nfc = xmalloc(length + 1);
		size_t nfc_length = length;
		struct paragraphs by_length, by_nul;

		composed += strstr(html, "e\xcc\x81") != NULL && strstr(plain, "\xc3\xa9") != NULL;
		memcpy(nfc, html, length + 1);	/* a NUL inside kept */
		nfc = normalize_nfc_length(nfc, &nfc_length);
		int agree = strcmp(measured, plain) == 0 && text_length == strlen(measured) &&
		    nfc_length == strlen(nfc);

		/* each split writes NULs over the breaks of its text: measured above */
		by_length = paragraphs_split_length(measured, text_length);
		by_nul = paragraphs_split(plain);
		agree = agree && by_length.count == by_nul.count;
		for (size_t i = 0; agree && i < by_nul.count; i++)
			agree = by_length.items[i].length == by_nul.items[i].length &&
			    by_length.items[i].words == by_nul.items[i].words &&
			    strcmp(by_length.items[i].text, by_nul.items[i].text) == 0;
		same += agree;
		paragraphs_free(&by_length);
		paragraphs_free(&by_nul);
		free(nfc);
	}
	CHECK(same == total);
	CHECK(composed > 100);	/* NFC shortened texts: the lengths were tested where they change */
}

int
main(void)
{
	RUN(test_random_texts);
	RUN(test_pieces_at_every_offset);
	RUN(test_every_length);
	RUN(test_general_punctuation_is_no_word);
	RUN(test_measured_lengths);
	return check_finish();
}
