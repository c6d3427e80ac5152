/*
 * state.h - the daemon's durable state in state_dir/wiresift.db (SQLite, WAL mode): per feed
 * its HTTP validators and health, the ids of items already delivered to Kafka, the spool, and
 * the page step's cache of extracted pages. Seen ids, validators and cached pages are written
 * from the delivery-report path (daemon/ingest/delivery.c; seen ids also for items the dedup
 * policy drops), feed health from the fetch path, spool rows by spool.c, so a crash anywhere
 * leaves it consistent: an item is either recorded as delivered or will be fetched again.
 */
#ifndef WIRESIFT_STATE_H
#define WIRESIFT_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct state;

struct feed_record {
	char	*etag;			/* NULL when none */
	char	*last_modified;
	char	*current_url;		/* after a permanent redirect, else NULL */
	int	 failures;
	int	 disabled;		/* 410 Gone */
};

void	 feed_record_clear(struct feed_record *record);

/* Creates dir when missing. NULL on error with a reason. */
struct state *state_open(const char *dir, char *error, size_t error_size);
/* Commits what is still open, then closes. */
void	 state_close(struct state *state);

/*
 * Writes are grouped into one transaction: the hook is called when a write opens one, and the
 * owner calls state_commit() soon after. Without a hook, call state_commit() (or state_close())
 * before relying on a write. -1 when the commit failed (it is retried by the next call).
 */
typedef void (*state_commit_hook)(void *context);
void	 state_set_commit_hook(struct state *state, state_commit_hook hook, void *context);
int	 state_commit(struct state *state);
/* Wait until the checkpointer thread has done every checkpoint asked of it so far. */
void	 state_wait_checkpoints(struct state *state);

/* 0 and a filled record (all NULL/0 for a new feed), -1 on a database error. */
int	 state_feed_load(struct state *state, const char *feed_key, struct feed_record *record);
int	 state_feed_save_validators(struct state *state, const char *feed_key, const char *etag,
	    const char *last_modified);
int	 state_feed_save_health(struct state *state, const char *feed_key, int failures,
	    int disabled, const char *current_url);

/* Clear a feed's 410 mark and failure count. 1 when it was disabled, 0 when not, -1 error. */
int	 state_feed_enable(struct state *state, const char *feed_key);

/* 1 when the item was delivered before, 0 when not, -1 on error. */
int	 state_seen(struct state *state, const char *feed_key, const char *item_id);
/* The same, with the feed's updated time of the item as delivered and the hash of what it
 * said then (article_content_hash; 0: none recorded). Either pointer may be NULL. */
int	 state_seen_updated(struct state *state, const char *feed_key, const char *item_id,
	    time_t *updated, uint64_t *content_hash);
int	 state_mark_seen(struct state *state, const char *feed_key, const char *item_id,
	    time_t when);
/* Mark it seen with its updated time and content hash (0 keeps the one recorded, if any). */
int	 state_mark_seen_updated(struct state *state, const char *feed_key, const char *item_id,
	    time_t when, time_t updated, uint64_t content_hash);
/*
 * Forget delivered ids older than `before` (a scan of them all), unless this ran less than a
 * day before `now`: returns how many went (0 when it did not run), -1 on error.
 */
long	 state_expire_seen(struct state *state, time_t before, time_t now);

/*
 * The page step's cache: per page URL, the validators it was served with and the article text
 * extracted from it, stored when that article was delivered; a page asked for again is fetched
 * with a conditional GET, and a 304 reuses the text.
 */
struct page_record {
	char	*etag;
	char	*last_modified;
	char	*text;
	char	*method;		/* "json-ld", "dom", "site-rule" */
	long	 words;
};

void	 page_record_clear(struct page_record *record);
/* 1 and a filled record when the page is cached, 0 when not, -1 on error. */
int	 state_page_load(struct state *state, const char *url, struct page_record *record);
int	 state_page_save(struct state *state, const char *url, const struct page_record *record,
	    time_t when);
/* Forget pages stored before `before`; returns how many, -1 on error. */
long	 state_expire_pages(struct state *state, time_t before);

/*
 * The spool: messages Kafka did not acknowledge (broker unreachable beyond librdkafka's bounded
 * queue, expired or failed deliveries, a stop before the flush finished). Rows are appended in
 * order and replayed in order by publish.c's owner; a row is deleted only when its re-send is
 * acknowledged.
 */
struct spool_record {
	long long	 sequence;
	char		*topic;
	char		*key;
	char		*value;
	size_t		 value_length;
	char		*headers;	/* "name=value\n" lines */
};

void	 spool_record_clear(struct spool_record *record);
/* 0 on success (the row is committed), -1 on error. */
int	 state_spool_append(struct state *state, const char *topic, const char *key,
	    const void *value, size_t value_length, const char *headers, time_t when);
/* Up to limit rows with sequence > after, in order; returns how many (-1 on error). */
int	 state_spool_next(struct state *state, long long after, struct spool_record *records,
	    int limit);
int	 state_spool_remove(struct state *state, long long sequence);
/* Rows and payload bytes in the spool. */
int	 state_spool_size(struct state *state, long long *rows, long long *bytes);

#endif
