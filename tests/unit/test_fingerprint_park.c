/*
 * test_fingerprint_park.c - cluster mode's park of articles waiting for their fingerprint
 * record (daemon/cluster/fingerprints.c), without Kafka: fingerprints.c is compiled in here
 * with its public names renamed (the library's own copy keeps them), its records taken as sent
 * by the tests' hook (cluster_test_drop_fingerprint), so that parking, the drop of a revoked
 * partition's articles (cluster_fingerprints_drop) and the release of those past their
 * deadline (expire()) run on a struct fingerprints made here.
 * An article dropped from the park must leave the deadlines' order too (823bbc9): it stayed
 * linked there once freed, so the next park wrote to it and the next deadline check read it
 * (under `make asan`, a heap-use-after-free; in the plain build, a crash or wrong releases).
 * A record the brokers refuse for good (MSG_SIZE_TOO_LARGE) is set aside: its article leaves
 * the park for the refused hook, and its id is never parked (sent) again; one of the size of
 * a record they took (likely refused with its batch) is sent again first, and set aside only
 * when refused again; a transient failure is only sent again.
 * One with story features refused for good is sent again without them first (shrunk): the
 * bytes of the whole record before its story part, flags bit 0 clear (the whole record is
 * the reference: the layout puts the story part last), and so is every later record of the
 * id; read back, such a record is judged dedup only (the local hook's story 0), a whole one
 * with its story; refused shrunk too, it is set aside.
 * A record goes to the producer as it is (publisher_send_to_owned, here a stand-in that keeps
 * a copy and frees it, as librdkafka does once its report is served) and the park keeps none:
 * one whose delivery failed is written again from the parked article, byte for byte the
 * record fprecord_encode() gives; one the producer refused (still the park's) is sent again
 * as it is.
 */
#define cluster_fingerprint_kind	park_test_fingerprint_kind
#define cluster_fingerprint_park	park_test_fingerprint_park
#define cluster_fingerprints_drop	park_test_fingerprints_drop
#define cluster_fingerprint_on_report	park_test_fingerprint_on_report
#define cluster_fingerprints_open	park_test_fingerprints_open
#define cluster_fingerprints_parked	park_test_fingerprints_parked
#define fingerprints_close		park_test_fingerprints_close
#define fingerprints_tick		park_test_fingerprints_tick
#define publisher_send_to_owned		park_test_send
#include "../../daemon/cluster/fingerprints.c"

#include "check.h"
#include "config.h"
#include "dedup/dedup.h"
#include "story/story_internal.h"

#define ARTICLES	8
#define SENDS_MAX	32

/* What the stand-in producer took: a copy of each record, in order. */
static struct {
	int		 producing;	/* 0: every record taken as sent (the drop hook) */
	int		 refuse;	/* the next sends are refused (the value stays the park's) */
	size_t		 count;
	char		 key[SENDS_MAX][40];
	uint8_t		*value[SENDS_MAX];
	size_t		 length[SENDS_MAX];
} sent;

/* Every record is taken as sent (and never comes back) unless the test produces. */
int
cluster_test_drop_fingerprint(const char *id)
{
	return !sent.producing;
}

int
park_test_send(struct publisher *publisher, const char *topic, int partition, const char *key,
    char *value, size_t value_length, void *message_context)
{
	if (sent.refuse)
		return -1;
	if (sent.count < SENDS_MAX) {
		snprintf(sent.key[sent.count], sizeof sent.key[0], "%s", key);
		sent.value[sent.count] = xmalloc(value_length);
		memcpy(sent.value[sent.count], value, value_length);
		sent.length[sent.count++] = value_length;
	}
	free(value);	/* librdkafka's, freed after its report (RD_KAFKA_MSG_F_FREE) */
	return 0;
}

static void
sent_clear(void)
{
	for (size_t i = 0; i < sent.count; i++)
		free(sent.value[i]);
	memset(&sent, 0, sizeof sent);
}

/* What the hooks saw: the items released past their deadline, in the order given. */
struct seen {
	int	expired[ARTICLES * 2];
	size_t	expired_count;
	int	refused[ARTICLES];	/* and those refused for good, in the order given */
	size_t	refused_count;
	int	local[ARTICLES];	/* and those judged at their record: story 1, else 0 */
	size_t	local_count;
};

static void
on_local(void *context, void *item, time_t when, int story)
{
	struct seen *seen = context;

	if (seen->local_count < ARTICLES && when == 1780000000)
		seen->local[seen->local_count++] = *(int *)item * 2 + story;
}

static void
on_refused(void *context, void *item, time_t when, size_t length, const char *error)
{
	struct seen *seen = context;

	if (seen->refused_count < ARTICLES && when == 1780000000 && length > 0 &&
	    strcmp(error, "Broker: Message size too large") == 0)
		seen->refused[seen->refused_count++] = *(int *)item;
}

static void
on_expired(void *context, void **items, size_t count)
{
	struct seen *seen = context;

	for (size_t i = 0; i < count && seen->expired_count < ARTICLES * 2; i++)
		seen->expired[seen->expired_count++] = *(int *)items[i];
}

/* Items 0, 2 and the newest parked (the ends and the middle of the deadlines' order). */
static int
is_dropped(void *item, void *context)
{
	int number = *(int *)item;

	return number == 0 || number == 2 || number == *(int *)context;
}

struct park {
	struct config		*config;
	struct cluster		 cluster;
	struct fingerprints	 fp;
	struct dedup_sketcher	*sketcher;
	struct article		*articles[ARTICLES];
	int			 numbers[ARTICLES];
};

static void
park_open(struct park *park, struct seen *seen)
{
	struct dedup_config dedup;

	memset(park, 0, sizeof *park);
	park->config = config_defaults();
	park->config->cluster.fingerprint_timeout_ms = 0;	/* due at once */
	park->cluster.config = park->config;
	park->cluster.fingerprints = &park->fp;
	park->fp.cluster = &park->cluster;
	park->cluster.status.fingerprints_caught_up = 1;	/* caught_up_ms 0: long ago */
	park->fp.hooks.expired = on_expired;
	park->fp.hooks.refused = on_refused;
	park->fp.hooks.local = on_local;
	park->fp.hooks.context = seen;
	dedup_config_defaults(&dedup);
	park->sketcher = dedup_sketcher_new(&dedup);
	dedup_hasher_init(&park->fp.hasher, dedup.shingle_size, dedup.signature_size,
	    dedup.bands);
	parked_grow(&park->fp);
}

static void
park_article(struct park *park, int number)
{
	struct article *article = article_new();
	char id[40], text[80];

	snprintf(id, sizeof id, "park-%d", number);
	snprintf(text, sizeof text, "the council met on day %d and voted on item %d", number,
	    number * 7);
	article_set(&article->id, id);
	article_set(&article->feed_url, "http://127.0.0.1/feed.xml");
	article_set(&article->text, text);
	dedup_sketch_article(park->sketcher, article);
	park->numbers[number] = number;
	park->articles[number] = article;
	cluster_fingerprint_park(&park->cluster, article, 1780000000, &park->numbers[number]);
}

static void
park_close(struct park *park)
{
	for (size_t i = 0; i < park->fp.bucket_count; i++)
		while (park->fp.buckets[i] != NULL) {
			struct parked *entry = park->fp.buckets[i];
			park->fp.buckets[i] = entry->next;
			parked_free(entry);
		}
	free(park->fp.buckets);
	string_set_clear(&park->fp.set_aside);
	string_set_clear(&park->fp.shrink);
	for (int i = 0; i < ARTICLES; i++)
		article_free(park->articles[i]);
	dedup_hasher_free(&park->fp.hasher);
	dedup_sketcher_free(park->sketcher);
	config_free(park->config);
}

static void
test_dropped_articles_leave_the_deadlines_order(void)
{
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;
	int newest = ARTICLES - 2, expected[] = { 1, 3, 4, 5, ARTICLES - 1 };
	size_t dropped;

	park_open(&park, &seen);
	for (int i = 0; i <= newest; i++)
		park_article(&park, i);
	dropped = cluster_fingerprints_drop(&park.cluster, is_dropped, &newest);
	CHECK(dropped == 3);
	CHECK(park.cluster.status.fingerprints_parked == newest + 1 - 3);
	/* parked after the drop: appended behind the newest left, not the freed one */
	park_article(&park, ARTICLES - 1);
	CHECK(park.cluster.status.fingerprints_parked == newest + 2 - 3);
	expire(&park.fp);
	CHECK(seen.expired_count == sizeof expected / sizeof expected[0]);
	for (size_t i = 0; i < seen.expired_count && i < sizeof expected / sizeof expected[0];
	    i++)
		CHECK(seen.expired[i] == expected[i]);
	CHECK(park.fp.oldest == NULL && park.fp.newest == NULL);
	CHECK(park.cluster.status.fingerprints_parked == 0);
	park_close(&park);
}

static void
test_a_park_emptied_by_drops_takes_new_articles(void)
{
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;
	int newest = 2;

	park_open(&park, &seen);
	for (int i = 0; i <= newest; i++)
		park_article(&park, i);
	CHECK(cluster_fingerprints_drop(&park.cluster, is_dropped, &newest) == 2);
	CHECK(park.fp.oldest != NULL && park.fp.oldest == park.fp.newest);
	newest = 1;
	CHECK(cluster_fingerprints_drop(&park.cluster, is_dropped, &newest) == 1);
	CHECK(park.fp.oldest == NULL && park.fp.newest == NULL);
	park_article(&park, 3);
	expire(&park.fp);
	CHECK(seen.expired_count == 1 && seen.expired[0] == 3);
	park_close(&park);
}

/* The timeout runs from the end of the start's catch-up: none expires before it, nor
 * within fingerprint_timeout after it, however old the deadlines. */
static void
test_no_article_expires_before_the_catch_up_ends(void)
{
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;

	park_open(&park, &seen);
	park.config->cluster.fingerprint_timeout_ms = 60000;
	park.cluster.status.fingerprints_caught_up = 0;
	for (int i = 0; i < 3; i++)
		park_article(&park, i);
	for (struct parked *entry = park.fp.oldest; entry != NULL; entry = entry->newer)
		entry->deadline_ms = 0;		/* long past */
	expire(&park.fp);
	CHECK(seen.expired_count == 0);
	park.cluster.status.fingerprints_caught_up = 1;
	park.fp.caught_up_ms = monotonic_ms();
	expire(&park.fp);
	CHECK(seen.expired_count == 0);
	park.fp.caught_up_ms -= 60000;
	expire(&park.fp);
	CHECK(seen.expired_count == 3);
	park_close(&park);
}

/* The delivery report of park-NUMBER's record: success, or the error given. */
static void
report(struct park *park, int number, const char *error)
{
	char id[40];
	struct parked *entry;

	snprintf(id, sizeof id, "park-%d", number);
	entry = parked_find(&park->fp, id, 0);
	cluster_fingerprint_on_report(&park->cluster, error == NULL, id, strlen(id),
	    entry != NULL ? entry->length : 100, error);
}

static int
parked(struct park *park, int number)
{
	char id[40];

	snprintf(id, sizeof id, "park-%d", number);
	return parked_find(&park->fp, id, 0) != NULL;
}

static void
test_a_record_refused_for_good_is_set_aside(void)
{
	const char *too_large = rd_kafka_err2str(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	const char *timed_out = rd_kafka_err2str(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;

	park_open(&park, &seen);
	for (int i = 0; i < 4; i++)
		park_article(&park, i);
	/* Nothing taken yet: refused for good, set aside at once, judged at the tick. */
	report(&park, 0, too_large);
	CHECK(!parked(&park, 0) && park.cluster.status.fingerprints_parked == 3);
	CHECK(seen.refused_count == 0);
	judge_refused(&park.fp);
	CHECK(seen.refused_count == 1 && seen.refused[0] == 0);
	CHECK(park.cluster.status.fingerprints_refused == 1);
	/* never parked nor sent again */
	CHECK(cluster_fingerprint_park(&park.cluster, park.articles[0], 1780000000,
	    &park.numbers[0]) == 0);
	CHECK(!parked(&park, 0));
	/* A transient failure: sent again by the tick, not set aside. */
	report(&park, 1, timed_out);
	CHECK(parked(&park, 1) && park.fp.unsent == 1);
	/* One of the size of a record taken may have been refused for its batch: sent again
	 * alone first, set aside when refused again. */
	report(&park, 2, NULL);
	report(&park, 3, too_large);
	CHECK(parked(&park, 3) && park.fp.unsent == 2);
	judge_refused(&park.fp);
	CHECK(seen.refused_count == 1);
	report(&park, 3, too_large);
	CHECK(!parked(&park, 3));
	judge_refused(&park.fp);
	CHECK(seen.refused_count == 2 && seen.refused[1] == 3);
	CHECK(park.fp.unsent == 1);
	park_close(&park);
}

/* The send number-th record is park-NUMBER's as the plain encoder writes it. */
static int
sent_is(struct park *park, size_t send, int number)
{
	char id[40];
	size_t length;
	uint8_t *expected;
	int same;

	snprintf(id, sizeof id, "park-%d", number);
	if (send >= sent.count || strcmp(sent.key[send], id) != 0)
		return 0;
	expected = fprecord_encode(&park->fp.hasher, park->articles[number], 1780000000,
	    &length);
	same = length == sent.length[send] && memcmp(expected, sent.value[send], length) == 0;
	free(expected);
	return same;
}

static void
test_a_record_sent_again_is_written_again_the_same(void)
{
	const char *timed_out = rd_kafka_err2str(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;

	park_open(&park, &seen);
	sent.producing = 1;
	for (int i = 0; i < 3; i++)
		park_article(&park, i);
	CHECK(sent.count == 3 && sent_is(&park, 0, 0) && sent_is(&park, 2, 2));
	/* given away: the park keeps no record of a sent article */
	CHECK(parked_find(&park.fp, "park-1", 0)->value == NULL);
	report(&park, 1, timed_out);
	send_again(&park.fp);
	CHECK(sent.count == 4 && sent_is(&park, 3, 1) && park.fp.unsent == 0);
	/* refused by the producer: kept, and sent as it is by the tick */
	sent.refuse = 1;
	park_article(&park, 3);
	CHECK(sent.count == 4 && park.fp.unsent == 1);
	CHECK(parked_find(&park.fp, "park-3", 0)->value != NULL);
	sent.refuse = 0;
	send_again(&park.fp);
	CHECK(sent.count == 5 && sent_is(&park, 4, 3) && park.fp.unsent == 0);
	CHECK(parked_find(&park.fp, "park-3", 0)->value == NULL);
	park_close(&park);
	sent_clear();
}

/* Story features for an article: 40 of them, a title (the story part of its record). */
static void
give_story(struct article *article)
{
	struct story_features *features = xcalloc(1, sizeof *features);

	features->count = features->capacity = 40;
	features->items = xcalloc(features->capacity, sizeof *features->items);
	for (uint32_t i = 0; i < features->count; i++) {
		features->items[i].key = 0x9e3779b97f4a7c15ULL * (i + 1);
		features->items[i].count = (uint16_t)(i % 3 + 1);
	}
	features->time = 1780000000;
	article->story_features = features;
	article_set(&article->title, "The council votes on the harbour plan");
}

/* Reads the send number-th record back, as the reader hands it to judge(). */
static void
read_back(struct park *park, size_t send)
{
	rd_kafka_message_t message;

	memset(&message, 0, sizeof message);
	message.payload = sent.value[send];
	message.len = sent.length[send];
	message.offset = (int64_t)send;
	judge(&park->fp, &message);
}

/* The send shrunk-th record is the send whole-th one up to its story part, flags cleared. */
static int
shrunk_of(size_t shrunk, size_t whole)
{
	return shrunk < sent.count && whole < sent.count &&
	    sent.length[shrunk] + 40 * 12 < sent.length[whole] &&
	    sent.value[whole][2] == FPRECORD_STORY && sent.value[shrunk][2] == 0 &&
	    memcmp(sent.value[shrunk], sent.value[whole], 2) == 0 &&
	    memcmp(sent.value[shrunk] + 3, sent.value[whole] + 3, sent.length[shrunk] - 3) == 0;
}

static void
test_a_record_refused_whole_goes_without_its_story(void)
{
	const char *too_large = rd_kafka_err2str(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	struct seen seen = { { 0 }, 0, { 0 }, 0, { 0 }, 0 };
	struct park park;

	park_open(&park, &seen);
	sent.producing = 1;
	for (int i = 0; i < 2; i++) {
		park_article(&park, i);	/* sent whole: 0 and 1 */
		give_story(park.articles[i]);
	}
	sent_clear();
	sent.producing = 1;
	send_record(&park.fp, parked_find(&park.fp, "park-0", 0));	/* now with stories */
	send_record(&park.fp, parked_find(&park.fp, "park-1", 0));
	/* Refused whole for good: sent again without its story, not set aside. */
	report(&park, 0, too_large);
	judge_refused(&park.fp);
	CHECK(parked(&park, 0) && seen.refused_count == 0 && park.fp.unsent == 1);
	CHECK(park.cluster.status.fingerprints_shrunk == 1);
	send_again(&park.fp);
	CHECK(sent.count == 3 && shrunk_of(2, 0) && park.fp.unsent == 0);
	/* Read back: the shrunk one judged dedup only, the whole one with its story. */
	read_back(&park, 2);
	read_back(&park, 1);
	CHECK(seen.local_count == 2 && seen.local[0] == 0 * 2 + 0 && seen.local[1] == 1 * 2 + 1);
	/* Parked again (polled again): shrunk at once, the same bytes. */
	CHECK(cluster_fingerprint_park(&park.cluster, park.articles[0], 1780000000,
	    &park.numbers[0]) == 1);
	CHECK(sent.count == 4 && sent.length[3] == sent.length[2] &&
	    memcmp(sent.value[3], sent.value[2], sent.length[2]) == 0);
	/* Refused shrunk too: set aside, judged here. */
	report(&park, 0, too_large);
	judge_refused(&park.fp);
	CHECK(!parked(&park, 0) && seen.refused_count == 1 && seen.refused[0] == 0);
	CHECK(park.cluster.status.fingerprints_shrunk == 1 &&
	    park.cluster.status.fingerprints_refused == 1);
	park_close(&park);
	sent_clear();
}

int
main(void)
{
	RUN(test_dropped_articles_leave_the_deadlines_order);
	RUN(test_a_park_emptied_by_drops_takes_new_articles);
	RUN(test_no_article_expires_before_the_catch_up_ends);
	RUN(test_a_record_refused_for_good_is_set_aside);
	RUN(test_a_record_sent_again_is_written_again_the_same);
	RUN(test_a_record_refused_whole_goes_without_its_story);
	return check_finish();
}
