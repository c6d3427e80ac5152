/*
 * topics.c - the "topics" tagger plugin: IPTC Media Topics top-level subjects ("politics",
 * "conflict", "economy", ...) by weighted term rules, written as slugs to article->topics.
 *
 * The rules file (conf/topics.rules) lists, per topic, terms with weights; terms may be
 * phrases.  Terms and article words are case-folded and stemmed with libstemmer's English
 * stemmer, and indexed by their first stem, so scoring an article is one hash look-up per
 * word.  A term found n times adds weight * (1 + ln n) to its topic (title words count
 * twice); a topic is kept when its score reaches its threshold and min_relative of the best
 * topic's score, best first, at most max_topics of them.
 *
 * News repeats its words: each written form seen is folded and stemmed once and kept, with the
 * terms its stem starts (at most FORMS_MAX forms, then the cache starts over), so an
 * article costs one look-up per distinct written form (per ABI-2 token type: an array read by
 * the host's stable form id, words.h's form_index, once the form has been met in the id's
 * generation, which gives the terms the form starts without reading its cached record, a
 * cold pointer away, whose stem is read only when a term's later stems are compared; else
 * most often one probe of a direct-mapped memo, words.h's word_memo, in front of the
 * cache), and each
 * word of the texts one array read: a word whose form starts no term (most of them) is
 * skipped at that; only the words that start a term are matched against the term's stems.
 * A term found is marked in a bitmap (hit_terms), so that scoring reads only the terms found,
 * in the order of the rules (the sums as adding every term's gives), logarithms of small hit
 * counts coming from a table.
 *
 * Thread-compatible: all it changes while processing is in its own state (one instance per
 * thread), the libstemmer stemmer included.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "article.h"
#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES	64
#define TITLE_WEIGHT	2
#define FORMS_MAX	50000	/* written forms cached */
#define HITS_LOGGED	64	/* logarithms of hit counts below this are kept */

struct topic {
	char	*slug;
	double	 threshold;
	double	 score;		/* scratch, per article */
};

struct term {
	char	**stems;
	size_t	  stem_count;
	size_t	  topic;
	double	  weight;
	double	  hits;		/* scratch, per article (title hits weighted); 0 between */
};

/* The terms starting with one stem. */
struct term_list {
	size_t	*terms;
	size_t	 count;
};

/* What one written form of a word stems to: cached. */
struct word_form {
	char			*stem;
	const struct term_list	*starts;	/* the terms starting with it, or NULL */
};

struct topics_state {
	/* options */
	char	*rules_path;
	long	 max_topics;
	double	 min_relative;
	char	*language;
	/* loaded */
	struct sb_stemmer *stemmer;
	struct topic *topics;
	size_t	 topic_count;
	struct term *terms;
	size_t	 term_count;
	struct word_table terms_by_first;	/* first stem -> struct term_list */
	struct word_table forms;		/* written form -> struct word_form */
	struct word_memo *memo;			/* in front of forms (WORD_MEMO_SLOTS) */
	struct form_index by_id;		/* stable form id -> struct word_form */
	struct form_index starts_by_id;		/* ... -> its starts (no_terms: none) */
	double	 log_of[HITS_LOGGED];		/* log(n), as log gives it */
	/* scratch for one article, reused */
	uint64_t *hit_terms;			/* bit i: terms[i] has hits (term_hit) */
	const struct word_form **type_forms;	/* of each token type (NULL: by form id) */
	const struct term_list **type_starts;	/* ... and the terms its stem starts, or NULL */
	void	**article_by_id;		/* by_id's values for this article, or NULL */
	const uint32_t *article_form_ids;	/* this article's form ids */
	size_t	 type_capacity;
};

static const struct ws_option topics_options[] = {
	{ "rules", "topics.rules", "topic rules file", WS_OPTION_PATH,
	    offsetof(struct topics_state, rules_path) },
	{ "max_topics", "3", "most topics given to one article", WS_OPTION_INT,
	    offsetof(struct topics_state, max_topics) },
	{ "min_relative", "0.3", "a topic needs this share of the best topic's score",
	    WS_OPTION_DOUBLE, offsetof(struct topics_state, min_relative) },
	{ "language", "en", "language of the rules; articles in another language are skipped",
	    WS_OPTION_STRING, offsetof(struct topics_state, language) },
	{ NULL, NULL, NULL, 0, 0 }
};

/* Fold and stem one word into out. */
static void
stem_word(struct topics_state *state, const char *text, size_t length, char *out,
    size_t out_size)
{
	char folded[TOKEN_BYTES];
	const sb_symbol *stem;

	words_fold(text, length, folded, sizeof(folded));
	stem = sb_stemmer_stem(state->stemmer, (const sb_symbol *)folded, (int)strlen(folded));
	snprintf(out, out_size, "%s", stem != NULL ? (const char *)stem : folded);
}

static void
word_form_free(void *value)
{
	struct word_form *form = value;

	if (form != NULL)
		free(form->stem);
	free(form);
}

static void
term_list_free(void *value)
{
	struct term_list *list = value;

	if (list != NULL)
		free(list->terms);
	free(list);
}

static int
term_index(struct topics_state *state, size_t index)
{
	void **slot = word_table_insert(&state->terms_by_first, state->terms[index].stems[0]);
	struct term_list *list;
	size_t *grown;

	if (slot == NULL)
		return -1;
	if (*slot == NULL && (*slot = calloc(1, sizeof(struct term_list))) == NULL)
		return -1;
	list = *slot;
	if ((grown = realloc(list->terms, (list->count + 1) * sizeof(size_t))) == NULL)
		return -1;
	list->terms = grown;
	list->terms[list->count++] = index;
	return 0;
}

/* Add one term (a word or phrase) of the current topic. */
static int
term_add(struct topics_state *state, const char *phrase, double weight)
{
	size_t length = strlen(phrase), position = 0;
	struct term term = { NULL, 0, state->topic_count - 1, weight, 0 };
	char stem[TOKEN_BYTES];
	struct word word;
	struct term *grown;

	while (words_next(phrase, length, &position, &word)) {
		char **stems = realloc(term.stems, (term.stem_count + 1) * sizeof(char *));

		if (stems == NULL)
			goto fail;
		term.stems = stems;
		stem_word(state, phrase + word.start, word.end - word.start, stem, sizeof(stem));
		if ((term.stems[term.stem_count] = strdup(stem)) == NULL)
			goto fail;
		term.stem_count++;
	}
	if (term.stem_count == 0)
		return 0;
	if ((grown = realloc(state->terms, (state->term_count + 1) * sizeof(*grown))) == NULL)
		goto fail;
	state->terms = grown;
	state->terms[state->term_count++] = term;
	return term_index(state, state->term_count - 1);
fail:
	for (size_t i = 0; i < term.stem_count; i++)
		free(term.stems[i]);
	free(term.stems);
	return -1;
}

static int
topic_add(struct topics_state *state, const char *slug, double threshold)
{
	struct topic *grown = realloc(state->topics, (state->topic_count + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	state->topics = grown;
	if ((grown[state->topic_count].slug = strdup(slug)) == NULL)
		return -1;
	grown[state->topic_count].threshold = threshold;
	grown[state->topic_count].score = 0;
	state->topic_count++;
	return 0;
}

/* Every comma-separated term of "W = a, b, c". */
static int
terms_line(struct topics_state *state, char *terms, double weight)
{
	char *save = NULL;

	for (char *term = strtok_r(terms, ",", &save); term != NULL;
	    term = strtok_r(NULL, ",", &save))
		if (term_add(state, term, weight) == -1)
			return -1;
	return 0;
}

/* One "KEY = VALUE" line: threshold, name or a weight. */
static int
rules_line(struct topics_state *state, char *line, double *default_threshold,
    const char **problem)
{
	char *equals = strchr(line, '='), *key_end, *value, *end;
	double number;

	if (equals == NULL) {
		*problem = "expected KEY = VALUE or [topic]";
		return -1;
	}
	for (key_end = equals; key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t');)
		key_end--;
	*key_end = '\0';
	value = equals + 1;
	if (strcmp(line, "name") == 0) {
		if (state->topic_count == 0) {
			*problem = "name outside a [topic]";
			return -1;
		}
		return 0;
	}
	number = strtod(strcmp(line, "threshold") == 0 ? value : line, &end);
	if (strcmp(line, "threshold") == 0) {
		if (end == value || number <= 0) {
			*problem = "threshold must be a positive number";
			return -1;
		}
		if (state->topic_count == 0)
			*default_threshold = number;
		else
			state->topics[state->topic_count - 1].threshold = number;
		return 0;
	}
	if (end == line || *end != '\0' || number <= 0) {
		*problem = "expected a positive weight before \"=\"";
		return -1;
	}
	if (state->topic_count == 0) {
		*problem = "terms outside a [topic]";
		return -1;
	}
	if (terms_line(state, value, number) == -1) {
		*problem = "out of memory";
		return -1;
	}
	return 0;
}

static int
rules_load(struct topics_state *state, char *error, size_t error_size)
{
	FILE *file = fopen(state->rules_path, "r");
	char *buffer = NULL, *line;
	size_t buffer_size = 0;
	int line_number = 0, result = 0;
	double default_threshold = 5;
	const char *problem = NULL;

	if (file == NULL) {
		snprintf(error, error_size, "cannot open rules %s: %m", state->rules_path);
		return -1;
	}
	while ((line = words_read_line(file, &buffer, &buffer_size, &line_number)) != NULL) {
		size_t length = strlen(line);

		if (line[0] == '[' && line[length - 1] == ']' && length > 2) {
			line[length - 1] = '\0';
			if (topic_add(state, line + 1, default_threshold) == -1) {
				problem = "out of memory";
				break;
			}
		} else if (rules_line(state, line, &default_threshold, &problem) == -1)
			break;
		problem = NULL;
	}
	if (problem != NULL) {
		snprintf(error, error_size, "%s:%d: %s", state->rules_path, line_number, problem);
		result = -1;
	} else if (state->term_count == 0) {
		snprintf(error, error_size, "%s: no topic rules", state->rules_path);
		result = -1;
	}
	free(buffer);
	fclose(file);
	return result;
}

static void topics_fini(void *state_pointer);

static int
topics_init(void *state_pointer, char *error, size_t error_size)
{
	struct topics_state *state = state_pointer;
	const char *language = state->language != NULL ? state->language : "en";

	if (state->max_topics < 1 || state->min_relative < 0 || state->min_relative > 1) {
		snprintf(error, error_size, "max_topics must be >= 1 and min_relative in 0..1");
		return -1;
	}
	if ((state->memo = calloc(WORD_MEMO_SLOTS, sizeof(*state->memo))) == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	if ((state->stemmer = sb_stemmer_new(language, "UTF_8")) == NULL) {
		snprintf(error, error_size, "libstemmer has no stemmer for language %s", language);
		return -1;
	}
	if (rules_load(state, error, error_size) == -1) {
		topics_fini(state);
		return -1;
	}
	if ((state->hit_terms = calloc((state->term_count + 63) / 64, sizeof(uint64_t))) == NULL) {
		snprintf(error, error_size, "out of memory");
		topics_fini(state);
		return -1;
	}
	for (int count = 1; count < HITS_LOGGED; count++)
		state->log_of[count] = log(count);
	return 0;
}

static void
topics_fini(void *state_pointer)
{
	struct topics_state *state = state_pointer;

	for (size_t i = 0; i < state->topic_count; i++)
		free(state->topics[i].slug);
	free(state->topics);
	for (size_t i = 0; i < state->term_count; i++) {
		for (size_t k = 0; k < state->terms[i].stem_count; k++)
			free(state->terms[i].stems[k]);
		free(state->terms[i].stems);
	}
	free(state->terms);
	free(state->hit_terms);
	state->hit_terms = NULL;
	word_table_free(&state->terms_by_first, term_list_free);
	word_table_free(&state->forms, word_form_free);
	free(state->memo);
	state->memo = NULL;
	form_index_free(&state->by_id);
	form_index_free(&state->starts_by_id);
	free(state->type_forms);
	free(state->type_starts);
	state->type_forms = NULL;
	state->type_starts = NULL;
	state->type_capacity = 0;
	if (state->stemmer != NULL)
		sb_stemmer_delete(state->stemmer);
	state->stemmer = NULL;
	state->topics = NULL;
	state->terms = NULL;
	state->topic_count = state->term_count = 0;
}

/* The cached form of a written word (an ABI-2 token type), made when new; NULL when out of
 * memory. */
static const struct word_form *
word_form_of(struct topics_state *state, const struct ws_token_type *type)
{
	char stem[TOKEN_BYTES];
	struct word_form *form;
	void **entry, **starts;

	if ((form = word_memo_find(state->memo, type->written, type->length, type->hash)) != NULL)
		return form;
	if ((entry = word_table_get_hashed(&state->forms, type->written, type->hash)) == NULL)
		return NULL;
	if (*entry != NULL) {
		form = *entry;
		goto memoise;
	}
	stem_word(state, type->written, type->length, stem, sizeof(stem));
	if ((form = calloc(1, sizeof(*form))) == NULL || (form->stem = strdup(stem)) == NULL) {
		free(form);
		return NULL;
	}
	starts = word_table_find(&state->terms_by_first, stem);
	form->starts = starts != NULL ? *starts : NULL;
	*entry = form;
memoise:
	word_memo_put(state->memo, word_table_key_of(&state->forms, entry), type->length,
	    type->hash, form);
	return form;
}

/* Room for the article's token types in type_forms and type_starts; -1 when out of memory. */
static int
types_reserve(struct topics_state *state, size_t count)
{
	const struct word_form **forms;
	const struct term_list **starts;

	if (state->type_capacity >= count)
		return 0;
	if ((forms = realloc(state->type_forms, count * sizeof(*forms))) != NULL)
		state->type_forms = forms;
	if ((starts = realloc(state->type_starts, count * sizeof(*starts))) != NULL)
		state->type_starts = starts;
	if (forms == NULL || starts == NULL)
		return -1;
	state->type_capacity = count;
	return 0;
}

/* In starts_by_id: the form is known and starts no term. */
static const struct term_list no_terms;

/*
 * The terms every token type of the article starts, into state->type_starts, and its form
 * into state->type_forms (in the order the types first occur, as the words were once looked
 * up); -1 when out of memory (the article goes on untagged).  A form met before in the ids'
 * generation costs one read of starts_by_id: its word_form (a cold pointer away) is left
 * NULL in type_forms, read by type_stem only should a term's later stem be compared with it.
 */
static int
type_forms(struct topics_state *state, const struct ws_tokens *tokens)
{
	void **by_id = NULL, **starts_by_id = NULL;

	if (types_reserve(state, tokens->type_count) == -1)
		return -1;
	if (ws_tokens_have_form_ids(tokens) &&
	    (by_id = form_index_ready(&state->by_id, tokens->form_generation,
	    tokens->form_id_count)) != NULL)
		starts_by_id = form_index_ready(&state->starts_by_id, tokens->form_generation,
		    tokens->form_id_count);
	state->article_by_id = by_id;
	state->article_form_ids = tokens->form_ids;
	for (size_t i = 0; i < tokens->type_count; i++) {
		const struct term_list *starts = starts_by_id != NULL ?
		    starts_by_id[tokens->form_ids[i]] : NULL;
		const struct word_form *form;

		if (starts != NULL) {
			state->type_forms[i] = NULL;
			state->type_starts[i] = starts != &no_terms ? starts : NULL;
			continue;
		}
		if ((form = by_id != NULL ? by_id[tokens->form_ids[i]] : NULL) == NULL) {
			if ((form = word_form_of(state, &tokens->types[i])) == NULL)
				return -1;
			if (by_id != NULL)
				by_id[tokens->form_ids[i]] = (void *)form;
		}
		if (starts_by_id != NULL)
			starts_by_id[tokens->form_ids[i]] = (void *)(form->starts != NULL ?
			    form->starts : &no_terms);
		state->type_forms[i] = form;
		state->type_starts[i] = form->starts;
	}
	return 0;
}

/* The stem of the article's token type: its form in type_forms, or else by its form id. */
static const char *
type_stem(const struct topics_state *state, uint32_t type)
{
	const struct word_form *form = state->type_forms[type];

	if (form == NULL)
		form = state->article_by_id[state->article_form_ids[type]];
	return form->stem;
}

/* Whether the words of the text from at on are the stems of term (its first one known). */
static int
term_at(const struct topics_state *state, const struct ws_token_text *text, size_t at,
    const struct term *term)
{
	if (at + term->stem_count > text->count)
		return 0;
	for (size_t k = 1; k < term->stem_count; k++)
		if (strcmp(type_stem(state, text->tokens[at + k].type), term->stems[k]) != 0)
			return 0;
	return 1;
}

/* One more hit of terms[index], weight times; its bit in hit_terms set. */
static inline void
term_hit(struct topics_state *state, size_t index, double weight)
{
	state->terms[index].hits += weight;
	state->hit_terms[index / 64] |= (uint64_t)1 << (index % 64);
}

/* log(hits), from the table for the whole numbers of hits most terms have. */
static double
log_hits(const struct topics_state *state, double hits)
{
	return hits < HITS_LOGGED && hits == (int)hits ? state->log_of[(int)hits] : log(hits);
}

/*
 * Each topic's score from the article's terms with hits, in the order of the terms (the sums
 * as adding every term's in turn gives): those hit_terms marks, the others (most of the
 * terms) not read.  Their hits and bits back to 0 for the next article.
 */
static void
topics_score(struct topics_state *state)
{
	for (size_t word = 0; word < (state->term_count + 63) / 64; word++) {
		for (uint64_t bits = state->hit_terms[word]; bits != 0; bits &= bits - 1) {
			struct term *term = &state->terms[word * 64 + (size_t)__builtin_ctzll(bits)];

			state->topics[term->topic].score += term->weight *
			    (1 + log_hits(state, term->hits));
			term->hits = 0;
		}
		state->hit_terms[word] = 0;
	}
}

/* Count the rule terms found in one text: only its words whose stem starts a term are
 * looked at. */
static void
terms_count(struct topics_state *state, const struct ws_token_text *text, double weight)
{
	const struct term_list *const *starts = state->type_starts;
	const struct ws_token *tokens = text->tokens;

	for (size_t at = 0; at < text->count; at++) {
		const struct term_list *list = starts[tokens[at].type];

		if (list == NULL)
			continue;
		for (size_t i = 0; i < list->count; i++) {
			struct term *term = &state->terms[list->terms[i]];

			if (term_at(state, text, at, term))
				term_hit(state, list->terms[i], weight);
		}
	}
}

static int
topics_process(void *state_pointer, struct article *article, const struct ws_tokens *tokens)
{
	struct topics_state *state = state_pointer;
	double best = 0;

	if (article->lang_code[0] != '\0' && state->language != NULL &&
	    strcmp(article->lang_code, state->language) != 0)
		return 0;
	if (state->forms.count > FORMS_MAX) {
		word_table_free(&state->forms, word_form_free);
		memset(state->memo, 0, WORD_MEMO_SLOTS * sizeof(*state->memo));
		form_index_free(&state->by_id);
		form_index_free(&state->starts_by_id);
	}
	for (size_t i = 0; i < state->topic_count; i++)
		state->topics[i].score = 0;
	if (type_forms(state, tokens) == -1)
		return -1;
	terms_count(state, &tokens->title, TITLE_WEIGHT);
	terms_count(state, &tokens->text, 1);
	topics_score(state);
	for (size_t i = 0; i < state->topic_count; i++)
		if (state->topics[i].score > best)
			best = state->topics[i].score;
	/* Best first: pick the highest remaining qualifying topic max_topics times. */
	for (long picked = 0; picked < state->max_topics; picked++) {
		struct topic *next = NULL;

		for (size_t i = 0; i < state->topic_count; i++) {
			struct topic *topic = &state->topics[i];

			/* the list is read last: most topics fail on their score */
			if (topic->score >= topic->threshold &&
			    topic->score >= best * state->min_relative &&
			    (next == NULL || topic->score > next->score) &&
			    !strlist_contains(&article->topics, topic->slug))
				next = topic;
		}
		if (next == NULL)
			break;
		strlist_add(&article->topics, next->slug);
	}
	return 0;
}

static const struct ws_plugin topics_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "topics",
	.description = "IPTC Media Topics subjects by weighted term rules",
	.options = topics_options,
	.state_size = sizeof(struct topics_state),
	.init = topics_init,
	.fini = topics_fini,
	.process_tokens = topics_process,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &topics_plugin;
}
