/*
 * loop.c - libcurl's multi interface on libevent, in the shape of curl's hiperfifo example:
 * every socket curl wants watched gets one persistent event, curl's single timeout is one timer,
 * and both feed curl_multi_socket_action(). Transfers carry a small record in CURLOPT_PRIVATE
 * naming who to tell when they finish. Easy handles are kept for the next transfers once theirs
 * is done (loop_easy_take, loop_easy_give_back): curl_easy_reset forgets every option of the
 * last transfer, and what a handle keeps (its buffers) spares a curl_easy_init and
 * curl_easy_cleanup per poll.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "log.h"
#include "loop.h"
#include "util.h"

struct loop {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	int			 active;	/* transfers added and not yet done */
	CURL			**idle;		/* reset easy handles for the next transfers */
	size_t			 idle_count;
	size_t			 idle_max;	/* more given back are cleaned up */
	size_t			 handles_made;	/* curl_easy_init calls */
};

/* The most idle easy handles kept: max_connections, at most this many. */
#define IDLE_HANDLES_MAX	1024

struct transfer {
	transfer_done_fn	 done;
	void			*context;
};

static void
read_finished_transfers(struct loop *loop)
{
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(loop->multi, &left)) != NULL) {
		if (message->msg != CURLMSG_DONE)
			continue;
		CURL *easy = message->easy_handle;
		CURLcode result = message->data.result;
		struct transfer *transfer = NULL;

		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
		curl_multi_remove_handle(loop->multi, easy);
		loop->active--;
		if (transfer != NULL) {
			transfer_done_fn done = transfer->done;
			void *context = transfer->context;
			free(transfer);
			curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
			done(easy, result, context);
		}
	}
}

static void
on_socket_event(evutil_socket_t fd, short what, void *context)
{
	struct loop *loop = context;
	int action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
	    (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(loop->multi, fd, action, &running);
	/* Done callbacks may start transfers (and arm curl's timer): never disarm it here. */
	read_finished_transfers(loop);
}

static void
on_timer(evutil_socket_t fd, short what, void *context)
{
	struct loop *loop = context;
	int running;

	curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	read_finished_transfers(loop);
}

/* CURLMOPT_SOCKETFUNCTION: add, change or remove the event watching one socket. */
static int
on_curl_socket(CURL *easy, curl_socket_t socket, int what, void *user, void *socket_data)
{
	struct loop *loop = user;
	struct event *watcher = socket_data;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (watcher != NULL) {
			event_free(watcher);
			curl_multi_assign(loop->multi, socket, NULL);
		}
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) |
	    EV_PERSIST);
	if (watcher == NULL) {
		watcher = event_new(loop->base, socket, kind, on_socket_event, loop);
		curl_multi_assign(loop->multi, socket, watcher);
	} else {
		event_del(watcher);
		event_assign(watcher, loop->base, socket, kind, on_socket_event, loop);
	}
	event_add(watcher, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms (-1: never). */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *user)
{
	struct loop *loop = user;
	struct timeval timeout = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (timeout_ms < 0)
		evtimer_del(loop->timer);
	else
		evtimer_add(loop->timer, &timeout);
	return 0;
}

/*
 * Connections stay in the multi handle's cache between transfers, max_connections of them.
 * Left to libcurl (7.88), the cache holds 4 per easy handle added at the time: a daemon
 * polling 2,000 feeds on 32 hosts with a few transfers under way at once closed the oldest
 * idle connection after almost every poll and opened a new one for the next, so a poll answered
 * 304 paid a TCP connect and close (a fifth of its CPU) where keep-alive was meant.
 */
struct loop *
loop_new(struct event_base *base, long max_host_connections, long max_connections)
{
	struct loop *loop = xcalloc(1, sizeof *loop);

	loop->base = base;
	loop->idle_max = max_connections < IDLE_HANDLES_MAX ? (size_t)max_connections :
	    IDLE_HANDLES_MAX;
	loop->idle = xcalloc(loop->idle_max, sizeof *loop->idle);
	loop->multi = curl_multi_init();
	loop->timer = evtimer_new(base, on_timer, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
	curl_multi_setopt(loop->multi, CURLMOPT_MAXCONNECTS, max_connections);
	curl_multi_setopt(loop->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return loop;
}

void
loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	while (loop->idle_count > 0)
		curl_easy_cleanup(loop->idle[--loop->idle_count]);
	free(loop->idle);
	curl_multi_cleanup(loop->multi);
	event_free(loop->timer);
	free(loop);
}

int
loop_add_transfer(struct loop *loop, CURL *easy, transfer_done_fn done, void *context)
{
	struct transfer *transfer = xmalloc(sizeof *transfer);
	CURLMcode result;

	transfer->done = done;
	transfer->context = context;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
	if ((result = curl_multi_add_handle(loop->multi, easy)) != CURLM_OK) {
		log_event(LOG_LEVEL_ERROR, "loop", "transfer.add_failed", "error=%s",
		    log_quote(curl_multi_strerror(result)));
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(transfer);
		return -1;
	}
	loop->active++;
	return 0;
}

void
loop_remove_transfer(struct loop *loop, CURL *easy)
{
	struct transfer *transfer = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
	if (curl_multi_remove_handle(loop->multi, easy) == CURLM_OK)
		loop->active--;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(transfer);
}


CURL *
loop_easy_take(struct loop *loop)
{
	if (loop->idle_count > 0)
		return loop->idle[--loop->idle_count];
	loop->handles_made++;
	return curl_easy_init();
}

void
loop_easy_give_back(struct loop *loop, CURL *easy)
{
	if (loop->idle_count == loop->idle_max) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	loop->idle[loop->idle_count++] = easy;
}

size_t
loop_easy_handles_made(const struct loop *loop)
{
	return loop->handles_made;
}
