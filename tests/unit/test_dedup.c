/*
 * test_dedup.c - near-duplicate detection: normalization, sketches, verdicts on wire-copy
 * variants (of the shared seed articles when present, and of stories written here), property
 * tests over random documents, persistence across close, SIGKILL and a corrupt tail, window
 * expiry and bounded memory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "check.h"
#include "fixtures.h"
#include "article.h"
#include "log.h"
#include "util.h"
#include "dedup/dedup.h"
#include "dedup/dedup_internal.h"

/* ---- helpers ---- */

#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "xorshift.h"

static struct dedup_index *
open_index(const char *state_dir, long long window)
{
	struct dedup_config config;
	char error[256] = "";
	struct dedup_index *index;

	dedup_config_defaults(&config);
	config.state_dir = state_dir;
	if (window > 0)
		config.window_seconds = window;
	index = dedup_open(&config, error, sizeof error);
	if (index == NULL)
		fprintf(stderr, "dedup_open: %s\n", error);
	return index;
}

/* Judge a text under an id; the caller frees the article. */
static struct article *
judge(struct dedup_index *index, const char *id, const char *text, time_t now)
{
	struct article *article = article_new();

	article_set(&article->id, id);
	article_set(&article->text, text);
	dedup_check(index, article, now);
	return article;
}

/* Judge and report whether it was found a duplicate of expected_group (NULL: unique). */
static int
judged_as(struct dedup_index *index, const char *id, const char *text, time_t now,
    const char *expected_group)
{
	struct article *article = judge(index, id, text, now);
	int ok;

	if (expected_group == NULL)
		ok = article->dedup.status == DEDUP_UNIQUE && article->dedup.group != NULL &&
		    strcmp(article->dedup.group, id) == 0 && article->dedup.duplicate_of == NULL;
	else
		ok = article->dedup.status == DEDUP_DUPLICATE &&
		    article->dedup.duplicate_of != NULL && article->dedup.group != NULL &&
		    strcmp(article->dedup.duplicate_of, expected_group) == 0 &&
		    strcmp(article->dedup.group, expected_group) == 0;
	if (!ok)
		fprintf(stderr, "  %s: status=%d duplicate_of=%s group=%s similarity=%.3f method=%s "
		    "(expected %s)\n", id, article->dedup.status,
		    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-",
		    article->dedup.group ? article->dedup.group : "-", article->dedup.similarity,
		    article->dedup.method ? article->dedup.method : "-",
		    expected_group ? expected_group : "unique");
	article_free(article);
	return ok;
}

/* Paragraph lists: a text as "\n\n"-separated paragraphs. */
struct paragraphs {
	char	**items;
	size_t	  count;
};

static void
paragraphs_split(struct paragraphs *list, const char *text)
{
	const char *cursor = text;

	memset(list, 0, sizeof *list);
	while (*cursor != '\0') {
		const char *end = strchr(cursor, '\n');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);

		if (length > 0) {
			list->items = xrealloc(list->items, (list->count + 1) * sizeof *list->items);
			list->items[list->count++] = xstrndup(cursor, length);
		}
		cursor += length;
		while (*cursor == '\n')
			cursor++;
	}
}

static void
paragraphs_free(struct paragraphs *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
}

/* Join paragraphs [first, last) with separator, with optional text before and inserted after
 * paragraph insert_after (SIZE_MAX: none). */
static char *
paragraphs_join(const struct paragraphs *list, size_t first, size_t last, const char *separator,
    const char *prefix, size_t insert_after, const char *inserted)
{
	struct buffer out = { 0 };

	if (prefix != NULL) {
		buffer_append_string(&out, prefix);
		buffer_append_string(&out, separator);
	}
	for (size_t i = first; i < last; i++) {
		if (i > first)
			buffer_append_string(&out, separator);
		buffer_append_string(&out, list->items[i]);
		if (i == insert_after) {
			buffer_append_string(&out, separator);
			buffer_append_string(&out, inserted);
		}
	}
	return buffer_steal(&out);
}

/* Swap two letters inside every `every`-th word of at least 6 letters, `count` times. */
static char *
with_typos(const char *text, int count, int every)
{
	char *copy = xstrdup(text);
	int seen = 0;

	for (char *cursor = copy; *cursor != '\0' && count > 0;) {
		size_t length = 0;

		while (cursor[length] >= 'a' && cursor[length] <= 'z')
			length++;
		if (length >= 6 && ++seen % every == 0) {
			char swap = cursor[2];

			cursor[2] = cursor[3];
			cursor[3] = swap;
			count--;
		}
		cursor += length > 0 ? length : 1;
	}
	return copy;
}

/* Re-wrap at width columns with single line breaks (and no paragraph breaks). */
static char *
rewrapped(const char *text, size_t width)
{
	struct buffer out = { 0 };
	size_t column = 0;
	char *copy = xstrdup(text);

	for (char *word = strtok(copy, " \n"); word != NULL; word = strtok(NULL, " \n")) {
		size_t length = strlen(word);

		if (column > 0 && column + 1 + length > width) {
			buffer_append_string(&out, "\n");
			column = 0;
		} else if (column > 0) {
			buffer_append_string(&out, " ");
			column++;
		}
		buffer_append_string(&out, word);
		column += length;
	}
	free(copy);
	return buffer_steal(&out);
}

/* Wire-copy variants of a paragraph text; returns how many were written to variants. */
static size_t
make_variants(const char *text, char *variants[8], const char *names[8])
{
	struct paragraphs list;
	size_t n = 0, middle;
	char *trimmed;

	paragraphs_split(&list, text);
	middle = list.count / 2;
	names[n] = "headline added";
	variants[n++] = paragraphs_join(&list, 0, list.count, "\n\n",
	    "UPDATE 2: Officials respond as talks stall, sources say", SIZE_MAX, NULL);
	names[n] = "lede rewritten";
	variants[n++] = paragraphs_join(&list, 1, list.count, "\n\n",
	    "In a statement issued late on the day, a spokesperson described the situation as "
	    "fluid and said further details would follow in the coming hours.", SIZE_MAX, NULL);
	names[n] = "last paragraph trimmed";
	variants[n++] = paragraphs_join(&list, 0, list.count - 1, "\n\n", NULL, SIZE_MAX, NULL);
	names[n] = "last quarter trimmed";
	variants[n++] = paragraphs_join(&list, 0, list.count - list.count / 4, "\n\n", NULL,
	    SIZE_MAX, NULL);
	names[n] = "ad line inserted";
	variants[n++] = paragraphs_join(&list, 0, list.count, "\n\n", NULL, middle,
	    "ADVERTISEMENT - Subscribe to our morning newsletter for the day's top stories.");
	names[n] = "typos fixed";
	variants[n++] = with_typos(text, 4, 7);
	names[n] = "line breaks changed";
	variants[n++] = rewrapped(text, 64);
	names[n] = "byline, trimmed and ad";
	trimmed = paragraphs_join(&list, 0, list.count - 1, "\n\n", "By Staff Reporter",
	    middle, "Advertisement: continue reading below.");
	variants[n++] = with_typos(trimmed, 2, 11);
	free(trimmed);
	paragraphs_free(&list);
	return n;
}

/* ---- stories written for these tests (fiction) ---- */

static const char *story_ferry =
    "Ferry services across the northern strait were suspended on Tuesday after a storm "
    "surge flooded the terminal at Port Alder, stranding hundreds of travellers overnight.\n\n"
    "The harbour authority said the water reached the ticket hall shortly before dawn and "
    "that engineers would need at least two days to inspect the loading ramps before any "
    "vessel could dock again.\n\n"
    "Passengers described sleeping on benches in a school gymnasium that the town council "
    "opened as an emergency shelter, where volunteers handed out blankets and soup.\n\n"
    "\"We had no warning that the crossing would close,\" said one driver who was carrying "
    "fresh fish to markets on the mainland. \"Now the whole load will spoil.\"\n\n"
    "The regional weather office had issued an amber alert the previous evening, predicting "
    "gusts of up to one hundred kilometres an hour along the exposed western coast.\n\n"
    "Local businesses warned that a long closure would hurt the island economy, which relies "
    "on the ferry for almost all of its freight, fuel and visitors during the summer.\n\n"
    "A spokesperson for the operator said refunds would be offered to every ticket holder and "
    "that extra sailings would be added once the terminal was declared safe.\n\n"
    "Forecasters expect calmer conditions by the weekend, though further showers are likely "
    "in the hills, where several minor roads remain closed by fallen trees.";

/* Same event, written independently: it shares facts and one quote, not the text. */
static const char *story_ferry_other_outlet =
    "Hundreds of people spent the night in a gymnasium in Port Alder after the storm forced "
    "the ferry operator to halt every crossing of the strait.\n\n"
    "Seawater poured into the terminal before sunrise, according to harbour officials, who "
    "said inspections of the ramps could take until Thursday at the earliest.\n\n"
    "\"We had no warning that the crossing would close,\" said one driver who was carrying "
    "fresh fish to markets on the mainland.\n\n"
    "Island shopkeepers fear empty shelves if the disruption lasts, since nearly every "
    "delivery of groceries and petrol arrives by boat.\n\n"
    "The operator promised refunds and said it would publish a revised timetable once "
    "engineers had finished their checks.";

static const char *story_council =
    "The town council of Port Alder voted on Wednesday to build a new sea wall along the "
    "harbour front, two days after a storm surge flooded the ferry terminal.\n\n"
    "Councillors approved the plan by eleven votes to two after a heated debate over its "
    "cost, which officials estimate at forty million over five years.\n\n"
    "Opponents argued that the money would be better spent on moving the terminal to higher "
    "ground, while supporters said the wall would also protect homes in the old quarter.\n\n"
    "Construction is expected to begin next spring, subject to an environmental review of "
    "its effect on the tidal marsh north of the harbour, home to rare wading birds.\n\n"
    "The mayor said the council would apply for national funding and thanked residents who "
    "had volunteered at the emergency shelter during the storm.";

/* ---- tests ---- */

static void
test_normalize_equivalences(void)
{
	struct dedup_words a = { 0 }, b = { 0 };

	dedup_words_from_text(&a, "The Harbour-Authority said: \"it's fine\".\n\nNext line");
	dedup_words_from_text(&b, "the harbour authority SAID \xe2\x80\x9cit\xe2\x80\x99s "
	    "fine\xe2\x80\x9d next\nline");
	CHECK(a.count == 9);	/* the harbour authority said it s fine next line */
	CHECK(b.count == a.count);
	CHECK(dedup_words_digest(&a) == dedup_words_digest(&b));

	/* NFKC: fullwidth letters and the fi ligature; case folding of non-ASCII. */
	dedup_words_from_text(&a, "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3 \xef\xac\x81nal "
	    "STRA\xc3\x9f" "E \xc3\x89t\xc3\xa9");
	dedup_words_from_text(&b, "abc final strasse \xc3\xa9t\xc3\xa9");
	CHECK(a.count == 4);
	CHECK(dedup_words_digest(&a) == dedup_words_digest(&b));

	/* Decomposed e + combining acute equals the precomposed letter. */
	dedup_words_from_text(&a, "cafe\xcc\x81 ole");
	dedup_words_from_text(&b, "caf\xc3\xa9 OLE");
	CHECK(dedup_words_digest(&a) == dedup_words_digest(&b));

	/* Different words stay different; a non-breaking space and an em dash separate. */
	dedup_words_from_text(&a, "alpha\xc2\xa0" "beta\xe2\x80\x94gamma");
	CHECK(a.count == 3);
	dedup_words_from_text(&b, "alpha beta delta");
	CHECK(dedup_words_digest(&a) != dedup_words_digest(&b));

	dedup_words_from_text(&a, "");
	CHECK(a.count == 0);
	dedup_words_from_text(&a, " ... -- !! ");
	CHECK(a.count == 0);
	dedup_words_free(&a);
	dedup_words_free(&b);
}

/*
 * The ASCII words against the plainest reading of their definition: runs of letters and
 * digits, A-Z folded to a-z, each hashed with XXH3_64bits; on random texts of ASCII words,
 * punctuation and a few non-ASCII separators (which split words as ASCII punctuation does).
 */
static void
test_normalize_ascii_reference(void)
{
	static const char *const pieces[] = {
		"a", "Bc", "DEF", "x9", "2024", "Don't", " ", ", ", ".\n\n", "-", "'", "\t",
		"\xe2\x80\x94", "\xc2\xa0", "\xe2\x80\x9c", "Zz", "q", "__", "\"",
	};
	struct dedup_words words = { 0 };
	uint64_t state = 12345;

	for (int round = 0; round < 2000; round++) {
		char text[512], folded[512];
		size_t length = 0, count = 0, mismatches = 0, run = 0;

		for (int i = 0; i < 1 + round % 60; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *piece = pieces[(state >> 33) % (sizeof(pieces) / sizeof(*pieces))];
			memcpy(text + length, piece, strlen(piece));
			length += strlen(piece);
		}
		text[length] = '\0';
		dedup_words_from_text(&words, text);
		for (size_t i = 0; i <= length; i++) {
			unsigned char byte = (unsigned char)text[i];

			if (isalnum(byte)) {
				folded[run++] = (char)tolower(byte);
				continue;
			}
			if (run > 0) {
				mismatches += count >= words.count ||
				    words.hashes[count] != XXH3_64bits(folded, run);
				count++;
			}
			run = 0;
		}
		CHECK(count == words.count);
		CHECK(mismatches == 0);
	}
	dedup_words_free(&words);
}

static void
test_sketch_estimates(void)
{
	struct dedup_hasher hasher;
	struct dedup_words words = { 0 };
	struct dedup_sketch first, second;
	double same, related, unrelated, containment;
	char *trimmed;
	struct paragraphs list;

	dedup_hasher_init(&hasher, 5, 128, 16);
	dedup_sketch_init(&first, &hasher);
	dedup_sketch_init(&second, &hasher);
	CHECK(hasher.signature_bytes == 64);

	dedup_words_from_text(&words, story_ferry);
	dedup_sketch_compute(&hasher, &words, &first);
	CHECK(first.word_count == words.count);
	CHECK(first.shingle_count == words.count - 4);
	dedup_sketch_compute(&hasher, &words, &second);
	same = dedup_estimate_resemblance(first.signature, second.signature, 128, 64);
	CHECK(same == 1.0);
	CHECK(memcmp(first.band_keys, second.band_keys, 16 * sizeof(uint64_t)) == 0);

	dedup_words_from_text(&words, story_council);
	dedup_sketch_compute(&hasher, &words, &second);
	unrelated = dedup_estimate_resemblance(first.signature, second.signature, 128, 64);
	CHECK(unrelated < 0.15);

	/* A copy without its last three paragraphs: resemblance well under 1, containment ~1. */
	paragraphs_split(&list, story_ferry);
	trimmed = paragraphs_join(&list, 0, list.count - 3, "\n\n", NULL, SIZE_MAX, NULL);
	dedup_words_from_text(&words, trimmed);
	dedup_sketch_compute(&hasher, &words, &second);
	related = dedup_estimate_resemblance(first.signature, second.signature, 128, 64);
	containment = dedup_estimate_containment(related, first.shingle_count,
	    second.shingle_count);
	CHECK(related > 0.45 && related < 0.85);
	CHECK(containment > 0.85);
	CHECK(dedup_estimate_containment(0.5, 100, 50) == 1.0);
	CHECK(dedup_estimate_containment(0.0, 100, 50) == 0.0);
	free(trimmed);
	paragraphs_free(&list);

	dedup_words_free(&words);
	dedup_sketch_free(&first);
	dedup_sketch_free(&second);
	dedup_hasher_free(&hasher);
}

static void
test_written_wire_stories(void)
{
	struct dedup_index *index = open_index(NULL, 0);
	char *variants[8];
	const char *names[8];
	size_t count;
	time_t now = 1750000000;

	CHECK(judged_as(index, "ferry", story_ferry, now, NULL));
	CHECK(judged_as(index, "ferry-other", story_ferry_other_outlet, now + 1, NULL));
	CHECK(judged_as(index, "council", story_council, now + 2, NULL));
	count = make_variants(story_ferry, variants, names);
	for (size_t i = 0; i < count; i++) {
		char id[32];

		snprintf(id, sizeof id, "ferry-copy-%zu", i);
		if (!judged_as(index, id, variants[i], now + 10 + (time_t)i, "ferry")) {
			fprintf(stderr, "  variant: %s\n", names[i]);
			CHECK(0);
		}
		free(variants[i]);
	}
	CHECK(dedup_size(index) == 3 + count);
	dedup_close(index);
}

static void
test_verdict_fields(void)
{
	struct dedup_index *index = open_index(NULL, 0);
	struct article *first, *exact, *near, *by_title, *again;
	struct paragraphs list;
	char *trimmed;
	time_t now = 1750000000;

	first = judge(index, "aa01", story_council, now);
	CHECK(first->dedup.status == DEDUP_UNIQUE);
	CHECK_STR(first->dedup.group, "aa01");
	CHECK(first->dedup.duplicate_of == NULL);
	CHECK_STR(first->dedup.method, "minhash");
	CHECK(first->dedup.similarity == 0.0);

	/* Same words, other case, punctuation and breaks: "exact". */
	exact = judge(index, "aa02", "THE TOWN COUNCIL of Port Alder voted, on Wednesday, to build "
	    "a new sea-wall along the harbour front; two days after a storm surge flooded the ferry "
	    "terminal. Councillors approved the plan by eleven votes to two after a heated debate "
	    "over its cost, which officials estimate at forty million over five years. Opponents "
	    "argued that the money would be better spent on moving the terminal to higher ground, "
	    "while supporters said the wall would also protect homes in the old quarter. "
	    "Construction is expected to begin next spring, subject to an environmental review of "
	    "its effect on the tidal marsh north of the harbour, home to rare wading birds. The "
	    "mayor said the council would apply for national funding and thanked residents who "
	    "had volunteered at the emergency shelter during the storm!", now + 1);
	CHECK(exact->dedup.status == DEDUP_DUPLICATE);
	CHECK_STR(exact->dedup.method, "exact");
	CHECK(exact->dedup.similarity == 1.0);
	CHECK_STR(exact->dedup.duplicate_of, "aa01");

	paragraphs_split(&list, story_council);
	trimmed = paragraphs_join(&list, 0, list.count - 1, "\n\n", NULL, SIZE_MAX, NULL);
	near = judge(index, "aa03", trimmed, now + 2);
	CHECK(near->dedup.status == DEDUP_DUPLICATE);
	CHECK_STR(near->dedup.method, "minhash");
	CHECK(near->dedup.similarity >= 0.5 && near->dedup.similarity < 1.0);
	CHECK_STR(near->dedup.group, "aa01");

	/* No text: title + summary are judged. */
	by_title = article_new();
	article_set(&by_title->id, "aa04");
	article_set(&by_title->title, "Port Alder votes for a new sea wall");
	article_set(&by_title->summary, trimmed);
	dedup_check(index, by_title, now + 3);
	CHECK(by_title->dedup.status == DEDUP_DUPLICATE);
	CHECK_STR(by_title->dedup.duplicate_of, "aa01");

	/* The same article judged again keeps its verdict and is not indexed twice. */
	size_t size = dedup_size(index);
	again = judge(index, "aa01", story_council, now + 4);
	CHECK(again->dedup.status == DEDUP_UNIQUE);
	CHECK_STR(again->dedup.group, "aa01");
	CHECK(dedup_size(index) == size);
	dedup_check(index, again, now + 5);	/* re-judging the same struct replaces its verdict */
	CHECK_STR(again->dedup.group, "aa01");

	free(trimmed);
	paragraphs_free(&list);
	article_free(first);
	article_free(exact);
	article_free(near);
	article_free(by_title);
	article_free(again);
	dedup_close(index);
}

static void
test_too_short(void)
{
	struct dedup_index *index = open_index(NULL, 0);
	struct article *first, *copy, *edited;
	time_t now = 1750000000;

	first = judge(index, "s1", "Breaking: ferry crossings suspended after storm.", now);
	CHECK(first->dedup.status == DEDUP_UNIQUE);
	CHECK_STR(first->dedup.method, "too-short");
	copy = judge(index, "s2", "BREAKING - Ferry crossings suspended after storm", now + 1);
	CHECK(copy->dedup.status == DEDUP_DUPLICATE);
	CHECK_STR(copy->dedup.method, "exact");
	CHECK_STR(copy->dedup.duplicate_of, "s1");
	/* One word changed: short texts are never judged near-duplicates. */
	edited = judge(index, "s3", "Breaking: ferry crossings resumed after storm.", now + 2);
	CHECK(edited->dedup.status == DEDUP_UNIQUE);
	CHECK_STR(edited->dedup.method, "too-short");
	article_free(first);
	article_free(copy);
	article_free(edited);
	dedup_close(index);
}

/* Build a paragraph of `words` random words from a vocabulary of made-up words. */
static void
random_paragraph(struct buffer *out, size_t words)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";

	for (size_t i = 0; i < words; i++) {
		size_t length = 2 + next_random(8);

		if (i > 0)
			buffer_append_string(out, " ");
		for (size_t j = 0; j < length; j++)
			buffer_append(out, &letters[next_random(26)], 1);
	}
}

static char *
random_document(size_t paragraphs, size_t words_each)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < paragraphs; i++) {
		if (i > 0)
			buffer_append_string(&out, "\n\n");
		random_paragraph(&out, words_each);
	}
	return buffer_steal(&out);
}

/* Copy of a text with one small edit at a random place. */
static char *
small_edit(const char *text)
{
	size_t length = strlen(text), at = next_random(length);
	struct buffer out = { 0 };

	while (at > 0 && text[at - 1] != ' ')
		at--;
	buffer_append(&out, text, at);
	switch (next_random(5)) {
	case 0:		/* replace a word */
		buffer_append_string(&out, "replacement");
		while (text[at] != ' ' && text[at] != '\n' && text[at] != '\0')
			at++;
		break;
	case 1:		/* insert a word */
		buffer_append_string(&out, "inserted ");
		break;
	case 2:		/* delete a word */
		while (text[at] != ' ' && text[at] != '\n' && text[at] != '\0')
			at++;
		break;
	case 3:		/* punctuation */
		buffer_append_string(&out, "\"");
		break;
	default:	/* case */
		if (text[at] >= 'a' && text[at] <= 'z') {
			char upper = (char)(text[at] - 32);

			buffer_append(&out, &upper, 1);
			at++;
		}
		break;
	}
	buffer_append_string(&out, text + at);
	return buffer_steal(&out);
}

static void
test_property_random_documents(void)
{
	struct dedup_index *index = open_index(NULL, 0);
	time_t now = 1750000000;
	int collisions = 0, missed = 0;

	for (int i = 0; i < 1000; i++) {
		size_t paragraphs = 1 + next_random(6), words = 40 + next_random(80);
		char *document = random_document(paragraphs, words), *edited = small_edit(document);
		char id[32], copy_id[32];

		snprintf(id, sizeof id, "random-%d", i);
		snprintf(copy_id, sizeof copy_id, "edited-%d", i);
		if (!judged_as(index, id, document, now + i, NULL))
			collisions++;
		if (!judged_as(index, copy_id, edited, now + i, id))
			missed++;
		free(document);
		free(edited);
	}
	printf("property: 1000 random documents, %d collisions; 1000 one-edit copies, %d missed\n",
	    collisions, missed);
	CHECK(collisions == 0);
	CHECK(missed == 0);
	CHECK(dedup_size(index) == 2000);
	dedup_close(index);
}

/* A sketch made beforehand by a sketcher of its own (a worker's) gives the same verdicts. */
static void
test_sketched_elsewhere_judged_alike(void)
{
	struct dedup_index *inline_index = open_index(NULL, 0), *worker_index = open_index(NULL, 0);
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	time_t now = 1750000000;
	int differ = 0, duplicates = 0;
	char *previous = NULL;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	for (int i = 0; i < 400; i++) {
		char *document = random_document(1 + next_random(4), 20 + next_random(80));
		char *text = i % 3 == 2 ? small_edit(previous) : xstrdup(document);
		struct article *alone = article_new(), *sketched = article_new();
		char id[32];

		snprintf(id, sizeof id, "doc-%d", i);
		article_set(&alone->id, id);
		article_set(&alone->text, text);
		article_set(&sketched->id, id);
		article_set(&sketched->text, text);
		dedup_sketch_article(sketcher, sketched);
		CHECK(sketched->dedup_sketch != NULL && alone->dedup_sketch == NULL);
		dedup_check(inline_index, alone, now + i);
		dedup_check(worker_index, sketched, now + i);
		duplicates += alone->dedup.status == DEDUP_DUPLICATE;
		if (alone->dedup.status != sketched->dedup.status ||
		    alone->dedup.similarity != sketched->dedup.similarity ||
		    strcmp(alone->dedup.group, sketched->dedup.group) != 0)
			differ++;
		article_free(alone);
		article_free(sketched);
		free(previous);
		previous = document;
		free(text);
	}
	free(previous);
	CHECK(differ == 0);
	CHECK(duplicates > 50);		/* the edited copies were judged, not only uniques */
	dedup_sketcher_free(sketcher);
	dedup_close(inline_index);
	dedup_close(worker_index);
}

static void
test_duplicate_of_duplicate(void)
{
	struct dedup_index *index = open_index(NULL, 0), *without_middle = open_index(NULL, 0);
	struct paragraphs units;
	char *a, *b, *c, *extra = random_document(6, 45);
	struct paragraphs more;
	time_t now = 1750000000;
	char *base = random_document(10, 45);

	paragraphs_split(&units, base);
	paragraphs_split(&more, extra);
	a = paragraphs_join(&units, 0, 10, "\n\n", NULL, SIZE_MAX, NULL);
	/* B: A's first 8 paragraphs and 2 new ones (J(A,B) = 8/12). */
	{
		char *head = paragraphs_join(&units, 0, 8, "\n\n", NULL, SIZE_MAX, NULL);
		char *tail = paragraphs_join(&more, 0, 2, "\n\n", NULL, SIZE_MAX, NULL);

		b = xasprintf("%s\n\n%s", head, tail);
		free(head);
		free(tail);
	}
	/* C: A's first 5, B's 2 new ones and 1 more (J(B,C) = 7/11, J(A,C) = 5/13). */
	{
		char *head = paragraphs_join(&units, 0, 5, "\n\n", NULL, SIZE_MAX, NULL);
		char *tail = paragraphs_join(&more, 0, 3, "\n\n", NULL, SIZE_MAX, NULL);

		c = xasprintf("%s\n\n%s", head, tail);
		free(head);
		free(tail);
	}
	CHECK(judged_as(index, "first", a, now, NULL));
	CHECK(judged_as(index, "second", b, now + 1, "first"));
	CHECK(judged_as(index, "third", c, now + 2, "first"));
	/* Without B in the index, C is not a copy of A: the chain is what links it. */
	CHECK(judged_as(without_middle, "first", a, now, NULL));
	CHECK(judged_as(without_middle, "third", c, now + 2, NULL));
	free(a);
	free(b);
	free(c);
	free(extra);
	free(base);
	paragraphs_free(&units);
	paragraphs_free(&more);
	dedup_close(index);
	dedup_close(without_middle);
}

/* Read the seeds as "\n\n"-separated paragraph texts; returns the count (0: skip). */
static size_t
load_seeds(char *texts[8], char *ids[8])
{
	size_t count = seeds_read(texts, ids, 8);

	for (size_t i = 0; i < count; i++) {
		struct paragraphs list;

		paragraphs_split(&list, texts[i]);
		free(texts[i]);
		texts[i] = paragraphs_join(&list, 0, list.count, "\n\n", NULL, SIZE_MAX, NULL);
		paragraphs_free(&list);
	}
	return count;
}

static void
test_seed_variants(void)
{
	char *texts[8], *ids[8];
	size_t count = load_seeds(texts, ids);
	struct dedup_index *index;
	time_t now = 1750000000;
	int variants_checked = 0;

	if (count == 0) {
		SKIP("no seeds in ../shared/seeds (set WIRESIFT_SEEDS)");
		return;
	}
	index = open_index(NULL, 0);
	/* Different write-ups of the same event: all unique against each other. */
	for (size_t i = 0; i < count; i++)
		CHECK(judged_as(index, ids[i], texts[i], now, NULL));
	for (size_t i = 0; i < count; i++) {
		char *variants[8];
		const char *names[8];
		size_t made = make_variants(texts[i], variants, names);

		for (size_t v = 0; v < made; v++) {
			char id[96];

			snprintf(id, sizeof id, "%s-v%zu", ids[i], v);
			if (!judged_as(index, id, variants[v], now + 60, ids[i])) {
				fprintf(stderr, "  seed %s variant: %s\n", ids[i], names[v]);
				CHECK(0);
			}
			variants_checked++;
			free(variants[v]);
		}
	}
	printf("seeds: %zu originals unique, %d wire-copy variants checked\n", count,
	    variants_checked);
	for (size_t i = 0; i < count; i++) {
		free(texts[i]);
		free(ids[i]);
	}
	dedup_close(index);
}

/* ---- persistence ---- */

static char *
temporary_directory(void)
{
	char template[] = "/tmp/wiresift-dedup-XXXXXX";

	if (mkdtemp(template) == NULL)
		return NULL;
	return xstrdup(template);
}

static void
remove_directory(char *directory)
{
	char *log = xasprintf("%s/dedup.log", directory);

	unlink(log);
	free(log);
	rmdir(directory);
	free(directory);
}

static off_t
file_size(const char *directory)
{
	char *log = xasprintf("%s/dedup.log", directory);
	struct stat status;
	off_t size = stat(log, &status) == 0 ? status.st_size : -1;

	free(log);
	return size;
}

static void
test_persistence_commit_and_reopen(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	char *council_copy;
	struct paragraphs list;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	paragraphs_split(&list, story_council);
	council_copy = paragraphs_join(&list, 0, list.count - 1, "\n\n", "By Staff Reporter",
	    SIZE_MAX, NULL);

	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(judged_as(index, "c0ffee01", story_ferry, now, NULL));
	CHECK(judged_as(index, "c0ffee02", story_council, now, NULL));
	CHECK(judged_as(index, "short-1", "Ferry terminal reopens on Friday.", now, NULL));
	dedup_commit(index, "c0ffee01");
	dedup_commit(index, "short-1");
	dedup_commit(index, "no-such-id");	/* ignored */
	/* c0ffee02 is never delivered: it must not survive a restart. */
	dedup_close(index);

	index = open_index(directory, 0);
	CHECK(dedup_size(index) == 2);
	CHECK(judged_as(index, "copy-of-ferry", story_ferry_other_outlet, now + 5, NULL));
	{
		char *variants[8];
		const char *names[8];
		size_t made = make_variants(story_ferry, variants, names);

		CHECK(judged_as(index, "ferry-after-restart", variants[2], now + 5, "c0ffee01"));
		for (size_t i = 0; i < made; i++)
			free(variants[i]);
	}
	CHECK(judged_as(index, "short-2", "ferry terminal REOPENS on Friday", now + 5, "short-1"));
	CHECK(judged_as(index, "council-after-restart", council_copy, now + 5, NULL));
	dedup_close(index);

	free(council_copy);
	paragraphs_free(&list);
	remove_directory(directory);
}

static void
test_persistence_sigkill(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	int status = 0;
	pid_t child;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	fflush(NULL);
	child = fork();
	if (child == 0) {
		index = open_index(directory, 0);
		if (index == NULL)
			_exit(2);
		if (!judged_as(index, "deadbeef", story_council, now, NULL))
			_exit(3);
		dedup_commit(index, "deadbeef");
		dedup_flush(index);
		judged_as(index, "uncommitted", story_ferry, now, NULL);
		judged_as(index, "committed-not-flushed", story_ferry_other_outlet, now, NULL);
		dedup_commit(index, "committed-not-flushed");
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	CHECK(child > 0);
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	index = open_index(directory, 0);
	CHECK(dedup_size(index) == 1);
	{
		char *copy = with_typos(story_council, 3, 5);

		CHECK(judged_as(index, "council-copy", copy, now + 1, "deadbeef"));
		free(copy);
	}
	CHECK(judged_as(index, "ferry-again", story_ferry, now + 1, NULL));
	/* Committed but never flushed: lost with the process, so judged afresh. */
	CHECK(judged_as(index, "other-outlet-again", story_ferry_other_outlet, now + 1, NULL));
	dedup_close(index);
	remove_directory(directory);
}

static void
append_bytes(const char *directory, const void *bytes, size_t length)
{
	char *log = xasprintf("%s/dedup.log", directory);
	int fd = open(log, O_WRONLY | O_APPEND);

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, bytes, length) == (ssize_t)length);
		close(fd);
	}
	free(log);
}

static void
truncate_log(const char *directory, off_t size)
{
	char *log = xasprintf("%s/dedup.log", directory);

	CHECK(truncate(log, size) == 0);
	free(log);
}

static void
test_persistence_corrupt_tail(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	off_t after_first, after_second;
	static const unsigned char garbage[] = { 0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	index = open_index(directory, 0);
	CHECK(judged_as(index, "0001", story_ferry, now, NULL));
	dedup_commit(index, "0001");
	CHECK(file_size(directory) == 32);	/* queued: only the header is written */
	dedup_flush(index);
	after_first = file_size(directory);
	CHECK(judged_as(index, "0002", story_council, now, NULL));
	dedup_commit(index, "0002");
	dedup_flush(index);
	after_second = file_size(directory);
	CHECK(after_second > after_first);
	dedup_close(index);

	/* A torn last record (cut mid-way) is dropped; the first one survives. */
	truncate_log(directory, after_second - 20);
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 1);
	CHECK(file_size(directory) == after_first);
	CHECK(judged_as(index, "0003", story_council, now + 1, NULL));
	dedup_commit(index, "0003");
	dedup_close(index);

	/* Garbage after valid records: dropped, and appends after it stay readable. */
	append_bytes(directory, garbage, sizeof garbage);
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 2);
	CHECK(judged_as(index, "0004", story_council, now + 2, "0003"));
	dedup_close(index);

	/* A flipped byte inside a record fails its checksum: that record and the rest go. */
	{
		char *log = xasprintf("%s/dedup.log", directory);
		int fd = open(log, O_RDWR);
		unsigned char byte = 0;

		CHECK(fd >= 0);
		CHECK(pread(fd, &byte, 1, after_first + 60) == 1);
		byte ^= 0x55;
		CHECK(pwrite(fd, &byte, 1, after_first + 60) == 1);
		close(fd);
		free(log);
	}
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 1);
	dedup_close(index);

	/* Other sketch settings cannot use the log: start afresh, do not fail. */
	{
		struct dedup_config config;
		char error[256];

		dedup_config_defaults(&config);
		config.state_dir = directory;
		config.signature_size = 64;
		config.bands = 16;
		index = dedup_open(&config, error, sizeof error);
		CHECK(index != NULL);
		CHECK(index != NULL && dedup_size(index) == 0);
		dedup_close(index);
	}
	remove_directory(directory);
}

/* Judge and commit `count` random one-paragraph documents at time when. */
static void
judge_and_commit(struct dedup_index *index, int first_number, int count, time_t when)
{
	for (int i = first_number; i < first_number + count; i++) {
		char id[32];
		char *document = random_document(1, 40);
		struct article *article;

		snprintf(id, sizeof id, "%08x", i);
		article = judge(index, id, document, when);
		CHECK(article->dedup.status == DEDUP_UNIQUE);
		dedup_commit(index, id);
		article_free(article);
		free(document);
	}
}

static void
test_persistence_expiry_and_compaction(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	long long window = 3600;
	off_t full, compacted, full_at_start;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	/* At start-up: 100 recent entries and 2000 from two windows ago. */
	index = open_index(directory, window);
	judge_and_commit(index, 0, 100, now - 10);
	judge_and_commit(index, 100, 2000, now - 2 * window);
	full = full_at_start = file_size(directory);
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 100);
	compacted = file_size(directory);
	CHECK(compacted < full / 10);	/* most of it had expired */
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 100);
	CHECK(file_size(directory) == compacted);

	/* At run time: once the old generations go, the log is rewritten without them. */
	judge_and_commit(index, 3000, 2000, now - 10);
	full = file_size(directory);
	judge_and_commit(index, 6000, 1, now + 2 * window);
	CHECK(file_size(directory) < full / 10);
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 1);
	dedup_close(index);
	printf("compaction: %lld bytes of log down to %lld at start-up\n",
	    (long long)full_at_start, (long long)compacted);
	remove_directory(directory);
}

static void
test_window_expiry(void)
{
	struct dedup_index *index = open_index(NULL, 3600);
	time_t start = 1750000000;
	size_t largest = 0;
	char *copy = with_typos(story_ferry, 2, 9);

	CHECK(judged_as(index, "ferry", story_ferry, start, NULL));
	CHECK(judged_as(index, "copy-in-window", copy, start + 3000, "ferry"));
	/* Past the window of the original, the copy still matches the copy seen since and the
	 * group keeps the first article's id; once both are old, nothing matches. */
	CHECK(judged_as(index, "copy-after-window", copy, start + 3601, "ferry"));
	CHECK(judged_as(index, "copy-much-later", copy, start + 3 * 3600, NULL));
	CHECK(dedup_size(index) <= 2);

	/* A steady stream: the index holds at most a window and a slice of it. */
	for (int i = 0; i < 20000; i++) {
		char id[32];
		char *document = random_document(1, 35);
		struct article *article;

		snprintf(id, sizeof id, "stream-%d", i);
		article = judge(index, id, document, start + 4 * 3600 + i);
		article_free(article);
		free(document);
		if (dedup_size(index) > largest)
			largest = dedup_size(index);
	}
	printf("window: 20000 articles at 1/s through a 3600 s window, at most %zu held\n",
	    largest);
	CHECK(largest <= 3600 + 3600 / 8 + 1);
	CHECK(dedup_size(index) >= 3600);
	free(copy);
	dedup_close(index);
}

static void
test_config_errors(void)
{
	struct dedup_config config;
	char error[256] = "";

	dedup_config_defaults(&config);
	CHECK(config.shingle_size == 5 && config.signature_size == 128 && config.bands == 16);
	CHECK(config.threshold == 0.5 && config.containment_threshold == 0.8);
	CHECK(config.min_words == 30 && config.window_seconds == 72 * 3600);
	CHECK(config.policy == DEDUP_POLICY_ROUTE && config.state_dir == NULL);
	config.bands = 24;
	CHECK(dedup_open(&config, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "bands");
	dedup_config_defaults(&config);
	config.state_dir = "/proc/wiresift-no-such-dir/x";
	CHECK(dedup_open(&config, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "state_dir");
}

int
main(void)
{
	log_init(getenv("TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	RUN(test_normalize_equivalences);
	RUN(test_normalize_ascii_reference);
	RUN(test_sketch_estimates);
	RUN(test_written_wire_stories);
	RUN(test_verdict_fields);
	RUN(test_too_short);
	RUN(test_property_random_documents);
	RUN(test_sketched_elsewhere_judged_alike);
	RUN(test_duplicate_of_duplicate);
	RUN(test_seed_variants);
	RUN(test_persistence_commit_and_reopen);
	RUN(test_persistence_sigkill);
	RUN(test_persistence_corrupt_tail);
	RUN(test_persistence_expiry_and_compaction);
	RUN(test_window_expiry);
	RUN(test_config_errors);
	return check_finish();
}
