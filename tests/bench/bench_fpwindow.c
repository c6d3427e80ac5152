/*
 * bench_fpwindow.c - a cluster instance's start against a full dedup window: the fingerprints
 * topic it must read and judge before /readyz says ready (daemon/cluster/fingerprints.c).
 * Three commands:
 *
 *   bench_fpwindow make CONFIG FEEDDIR COUNT FILE
 *	COUNT records, as an instance with CONFIG writes them (fprecord_encode() of an article
 *	pipeline_prepare() made), into FILE (framed: 32-bit key length, key, 32-bit value
 *	length, value, little-endian). The articles are FEEDDIR's items (gen_feeds.py articles:
 *	realistic text, gazetteer names, one in ten a wire copy), in file order; past the last
 *	item they are taken again as variants: the same article with every word of one in three
 *	(a word-and-variant hash) suffixed by the variant, its own id and feed, then sketched and
 *	featured again, so variants are new articles to dedup and stories while a wire copy's
 *	variant is still a copy of its original's. Record times are spread over 90% of the
 *	window, in order, ending a minute ago.
 *   bench_fpwindow produce BOOTSTRAP TOPIC FILE [BATCH [RATE [MARK]]]
 *	FILE's records into partition 0 of TOPIC, uncompressed (as the fingerprints topic is
 *	written), BATCH records to a produce batch at most (default 1: a group that sends a few
 *	records a second writes a batch, and a transaction marker, per record); RATE records a
 *	second at most (0: no limit); MARK, a character written over the first of every id (key
 *	and record), so a file already in the topic comes again as new articles, copies of the
 *	first (a group ingesting while an instance starts).
 *   bench_fpwindow judge CONFIG FILE [local]
 *	FILE's records judged as the catch-up judges another instance's (fprecord_open,
 *	fprecord_article, dedup_check and story_assign with story_remote_enable), the loop
 *	thread's work without the reading: microseconds a record, peak RSS. With "local" each
 *	is judged as its own instance would (story ids written into the article), and a line per
 *	record "id verdict duplicate_of story_id" goes to stdout, to compare two builds' judging.
 *   bench_fpwindow replay CONFIG FILE DIR
 *	What a local copy of the indexes would save a start: FILE's records judged as local
 *	ones into indexes kept in DIR as a single-node daemon keeps them (state_dir/dedup.log,
 *	stories.log: every verdict committed), then the indexes opened again from DIR, timed:
 *	the load a start from such a copy would pay instead of judging the window. (Single-node
 *	logs hold the unique articles only, so this is an estimate of a snapshot's cost, not one.)
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

#include "article.h"
#include "clock.h"
#include "cluster/fprecord.h"
#include "config.h"
#include "dedup/dedup.h"
#include "feed/feed.h"
#include "pipeline.h"
#include "story/story.h"
#include "util.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	fputs("bench_fpwindow: ", stderr);
	vfprintf(stderr, format, arguments);
	fputc('\n', stderr);
	va_end(arguments);
	exit(1);
}

/* A prepared article kept to make variants of: what the record is written from. */
struct base {
	char		*id, *feed_url, *title, *text, *source_name, *source_domain, *feed_name;
	struct entity	*entities;
	size_t		 entity_count;
};

struct maker {
	const struct config	*config;
	struct pipeline_stages	*stages;
	struct dedup_sketcher	*sketcher;
	struct story_extractor	*extractor;
	struct dedup_hasher	 hasher;
	struct base		*bases;
	size_t			 base_count, base_size;
	long			 count, written;
	time_t			 first, span;
	FILE			*out;
};

static void
write_u32(FILE *out, uint32_t value)
{
	uint8_t bytes[4] = { value, value >> 8, value >> 16, value >> 24 };

	fwrite(bytes, 1, 4, out);
}

static int
read_u32(FILE *in, uint32_t *value)
{
	uint8_t bytes[4];

	if (fread(bytes, 1, 4, in) != 4)
		return -1;
	*value = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | (uint32_t)bytes[3] << 24;
	return 0;
}

/* The next record of the file (key and value malloc'd), 0; -1 at its end. */
static int
read_record(FILE *in, char **key, uint8_t **value, uint32_t *length)
{
	uint32_t key_length;

	if (read_u32(in, &key_length) < 0)
		return -1;
	*key = xmalloc(key_length + 1);
	if (fread(*key, 1, key_length, in) != key_length || read_u32(in, length) < 0)
		die("truncated record file");
	(*key)[key_length] = '\0';
	*value = xmalloc(*length ? *length : 1);
	if (fread(*value, 1, *length, in) != *length)
		die("truncated record file");
	return 0;
}

static time_t
record_time(const struct maker *maker)
{
	return maker->first + (time_t)((double)maker->span * maker->written / maker->count);
}

static void
emit(struct maker *maker, const struct article *article)
{
	size_t length;
	uint8_t *value = fprecord_encode(&maker->hasher, article, record_time(maker), &length);

	write_u32(maker->out, (uint32_t)strlen(article->id));
	fputs(article->id, maker->out);
	write_u32(maker->out, (uint32_t)length);
	fwrite(value, 1, length, maker->out);
	free(value);
	maker->written++;
}

static char *
copy_or_null(const char *text)
{
	return text != NULL ? xstrdup(text) : NULL;
}

static void
keep_base(struct maker *maker, const struct article *article)
{
	struct base *base;

	if (maker->base_count == maker->base_size) {
		maker->base_size = maker->base_size ? maker->base_size * 2 : 1024;
		maker->bases = xrealloc(maker->bases, maker->base_size * sizeof *maker->bases);
	}
	base = &maker->bases[maker->base_count++];
	base->id = xstrdup(article->id);
	base->feed_url = copy_or_null(article->feed_url);
	base->title = copy_or_null(article->title);
	base->text = copy_or_null(article->text);
	base->source_name = copy_or_null(article->source_name);
	base->source_domain = copy_or_null(article->source_domain);
	base->feed_name = copy_or_null(article->feed_name);
	base->entity_count = article->entity_count;
	base->entities = xcalloc(article->entity_count + 1, sizeof *base->entities);
	for (size_t i = 0; i < article->entity_count; i++) {
		base->entities[i].name = xstrdup(article->entities[i].name);
		base->entities[i].type = xstrdup(article->entities[i].type);
		base->entities[i].count = article->entities[i].count;
	}
}

/* A feed item: prepared as a worker prepares it, at its record's time; written, kept. */
static int
on_item(struct article *article, void *context)
{
	struct maker *maker = context;

	if (maker->written >= maker->count) {
		article_free(article);
		return 1;
	}
	pipeline_attach_source(article, NULL, article->feed_url);
	article->published = article->fetched = record_time(maker);
	article->updated = 0;
	if (pipeline_prepare(maker->stages, article, record_time(maker), NULL, NULL) == 0 &&
	    article->dedup_sketch != NULL) {
		emit(maker, article);
		keep_base(maker, article);
	}
	article_free(article);
	return 0;
}

/* text with every word whose hash with variant is 0 mod 3 suffixed "q" and the variant. */
static char *
mutate(const char *text, unsigned variant)
{
	struct buffer out = { 0 };
	const char *at = text;

	if (text == NULL)
		return NULL;
	while (*at != '\0') {
		size_t word = 0;
		while (isalpha((unsigned char)at[word]))
			word++;
		if (word == 0) {
			buffer_append(&out, at, 1);
			at++;
			continue;
		}
		buffer_append(&out, at, word);
		if (XXH32(at, word, variant) % 3 == 0)
			buffer_printf(&out, "q%x", variant);
		at += word;
	}
	if (out.data == NULL)
		return xstrdup("");
	return out.data;
}

static void
emit_variant(struct maker *maker, const struct base *base, unsigned variant)
{
	struct article *article = article_new();
	char id[128], *feed_url = xasprintf("%s?variant=%u", base->feed_url, variant);

	snprintf(id, sizeof id, "%08x%s", XXH32(base->id, strlen(base->id), variant),
	    base->id + (strlen(base->id) > 8 ? 8 : 0));
	article_set(&article->id, id);
	article->feed_url = feed_url;
	article->title = mutate(base->title, variant);
	article->text = mutate(base->text, variant);
	article->source_name = copy_or_null(base->source_name);
	article->source_domain = copy_or_null(base->source_domain);
	article->feed_name = copy_or_null(base->feed_name);
	for (size_t i = 0; i < base->entity_count; i++)
		article_add_entity(article, base->entities[i].name, base->entities[i].type,
		    base->entities[i].count);
	article->published = article->fetched = record_time(maker);
	dedup_sketch_article(maker->sketcher, article);
	story_extract_article(maker->extractor, article);
	emit(maker, article);
	article_free(article);
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void
read_feeds(struct maker *maker, const char *directory)
{
	struct dirent **names;
	int count = scandir(directory, &names, NULL, by_name);

	if (count < 0)
		die("%s: %s", directory, strerror(errno));
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		size_t length = strlen(name), size;
		if (length > 4 && strcmp(name + length - 4, ".xml") == 0 &&
		    maker->written < maker->count) {
			char *path = xasprintf("%s/%s", directory, name), error[256];
			char *url = xasprintf("http://feeds.example/%s", name);
			char *body = file_read(path, &size);
			struct feed_meta meta = { 0 };
			if (body == NULL || feed_parse(body, size, url, NULL, &meta, on_item, maker,
			    error, sizeof error) < 0)
				die("%s: cannot read", path);
			feed_meta_free(&meta);
			free(body);
			free(path);
			free(url);
		}
		free(names[i]);
	}
	free(names);
}

static void
base_free(struct base *base)
{
	free(base->id);
	free(base->feed_url);
	free(base->title);
	free(base->text);
	free(base->source_name);
	free(base->source_domain);
	free(base->feed_name);
	for (size_t i = 0; i < base->entity_count; i++) {
		free(base->entities[i].name);
		free(base->entities[i].type);
	}
	free(base->entities);
}

static void
maker_free(struct maker *maker)
{
	for (size_t i = 0; i < maker->base_count; i++)
		base_free(&maker->bases[i]);
	free(maker->bases);
	pipeline_stages_close(maker->stages);
	dedup_sketcher_free(maker->sketcher);
	story_extractor_free(maker->extractor);
	dedup_hasher_free(&maker->hasher);
}

static long long
window_of(const struct config *config)
{
	return config->stories.enabled && config->stories.window_seconds >
	    config->dedup.window_seconds ? config->stories.window_seconds :
	    config->dedup.window_seconds;
}

static struct config *
load(const char *path)
{
	char error[1024];
	struct config *config = config_load(path, error, sizeof error);

	if (config == NULL)
		die("%s", error);
	return config;
}

static int
make(const char *config_path, const char *feeds, long count, const char *file)
{
	struct config *config = load(config_path);
	struct maker maker = { .config = config, .count = count };
	char error[1024];

	if ((maker.stages = pipeline_stages_open(config, error, sizeof error)) == NULL)
		die("%s", error);
	if ((maker.out = fopen(file, "wb")) == NULL)
		die("%s: %s", file, strerror(errno));
	maker.sketcher = dedup_sketcher_new(&config->dedup);
	maker.extractor = story_extractor_new();
	dedup_hasher_init(&maker.hasher, config->dedup.shingle_size, config->dedup.signature_size,
	    config->dedup.bands);
	maker.span = (time_t)(window_of(config) * 9 / 10);
	maker.first = time(NULL) - 60 - maker.span;
	read_feeds(&maker, feeds);
	for (unsigned variant = 1; maker.written < maker.count && maker.base_count > 0; variant++)
		for (size_t i = 0; i < maker.base_count && maker.written < maker.count; i++)
			emit_variant(&maker, &maker.bases[i], variant);
	if (fclose(maker.out) != 0)
		die("%s: %s", file, strerror(errno));
	printf("fpwindow.make records=%ld articles=%zu\n", maker.written, maker.base_count);
	maker_free(&maker);
	config_free(config);
	return 0;
}

/* ---- produce ---- */

static void
on_delivery(rd_kafka_t *kafka, const rd_kafka_message_t *message, void *context)
{
	long *failed = context;

	if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && (*failed)++ == 0)
		fprintf(stderr, "delivery: %s\n", rd_kafka_err2str(message->err));
}

static rd_kafka_t *
producer(const char *bootstrap, const char *batch, long *failed)
{
	const char *settings[][2] = {
		{ "bootstrap.servers", bootstrap }, { "compression.type", "none" },
		{ "enable.idempotence", "true" }, { "linger.ms", "5" },
		{ "batch.num.messages", batch }, { "queue.buffering.max.messages", "100000" },
	};
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char error[512];
	rd_kafka_t *kafka;

	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], error, sizeof error) !=
		    RD_KAFKA_CONF_OK)
			die("%s", error);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, failed);
	if ((kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error)) == NULL)
		die("%s", error);
	return kafka;
}

/* The record's id starts after the header, the time and its 32-bit length (fprecord.c). */
static void
mark_id(char *key, uint8_t *value, uint32_t length, char mark)
{
	if (mark != '\0' && key[0] != '\0' && length > FPRECORD_HEADER + 12) {
		key[0] = mark;
		value[FPRECORD_HEADER + 12] = (uint8_t)mark;
	}
}

static void
pace(double started, long count, double rate)
{
	double due = started + count / rate, now = clock_seconds(CLOCK_MONOTONIC);

	if (rate > 0 && due > now)
		usleep((useconds_t)((due - now) * 1e6));
}

static int
produce(const char *bootstrap, const char *topic, const char *file, const char *batch,
    double rate, char mark)
{
	long failed = 0, count = 0;
	rd_kafka_t *kafka = producer(bootstrap, batch, &failed);
	FILE *in = fopen(file, "rb");
	double started = clock_seconds(CLOCK_MONOTONIC);
	uint8_t *value;
	uint32_t length;
	char *key;

	if (in == NULL)
		die("%s: %s", file, strerror(errno));
	while (read_record(in, &key, &value, &length) == 0) {
		rd_kafka_resp_err_t code;
		mark_id(key, value, length, mark);
		pace(started, count, rate);
		while ((code = rd_kafka_producev(kafka, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, strlen(key)),
		    RD_KAFKA_V_VALUE(value, length), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
		    RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(kafka, 100);
		if (code != RD_KAFKA_RESP_ERR_NO_ERROR)
			die("produce: %s", rd_kafka_err2str(code));
		rd_kafka_poll(kafka, 0);
		free(key);
		count++;
	}
	fclose(in);
	rd_kafka_flush(kafka, 600 * 1000);
	printf("fpwindow.produce records=%ld failed=%ld seconds=%.1f\n", count, failed,
	    clock_seconds(CLOCK_MONOTONIC) - started);
	rd_kafka_destroy(kafka);
	return failed != 0;
}

/* ---- judge ---- */

static void
print_verdict(const struct article *article)
{
	printf("%s %d %s %s\n", article->id, (int)article->dedup.status,
	    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-",
	    article->story.id ? article->story.id : "-");
}

/* As on_fingerprint_remote (ingest/cluster.c) judges another instance's record. */
/* A record of the file read into an article (another instance's, as judge() reads it). */
struct window_record {
	char		*key;
	uint8_t		*value;
	uint32_t	 length;
	struct fprecord	 record;
	struct article	*article;
};

/* The next record of the file into *at, 0; -1 at its end. An unreadable one ends the run. */
static int
next_article(FILE *in, const struct dedup_hasher *hasher, long number, struct window_record *at)
{
	if (read_record(in, &at->key, &at->value, &at->length) < 0)
		return -1;
	at->article = NULL;
	if (fprecord_open(&at->record, at->value, at->length) == 0)
		at->article = fprecord_article(&at->record, hasher);
	if (at->article == NULL)
		die("record %ld: unreadable", number);
	return 0;
}

static void
article_done(struct window_record *at)
{
	fprecord_close(&at->record);
	article_free(at->article);
	free(at->key);
	free(at->value);
}

static void
judge_one(struct pipeline *pipeline, struct article *article, time_t when, int local)
{
	struct story_index *stories = pipeline_stories(pipeline);

	if (stories != NULL && article->story_features != NULL) {
		story_remote_enable(stories, !local);
		pipeline_judge(pipeline, article, when);
		story_remote_enable(stories, 0);
	} else
		pipeline_judge_dedup(pipeline, article, when);
	if (local)
		print_verdict(article);
}

static int
judge(const char *config_path, const char *file, int local)
{
	struct config *config = load(config_path);
	struct dedup_hasher hasher;
	struct pipeline *pipeline;
	struct rusage usage;
	double seconds = 0;
	long count = 0, bytes = 0;
	FILE *in = fopen(file, "rb");
	char error[1024];

	if (in == NULL)
		die("%s: %s", file, strerror(errno));
	if ((pipeline = pipeline_open(config, PIPELINE_DAEMON, error, sizeof error)) == NULL)
		die("%s", error);
	dedup_hasher_init(&hasher, config->dedup.shingle_size, config->dedup.signature_size,
	    config->dedup.bands);
	for (;;) {
		double started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		struct window_record at;
		if (next_article(in, &hasher, count, &at) < 0)
			break;
		judge_one(pipeline, at.article, at.record.time, local);
		article_done(&at);
		seconds += clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
		bytes += at.length;
		count++;
	}
	fclose(in);
	getrusage(RUSAGE_SELF, &usage);
	fprintf(local ? stderr : stdout, "fpwindow.judge records=%ld bytes_per_record=%ld "
	    "us_per_record=%.1f dedup_size=%zu stories=%zu max_rss_mb=%.0f\n", count,
	    count ? bytes / count : 0, count ? seconds / count * 1e6 : 0,
	    pipeline_dedup_size(pipeline), pipeline_story_count(pipeline),
	    usage.ru_maxrss / 1024.0);
	pipeline_close(pipeline);
	dedup_hasher_free(&hasher);
	config_free(config);
	return 0;
}

static double
open_seconds(struct config *config, struct pipeline **pipeline)
{
	double started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	char error[1024];

	if ((*pipeline = pipeline_open(config, PIPELINE_DAEMON, error, sizeof error)) == NULL)
		die("%s", error);
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
}

static int
replay(const char *config_path, const char *file, const char *directory)
{
	struct config *config = load(config_path);
	struct dedup_hasher hasher;
	struct pipeline *pipeline;
	double judged = 0, opened;
	long count = 0;
	FILE *in = fopen(file, "rb");

	if (in == NULL)
		die("%s: %s", file, strerror(errno));
	free(config->cluster.group);
	config->cluster.group = NULL;		/* the indexes in state_dir, as single-node */
	free(config->state_dir);
	config->state_dir = xstrdup(directory);
	open_seconds(config, &pipeline);
	dedup_hasher_init(&hasher, config->dedup.shingle_size, config->dedup.signature_size,
	    config->dedup.bands);
	for (;;) {
		double started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		struct window_record at;
		if (next_article(in, &hasher, count, &at) < 0)
			break;
		pipeline_judge(pipeline, at.article, at.record.time);
		judged += clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
		pipeline_commit(pipeline, at.article);
		if (++count % 1000 == 0)
			pipeline_flush(pipeline);
		article_done(&at);
	}
	fclose(in);
	pipeline_close_stores(pipeline);
	pipeline_close(pipeline);
	opened = open_seconds(config, &pipeline);
	printf("fpwindow.replay records=%ld judge_s=%.2f open_s=%.2f dedup_size=%zu stories=%zu\n",
	    count, judged, opened, pipeline_dedup_size(pipeline), pipeline_story_count(pipeline));
	pipeline_close(pipeline);
	dedup_hasher_free(&hasher);
	config_free(config);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "make") == 0)
		return make(argv[2], argv[3], atol(argv[4]), argv[5]);
	if (argc >= 5 && argc <= 8 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], argv[4], argc > 5 ? argv[5] : "1",
		    argc > 6 ? atof(argv[6]) : 0, argc > 7 ? argv[7][0] : '\0');
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "judge") == 0)
		return judge(argv[2], argv[3], argc == 5 && strcmp(argv[4], "local") == 0);
	if (argc == 5 && strcmp(argv[1], "replay") == 0)
		return replay(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: bench_fpwindow make CONFIG FEEDDIR COUNT FILE\n"
	    "       bench_fpwindow produce BOOTSTRAP TOPIC FILE [BATCH [RATE [MARK]]]\n"
	    "       bench_fpwindow judge CONFIG FILE [local]\n"
	    "       bench_fpwindow replay CONFIG FILE DIR\n");
	return 2;
}
