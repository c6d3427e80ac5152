/*
 * cluster_internal.h - the cluster's records, shared by cluster.c (group membership, topics,
 * life cycle), feedstate.c (the state topic: reading it on assignment, writing it), txn.c
 * (the producer's transactions) and committer.c (the thread their blocking calls run on);
 * fingerprints.c (global dedup) keeps its own record.
 */
#ifndef WIRESIFT_CLUSTER_INTERNAL_H
#define WIRESIFT_CLUSTER_INTERNAL_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>

#include "cluster/cluster.h"
#include "cluster/feedids.h"
#include "util.h"

enum partition_phase {
	PARTITION_NOT_OURS,
	PARTITION_CATCHING_UP,	/* assigned; its state partition is being read */
	PARTITION_OWNED,	/* caught up: its feeds are polled here */
	PARTITION_RELEASING,	/* revoked: no new polls; waiting for those under way */
};

/* committer.c: one job at a time on its thread; done is called on the loop thread. */
enum committer_job {
	COMMITTER_FLUSH,	/* every message sent into the transaction reported */
	COMMITTER_STATE,	/* its state records reported too: on the brokers before the fence */
	COMMITTER_COMMIT,	/* the generation, commit (aborted if it fails), begin the next */
	COMMITTER_ABORT,	/* abort, begin the next */
	COMMITTER_RENEW,	/* a new producer: init_transactions, begin */
};

struct committer_result {
	enum committer_job job;
	int		 committed;	/* COMMIT: 1 committed, 0 aborted; FLUSH, STATE: 1 all
					 * reported */
	int		 fatal;		/* the producer cannot go on (fenced): txn.c renews it */
	int		 unknown;	/* a commit was asked and not answered: it may have
					 * committed (the process ends) */
	char		 call[16];	/* the call that failed, when one did */
	char		 error[300];
};

typedef void (*committer_done_fn)(void *context, const struct committer_result *result);
struct committer;

/* The stages of the open transaction (txn.c). */
enum txn_stage {
	TXN_OPEN,	/* takes articles */
	TXN_FLUSHING,	/* sealed (sends held): waiting for its messages' reports */
	TXN_ENDING,	/* its state records written: being committed (or aborted); between
			 * their flush and the commit it may be held (txn.c, fence) */
};

struct cluster {
	const struct config	*config;
	struct cluster_hooks	 hooks;
	rd_kafka_t		*group;		/* consumer in the group on topic.feeds */
	rd_kafka_t		*reader;	/* reads state partitions on assignment; admin */
	struct publisher	*publisher;	/* the daemon's producer, transactional */
	rd_kafka_t		*producer;	/* its librdkafka handle */
	struct event		*tick;
	struct event		*read_more;	/* the state reader again, soon: feedstate_read */
	int			 generation_ticks;	/* since /metrics' generation was read */
	long long		 generation_rebalances;	/* status.rebalances then */
	int			 partitions;
	enum partition_phase	*phase;		/* by partition */
	json_t			*feeds;		/* URL -> record: feeds of our partitions */
	struct feedids_map	 ids;		/* URL -> their delivered ids (feedids.c) */
	json_t			*dirty;		/* URL -> true: to be written */
	json_t			*unwritten;	/* URL -> true: new validators, written with the
						 * record's next write or when handed on */
	rd_kafka_topic_partition_list_t *releasing;	/* revoked, not yet unassigned */
	int64_t			 release_deadline_ms;
	int			 closing;
	struct cluster_status	 status;
	long long		 release_dropped;	/* items of revoked feeds dropped since the
							 * last cluster.revoked line */
	/* txn.c: the open transaction */
	struct committer	*committer;
	enum txn_stage		 txn_stage;
	long long		 txn_number;	/* of the open (or ending) transaction, from 1 */
	long long		 txn_ended;	/* the number of the last one that ended */
	int			 txn_end_requested;	/* end the open one at once */
	int64_t			 txn_began_ms;
	long long		 txn_produced;	/* publisher_produced() when it began */
	json_t			*txn_delivered;	/* [[URL, id hash, ...], ...] named in it: undone on abort */
	json_t			*txn_written;	/* URL -> true: state records in it */
	int			 txn_tainted;	/* holds articles of feeds no longer ours */
	char			 txn_taint_reason[100];	/* why it will abort */
	json_t			*ending_delivered;	/* the ending one's txn_delivered */
	json_t			*ending_written;	/* the ending one's txn_written */
	char			 ending_reason[100];	/* why it is aborted, when it is */
	rd_kafka_topic_partition_list_t *ending_held;	/* what its generation is sent on */
	int64_t			 hold_since_ms;	/* its commit held for a rebalance (0: not) */
	atomic_int		 joining;	/* our JoinGroup sent (a librdkafka thread sets
						 * it), no rebalance callback since */
	/* txn.c: a producer being renewed after a fatal error (0 attempts: none is) */
	int			 renew_attempts;
	int			 renew_committed;	/* the ending one committed before it */
	char			 renew_cause[300];	/* the fatal error: "call: error" */
	int			*stable_wait;	/* by partition: 1 at the LSO, waiting for the HW */
	struct fingerprints	*fingerprints;	/* fingerprints.c: global dedup */
};

/* feedstate.c */
void	 feedstate_reader_assign(struct cluster *cluster, int partition);
void	 feedstate_reader_unassign(struct cluster *cluster, int partition);
/* 1 when it stopped at its time budget with records perhaps left: call again soon. */
int	 feedstate_read(struct cluster *cluster);
/* A record's value (NULL: a tombstone) into the feed's state; -1 when malformed (not kept). */
int	 feedstate_take(struct cluster *cluster, const char *url, const void *value,
	    size_t length);
/* feedstate_take of a record as feedstate_encode writes it, by its fast path; -1 otherwise. */
int	 feedstate_take_written(struct cluster *cluster, const char *url, const char *value,
	    size_t length);
void	 feedstate_check_stable(struct cluster *cluster);
void	 feedstate_write_dirty(struct cluster *cluster);
/* The record's value: its JSON members, and "ids" packed (NULL: none). */
void	 feedstate_encode(const json_t *record, const struct feedids *ids, struct buffer *out);
void	 feedstate_forget(struct cluster *cluster, int partition);
/* The partition is being handed on: its feeds' unwritten validators are to be written. */
void	 feedstate_hand_on(struct cluster *cluster, int partition);
/* An aborted transaction's delivery ([url, id hash, version before if it was there]) undone. */
void	 feedstate_undeliver(struct cluster *cluster, json_t *entry);

/* committer.c */
struct committer *committer_start(rd_kafka_t *producer, struct event_base *base,
	    committer_done_fn done, void *context, char *error, size_t error_size);
/* Hands the thread a job (it owns offsets and metadata, either may be NULL); returns at once. */
void	 committer_run(struct committer *committer, enum committer_job job,
	    rd_kafka_topic_partition_list_t *offsets,
	    rd_kafka_consumer_group_metadata_t *metadata);
/* The producer the next job runs on (a renewed one: the thread is idle when this is called). */
void	 committer_set_producer(struct committer *committer, rd_kafka_t *producer);
/* 1 from committer_run() until its done function was called. */
int	 committer_busy(const struct committer *committer);
/* Calls done when the job's result is there (the pipe's callback does it too). */
void	 committer_dispatch(struct committer *committer);
/* Serves the publisher's reports for up to 10 ms, then dispatches (a waiting loop's step). */
void	 committer_wait(struct committer *committer, struct publisher *publisher);
/* Runs the job asked for, if any, and ends the thread. */
void	 committer_stop(struct committer *committer);

/* txn.c */
int	 txn_init(struct cluster *cluster, struct event_base *base, char *error,
	    size_t error_size);
void	 txn_close(struct cluster *cluster);
/*
 * Starts ending the open transaction when due (or at once with force): sealed, flushed, its
 * state records written, committed and the next one begun, on the committer thread, while
 * the loop goes on; what was sent meanwhile goes into the next one.
 */
void	 txn_tick(struct cluster *cluster, int force);
/* Makes the open transaction abort (a partition was lost: its records must not commit). */
void	 txn_abort(struct cluster *cluster, const char *reason);
/*
 * Asks for what was sent so far to be committed as soon as possible: a ticket for
 * txn_settled(), which says 1 once the transaction holding it ended.
 */
long long txn_end_soon(struct cluster *cluster);
int	 txn_settled(const struct cluster *cluster, long long ticket);
/* Ends the open transaction and waits for it (serving delivery reports): shutdown. */
void	 txn_settle(struct cluster *cluster);
void	 txn_update_generation(struct cluster *cluster);
/* The group member's conf: its JoinGroup requests mark a rebalance under way (joining). */
int	 txn_watch_joins(struct cluster *cluster, rd_kafka_conf_t *conf, char *error,
	    size_t error_size);
/* A rebalance callback ran: the generation it ended is known (a held commit may go). */
void	 txn_rebalanced(struct cluster *cluster);
/* 1 when a commit carrying metadata is checked by the group coordinator (member id and
 * generation set), 0 when librdkafka has dropped either and the coordinator might take it. */
int	 txn_metadata_fences(const rd_kafka_consumer_group_metadata_t *metadata,
	    int32_t *generation);
void	*cluster_message_kind(void);

/* fingerprints.c */
void	 fingerprints_close(struct fingerprints *fingerprints);
/* The reader's periodic work (records sent again, refused ones judged, reading on past
 * FP_READ_MAX, timeouts), from cluster.c's tick; nothing when NULL or not open. */
void	 fingerprints_tick(struct fingerprints *fingerprints);

/*
 * Tests only (tests/unit/test_cluster_join.c; NULL in the daemon): called on the committer
 * thread just before the group metadata is sent into the transaction, where the test stands
 * in for Kafka's group coordinator, which the mock cluster is not in this (generations).
 */
void	 cluster_test_before_offsets(const rd_kafka_consumer_group_metadata_t *metadata)
	    __attribute__((weak));

/* cluster.c */
/* A client's settings: bootstrap.servers, [kafka] security.*, ssl.*, sasl.*, our callbacks. */
rd_kafka_conf_t *cluster_kafka_conf(struct cluster *cluster, const char *role, char *error,
	    size_t error_size);
void	 cluster_partition_caught_up(struct cluster *cluster, int partition);
/* 1 while state of the feed may be written: its partition owned, or releasing. */
int	 cluster_writes(const struct cluster *cluster, const char *url);

#endif
