/*
 * txn.c - cluster mode's Kafka transactions (see cluster.h): the daemon's producer is
 * transactional, and one transaction at a time is open. Articles are sent into it as they come;
 * at each commit (every [cluster] commit_interval, or at once when a partition is handed on) the
 * producer is flushed, so every article of the transaction has its delivery report and its id
 * is in its feed's state record, then those state records are sent into it, then the group's
 * generation (send_offsets_to_transaction on the assignment topic's partitions we hold), then
 * it commits. The generation is the zombie fence: the group coordinator refuses it from an
 * instance the group has moved on from (its session expired, its partitions given away), and
 * its transaction aborts. transactional.id is stable per instance, so a restarted instance
 * fences (and aborts the open transaction of) its killed incarnation at init_transactions.
 *
 * Articles of a feed whose partition is no longer ours (a poll that outlived its partition,
 * lost while it ran) taint the transaction: it aborts instead of committing, and the
 * partition's owner publishes them. An aborted transaction undoes its delivered ids in the state records held in memory and
 * writes those records again in the next one; the ingest side (transaction_done) marks its
 * articles undelivered, so their feeds poll them again. A fatal error (fenced by an instance
 * with the same transactional.id, i.e. the same host and state_dir) ends the process: its
 * state is what it committed, and its restart starts from there.
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
#define FLUSH_MS		5000
#define CALL_TIMEOUT_MS		5000	/* commit, abort, send_offsets; retried once */
#define GENERATION_MAGIC	"CGMDv2:"	/* librdkafka's serialized group metadata */

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
fatal(struct cluster *cluster, const char *what, rd_kafka_error_t *error)
{
	log_event(LOG_LEVEL_ERROR, "cluster", "cluster.transaction_fatal",
	    "call=%s error=%s action=exit", what, log_quote(rd_kafka_error_string(error)));
	rd_kafka_error_destroy(error);
	/* Nothing uncommitted was marked delivered; the restart reads the committed state. */
	exit(EXIT_FAILURE);
}

static void
begin(struct cluster *cluster)
{
	rd_kafka_error_t *error = rd_kafka_begin_transaction(cluster->producer);

	if (error != NULL)
		fatal(cluster, "begin", error);
	cluster->txn_open = 1;
	cluster->txn_began_ms = monotonic_ms();
	cluster->txn_produced = publisher_produced(cluster->publisher);
}

int
txn_init(struct cluster *cluster, char *error, size_t error_size)
{
	rd_kafka_error_t *failure = rd_kafka_init_transactions(cluster->producer,
	    INIT_TIMEOUT_MS);

	if (failure != NULL) {
		snprintf(error, error_size, "[cluster] initializing transactions: %s",
		    rd_kafka_error_string(failure));
		rd_kafka_error_destroy(failure);
		return -1;
	}
	cluster->txn_delivered = json_array();
	cluster->txn_written = json_object();
	begin(cluster);
	return 0;
}

/* The group's generation id, from librdkafka's serialized group metadata. */
void
txn_update_generation(struct cluster *cluster)
{
	rd_kafka_consumer_group_metadata_t *metadata =
	    rd_kafka_consumer_group_metadata(cluster->group);
	rd_kafka_error_t *error;
	void *buffer = NULL;
	size_t size = 0;
	int32_t generation;

	if (metadata == NULL)
		return;
	error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size);
	if (error == NULL && size >= sizeof GENERATION_MAGIC - 1 + sizeof generation &&
	    memcmp(buffer, GENERATION_MAGIC, sizeof GENERATION_MAGIC - 1) == 0) {
		memcpy(&generation, (char *)buffer + sizeof GENERATION_MAGIC - 1,
		    sizeof generation);
		cluster->status.generation = generation;
	}
	if (error != NULL)
		rd_kafka_error_destroy(error);
	if (buffer != NULL)
		rd_kafka_mem_free(NULL, buffer);
	rd_kafka_consumer_group_metadata_destroy(metadata);
}

/* Undo what the aborted transaction said: its delivered ids, and write its records again. */
static void
roll_back(struct cluster *cluster)
{
	json_t *pair, *value;
	const char *url;
	size_t i;

	json_array_foreach(cluster->txn_delivered, i, pair) {
		json_t *record = json_object_get(cluster->feeds,
		    json_string_value(json_array_get(pair, 0)));
		json_t *delivered = json_object_get(record, "delivered");
		const char *id = json_string_value(json_array_get(pair, 1));

		for (size_t j = json_array_size(delivered); j-- > 0; )
			if (id != NULL && json_is_string(json_array_get(delivered, j)) &&
			    strcmp(json_string_value(json_array_get(delivered, j)), id) == 0) {
				json_array_remove(delivered, j);
				break;
			}
	}
	json_object_foreach(cluster->txn_written, url, value)
		if (cluster_writes(cluster, url))
			json_object_set_new(cluster->dirty, url, json_true());
}

static void
ended(struct cluster *cluster, int committed)
{
	json_array_clear(cluster->txn_delivered);
	json_object_clear(cluster->txn_written);
	cluster->txn_tainted = 0;
	cluster->txn_open = 0;
	begin(cluster);
	/* After begin: what completes here may send (story updates) into the next one. */
	if (cluster->hooks.transaction_done != NULL)
		cluster->hooks.transaction_done(cluster->hooks.context, committed);
}

static void
abort_now(struct cluster *cluster, const char *reason)
{
	rd_kafka_error_t *error = rd_kafka_abort_transaction(cluster->producer, CALL_TIMEOUT_MS);
	size_t articles = json_array_size(cluster->txn_delivered);

	if (error != NULL && rd_kafka_error_is_retriable(error)) {
		rd_kafka_error_destroy(error);
		error = rd_kafka_abort_transaction(cluster->producer, CALL_TIMEOUT_MS);
	}
	if (error != NULL)
		fatal(cluster, "abort", error);
	cluster->status.aborts++;
	log_event(LOG_LEVEL_WARNING, "cluster", "cluster.transaction_aborted",
	    "reason=%s articles=%zu action=poll-again", log_quote(reason), articles);
	roll_back(cluster);
	ended(cluster, 0);
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

static rd_kafka_error_t *
send_generation(struct cluster *cluster)
{
	rd_kafka_topic_partition_list_t *list = held_partitions(cluster);
	rd_kafka_consumer_group_metadata_t *metadata =
	    rd_kafka_consumer_group_metadata(cluster->group);
	rd_kafka_error_t *error = NULL;

	if (metadata != NULL && list->cnt > 0) {
		error = rd_kafka_send_offsets_to_transaction(cluster->producer, list, metadata,
		    CALL_TIMEOUT_MS);
		if (error != NULL && rd_kafka_error_is_retriable(error)) {
			rd_kafka_error_destroy(error);
			error = rd_kafka_send_offsets_to_transaction(cluster->producer, list,
			    metadata, CALL_TIMEOUT_MS);
		}
	}
	if (metadata != NULL)
		rd_kafka_consumer_group_metadata_destroy(metadata);
	rd_kafka_topic_partition_list_destroy(list);
	return error;
}

static void
commit(struct cluster *cluster)
{
	rd_kafka_error_t *error;

	/* Every article sent so far reports now: its id goes into its feed's record. */
	rd_kafka_flush(cluster->producer, FLUSH_MS);
	if (cluster->txn_tainted) {
		abort_now(cluster, "articles of partitions no longer ours");
		return;
	}
	feedstate_write_dirty(cluster);
	if ((error = send_generation(cluster)) == NULL) {
		error = rd_kafka_commit_transaction(cluster->producer, CALL_TIMEOUT_MS);
		if (error != NULL && rd_kafka_error_is_retriable(error)) {
			rd_kafka_error_destroy(error);
			error = rd_kafka_commit_transaction(cluster->producer, CALL_TIMEOUT_MS);
		}
	}
	if (error == NULL) {
		cluster->status.commits++;
		ended(cluster, 1);
	} else if (rd_kafka_error_txn_requires_abort(error) ||
	    rd_kafka_error_is_retriable(error)) {
		char reason[300];
		snprintf(reason, sizeof reason, "%s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		abort_now(cluster, reason);
	} else
		fatal(cluster, "commit", error);
}

void
txn_tick(struct cluster *cluster, int force)
{
	if (!cluster->txn_open)
		return;
	if (!force && monotonic_ms() - cluster->txn_began_ms <
	    cluster->config->cluster.commit_interval_ms)
		return;
	if (publisher_produced(cluster->publisher) == cluster->txn_produced &&
	    json_object_size(cluster->dirty) == 0 && json_array_size(cluster->txn_delivered) == 0 &&
	    !cluster->txn_tainted) {
		cluster->txn_began_ms = monotonic_ms();	/* nothing in it: it stays open */
		return;
	}
	commit(cluster);
}

void
txn_abort(struct cluster *cluster, const char *reason)
{
	if (cluster->txn_open &&
	    (publisher_produced(cluster->publisher) != cluster->txn_produced ||
	    json_array_size(cluster->txn_delivered) > 0))
		abort_now(cluster, reason);
}
