/*
 * test_taggers.c - the keywords and topics plugins, which count an article per distinct written
 * form (ABI-2 token type) rather than word by word, against plain word-by-word references
 * written here: generated articles whose words repeat, written capitalised at sentence
 * starts, in capitals, with possessives ('s and ’s), in UTF-8 (Zoë, Straße, ÉCOLE), as
 * numbers and as one overlong word, must get the same keywords (and their order) and topics
 * as the references give, through a token stream with the default form-id limit, one that
 * starts its stable form ids over every article or two and one that gives most articles no
 * ids (plugin_api.h: the plugins keep their forms by id; a new generation, or no ids, must
 * change nothing).  The references
 * share only words.h's scanner and folding and
 * libstemmer (opened at run time: tests do not link it) with the plugins; their rules and
 * background are written by this test.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (this build's plugins when unset: plugin_dir.h).  Runs from the
 * repo root.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plugin_dir.h"
#include "article.h"
#include "log.h"
#include "plugin.h"
#include "token_forms.h"
#include "tokens.h"
#include "../../plugins/words.h"

#define RANDOM_SEED 0x7a66e125u
#include "xorshift.h"

#define ARTICLES	150
#define TOP		10
#define TITLE_WEIGHT	2
#define WORD_BYTES	64
/* Forms a stream numbers before it starts over: the vocabulary gives about 70 forms, an article
 * up to about 70 (then the stream starts over when a new article might not fit), and an
 * article with more than the limit gets no ids. */
#define SMALL_FORM_LIMIT	100	/* a new generation every article or two */
#define TINY_FORM_LIMIT		40	/* most articles without ids */

/* ---- libstemmer, opened at run time ---- */

static struct {
	void	*handle;
	void	*(*create)(const char *, const char *);
	const unsigned char *(*stem)(void *, const unsigned char *, int);
	void	*stemmer;
} stemmer;

static int
stemmer_open(void)
{
	const char *names[] = { "libstemmer.so.0d", "libstemmer.so.0", "libstemmer.so" };

	for (size_t i = 0; i < 3 && stemmer.handle == NULL; i++)
		stemmer.handle = dlopen(names[i], RTLD_NOW);
	if (stemmer.handle == NULL)
		return -1;
	*(void **)&stemmer.create = dlsym(stemmer.handle, "sb_stemmer_new");
	*(void **)&stemmer.stem = dlsym(stemmer.handle, "sb_stemmer_stem");
	if (stemmer.create == NULL || stemmer.stem == NULL)
		return -1;
	stemmer.stemmer = stemmer.create("english", "UTF_8");
	return stemmer.stemmer != NULL ? 0 : -1;
}

/* Fold bytes (as the plugins do, into WORD_BYTES) and stem them into out. */
static void
fold_stem(const char *text, size_t length, char *folded, char *out)
{
	const unsigned char *stem;

	words_fold(text, length, folded, WORD_BYTES);
	stem = stemmer.stem(stemmer.stemmer, (const unsigned char *)folded, (int)strlen(folded));
	snprintf(out, WORD_BYTES, "%s", stem != NULL ? (const char *)stem : folded);
}

/* ---- generated articles ---- */

/* Words with the forms a text may give them; "said", "the" ... are English stop words. */
static const char *const vocabulary[] = {
	"harbour", "harbour", "ferry", "ferries", "ferry", "council", "councils", "vote",
	"voters", "storm", "storms", "flooding", "flood", "warning", "minister", "fishermen",
	"crossing", "bridge", "NATO", "Zo\xc3\xab", "caf\xc3\xa9", "Stra\xc3\x9f" "e",
	"\xc3\x89" "COLE", "\xc3\xa9" "cole", "Kestrel", "Kestrel's", "council\xe2\x80\x99s",
	"NATO's", "don't", "the", "and", "said", "with", "from", "2024", "go", "city", "hall",
	"rain", "Rain", "HARBOUR", "Harbour", "weather", "weathers",
	"Pneumonoultramicroscopicsilicovolcanoconiosislongerthansixtyfourbytesinall",
};

/* The stop words of the vocabulary (all in the plugin's English list). */
static const char *const stop_words[] = { "don't", "the", "and", "said", "with", "from" };

static void
append(char *buffer, size_t size, const char *text)
{
	size_t used = strlen(buffer);

	snprintf(buffer + used, size - used, "%s", text);
}

/* A word, capitalised when it starts a sentence (ASCII first letters only). */
static void
append_word(char *buffer, size_t size, const char *word, int capital)
{
	char copy[128];

	snprintf(copy, sizeof(copy), "%s", word);
	if (capital && copy[0] >= 'a' && copy[0] <= 'z')
		copy[0] = (char)(copy[0] - 32);
	append(buffer, size, copy);
}

static void
generate_text(char *buffer, size_t size, unsigned sentences)
{
	const size_t words = sizeof(vocabulary) / sizeof(vocabulary[0]);

	buffer[0] = '\0';
	for (unsigned s = 0; s < sentences; s++) {
		unsigned length = 3 + next_random(10);

		for (unsigned w = 0; w < length; w++) {
			/* the first third of the vocabulary repeats most */
			unsigned pick = next_random(3) == 0 ? next_random((unsigned)words) :
			    next_random((unsigned)words / 3);

			append_word(buffer, size, vocabulary[pick], w == 0);
			append(buffer, size, w + 1 < length ? (next_random(8) == 0 ? ", " : " ") :
			    "");
		}
		append(buffer, size, next_random(5) == 0 ? ".\n\n" : ". ");
	}
}

/* ---- keywords, word by word ---- */

struct ref_surface {
	char	 text[WORD_BYTES];
	int	 count;
};

struct ref_term {
	char	 key[WORD_BYTES + 8];
	int	 frequency;
	double	 score;
	struct ref_surface surfaces[16];
	size_t	 surface_count;
};

struct ref_frequency {
	char	 key[WORD_BYTES + 8];
	long	 count;
};

static struct ref_frequency frequencies[4096];
static size_t frequency_count;
static double documents;

static long *
frequency_of(const char *key)
{
	for (size_t i = 0; i < frequency_count; i++)
		if (strcmp(frequencies[i].key, key) == 0)
			return &frequencies[i].count;
	if (frequency_count == sizeof(frequencies) / sizeof(frequencies[0]))
		return NULL;
	snprintf(frequencies[frequency_count].key, sizeof(frequencies[0].key), "%s", key);
	frequencies[frequency_count].count = 0;
	return &frequencies[frequency_count++].count;
}

static int
is_stop_word(const char *folded)
{
	for (size_t i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]); i++)
		if (strcmp(stop_words[i], folded) == 0)
			return 1;
	return 0;
}

static size_t
characters(const char *text)
{
	size_t count = 0;

	for (; *text != '\0'; text++)
		count += ((unsigned char)*text & 0xC0) != 0x80;
	return count;
}

static void
surface_add(struct ref_term *term, const char *text, size_t length, int weight)
{
	for (size_t i = 0; i < term->surface_count; i++) {
		if (strlen(term->surfaces[i].text) == length &&
		    memcmp(term->surfaces[i].text, text, length) == 0) {
			term->surfaces[i].count += weight;
			return;
		}
	}
	if (term->surface_count == 16)
		return;
	memcpy(term->surfaces[term->surface_count].text, text, length);
	term->surfaces[term->surface_count].text[length] = '\0';
	term->surfaces[term->surface_count++].count = weight;
}

static void
ref_keywords_text(struct ref_term *terms, size_t *count, const char *text, int weight)
{
	size_t position = 0, length = strlen(text);
	struct word word;

	while (words_next(text, length, &position, &word)) {
		size_t size = word.end - word.start;
		char folded[WORD_BYTES], stem[WORD_BYTES], key[WORD_BYTES + 8];
		struct ref_term *term = NULL;

		if (size >= WORD_BYTES || (text[word.start] >= '0' && text[word.start] <= '9'))
			continue;
		fold_stem(text + word.start, size, folded, stem);
		if (characters(folded) < 3 || is_stop_word(folded))
			continue;
		snprintf(key, sizeof(key), "en:%s", stem);
		for (size_t i = 0; i < *count && term == NULL; i++)
			if (strcmp(terms[i].key, key) == 0)
				term = &terms[i];
		if (term == NULL) {
			term = &terms[(*count)++];
			memset(term, 0, sizeof(*term));
			snprintf(term->key, sizeof(term->key), "%s", key);
		}
		term->frequency += weight;
		if (word.sentence_start && !word.all_upper)
			surface_add(term, folded, strlen(folded), 0);
		else
			surface_add(term, text + word.start, size, weight);
	}
}

static int
ref_term_compare(const void *left_pointer, const void *right_pointer)
{
	const struct ref_term *left = left_pointer, *right = right_pointer;

	if (left->score != right->score)
		return left->score > right->score ? -1 : 1;
	return strcmp(left->key, right->key);
}

/* The keywords of an article, best first, into out (TOP of them at most); how many. */
static size_t
ref_keywords(const char *title, const char *text, char out[TOP][WORD_BYTES])
{
	static struct ref_term terms[512];
	size_t count = 0, kept = 0;

	ref_keywords_text(terms, &count, title, TITLE_WEIGHT);
	ref_keywords_text(terms, &count, text, 1);
	if (count == 0)
		return 0;
	documents += 1;
	for (size_t i = 0; i < count; i++) {
		long *known = frequency_of(terms[i].key);

		*known += 1;
		terms[i].score = (1 + log(terms[i].frequency)) *
		    (1 + log((documents + 1) / ((double)*known + 1)));
	}
	qsort(terms, count, sizeof(terms[0]), ref_term_compare);
	for (size_t i = 0; i < count && kept < TOP; i++) {
		const struct ref_surface *best = &terms[i].surfaces[0];

		for (size_t k = 1; k < terms[i].surface_count; k++)
			if (terms[i].surfaces[k].count > best->count)
				best = &terms[i].surfaces[k];
		snprintf(out[kept++], WORD_BYTES, "%s", best->text);
	}
	return kept;
}

/* ---- topics, word by word ---- */

static const struct {
	const char	*slug;
	double		 weight;
	const char	*phrase;
} rules[] = {
	{ "harbour-life", 3, "harbour" }, { "harbour-life", 3, "ferry crossing" },
	{ "harbour-life", 2, "fishermen" }, { "harbour-life", 1, "storm" },
	{ "civic", 3, "council" }, { "civic", 2, "vote" }, { "civic", 2, "city hall" },
	{ "civic", 1, "minister" },
	{ "weather", 2, "storm" }, { "weather", 2, "flood warning" }, { "weather", 1, "rain" },
	{ "weather", 1, "flooding" },
};
#define RULE_COUNT	(sizeof(rules) / sizeof(rules[0]))
static const char *const slugs[] = { "harbour-life", "civic", "weather" };
#define TOPIC_COUNT	3
#define THRESHOLD	4.0
#define MIN_RELATIVE	0.3
#define PADDING_TERMS	60	/* rules_write's terms before the topics' own */

static int
rules_write(const char *path)
{
	FILE *file = fopen(path, "w");

	if (file == NULL)
		return -1;
	fprintf(file, "threshold = %g\n", THRESHOLD);
	/* terms no article has, first: the rules' terms are numbered 60 to 71, across two words
	 * of topics.c's bits of the terms with hits (hit_terms) */
	fprintf(file, "[padding]\n1 = ");
	for (unsigned i = 0; i < PADDING_TERMS; i++)
		fprintf(file, "%sxq%c%c", i > 0 ? ", " : "", 'a' + i / 26, 'a' + i % 26);
	fprintf(file, "\n");
	for (size_t t = 0; t < TOPIC_COUNT; t++) {
		fprintf(file, "[%s]\n", slugs[t]);
		for (size_t r = 0; r < RULE_COUNT; r++)
			if (strcmp(rules[r].slug, slugs[t]) == 0)
				fprintf(file, "%g = %s\n", rules[r].weight, rules[r].phrase);
	}
	return fclose(file);
}

/* The stems of a text's words, into stems (up to max); how many. */
static size_t
stems_of(const char *text, char (*stems)[WORD_BYTES], size_t max)
{
	size_t position = 0, length = strlen(text), count = 0;
	char folded[WORD_BYTES];
	struct word word;

	while (count < max && words_next(text, length, &position, &word))
		fold_stem(text + word.start, word.end - word.start, folded, stems[count++]);
	return count;
}

static double
hits_in(char (*words)[WORD_BYTES], size_t count, char (*term)[WORD_BYTES], size_t term_words)
{
	double hits = 0;

	for (size_t at = 0; at + term_words <= count; at++) {
		size_t k = 0;

		while (k < term_words && strcmp(words[at + k], term[k]) == 0)
			k++;
		hits += k == term_words;
	}
	return hits;
}

/* The topics of an article, best first, into out; how many. */
static size_t
ref_topics(const char *title, const char *text, const char *out[TOPIC_COUNT])
{
	static char title_stems[64][WORD_BYTES], text_stems[4096][WORD_BYTES];
	size_t title_count = stems_of(title, title_stems, 64);
	size_t text_count = stems_of(text, text_stems, 4096), picked = 0;
	double scores[TOPIC_COUNT] = { 0 }, best = 0;
	int taken[TOPIC_COUNT] = { 0 };

	/* rules in file order: topic by topic, each topic's rules in the table's order */
	for (size_t t = 0; t < TOPIC_COUNT; t++) {
		for (size_t r = 0; r < RULE_COUNT; r++) {
			char term[4][WORD_BYTES];
			size_t term_words;
			double hits;

			if (strcmp(rules[r].slug, slugs[t]) != 0)
				continue;
			term_words = stems_of(rules[r].phrase, term, 4);
			hits = TITLE_WEIGHT * hits_in(title_stems, title_count, term, term_words) +
			    hits_in(text_stems, text_count, term, term_words);
			if (hits > 0)
				scores[t] += rules[r].weight * (1 + log(hits));
		}
		if (scores[t] > best)
			best = scores[t];
	}
	while (picked < TOPIC_COUNT) {
		int next = -1;

		for (int t = 0; t < TOPIC_COUNT; t++)
			if (!taken[t] && scores[t] >= THRESHOLD && scores[t] >= best * MIN_RELATIVE &&
			    (next == -1 || scores[t] > scores[next]))
				next = t;
		if (next == -1)
			break;
		taken[next] = 1;
		out[picked++] = slugs[next];
	}
	return picked;
}

/* ---- the plugins against the references ---- */

static struct plugin_chain *
chain_load(const char *background, const char *rules_path)
{
	struct plugin_setting keywords_settings[] = {
		{ .key = (char *)"background", .value = (char *)background, .line = 2 },
	};
	struct plugin_setting topics_settings[] = {
		{ .key = (char *)"rules", .value = (char *)rules_path, .line = 4 },
	};
	struct plugin_config configs[2] = {
		{ .name = (char *)"keywords", .config_file = (char *)"conf/wiresift.conf",
		  .line = 1, .settings = keywords_settings, .setting_count = 1 },
		{ .name = (char *)"topics", .config_file = (char *)"conf/wiresift.conf",
		  .line = 3, .settings = topics_settings, .setting_count = 1 },
	};
	char error[512];
	struct plugin_chain *chain = plugin_chain_load(configs, 2, NULL, error, sizeof(error));

	if (chain == NULL)
		fprintf(stderr, "  cannot load keywords and topics: %s\n", error);
	return chain;
}

/* Seed document frequencies for a few words, in the plugin's file and in the reference. */
static int
background_write(const char *path)
{
	static const char *const words[] = { "harbour", "council", "storm", "weather", "city" };
	FILE *file = fopen(path, "w");

	if (file == NULL)
		return -1;
	documents = 500;
	fprintf(file, "documents 500\n");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char folded[WORD_BYTES], stem[WORD_BYTES], key[WORD_BYTES + 8];

		fprintf(file, "%s %zu\n", words[i], 40 + 70 * i);
		fold_stem(words[i], strlen(words[i]), folded, stem);
		snprintf(key, sizeof(key), "en:%s", stem);
		*frequency_of(key) += (long)(40 + 70 * i);
	}
	return fclose(file);
}

/* Articles given topics, and given more than one keyword, by the references: the comparison
 * is not of empty lists. */
static int with_topics, with_keywords;

/* One chain's keywords and topics of an article against the references'. */
static void
compare_chain(struct plugin_chain *chain, const char *title, const char *text,
    char keywords[TOP][WORD_BYTES], size_t keyword_count, const char **topics,
    size_t topic_count, int *shown)
{
	struct article *article = article_new();
	int same = 1;

	article_set(&article->title, title);
	article_set(&article->text, text);
	article_set(&article->id, "0123abcd");
	plugin_chain_process(chain, article);
	same &= article->keywords.count == keyword_count && article->topics.count == topic_count;
	for (size_t i = 0; same && i < keyword_count; i++)
		same &= strcmp(article->keywords.items[i], keywords[i]) == 0;
	for (size_t i = 0; same && i < topic_count; i++)
		same &= strcmp(article->topics.items[i], topics[i]) == 0;
	CHECK(same);
	if (!same && (*shown)++ < 3) {
		fprintf(stderr, "  title: %s\n  keywords:", title);
		for (size_t i = 0; i < article->keywords.count; i++)
			fprintf(stderr, " %s", article->keywords.items[i]);
		fprintf(stderr, "\n  expected:");
		for (size_t i = 0; i < keyword_count; i++)
			fprintf(stderr, " %s", keywords[i]);
		fprintf(stderr, "\n  topics: %zu, expected %zu\n", article->topics.count,
		    topic_count);
	}
	article_free(article);
}

/*
 * The article through each of count chains, each against the references; a chain makes its
 * token stream on its first article, with form_limits[i] as its limit of form ids.
 */
static void
compare_article(struct plugin_chain **chains, const size_t *form_limits, size_t count,
    const char *title, const char *text, int *shown)
{
	char keywords[TOP][WORD_BYTES];
	const char *topics[TOPIC_COUNT];
	size_t keyword_count = ref_keywords(title, text, keywords);
	size_t topic_count = ref_topics(title, text, topics);

	with_topics += topic_count > 0;
	with_keywords += keyword_count > 1;
	for (size_t i = 0; i < count; i++) {
		token_streams_form_limit(form_limits[i]);
		compare_chain(chains[i], title, text, keywords, keyword_count, topics,
		    topic_count, shown);
	}
	token_streams_form_limit(FORM_LIMIT_DEFAULT);
}

static void
test_per_type_counts_as_word_by_word(void)
{
	char background[] = "/tmp/test_taggers.background.XXXXXX";
	char rules_path[] = "/tmp/test_taggers.rules.XXXXXX";
	static char title[1024], text[16384];
	struct plugin_chain *chains[3];
	const size_t form_limits[3] = { FORM_LIMIT_DEFAULT, SMALL_FORM_LIMIT, TINY_FORM_LIMIT };
	int background_fd, rules_fd, shown = 0;
	uint32_t generation = 0;
	unsigned generations = 0, with_ids = 0, tiny_with_ids = 0;

	if (stemmer_open() == -1) {
		SKIP("libstemmer cannot be opened");
		return;
	}
	background_fd = mkstemp(background);
	rules_fd = mkstemp(rules_path);
	CHECK(background_fd != -1 && rules_fd != -1);
	if (background_fd == -1 || rules_fd == -1)
		return;
	close(background_fd);
	close(rules_fd);
	CHECK(background_write(background) == 0 && rules_write(rules_path) == 0);
	for (size_t i = 0; i < 3; i++)
		chains[i] = chain_load(background, rules_path);
	CHECK(chains[0] != NULL && chains[1] != NULL && chains[2] != NULL);
	for (unsigned i = 0; chains[0] != NULL && chains[1] != NULL && chains[2] != NULL &&
	    i < ARTICLES; i++) {
		const struct ws_tokens *tokens;

		generate_text(title, sizeof(title), 1);
		generate_text(text, sizeof(text), 5 + next_random(60));
		compare_article(chains, form_limits, 3, title, text, &shown);
		tiny_with_ids += ws_tokens_have_form_ids(plugin_chain_tokens(chains[2]));
		tokens = plugin_chain_tokens(chains[1]);
		with_ids += tokens != NULL && ws_tokens_have_form_ids(tokens);
		if (tokens != NULL && tokens->form_generation != 0 &&
		    tokens->form_generation != generation) {
			generation = tokens->form_generation;
			generations++;
		}
	}
	CHECK(with_topics > ARTICLES / 2 && with_keywords > ARTICLES / 2);
	/* the small limit was reached again and again; most articles still had ids */
	CHECK(generations >= 10 && generations < ARTICLES - 10 && with_ids == ARTICLES);
	CHECK(tiny_with_ids > 0 && tiny_with_ids < ARTICLES / 2);
	plugin_chain_free(chains[0]);
	plugin_chain_free(chains[1]);
	plugin_chain_free(chains[2]);
	unlink(background);
	unlink(rules_path);
}

int
main(void)
{
	log_init(LOG_LEVEL_WARNING);
	plugin_dir_default();
	RUN(test_per_type_counts_as_word_by_word);
	return check_finish();
}
