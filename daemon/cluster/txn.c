/*
 * txn.c - cluster mode's Kafka transactions (see cluster.h): the daemon's producer is
 * transactional, and one transaction at a time is open. Articles are sent into it as they come.
 * Ending it (every [cluster] commit_interval, or at once when a partition is handed on) goes
 * in stages, the blocking calls on the committer thread (committer.c) so that the event loop
 * never waits for Kafka:
 *
 *   1. sealed: the publisher holds what is sent from now on (librdkafka takes nothing between
 *      a commit and the next begin); the thread flushes, i.e. waits while the loop serves the
 *      delivery reports, so every article of the transaction is reported and its id is in its
 *      feed's state record;
 *   2. on the loop: those state records are sent into it (past the hold), and the thread
 *      flushes again: they are on the brokers before the fence;
 *   3. on the loop (fence): the group's metadata, read now, and on the thread: the
 *      generation (send_offsets_to_transaction on the assignment topic's partitions we
 *      hold), the commit, and the next begin_transaction;
 *   4. on the loop: what it held is delivered (transaction_done), and the held sends go into
 *      the next transaction.
 *
 * The generation is the zombie fence: the group coordinator refuses it from an instance the
 * group has moved on from (its session expired, its partitions given away), and its
 * transaction aborts. It refuses a member's last generation too once a rebalance has moved
 * the group to the next (ILLEGAL_GENERATION), as at every join: so the metadata is read at
 * the fence, after the flushes (read before them, a join during the flush of thousands of
 * state records aborted the first instance's transaction), and while a rebalance of ours is
 * under way (our JoinGroup sent, no rebalance callback since: the generation is about to
 * change) the commit is held, its articles waiting in it, until the callback says the new
 * generation is known, for at most FENCE_HOLD_MS. A member whose partitions were lost
 * meanwhile does not get through with a new generation: the lost callback runs on the loop
 * before librdkafka can join again, and its transaction aborts at the fence.
 * transactional.id is stable per instance, so a restarted instance fences (and aborts the
 * open transaction of) its killed incarnation at init_transactions.
 *
 * Articles of a feed whose partition is no longer ours (a poll that outlived its partition,
 * lost while it ran) taint the transaction: it aborts instead of committing, and the
 * partition's owner publishes them. An aborted transaction undoes its delivered ids in the state records held in memory and
 * writes those records again in the next one; the ingest side (transaction_done) marks its
 * articles undelivered, so their feeds poll them again.
 *
 * A fatal error (the producer fenced: the coordinator aborted our transaction and bumped the
 * epoch, as it does to one that outlasts transaction.timeout.ms while its broker fails over;
 * no other live instance has our transactional.id, the state_dir lock sees to that) renews
 * the producer: the old one's messages are purged and their failed reports served, a new
 * one with the same transactional.id is made (init_transactions fences the old epoch), the
 * ending transaction counts as aborted (committed, if the fatal error came at the begin after
 * its commit) and the held sends go into the new one's first transaction
 * (cluster.producer_renewed). The process ends (cluster.transaction_fatal) when renewing
 * fails RENEW_ATTEMPTS times in a row, or when a commit was asked and never answered (it may
 * have committed: only the committed state, read at the restart, says).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "cluster/cluster_internal.h"
#include "log.h"
#include "publish.h"
#include "spool.h"
#include "util.h"

#define TXN_TIMEOUT_MS		10000	/* transaction.timeout.ms: a dead instance's open one */
#define INIT_TIMEOUT_MS		30000
#define RENEW_ATTEMPTS		3	/* new producers in a row whose init fails: then exit */
#define RENEW_REPORTS_MS	5000	/* the old producer's purged messages reported */
#define GENERATION_MAGIC	"CGMDv2:"	/* librdkafka's serialized group metadata */
#define FENCE_HOLD_MS		3000	/* a commit held while a rebalance of ours is under way */
#define FENCE_LATEST_MS		6000	/* nor held past this age of the transaction */
#define API_JOIN_GROUP		11	/* Kafka's API key (librdkafka: RD_KAFKAP_JoinGroup) */

static enum message_kind state_kind = MESSAGE_CLUSTER;

void *
cluster_message_kind(void)
{
	return &state_kind;
}

int
cluster_producer_conf(const struct config *config, rd_kafka_conf_t *conf, char *error,
    size_t error_size)
{
	char host[256] = "", path[PATH_MAX], id[600], timeout[32];
	struct buffer instance = { 0 };
	unsigned long long hash;

	if (gethostname(host, sizeof host) < 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if (realpath(config->state_dir, path) == NULL)
		snprintf(path, sizeof path, "%s", config->state_dir);
	buffer_append_string(&instance, host);
	buffer_append(&instance, "/", 1);
	buffer_append_string(&instance, path);
	hash = (unsigned long long)XXH64(instance.data, instance.length, 0);
	free(instance.data);
	snprintf(id, sizeof id, "wiresift-%s-%016llx", config->cluster.group, hash);
	snprintf(timeout, sizeof timeout, "%d", TXN_TIMEOUT_MS);
	if (rd_kafka_conf_set(conf, "transactional.id", id, error, error_size) ||
	    rd_kafka_conf_set(conf, "transaction.timeout.ms", timeout, error, error_size) ||
	    rd_kafka_conf_set(conf, "message.timeout.ms", timeout, error, error_size))
		return -1;
	return 0;
}

static void
fatal(struct cluster *cluster, const char *call, const char *error)
{
	log_event(LOG_LEVEL_ERROR, "cluster", "cluster.transaction_fatal",
	    "call=%s error=%s action=exit", call, log_quote(error));
	/* Nothing uncommitted was marked delivered; the restart reads the committed state. */
	exit(EXIT_FAILURE);
}

/*
 * A fatal error: a new producer in the old one's place, its transactions initialized on the
 * thread (renewed() goes on from there). Its held sends wait meanwhile, as during a commit.
 */
static void
renew(struct cluster *cluster, const struct committer_result *result)
{
	char error[300];

	if (result->unknown)
		fatal(cluster, result->call, result->error);
	if (cluster->renew_attempts == 0) {
		snprintf(cluster->renew_cause, sizeof cluster->renew_cause, "%.15s: %.250s",
		    result->call, result->error);
		cluster->renew_committed = result->job == COMMITTER_COMMIT && result->committed;
	}
	if (++cluster->renew_attempts > RENEW_ATTEMPTS) {
		snprintf(error, sizeof error, "%d new producers failed, the last: %.200s",
		    RENEW_ATTEMPTS, result->error);
		fatal(cluster, result->call, error);
	}
	if (publisher_renew(cluster->publisher, RENEW_REPORTS_MS, error, sizeof error) < 0)
		fatal(cluster, "renew", error);
	cluster->producer = publisher_kafka(cluster->publisher);
	committer_set_producer(cluster->committer, cluster->producer);
	committer_run(cluster->committer, COMMITTER_RENEW, NULL, NULL);
}

/* The transaction begun (by init, or by the thread after the last one ended) is open. */
static void
opened(struct cluster *cluster)
{
	cluster->txn_stage = TXN_OPEN;
	cluster->txn_number++;
	cluster->txn_began_ms = monotonic_ms();
	cluster->txn_produced = publisher_produced(cluster->publisher);
}

static void on_committer(void *context, const struct committer_result *result);

int
txn_init(struct cluster *cluster, struct event_base *base, char *error, size_t error_size)
{
	rd_kafka_error_t *failure = rd_kafka_init_transactions(cluster->producer,
	    INIT_TIMEOUT_MS);

	if (failure == NULL)
		failure = rd_kafka_begin_transaction(cluster->producer);
	if (failure != NULL) {
		snprintf(error, error_size, "[cluster] initializing transactions: %s",
		    rd_kafka_error_string(failure));
		rd_kafka_error_destroy(failure);
		return -1;
	}
	cluster->txn_delivered = json_array();
	cluster->txn_written = json_object();
	if ((cluster->committer = committer_start(cluster->producer, base, on_committer, cluster,
	    error, error_size)) == NULL)
		return -1;
	opened(cluster);
	return 0;
}

void
txn_close(struct cluster *cluster)
{
	committer_stop(cluster->committer);
	cluster->committer = NULL;
	json_decref(cluster->txn_delivered);
	json_decref(cluster->txn_written);
	json_decref(cluster->ending_delivered);
	json_decref(cluster->ending_written);
	if (cluster->ending_held != NULL)
		rd_kafka_topic_partition_list_destroy(cluster->ending_held);
	cluster->ending_held = NULL;
}

/*
 * Whether a commit carrying metadata is fenced: 1 when it names a member id and a generation
 * (the group coordinator refuses them once the group has moved on), 0 when librdkafka has
 * dropped either (session timed out: member id ""; heartbeat refused: generation -1) and has
 * not yet handed the lost partitions back (on_lost, at a later tick): the coordinator takes a
 * transactional offset commit with generation -1 and no member id from anyone. generation,
 * when not NULL, gets the generation id (-1 unknown).
 */
int
txn_metadata_fences(const rd_kafka_consumer_group_metadata_t *metadata, int32_t *generation)
{
	const size_t magic = sizeof GENERATION_MAGIC - 1;
	rd_kafka_error_t *error = NULL;
	const char *start, *end, *member;
	void *buffer = NULL;
	size_t size = 0;
	int32_t id = -1;
	int fences = 0;

	if (metadata != NULL)
		error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size);
	/* magic, generation id, group id NUL, member id NUL, group instance id */
	if (metadata != NULL && error == NULL && size >= magic + sizeof id &&
	    memcmp(buffer, GENERATION_MAGIC, magic) == 0) {
		memcpy(&id, (char *)buffer + magic, sizeof id);
		start = (char *)buffer + magic + sizeof id;
		end = (char *)buffer + size;
		member = memchr(start, '\0', (size_t)(end - start));
		fences = id >= 0 && member != NULL && member + 1 < end && member[1] != '\0';
	}
	if (error != NULL)
		rd_kafka_error_destroy(error);
	if (buffer != NULL)
		rd_kafka_mem_free(NULL, buffer);
	if (generation != NULL)
		*generation = id;
	return fences;
}

/* librdkafka's broker thread: our JoinGroup is out, a new generation is coming. */
static rd_kafka_resp_err_t
on_request_sent(rd_kafka_t *kafka, int fd, const char *broker, int32_t broker_id, int16_t api,
    int16_t version, int32_t correlation, size_t size, void *context)
{
	struct cluster *cluster = context;

	if (api == API_JOIN_GROUP)
		atomic_store(&cluster->joining, 1);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t
on_new(rd_kafka_t *kafka, const rd_kafka_conf_t *conf, void *context, char *error,
    size_t error_size)
{
	return rd_kafka_interceptor_add_on_request_sent(kafka, "wiresift-joins", on_request_sent,
	    context);
}

int
txn_watch_joins(struct cluster *cluster, rd_kafka_conf_t *conf, char *error, size_t error_size)
{
	if (rd_kafka_conf_interceptor_add_on_new(conf, "wiresift-joins", on_new, cluster) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(error, error_size, "[cluster] watching the group's joins: refused");
		return -1;
	}
	return 0;
}

/*
 * Called first in every rebalance callback, before it assigns or unassigns (which may make
 * librdkafka join again): the generation of the rebalance that ended is known now.
 */
void
txn_rebalanced(struct cluster *cluster)
{
	atomic_store(&cluster->joining, 0);
}

/* What /metrics says (the last known one). */
void
txn_update_generation(struct cluster *cluster)
{
	rd_kafka_consumer_group_metadata_t *metadata =
	    rd_kafka_consumer_group_metadata(cluster->group);
	int32_t generation;

	txn_metadata_fences(metadata, &generation);
	if (generation >= 0)
		cluster->status.generation = generation;
	if (metadata != NULL)
		rd_kafka_consumer_group_metadata_destroy(metadata);
}

/* Undo what the aborted transaction said: its delivered ids, and write its records again. */
static void
roll_back(struct cluster *cluster)
{
	json_t *entry, *value;
	const char *url;
	size_t i;

	/* Latest first: an id delivered twice in it goes back to what it was before both. */
	for (i = json_array_size(cluster->ending_delivered); i-- > 0; ) {
		entry = json_array_get(cluster->ending_delivered, i);
		feedstate_undeliver(cluster, entry);
	}
	json_object_foreach(cluster->ending_written, url, value)
		if (cluster_writes(cluster, url))
			json_object_set_new(cluster->dirty, url, json_true());
}

/* Nothing was sent into the open transaction and nothing waits to be written. */
static int
empty(const struct cluster *cluster)
{
	return publisher_produced(cluster->publisher) == cluster->txn_produced &&
	    json_object_size(cluster->dirty) == 0 &&
	    json_array_size(cluster->txn_delivered) == 0 && !cluster->txn_tainted;
}

/* The assignment topic's partitions we hold, at offset 0: what the generation is checked on. */
static rd_kafka_topic_partition_list_t *
held_partitions(const struct cluster *cluster)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);

	for (int i = 0; i < cluster->partitions; i++)
		if (cluster->phase[i] != PARTITION_NOT_OURS)
			rd_kafka_topic_partition_list_add(list, cluster->config->cluster.topic_feeds,
			    i)->offset = 0;
	return list;
}

/* Stage 1: sealed; the thread waits for every report of what it holds. */
static void
seal(struct cluster *cluster)
{
	cluster->txn_end_requested = 0;
	cluster->txn_stage = TXN_FLUSHING;
	publisher_hold(cluster->publisher);
	committer_run(cluster->committer, COMMITTER_FLUSH, NULL, NULL);
}

/* What the ending transaction said is kept apart from what the next one will say. */
static void
set_aside(struct cluster *cluster)
{
	json_decref(cluster->ending_delivered);
	json_decref(cluster->ending_written);
	cluster->ending_delivered = cluster->txn_delivered;
	cluster->ending_written = cluster->txn_written;
	cluster->txn_delivered = json_array();
	cluster->txn_written = json_object();
}

/* The ending one aborts (its reason in ending_reason), and the next one begins. */
static void
abort_ending(struct cluster *cluster)
{
	if (cluster->ending_held != NULL)
		rd_kafka_topic_partition_list_destroy(cluster->ending_held);
	cluster->ending_held = NULL;
	cluster->hold_since_ms = 0;
	committer_run(cluster->committer, COMMITTER_ABORT, NULL, NULL);
}

/*
 * 1 while the commit waits for a rebalance of ours to end (see the top of this file): our
 * JoinGroup is out, and the generation the metadata would carry is about to be refused. At
 * most FENCE_HOLD_MS, and not once the transaction is FENCE_LATEST_MS old (its timeout,
 * TXN_TIMEOUT_MS, leaves the commit the rest); a commit that goes while the rebalance is
 * still under way carries the generation we have, as before. Not when no generation is sent.
 */
static int
holding(struct cluster *cluster)
{
	int64_t now = monotonic_ms();

	if (cluster->ending_held->cnt == 0 || !atomic_load(&cluster->joining)) {
		cluster->hold_since_ms = 0;
		return 0;
	}
	if (cluster->hold_since_ms == 0)
		cluster->hold_since_ms = now;
	if (now - cluster->hold_since_ms < FENCE_HOLD_MS &&
	    now - cluster->txn_began_ms < FENCE_LATEST_MS)
		return 1;
	cluster->hold_since_ms = 0;
	return 0;
}

/*
 * Stage 3, its state records on the brokers (and again from the tick while it is held): the
 * generation read now, and the thread commits. It aborts when partitions were lost since it
 * was sealed (the next one aborts too, as before: txn_tainted stays), and when the metadata
 * is not a member's (txn_metadata_fences): a consumer whose session expired says generation
 * -1 or no member id until the lost partitions are handed back (on_lost, at the next tick),
 * and the coordinator does not check the first, so it would let a zombie commit.
 */
static void
fence(struct cluster *cluster)
{
	rd_kafka_topic_partition_list_t *held = cluster->ending_held;
	rd_kafka_consumer_group_metadata_t *metadata;

	if (cluster->txn_tainted) {
		snprintf(cluster->ending_reason, sizeof cluster->ending_reason, "%s",
		    cluster->txn_taint_reason);
		abort_ending(cluster);
		return;
	}
	if (holding(cluster))
		return;
	metadata = rd_kafka_consumer_group_metadata(cluster->group);
	if (held->cnt > 0 && !txn_metadata_fences(metadata, NULL)) {
		snprintf(cluster->ending_reason, sizeof cluster->ending_reason,
		    "not a member of the group now (session expired)");
		if (metadata != NULL)
			rd_kafka_consumer_group_metadata_destroy(metadata);
		abort_ending(cluster);
		return;
	}
	cluster->ending_held = NULL;
	committer_run(cluster->committer, COMMITTER_COMMIT, held, metadata);
}

/* Stage 3 begins: the state records flushed, or not in time (then it aborts). */
static void
state_flushed(struct cluster *cluster, int all_reported)
{
	cluster->hold_since_ms = 0;
	if (!all_reported) {
		snprintf(cluster->ending_reason, sizeof cluster->ending_reason,
		    "state records not acknowledged before the fence");
		abort_ending(cluster);
		return;
	}
	fence(cluster);
}

/*
 * Stage 2, all reported: its state records in, and flushed on the thread (it aborts instead
 * when an article is still unreported: the flush timed out, its id would be missing from
 * its feed's state record, and the next owner would publish it again; or when it holds
 * articles of partitions no longer ours).
 */
static void
flushed(struct cluster *cluster, int all_reported)
{
	cluster->txn_stage = TXN_ENDING;
	if ((!all_reported || publisher_unreported(cluster->publisher) > 0) &&
	    !cluster->txn_tainted) {
		cluster->txn_tainted = 1;
		snprintf(cluster->txn_taint_reason, sizeof cluster->txn_taint_reason,
		    "articles not acknowledged in time");
	}
	if (cluster->ending_held != NULL)
		rd_kafka_topic_partition_list_destroy(cluster->ending_held);
	cluster->ending_held = held_partitions(cluster);
	snprintf(cluster->ending_reason, sizeof cluster->ending_reason, "%s",
	    cluster->txn_taint_reason);
	cluster->txn_taint_reason[0] = '\0';
	if (cluster->txn_tainted) {
		cluster->txn_tainted = 0;
		set_aside(cluster);
		abort_ending(cluster);
		return;
	}
	feedstate_write_dirty(cluster);
	set_aside(cluster);
	committer_run(cluster->committer, COMMITTER_STATE, NULL, NULL);
}

/* Stage 4: it ended and the next one is open; the held sends go into that one. */
static void
ended(struct cluster *cluster, const struct committer_result *result)
{
	int committed = result->job == COMMITTER_COMMIT && result->committed;
	size_t articles = json_array_size(cluster->ending_delivered);

	if (committed)
		cluster->status.commits++;
	else {
		cluster->status.aborts++;
		log_event(LOG_LEVEL_WARNING, "cluster", "cluster.transaction_aborted",
		    "reason=%s articles=%zu action=poll-again", log_quote(result->error[0] ?
		    result->error : cluster->ending_reason), articles);
		roll_back(cluster);
	}
	json_array_clear(cluster->ending_delivered);
	json_object_clear(cluster->ending_written);
	cluster->txn_ended = cluster->txn_number;
	opened(cluster);
	publisher_release(cluster->publisher);
	if (cluster->hooks.transaction_done != NULL)
		cluster->hooks.transaction_done(cluster->hooks.context, committed);
	if (cluster->txn_end_requested)
		txn_tick(cluster, 1);
}

/* The new producer's transaction is open: the ending one ends as it did (aborted, mostly). */
static void
renewed(struct cluster *cluster)
{
	struct committer_result outcome = {
		.job = COMMITTER_COMMIT,
		.committed = cluster->renew_committed,
	};

	snprintf(outcome.error, sizeof outcome.error, "producer renewed after %.250s",
	    cluster->renew_cause);
	cluster->status.producer_renewals++;
	log_event(LOG_LEVEL_WARNING, "cluster", "cluster.producer_renewed",
	    "cause=%s attempts=%d transaction=%s", log_quote(cluster->renew_cause),
	    cluster->renew_attempts, outcome.committed ? "committed" : "aborted");
	cluster->renew_attempts = 0;
	ended(cluster, &outcome);
}

static void
on_committer(void *context, const struct committer_result *result)
{
	struct cluster *cluster = context;

	if (result->fatal)
		renew(cluster, result);
	else if (result->job == COMMITTER_RENEW)
		renewed(cluster);
	else if (result->job == COMMITTER_FLUSH)
		flushed(cluster, result->committed);
	else if (result->job == COMMITTER_STATE)
		state_flushed(cluster, result->committed);
	else
		ended(cluster, result);
}

void
txn_tick(struct cluster *cluster, int force)
{
	if (cluster->committer == NULL)
		return;
	if (cluster->hold_since_ms != 0 && !committer_busy(cluster->committer))
		fence(cluster);		/* held for a rebalance: it may go now */
	if (cluster->txn_stage == TXN_OPEN && publisher_failed(cluster->publisher) &&
	    !cluster->txn_tainted) {
		/* A fatal error between ends (a produce fenced): its abort fails, and renews. */
		cluster->txn_tainted = 1;
		snprintf(cluster->txn_taint_reason, sizeof cluster->txn_taint_reason,
		    "the producer hit a fatal error");
		force = 1;
	}
	if (cluster->txn_stage != TXN_OPEN) {
		cluster->txn_end_requested |= force;	/* the next one too, once this one ended */
		return;
	}
	if (!force && !cluster->txn_end_requested && monotonic_ms() - cluster->txn_began_ms <
	    cluster->config->cluster.commit_interval_ms)
		return;
	if (empty(cluster)) {
		cluster->txn_began_ms = monotonic_ms();	/* nothing in it: it stays open */
		cluster->txn_end_requested = 0;
		return;
	}
	seal(cluster);
}

void
txn_abort(struct cluster *cluster, const char *reason)
{
	if (cluster->committer == NULL)
		return;
	/* The open transaction (or, if one is ending, the next) aborts instead of committing. */
	cluster->txn_tainted = 1;
	snprintf(cluster->txn_taint_reason, sizeof cluster->txn_taint_reason, "%s", reason);
	txn_tick(cluster, 1);
}

long long
txn_end_soon(struct cluster *cluster)
{
	if (cluster->txn_stage == TXN_OPEN && empty(cluster))
		return cluster->txn_ended;
	if (cluster->txn_stage != TXN_OPEN) {
		cluster->txn_end_requested = 1;
		return cluster->txn_number + 1;
	}
	txn_tick(cluster, 1);
	return cluster->txn_number;
}

int
txn_settled(const struct cluster *cluster, long long ticket)
{
	return cluster->txn_ended >= ticket || (ticket == cluster->txn_number &&
	    cluster->txn_stage == TXN_OPEN && empty(cluster));
}

void
txn_settle(struct cluster *cluster)
{
	long long ticket;

	if (cluster->committer == NULL)
		return;
	ticket = txn_end_soon(cluster);
	while (!txn_settled(cluster, ticket) || committer_busy(cluster->committer)) {
		committer_wait(cluster->committer, cluster->publisher);
		if (cluster->hold_since_ms != 0 && !committer_busy(cluster->committer))
			fence(cluster);	/* no tick runs now: the hold ends by its bound */
	}
}
