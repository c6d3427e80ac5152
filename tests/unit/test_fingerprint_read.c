/*
 * test_fingerprint_read.c - how cluster mode's loop reads the fingerprints topic
 * (daemon/cluster/fingerprints.c's read_records), without Kafka: fingerprints.c is compiled in
 * here with its public names renamed (the library's own copy keeps them) and librdkafka's
 * consumer poll replaced by a queue of records made here, so a start's catch-up runs on a
 * libevent loop of the test's.
 * A catch-up reads on at the loop's next turn, not at the next tick: it read FP_READ_MAX
 * records a wake-up and left the rest to the 100 ms tick (or to librdkafka's next wake-up),
 * which paced a start against a full window at 2,000 records per tick (this test fails with
 * read_records' fp->more timer taken out: 500 of 1,205 records read). And it reads in
 * chunks, a turn of the loop each, so other events (polls, the tick) run while it goes on
 * (fails when read_records reads the whole queue at once, and when it comes back for more
 * by event_active, which libevent runs again in the same turn).
 */
#define cluster_fingerprint_kind	read_test_fingerprint_kind
#define cluster_fingerprint_park	read_test_fingerprint_park
#define cluster_fingerprints_drop	read_test_fingerprints_drop
#define cluster_fingerprint_on_report	read_test_fingerprint_on_report
#define cluster_fingerprints_open	read_test_fingerprints_open
#define cluster_fingerprints_parked	read_test_fingerprints_parked
#define fingerprints_close		read_test_fingerprints_close
#define fingerprints_tick		read_test_fingerprints_tick
#define rd_kafka_consumer_poll		read_test_poll
#define rd_kafka_message_destroy	read_test_message_destroy
#define rd_kafka_get_watermark_offsets	read_test_watermarks
#include "../../daemon/cluster/fingerprints.c"

#include "check.h"
#include "config.h"
#include "dedup/dedup.h"

#define RECORDS		(2 * FP_READ_MAX + 205)

/* The consumer queue: records (another instance's) handed out in order. */
static struct {
	uint8_t		*value;
	size_t		 length;
	int64_t		 next, count;
} queue;

rd_kafka_message_t *
read_test_poll(rd_kafka_t *reader, int timeout_ms)
{
	rd_kafka_message_t *message;

	if (queue.next >= queue.count)
		return NULL;
	message = xcalloc(1, sizeof *message);
	message->payload = queue.value;
	message->len = queue.length;
	message->offset = queue.next++;
	return message;
}

void
read_test_message_destroy(rd_kafka_message_t *message)
{
	free(message);
}

rd_kafka_resp_err_t
read_test_watermarks(rd_kafka_t *reader, const char *topic, int32_t partition, int64_t *low,
    int64_t *high)
{
	*low = 0;
	*high = queue.count;
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* The records judged, and how many had been when the other event ran. */
struct seen {
	long	remote;
	long	remote_when_polled;
	int	polled;
};

static void
on_remote(void *context, struct article *article, time_t when)
{
	((struct seen *)context)->remote++;
	article_free(article);
}

static void
on_poll(evutil_socket_t fd, short what, void *context)
{
	struct seen *seen = context;

	seen->polled++;
	seen->remote_when_polled = seen->remote;
}

struct reading {
	struct config		*config;
	struct cluster		 cluster;
	struct fingerprints	 fp;
	struct event_base	*base;
	int			 wake[2];
};

/* One record (another instance's article) that the queue hands out count times. */
static void
queue_fill(const struct dedup_hasher *hasher, int64_t count)
{
	struct dedup_config dedup;
	struct dedup_sketcher *sketcher;
	struct article *article = article_new();

	dedup_config_defaults(&dedup);
	sketcher = dedup_sketcher_new(&dedup);
	article_set(&article->id, "read-1");
	article_set(&article->feed_url, "http://127.0.0.1/feed.xml");
	article_set(&article->text, "the council met on monday and voted on the harbour budget");
	dedup_sketch_article(sketcher, article);
	queue.value = fprecord_encode(hasher, article, 1780000000, &queue.length);
	queue.next = 0;
	queue.count = count;
	article_free(article);
	dedup_sketcher_free(sketcher);
}

static void
reading_open(struct reading *reading, struct seen *seen)
{
	struct dedup_config dedup;

	memset(reading, 0, sizeof *reading);
	reading->config = config_defaults();
	reading->cluster.config = reading->config;
	reading->cluster.fingerprints = &reading->fp;
	reading->fp.cluster = &reading->cluster;
	reading->fp.hooks.remote = on_remote;
	reading->fp.hooks.context = seen;
	reading->fp.end_at_start = RECORDS;
	dedup_config_defaults(&dedup);
	dedup_hasher_init(&reading->fp.hasher, dedup.shingle_size, dedup.signature_size,
	    dedup.bands);
	parked_grow(&reading->fp);
	queue_fill(&reading->fp.hasher, RECORDS);
	reading->base = event_base_new();
	CHECK(pipe(reading->wake) == 0);
	CHECK(fcntl(reading->wake[0], F_SETFL, O_NONBLOCK) == 0);
	reading->fp.readable = event_new(reading->base, reading->wake[0], EV_READ | EV_PERSIST,
	    on_readable, &reading->fp);
	reading->fp.more = evtimer_new(reading->base, on_more, &reading->fp);
	event_add(reading->fp.readable, NULL);
	CHECK(write(reading->wake[1], "1", 1) == 1);	/* librdkafka's: the queue filled */
}

static void
reading_close(struct reading *reading)
{
	event_free(reading->fp.readable);
	event_free(reading->fp.more);
	event_base_free(reading->base);
	close(reading->wake[0]);
	close(reading->wake[1]);
	free(reading->fp.buckets);
	free(queue.value);
	dedup_hasher_free(&reading->fp.hasher);
	config_free(reading->config);
}

/* Turns of the loop that wait for nothing: no tick runs, librdkafka wakes it once. */
static void
turns(struct reading *reading, int count)
{
	for (int i = 0; i < count; i++)
		event_base_loop(reading->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
}

static void
test_a_catch_up_reads_on_at_the_next_turn(void)
{
	struct seen seen = { 0 };
	struct reading reading;

	reading_open(&reading, &seen);
	turns(&reading, 8);
	CHECK(seen.remote == RECORDS);	/* every record judged, no tick needed */
	CHECK(reading.fp.next_offset == RECORDS);
	CHECK(reading.cluster.status.fingerprints_caught_up == 1);
	CHECK(reading.cluster.status.fingerprints_read == RECORDS);
	reading_close(&reading);
}

static void
test_other_events_run_while_a_catch_up_goes_on(void)
{
	struct seen seen = { 0 };
	struct reading reading;
	struct event *poll;

	reading_open(&reading, &seen);
	poll = event_new(reading.base, -1, 0, on_poll, &seen);
	turns(&reading, 1);
	event_active(poll, 0, 0);	/* a poll's answer, ready while the catch-up goes on */
	turns(&reading, 8);
	CHECK(seen.polled == 1);
	CHECK(seen.remote_when_polled > 0 && seen.remote_when_polled < RECORDS);
	CHECK(seen.remote == RECORDS);
	event_free(poll);
	reading_close(&reading);
}

int
main(void)
{
	RUN(test_a_catch_up_reads_on_at_the_next_turn);
	RUN(test_other_events_run_while_a_catch_up_goes_on);
	return check_finish();
}
