/*
 * test_tokens_forms.c - the stable form ids of the token stream (daemon/token_forms.c,
 * ws_tokens.form_ids): over random articles of one stream, the same written form gets the
 * same id in every article of a generation and different forms different ids (checked
 * against a plain record of every form seen, by id, kept here); ids stay below form_id_count
 * and the limit; a stream that outgrows its limit starts over with a new generation, never
 * splitting an article between two; an article with more forms than the limit gets none.
 * Long forms that share their first 16 bytes are told apart.  Every type's hash, which the
 * table keeps with the form and hands on when it meets the form again, is words_hash of its
 * form, in every article, after a restart and in an article that gets no ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../plugins/words.h"
#include "token_forms.h"
#include "tokens.h"
#include "util.h"

#define RANDOM_SEED 0x5eed4f0aULL
#include "xorshift.h"

#define LIMIT	500

/* Every form seen in the current generation, by id (what the stream must agree with). */
struct record {
	char		*by_id[LIMIT];
	uint32_t	 generation;
	unsigned	 restarts;
};

static void
record_clear(struct record *record)
{
	for (size_t i = 0; i < LIMIT; i++) {
		free(record->by_id[i]);
		record->by_id[i] = NULL;
	}
}

/* Whether every type's hash is words_hash of its written form (the plain reference). */
static int
hashes_right(const struct ws_tokens *tokens)
{
	for (size_t i = 0; i < tokens->type_count; i++)
		if (tokens->types[i].hash != words_hash(tokens->types[i].written))
			return 0;
	return 1;
}

/* One article's ids (and hashes) against the record: 1 when they agree. */
static int
record_check(struct record *record, const struct ws_tokens *tokens)
{
	int same = ws_tokens_have_form_ids(tokens) && tokens->form_generation != 0 &&
	    tokens->form_id_count <= LIMIT && hashes_right(tokens);

	if (!same)
		return 0;
	if (tokens->form_generation != record->generation) {
		record_clear(record);
		record->restarts += record->generation != 0;
		record->generation = tokens->form_generation;
	}
	for (size_t i = 0; same && i < tokens->type_count; i++) {
		uint32_t id = tokens->form_ids[i];
		const char *written = tokens->types[i].written;

		same = id < tokens->form_id_count;
		if (same && record->by_id[id] == NULL) {
			/* a new id: no other id of the generation may hold this form */
			for (size_t k = 0; same && k < LIMIT; k++)
				same = record->by_id[k] == NULL || strcmp(record->by_id[k], written) != 0;
			record->by_id[id] = xstrdup(written);
		} else if (same)
			same = strcmp(record->by_id[id], written) == 0;
	}
	return same;
}

/* A text of words drawn from a vocabulary of `words`: w0 ... , some capitalised, some long
 * ("internationalisation" plus a letter: the same first 16 bytes). */
static char *
random_text(unsigned words, unsigned count)
{
	struct buffer text = { 0 };
	char word[48];

	for (unsigned i = 0; i < count; i++) {
		unsigned pick = next_random(words);

		if (pick % 10 == 9)
			snprintf(word, sizeof(word), "internationalisation%c%u ",
			    'a' + pick % 26, pick);
		else
			snprintf(word, sizeof(word), "%s%u%s", pick % 4 == 0 ? "W" : "w", pick,
			    i % 11 == 10 ? ". " : " ");
		buffer_append_string(&text, word);
	}
	buffer_append(&text, "", 1);
	return text.data;
}

static void
run_articles(struct token_stream *stream, struct record *record, unsigned words,
    unsigned articles)
{
	int same = 1;

	for (unsigned i = 0; i < articles; i++) {
		char *title = random_text(words, 3), *text = random_text(words, 40 + next_random(80));
		const struct ws_tokens *tokens = token_stream_build(stream, title, text);

		same &= record_check(record, tokens);
		free(title);
		free(text);
	}
	CHECK(same);
}

/* Few forms: one generation throughout, each form one id. */
static void
test_ids_stable_across_articles(void)
{
	struct token_stream *stream;
	struct record record = { .generation = 0 };
	const struct ws_tokens *tokens;
	uint32_t first_id;

	token_streams_form_limit(LIMIT);
	stream = token_stream_new();
	tokens = token_stream_build(stream, "Harbour ferry", "harbour Ferry ferry");
	CHECK(ws_tokens_have_form_ids(tokens) && tokens->type_count == 4);
	CHECK(record_check(&record, tokens));
	first_id = tokens->form_ids[1];		/* "ferry" */
	tokens = token_stream_build(stream, NULL, "vote ferry council");
	CHECK(record_check(&record, tokens) && tokens->form_ids[1] == first_id);
	CHECK(tokens->form_ids[0] != first_id && tokens->form_ids[2] != first_id);
	run_articles(stream, &record, 200, 300);
	CHECK(record.restarts == 0);
	record_clear(&record);
	token_stream_free(stream);
	token_streams_form_limit(FORM_LIMIT_DEFAULT);
}

/* Many forms: the stream starts over, each time with a new generation, whole articles in one. */
static void
test_ids_restart_with_new_generation(void)
{
	struct token_stream *stream;
	struct record record = { .generation = 0 };
	const struct ws_tokens *tokens;
	char *huge;

	token_streams_form_limit(LIMIT);
	stream = token_stream_new();
	run_articles(stream, &record, 3000, 300);
	CHECK(record.restarts >= 5);
	/* more forms than the limit in one article: no ids for it, and the next one gets some */
	huge = random_text(1u << 20, 4 * LIMIT);
	tokens = token_stream_build(stream, NULL, huge);
	CHECK(tokens->type_count > LIMIT && !ws_tokens_have_form_ids(tokens) &&
	    tokens->form_generation == 0 && hashes_right(tokens));
	free(huge);
	run_articles(stream, &record, 3000, 20);
	record_clear(&record);
	token_stream_free(stream);
	token_streams_form_limit(FORM_LIMIT_DEFAULT);
}

int
main(void)
{
	RUN(test_ids_stable_across_articles);
	RUN(test_ids_restart_with_new_generation);
	return check_finish();
}
