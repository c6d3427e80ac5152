/*
 * cluster.h - cluster mode on Kafka ([cluster] group = NAME): which of the configured feeds this
 * instance polls, and the feed state one instance hands to the next. Single-node mode (no
 * [cluster] group) never calls any of this and keeps its SQLite state only.
 *
 * A feed belongs to partition XXH64(configured URL, seed 0) mod N of the assignment topic
 * (topic.feeds, N partitions). The instances are one consumer group on that topic
 * (cooperative-sticky assignment: a rebalance moves only the partitions it must), and the
 * partitions assigned to an instance are the feeds it polls. Nothing is written to the
 * assignment topic: its partitions are the units of work.
 *
 * Each feed's state - validators, health, moved URL, next poll, the ids delivered from it (the
 * last CLUSTER_DELIVERED_MAX, as 64-bit hashes with their versions, packed: feedids.c) - is one
 * JSON record keyed by the feed's URL in the compacted state topic (topic.state), in the
 * partition of the same number. When an instance is assigned a
 * partition it reads that state partition from its beginning to its end before it polls any of
 * its feeds (cluster_owns() is 0 until then). When a partition is revoked in a rebalance, its
 * feeds stop starting polls at once, but the partition is handed on (incremental_unassign) only
 * once the polls already under way are delivered and their state written and acknowledged (or
 * after CLUSTER_RELEASE_MAX_MS), so the next owner reads all of it. A partition lost (this
 * instance's session expired: the group gave it away already) gets no more state writes.
 *
 * Exactly once (txn.c): the daemon's producer is transactional in cluster mode. Articles and
 * the state records naming them go out in one Kafka transaction, committed every
 * [cluster] commit_interval (500 ms by default) on a thread of its own (committer.c), the loop
 * holding what it sends meanwhile for the next one; an article counts as delivered (seen mark, dedup entry, its feed's
 * validators) only once its transaction is committed, and the hook transaction_done tells the
 * ingest side which way each one went. Each commit carries the group's generation
 * (send_offsets_to_transaction), so an instance the group has moved on from cannot commit.
 *
 * Global dedup and stories (fingerprints.c): the fingerprints topic (topic.fingerprints, one
 * partition, retention = the longer of the [dedup] and [stories] windows) orders every
 * instance's candidates. An article the workers
 * prepared is parked (cluster_fingerprint_park) while its record goes into the open
 * transaction; every instance reads the partition (read_uncommitted) from its beginning and,
 * record by record in log order, judges its own parked article (hook local) or indexes
 * another instance's candidate, dedup and story (hook remote), so all instances take the
 * same decisions.
 */
#ifndef WIRESIFT_CLUSTER_H
#define WIRESIFT_CLUSTER_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "state.h"

#define CLUSTER_DELIVERED_MAX	1000	/* ids per feed kept in its state record */
#define CLUSTER_RELEASE_MAX_MS	15000	/* most a revoked partition waits for its polls */

struct event_base;
struct cluster;
struct publisher;
struct rd_kafka_conf_s;

struct cluster_hooks {
	/* Partitions were revoked, or an assigned one is caught up: re-check cluster_owns(). */
	void	(*ownership_changed)(void *context);
	/* 1 while a feed of the partition has a poll under way (fetch, items not delivered). */
	int	(*partition_busy)(void *context, int partition);
	/* The transaction ended: committed 1 (what it held is delivered) or 0 (aborted: not). */
	void	(*transaction_done)(void *context, int committed);
	void	*context;
};

/* A feed's state as the state topic holds it, for its new owner. */
struct cluster_feed_state {
	struct feed_record	 record;
	time_t			 next_poll;	/* 0: at once */
	size_t			 delivered;	/* ids the record names (cluster_feed_handed) */
};

/* Global dedup and stories: what the fingerprints topic hands the ingest side, in log order. */
struct article;
struct fingerprint_hooks {
	/*
	 * The record of a parked article came back: judge it now, as of time when; with its
	 * story features when story is 1, else dedup only (the record was sent without them,
	 * being too large whole: every instance judges it so).
	 */
	void	(*local)(void *context, void *item, time_t when, int story);
	/*
	 * Another instance's candidate (or one not parked here), an article holding its id,
	 * dedup sketch and, when it has them, story features, outlet, title and entities:
	 * judge it into the indexes; the article is yours.
	 */
	void	(*remote)(void *context, struct article *article, time_t when);
	/* At close: an article still parked. */
	void	(*discard)(void *context, void *item);
	/*
	 * Parked articles whose record did not come back within [cluster]
	 * fingerprint_timeout, oldest first: release them as failed (not judged), their
	 * feeds poll them again. The items are yours, the array is not.
	 */
	void	(*expired)(void *context, void **items, size_t count);
	/*
	 * The brokers refused a parked article's record with an error that sending it again
	 * does not pass (too large for the topic, invalid), and again without its story
	 * features, or it had none: it leaves the park and is not sent again (its id is set
	 * aside); judge the article here, without a record, as of when.
	 * The item is yours; length is the record's, error the brokers' answer.
	 */
	void	(*refused)(void *context, void *item, time_t when, size_t length,
		    const char *error);
	void	*context;
};

/* What /metrics, /feeds and /readyz report. */
struct cluster_status {
	const char	*group;
	int		 partitions;		/* of the assignment topic */
	int		 assigned;		/* partitions assigned to this instance */
	int		 owned;			/* of those, caught up on their state */
	long long	 rebalances;		/* assignments and revocations seen */
	long long	 dropped;		/* items of revoked feeds dropped, not sent */
	long long	 state_records;		/* written and acknowledged */
	long long	 state_errors;		/* state records not delivered (retried) */
	long long	 state_read;		/* read while catching up */
	int		 generation;		/* the group's generation id, -1 unknown */
	long long	 commits;		/* transactions committed */
	long long	 aborts;		/* transactions aborted */
	long long	 producer_renewals;	/* new producers after a fatal error (fenced) */
	long long	 fingerprints_sent;	/* records acknowledged */
	long long	 fingerprints_failed;	/* records not delivered (sent again) */
	long long	 fingerprints_read;	/* records judged, ours and the others' */
	long long	 fingerprints_parked;	/* articles waiting for their record */
	long long	 fingerprints_timed_out;	/* articles released: no record in time */
	long long	 fingerprints_shrunk;	/* refused whole for good: sent without story */
	long long	 fingerprints_refused;	/* records refused for good: judged here */
	long long	 fingerprints_lag;	/* records between our position and the end */
	int		 fingerprints_caught_up;	/* read to the end seen at start */
};

/*
 * The producer's settings for cluster mode (publish.c asks): transactional.id =
 * "wiresift-GROUP-" and a hash of this host's name and the absolute state_dir, the same at
 * every start of this instance, so a restarted instance fences its own earlier incarnation
 * (its threads' timer slack is publish.c's, as for every producer: kafka_threads.c).
 */
int	 cluster_producer_conf(const struct config *config, struct rd_kafka_conf_s *conf,
	    char *error, size_t error_size);

/*
 * Creates the topics when missing, joins the group; NULL with a reason on error (topics with
 * different partition counts, broker unreachable for 15 s). Ownership arrives later, through
 * the hook.
 */
struct cluster *cluster_open(const struct config *config, struct event_base *base,
	    struct publisher *publisher, const struct cluster_hooks *hooks, char *error,
	    size_t error_size);
/*
 * Ends the open transaction (and the one under way) and waits for them, serving delivery
 * reports meanwhile: for the shutdown, after the loop stopped, so nothing stays held.
 */
void	 cluster_settle(struct cluster *cluster);
/* Writes the state still pending, leaves the group (its partitions move at once). */
void	 cluster_close(struct cluster *cluster);

/*
 * count items of feeds whose partition was revoked were dropped before they went into the
 * open transaction (their feeds' next owner fetches them again): in /metrics and in the
 * next cluster.revoked line.
 */
void	 cluster_count_dropped(struct cluster *cluster, long long count);
/* 1 when this instance polls the feed now (its partition assigned and caught up). */
int	 cluster_owns(const struct cluster *cluster, const char *url);
/* The feed's partition of the assignment topic. */
int	 cluster_partition(const struct cluster *cluster, const char *url);
/* 1 and a filled state when the state topic had a record for the feed, 0 when not. */
int	 cluster_feed_restore(struct cluster *cluster, const char *url,
	    struct cluster_feed_state *state);
void	 cluster_feed_state_clear(struct cluster_feed_state *state);
/*
 * Of an owned feed: 1, once, when the state record it was taken over with names id (by its
 * hash) and the seen cache was not given it since, with the version it was delivered with
 * (updated time, content hash; 0 none): the record's word replaces the cache's. 0 when not.
 */
int	 cluster_feed_handed(struct cluster *cluster, const char *url, const char *id,
	    time_t *updated, uint64_t *content_hash);

/*
 * The feed's state changed: its record is written within 100 ms (while its partition is
 * owned, or revoked and not yet handed on), except for what waits for its next write (new
 * validators, next_poll moving later; next_poll moving more than CLUSTER_NEXT_POLL_SLACK
 * seconds earlier is written). next_poll 0 keeps the one recorded.
 */
#define CLUSTER_NEXT_POLL_SLACK	60
void	 cluster_feed_changed(struct cluster *cluster, const char *url,
	    const struct feed_record *record, time_t next_poll);
/*
 * A poll of the feed ended without its items (dropped, or its fetch cancelled, at a
 * revoke): the record says the feed is due now, written with the hand-on, so that its next
 * owner polls it at once, not at the next poll this instance had scheduled (an interval on).
 */
void	 cluster_feed_due(struct cluster *cluster, const char *url);
/*
 * In the open transaction: undone if it aborts. The item's updated time and content hash (0:
 * none) go with its id, so that the feed's next owner knows an update from a re-fetch.
 */
void	 cluster_feed_delivered(struct cluster *cluster, const char *url, const char *id,
	    time_t updated, uint64_t content_hash);

/* The delivery report of a state record (message context cluster_message_kind()). */
void	 cluster_on_report(struct cluster *cluster, int success, const char *key,
	    size_t key_length, const char *error_text);

void	 cluster_get_status(const struct cluster *cluster, struct cluster_status *status);

/*
 * Creates topic.fingerprints when missing (one partition, retention.ms = the longer of the
 * [dedup] and [stories] windows) and
 * starts reading it from its beginning; 0, or -1 with a reason.
 */
int	 cluster_fingerprints_open(struct cluster *cluster, struct event_base *base,
	    const struct fingerprint_hooks *hooks, char *error, size_t error_size);
/*
 * Sends the article's record (its id, feed, when and dedup sketch) and parks item until the
 * record is read back: hooks local(item, when), expired() after fingerprint_timeout, or
 * refused(). 1 when parked; 0 when the brokers refused a record of this id before for good
 * (set aside: nothing sent, nothing parked, the caller judges it here). A record of an id
 * whose whole record was refused for good before goes without its story features. The article stays
 * as it is, and where it is, while parked: a record sent again is written from it again.
 */
int	 cluster_fingerprint_park(struct cluster *cluster, const struct article *article,
	    time_t when, void *item);
long long cluster_fingerprints_parked(const struct cluster *cluster);
/*
 * A revoked partition's parked articles: those dropped(item) takes (1) leave the parked set;
 * their records, already sent, are judged as another instance's when read back. How many.
 */
size_t	 cluster_fingerprints_drop(struct cluster *cluster,
	    int (*dropped)(void *item, void *context), void *context);
/*
 * The delivery report of a fingerprint record (message context cluster_fingerprint_kind()),
 * length the record's.
 */
void	 cluster_fingerprint_on_report(struct cluster *cluster, int success, const char *key,
	    size_t key_length, size_t length, const char *error_text);
void	*cluster_fingerprint_kind(void);
/*
 * Tests only: defined in tests/hooks/ and linked into build/wiresift-hooks, never into
 * build/wiresift (where it is NULL). 1: the record of id is lost on its way to the producer.
 */
int	 cluster_test_drop_fingerprint(const char *id) __attribute__((weak));

#endif
