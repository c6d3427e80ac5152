/*
 * bench_tokens.c - the token stream build (daemon/tokens.c) alone: each file named on the
 * command line is one article's text, built into the stream BENCH_ROUNDS times (default 200)
 * in turn; prints tokens and types per article and thread CPU time per article.  For
 * instruction counts run it under callgrind with BENCH_ROUNDS=1:
 *
 *   BENCH_ROUNDS=1 valgrind --tool=callgrind --toggle-collect=token_stream_build \
 *       build/bench/bench_tokens TEXT...
 *
 * With no file, texts made here: 400 articles of 700 words drawn from 3,000 invented
 * lower-case words with a capitalised word one in eight and a full stop one in fifteen.
 *
 * BENCH_SKETCH=1: the dedup sketch off the stream (daemon/dedup: the words read off the
 * tokens, dedup_words_from_tokens, then shingles and MinHash, dedup_sketch_compute), each
 * timed apart, the stream built first and not timed; BENCH_ROUNDS=1 over many distinct
 * articles is what the daemon sees (later rounds find every form's word known):
 *
 *   BENCH_SKETCH=1 BENCH_ROUNDS=1 build/bench/bench_tokens TEXT...
 *
 * BENCH_TAGGERS=1: the keywords and topics plugins (build/plugins, or $WIRESIFT_PLUGIN_DIR,
 * with conf/'s background and rules) over each text as an English article's, stream build
 * included (plugin_chain_process): thread CPU time per article.  Run it over many distinct
 * articles with BENCH_ROUNDS=1, as the daemon sees them (round after round of the same texts
 * finds every form known):
 *
 *   BENCH_TAGGERS=1 BENCH_ROUNDS=1 build/bench/bench_tokens TEXT...
 *
 * Tried and dropped (the 1,000 cleaned texts of gen_feeds.py's article corpus, callgrind
 * with --branch-sim, then alternated pairs against the unchanged build at load 17-24, where
 * no change under ~10% shows): each fewer mispredicts for more instructions, no faster.
 * The scan interning each word once the next was read, its slot prefetched first (a third of
 * the probes miss L1, callgrind's cache model): +16.5K instructions, +56 mispredicts an
 * article, 17.6 vs 17.4 us (medians of 8).  case_flags with no branch on a capital:
 * +11.5K instructions, -46 mispredicts.  dedup_words_from_tokens reading a gap (and the
 * byte after a word) off a bit a byte of the text instead of a loop a byte: -63
 * mispredicts, +6.5K instructions, words 7.4 vs 7.2 us (medians of 8).  type_of_short
 * picking a new type's index by `empty ? count : slot->type` instead of a mask: -4.5K
 * instructions, but 13.5-15.3 vs 11.1-12.5 us an article (alternated pairs, load 14).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "dedup/dedup_internal.h"
#include "log.h"
#include "plugin.h"
#include "tokens.h"
#include "util.h"
#include "clock.h"

#define MADE_ARTICLES	400
#define MADE_WORDS	700
#define VOCABULARY	3000

static char *
made_text(unsigned *seed, char vocabulary[][12])
{
	struct buffer text = { 0 };

	for (int i = 0; i < MADE_WORDS; i++) {
		char word[16];

		snprintf(word, sizeof(word), "%s", vocabulary[rand_r(seed) % VOCABULARY]);
		if (rand_r(seed) % 8 == 0)
			word[0] = (char)(word[0] - 32);
		buffer_append_string(&text, word);
		buffer_append_string(&text, rand_r(seed) % 15 == 0 ? ". " : " ");
	}
	buffer_append(&text, "", 1);
	return text.data;
}

static size_t
made_texts(char ***texts)
{
	static char vocabulary[VOCABULARY][12];
	unsigned seed = 17;

	for (int i = 0; i < VOCABULARY; i++) {
		int length = 2 + rand_r(&seed) % 9;

		for (int c = 0; c < length; c++)
			vocabulary[i][c] = (char)('a' + rand_r(&seed) % 26);
		vocabulary[i][length] = '\0';
	}
	*texts = xcalloc(MADE_ARTICLES, sizeof(**texts));
	for (int i = 0; i < MADE_ARTICLES; i++)
		(*texts)[i] = made_text(&seed, vocabulary);
	return MADE_ARTICLES;
}

/* keywords and topics, as conf/wiresift.conf configures them. */
static struct plugin_chain *
taggers_load(void)
{
	struct plugin_setting keywords_settings[] = {
		{ .key = (char *)"background", .value = (char *)"keywords.background", .line = 2 },
	};
	struct plugin_setting topics_settings[] = {
		{ .key = (char *)"rules", .value = (char *)"topics.rules", .line = 4 },
	};
	struct plugin_config configs[2] = {
		{ .name = (char *)"keywords", .config_file = (char *)"conf/wiresift.conf",
		  .line = 1, .settings = keywords_settings, .setting_count = 1 },
		{ .name = (char *)"topics", .config_file = (char *)"conf/wiresift.conf",
		  .line = 3, .settings = topics_settings, .setting_count = 1 },
	};
	char error[512];
	struct plugin_chain *chain = plugin_chain_load(configs, 2, "build/plugins", error,
	    sizeof(error));

	if (chain == NULL)
		fprintf(stderr, "bench_tokens: cannot load keywords and topics: %s\n", error);
	return chain;
}

/* The taggers over every text, rounds times: thread CPU time per article. */
static int
taggers_run(char **texts, size_t count, int rounds)
{
	struct plugin_chain *chain = taggers_load();
	struct article **articles;
	size_t keywords = 0;
	double elapsed = 0, start;

	if (chain == NULL)
		return 1;
	articles = xcalloc(count, sizeof(*articles));
	for (size_t i = 0; i < count; i++) {
		articles[i] = article_new();
		article_set(&articles[i]->text, texts[i]);
		snprintf(articles[i]->lang_code, sizeof(articles[i]->lang_code), "en");
	}
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < count; i++) {
			strlist_clear(&articles[i]->keywords);
			strlist_clear(&articles[i]->topics);
			start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
			plugin_chain_process(chain, articles[i]);
			elapsed += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start;
			keywords += articles[i]->keywords.count;
		}
	}
	printf("taggers articles=%zu keywords=%.2f ns_per_article=%.0f\n", count,
	    (double)keywords / ((double)count * (rounds > 0 ? rounds : 1)),
	    elapsed * 1e9 / ((double)count * (rounds > 0 ? rounds : 1)));
	for (size_t i = 0; i < count; i++)
		article_free(articles[i]);
	free(articles);
	plugin_chain_free(chain);
	return 0;
}

/* The dedup words and sketch of every text, rounds times: thread CPU time of each per article. */
static int
sketch_run(char **texts, size_t count, int rounds)
{
	struct token_stream *stream = token_stream_new();
	struct dedup_config config;
	struct dedup_hasher hasher;
	struct dedup_words words = { 0 };
	struct dedup_sketch sketch;
	double words_seconds = 0, sketch_seconds = 0, start, middle;
	size_t word_count = 0;

	dedup_config_defaults(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	dedup_sketch_init(&sketch, &hasher);
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < count; i++) {
			const struct ws_tokens *view = token_stream_build(stream, NULL, texts[i]);

			start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
			dedup_words_from_tokens(&words, view);
			middle = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
			dedup_sketch_compute(&hasher, &words, &sketch);
			sketch_seconds += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - middle;
			words_seconds += middle - start;
			word_count += words.count;
		}
	}
	rounds = rounds > 0 ? rounds : 1;
	printf("sketch articles=%zu words=%.1f words_ns=%.0f sketch_ns=%.0f\n", count,
	    (double)word_count / ((double)count * rounds), words_seconds * 1e9 /
	    ((double)count * rounds), sketch_seconds * 1e9 / ((double)count * rounds));
	dedup_sketch_free(&sketch);
	dedup_hasher_free(&hasher);
	dedup_words_free(&words);
	token_stream_free(stream);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *rounds_text = getenv("BENCH_ROUNDS");
	int rounds = rounds_text != NULL ? atoi(rounds_text) : 200;
	struct token_stream *stream = token_stream_new();
	size_t count = 0, tokens = 0, types = 0, bytes = 0;
	char **texts;
	double start;

	if (argc > 1) {
		texts = xcalloc((size_t)argc, sizeof(*texts));
		for (int i = 1; i < argc; i++) {
			size_t size;

			if ((texts[count] = file_read(argv[i], &size)) == NULL) {
				fprintf(stderr, "bench_tokens: cannot read %s\n", argv[i]);
				return 1;
			}
			count++;
		}
	} else
		count = made_texts(&texts);
	if (getenv("BENCH_SKETCH") != NULL)
		return sketch_run(texts, count, rounds);
	if (getenv("BENCH_TAGGERS") != NULL) {
		log_init(LOG_LEVEL_WARNING);
		return taggers_run(texts, count, rounds);
	}
	start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < count; i++) {
			const struct ws_tokens *view = token_stream_build(stream, NULL, texts[i]);

			if (round == 0) {
				tokens += view->text.count;
				types += view->type_count;
				bytes += view->text.length;
			}
		}
	}
	printf("tokens articles=%zu bytes=%.0f tokens=%.1f types=%.1f ns_per_article=%.0f\n",
	    count, (double)bytes / (double)count, (double)tokens / (double)count,
	    (double)types / (double)count, (clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start) *
	    1e9 / ((double)count * (rounds > 0 ? rounds : 1)));
	for (size_t i = 0; i < count; i++)
		free(texts[i]);
	free(texts);
	token_stream_free(stream);
	return 0;
}
