/*
 * test_cluster_join.c - cluster mode's commit as another instance joins the group
 * (daemon/cluster/txn.c's fence, committer.c) on librdkafka's mock cluster: the instance (a
 * member holding the assignment topic's only partition, its transaction holding articles)
 * ends its transaction while its own JoinGroup is out, because a second member joined. Kafka
 * refuses a transactional offset commit carrying the generation the join just ended
 * (ILLEGAL_GENERATION: the transaction aborts, its articles polled again, work done twice at
 * every join); the commit must wait for the new generation and carry it.
 *
 * The mock's group coordinator does not check generations on TxnOffsetCommit, so the test
 * stands in for that check (cluster_test_before_offsets, on the committer thread): a commit
 * sent once the member's JoinGroup is out is processed after the join ends (the order that
 * aborted it on a real broker: the member's JoinGroup completes the join at once, and the
 * mock's own join waits for its timer instead), and one whose generation is not the group's
 * then is answered ILLEGAL_GENERATION. The reference is the plain ledger of txn_ledger.h,
 * as in test_cluster_renew.c: every article credited exactly once.
 */
#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "txn_ledger.h"
#include "cluster/cluster_internal.h"
#include "config.h"
#include "publish.h"
#include "util.h"

#define ARTICLES		12
#define TOPIC			"join-articles"
#define GROUP			"join-test"
#define API_JOIN_GROUP		11	/* Kafka API keys (librdkafka: RD_KAFKAP_*) */
#define API_TXN_OFFSET_COMMIT	28

struct fixture {
	struct config		*config;
	struct event_base	*base;
	struct event		*tick;
	rd_kafka_t		*mock_handle;
	rd_kafka_mock_cluster_t	*mock;
	struct publisher	*publisher;
	rd_kafka_t		*other;		/* the second member, joining */
	struct cluster		 cluster;
	struct ledger		 ledger;
	int			 assigned;	/* the member's partition, once assigned */
	int			 other_rebalances;	/* the other member's callbacks */
	char			 state_dir[64];
	/* the coordinator's stand-in (the committer thread reads these) */
	atomic_int		 joins_sent;		/* our JoinGroups */
	atomic_int		 generation_before;	/* before the other joined */
	atomic_int		 joins_before;		/* our JoinGroups by then */
	atomic_int		 refused;		/* commits answered ILLEGAL_GENERATION */
	atomic_int		 sent_generation;	/* the last commit's */
};

static struct fixture *current;	/* for cluster_test_before_offsets */

static int32_t
generation_of(rd_kafka_t *member)
{
	rd_kafka_consumer_group_metadata_t *metadata = rd_kafka_consumer_group_metadata(member);
	int32_t generation = -1;

	txn_metadata_fences(metadata, &generation);
	if (metadata != NULL)
		rd_kafka_consumer_group_metadata_destroy(metadata);
	return generation;
}

/*
 * Kafka's check, in the order that aborted the commit: while the member's JoinGroup is out,
 * the join ends first; then a generation that is not the group's is refused.
 */
void
cluster_test_before_offsets(const rd_kafka_consumer_group_metadata_t *metadata)
{
	struct fixture *fixture = current;
	int32_t sent = -1, now;
	int64_t deadline = monotonic_ms() + 10000;

	txn_metadata_fences(metadata, &sent);
	/* Our JoinGroup went out since the other joined: the join ends first, a new generation. */
	now = generation_of(fixture->cluster.group);
	while (atomic_load(&fixture->joins_sent) > atomic_load(&fixture->joins_before) &&
	    now == atomic_load(&fixture->generation_before) && monotonic_ms() < deadline) {
		usleep(10 * 1000);
		now = generation_of(fixture->cluster.group);
	}
	atomic_store(&fixture->sent_generation, sent);
	if (sent != now) {
		atomic_fetch_add(&fixture->refused, 1);
		rd_kafka_mock_push_request_errors(fixture->mock, API_TXN_OFFSET_COMMIT, 1,
		    RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
	}
}

static rd_kafka_resp_err_t
on_request_sent(rd_kafka_t *kafka, int fd, const char *broker, int32_t broker_id, int16_t api,
    int16_t version, int32_t correlation, size_t size, void *context)
{
	struct fixture *fixture = context;

	if (api == API_JOIN_GROUP)
		atomic_fetch_add(&fixture->joins_sent, 1);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t
on_new(rd_kafka_t *kafka, const rd_kafka_conf_t *conf, void *context, char *error,
    size_t error_size)
{
	rd_kafka_interceptor_add_on_request_sent(kafka, "test-joins", on_request_sent, context);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* The other member's: it counts its rebalances (see fixture_close). */
static void
on_other_rebalance(rd_kafka_t *kafka, rd_kafka_resp_err_t error,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct fixture *fixture = opaque;
	rd_kafka_error_t *failure = error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ?
	    rd_kafka_incremental_assign(kafka, list) : rd_kafka_incremental_unassign(kafka, list);

	if (failure != NULL)
		rd_kafka_error_destroy(failure);
	fixture->other_rebalances++;
}

/* What cluster.c's on_rebalance does, for the one partition: txn_rebalanced() first. */
static void
on_rebalance(rd_kafka_t *kafka, rd_kafka_resp_err_t error,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct fixture *fixture = opaque;
	rd_kafka_error_t *failure;
	int assign = error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

	txn_rebalanced(&fixture->cluster);
	failure = assign ? rd_kafka_incremental_assign(kafka, list) :
	    rd_kafka_incremental_unassign(kafka, list);
	if (failure != NULL)
		rd_kafka_error_destroy(failure);
	for (int i = 0; i < list->cnt; i++)
		if (list->elems[i].partition == 0) {
			fixture->cluster.phase[0] = assign ? PARTITION_OWNED : PARTITION_NOT_OURS;
			fixture->assigned = assign;
		}
}

static rd_kafka_t *
member(struct fixture *fixture, int ours)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
	char error[256];
	rd_kafka_t *kafka;

	rd_kafka_conf_set(conf, "bootstrap.servers", fixture->config->bootstrap_servers, error,
	    sizeof error);
	rd_kafka_conf_set(conf, "group.id", GROUP, error, sizeof error);
	rd_kafka_conf_set(conf, "partition.assignment.strategy", "cooperative-sticky", error,
	    sizeof error);
	rd_kafka_conf_set(conf, "session.timeout.ms", "3000", error, sizeof error);
	rd_kafka_conf_set(conf, "heartbeat.interval.ms", "100", error, sizeof error);
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
	rd_kafka_conf_set_opaque(conf, fixture);
	rd_kafka_conf_set_rebalance_cb(conf, ours ? on_rebalance : on_other_rebalance);
	if (ours) {
		rd_kafka_conf_interceptor_add_on_new(conf, "test-joins", on_new, fixture);
		txn_watch_joins(&fixture->cluster, conf, error, sizeof error);
	}
	kafka = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
	rd_kafka_topic_partition_list_add(topics, fixture->config->cluster.topic_feeds,
	    RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(kafka, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	return kafka;
}

static void
serve(rd_kafka_t *kafka)
{
	rd_kafka_message_t *message;

	while (kafka != NULL && (message = rd_kafka_consumer_poll(kafka, 0)) != NULL)
		rd_kafka_message_destroy(message);
}

/* cluster.c's tick: the members' callbacks served, then the transaction's stages. */
static void
on_tick(evutil_socket_t fd, short what, void *context)
{
	struct fixture *fixture = context;

	serve(fixture->cluster.group);
	serve(fixture->other);
	txn_tick(&fixture->cluster, 0);
}

static void
run_until(struct fixture *fixture, int (*done)(struct fixture *), int ms)
{
	int64_t deadline = monotonic_ms() + ms;

	while (!done(fixture) && monotonic_ms() < deadline)
		ledger_run_for(&fixture->ledger, 20);
}

static int
is_assigned(struct fixture *fixture)
{
	return fixture->assigned;
}

static int
all_reported(struct fixture *fixture)
{
	return publisher_unreported(fixture->publisher) == 0;
}

static int
rejoining(struct fixture *fixture)
{
	return atomic_load(&fixture->joins_sent) > atomic_load(&fixture->joins_before);
}

static int
first_ended(struct fixture *fixture)
{
	return fixture->ledger.ends > 0;
}

static int
two_ended(struct fixture *fixture)
{
	return fixture->ledger.ends > 1;
}

static void
configure(struct fixture *fixture)
{
	fixture->config = config_defaults();
	free(fixture->config->bootstrap_servers);
	fixture->config->bootstrap_servers = xstrdup(rd_kafka_mock_cluster_bootstraps(
	    fixture->mock));
	free(fixture->config->state_dir);
	fixture->config->state_dir = xstrdup(fixture->state_dir);
	fixture->config->cluster.group = xstrdup(GROUP);
	fixture->config->cluster.commit_interval_ms = 60000;	/* ended by the test alone */
}

/* The member alone in its group, holding partition 0; transactions begun after that. */
static int
fixture_open(struct fixture *fixture)
{
	struct cluster *cluster = &fixture->cluster;
	char error[512] = "";
	struct timeval tick = { 0, 20 * 1000 };

	memset(fixture, 0, sizeof *fixture);
	ledger_init(&fixture->ledger, TOPIC, ARTICLES, "article");
	current = fixture;
	snprintf(fixture->state_dir, sizeof fixture->state_dir, "/tmp/wiresift-join-XXXXXX");
	if (mkdtemp(fixture->state_dir) == NULL)
		return -1;
	fixture->mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error,
	    sizeof error);
	fixture->mock = rd_kafka_mock_cluster_new(fixture->mock_handle, 3);
	rd_kafka_mock_topic_create(fixture->mock, TOPIC, 2, 3);
	configure(fixture);
	rd_kafka_mock_topic_create(fixture->mock, fixture->config->cluster.topic_feeds, 1, 3);
	fixture->base = event_base_new();
	if (ledger_open(&fixture->ledger, fixture->config, fixture->base, cluster) < 0)
		return -1;
	fixture->publisher = fixture->ledger.publisher;
	cluster->partitions = 1;
	cluster->phase = xcalloc(1, sizeof *cluster->phase);
	cluster->group = member(fixture, 1);
	fixture->tick = event_new(fixture->base, -1, EV_PERSIST, on_tick, fixture);
	event_add(fixture->tick, &tick);
	run_until(fixture, is_assigned, 20000);
	atomic_store(&fixture->generation_before, generation_of(cluster->group));
	atomic_store(&fixture->joins_before, atomic_load(&fixture->joins_sent));
	return fixture->assigned && txn_init(cluster, fixture->base, error, sizeof error) == 0 ?
	    0 : -1;
}

static int
other_assigned(struct fixture *fixture)
{
	return fixture->other == NULL || fixture->other_rebalances > 0;
}

static void
fixture_close(struct fixture *fixture)
{
	struct cluster *cluster = &fixture->cluster;

	run_until(fixture, other_assigned, 10000);
	txn_settle(cluster);
	txn_close(cluster);
	event_free(fixture->tick);
	rd_kafka_consumer_close(cluster->group);
	rd_kafka_destroy(cluster->group);
	/*
	 * librdkafka 2.0.2 asserts when a cooperative-sticky member is destroyed before its
	 * first assignment (its issue 4312, fixed in 2.2.1): the other is left alone then.
	 */
	if (fixture->other != NULL && fixture->other_rebalances > 0) {
		rd_kafka_consumer_close(fixture->other);
		rd_kafka_destroy(fixture->other);
	}
	ledger_close(&fixture->ledger);
	free(cluster->phase);
	rd_kafka_mock_cluster_destroy(fixture->mock);
	rd_kafka_destroy(fixture->mock_handle);
	event_base_free(fixture->base);
	config_free(fixture->config);
	rmdir(fixture->state_dir);
	current = NULL;
}

/* Articles in the open transaction, then the other member joins: our JoinGroup goes out. */
static int
join_with_articles(struct fixture *fixture)
{
	ledger_send_undelivered(&fixture->ledger);
	run_until(fixture, all_reported, 5000);
	fixture->other = member(fixture, 0);
	run_until(fixture, rejoining, 10000);
	return all_reported(fixture) && rejoining(fixture);
}

/* Both tests' opening: the fixture, with articles sent and our JoinGroup out; 0 when not. */
static int
open_joining(struct fixture *fixture)
{
	if (fixture_open(fixture) == 0 && join_with_articles(fixture))
		return 1;
	CHECK(!"the member holds the partition and rejoins as the other joins");
	fixture_close(fixture);
	return 0;
}

/*
 * The commit asked while our JoinGroup is out waits for the join to end, and carries the new
 * generation: committed, nothing refused, every article once.
 */
static void
test_a_commit_during_a_join_carries_the_new_generation(void)
{
	struct fixture fixture;

	if (!open_joining(&fixture))
		return;
	txn_tick(&fixture.cluster, 1);
	run_until(&fixture, first_ended, 15000);
	CHECK(fixture.ledger.ends >= 1);
	CHECK(fixture.ledger.outcome[0] == 1);
	CHECK(atomic_load(&fixture.refused) == 0);
	CHECK(atomic_load(&fixture.sent_generation) > atomic_load(&fixture.generation_before));
	CHECK(fixture.cluster.status.aborts == 0);
	CHECK(ledger_all_credited(&fixture.ledger));
	ledger_run_until_credited(&fixture.ledger);
	for (int i = 0; i < ARTICLES; i++)
		CHECK(fixture.ledger.articles[i].credited == 1);
	fixture_close(&fixture);
}

static int
held(struct fixture *fixture)
{
	return fixture->cluster.hold_since_ms != 0;
}

/*
 * The zombie fence kept: partitions lost while the commit is held (their records must not
 * commit under any generation) abort it, and the next one too, as a loss did before.
 */
static void
test_a_held_commit_aborts_when_partitions_are_lost(void)
{
	struct fixture fixture;

	if (!open_joining(&fixture))
		return;
	txn_tick(&fixture.cluster, 1);
	run_until(&fixture, held, 5000);
	CHECK(held(&fixture));
	txn_abort(&fixture.cluster, "partitions lost");
	run_until(&fixture, first_ended, 15000);
	CHECK(fixture.ledger.ends >= 1 && fixture.ledger.outcome[0] == 0);
	CHECK_STR(fixture.cluster.ending_reason, "partitions lost");
	for (int i = 0; i < ARTICLES; i++)
		CHECK(fixture.ledger.articles[i].credited == 0);
	run_until(&fixture, two_ended, 5000);
	CHECK(fixture.ledger.ends >= 2 && fixture.ledger.outcome[1] == 0);	/* the next one too, as before */
	ledger_run_until_credited(&fixture.ledger);
	for (int i = 0; i < ARTICLES; i++)
		CHECK(fixture.ledger.articles[i].credited == 1);
	fixture_close(&fixture);
}

int
main(void)
{
	RUN(test_a_commit_during_a_join_carries_the_new_generation);
	RUN(test_a_held_commit_aborts_when_partitions_are_lost);
	return check_finish();
}
