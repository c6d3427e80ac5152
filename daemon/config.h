/*
 * config.h - the daemon's configuration: an INI file (wiresift.conf(5)) and the feeds list it
 * names. Every error names FILE:LINE; unknown sections and keys are errors.
 */
#ifndef WIRESIFT_CONFIG_H
#define WIRESIFT_CONFIG_H

#include <stddef.h>
#include "article.h"
#include "dedup/dedup.h"
#include "story/story.h"
#include "log.h"
#include "plugin.h"

/* Fetch an item's linked page for its full text (the page step): [fulltext] mode, fulltext=. */
enum fulltext_mode {
	FULLTEXT_UNSET = 0,	/* a feed without fulltext=: [fulltext] mode */
	FULLTEXT_NEVER,
	FULLTEXT_AUTO,		/* when the cleaned feed text has fewer than min_words words */
	FULLTEXT_ALWAYS
};

struct fulltext_config {
	int			 mode;		/* enum fulltext_mode, never FULLTEXT_UNSET */
	int			 min_words;
	long long		 timeout_ms;	/* one page or robots.txt fetch */
	long long		 max_size;	/* of a page */
	long long		 max_wait_ms;	/* in a site's queue before giving up */
	int			 robots;	/* obey robots.txt */
	long long		 robots_max_age_ms;
	long long		 robots_retry_ms;	/* after a 5xx or no answer */
	long long		 max_crawl_delay_ms;
	long long		 cache_ms;	/* keep extracted pages for conditional GETs */
};

struct feed_config {
	char		*url;		/* absolute http(s):// or file:// URL */
	char		*name;		/* name= or NULL */
	long long	 interval_ms;	/* interval= or 0 for the [feeds] default */
	struct strlist	 tags;
	struct strlist	 headers;	/* "Name: value" lines sent with every request */
	char		*user_agent;	/* user_agent= or NULL */
	char		*file;		/* where it was configured */
	int		 line;
	int		 fulltext;	/* fulltext= (enum fulltext_mode), or FULLTEXT_UNSET */
};

struct kafka_setting {			/* a librdkafka property passed through verbatim */
	char	*key;
	char	*value;
	int	 line;
};

struct route_rule {			/* [route] KIND:VALUE = TOPIC */
	char	*kind;			/* "lang", "topic", "source", "tag", "entity", "category" */
	char	*value;
	char	*topic;
	int	 line;
};

#define WORKERS_AUTO	(-1)		/* [daemon] workers = auto: one per online CPU */

/* [cluster]: cluster mode on Kafka (daemon/cluster/); off while group is NULL. */
struct cluster_config {
	char		*group;		/* consumer group of the instances; NULL: single-node */
	char		*topic_feeds;	/* assignment topic: feed -> partition hash(URL) mod N */
	char		*topic_state;	/* compacted, key = feed URL */
	char		*topic_fingerprints;	/* one partition, the dedup log (fingerprints.c) */
	int		 partitions;	/* of both topics when wiresift creates them */
	int		 replication_factor;	/* 0: the broker's default.replication.factor */
	long long	 session_timeout_ms;	/* the group's session.timeout.ms */
	long long	 commit_interval_ms;	/* a transaction is committed this often */
	long long	 fingerprint_timeout_ms;	/* a parked article's wait for its record */
};

/* [cluster] commit_interval bounds: the broker aborts a transaction open 10 s (txn.c). */
#define COMMIT_INTERVAL_MIN_MS	10
#define COMMIT_INTERVAL_MAX_MS	5000

struct config {
	char			*path;

	/* [daemon] */
	char			*state_dir;
	enum log_level		 log_level;
	char			*log_levels;	/* per component: "fetch:debug,kafka:warning" */
	char			*plugin_dir;
	long long		 shutdown_timeout_ms;
	long long		 spool_max_size;
	long long		 summary_interval_ms;
	int			 workers;	/* clean+tag threads, or WORKERS_AUTO */

	/* [kafka] */
	char			*bootstrap_servers;	/* "" = embedded in-process broker */
	char			*topic_articles;
	char			*topic_duplicates;
	struct kafka_setting	*kafka_settings;
	size_t			 kafka_setting_count;

	/* [feeds] */
	char			*feeds_list;
	char			*opml;		/* subscriptions exported by a feed reader */
	long long		 interval_ms;
	long long		 min_interval_ms;
	long long		 max_interval_ms;
	long long		 max_backoff_ms;
	long long		 connect_timeout_ms;
	long long		 timeout_ms;
	long long		 max_size;
	long			 max_connections;
	long			 max_host_connections;
	int			 allow_private;
	int			 adaptive;	/* stretch the interval of feeds that rarely change */
	char			*user_agent;
	struct feed_config	*feeds;
	size_t			 feed_count;

	/* [metrics] */
	char			*metrics_listen;	/* "" or NULL: no HTTP listener */

	/* [clean] */
	char			*rules_file;
	char			*site_rules_file;	/* per-site extraction rules */

	/* [dedup] */
	struct dedup_config	 dedup;

	/* [fulltext] */
	struct fulltext_config	 fulltext;

	/* [stories], and [kafka] topic.stories */
	struct story_config	 stories;
	char			*topic_stories;

	/* [plugin "NAME"], in order */
	struct plugin_config	*plugins;
	size_t			 plugin_count;

	/* [route] */
	struct route_rule	*routes;
	size_t			 route_count;

	/* [cluster] */
	struct cluster_config	 cluster;
};

/* Built-in defaults, no feeds, no plugins (wiresift process without -c). */
struct config	*config_defaults(void);
/* NULL on error with "FILE:LINE: reason" in error. */
struct config	*config_load(const char *path, char *error, size_t error_size);
void		 config_free(struct config *config);

/* Parse a feeds list into config->feeds (appending). -1 with "FILE:LINE: reason" on error. */
int		 config_load_feeds(struct config *config, const char *path, char *error,
		    size_t error_size);

#endif
