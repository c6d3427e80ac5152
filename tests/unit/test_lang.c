/*
 * test_lang.c - the lang plugin's sample (plugins/lang/lang.cc): what CLD2 reads is exactly
 * the first max_bytes of title + "\n\n" + text, cut back to a UTF-8 character boundary.  A
 * plain reference here builds that prefix by hand and hands it, as the whole text of an
 * untitled article, to a chain that reads everything; the two verdicts (code and confidence)
 * must be the same at every cut, on texts whose language changes part-way (so that the
 * confidence, CLD2's share of the text, moves with each byte it reads) and on the seed
 * articles.  Language accuracy against true labels is measured by tests/bench/bench_lang.c.
 *
 * The fast scan (plugins/lang/cld2_fast.cc and cld2_score.cc, fast_scan = yes, the default)
 * against its plain reference, CLD2's own entry point (fast_scan = no): the same verdict on
 * every prefix of the mixed text and of the seeds, on random texts of letters in many
 * scripts, marks, digits, punctuation, markup characters and broken UTF-8, and on texts of
 * Latin-script words short and long, capitalised and accented, 1 to 2,400 bytes (past the
 * fast path's 2,000-byte limit).  On each of those texts every output of the detection is
 * compared too, through the plugin's ws_lang_detect_detail (the summary and top three
 * languages, their percents and scores, the bytes scored, reliability): a span one byte
 * longer or a score one point off shows there even where the verdict does not move.
 * Every text ends on a whole character: on a text that ends
 * inside one, CLD2 copies the bytes after its end into its buffers, and its answer depends
 * on them (and on what its buffers held before); the plugin's samples are cut on a
 * character boundary of valid UTF-8 (the parser's output), so never end so.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (this build's plugins when unset: plugin_dir.h).  Runs from the
 * repo root.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_dir.h"
#include "article.h"
#include "plugin.h"
#include "util.h"
#include "fixtures.h"

#define RANDOM_SEED 0x6c616e67ULL
#include "xorshift.h"

static struct plugin_chain *
lang_chain_scan(const char *max_bytes, const char *fast_scan)
{
	struct plugin_setting settings[2] = { { (char *)"max_bytes", (char *)max_bytes, 2 },
	    { (char *)"fast_scan", (char *)fast_scan, 3 } };
	struct plugin_config config = { (char *)"lang", (char *)"conf/wiresift.conf", 1,
	    settings, 2 };
	char error[512];
	struct plugin_chain *chain = plugin_chain_load(&config, 1, NULL, error, sizeof(error));

	if (chain == NULL)
		fprintf(stderr, "  cannot load lang: %s\n", error);
	return chain;
}

static struct plugin_chain *
lang_chain(const char *max_bytes)
{
	return lang_chain_scan(max_bytes, "yes");
}

/* The reference sample: title "\n\n" text, its first limit bytes, cut to a character start. */
static char *
reference_sample(const char *title, const char *text, size_t limit)
{
	struct buffer whole = { 0 };
	size_t length;

	if (title != NULL) {
		buffer_append_string(&whole, title);
		buffer_append_string(&whole, "\n\n");
	}
	buffer_append_string(&whole, text);
	buffer_append(&whole, "", 1);
	length = whole.length - 1;
	if (length > limit) {
		length = limit;
		while (length > 0 && ((unsigned char)whole.data[length] & 0xC0) == 0x80)
			length--;
	}
	whole.data[length] = '\0';
	return whole.data;
}

/* The verdict on title + text by a chain of max_bytes limit equals the whole-text verdict on
 * the reference sample; returns whether it does. */
static int
sample_matches(struct plugin_chain *whole, const char *title, const char *text, size_t limit)
{
	char setting[32], *prefix = reference_sample(title, text, limit);
	struct plugin_chain *cut;
	struct article *ours = article_new(), *reference = article_new();
	int same;

	snprintf(setting, sizeof(setting), "%zu", limit);
	cut = lang_chain(setting);
	article_set(&ours->title, title);
	article_set(&ours->text, text);
	article_set(&reference->text, prefix);
	if (cut != NULL)
		plugin_chain_process(cut, ours);
	plugin_chain_process(whole, reference);
	same = cut != NULL && strcmp(ours->lang_code, reference->lang_code) == 0 &&
	    ours->lang_confidence == reference->lang_confidence;
	if (!same)
		fprintf(stderr, "  max_bytes %zu: %s %.3f, reference %s %.3f\n", limit,
		    ours->lang_code, ours->lang_confidence, reference->lang_code,
		    reference->lang_confidence);
	plugin_chain_free(cut);
	article_free(ours);
	article_free(reference);
	free(prefix);
	return same;
}

/* Texts written for this test: German, then French, then Russian (two-byte letters), so that
 * every cut gives CLD2 a different mix. */
static const char *const mixed_title = "Gemischte Meldung \xC3\xBC" "ber Br\xC3\xBC" "cken";
static const char *const mixed_text =
    "Die Stadtverwaltung hat am Dienstag beschlossen, die alte Br\xC3\xBC" "cke \xC3\xBC"
    "ber den Fluss bis zum Fr\xC3\xBChjahr zu sanieren; die Anwohner klagten seit Jahren "
    "\xC3\xBC" "ber den Verkehr. "
    "Le conseil municipal a d\xC3\xA9" "cid\xC3\xA9 mardi de r\xC3\xA9nover le vieux pont, "
    "apr\xC3\xA8s des ann\xC3\xA9" "es de plaintes des riverains sur la circulation. "
    "\xD0\x93\xD0\xBE\xD1\x80\xD0\xBE\xD0\xB4\xD1\x81\xD0\xBA\xD0\xBE\xD0\xB9 "
    "\xD1\x81\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x82 \xD1\x80\xD0\xB5\xD1\x88\xD0\xB8\xD0\xBB "
    "\xD0\xBE\xD1\x82\xD1\x80\xD0\xB5\xD0\xBC\xD0\xBE\xD0\xBD\xD1\x82\xD0\xB8\xD1\x80"
    "\xD0\xBE\xD0\xB2\xD0\xB0\xD1\x82\xD1\x8C \xD1\x81\xD1\x82\xD0\xB0\xD1\x80\xD1\x8B"
    "\xD0\xB9 \xD0\xBC\xD0\xBE\xD1\x81\xD1\x82 \xD1\x87\xD0\xB5\xD1\x80\xD0\xB5\xD0\xB7 "
    "\xD1\x80\xD0\xB5\xD0\xBA\xD1\x83 \xD0\xB2\xD0\xB5\xD1\x81\xD0\xBD\xD0\xBE\xD0\xB9.";

static void
test_lang_sample_is_the_prefix(void)
{
	struct plugin_chain *whole = lang_chain("1000000");
	size_t title_length = strlen(mixed_title), cuts = 0, matched = 0;

	CHECK(whole != NULL);
	if (whole == NULL)
		return;
	/* Every cut from inside the title to past the end, byte by byte around the edges. */
	for (size_t limit = 1; limit <= strlen(mixed_text) + title_length + 8; limit++) {
		if (limit > title_length + 4 && limit % 7 != 0 && limit < strlen(mixed_text))
			continue;
		cuts++;
		matched += (size_t)sample_matches(whole, mixed_title, mixed_text, limit);
	}
	CHECK(cuts > 60);
	CHECK(matched == cuts);
	/* No title: the text alone. */
	CHECK(sample_matches(whole, NULL, mixed_text, 256));
	CHECK(sample_matches(whole, NULL, mixed_text, 512));
	plugin_chain_free(whole);
}

static void
test_lang_sample_seeds(void)
{
	char *texts[100];
	size_t count = seeds_read(texts, NULL, 100);
	struct plugin_chain *whole;

	if (count == 0) {
		SKIP("no seeds directory (../shared/seeds): seed articles not checked");
		return;
	}
	whole = lang_chain("1000000");
	CHECK(whole != NULL);
	for (size_t i = 0; whole != NULL && i < count; i++) {
		char *text = texts[i], *newline = strchr(text, '\n');

		if (newline != NULL)
			*newline = '\0';
		CHECK(sample_matches(whole, text, newline != NULL ? newline + 1 : "", 512));
		CHECK(sample_matches(whole, text, newline != NULL ? newline + 1 : "", 256));
	}
	for (size_t i = 0; i < count; i++)
		free(texts[i]);
	plugin_chain_free(whole);
}

typedef int (*detail_fn)(int fast, const char *text, int length, int language3[3],
    int percent3[3], double scores3[3], int *text_bytes, int *reliable);

/* lang.so's ws_lang_detect_detail, from the plugin directory the chains load; NULL when
 * it cannot be had. */
static detail_fn
load_detail(void)
{
	const char *dir = getenv("WIRESIFT_PLUGIN_DIR");
	char path[4096];
	void *library;

	snprintf(path, sizeof(path), "%s/lang.so", dir != NULL ? dir : "build/plugins");
	if ((library = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return NULL;
	return (detail_fn)dlsym(library, "ws_lang_detect_detail");
}

static detail_fn lang_detail;

/* Whether the fast path and CLD2's entry point give text every output alike: the summary,
 * the top three languages, their percents and scores, the bytes scored, reliability. */
static int
details_agree(const char *text)
{
	size_t length = strlen(text);
	char *padded = xcalloc(1, length + 16);	/* CLD2 reads past the end */
	int language[2][3], percent[2][3], bytes[2], reliable[2], summary[2];
	double scores[2][3];
	int same;

	memcpy(padded, text, length);
	for (int fast = 0; fast < 2; fast++)
		summary[fast] = lang_detail(fast, padded, (int)length, language[fast], percent[fast],
		    scores[fast], &bytes[fast], &reliable[fast]);
	same = summary[0] == summary[1] && summary[0] >= 0 && bytes[0] == bytes[1] &&
	    reliable[0] == reliable[1];
	for (int i = 0; i < 3; i++)
		same = same && language[0][i] == language[1][i] &&
		    percent[0][i] == percent[1][i] && scores[0][i] == scores[1][i];
	if (!same)
		fprintf(stderr, "  fast %d %d%% %.1f %d bytes, reference %d %d%% %.1f %d bytes on %zu "
		    "bytes: %.80s\n", language[1][0], percent[1][0], scores[1][0], bytes[1],
		    language[0][0], percent[0][0], scores[0][0], bytes[0], length, text);
	free(padded);
	return same;
}

/* Whether the fast and the reference chain give text (no title) the same verdict, and the
 * two ways of detection every output alike (details_agree); counts the verdicts that name a
 * language into *named. */
static int
scans_agree(struct plugin_chain *fast, struct plugin_chain *reference, const char *text,
    size_t *named)
{
	struct article *ours = article_new(), *theirs = article_new();
	int same;

	article_set(&ours->text, text);
	article_set(&theirs->text, text);
	plugin_chain_process(fast, ours);
	plugin_chain_process(reference, theirs);
	same = strcmp(ours->lang_code, theirs->lang_code) == 0 &&
	    ours->lang_confidence == theirs->lang_confidence && details_agree(text);
	*named += ours->lang_code[0] != '\0';
	if (!same)
		fprintf(stderr, "  fast %s %.3f, reference %s %.3f on %zu bytes: %.80s\n",
		    ours->lang_code, ours->lang_confidence, theirs->lang_code,
		    theirs->lang_confidence, strlen(text), text);
	article_free(ours);
	article_free(theirs);
	return same;
}

/* Pieces random texts are made of: letters of several scripts (two of them uppercase),
 * combining marks, digits, punctuation, markup characters, curly quotes, broken UTF-8. */
static const char *const pieces[] = {
	"a", "e", "n", "t", "s", "r", "o", "i", "k", "z", "E", "Q", "W",
	"\xC3\xA9", "\xC3\xBC", "\xC3\x9F", "\xC5\x82", "\xC3\x89",		/* e acute u uml sz l A */
	"\xD0\xB0", "\xD0\xBE", "\xD1\x81", "\xD0\x94", "\xD1\x8F",		/* Cyrillic */
	"\xCE\xB1", "\xCE\xBB", "\xCE\xA3",					/* Greek */
	"\xD8\xA8", "\xD9\x85", "\xD8\xB3",					/* Arabic */
	"\xD7\xA9", "\xD7\x9C",						/* Hebrew */
	"\xE0\xB8\x81", "\xE0\xB8\xB2",						/* Thai */
	"\xE0\xA4\x95", "\xE0\xA4\xBE",						/* Devanagari */
	"\xE4\xB8\xAD", "\xE6\x96\x87", "\xE3\x81\x82", "\xEA\xB0\x80",	/* Han, kana, Hangul */
	"\xCC\x81", "\xCC\x88",							/* combining marks */
	" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", ",", ".", "'", "-", "3", "1994",
	"<", ">", "&", "&amp;", "<p>", "\xE2\x80\x99", "\xE2\x80\x94", "\xC2\xA0",
	"\x80", "\xC3", "\xE4\xB8", "\xF0\x9F\x98\x80",				/* broken, emoji */
};

/* A random text of about `length` bytes: words of one script at a time, now and then other
 * pieces between them, so that both long same-script runs and script changes occur. */
static char *
random_text(size_t length)
{
	struct buffer text = { 0 };
	size_t count = sizeof(pieces) / sizeof(pieces[0]), script = 0;
	static const size_t script_start[] = { 0, 13, 18, 23, 26, 29, 31, 33, 35, 39 };

	while (text.length < length) {
		if (next_random(6) == 0)
			script = next_random(9);
		size_t from = script_start[script], to = script_start[script + 1];

		for (unsigned letters = 2 + next_random(8); letters > 0; letters--)
			buffer_append_string(&text, pieces[from + next_random((unsigned)(to - from))]);
		buffer_append_string(&text, next_random(4) == 0 ?
		    pieces[next_random((unsigned)count)] : " ");
	}
	buffer_append(&text, ".", 2);	/* a whole character last (see the file's comment) */
	return text.data;
}

/* Latin-script words for word_text: short and long (past 8 letters, where the octagram walk
 * cuts a word and the scanner copies 8 letters at a time), capitalised, accented. */
static const char *const words[] = {
	"a", "i", "y", "o", "e", "u", "de", "la", "el", "en", "to", "of", "und", "der", "les",
	"the", "and", "que", "news", "City", "bridge", "Regierung", "gouvernement",
	"Verkehrsministerium", "internationalization", "ABCDEFGH", "abcdefghi", "Stra\xC3\x9F" "e",
	"caf\xC3\xA9", "\xC3\x89tat", "na\xC3\xAFve", "zwi\xC3\xA4schen",
};

/* A text of about `length` bytes of words, spaces, now and then punctuation, a digit or a
 * line break; with `short_words` one-letter words and spaces only, the most quadgrams and
 * words a byte (still under a third of CLD2's 1,000 hits a buffer at 2,000 bytes: the
 * buffer-full paths of cld2_score.cc, kept for CLD2's equal, are not reached by the
 * plugin's texts). */
static char *
word_text(size_t length, int short_words)
{
	struct buffer text = { 0 };
	static const char *const between[] = { " ", " ", " ", " ", ", ", ". ", "\n", " 7 ", " - " };
	size_t count = short_words ? 6 : sizeof(words) / sizeof(words[0]);

	while (text.length < length) {
		buffer_append_string(&text, words[next_random((unsigned)count)]);
		buffer_append_string(&text, short_words ? " " :
		    between[next_random(sizeof(between) / sizeof(between[0]))]);
	}
	buffer_append(&text, ".", 2);
	return text.data;
}

static void
test_lang_fast_scan_agrees(void)
{
	struct plugin_chain *fast = lang_chain_scan("1000000", "yes");
	struct plugin_chain *reference = lang_chain_scan("1000000", "no");
	size_t texts = 0, agreed = 0, named = 0, mixed_length = strlen(mixed_text);
	char prefix[1024];
	char *seeds[100];
	size_t seed_count = seeds_read(seeds, NULL, 100);

	lang_detail = load_detail();
	CHECK(fast != NULL && reference != NULL && lang_detail != NULL);
	if (fast == NULL || reference == NULL || lang_detail == NULL)
		return;
	for (size_t length = 1; length <= mixed_length && length < sizeof(prefix); length++) {
		if (((unsigned char)mixed_text[length] & 0xC0) == 0x80)
			continue;	/* every prefix that ends on a whole character */
		memcpy(prefix, mixed_text, length);
		prefix[length] = '\0';
		texts++;
		agreed += (size_t)scans_agree(fast, reference, prefix, &named);
	}
	for (int i = 0; i < 1500; i++) {
		char *text = random_text(1 + next_random(i % 10 == 0 ? 2400 : 900));

		texts++;
		agreed += (size_t)scans_agree(fast, reference, text, &named);
		free(text);
	}
	for (int i = 0; i < 400; i++) {
		char *text = word_text(1 + next_random(i % 4 == 0 ? 2100 : 700), i % 8 == 1);

		texts++;
		agreed += (size_t)scans_agree(fast, reference, text, &named);
		free(text);
	}
	for (size_t i = 0; i < seed_count; i++) {
		for (size_t cut = 64; cut < 2100 && cut < strlen(seeds[i]); cut += 97) {
			size_t whole = cut;

			while (whole > 0 && ((unsigned char)seeds[i][whole] & 0xC0) == 0x80)
				whole--;
			char *text = xstrndup(seeds[i], whole);

			texts++;
			agreed += (size_t)scans_agree(fast, reference, text, &named);
			free(text);
		}
		free(seeds[i]);
	}
	printf("  fast scan: %zu of %zu verdicts equal, %zu name a language\n", agreed, texts,
	    named);
	CHECK(texts > 1900 + mixed_length / 2);
	CHECK(agreed == texts);
	CHECK(named > texts / 2);	/* mostly real verdicts, not two empty answers */
	plugin_chain_free(fast);
	plugin_chain_free(reference);
}

int
main(void)
{
	plugin_dir_default();
	RUN(test_lang_sample_is_the_prefix);
	RUN(test_lang_sample_seeds);
	RUN(test_lang_fast_scan_agrees);
	return check_finish();
}
