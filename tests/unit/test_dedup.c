/*
 * test_dedup.c - near-duplicate detection: normalization, sketches, verdicts on wire-copy
 * variants (of the shared seed articles when present, and of stories written here), and
 * property tests over random documents; ids stored and read back. Persistence, window expiry
 * and bounded memory are test_dedup_persist.c's; the helpers both use are dedup_helpers.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "check.h"
#include "fixtures.h"
#include "log.h"
#include "dedup/dedup_internal.h"

#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "dedup_helpers.h"

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

/*
 * An id stored in a generation's arena (packed as bytes when it is lowercase hex of an even
 * length, else as it is) reads back as it was: every byte value next to a hex digit, both
 * sides of each range of digits ('/', '0', '9', ':', '`', 'a', 'f', 'g', upper case),
 * odd lengths, and ids of 64 hex digits, the bench articles' (a byte taken for a digit that
 * is not one, or the other way, reads back changed or unpacked).
 */
static void
test_ids_read_back(void)
{
	struct dedup_generation *generation = dedup_generation_new(1, 1024, 4, 16, 0);
	char id[80], back[200];
	size_t wrong = 0, packed = 0;

	for (int byte = 1; byte < 256; byte++) {
		for (int form = 0; form < 3; form++) {
			uint32_t offset;
			size_t before = generation->ids_length;

			if (form == 0)
				snprintf(id, sizeof id, "%c%c", byte, "0af9"[byte % 4]);
			else if (form == 1)
				snprintf(id, sizeof id, "ab%c", byte);
			else
				snprintf(id, sizeof id, "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcde%c", byte);
			offset = dedup_generation_add_id(generation, id);
			wrong += strcmp(dedup_generation_id(generation, offset, back, sizeof back),
			    id) != 0 || !dedup_generation_id_equals(generation, offset, id);
			/* packed: a length byte and half as many bytes as digits */
			packed += generation->ids_length - before == 1 + strlen(id) / 2;
		}
	}
	CHECK(wrong == 0);
	CHECK(packed == 2 * 16);	/* two forms of the 16 digits, none of the odd form */
	dedup_generation_free(generation);
}

int
main(void)
{
	log_init(getenv("TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	RUN(test_ids_read_back);
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
	return check_finish();
}
