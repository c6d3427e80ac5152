/*
 * stories.c - the story summaries, on the loop thread: after each article is judged, the
 * current summary of the story it joined (and a tombstone for each story that left the
 * window) goes to topic.stories, keyed by the story id, so a compacted topic holds one
 * record per open story. A summary is a view, not the record of an article, so it is not
 * spooled: one the producer refuses waits in the story index for the next drain, and one
 * not delivered is sent again, as the story's current summary (or its tombstone), at the
 * next drain. Summaries still waiting when the daemon stops go with a later join.
 */
#include <string.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "story/story.h"

static enum message_kind story_message = MESSAGE_STORY;

static int
send_summary(const char *story_id, const char *json, void *context)
{
	struct ingest *ingest = context;

	if (publisher_send_raw(ingest->publisher, ingest->config->topic_stories, story_id, json,
	    json != NULL ? strlen(json) : 0, "content-type=application/json\n",
	    &story_message) == 0)
		return 0;
	log_complain("kafka.story", "publish", "story.summary_refused", "story=%s topic=%s",
	    story_id, ingest->config->topic_stories);
	return -1;
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
	char story_id[17];
	struct story_index *stories = pipeline_stories(ingest->pipeline);

	log_complain("kafka.story", "publish", "story.summary_failed", "story=%.*s error=%s",
	    (int)report->key_length, report->key, log_quote(report->error_text));
	if (stories == NULL || report->key_length != 16)
		return;
	memcpy(story_id, report->key, 16);
	story_id[16] = '\0';
	story_summary_retry(stories, story_id);
}
