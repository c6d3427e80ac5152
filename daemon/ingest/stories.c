/*
 * stories.c - the story summaries, on the loop thread: after each article is judged, the
 * current summary of the story it joined (and a tombstone for each story that left the
 * window) goes to topic.stories, keyed by the story id, so a compacted topic holds one
 * record per open story. A summary is a view, not the record of an article: one that Kafka
 * does not take is not spooled (the story's next join sends a newer one); the failure is
 * logged.
 */
#include <string.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "story/story.h"

static enum message_kind story_message = MESSAGE_STORY;

static void
send_summary(const char *story_id, const char *json, void *context)
{
	struct ingest *ingest = context;

	if (publisher_send_raw(ingest->publisher, ingest->config->topic_stories, story_id, json,
	    json != NULL ? strlen(json) : 0, "content-type=application/json\n",
	    &story_message) < 0)
		log_complain("kafka.story", "publish", "story.summary_refused", "story=%s "
		    "topic=%s", story_id, ingest->config->topic_stories);
}

void
ingest_publish_stories(struct ingest *ingest)
{
	struct story_index *stories = pipeline_stories(ingest->pipeline);

	if (stories != NULL && ingest->publisher != NULL)
		story_drain(stories, send_summary, ingest);
}

void
ingest_on_story_report(struct ingest *ingest, const struct delivery_report *report)
{
	if (report->success)
		return;
	log_complain("kafka.story", "publish", "story.summary_failed", "story=%.*s error=%s",
	    (int)report->key_length, report->key, log_quote(report->error_text));
}
