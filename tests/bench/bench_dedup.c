/*
 * bench_dedup.c - measures the dedup index against an exact-Jaccard reference on one
 * generated corpus, in one run, and prints the figures (it asserts nothing about time).
 *
 *   quality: originals of random words from a Zipf vocabulary, same-topic articles that share
 *            quoted sentences, and edited wire copies (headline added, last paragraphs
 *            trimmed, advert line inserted, typos fixed, byline added, paragraphs rewritten,
 *            copies of copies). Every article is judged by dedup_check and by the exact
 *            reference: the exact shingle sets of all earlier articles, intersected through
 *            an inverted index (so every pair with a shingle in common is measured exactly),
 *            duplicate when J >= threshold or containment >= containment_threshold.
 *   scale:   N articles of ~4 KB (1,000,000; BENCH_QUICK=1: 100,000) through one index:
 *            throughput, memory per indexed article (mallinfo2 and RSS deltas), and the time
 *            of a dedup_check at that size.
 *
 * The corpus is dedup_corpus.h's, the exact reference dedup_exact.h's.
 */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "article.h"
#include "log.h"
#include "util.h"
#include "dedup/dedup.h"
#include "dedup/dedup_internal.h"
#include "clock.h"

#include "dedup_corpus.h"
#include "dedup_exact.h"

#define BASE_TIME	1750000000

/* ---- measurement helpers ---- */

static size_t
heap_bytes(void)
{
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
}

static size_t
resident_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *file = fopen("/proc/self/statm", "r");

	if (file != NULL) {
		if (fscanf(file, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(file);
	}
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double *values, size_t count, double fraction)
{
	size_t at = (size_t)(fraction * (double)(count - 1) + 0.5);

	return values[at];
}

/* ---- the quality run ---- */

struct stream_item {
	double	 key;
	size_t	 document;
};

static int
compare_stream(const void *a, const void *b)
{
	const struct stream_item *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void
quality_run(size_t originals)
{
	struct document *documents = NULL;
	struct stream_item *stream;
	size_t count = 0, capacity = 0;
	struct dedup_config config;
	struct dedup_index *index;
	struct exact_reference reference = { 0 };
	struct dedup_words scratch = { 0 };
	uint64_t *shingles = NULL;
	size_t shingle_capacity = 0, true_positive = 0, false_positive = 0, false_negative = 0;
	size_t true_negative = 0, truth_by_resemblance_only = 0, truth_by_containment_only = 0;
	size_t near_threshold = 0, group_right = 0, copies_found = 0, copies = 0, bytes = 0;
	int *truth;
	double started, index_seconds, reference_seconds;
	char error[256];

	/* Originals, then copies (a third of them made from an earlier copy). */
	for (size_t i = 0; i < originals; i++) {
		size_t copy_count = random_below(10) < 6 ? 1 + random_below(3) : 0;
		size_t first = count;

		if (count + 1 + copy_count > capacity) {
			capacity = (count + 1 + copy_count) * 2;
			documents = xrealloc(documents, capacity * sizeof *documents);
		}
		make_original(&documents[count]);
		snprintf(documents[count].id, sizeof documents[count].id, "%032zx", count);
		count++;
		for (size_t c = 0; c < copy_count; c++) {
			size_t source = (c > 0 && random_below(3) == 0) ? count - 1 : first;

			make_copy(&documents[count], &documents[source], (int)first);
			snprintf(documents[count].id, sizeof documents[count].id, "%032zx", count);
			count++;
			copies++;
		}
	}
	/* Stream order: a copy follows its source within the next ~40 articles. */
	stream = xmalloc(count * sizeof *stream);
	{
		double position = 0;

		for (size_t i = 0; i < count; i++) {
			if (documents[i].origin < 0) {
				position += 1;
				stream[i].key = position;
			} else
				stream[i].key = stream[i - 1].key + 0.01 + random_unit() * 40;
			stream[i].document = i;
			bytes += strlen(documents[i].text);
		}
	}
	qsort(stream, count, sizeof *stream, compare_stream);
	truth = xcalloc(count, sizeof *truth);

	dedup_config_defaults(&config);
	reference_seconds = 0;
	started = clock_seconds(CLOCK_MONOTONIC);
	for (size_t s = 0; s < count; s++) {
		const struct document *document = &documents[stream[s].document];
		size_t distinct = exact_shingles(document->text, &scratch, &shingles,
		    &shingle_capacity);
		struct exact_verdict verdict = reference_judge(&reference, shingles, distinct,
		    config.threshold, config.containment_threshold);

		truth[s] = verdict.duplicate;
		if (verdict.duplicate && verdict.best_resemblance < config.threshold)
			truth_by_containment_only++;
		if (verdict.duplicate && verdict.best_containment < config.containment_threshold)
			truth_by_resemblance_only++;
		if ((verdict.best_resemblance > 0.4 && verdict.best_resemblance < 0.6) ||
		    (verdict.best_containment > 0.7 && verdict.best_containment < 0.9))
			near_threshold++;
	}
	reference_seconds = clock_seconds(CLOCK_MONOTONIC) - started;

	index = dedup_open(&config, error, sizeof error);
	if (index == NULL) {
		fprintf(stderr, "bench_dedup: %s\n", error);
		exit(1);
	}
	index_seconds = 0;
	for (size_t s = 0; s < count; s++) {
		const struct document *document = &documents[stream[s].document];
		struct article *article = article_new();
		double before;
		int duplicate;

		article_set(&article->id, document->id);
		article->text = document->text;		/* borrowed: no copy in the timing */
		before = clock_seconds(CLOCK_MONOTONIC);
		dedup_check(index, article, BASE_TIME + (time_t)s);
		index_seconds += clock_seconds(CLOCK_MONOTONIC) - before;
		article->text = NULL;
		duplicate = article->dedup.status == DEDUP_DUPLICATE;
		if (duplicate && truth[s])
			true_positive++;
		else if (duplicate)
			false_positive++;
		else if (truth[s])
			false_negative++;
		else
			true_negative++;
		if (document->origin >= 0 && duplicate) {
			copies_found++;
			if (strcmp(article->dedup.group, documents[document->origin].id) == 0)
				group_right++;
		}
		article_free(article);
	}

	printf("\nquality: %zu articles (%zu originals, %zu edited copies), %.1f KB average, "
	    "same-topic articles share quotes\n", count, originals, copies,
	    (double)bytes / (double)count / 1024);
	printf("  exact reference: %zu duplicates (%zu by containment only, %zu by resemblance "
	    "only), %zu articles within 0.1 of a threshold\n",
	    true_positive + false_negative, truth_by_containment_only, truth_by_resemblance_only,
	    near_threshold);
	printf("  %-44s %10s %10s %12s %14s\n", "method", "recall", "precision", "docs/s",
	    "memory/doc");
	printf("  %-44s %10s %10s %12.0f %12.0f B\n", "exact Jaccard (all pairs, inverted index)",
	    "1 (truth)", "1 (truth)", (double)count / reference_seconds,
	    (double)reference_memory(&reference) / (double)count);
	printf("  %-44s %10.4f %10.4f %12.0f %14s\n", "wiresift MinHash 128x4 bit + LSH 16 bands",
	    true_positive + false_negative ? (double)true_positive /
	    (double)(true_positive + false_negative) : 1.0,
	    true_positive + false_positive ? (double)true_positive /
	    (double)(true_positive + false_positive) : 1.0, (double)count / index_seconds,
	    "(see scale)");
	printf("  confusion: tp=%zu fp=%zu fn=%zu tn=%zu; copies judged duplicate %zu/%zu, "
	    "with the original's group %zu\n", true_positive, false_positive, false_negative,
	    true_negative, copies_found, copies, group_right);
	printf("  targets: recall >= 0.98, precision >= 0.995\n");

	dedup_close(index);
	reference_free(&reference);
	dedup_words_free(&scratch);
	free(shingles);
	free(truth);
	free(stream);
	for (size_t i = 0; i < count; i++)
		document_free(&documents[i]);
	free(documents);
}

/* ---- the scale run ---- */

#define BATCH		1000
#define PROBES		20000
#define RESERVOIR	1000

static void
scale_run(size_t total)
{
	struct dedup_config config;
	struct dedup_index *index;
	struct document batch[BATCH];
	char *reservoir[RESERVOIR] = { 0 };
	double check_seconds = 0, *latency, *sketch_latency, *cpu_latency, *lookup_latency;
	size_t heap_before, resident_before, heap_after, resident_after, bytes = 0, size;
	size_t duplicates = 0, index_memory;
	char error[256];
	struct dedup_hasher hasher;
	struct dedup_sketch sketch;
	struct dedup_words words = { 0 };

	malloc_trim(0);
	heap_before = heap_bytes();
	resident_before = resident_bytes();
	dedup_config_defaults(&config);
	index = dedup_open(&config, error, sizeof error);
	if (index == NULL) {
		fprintf(stderr, "bench_dedup: %s\n", error);
		exit(1);
	}
	for (size_t done = 0; done < total; done += BATCH) {
		for (size_t i = 0; i < BATCH; i++) {
			size_t number = done + i;

			/* One in ten is a copy of an article seen earlier in the run. */
			if (random_below(10) == 0 && reservoir[random_below(RESERVOIR)] != NULL) {
				struct document source = { 0 };
				const char *text = reservoir[random_below(RESERVOIR)];

				if (text == NULL)
					text = reservoir[0];
				if (text == NULL) {
					make_original(&batch[i]);
				} else {
					char *copy = xstrdup(text), *paragraph;

					for (paragraph = strtok(copy, "\n"); paragraph != NULL;
					    paragraph = strtok(NULL, "\n"))
						document_add(&source, xstrdup(paragraph));
					free(copy);
					source.origin = -1;
					make_copy(&batch[i], &source, 0);
					document_free(&source);
				}
			} else
				make_original(&batch[i]);
			snprintf(batch[i].id, sizeof batch[i].id, "%032zx", number);
		}
		for (size_t i = 0; i < BATCH; i++) {
			struct article *article = article_new();
			double before;

			article_set(&article->id, batch[i].id);
			article->text = batch[i].text;
			before = clock_seconds(CLOCK_MONOTONIC);
			dedup_check(index, article, BASE_TIME + (time_t)((done + i) / 20));
			check_seconds += clock_seconds(CLOCK_MONOTONIC) - before;
			article->text = NULL;
			duplicates += article->dedup.status == DEDUP_DUPLICATE;
			bytes += strlen(batch[i].text);
			article_free(article);
		}
		for (size_t i = 0; i < BATCH; i++) {
			size_t slot = random_below(RESERVOIR);

			if (random_below(20) == 0) {
				free(reservoir[slot]);
				reservoir[slot] = batch[i].text;
				batch[i].text = NULL;
			}
			document_free(&batch[i]);
		}
	}
	malloc_trim(0);
	size = dedup_size(index);
	heap_after = heap_bytes();
	resident_after = resident_bytes();
	index_memory = dedup_memory(index);

	/* Time single checks at this size: fresh articles and copies of indexed ones. */
	latency = xmalloc(PROBES * sizeof *latency);
	sketch_latency = xmalloc(PROBES * sizeof *sketch_latency);
	cpu_latency = xmalloc(PROBES * sizeof *cpu_latency);
	lookup_latency = xmalloc(PROBES * sizeof *lookup_latency);
	dedup_timing_enable(index);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	dedup_sketch_init(&sketch, &hasher);
	for (size_t i = 0; i < PROBES; i++) {
		struct document probe;
		struct article *article = article_new();
		double before, cpu_before;

		if (i % 2 == 0 || reservoir[i % RESERVOIR] == NULL)
			make_original(&probe);
		else {
			struct document source = { 0 };
			char *copy = xstrdup(reservoir[i % RESERVOIR]);

			for (char *paragraph = strtok(copy, "\n"); paragraph != NULL;
			    paragraph = strtok(NULL, "\n"))
				document_add(&source, xstrdup(paragraph));
			free(copy);
			make_copy(&probe, &source, 0);
			document_free(&source);
		}
		snprintf(probe.id, sizeof probe.id, "p%031zx", i);
		before = clock_seconds(CLOCK_MONOTONIC);
		dedup_words_from_text(&words, probe.text);
		dedup_sketch_compute(&hasher, &words, &sketch);
		sketch_latency[i] = clock_seconds(CLOCK_MONOTONIC) - before;
		article_set(&article->id, probe.id);
		article->text = probe.text;
		before = clock_seconds(CLOCK_MONOTONIC);
		cpu_before = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
		dedup_check(index, article, BASE_TIME + (time_t)(total / 20) + 1);
		cpu_latency[i] = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_before;
		lookup_latency[i] = dedup_last_lookup_seconds(index);
		latency[i] = clock_seconds(CLOCK_MONOTONIC) - before;
		article->text = NULL;
		article_free(article);
		document_free(&probe);
	}
	qsort(latency, PROBES, sizeof *latency, compare_double);
	qsort(cpu_latency, PROBES, sizeof *cpu_latency, compare_double);
	qsort(sketch_latency, PROBES, sizeof *sketch_latency, compare_double);
	qsort(lookup_latency, PROBES, sizeof *lookup_latency, compare_double);

	printf("\nscale: %zu articles of %.1f KB average (%zu judged duplicates), one core\n",
	    total, (double)bytes / (double)total / 1024, duplicates);
	printf("  %-52s %12.0f docs/s  (target >= 20000)\n",
	    "normalize + sketch + lookup + insert throughput", (double)total / check_seconds);
	printf("  %-52s %12.1f bytes   (target <= 256)\n", "memory per indexed article, mallinfo2",
	    ((double)heap_after - (double)heap_before) / (double)size);
	printf("  %-52s %12.1f bytes\n", "memory per indexed article, RSS delta",
	    ((double)resident_after - (double)resident_before) / (double)size);
	printf("  %-52s %8.1f / %.1f / %.1f us  (p99 target <= 50)\n",
	    "lookup (LSH candidates + verify), CPU: p50 / p99 / max",
	    percentile(lookup_latency, PROBES, 0.5) * 1e6,
	    percentile(lookup_latency, PROBES, 0.99) * 1e6, lookup_latency[PROBES - 1] * 1e6);
	printf("  %-52s %8.1f / %.1f / %.1f us\n",
	    "whole dedup_check (sketch + lookup): p50 / p99 / max", percentile(latency, PROBES, 0.5) * 1e6,
	    percentile(latency, PROBES, 0.99) * 1e6, latency[PROBES - 1] * 1e6);
	printf("  %-52s %8.1f / %.1f / %.1f us  (thread CPU time: without preemption)\n",
	    "dedup_check at that size, CPU: p50 / p99 / max",
	    percentile(cpu_latency, PROBES, 0.5) * 1e6,
	    percentile(cpu_latency, PROBES, 0.99) * 1e6, cpu_latency[PROBES - 1] * 1e6);
	printf("  %-52s %8.1f / %.1f us\n", "  of which normalize + sketch: p50 / p99",
	    percentile(sketch_latency, PROBES, 0.5) * 1e6,
	    percentile(sketch_latency, PROBES, 0.99) * 1e6);
	printf("  %-52s %12.1f bytes\n", "memory per indexed article, as allocated by the index",
	    (double)index_memory / (double)size);
	printf("  index entries: %zu before the probes, %zu after\n", size, dedup_size(index));

	dedup_sketch_free(&sketch);
	dedup_hasher_free(&hasher);
	dedup_words_free(&words);
	free(latency);
	free(sketch_latency);
	free(lookup_latency);
	free(cpu_latency);
	for (size_t i = 0; i < RESERVOIR; i++)
		free(reservoir[i]);
	dedup_close(index);
}

int
main(void)
{
	const char *quick = getenv("BENCH_QUICK");
	int is_quick = quick != NULL && *quick != '\0' && strcmp(quick, "0") != 0;
	size_t total = is_quick ? 100000 : 1000000;
	size_t originals = is_quick ? 4000 : 15000;

	log_init(LOG_LEVEL_WARNING);
	corpus_init();
	printf("bench_dedup: shingles of 5 words, MinHash 128 values (4-bit stored), 16 LSH bands, "
	    "threshold 0.5, containment 0.8%s\n", is_quick ? " (BENCH_QUICK)" : "");
	quality_run(originals);
	scale_run(total);
	return 0;
}
