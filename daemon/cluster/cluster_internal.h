/*
 * cluster_internal.h - the cluster's records, shared by cluster.c (group membership, topics,
 * life cycle) and feedstate.c (the state topic: reading it on assignment, writing it).
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
	rd_kafka_t		*reader;	/* reads state partitions on assignment */
	rd_kafka_t		*writer;	/* produces state records */
	struct event		*tick;
	int			 partitions;
	enum partition_phase	*phase;		/* by partition */
	json_t			*feeds;		/* URL -> record: feeds of our partitions */
	json_t			*dirty;		/* URL -> true: to be written */
	rd_kafka_topic_partition_list_t *releasing;	/* revoked, not yet unassigned */
	int64_t			 release_deadline_ms;
	int			 closing;
	struct cluster_status	 status;
};

/* feedstate.c */
void	 feedstate_reader_assign(struct cluster *cluster, int partition);
void	 feedstate_reader_unassign(struct cluster *cluster, int partition);
void	 feedstate_read(struct cluster *cluster);
void	 feedstate_write_dirty(struct cluster *cluster);
void	 feedstate_forget(struct cluster *cluster, int partition);
void	 feedstate_on_report(rd_kafka_t *kafka, const rd_kafka_message_t *message,
	    void *opaque);

/* cluster.c */
void	 cluster_partition_caught_up(struct cluster *cluster, int partition);
/* 1 while state of the feed may be written: its partition owned, or releasing. */
int	 cluster_writes(const struct cluster *cluster, const char *url);

#endif
