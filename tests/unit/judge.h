/*
 * judge.h - what the cluster record tests (test_fprecord.c, test_cluster_records.c) judge
 * with: one instance's dedup and story indexes, and an article judged as
 * daemon/cluster/fingerprints.c's hooks judge it (dedup_check, then story_assign when it has
 * story features), its verdicts kept as one line an article, for comparing two ways of
 * judging the same articles.
 */
#ifndef WIRESIFT_TEST_JUDGE_H
#define WIRESIFT_TEST_JUDGE_H

#include <string.h>
#include <time.h>

#include "article.h"
#include "dedup/dedup.h"
#include "story/story.h"
#include "util.h"

struct judge {
	struct dedup_index	*dedup;
	struct story_index	*stories;
	struct buffer		 verdicts;	/* one line an article judged */
};

static void
judge_open(struct judge *judge)
{
	struct dedup_config dedup;
	struct story_config stories;
	char error[256];

	memset(judge, 0, sizeof *judge);
	dedup_config_defaults(&dedup);
	story_config_defaults(&stories);
	judge->dedup = dedup_open(&dedup, error, sizeof error);
	judge->stories = story_open(&stories, error, sizeof error);
}

/* Judge article; its verdict, story and headline go to judge->verdicts as one line. */
static void
judge_article(struct judge *judge, struct article *article, time_t when)
{
	dedup_check(judge->dedup, article, when);
	if (article->story_features != NULL)
		story_assign(judge->stories, article);
	buffer_printf(&judge->verdicts, "%s status=%d group=%s of=%s similarity=%.6f story=%s size=%zu "
	    "headline=%s\n", article->id, (int)article->dedup.status, article->dedup.group,
	    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-",
	    article->dedup.similarity, article->story.id ? article->story.id : "-",
	    article->story.size, article->story.headline ? article->story.headline : "-");
}

static void
judge_close(struct judge *judge)
{
	dedup_close(judge->dedup);
	story_close(judge->stories);
	buffer_free(&judge->verdicts);
}

#endif
