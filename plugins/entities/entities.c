/*
 * entities.c - the "entities" tagger plugin: people, organisations, places and other named
 * things mentioned in an article's title and text, with how often each is mentioned.
 *
 * Known names come from gazetteers (conf/gazetteers/: one name per line per type, plus an
 * aliases file mapping other spellings to a name).  Each name is split into case-folded
 * words and indexed by its first word, so matching a text is one hash look-up per
 * capitalized word followed by a comparison of the few candidate names starting there,
 * longest first.  Capitalized phrases of 2-4 words that no gazetteer knows are reported too,
 * typed "person" after a title (President, Manager, ...), "organization" or "place" from
 * their last word (Ministry, Airport, ...), else "other"; a leading title or group of people
 * ("Residents of ...") is not part of them.  Once a person's full name has been seen, a
 * mention of the surname alone counts for that person.  Such names are taken from the text
 * only (titles are often in Title Case), then counted in the title's capitalized runs too:
 * count is the mentions in title + text.
 *
 * Every word the plugin knows something about (a stop word, a title, a name ending, any word
 * of a known name) has a lexicon id, an entry in a dense array and a slot in a compact hash
 * table (gazetteer.c compiles them once the word lists and gazetteers are loaded), and the
 * known names starting with a word are listed under its entry with their words as ids: a
 * token type (a distinct written form of the article) is folded and looked up once, when the
 * matching first asks about one of its words (once per form and generation when the host
 * gives stable form ids: the id is remembered by form id), and a name's words are compared by
 * id, not as strings.  Memory touched, not instructions, is what matching costs: little of it (a 4-byte
 * id per type of the article, a few small dense arrays).  The words that cannot start a name
 * (neither capitalized nor a number: most of them) are passed over: one pass without a branch
 * on the tokens lists those that may (text_mark), and the matching goes from one to the next;
 * the lines of a text are found from its newlines, looked for in the bytes.  A word alone is
 * looked for among the article's surnames only when one may be it (the tally's surname bits).
 * The article's mentions are kept in the instance's state (its tally, tally.c), reused from
 * article to article: known names point at the gazetteer's, only phrases of the text are copied.
 *
 * Thread-compatible: all it changes while processing is in its own state (one instance per
 * thread); the word lists are const.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "plugin_api.h"
#include "entities.h"

#define UNKNOWN_MAX_WORDS	4

static const struct ws_option entities_options[] = {
	{ "people", "gazetteers/people.txt", "names of people, one a line",
	    WS_OPTION_PATH, offsetof(struct entities_state, people_path) },
	{ "organizations", "gazetteers/organizations.txt", "names of organisations",
	    WS_OPTION_PATH, offsetof(struct entities_state, organizations_path) },
	{ "places", "gazetteers/places.txt", "names of places",
	    WS_OPTION_PATH, offsetof(struct entities_state, places_path) },
	{ "other", "gazetteers/other.txt", "agreements, events and other named things",
	    WS_OPTION_PATH, offsetof(struct entities_state, other_path) },
	{ "aliases", "gazetteers/aliases.txt", "ALIAS = NAME lines",
	    WS_OPTION_PATH, offsetof(struct entities_state, aliases_path) },
	{ "detect_unknown", "yes", "also report capitalized phrases no gazetteer knows",
	    WS_OPTION_BOOL, offsetof(struct entities_state, detect_unknown) },
	{ NULL, NULL, NULL, 0, 0 }
};

/* ---- matching a text ---- */

/* A token type's folded form (the lexicon's key for it): words_fold and words_hash. */
struct type_fold {
	uint64_t	 hash;
	uint32_t	 length;
	char		 folded[TOKEN_BYTES];
};

/* The line being scanned and its tokens (offsets into text). */
struct line {
	const struct entities_state *state;
	const char	*text;
	const struct ws_token *tokens;
	size_t		 count;
	uint32_t	*type_ids;	/* the state's: each type's lexicon id, or TYPE_UNSEEN */
	struct type_fold *folds;
	size_t		 base;		/* tokens[0]'s place in the title, then the text */
	int		 in_title;	/* unknown runs wait for the text's names (title_mentions) */
	/* the text's tokens that may start a name (text_mark), by index in the text, then its
	 * token count; next: the first not yet passed; first: tokens[0]'s index in the text */
	const uint32_t	*starts;
	size_t		 next;
	size_t		 first;
};

/* Fold a token's type into line->folds (once per type and article). */
static void
type_fold(struct line *line, const struct ws_token *token)
{
	struct type_fold *fold = &line->folds[token->type];

	fold->length = (uint32_t)words_fold_hash(line->text + token->start,
	    token->end - token->start, fold->folded, TOKEN_BYTES, &fold->hash);
	line->state->type_folded[token->type] = 1;
}

/*
 * A token's type looked up: once per type and article, and once per form and generation of
 * the host's stable form ids when it gives them (the lexicon is const: a form's id stays
 * true), so most types cost an array read, not a fold, a hash and two cold probes.
 */
static __attribute__((noinline)) uint32_t
type_prepare(struct line *line, const struct ws_token *token)
{
	const struct entities_state *state = line->state;
	void **by_form = state->form_lex != NULL ? &state->form_lex[state->form_ids[token->type]] :
	    NULL;
	const struct type_fold *fold = &line->folds[token->type];
	uint32_t id;

	if (by_form != NULL && *by_form != NULL)
		return line->type_ids[token->type] = (uint32_t)((uintptr_t)*by_form - 1);
	type_fold(line, token);
	id = lexicon_find(state, fold->folded, fold->length, fold->hash);
	if (by_form != NULL)
		*by_form = (void *)((uintptr_t)id + 1);
	return line->type_ids[token->type] = id;
}

/* The lexicon id of token at (0: a word the lexicon does not know). */
static inline uint32_t
token_id(struct line *line, size_t at)
{
	uint32_t id = line->type_ids[line->tokens[at].type];

	return id != TYPE_UNSEEN ? id : type_prepare(line, &line->tokens[at]);
}

/* What token at is: its lexicon entry (entries[0] for a word it does not know). */
static inline const struct lexicon_entry *
token_at(struct line *line, size_t at)
{
	return &line->state->entries[token_id(line, at)];
}

/* Token at folded. */
static inline const struct type_fold *
token_fold(struct line *line, size_t at)
{
	if (!line->state->type_folded[line->tokens[at].type])
		type_fold(line, &line->tokens[at]);
	return &line->folds[line->tokens[at].type];
}

static int
token_is(struct line *line, size_t at, unsigned word_class)
{
	return (token_at(line, at)->classes & word_class) != 0;
}

/* A capitalized or all-capitals word, or a number: what a known name can start with. */
static inline int
starts_name(const struct line *line, size_t at)
{
	const struct ws_token *token = &line->tokens[at];

	return (token->capitalized | token->all_upper) != 0 ||
	    (unsigned)((unsigned char)line->text[token->start] - '0') < 10;
}

/*
 * The longest known name written at token at: its index in state->candidates; -1 when none.
 * Every word of a known name has a lexicon id: a token is that word when it has that id.
 */
static long
match_known(struct line *line, size_t at)
{
	const struct entities_state *state = line->state;
	const struct lexicon_entry *entry;

	if (!starts_name(line, at))
		return -1;
	entry = token_at(line, at);
	for (uint32_t i = 0; i < entry->candidate_count; i++) {
		const struct candidate *candidate = &state->candidates[entry->candidates + i];
		const uint32_t *words = &state->candidate_words[candidate->words];
		size_t k;

		if (at + candidate->word_count > line->count ||
		    ((words[0] & CANDIDATE_UPPER) && !line->tokens[at].all_upper))
			continue;
		/* its first word is the word at: the list is the lexicon's entry for it */
		for (k = 1; k < candidate->word_count; k++) {
			if (token_id(line, at + k) != (words[k] & ~CANDIDATE_UPPER))
				break;
			if ((words[k] & CANDIDATE_UPPER) && !line->tokens[at + k].all_upper)
				break;
		}
		if (k == candidate->word_count)
			return (long)(entry->candidates + i);
	}
	return -1;
}

static const char *
guess_type(struct line *line, size_t first, size_t last, int after_title)
{
	const struct entities_state *state = line->state;
	uint32_t first_word = token_id(line, first);

	if (after_title)
		return "person";
	if (token_is(line, last, WORD_ORGANIZATION_END) || first_word == state->ministry_id ||
	    first_word == state->university_id || first_word == state->department_id)
		return "organization";
	if (token_is(line, last, WORD_PLACE_END))
		return "place";
	return "other";
}

/*
 * A trimmed phrase of unknown words, tokens [first, end): a single word counts for the person
 * whose surname it is; 2-4 words (when detecting) are reported under their own spelling.
 */
static void
unknown_phrase(struct tally *tally, struct line *line, size_t first, size_t end, int detect,
    int after_title)
{
	const struct ws_token *tokens = line->tokens;
	size_t words = 0, length;
	char name[256];
	long surname;

	if (end - first == 1) {
		const struct type_fold *fold;

		if (tally->surname_bits == 0)
			return;	/* no surname to be: the word is not folded */
		fold = token_fold(line, first);
		if ((surname = surname_find(tally, fold->folded, fold->hash)) >= 0)
			tally_mention(tally, (size_t)surname, line->base + first);
		return;
	}
	for (size_t i = first; i < end; i++) {
		if (token_is(line, i, WORD_STOP | WORD_TITLE))
			return;
		if (!token_is(line, i, WORD_CONNECTOR))
			words++;
	}
	if (!detect || words < 2 || words > UNKNOWN_MAX_WORDS)
		return;
	length = tokens[end - 1].end - tokens[first].start;
	if (length >= sizeof(name))
		return;
	memcpy(name, line->text + tokens[first].start, length);
	name[length] = '\0';
	tally_add(tally, name, words_hash(name), NULL, guess_type(line, first, end - 1, after_title),
	    line->base + first);
}

/*
 * A run of capitalized words that no gazetteer knows, tokens [first, end): drop titles,
 * groups of people ("Residents"), stop words and connectors at its start, and all but the
 * groups at its end.  "X of Y" stays one name only when X is an organisation or a place
 * ("Ministry of Fisheries", "Bay of ..."); else X and Y are phrases of their own
 * ("Petra Vesk of Saltmere").
 */
static void
unknown_report(struct tally *tally, struct line *line, size_t first, size_t end, int detect)
{
	int after_title = first > 0 && token_is(line, first - 1, WORD_TITLE);
	const char *head_type;

	while (first < end && token_is(line, first,
	    WORD_TITLE | WORD_GROUP | WORD_STOP | WORD_CONNECTOR)) {
		after_title |= token_is(line, first, WORD_TITLE);
		first++;
	}
	while (end > first && token_is(line, end - 1, WORD_STOP | WORD_CONNECTOR | WORD_TITLE))
		end--;
	if (first == end)
		return;
	for (size_t of = first + 1; of + 1 < end; of++) {
		if (token_id(line, of) != line->state->of_id)
			continue;
		head_type = guess_type(line, first, of - 1, 0);
		if (strcmp(head_type, "organization") == 0 || strcmp(head_type, "place") == 0)
			break;
		unknown_phrase(tally, line, first, of, detect, after_title);
		unknown_report(tally, line, of + 1, end, detect);
		return;
	}
	unknown_phrase(tally, line, first, end, detect, after_title);
}

/* Where a run of capitalized words starting at token first ends (exclusive). */
static size_t
run_end(struct line *line, size_t first)
{
	const struct ws_token *tokens = line->tokens;
	size_t end = first + 1;

	while (end < line->count && !tokens[end].after_punctuation) {
		if (tokens[end].capitalized) {
			if (match_known(line, end) >= 0)
				break;
			end++;
		} else if (end + 1 < line->count && tokens[end + 1].capitalized &&
		    !tokens[end + 1].after_punctuation && token_is(line, end, WORD_CONNECTOR))
			end++;	/* its flags first: most words are looked up for nothing else */
		else
			break;
	}
	return end;
}

/* A headline-like line ("Also Read: Trump's Bold Push to ...") capitalizes most words:
 * capitalized of its count words. */
static int
is_title_case(size_t capitalized, size_t count)
{
	return count >= 4 && capitalized * 10 > count * 6;
}

/* One paragraph (or the title), its tokens: known names, then unknown capitalized phrases. */
static void
scan_line(struct line *line, struct tally *tally, int detect)
{
	const struct entities_state *state = line->state;
	size_t at = 0;

	for (;;) {
		long pattern;

		/* most words start nothing: on to the next one that may (text_mark) */
		while (line->starts[line->next] < line->first + at)
			line->next++;
		if ((at = line->starts[line->next] - line->first) >= line->count)
			return;
		pattern = match_known(line, at);

		if (pattern >= 0) {
			const struct candidate *found = &state->candidates[pattern];

			tally_add_known(tally, &state->names[found->name_index], line->base + at);
			at += found->word_count;
		} else if (line->tokens[at].capitalized) {
			size_t end = run_end(line, at);

			if (line->in_title)
				title_run_add(tally, line->base + at, line->base + end);
			else
				unknown_report(tally, line, at, end, detect);
			at = end;
		} else
			at++;
	}
}

/*
 * The tokens of a text that may start a name (starts_name) into state->starts, by index, its
 * token count after them: one pass without a branch on the tokens (one would mispredict).
 */
static void
text_mark(struct entities_state *state, const struct ws_token_text *text)
{
	const struct ws_token *tokens = text->tokens;
	size_t starts = 0;

	for (size_t i = 0; i < text->count; i++) {
		unsigned digit = (unsigned)((unsigned char)text->text[tokens[i].start] - '0') < 10;

		state->starts[starts] = (uint32_t)i;
		starts += ((tokens[i].capitalized | tokens[i].all_upper) != 0) | digit;
	}
	state->starts[starts] = (uint32_t)text->count;
}

/*
 * The first of the tokens (first, count) that starts after byte offset (count: none): a
 * binary search whose steps are conditional moves, not branches (they would mispredict).
 */
static size_t
token_after(const struct ws_token_text *text, size_t first, size_t offset)
{
	const struct ws_token *at = text->tokens + first + 1;
	size_t left = text->count - first - 1;

	while (left > 1) {
		size_t half = left / 2;

		at = at[half].start <= offset ? at + half : at;
		left -= half;
	}
	return (size_t)(at - text->tokens) + (left == 1 && at->start <= offset);
}

/*
 * Where the line starting at token first ends (exclusive): at the next token that starts a
 * sentence with a newline in the gap before it, else at the text's end.  The newlines are
 * looked for in the bytes (a few a text), not token by token.
 */
static size_t
line_end(const struct ws_token_text *text, size_t first)
{
	size_t offset = text->tokens[first].end;
	const char *newline;

	while (offset < text->length &&
	    (newline = memchr(text->text + offset, '\n', text->length - offset)) != NULL) {
		size_t at = (size_t)(newline - text->text), next = token_after(text, first, at);

		if (next >= text->count)
			break;
		if (text->tokens[next].sentence_start && text->tokens[next - 1].end <= at)
			return next;
		offset = text->tokens[next].start;
	}
	return text->count;
}

/* The capitalized tokens of a line: among its tokens that may start a name (state->starts). */
static size_t
line_capitalized(const struct line *line)
{
	size_t capitalized = 0;

	for (size_t s = line->next; line->starts[s] < line->first + line->count; s++)
		capitalized += line->tokens[line->starts[s] - line->first].capitalized;
	return capitalized;
}

/*
 * Each line of a text on its own (a paragraph, or the title): the tokens between newlines,
 * each line's capitalized words counted before it is scanned (is_title_case).
 */
static void
scan_text(struct entities_state *state, struct tally *tally, const struct ws_token_text *text,
    int detect, size_t base, int in_title)
{
	struct line line = { state, text->text, text->tokens, 0, state->type_ids, state->folds,
	    base, in_title, state->starts, 0, 0 };
	size_t first = 0, end;

	text_mark(state, text);
	for (; first < text->count; first = end) {
		end = line_end(text, first);
		line.tokens = text->tokens + first;
		line.count = end - first;
		line.base = base + first;
		line.first = first;
		scan_line(&line, tally, detect && !is_title_case(line_capitalized(&line),
		    end - first));
	}
}

/* How many words of the name of entry are written at token at (before end); 0: none. */
static size_t
entry_written_at(const struct tally_entry *entry, struct line *line, size_t at, size_t end)
{
	size_t length, position = 0, words = 0;
	struct word word;
	char folded[TOKEN_BYTES];
	unsigned char first = (unsigned char)entry->name[0];

	/* a name starting with an ASCII letter or digit starts with that word, folded */
	if (first < 0x80 && words_ascii_is_word(first) &&
	    (first >= 'A' && first <= 'Z' ? first + 32 : first) !=
	    (unsigned char)token_fold(line, at)->folded[0])
		return 0;
	length = strlen(entry->name);
	while (words_next(entry->name, length, &position, &word)) {
		if (at + words >= end)
			return 0;
		words_fold(entry->name + word.start, word.end - word.start, folded,
		    sizeof(folded));
		if (strcmp(folded, token_fold(line, at + words)->folded) != 0)
			return 0;
		words++;
	}
	return words;
}

/*
 * The title's unknown runs, once the text is scanned: each longest name of the tally written
 * there, and each surname of a person, is one more mention.
 */
static void
title_mentions(struct entities_state *state, struct tally *tally,
    const struct ws_token_text *title)
{
	struct line line = { state, title->text, title->tokens, title->count, state->type_ids,
	    state->folds, 0, 1, NULL, 0, 0 };

	for (size_t r = 0; r < tally->title_run_count; r++) {
		size_t at = tally->title_runs[r].first, end = tally->title_runs[r].end;

		while (at < end) {
			size_t best = 0, best_words = 0, words;
			const struct type_fold *fold;
			long surname;

			for (size_t i = 0; i < tally->count; i++) {
				words = entry_written_at(&tally->entries[i], &line, at, end);
				if (words > best_words) {
					best = i;
					best_words = words;
				}
			}
			if (best_words > 0) {
				tally_mention(tally, best, at);
				at += best_words;
				continue;
			}
			fold = token_fold(&line, at);
			if ((surname = surname_find(tally, fold->folded, fold->hash)) >= 0)
				tally_mention(tally, (size_t)surname, at);
			at++;
		}
	}
}

/* state->type_ids ready for the article's token types, none looked up; -1 when out of memory. */
static int
types_reset(struct entities_state *state, size_t count)
{
	if (state->type_capacity < count) {
		size_t capacity = count * 2;
		uint32_t *ids = realloc(state->type_ids, capacity * sizeof(*ids));
		struct type_fold *folds;

		unsigned char *folded;

		if (ids == NULL)
			return -1;
		state->type_ids = ids;
		if ((folded = realloc(state->type_folded, capacity)) == NULL)
			return -1;
		state->type_folded = folded;
		if ((folds = realloc(state->folds, capacity * sizeof(*folds))) == NULL)
			return -1;
		state->folds = folds;
		state->type_capacity = capacity;
	}
	memset(state->type_ids, 0xff, count * sizeof(*state->type_ids));	/* TYPE_UNSEEN */
	memset(state->type_folded, 0, count);
	return 0;
}

/* state->starts room for a text of count tokens; -1 when out of memory. */
static int
marks_reserve(struct entities_state *state, size_t count)
{
	uint32_t *starts;

	if (count < state->mark_capacity)
		return 0;
	if ((starts = realloc(state->starts, (count * 2 + 1) * sizeof(*starts))) == NULL)
		return -1;
	state->starts = starts;
	state->mark_capacity = count * 2 + 1;
	return 0;
}

static int
entities_process(void *state_pointer, struct article *article, const struct ws_tokens *tokens)
{
	struct entities_state *state = state_pointer;
	struct tally *tally = state->tally;

	if (types_reset(state, tokens->type_count) == -1 || marks_reserve(state,
	    tokens->title.count > tokens->text.count ? tokens->title.count : tokens->text.count) == -1)
		return -1;
	state->form_lex = NULL;
	state->form_ids = NULL;
	if (ws_tokens_have_form_ids(tokens)) {
		state->form_lex = (void **)form_index_ready(&state->by_form,
		    tokens->form_generation, tokens->form_id_count);
		state->form_ids = tokens->form_ids;
	}
	/*
	 * Titles are often in Title Case: no new names are taken from them, but a name the text
	 * gives ("Kestrel Gorge Dam", a surname) is counted in the title too.
	 */
	scan_text(state, tally, &tokens->title, 0, 0, 1);
	scan_text(state, tally, &tokens->text, state->detect_unknown, tokens->title.count, 0);
	title_mentions(state, tally, &tokens->title);
	if (tally->failed) {
		tally_clear(tally);
		return -1;	/* a mention was dropped: no partial tags */
	}
	entries_sort(tally);
	for (size_t i = 0; i < tally->count; i++)
		article_add_entity(article, tally->entries[i].name, tally->entries[i].type,
		    tally->entries[i].count);
	tally_clear(tally);
	return 0;
}

static void entities_fini(void *state_pointer);

static int
entities_init(void *state_pointer, char *error, size_t error_size)
{
	struct entities_state *state = state_pointer;

	if ((state->tally = calloc(1, sizeof(*state->tally))) == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	if (entities_gazetteers_load(state, error, error_size) == -1) {
		entities_fini(state);
		return -1;
	}
	return 0;
}

static void
entities_fini(void *state_pointer)
{
	struct entities_state *state = state_pointer;

	entities_gazetteers_free(state);
	if (state->tally != NULL)
		tally_free(state->tally);
	free(state->tally);
	state->tally = NULL;
	free(state->type_ids);
	state->type_ids = NULL;
	free(state->type_folded);
	state->type_folded = NULL;
	form_index_free(&state->by_form);
	free(state->folds);
	state->folds = NULL;
	state->type_capacity = 0;
	free(state->starts);
	state->starts = NULL;
	state->mark_capacity = 0;
}

static const struct ws_plugin entities_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "entities",
	.description = "people, organisations and places from gazetteers and capitalization",
	.options = entities_options,
	.state_size = sizeof(struct entities_state),
	.init = entities_init,
	.fini = entities_fini,
	.process_tokens = entities_process,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &entities_plugin;
}
