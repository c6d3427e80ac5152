/*
 * ingest_internal.h - the running daemon's records and the functions its files call across,
 * shared by the files of daemon/ingest/ (which own and change them) and status.c (which only
 * reads them to answer /metrics, /feeds and /readyz).
 */
#ifndef WIRESIFT_INGEST_INTERNAL_H
#define WIRESIFT_INGEST_INTERNAL_H

#include <stdint.h>
#include <time.h>
#include <event2/util.h>

#include "config.h"
#include "fetch.h"
#include "page.h"
#include "ingest/ingest.h"
#include "spool.h"
#include "state.h"
#include "util.h"

#define FETCH_DURATION_BUCKETS	10
extern const double fetch_duration_bounds[FETCH_DURATION_BUCKETS];	/* seconds */

struct host {
	char		*name;
	int		 active;
	struct feed	*waiting_head, *waiting_tail;
	int		 in_ready_list;
	struct host	*next_ready;
	struct host	*next;
};

/* What /metrics and /feeds report of one feed. */
struct feed_stats {
	long long		 fetches[FETCH_OTHER + 1];	/* by enum fetch_outcome */
	long long		 parse_errors;
	long long		 items_published;
	time_t			 last_success;
	time_t			 last_attempt;
	long			 last_status;
	char			 last_error[200];
	unsigned		 problems;	/* what the last parse repaired: FEED_PROBLEM_* */
};

struct feed {
	struct ingest		*ingest;
	const struct feed_config *config;
	char			*url;		/* current URL (after a permanent redirect) */
	struct fetch_url	*parsed_url;	/* url parsed for libcurl (fetch.h), or NULL */
	const char		*label;		/* name for log lines */
	struct host		*host;
	struct feed_record	 record;	/* committed validators and health */
	struct event		*timer;
	struct fetch		*fetch;		/* in flight, or NULL */
	struct feed		*next_waiting;
	int			 waiting;
	int			 polls;
	long long		 interval_ms;
	struct string_set	 in_flight;	/* ids in the pipeline or awaiting delivery */
	struct feed_stats	 stats;
	int			 removed;	/* dropped from the config by a reload */
	int			 unchanged_polls;	/* polls in a row without a new item */
	int			 cluster_owned;	/* cluster mode: its partition is ours (cluster.c) */
	int			 poll_deferred;	/* cluster mode: due while items were in flight */
	uint64_t		 cluster_noted;	/* cluster mode: hash of the state last noted */
	time_t			 cluster_noted_poll;	/* and the next poll (cluster.c) */
};

/*
 * One poll's items, so validators advance only when all of them are delivered, and the
 * counts of its feed.fetched line, written once the last of them is through the pipeline.
 */
struct batch {
	struct feed	*feed;
	time_t		 now;		/* when the poll's body was parsed */
	int		 pending_items;	/* in the pipeline or awaiting delivery */
	int		 failed_items;
	int		 in_flight_skipped;	/* items skipped as in flight (an earlier poll's) */
	int		 all_sent;
	char		*etag;
	char		*last_modified;
	/* the feed.fetched line */
	int		 parsed_whole;	/* the body parsed without a fatal error (else: feed.invalid) */
	int		 in_pipeline;	/* submitted to the workers, not yet back */
	int		 items, new_items, duplicates, skipped;
	long		 status;
	long		 elapsed_ms;
	size_t		 bytes;
	char		 format[16];
};

/* One article waiting for its delivery reports (one per topic). */
struct delivery {
	enum message_kind kind;		/* MESSAGE_ARTICLE: first, see spool.h */
	struct batch	*batch;
	struct article	*article;
	int		 pending_messages;
	int		 spooled_messages;	/* not acknowledged, but durable in the spool */
	int		 failed;		/* neither: the item stays unseen */
	char		*topics;	/* for the log line */
	int		 settled;	/* cluster mode: its transaction ended (cluster.c) */
};

struct ingest {
	struct config		*config;
	struct ingest_options	 options;
	struct event_base	*base;
	struct loop		*loop;
	struct state		*state;
	int			 state_lock;	/* state_dir/wiresift.lock, held while it runs */
	struct event		*state_commit_timer;	/* see state_set_commit_hook() */
	struct pipeline		*pipeline;
	struct workers		*workers;
	struct publisher	*publisher;
	struct spool		*spool;
	struct event		*housekeeping;
	int64_t			 next_summary_ms;
	struct feed		**feeds;
	size_t			 feed_count;
	struct feed		**retired;	/* removed by reloads; freed at exit */
	size_t			 retired_count;
	struct config		**old_configs;	/* replaced by reloads; freed at exit */
	size_t			 old_config_count;
	int			 ready;		/* started, topics checked */
	struct topic_check	*topic_check;	/* start-up's (topics.c) */
	int			 start_refused;	/* a topic is missing and will not be created */
	/* our own network: the last fetch outcomes across all feeds */
	int			 network_down;
	int			 network_failures_in_row;
	struct host		*network_failure_hosts[3];
	char			 not_ready_reason[200];
	/* global counters for /metrics */
	long long		 fetch_duration_buckets[FETCH_DURATION_BUCKETS + 1];
	double			 fetch_duration_sum;
	long long		 fetch_duration_count;
	long long		 items_parsed, items_skipped_empty, delivery_errors;
	struct host		*hosts;
	struct host		*ready_head, *ready_tail;
	int			 active_fetches;
	/* fetched bodies waiting for room in the workers (outcome.c) */
	struct waiting_body	*waiting_head, *waiting_tail;
	size_t			 waiting_bodies;
	int			 backpressure;
	int			 draining;
	long long		 drain_deadline_ms;
	struct event		*drain_timer;
	/* counters for the periodic summary */
	long long		 delivered_articles, delivered_duplicates, spooled_articles;
	long long		 summary_articles, summary_duplicates;
	/* --once bookkeeping */
	size_t			 feeds_done;
	int			 once_spool_checks;	/* ticks spent waiting on replay (lifecycle.c) */
	size_t			 once_polled;	/* feeds[] before this one have been fetched */
	int			 feed_failures;
	int			 delivery_failures;
	/* the page step (pages.c) */
	struct page		*pages;		/* every item waiting for its page */
	struct page_site	*page_sites;	/* robots.txt and politeness per site */
	size_t			 pages_pending;
	long long		 page_statuses[PAGE_STATUS_COUNT];	/* delivered, by status */
	/* cluster mode ([cluster] group), else NULL: see cluster.c */
	struct cluster		*cluster;
	size_t			 cluster_feeds;	/* feeds polled here */
	struct delivery		**cluster_held;	/* acknowledged, their transaction still open */
	size_t			 cluster_held_count, cluster_held_size;
};

/* Feeds by state, each counted once: disabled (410), failing, ok. */
void	 ingest_feed_counts(const struct ingest *ingest, size_t *ok, size_t *failing,
	    size_t *disabled);

struct article;
struct delivery_report;
struct feed_meta;
struct fetch_result;

/* lifecycle.c */
struct feed *ingest_feed_new(struct ingest *ingest, const struct feed_config *config);
void	 ingest_feed_free(struct feed *feed);
/*
 * The feed's fetch under way, if any, ends unanswered (its easy handle leaves curl's multi,
 * its host's and the global counts of fetches drop): nothing of it is taken, so the feed's
 * validators and items are as before it. 1 if there was one.
 */
int	 feed_fetch_cancel(struct feed *feed);
/* --once: one more feed has had its one poll (its items delivered, or it failed). */
void	 ingest_poll_done(struct ingest *ingest);

/*
 * topics.c: every topic we publish to exists or can be created. in_background: on a thread,
 * the producer holding sends until it answers (else here and now; -1 and error when a topic
 * is refused). The answer applies (readiness, sends released, systemd READY=1, or the start
 * refused and the loop broken) when the thread reports, or at ingest_topics_settle().
 */
int	 ingest_topics_check(struct ingest *ingest, int in_background, char *error,
	    size_t error_size);
/* 1 while the answer is not applied yet. */
int	 ingest_topics_pending(const struct ingest *ingest);
/* Apply an answer that is in (wait: waiting for the thread's). */
void	 ingest_topics_settle(struct ingest *ingest, int wait);
void	 ingest_topics_free(struct ingest *ingest);

/* schedule.c */
/* Start waiting fetches while the global, per-host and backpressure limits allow. */
void	 ingest_dispatch(struct ingest *ingest);
void	 ingest_on_feed_timer(evutil_socket_t fd, short what, void *context);
/* Arm the feed's timer for its next poll (not under --once, nor for a disabled feed). */
void	 feed_schedule_next(struct feed *feed, long long delay_ms);
/* Its next poll within delay_ms, if its timer waits longer now. */
void	 feed_poll_within(struct feed *feed, long long delay_ms);
/* delay_ms spread by +-percent at random. */
long long ingest_jitter(long long delay_ms, int percent);
long long feed_next_interval(struct feed *feed, const struct fetch_result *result,
	    const struct feed_meta *meta, int changed);
long long feed_backoff_delay(struct feed *feed, const struct fetch_result *result);

/* outcome.c */
void	 feed_handle_fetch(struct feed *feed, struct fetch_result *result);
/* Fetches wait while this many fetched bodies wait to be parsed (ingest_dispatch). */
#define WAITING_BODIES_MAX	16
/* Parse the waiting bodies the workers have room for (after a handback, or a fetch). */
void	 ingest_parse_waiting(struct ingest *ingest);
/*
 * The waiting bodies of the feeds drop() takes (1) leave the queue unparsed, each poll done
 * as ingest_parse_waiting's dropped bodies are: how many.
 */
size_t	 ingest_drop_waiting(struct ingest *ingest, int (*drop)(struct feed *feed));

/* items.c */
/* feed_parse()'s callback: an unseen item goes to the workers. */
int	 ingest_on_item(struct article *article, void *context);
void	 ingest_on_prepared(struct article *article, int result, void *job_context,
	    void *context);
/*
 * Judge a prepared item (result 0; < 0: empty) as of when, route and publish it; dedup_only:
 * into the dedup index only, in no story (cluster mode: its fingerprint record went without
 * its story features).
 */
void	 ingest_item_judge(struct ingest *ingest, struct batch *batch, struct article *article,
	    int result, time_t when, int dedup_only);
void	 batch_log_fetched(struct batch *batch);

/* delivery.c */
void	 ingest_on_delivery(void *message_context, const struct delivery_report *report,
	    void *context);
/* Every message of the article is acknowledged, spooled or failed: mark it seen, or not. */
void	 ingest_delivery_complete(struct ingest *ingest, struct delivery *delivery);

/* stories.c: the summaries of the stories articles joined, to topic.stories. */
void	 ingest_publish_stories(struct ingest *ingest);
void	 ingest_on_story_report(struct ingest *ingest, const struct delivery_report *report);
/* One of the poll's items is delivered, spooled, dropped, or failed. */
void	 batch_item_done(struct batch *batch, int failed);

/* The host record of a URL's host name (created on first use). */
struct host *ingest_host_for(struct ingest *ingest, const char *url);
/* A fetch on host ended: its waiting feeds may go (schedule.c). */
void	 ingest_host_ready(struct ingest *ingest, struct host *host);

/* pages.c */
/* The item wants its linked page: fetch it, then hand the item back to the workers. */
void	 ingest_page_request(struct ingest *ingest, struct batch *batch,
	    struct article *article);
void	 ingest_pages_dispatch(struct ingest *ingest);
/*
 * A revoke (cluster.c): the items waiting for their page whose feed drop() takes leave the
 * page step, a page fetch under way cancelled, one queued taken out; dropped() gets each
 * item (cancelled: 1 when its fetch was under way). How many.
 */
size_t	 ingest_pages_drop(struct ingest *ingest, int (*drop)(const struct feed *feed),
	    void (*dropped)(struct ingest *ingest, struct batch *batch, struct article *article,
	    int cancelled));
void	 ingest_pages_free(struct ingest *ingest);
/*
 * cluster.c: cluster mode. Without [cluster] (ingest->cluster NULL) feed_may_poll() is 1 and
 * the others do nothing.
 */
int	 ingest_cluster_open(struct ingest *ingest, char *error, size_t error_size);
/* A reload changed the feeds: start those whose partition is ours. */
void	 ingest_cluster_feeds_changed(struct ingest *ingest);
int	 feed_may_poll(const struct feed *feed);
/*
 * A poll falls due while items of the feed's last poll are still in flight (parked or in an
 * open transaction, so its validators have not advanced): 1, and the poll waits for them
 * (feed_poll_resume), rather than fetching the feed again unconditionally only to find
 * those items in flight. 0 to poll now.
 */
int	 feed_poll_deferred(struct feed *feed);
/* The feed's items are all through (batch_finish): a poll deferred so starts now. */
void	 feed_poll_resume(struct feed *feed);
/* The feed's validators, health or schedule changed: the state topic will learn it. */
void	 feed_cluster_note(struct feed *feed);
void	 feed_cluster_delivered(struct feed *feed, const struct article *article);
/* Before the seen filter looks id up: what the state record handed over of it, if anything. */
void	 feed_cluster_seen(struct feed *feed, const char *id, time_t now);
/*
 * An acknowledged article is delivered only once its transaction commits: 1 when it is kept
 * until then (completed again by the cluster, settled), 0 to complete it now.
 */
int	 ingest_cluster_hold(struct ingest *ingest, struct delivery *delivery);
/* The delivery report of a state record (MESSAGE_CLUSTER) or a fingerprint (_FINGERPRINT). */
void	 ingest_cluster_on_report(struct ingest *ingest, int kind,
	    const struct delivery_report *report);
/*
 * Global dedup: 1 when the prepared article waits for its turn in the fingerprints topic
 * (judged then by ingest_item_judge(), still counted in its batch; or, its record not back
 * within fingerprint_timeout, released as failed), 0 to judge it now.
 */
int	 ingest_cluster_park(struct ingest *ingest, struct batch *batch, struct article *article);
/*
 * A prepared (or cancelled: WORKERS_CANCELLED) item of a feed whose partition was revoked:
 * 1 when it is dropped (a failed item of its poll, polled again by the next owner).
 */
int	 ingest_cluster_drop_revoked(struct ingest *ingest, struct batch *batch,
	    struct article *article, int result);
/* Articles parked so (0 without [cluster]). */
long long ingest_cluster_parked(const struct ingest *ingest);

/* housekeeping.c */
void	 ingest_on_housekeeping(evutil_socket_t fd, short what, void *context);
void	 ingest_update_backpressure(struct ingest *ingest);

#endif
