/*
 * test_loop.c - the fetch loop (loop.c) keeps its connections: polls of feeds on several hosts,
 * one transfer under way at a time as when polls are spread over the interval, each go out on
 * the connection the host's last poll used, against a loopback server that counts the
 * connections it accepts and answers every request 304 on keep-alive; and the polls reuse one
 * easy handle (loop_easy_take: test_fetch_reuse.c checks a reused one carries nothing over).
 */
#include <event2/event.h>

#include "check.h"
#include "config.h"
#include "fetch.h"
#include "keepalive_server.h"
#include "loop.h"

#define HOSTS		KEEPALIVE_HOSTS	/* listening ports: hosts to libcurl, which keys connections so */
#define ROUNDS		6

static const char reply_304[] = "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n"
    "Content-Length: 0\r\n\r\n";

struct polls {
	int	not_modified;
	int	done;
	size_t	handles_made;	/* by the loop, for all the polls */
};

static void
on_fetched(struct fetch_result *result, void *context)
{
	struct polls *polls = context;

	polls->not_modified += result->outcome == FETCH_NOT_MODIFIED;
	polls->done = 1;
	fetch_result_free(result);
}

/* ROUNDS polls of each host, one at a time, on a loop like the daemon's: 304s counted. */
static struct polls
poll_hosts(const struct keepalive_server *server, struct config *config)
{
	struct event_base *base = event_base_new();
	struct loop *loop = loop_new(base, config->max_host_connections,
	    config->max_connections);
	struct polls polls = { 0 };
	char url[64];

	for (int round = 0; round < ROUNDS; round++)
		for (int host = 0; host < HOSTS; host++) {
			snprintf(url, sizeof url, "http://127.0.0.1:%d/feed.xml", server->ports[host]);
			struct fetch_request request = { .url = url, .etag = "\"e\"",
			    .config = config };
			polls.done = 0;
			if (fetch_start(loop, &request, on_fetched, &polls) != NULL)
				while (!polls.done)
					event_base_loop(base, EVLOOP_ONCE);
		}
	polls.handles_made = loop_easy_handles_made(loop);
	loop_free(loop);
	event_base_free(base);
	return polls;
}

static void
test_polls_of_many_hosts_keep_their_connections(void)
{
	struct keepalive_server server = { .client_count = 0 };
	struct config *config = config_defaults();

	config->allow_private = 1;
	if (keepalive_server_start(&server, reply_304) < 0) {
		SKIP("no loopback listener");
		config_free(config);
		return;
	}
	struct polls polls = poll_hosts(&server, config);
	CHECK(polls.not_modified == HOSTS * ROUNDS);
	/* one transfer at a time: the first poll's easy handle serves every later one */
	CHECK(polls.handles_made == 1);
	/* one connection per host: before, libcurl's default cache (4 per transfer under way)
	 * closed the oldest and every poll here connected anew (48) */
	CHECK(atomic_load(&server.accepted) == HOSTS);
	keepalive_server_stop(&server);
	config_free(config);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	RUN(test_polls_of_many_hosts_keep_their_connections);
	curl_global_cleanup();
	return check_finish();
}
