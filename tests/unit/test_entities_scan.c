/*
 * test_entities_scan.c - the entities plugin's fast paths (plugins/entities/entities.c)
 * against plain reference versions of what they replace, as the plugin did it before them:
 * the tokens that may start a name (text_mark's branch-free list) against starts_name asked
 * token by token; the lines of a text (line_end: newlines looked for in the bytes, the token
 * after one found by a branch-free binary search) and their capitalized words
 * (line_capitalized, counted among the marked tokens) against a walk of every token that
 * looks for a newline in the gap before each sentence start; token_after against a linear
 * search; and surname_find's filter (the tally's surname bits) against the plain loop over the
 * tally's people.  Over generated texts: capitals, all-capitals, numbers, paragraph breaks,
 * newlines inside sentences, lines with no words.  Also grow_for_one (plugins/grow.h), the
 * plugins' array growth, against a plain array, and the tally's failure when it cannot grow.
 * Runs from the repo root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANDOM_SEED	0x5eed5ca7ULL

#include "check.h"
#include "xorshift.h"
#include "log.h"
#include "tokens.h"
#include "util.h"
#include "../../plugins/entities/entities.c"
#include "../../plugins/entities/gazetteer.c"
#include "../../plugins/entities/tally.c"

#define TEXTS	400

static const char *const pieces[] = {
	"the", "said", "on", "Monday", "talks", "with", "officials", "in", "of", "President",
	"Residents", "Ministry", "Kestrel", "Gorge", "Dam", "Petra", "Vesk", "Saltmere", "US",
	"NATO", "2024", "10,000", "7.1", "It's", "O'Brien", "\xc3\x89lodie", "Z\xc3\xbcrich",
	"river", "council", "voted", "\xe2\x80\x9cQuoted", "-", "(Reuters)",
};

static const char *const gaps[] = {
	" ", " ", " ", " ", ", ", ". ", ".\n\n", "\n", " \n ", ":\n", "\n\n\n", ". \n", "\t",
};

/* A text of count words and gaps drawn from the lists above. */
static void
generate(struct buffer *out, unsigned count)
{
	buffer_reset(out);
	if (next_random(4) == 0)
		buffer_append_string(out, "\n\n");
	for (unsigned i = 0; i < count; i++) {
		buffer_append_string(out, pieces[next_random(sizeof pieces / sizeof pieces[0])]);
		buffer_append_string(out, gaps[next_random(sizeof gaps / sizeof gaps[0])]);
	}
	buffer_append(out, "", 1);
}

/* Whether a newline separates the bytes [from, to). */
static int
has_newline_reference(const char *text, size_t from, size_t to)
{
	for (; from < to; from++)
		if (text[from] == '\n')
			return 1;
	return 0;
}

/* The plugin's lines as it found them before line_end: every token's gap looked at. */
static size_t
reference_line_end(const struct ws_token_text *text, size_t first, size_t *capitalized)
{
	const struct ws_token *tokens = text->tokens;
	size_t end;

	*capitalized = tokens[first].capitalized;
	for (end = first + 1; end < text->count; end++) {
		if (tokens[end].sentence_start &&
		    has_newline_reference(text->text, tokens[end - 1].end, tokens[end].start))
			break;
		*capitalized += tokens[end].capitalized;
	}
	return end;
}

static size_t
reference_token_after(const struct ws_token_text *text, size_t first, size_t offset)
{
	size_t at = first + 1;

	while (at < text->count && text->tokens[at].start <= offset)
		at++;
	return at;
}

/* The marked tokens are those starts_name takes, in order, then the token count. */
static int
marks_match(const struct entities_state *state, const struct ws_token_text *text)
{
	struct line line = { .text = text->text, .tokens = text->tokens, .count = text->count };
	size_t marked = 0;

	for (size_t i = 0; i < text->count; i++)
		if (starts_name(&line, i) && state->starts[marked++] != i)
			return 0;
	return state->starts[marked] == text->count;
}

/* Each line and its capitals as the reference finds them; 0 on the first difference. */
static int
lines_match(const struct entities_state *state, const struct ws_token_text *text,
    size_t *lines)
{
	struct line line = { .text = text->text, .tokens = text->tokens,
	    .starts = state->starts };
	size_t first = 0, capitalized;

	while (first < text->count) {
		size_t end = line_end(text, first);

		if (end != reference_line_end(text, first, &capitalized))
			return 0;
		line.tokens = text->tokens + first;
		line.count = end - first;
		line.first = first;
		if (line_capitalized(&line) != capitalized)
			return 0;
		/* as scan_line leaves it: at the first mark of the next line */
		while (state->starts[line.next] < end)
			line.next++;
		(*lines)++;
		first = end;
	}
	return 1;
}

static void
test_marks_and_lines(void)
{
	struct entities_state state = { 0 };
	struct token_stream *stream = token_stream_new();
	struct buffer text = { 0 };
	size_t lines = 0, differing_marks = 0, differing_lines = 0, differing_after = 0;

	for (unsigned n = 0; n < TEXTS; n++) {
		const struct ws_tokens *view;

		generate(&text, next_random(n % 10 == 0 ? 3 : 300));
		view = token_stream_build(stream, NULL, text.data);
		CHECK(marks_reserve(&state, view->text.count) == 0);
		text_mark(&state, &view->text);
		differing_marks += !marks_match(&state, &view->text);
		differing_lines += !lines_match(&state, &view->text, &lines);
		for (size_t first = 0; first < view->text.count; first++)
			for (unsigned k = 0; k < 4; k++) {
				size_t offset = next_random((unsigned)view->text.length + 2);

				differing_after += token_after(&view->text, first, offset) !=
				    reference_token_after(&view->text, first, offset);
			}
	}
	CHECK(differing_marks == 0);
	CHECK(differing_lines == 0);
	CHECK(differing_after == 0);
	CHECK(lines > TEXTS * 5);	/* the texts had lines to find */
	free(state.starts);
	buffer_free(&text);
	token_stream_free(stream);
}

/* surname_find without its filter: the plain loop over the tally's people. */
static long
reference_surname_find(const struct tally *tally, const char *folded, uint64_t hash)
{
	for (size_t i = 0; i < tally->count; i++)
		if (tally->entries[i].has_surname && tally->entries[i].surname_hash == hash &&
		    strcmp(tally->entries[i].surname, folded) == 0)
			return (long)i;
	return -1;
}

static void
test_surname_filter(void)
{
	static const char *const first_names[] = { "Petra", "Anna", "Jon", "Mara", "Ilse" };
	static const char *const last_names[] = {
		"Vesk", "Holm", "Brack", "Salt", "Moor", "Fenn", "Gorge", "Kestrel", "Ruud", "Alby",
		"Tarn", "Wick", "Dale", "Marsh", "Fold", "Crag", "Beck", "Gill", "Holt", "Lea",
	};
	struct tally tally = { 0 };
	size_t found = 0, differing = 0;

	for (unsigned n = 0; n < 200; n++) {
		unsigned people = next_random(12);

		tally_clear(&tally);
		for (unsigned p = 0; p < people; p++) {
			char name[64];

			snprintf(name, sizeof name, "%s %s",
			    first_names[next_random(sizeof first_names / sizeof first_names[0])],
			    last_names[next_random(sizeof last_names / sizeof last_names[0])]);
			tally_add(&tally, name, words_hash(name), NULL,
			    next_random(3) ? "person" : "place", p);
		}
		for (size_t l = 0; l < sizeof last_names / sizeof last_names[0]; l++) {
			char folded[TOKEN_BYTES];
			uint64_t hash;
			long got;

			words_fold_hash(last_names[l], strlen(last_names[l]), folded, sizeof folded,
			    &hash);
			got = surname_find(&tally, folded, hash);
			differing += got != reference_surname_find(&tally, folded, hash);
			found += got >= 0;
		}
	}
	CHECK(differing == 0);
	CHECK(found > 100);	/* surnames were there to find */
	tally_free(&tally);
}

/*
 * grow_for_one (plugins/grow.h, which tally.c and keywords.c grow their arrays with) against
 * a plain array of exactly as many items: the items kept in order through every move, the
 * capacity doubling from first, the new room zeroed; and a size that would overflow refused
 * with the array and capacity as they were.
 */
static void
test_grow_for_one(void)
{
	uint64_t *items = NULL, reference[1000];
	size_t capacity = 0, differing = 0, not_zeroed = 0, capacities_wrong = 0;
	struct title_run run = { 7, 9 }, *runs = &run;
	size_t run_capacity = SIZE_MAX / sizeof(run) / 2 + 1;
	struct tally tally = { 0 };

	for (size_t count = 0; count < 1000; count++) {
		uint64_t *grown = grow_for_one(items, &capacity, count, sizeof(*items), 4);

		CHECK(grown != NULL);
		if (grown == NULL)
			break;
		items = grown;
		capacities_wrong += capacity <= count || (capacity & (capacity - 1)) != 0;
		for (size_t i = count; i < capacity; i++)
			not_zeroed += items[i] != 0;
		reference[count] = items[count] = 0x9e3779b97f4a7c15ULL * (count + 1);
		for (size_t i = 0; i <= count; i++)
			differing += items[i] != reference[i];
	}
	CHECK(differing == 0);
	CHECK(not_zeroed == 0);
	CHECK(capacities_wrong == 0);
	CHECK(capacity == 1024);	/* 4, 8, ... 1024 */
	free(items);
	/* doubling run_capacity would not fit a size_t of bytes */
	CHECK(grow_for_one(runs, &run_capacity, run_capacity, sizeof(run), 8) == NULL);
	CHECK(run_capacity == SIZE_MAX / sizeof(run) / 2 + 1);
	CHECK(runs == &run && run.first == 7 && run.end == 9);
	/* the tally says so when a title run cannot be kept: the article fails, whole */
	tally.title_runs = runs;
	tally.title_run_count = tally.title_run_capacity = run_capacity;
	title_run_add(&tally, 1, 2);
	CHECK(tally.failed == 1);
	CHECK(tally.title_runs == &run && tally.title_run_count == run_capacity);
	tally.title_runs = NULL;
	tally.title_run_count = tally.title_run_capacity = 0;
	tally_clear(&tally);
	CHECK(tally.failed == 0);
	title_run_add(&tally, 1, 2);
	CHECK(tally.failed == 0 && tally.title_run_count == 1 && tally.title_runs[0].end == 2);
	tally_free(&tally);
}

int
main(void)
{
	log_init(LOG_LEVEL_WARNING);
	RUN(test_marks_and_lines);
	RUN(test_surname_filter);
	RUN(test_grow_for_one);
	return check_finish();
}
