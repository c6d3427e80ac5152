/*
 * bench_lang.c - the lang plugin (plugins/lang/lang.cc, CLD2) alone, at several sample sizes
 * (its max_bytes option): accuracy against the TRUE language of labelled articles, and thread
 * CPU time per article.  Each file named on the command line holds one article a line:
 *
 *   CODES <TAB> GROUP <TAB> SHAPE <TAB> TITLE <TAB> TEXT
 *
 * CODES the accepted ISO 639-1 answers ("no|nb"), GROUP and SHAPE free labels the figures are
 * split by (tests/bench/lang_corpus.py writes "latin", "cyrillic"...; "plain", "dateline"...),
 * TEXT with "\n" for a line break.  BENCH_SIZES (default "128 256 384 512 1024 0") are the
 * max_bytes tried, 0 for the whole text, a size with an "r" ("512r") run with fast_scan = no
 * (CLD2's own entry point, the reference plugins/lang/cld2_fast.cc must agree with);
 * BENCH_ROUNDS (default 3) timed rounds, the sizes taken in turn within each round so that
 * machine load falls on all of them alike.  With BENCH_DIFF=A,B (e.g. "512r,512") it also lists
 * each article whose verdict (code or confidence) differs between sizes A and B, and counts
 * them.  For instruction counts run it under callgrind with BENCH_ROUNDS=1.
 *
 * The daemon allocates with jemalloc (CLD2 takes scratch on every call: ~200 KB through its
 * entry point, ~56 KB through cld2_fast.cc): for its figures run this with
 * LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=tcache_max:262144 (the daemon's malloc_conf, in
 * daemon/main.c); without, glibc's malloc with its default trim threshold is measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "plugin.h"
#include "util.h"
#include "clock.h"
#include "plugin_dir.h"

#define MAX_SIZES	8
#define MAX_LABELS	128

struct item {
	char		*codes, *group, *shape;
	struct article	*article;
	char		 verdict[MAX_SIZES][8];
	double		 confidence[MAX_SIZES];
};

struct corpus {
	struct item	*items;
	size_t		 count, capacity;
};

/* "\n", "\t" and "\\" back into the characters. */
static void
unescape(char *text)
{
	char *out = text;

	for (char *in = text; *in != '\0'; in++) {
		if (*in == '\\' && (in[1] == 'n' || in[1] == 't' || in[1] == '\\')) {
			in++;
			*out++ = *in == 'n' ? '\n' : *in == 't' ? '\t' : '\\';
		} else
			*out++ = *in;
	}
	*out = '\0';
}

static void
corpus_add_line(struct corpus *corpus, char *line)
{
	char *field[5];
	struct item *item;

	line[strcspn(line, "\n")] = '\0';
	for (int i = 0; i < 5; i++) {
		field[i] = line;
		line = i < 4 ? strchr(line, '\t') : NULL;
		if (i < 4 && line == NULL)
			return;
		if (line != NULL)
			*line++ = '\0';
	}
	if (corpus->count == corpus->capacity) {
		corpus->capacity = corpus->capacity ? corpus->capacity * 2 : 1024;
		corpus->items = xrealloc(corpus->items, corpus->capacity * sizeof(*item));
	}
	item = &corpus->items[corpus->count++];
	memset(item, 0, sizeof(*item));
	item->codes = xstrdup(field[0]);
	item->group = xstrdup(field[1]);
	item->shape = xstrdup(field[2]);
	unescape(field[3]);
	unescape(field[4]);
	item->article = article_new();
	article_set(&item->article->title, field[3]);
	article_set(&item->article->text, field[4]);
}

static void
corpus_read(struct corpus *corpus, const char *path)
{
	FILE *file = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;

	if (file == NULL) {
		perror(path);
		exit(1);
	}
	while (getline(&line, &size, file) != -1)
		corpus_add_line(corpus, line);
	free(line);
	fclose(file);
}

static struct plugin_chain *
lang_chain(long max_bytes, int reference)
{
	struct plugin_setting settings[2] = { { .key = (char *)"max_bytes", .line = 2 },
	    { .key = (char *)"fast_scan", .value = (char *)(reference ? "no" : "yes"), .line = 3 } };
	struct plugin_config config = { .name = (char *)"lang",
	    .config_file = (char *)"conf/wiresift.conf", .line = 1, .settings = settings,
	    .setting_count = 2 };
	struct plugin_chain *chain;
	char value[32], error[512];

	snprintf(value, sizeof(value), "%ld", max_bytes > 0 ? max_bytes : 1L << 30);
	settings[0].value = value;
	if ((chain = plugin_chain_load(&config, 1, NULL, error, sizeof(error))) == NULL) {
		fprintf(stderr, "bench_lang: %s\n", error);
		exit(1);
	}
	return chain;
}

/* One pass of chain over the corpus, verdicts into slot; returns thread CPU seconds. */
static double
run_size(struct plugin_chain *chain, struct corpus *corpus, int slot)
{
	double start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);

	for (size_t i = 0; i < corpus->count; i++) {
		struct article *article = corpus->items[i].article;

		article->lang_code[0] = '\0';
		article->lang_confidence = 0;
		plugin_chain_process(chain, article);
	}
	start = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start;
	for (size_t i = 0; i < corpus->count; i++) {
		memcpy(corpus->items[i].verdict[slot], corpus->items[i].article->lang_code, 8);
		corpus->items[i].confidence[slot] = corpus->items[i].article->lang_confidence;
	}
	return start;
}

/* Whether code is one of the '|'-separated codes. */
static int
accepted(const char *codes, const char *code)
{
	size_t length = strlen(code);

	for (const char *at = codes; *at != '\0'; at += strcspn(at, "|"), at += *at == '|') {
		if (length > 0 && strncmp(at, code, length) == 0 &&
		    (at[length] == '|' || at[length] == '\0'))
			return 1;
	}
	return 0;
}

/* The label kind of an item: 0 its group, 1 its shape, 2 its language codes. */
static const char *
item_label(const struct item *item, int kind)
{
	return kind == 2 ? item->codes : kind == 1 ? item->shape : item->group;
}

/* The distinct values of a label (group or shape) in the corpus, "all" first. */
static size_t
labels(const struct corpus *corpus, int shape, const char *out[MAX_LABELS])
{
	size_t count = 0;

	out[count++] = "all";
	for (size_t i = 0; i < corpus->count; i++) {
		const char *label = item_label(&corpus->items[i], shape);
		size_t j = 1;

		while (j < count && strcmp(out[j], label) != 0)
			j++;
		if (j == count && count < MAX_LABELS)
			out[count++] = label;
	}
	return count;
}

static void
print_accuracy(const struct corpus *corpus, int shape, const long *sizes, int size_count)
{
	const char *names[MAX_LABELS];
	size_t name_count = labels(corpus, shape, names);

	for (size_t n = 0; n < name_count; n++) {
		size_t total = 0, right[MAX_SIZES] = { 0 };

		for (size_t i = 0; i < corpus->count; i++) {
			const struct item *item = &corpus->items[i];

			if (n > 0 && strcmp(item_label(item, shape), names[n]) != 0)
				continue;
			total++;
			for (int s = 0; s < size_count; s++)
				right[s] += accepted(item->codes, item->verdict[s]);
		}
		printf("%-6s %-12s %6zu", shape == 2 ? "lang" : shape ? "shape" : "group", names[n],
		    total);
		for (int s = 0; s < size_count; s++)
			printf("  %6.2f%%", 100.0 * (double)right[s] / (double)total);
		printf("\n");
	}
}

static void
print_differences(const struct corpus *corpus, char names[][16], int size_count,
    const char *pair)
{
	size_t comma = strcspn(pair, ","), differ = 0;
	int sa = -1, sb = -1;

	for (int s = 0; s < size_count; s++) {
		sa = strlen(names[s]) == comma && strncmp(names[s], pair, comma) == 0 ? s : sa;
		sb = strcmp(names[s], pair + comma + 1) == 0 ? s : sb;
	}
	if (sa < 0 || sb < 0) {
		printf("BENCH_DIFF %s: no such sizes\n", pair);
		return;
	}
	for (size_t i = 0; i < corpus->count; i++) {
		const struct item *item = &corpus->items[i];

		if (strcmp(item->verdict[sa], item->verdict[sb]) == 0 &&
		    item->confidence[sa] == item->confidence[sb])
			continue;
		differ++;
		printf("differs %s/%s %s: %s %.3f  %s: %s %.3f  | %.60s\n", item->codes, item->shape,
		    names[sa], item->verdict[sa], item->confidence[sa], names[sb], item->verdict[sb],
		    item->confidence[sb], item->article->title);
	}
	printf("%zu of %zu verdicts differ between %s and %s\n", differ, corpus->count, names[sa],
	    names[sb]);
}

int
main(int argc, char **argv)
{
	const char *size_list = getenv("BENCH_SIZES"), *rounds_text = getenv("BENCH_ROUNDS");
	int rounds = rounds_text ? atoi(rounds_text) : 3, size_count = 0, reference[MAX_SIZES];
	long sizes[MAX_SIZES];
	char names[MAX_SIZES][16];
	double seconds[MAX_SIZES] = { 0 };
	struct plugin_chain *chains[MAX_SIZES];
	struct corpus corpus = { 0 };
	char *end;

	plugin_dir_default();
	for (const char *at = size_list ? size_list : "128 256 384 512 1024 0";
	    size_count < MAX_SIZES && *(at += strspn(at, " ,")) != '\0'; at = end) {
		sizes[size_count] = strtol(at, &end, 10);
		if (end == at)
			break;
		reference[size_count] = *end == 'r';
		end += *end == 'r';
		snprintf(names[size_count], sizeof(names[0]), "%ld%s", sizes[size_count],
		    reference[size_count] ? "r" : "");
		size_count++;
	}
	for (int i = 1; i < argc; i++)
		corpus_read(&corpus, argv[i]);
	if (corpus.count == 0 || size_count == 0) {
		fprintf(stderr, "usage: bench_lang CORPUS.tsv... (see the file's comment)\n");
		return 1;
	}
	for (int s = 0; s < size_count; s++)
		chains[s] = lang_chain(sizes[s], reference[s]);
	for (int round = 0; round < (rounds > 0 ? rounds : 1); round++)
		for (int s = 0; s < size_count; s++)
			seconds[s] += run_size(chains[s], &corpus, s);
	printf("%zu articles, %d rounds; max_bytes (0 = whole text):\n%-19s %6s", corpus.count,
	    rounds, "", "n");
	for (int s = 0; s < size_count; s++)
		printf("  %7s", names[s]);
	printf("\n%-26s", "us/article (thread CPU)");
	for (int s = 0; s < size_count; s++)
		printf("  %7.2f", seconds[s] * 1e6 / (double)corpus.count / (rounds > 0 ? rounds : 1));
	printf("\n");
	print_accuracy(&corpus, 0, sizes, size_count);
	print_accuracy(&corpus, 1, sizes, size_count);
	if (getenv("BENCH_BY_LANGUAGE") != NULL)
		print_accuracy(&corpus, 2, sizes, size_count);
	if (getenv("BENCH_DIFF") != NULL && strchr(getenv("BENCH_DIFF"), ',') != NULL)
		print_differences(&corpus, names, size_count, getenv("BENCH_DIFF"));
	for (int s = 0; s < size_count; s++)
		plugin_chain_free(chains[s]);
	return 0;
}
