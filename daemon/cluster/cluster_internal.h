/*
 * cluster_internal.h - the cluster's records, shared by cluster.c (group membership, topics,
 * life cycle), feedstate.c (the state topic: reading it on assignment, writing it) and txn.c
 * (the producer's transactions); fingerprints.c (global dedup) keeps its own record.
 */
#ifndef WIRESIFT_CLUSTER_INTERNAL_H
#define WIRESIFT_CLUSTER_INTERNAL_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "cluster/cluster.h"

enum partition_phase {
	PARTITION_NOT_OURS,
	PARTITION_CATCHING_UP,	/* assigned; its state partition is being read */
	PARTITION_OWNED,	/* caught up: its feeds are polled here */
	PARTITION_RELEASING,	/* revoked: no new polls; waiting for those under way */
};

struct cluster {
	const struct config	*config;
	struct cluster_hooks	 hooks;
	rd_kafka_t		*group;		/* consumer in the group on topic.feeds */
	rd_kafka_t		*reader;	/* reads state partitions on assignment; admin */
	struct publisher	*publisher;	/* the daemon's producer, transactional */
	rd_kafka_t		*producer;	/* its librdkafka handle */
	struct event		*tick;
	int			 partitions;
	enum partition_phase	*phase;		/* by partition */
	json_t			*feeds;		/* URL -> record: feeds of our partitions */
	json_t			*dirty;		/* URL -> true: to be written */
	rd_kafka_topic_partition_list_t *releasing;	/* revoked, not yet unassigned */
	int64_t			 release_deadline_ms;
	int			 closing;
	struct cluster_status	 status;
	/* txn.c: the open transaction */
	int			 txn_open;
	int64_t			 txn_began_ms;
	long long		 txn_produced;	/* publisher_produced() when it began */
	json_t			*txn_delivered;	/* [[URL, id], ...] named in it: undone on abort */
	json_t			*txn_written;	/* URL -> true: state records in it */
	int			 txn_tainted;	/* holds articles of feeds no longer ours */
	int			*stable_wait;	/* by partition: 1 at the LSO, waiting for the HW */
	struct fingerprints	*fingerprints;	/* fingerprints.c: global dedup */
};

/* feedstate.c */
void	 feedstate_reader_assign(struct cluster *cluster, int partition);
void	 feedstate_reader_unassign(struct cluster *cluster, int partition);
void	 feedstate_read(struct cluster *cluster);
void	 feedstate_check_stable(struct cluster *cluster);
void	 feedstate_write_dirty(struct cluster *cluster);
void	 feedstate_forget(struct cluster *cluster, int partition);

/* txn.c */
int	 txn_init(struct cluster *cluster, char *error, size_t error_size);
/* Commits the open transaction when due (or at once with force); begins the next. */
void	 txn_tick(struct cluster *cluster, int force);
/* Aborts the open transaction (a partition was lost: its records must not commit). */
void	 txn_abort(struct cluster *cluster, const char *reason);
void	 txn_update_generation(struct cluster *cluster);
void	*cluster_message_kind(void);

/* fingerprints.c */
void	 fingerprints_close(struct fingerprints *fingerprints);

/* cluster.c */
/* A client's settings: bootstrap.servers, [kafka] security.*, ssl.*, sasl.*, our callbacks. */
rd_kafka_conf_t *cluster_kafka_conf(struct cluster *cluster, const char *role, char *error,
	    size_t error_size);
void	 cluster_partition_caught_up(struct cluster *cluster, int partition);
/* 1 while state of the feed may be written: its partition owned, or releasing. */
int	 cluster_writes(const struct cluster *cluster, const char *url);

#endif
