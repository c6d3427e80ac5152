/*
 * txn_ledger.h - the plain reference the transaction tests on librdkafka's mock cluster
 * (test_cluster_renew.c, test_cluster_join.c) check cluster mode's transactions against: a
 * ledger of articles kept as daemon/ingest/cluster.c keeps its deliveries. An acknowledged
 * article is held until its transaction ends, credited when it commits, and sent again when
 * its transaction aborts or its report failed (its feed's next poll). Every article must end
 * credited exactly once.
 */
#ifndef TXN_LEDGER_H
#define TXN_LEDGER_H

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "cluster/cluster_internal.h"
#include "publish.h"
#include "util.h"

#define LEDGER_MAX	32
#define LEDGER_ENDS	8	/* the outcomes of the first transactions, kept */

struct ledger_entry {
	char	 key[32];
	int	 sends;		/* times given to the publisher */
	int	 reports;	/* reports served (one per send) */
	int	 held;		/* acknowledged, waiting for its transaction */
	int	 credited;	/* times committed (must end at 1) */
	int	 pending;	/* sent, not reported yet */
};

struct ledger {
	struct event_base	*base;
	struct publisher	*publisher;
	struct cluster		*cluster;
	const char		*topic;
	int			 count;
	struct ledger_entry	 articles[LEDGER_MAX];
	int			 ends, commits, aborts;
	int			 outcome[LEDGER_ENDS];	/* 1 committed, 0 aborted, by end */
};

/* count articles named PREFIX-NN, none sent yet; the rest is ledger_open()'s. */
static inline void
ledger_init(struct ledger *ledger, const char *topic, int count, const char *prefix)
{
	memset(ledger, 0, sizeof *ledger);
	ledger->topic = topic;
	ledger->count = count < LEDGER_MAX ? count : LEDGER_MAX;
	for (int i = 0; i < ledger->count; i++)
		snprintf(ledger->articles[i].key, sizeof ledger->articles[i].key, "%s-%02d",
		    prefix, i);
}

/* The publisher's report callback (message_context: the article). */
static inline void
ledger_on_report(void *message_context, const struct delivery_report *report, void *context)
{
	struct ledger_entry *article = message_context;

	article->reports++;
	article->pending = 0;
	article->held = report->success;	/* a failed one is sent again (its feed polls) */
}

/* The cluster's transaction_done hook (context: the ledger): on_transaction_done's part. */
static inline void
ledger_on_done(void *context, int committed)
{
	struct ledger *ledger = context;

	if (ledger->ends < LEDGER_ENDS)
		ledger->outcome[ledger->ends] = committed;
	ledger->ends++;
	committed ? ledger->commits++ : ledger->aborts++;
	for (int i = 0; i < ledger->count; i++) {
		struct ledger_entry *article = &ledger->articles[i];
		article->credited += article->held && committed;
		article->held = 0;
	}
}

/*
 * The publisher (config's transactional producer, its reports to the ledger) and the
 * cluster's transaction side as txn.c needs them (producer, feed-state tables, the
 * transaction_done hook to the ledger); txn_init() and the group member are the caller's.
 * 0, or -1 with the reason on stderr.
 */
static inline int
ledger_open(struct ledger *ledger, struct config *config, struct event_base *base,
    struct cluster *cluster)
{
	char error[512] = "";

	ledger->base = base;
	ledger->cluster = cluster;
	ledger->publisher = publisher_open(config, base, ledger_on_report, ledger, error,
	    sizeof error);
	if (ledger->publisher == NULL) {
		fprintf(stderr, "publisher_open: %s\n", error);
		return -1;
	}
	cluster->config = config;
	cluster->publisher = ledger->publisher;
	cluster->producer = publisher_kafka(ledger->publisher);
	cluster->feeds = json_object();
	cluster->dirty = json_object();
	cluster->unwritten = json_object();
	cluster->hooks.transaction_done = ledger_on_done;
	cluster->hooks.context = ledger;
	return 0;
}

/* After txn_close(): the publisher and the feed-state tables of ledger_open(). */
static inline void
ledger_close(struct ledger *ledger)
{
	publisher_close(ledger->publisher);
	json_decref(ledger->cluster->feeds);
	json_decref(ledger->cluster->dirty);
	json_decref(ledger->cluster->unwritten);
}

static inline void
ledger_send(struct ledger *ledger, struct ledger_entry *article)
{
	char value[64];

	snprintf(value, sizeof value, "{\"id\":\"%s\"}", article->key);
	article->sends++;
	article->pending = 1;
	if (publisher_send_raw(ledger->publisher, ledger->topic, article->key, value,
	    strlen(value), "content-type=application/json\n", article) < 0)
		article->pending = 0;	/* refused (the producer fatal): sent again later */
}

static inline void
ledger_send_all(struct ledger *ledger)
{
	for (int i = 0; i < ledger->count; i++)
		ledger_send(ledger, &ledger->articles[i]);
}

/* The feeds' next polls: what is neither credited, held nor in flight goes out again. */
static inline void
ledger_send_undelivered(struct ledger *ledger)
{
	for (int i = 0; i < ledger->count; i++) {
		struct ledger_entry *article = &ledger->articles[i];
		if (article->credited == 0 && !article->held && !article->pending)
			ledger_send(ledger, article);
	}
}

static inline void
ledger_run_for(struct ledger *ledger, int ms)
{
	struct timeval wait = { 0, ms * 1000 };

	event_base_loopexit(ledger->base, &wait);
	event_base_dispatch(ledger->base);
}

static inline int
ledger_all_credited(const struct ledger *ledger)
{
	for (int i = 0; i < ledger->count; i++)
		if (ledger->articles[i].credited == 0)
			return 0;
	return 1;
}

/* Ends transactions (the cluster's tick) and polls again until all is committed or 60 s. */
static inline void
ledger_run_until_credited(struct ledger *ledger)
{
	int64_t deadline = monotonic_ms() + 60000;

	while (!ledger_all_credited(ledger) && monotonic_ms() < deadline) {
		ledger_send_undelivered(ledger);
		txn_tick(ledger->cluster, 1);
		ledger_run_for(ledger, 50);
	}
}

#endif
