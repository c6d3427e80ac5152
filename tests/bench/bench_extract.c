/*
 * bench_extract.c - article extraction throughput on one core: extract_page() (the code
 * `wiresift extract` and the daemon run) over web pages held in memory, then the step that
 * makes each skimmed page into libxml2's tree, both ways: extract_tree.c's page_tree() and
 * libxml2's HTML parser (html_parse_page), in alternate rounds on the same pages.
 *
 *   bench_extract RULES SITE_RULES MIN_SECONDS PAGE...
 *
 * RULES and SITE_RULES are the boilerplate and site rules files ("-": none). Every page is
 * read once; then the whole set is extracted round after round until MIN_SECONDS of this
 * thread's CPU time have passed (at least one round), and the tree step is timed the same way
 * for each builder (pages page_tree leaves to libxml2 count in neither). Prints for
 * tests/bench/run.sh:
 *   extract pages=N rounds=R seconds=S pages_per_s=X mb_per_s=Y words=W
 *   extract.tree pages=N built=B page_tree_per_s=X libxml2_per_s=Y
 * It measures; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clean/clean.h"
#include "clean/extract.h"
#include "clean/extract_internal.h"
#include "util.h"
#include "clock.h"

/* One round of the tree step over the skimmed pages page_tree builds: CPU seconds. */
static double
tree_round(char **skimmed, size_t *lengths, int count, int ours)
{
	double started = clock_seconds(CLOCK_THREAD_CPUTIME_ID);

	for (int i = 0; i < count; i++) {
		xmlDoc *document;

		if (skimmed[i] == NULL)
			continue;
		document = ours ? page_tree(skimmed[i], lengths[i]) :
		    html_parse_page(skimmed[i], lengths[i], "UTF-8");
		xmlFreeDoc(document);
	}
	return clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
}

/* page_tree beside libxml2's parser on the same skimmed pages, rounds taking turns. */
static void
tree_step(char **pages, const size_t *page_lengths, int count, double minimum)
{
	char **skimmed = xcalloc((size_t)count, sizeof *skimmed);
	size_t *lengths = xcalloc((size_t)count, sizeof *lengths), rounds = 0;
	double ours = 0, theirs = 0;
	int built = 0;

	for (int i = 0; i < count; i++) {
		xmlDoc *document;

		skimmed[i] = page_skim(pages[i], page_lengths[i], SKIM_ATTRIBUTES | SKIM_SPACES,
		    &lengths[i]);
		if ((document = page_tree(skimmed[i], lengths[i])) == NULL) {
			free(skimmed[i]);
			skimmed[i] = NULL;
			continue;
		}
		xmlFreeDoc(document);
		built++;
	}
	do {
		ours += tree_round(skimmed, lengths, count, 1);
		theirs += tree_round(skimmed, lengths, count, 0);
		rounds++;
	} while (ours + theirs < minimum);
	printf("extract.tree pages=%d built=%d page_tree_per_s=%.1f libxml2_per_s=%.1f\n", count,
	    built, built * (double)rounds / (ours > 0 ? ours : 1e-9),
	    built * (double)rounds / (theirs > 0 ? theirs : 1e-9));
	for (int i = 0; i < count; i++)
		free(skimmed[i]);
	free(skimmed);
	free(lengths);
}

int
main(int argc, char **argv)
{
	char error[512], **pages;
	size_t *lengths, bytes = 0, rounds = 0, words = 0;
	struct clean_rules *rules;
	struct extract_rules *sites;
	double minimum, started, seconds;
	int count;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_extract RULES SITE_RULES MIN_SECONDS PAGE...\n");
		return 2;
	}
	minimum = atof(argv[3]);
	rules = clean_rules_load(strcmp(argv[1], "-") ? argv[1] : NULL, error, sizeof error);
	sites = extract_rules_load(strcmp(argv[2], "-") ? argv[2] : NULL, error, sizeof error);
	if (rules == NULL || sites == NULL) {
		fprintf(stderr, "bench_extract: %s\n", error);
		return 1;
	}
	count = argc - 4;
	pages = xcalloc((size_t)count, sizeof *pages);
	lengths = xcalloc((size_t)count, sizeof *lengths);
	for (int i = 0; i < count; i++) {
		if ((pages[i] = file_read(argv[4 + i], &lengths[i])) == NULL) {
			perror(argv[4 + i]);
			return 1;
		}
		bytes += lengths[i];
	}
	started = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < count; i++) {
			struct extract_result result;

			extract_page(sites, rules, pages[i], lengths[i], NULL, &result, NULL, NULL);
			words += result.words;
			extract_result_free(&result);
		}
		rounds++;
	} while (clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started < minimum);
	seconds = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
	printf("extract pages=%d rounds=%zu seconds=%.3f pages_per_s=%.1f mb_per_s=%.1f "
	    "words=%zu\n", count, rounds, seconds, (double)count * (double)rounds / seconds,
	    (double)bytes * (double)rounds / 1e6 / seconds, words / rounds);
	tree_step(pages, lengths, count, minimum);
	for (int i = 0; i < count; i++)
		free(pages[i]);
	free(pages);
	free(lengths);
	extract_rules_free(sites);
	clean_rules_free(rules);
	return 0;
}
