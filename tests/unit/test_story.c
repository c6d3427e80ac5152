/*
 * test_story.c - the story stage (daemon/story/): write-ups of one event in other words get
 * one story, look-alike events in one window (two earthquakes, two rehab announcements, two
 * award hosts) get two; wire copies take their original's story; the seeds in
 * ../shared/seeds (read at run time, skipped when absent) make one story; open stories
 * survive a reopen and a SIGKILL; stories leave the window with a tombstone; summaries (the
 * direct writer against jansson's tree), --explain, config errors and the maps underneath.
 *
 * Articles go through the real pipeline of conf/demo/wiresift.conf (cleaner, the entities
 * plugin and the rest from $WIRESIFT_PLUGIN_DIR, this build's plugins when unset).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "plugin_dir.h"
#include "fixtures.h"
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "story/story_internal.h"
#include "util.h"

#define FIXTURE "tests/fixtures/stories/lookalike.jsonl"
#define MAX_ARTICLES 64

static int skipped;
static struct pipeline_stages *daemon_stages;	/* PIPELINE_DAEMON has none of its own */

struct labelled {
	char	*event;
	char	*outlet;
	char	*title;
	char	*text;
	time_t	 published;
	char	*story;		/* assigned */
};

static time_t
parse_time(const char *text)
{
	struct tm tm = { 0 };

	if (strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static size_t
load_fixture(struct labelled *out)
{
	char *raw = file_read(FIXTURE, NULL), *line, *save = NULL;
	size_t count = 0;

	for (line = raw ? strtok_r(raw, "\n", &save) : NULL; line != NULL && count < MAX_ARTICLES;
	    line = strtok_r(NULL, "\n", &save)) {
		json_t *root = json_loads(line, 0, NULL);

		if (root == NULL)
			continue;
		out[count].event = xstrdup(json_string_value(json_object_get(root, "event")));
		out[count].outlet = xstrdup(json_string_value(json_object_get(root, "outlet")));
		out[count].title = xstrdup(json_string_value(json_object_get(root, "title")));
		out[count].text = xstrdup(json_string_value(json_object_get(root, "text")));
		out[count].published = parse_time(json_string_value(json_object_get(root,
		    "published")));
		out[count++].story = NULL;
		json_decref(root);
	}
	free(raw);
	return count;
}

static void
labelled_free(struct labelled *items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(items[i].event);
		free(items[i].outlet);
		free(items[i].title);
		free(items[i].text);
		free(items[i].story);
	}
}

/* An article as a feed would give it: paragraphs as HTML, the outlet as the feed's name. */
static struct article *
make_article(const char *outlet, const char *title, const char *text, time_t published,
    const char *slug)
{
	struct article *article = article_new();
	struct buffer html = { 0 };
	char *copy = xstrdup(text), *paragraph, *save = NULL;

	for (paragraph = strtok_r(copy, "\n", &save); paragraph != NULL;
	    paragraph = strtok_r(NULL, "\n", &save))
		buffer_printf(&html, "<p>%s</p>", paragraph);
	free(copy);
	article->title_raw = xstrdup(title);
	article->content_html = buffer_steal(&html);
	article->feed_name = xstrdup(outlet);
	article->link = xasprintf("https://news.example/%s", slug);
	article->published = published;
	article->fetched = published + 60;
	article_assign_id(article);
	return article;
}

static struct config *
demo_config(const char *state_dir)
{
	char error[512] = "";
	struct config *config;

	plugin_dir_default();
	if ((config = config_load("conf/demo/wiresift.conf", error, sizeof error)) == NULL) {
		fprintf(stderr, "  %s\n", error);
		return NULL;
	}
	free(config->state_dir);
	config->state_dir = xstrdup(state_dir ? state_dir : "/nonexistent");
	return config;
}

/* Run one article through the pipeline; returns its story id (caller frees) or NULL. */
static char *
judge(struct pipeline *pipeline, struct article *article, int commit)
{
	char *story = NULL;
	int prepared;

	if (daemon_stages != NULL) {
		if ((prepared = pipeline_prepare(daemon_stages, article, article->fetched, NULL,
		    NULL)) == 0)
			pipeline_judge(pipeline, article, article->fetched);
	} else
		prepared = pipeline_run(pipeline, article, article->fetched, NULL, NULL);
	if (prepared == 0 && article->story.id != NULL) {
		story = xstrdup(article->story.id);
		if (commit)
			pipeline_commit(pipeline, article);
	}
	article_free(article);
	return story;
}

static int
by_published(const void *a, const void *b)
{
	const struct labelled *x = a, *y = b;

	return (x->published > y->published) - (x->published < y->published);
}

/* B-cubed precision and recall of the assigned stories against the events. */
static void
bcubed(const struct labelled *items, size_t count, double *precision, double *recall)
{
	*precision = *recall = 0;
	for (size_t i = 0; i < count; i++) {
		double same_both = 0, same_story = 0, same_event = 0;

		for (size_t j = 0; j < count; j++) {
			int story = items[i].story && items[j].story &&
			    strcmp(items[i].story, items[j].story) == 0;
			int event = strcmp(items[i].event, items[j].event) == 0;

			same_both += story && event;
			same_story += story;
			same_event += event;
		}
		*precision += same_story > 0 ? same_both / same_story : 0;
		*recall += same_both / same_event;
	}
	*precision /= count;
	*recall /= count;
}

static void
test_lookalike_events(void)
{
	struct labelled items[MAX_ARTICLES];
	size_t count = load_fixture(items);
	struct config *config = demo_config(NULL);
	char error[512] = "";
	struct pipeline *pipeline = config ? pipeline_open(config, PIPELINE_OFFLINE, error,
	    sizeof error) : NULL;
	double precision, recall;

	CHECK(count >= 20 && pipeline != NULL);
	if (pipeline == NULL)
		goto out;
	qsort(items, count, sizeof *items, by_published);
	for (size_t i = 0; i < count; i++) {
		char slug[64];

		snprintf(slug, sizeof slug, "lookalike-%zu", i);
		items[i].story = judge(pipeline, make_article(items[i].outlet, items[i].title,
		    items[i].text, items[i].published, slug), 0);
		CHECK(items[i].story != NULL);
	}
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++) {
			int same_event = strcmp(items[i].event, items[j].event) == 0;
			int same_story = items[i].story && items[j].story &&
			    strcmp(items[i].story, items[j].story) == 0;

			if (same_event != same_story) {
				fprintf(stderr, "  %s (%s) and %s (%s): %s\n", items[i].event,
				    items[i].outlet, items[j].event, items[j].outlet, same_event ?
				    "one event, two stories" : "two events, one story");
				CHECK(0);
			}
		}
	bcubed(items, count, &precision, &recall);
	printf("look-alike set: %zu articles, B-cubed precision %.3f recall %.3f\n", count,
	    precision, recall);
out:
	labelled_free(items, count);
	pipeline_close(pipeline);
	config_free(config);
}

/* A wire copy (dedup duplicate) takes its original's story, and the story grows. */
static void
test_wire_copy_takes_story(void)
{
	struct labelled items[MAX_ARTICLES];
	size_t count = load_fixture(items);
	struct config *config = demo_config(NULL);
	char error[512] = "";
	struct pipeline *pipeline = config ? pipeline_open(config, PIPELINE_OFFLINE, error,
	    sizeof error) : NULL;
	struct article *original, *copy;
	char *edited;

	CHECK(count > 0 && pipeline != NULL);
	if (pipeline == NULL || count == 0)
		goto out;
	original = make_article(items[0].outlet, items[0].title, items[0].text,
	    items[0].published, "original");
	copy = make_article("Reprint Herald", items[0].title, (edited = xasprintf("%s\nReporting "
	    "by staff.", items[0].text)), items[0].published + 600, "copy");
	CHECK(pipeline_run(pipeline, original, original->fetched, NULL, NULL) == 0);
	CHECK(pipeline_run(pipeline, copy, copy->fetched, NULL, NULL) == 0);
	CHECK(copy->dedup.status == DEDUP_DUPLICATE);
	CHECK_STR(copy->story.id, original->story.id);
	CHECK(original->story.size == 1 && copy->story.size == 2);
	CHECK_STR(copy->story.headline, items[0].title);
	CHECK(copy->story.first_seen == items[0].published);
	free(edited);
	article_free(original);
	article_free(copy);
out:
	labelled_free(items, count);
	pipeline_close(pipeline);
	config_free(config);
}

/* The first sentence of a seed stands for its title. */
static char *
first_sentence(const char *text)
{
	size_t length = strcspn(text, ".\n");

	return xstrndup(text, length < 160 ? length : 160);
}

static void
test_seeds_one_story(void)
{
	char *texts[8], *stories[8], *copies[8];
	size_t count = seeds_read(texts, NULL, 8);
	struct config *config;
	struct pipeline *pipeline;
	char error[512] = "";
	time_t published = 1758434400;	/* one Sunday morning */

	if (count == 0) {
		printf("test_seeds_one_story: skipped, no seeds in ../shared/seeds "
		    "(set WIRESIFT_SEEDS)\n");
		skipped++;
		return;
	}
	config = demo_config(NULL);
	pipeline = config ? pipeline_open(config, PIPELINE_OFFLINE, error, sizeof error) : NULL;
	CHECK(pipeline != NULL);
	for (size_t i = 0; pipeline != NULL && i < count; i++) {
		char outlet[32], slug[32], *title = first_sentence(texts[i]);

		snprintf(outlet, sizeof outlet, "Outlet %zu", i);
		snprintf(slug, sizeof slug, "seed-%zu", i);
		stories[i] = judge(pipeline, make_article(outlet, title, texts[i],
		    published + (time_t)i * 1800, slug), 0);
		free(title);
	}
	/* Their wire copies: the same text with a line added, republished an hour later. */
	for (size_t i = 0; pipeline != NULL && i < count; i++) {
		char *title = first_sentence(texts[i]), slug[32];
		char *text = xasprintf("%s\n(Distributed by a wire service.)", texts[i]);

		snprintf(slug, sizeof slug, "seed-copy-%zu", i);
		copies[i] = judge(pipeline, make_article("Reprint Herald", title, text,
		    published + 3600 + (time_t)i * 60, slug), 0);
		free(title);
		free(text);
	}
	for (size_t i = 0; pipeline != NULL && i < count; i++) {
		CHECK(stories[i] != NULL && copies[i] != NULL);
		CHECK_STR(stories[i], stories[0]);
		CHECK_STR(copies[i], stories[0]);
	}
	printf("seeds: %zu write-ups and %zu wire copies, one story\n", count, count);
	for (size_t i = 0; pipeline != NULL && i < count; i++) {
		free(stories[i]);
		free(copies[i]);
	}
	for (size_t i = 0; i < count; i++)
		free(texts[i]);
	pipeline_close(pipeline);
	config_free(config);
}

static char *
temporary_directory(void)
{
	char template[] = "/tmp/wiresift-story-XXXXXX";

	return mkdtemp(template) ? xstrdup(template) : NULL;
}

static void
remove_directory(char *directory)
{
	char *command = xasprintf("rm -rf '%s'", directory);

	if (system(command) != 0)
		fprintf(stderr, "  could not remove %s\n", directory);
	free(command);
	free(directory);
}

/* The fixture's articles of two events, half of each: the rest come after a restart. */
static size_t
judge_events(struct pipeline *pipeline, struct labelled *items, size_t count, int part,
    int commit, char **first_story)
{
	size_t judged = 0;

	for (size_t i = 0; i < count; i++) {
		int which = strcmp(items[i].event, "quake-peru") == 0 ? 0 :
		    strcmp(items[i].event, "rehab-ostrova") == 0 ? 1 : -1;
		char slug[64], *story;

		if (which < 0 || (int)(i % 2) != part)
			continue;
		snprintf(slug, sizeof slug, "persist-%zu", i);
		story = judge(pipeline, make_article(items[i].outlet, items[i].title,
		    items[i].text, items[i].published, slug), commit);
		if (first_story[which] == NULL)
			first_story[which] = story;
		else {
			CHECK_STR(story, first_story[which]);
			free(story);
		}
		judged++;
	}
	return judged;
}

static void
persistence_round(int sigkill)
{
	struct labelled items[MAX_ARTICLES];
	size_t count = load_fixture(items);
	char *directory = temporary_directory(), *before[2] = { NULL, NULL };
	char *after[2] = { NULL, NULL }, error[512] = "";
	struct config *config = demo_config(directory);
	struct pipeline *pipeline;
	pid_t child;
	int status;

	qsort(items, count, sizeof *items, by_published);
	daemon_stages = pipeline_stages_open(config, error, sizeof error);
	if (sigkill && (child = fork()) == 0) {
		pipeline = pipeline_open(config, PIPELINE_DAEMON, error, sizeof error);
		judge_events(pipeline, items, count, 0, 1, before);
		pipeline_flush(pipeline);
		kill(getpid(), SIGKILL);	/* no close: what was written must be enough */
		_exit(1);
	}
	if (sigkill) {
		waitpid(child, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	} else {
		pipeline = pipeline_open(config, PIPELINE_DAEMON, error, sizeof error);
		CHECK(judge_events(pipeline, items, count, 0, 1, before) > 0);
		pipeline_close(pipeline);
	}
	pipeline = pipeline_open(config, PIPELINE_DAEMON, error, sizeof error);
	CHECK(pipeline != NULL && story_count(pipeline_stories(pipeline)) == 2);
	judge_events(pipeline, items, count, 1, 1, after);
	/* The later write-ups join the stories opened before the restart. */
	CHECK(after[0] != NULL && after[1] != NULL);
	if (!sigkill)
		CHECK(before[0] && after[0] && strcmp(before[0], after[0]) == 0);
	CHECK(after[0] && after[1] && strcmp(after[0], after[1]) != 0);
	CHECK(story_count(pipeline_stories(pipeline)) == 2);
	pipeline_close(pipeline);
	for (int i = 0; i < 2; i++) {
		free(before[i]);
		free(after[i]);
	}
	labelled_free(items, count);
	pipeline_stages_close(daemon_stages);
	daemon_stages = NULL;
	config_free(config);
	remove_directory(directory);
}

static void
test_persistence_reopen(void)
{
	persistence_round(0);
}

static void
test_persistence_sigkill(void)
{
	persistence_round(1);
}

/* Loose features straight into an index: the clock, summaries, tombstones, explain. */
static void
assign_loose(struct story_index *index, struct story_extractor *extractor, const char *id,
    const char *outlet, const char *title, const char *text, struct entity *entities,
    size_t entity_count, time_t when, char **story_out, char **explain_out)
{
	struct article *article = article_new();

	article->id = xstrdup(id);
	article->source_name = xstrdup(outlet);
	article->title = xstrdup(title);
	for (size_t i = 0; i < entity_count; i++)
		article_add_entity(article, entities[i].name, entities[i].type, entities[i].count);
	article->story_features = xcalloc(1, sizeof *article->story_features);
	story_extract(extractor, article->story_features, title, text, entities, entity_count,
	    when);
	story_assign(index, article);
	*story_out = xstrdup(article->story.id);
	if (explain_out != NULL)
		*explain_out = article->story.explain ? xstrdup(article->story.explain) : NULL;
	article_free(article);
}

struct drained {
	int	 summaries;
	int	 tombstones;
	int	 refuse;		/* refuse this many records first, as a full producer queue */
	char	*last_summary;
	char	 tombstone_id[17];
};

static int
collect_summary(const char *story_id, const char *json, void *context)
{
	struct drained *drained = context;

	if (drained->refuse > 0) {
		drained->refuse--;
		return -1;
	}
	if (json == NULL) {
		drained->tombstones++;
		snprintf(drained->tombstone_id, sizeof drained->tombstone_id, "%s", story_id);
		return 0;
	}
	drained->summaries++;
	free(drained->last_summary);
	drained->last_summary = xstrdup(json);
	return 0;
}

static void
test_window_summaries_explain(void)
{
	struct story_config config;
	struct story_index *index;
	struct story_extractor *extractor = story_extractor_new();
	struct entity entities[] = { { "Marlow Bay", "place", 2 }, { "Ines Vale", "person", 2 } };
	struct drained drained = { 0 };
	char error[256], *first, *second, *third, *explain = NULL;
	time_t t0 = 1780000000;
	json_t *summary;

	story_config_defaults(&config);
	index = story_open(&config, error, sizeof error);
	story_summaries_enable(index, 1);
	story_explain_enable(index, 1);
	assign_loose(index, extractor, "a1", "Outlet One", "Tanker aground in Marlow Bay",
	    "A tanker ran aground in Marlow Bay on Monday. Ines Vale, the harbour master, said "
	    "oil had not leaked. Tugs will try to refloat the tanker at high tide.", entities, 2,
	    t0, &first, NULL);
	assign_loose(index, extractor, "a2", "Outlet Two", "Tugs try to refloat tanker in Marlow Bay",
	    "Tugs in Marlow Bay tried to refloat the grounded tanker at high tide, harbour master "
	    "Ines Vale said; no oil has leaked.", entities, 2, t0 + 3600, &second, &explain);
	CHECK_STR(first, second);
	CHECK_CONTAINS(explain, "joined story=");
	CHECK_CONTAINS(explain, "shared=");
	CHECK_CONTAINS(explain, "place:marlow bay");
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 1 && drained.tombstones == 0);
	/* An update of a1 (same id, later time): the same story, no new member, no summary. */
	free(explain);
	assign_loose(index, extractor, "a1", "Outlet One", "Tanker refloated in Marlow Bay",
	    "The tanker that ran aground in Marlow Bay was refloated; Ines Vale said no oil "
	    "leaked.", entities, 2, t0 + 7200, &third, &explain);
	CHECK_STR(third, first);
	CHECK_CONTAINS(explain, "(an update)");
	CHECK(story_count(index) == 1 && story_article_count(index) == 2);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 1);
	free(third);
	summary = drained.last_summary ? json_loads(drained.last_summary, 0, NULL) : NULL;
	CHECK(summary != NULL);
	CHECK(json_integer_value(json_object_get(summary, "size")) == 2);
	CHECK_STR(json_string_value(json_object_get(summary, "headline")),
	    "Tanker aground in Marlow Bay");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(summary,
	    "articles"), 1), "source")), "Outlet Two");
	CHECK(json_array_size(json_object_get(summary, "entities")) == 2);
	json_decref(summary);
	/* 73 hours after its newest article the story leaves the window: a tombstone. */
	assign_loose(index, extractor, "b1", "Outlet One", "Tanker aground in Marlow Bay again",
	    "A second tanker ran aground in Marlow Bay. Ines Vale said oil had not leaked.",
	    entities, 2, t0 + 3600 + 73 * 3600, &third, NULL);
	CHECK(strcmp(third, first) != 0);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.tombstones == 1 && strcmp(drained.tombstone_id, first) == 0);
	CHECK(story_count(index) == 1 && story_article_count(index) == 1);
	free(first);
	free(second);
	free(third);
	free(explain);
	free(drained.last_summary);
	story_close(index);
	story_extractor_free(extractor);
}

/* A summary or tombstone the producer refuses waits for the next drain; one taken but not
 * delivered goes again (the story's current summary, or its tombstone once closed). */
static void
test_summaries_refused_and_retried(void)
{
	struct story_config config;
	struct story_index *index;
	struct story_extractor *extractor = story_extractor_new();
	struct entity entities[] = { { "Marlow Bay", "place", 2 } };
	struct drained drained = { 0 };
	char error[256], *first, *second;
	time_t t0 = 1780000000;

	story_config_defaults(&config);
	index = story_open(&config, error, sizeof error);
	story_summaries_enable(index, 1);
	assign_loose(index, extractor, "a1", "Outlet One", "Tanker aground in Marlow Bay",
	    "A tanker ran aground in Marlow Bay on Monday; no oil leaked.", entities, 1, t0,
	    &first, NULL);
	drained.refuse = 1;
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 0);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 1);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 1);			/* nothing pending any more */
	story_summary_retry(index, first);		/* delivery failed: send it again */
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 2 && drained.tombstones == 0);
	assign_loose(index, extractor, "b1", "Outlet Two", "Choir wins folk contest",
	    "A village choir won the national folk contest.", NULL, 0, t0 + 80 * 3600, &second,
	    NULL);
	drained.refuse = 2;			/* the new story's summary, twice: all waits */
	story_drain(index, collect_summary, &drained);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 2 && drained.tombstones == 0);
	story_drain(index, collect_summary, &drained);
	CHECK(drained.summaries == 3 && drained.tombstones == 1 &&
	    strcmp(drained.tombstone_id, first) == 0);
	story_summary_retry(index, first);		/* a closed story: its tombstone again */
	story_summary_retry(index, "not-a-story-id");
	story_drain(index, collect_summary, &drained);
	CHECK(drained.tombstones == 2 && drained.summaries == 3);
	free(first);
	free(second);
	free(drained.last_summary);
	story_close(index);
	story_extractor_free(extractor);
}

/* Records in a stories log (16-byte header, then u32 length + u32 check + payload each). */
static size_t
log_records(const char *path, size_t *length)
{
	char *data = file_read(path, length);
	size_t offset = 16, count = 0;
	uint32_t payload;

	while (data != NULL && offset + 8 <= *length) {
		memcpy(&payload, data + offset, 4);
		offset += 8 + payload;
		count++;
	}
	free(data);
	return count;
}

/* 6,000 stories through a 1-hour window: the log is rewritten as they close, the open ones
 * survive a reopen, and a torn tail is cut away. */
static void
test_store_compaction_and_torn_tail(void)
{
	char *directory = temporary_directory(), *path, error[256], id[32], title[96];
	struct story_extractor *extractor = story_extractor_new();
	struct story_config config;
	struct story_index *index;
	size_t open_before, length_before = 0, length_after = 0, records;
	time_t t0 = 1780000000;
	unsigned seed = 3;
	FILE *file;

	story_config_defaults(&config);
	config.window_seconds = 3600;
	config.state_dir = directory;
	index = story_open(&config, error, sizeof error);
	CHECK(index != NULL);
	for (int i = 0; index != NULL && i < 6000; i++) {
		char *story;

		snprintf(id, sizeof id, "article-%d", i);
		snprintf(title, sizeof title, "w%u%u x%u%u y%u%u z%u", rand_r(&seed), i,
		    rand_r(&seed), i, rand_r(&seed), i, rand_r(&seed));
		assign_loose(index, extractor, id, "Outlet", title, title, NULL, 0, t0 + i * 10,
		    &story, NULL);
		story_commit(index, id);
		if (i % 100 == 0)
			story_flush(index);
		free(story);
	}
	open_before = index ? story_count(index) : 0;
	story_close(index);
	path = xasprintf("%s/stories.log", directory);
	records = log_records(path, &length_before);
	/* 6,000 joins were written; most belonged to stories long closed */
	CHECK(records >= open_before && records < 3000);
	CHECK(open_before > 300 && open_before < 400);
	if ((file = fopen(path, "a")) != NULL) {
		fputs("torn record", file);
		fclose(file);
	}
	index = story_open(&config, error, sizeof error);
	CHECK(index != NULL && story_count(index) == open_before);
	story_close(index);
	free(file_read(path, &length_after));
	CHECK(length_after == length_before);
	free(path);
	story_extractor_free(extractor);
	remove_directory(directory);
}

/* story_map against a plain array, through growth and backward-shift deletion. */
static void
test_map_against_array(void)
{
	struct story_map map;
	uint64_t keys[5000], value;
	int present[5000] = { 0 };
	unsigned seed = 7;

	story_map_init(&map);
	for (int i = 0; i < 5000; i++)
		keys[i] = ((uint64_t)rand_r(&seed) << 32 | (uint64_t)rand_r(&seed)) | 1;
	for (int round = 0; round < 40000; round++) {
		int i = rand_r(&seed) % 5000;

		if (rand_r(&seed) % 3 == 0) {
			story_map_remove(&map, keys[i]);
			present[i] = 0;
		} else {
			story_map_put(&map, keys[i], (uint64_t)i);
			present[i] = 1;
		}
	}
	for (int i = 0; i < 5000; i++) {
		int found = story_map_get(&map, keys[i], &value);

		CHECK(found == present[i]);
		CHECK(!found || value == (uint64_t)i);
	}
	story_map_free(&map);
}

static void
test_config_errors(void)
{
	char path[] = "/tmp/wiresift-story-conf-XXXXXX", error[512];
	int fd = mkstemp(path);
	const char *bad[] = { "[stories]\nthreshold = 2\n", "[stories]\nwindow = 1s\n",
	    "[stories]\ncolour = blue\n" };
	struct config *config;

	for (size_t i = 0; i < 3; i++) {
		FILE *file = fopen(path, "w");

		fputs(bad[i], file);
		fclose(file);
		config = config_load(path, error, sizeof error);
		CHECK(config == NULL);
		CHECK_CONTAINS(error, path);
		config_free(config);
	}
	{
		FILE *file = fopen(path, "w");

		fputs("[stories]\nenabled = no\nthreshold = 0.4\nwindow = 48h\n"
		    "[kafka]\ntopic.stories = my.stories\n", file);
		fclose(file);
	}
	config = config_load(path, error, sizeof error);
	CHECK(config != NULL && !config->stories.enabled && config->stories.threshold == 0.4 &&
	    config->stories.window_seconds == 48 * 3600 &&
	    strcmp(config->topic_stories, "my.stories") == 0);
	config_free(config);
	close(fd);
	unlink(path);
}

/*
 * The summary written straight (story_summary_json) against the same story through jansson's
 * tree (story_summary_json_tree), on 2,000 random stories: strings with escapes, controls,
 * UTF-8, invalid UTF-8 (the tree drops what jansson refuses), no headline, 0-600 members.
 */
static void
test_summary_writer_against_tree(void)
{
	static const char *pieces[] = { "Marlow Bay", "\"quoted\"", "back\\slash", "tab\there",
	    "line\nbreak", "\x01ctl", "caf\xc3\xa9", "\xe2\x82\xac euro", "\xf0\x9f\x93\xb0",
	    "bad\xc3", "\xed\xa0\x80surrogate", "", " ", "/" };
	size_t piece_count = sizeof pieces / sizeof pieces[0];
	unsigned seed = 17;
	int same = 0, total = 2000;

	for (int round = 0; round < total; round++) {
		struct story story = { 0 };
		char headline[64], names[STORY_ENTITY_NAMES][64], ids[600][20], *direct, *tree;

		story.key = (uint64_t)rand_r(&seed) << 32 | (unsigned)rand_r(&seed);
		story.first_seen = 1780000000 + rand_r(&seed) % 100000;
		story.last_seen = story.first_seen + rand_r(&seed) % 100000;
		snprintf(headline, sizeof headline, "%s %s", pieces[rand_r(&seed) % piece_count],
		    pieces[rand_r(&seed) % piece_count]);
		story.headline = rand_r(&seed) % 5 == 0 ? NULL : headline;
		story.entity_name_count = (uint16_t)(rand_r(&seed) % (STORY_ENTITY_NAMES + 1));
		for (uint16_t i = 0; i < story.entity_name_count; i++) {
			snprintf(names[i], sizeof names[i], "%s", pieces[rand_r(&seed) % piece_count]);
			story.entity_names[i].name = names[i];
			snprintf(story.entity_names[i].type, sizeof story.entity_names[i].type, "%s",
			    i % 2 ? "person" : "place");
			story.entity_names[i].count = (uint16_t)(rand_r(&seed) % 70000);
		}
		story.size = (uint32_t)(round % 50 == 0 ? 600 : rand_r(&seed) % 8);
		story.members = xcalloc(story.size + 1, sizeof *story.members);
		for (uint32_t i = 0; i < story.size; i++) {
			snprintf(ids[i], sizeof ids[i], "%016x", (unsigned)rand_r(&seed));
			story.members[i].id = ids[i];
			story.members[i].outlet = pieces[rand_r(&seed) % piece_count];
			story.members[i].id_length = (uint32_t)strlen(ids[i]);
			story.members[i].outlet_length = (uint32_t)strlen(story.members[i].outlet);
		}
		direct = story_summary_json(&story);
		tree = story_summary_json_tree(&story);
		same += strcmp(direct, tree) == 0;
		if (strcmp(direct, tree) != 0 && same + 1 == round)
			fprintf(stderr, "direct %s\ntree   %s\n", direct, tree);
		free(direct);
		free(tree);
		free(story.members);
	}
	CHECK(same == total);
}

int
main(void)
{
	log_init(getenv("TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	RUN(test_lookalike_events);
	RUN(test_wire_copy_takes_story);
	RUN(test_seeds_one_story);
	RUN(test_persistence_reopen);
	RUN(test_persistence_sigkill);
	RUN(test_window_summaries_explain);
	RUN(test_summaries_refused_and_retried);
	RUN(test_summary_writer_against_tree);
	RUN(test_store_compaction_and_torn_tail);
	RUN(test_map_against_array);
	RUN(test_config_errors);
	printf("%d passed, %d failed, %d skipped\n", check_tests_passed - skipped,
	    check_tests_failed, skipped);
	return check_tests_failed == 0 ? 0 : 1;
}
