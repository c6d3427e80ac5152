/*
 * bench_poll.c - the CPU of a poll answered 304 on the daemon's side (fetch.c on loop.c, as
 * ingest/schedule.c starts it: validators, a feed's kept URL parse), against a loopback server
 * thread on HOSTS ports that answers every request 304 on keep-alive. POLLS polls of FEEDS
 * feeds, IN_FLIGHT at a time; prints the loop thread's CPU per poll (CLOCK_THREAD_CPUTIME_ID),
 * so the server's work is not counted. Under `valgrind --tool=callgrind`, two runs of different
 * POLLS give the instructions of one poll by difference.
 *
 *     bench_poll [POLLS [FEEDS [IN_FLIGHT]]]	(20000 200 8)
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fetch.h"
#include "keepalive_server.h"
#include "loop.h"

#define HOSTS		KEEPALIVE_HOSTS

/* What nginx answers a poll of an unchanged static feed. */
static const char reply_304[] = "HTTP/1.1 304 Not Modified\r\nServer: nginx\r\n"
    "Date: Mon, 07 Dec 2026 11:00:00 GMT\r\nLast-Modified: Mon, 07 Dec 2026 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\nETag: \"6565f0a0-1f4\"\r\n\r\n";

struct feed {
	char			 url[80];
	struct fetch_url	*parsed_url;
};

struct run {
	struct loop		*loop;
	const struct config	*config;
	struct feed		*feeds;
	int			 feed_count;
	int			 started;
	int			 done;
	int			 not_modified;
	int			 polls;
};

static void start_next(struct run *run);

static void
on_fetched(struct fetch_result *result, void *context)
{
	struct run *run = context;

	run->done++;
	run->not_modified += result->outcome == FETCH_NOT_MODIFIED;
	fetch_result_free(result);
	if (run->started < run->polls)
		start_next(run);
}

static void
start_next(struct run *run)
{
	struct feed *feed = &run->feeds[run->started % run->feed_count];
	struct fetch_request request = { .url = feed->url, .etag = "\"6565f0a0-1f4\"",
	    .last_modified = "Mon, 07 Dec 2026 10:00:00 GMT", .config = run->config,
	    .defer_decoding = 1, .parsed_url = &feed->parsed_url };

	run->started++;
	if (fetch_start(run->loop, &request, on_fetched, run) == NULL)
		run->done++;
}

static double
thread_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int polls = argc > 1 ? atoi(argv[1]) : 20000, feed_count = argc > 2 ? atoi(argv[2]) : 200;
	int in_flight = argc > 3 ? atoi(argv[3]) : 8;
	struct keepalive_server server = { .client_count = 0 };
	struct config *config = config_defaults();
	struct event_base *base = event_base_new();
	struct feed *feeds = calloc((size_t)feed_count, sizeof *feeds);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	config->allow_private = 1;
	config->max_host_connections = 8;
	if (keepalive_server_start(&server, reply_304) < 0)
		return 1;
	for (int i = 0; i < feed_count; i++)
		snprintf(feeds[i].url, sizeof feeds[i].url, "http://127.0.0.1:%d/poll/%05d.xml",
		    server.ports[i % HOSTS], i);
	struct loop *loop = loop_new(base, config->max_host_connections, config->max_connections);
	struct run run = { .loop = loop, .config = config, .feeds = feeds,
	    .feed_count = feed_count, .polls = polls };
	double started = thread_seconds();
	for (int i = 0; i < in_flight && run.started < polls; i++)
		start_next(&run);
	while (run.done < polls)
		event_base_loop(base, EVLOOP_ONCE);
	double seconds = thread_seconds() - started;
	printf("bench_poll polls=%d feeds=%d in_flight=%d not_modified=%d loop_cpu_us_per_poll=%.2f\n",
	    polls, feed_count, in_flight, run.not_modified, seconds * 1e6 / polls);
	loop_free(loop);
	keepalive_server_stop(&server);
	for (int i = 0; i < feed_count; i++)
		fetch_url_free(feeds[i].parsed_url);
	free(feeds);
	event_base_free(base);
	config_free(config);
	curl_global_cleanup();
	return run.not_modified == polls ? 0 : 1;
}
