/*
 * spool.c - the disk spool (see spool.h). Rows live in the state database, so a spooled
 * message and the "seen" mark of its article are durable the same way (SQLite WAL). Replay
 * sends the oldest rows, at most REPLAY_WINDOW at a time, waits for all their reports, deletes
 * each acknowledged row, and goes on; a failed round pauses replay before trying again, so a
 * broker that is still down is not flooded.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "spool.h"
#include "util.h"

#define REPLAY_WINDOW		500
#define REPLAY_PAUSE_MS		5000

struct spool_message {
	enum message_kind	 kind;		/* MESSAGE_SPOOLED */
	long long		 sequence;
	size_t			 value_length;
};

struct spool {
	struct state		*state;
	struct publisher	*publisher;
	struct event		*tick;
	long long		 max_bytes;
	long long		 rows;
	long long		 bytes;
	int			 in_flight;
	int			 round_failed;
	int			 round_sent;
	int			 stopped;
	int64_t			 paused_until_ms;
	long long		 replayed_total;
};

static void replay_round(struct spool *spool);

static void
on_tick(evutil_socket_t fd, short what, void *context)
{
	struct spool *spool = context;

	if (spool->rows > 0 && spool->in_flight == 0 && !spool->stopped &&
	    monotonic_ms() >= spool->paused_until_ms)
		replay_round(spool);
}

struct spool *
spool_new(struct state *state, struct event_base *base, long long max_bytes)
{
	struct spool *spool = xcalloc(1, sizeof *spool);
	struct timeval every = { 1, 0 };

	spool->state = state;
	spool->max_bytes = max_bytes;
	state_spool_size(state, &spool->rows, &spool->bytes);
	if (spool->rows > 0)
		log_event(LOG_LEVEL_INFO, "spool", "spool.found", "rows=%lld bytes=%lld "
		    "action=replay", spool->rows, spool->bytes);
	spool->tick = event_new(base, -1, EV_PERSIST, on_tick, spool);
	event_add(spool->tick, &every);
	return spool;
}

void
spool_free(struct spool *spool)
{
	if (spool == NULL)
		return;
	event_free(spool->tick);
	free(spool);
}

void
spool_set_publisher(struct spool *spool, struct publisher *publisher)
{
	spool->publisher = publisher;
}

int
spool_store(struct spool *spool, const char *topic, const char *key, const char *value,
    size_t value_length, const char *headers)
{
	if (state_spool_append(spool->state, topic, key, value, value_length, headers,
	    time(NULL)) < 0)
		return -1;
	spool->rows++;
	spool->bytes += (long long)value_length;
	if (spool_is_full(spool))
		log_complain("spool.full", "spool", "spool.full",
		    "rows=%lld bytes=%lld limit=%lld fetching=paused", spool->rows, spool->bytes,
		    spool->max_bytes);
	return 0;
}

static void
replay_round(struct spool *spool)
{
	struct spool_record records[REPLAY_WINDOW];
	int count;

	if (spool->publisher == NULL)
		return;
	count = state_spool_next(spool->state, 0, records, REPLAY_WINDOW);
	spool->round_failed = 0;
	spool->round_sent = 0;
	for (int i = 0; i < count; i++) {
		struct spool_message *message = xmalloc(sizeof *message);
		message->kind = MESSAGE_SPOOLED;
		message->sequence = records[i].sequence;
		message->value_length = records[i].value_length;
		if (publisher_send_raw(spool->publisher, records[i].topic, records[i].key,
		    records[i].value, records[i].value_length, records[i].headers, message) < 0) {
			free(message);
			spool->paused_until_ms = monotonic_ms() + 1000;
			for (int j = i; j < count; j++)
				spool_record_clear(&records[j]);
			break;
		}
		spool->in_flight++;
		spool->round_sent++;
		spool_record_clear(&records[i]);
	}
}

void
spool_on_report(struct spool *spool, void *message_context, const struct delivery_report *report)
{
	struct spool_message *message = message_context;

	spool->in_flight--;
	if (report->success) {
		if (state_spool_remove(spool->state, message->sequence) == 0) {
			spool->rows--;
			spool->bytes -= (long long)message->value_length;
			spool->replayed_total++;
		}
	} else
		spool->round_failed = 1;
	free(message);
	if (spool->in_flight > 0)
		return;
	if (spool->round_failed) {
		spool->paused_until_ms = monotonic_ms() + REPLAY_PAUSE_MS;
		log_complain("spool.replay", "spool", "spool.replay_failed",
		    "rows=%lld error=%s retry_in_ms=%d", spool->rows, log_quote(report->error_text),
		    REPLAY_PAUSE_MS);
		return;
	}
	log_complain_clear("spool.replay", "spool", "spool.replay_recovered");
	log_event(LOG_LEVEL_INFO, "spool", "spool.replayed", "sent=%d left=%lld total=%lld",
	    spool->round_sent, spool->rows, spool->replayed_total);
	if (spool->rows > 0 && !spool->stopped)
		replay_round(spool);
	else if (spool->rows == 0)
		log_complain_clear("spool.full", "spool", "spool.drained");
}

int
spool_is_full(const struct spool *spool)
{
	return spool->max_bytes > 0 && spool->bytes >= spool->max_bytes;
}

long long
spool_rows(const struct spool *spool)
{
	return spool->rows;
}

long long
spool_bytes(const struct spool *spool)
{
	return spool->bytes;
}

void
spool_stop(struct spool *spool)
{
	spool->stopped = 1;
}
