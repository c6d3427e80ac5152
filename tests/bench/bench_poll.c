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
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fetch.h"
#include "loop.h"

#define HOSTS		8
#define CLIENTS_MAX	256

struct server {
	int		 listeners[HOSTS];
	int		 ports[HOSTS];
	int		 clients[CLIENTS_MAX];
	int		 client_count;
	atomic_int	 stop;
	pthread_t	 thread;
};

static int
listen_loopback(int *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof address;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)&address, &length) < 0)
		return -1;
	*port = ntohs(address.sin_port);
	return fd;
}

/* Every request read answered 304 (nginx's headers); 0 once the client closed. */
static int
answer(int fd)
{
	static const char reply[] = "HTTP/1.1 304 Not Modified\r\nServer: nginx\r\n"
	    "Date: Mon, 07 Dec 2026 11:00:00 GMT\r\nLast-Modified: Mon, 07 Dec 2026 10:00:00 GMT\r\n"
	    "Connection: keep-alive\r\nETag: \"6565f0a0-1f4\"\r\n\r\n";
	char data[8192];
	ssize_t got = read(fd, data, sizeof data - 1);

	if (got <= 0)
		return 0;
	data[got] = '\0';
	for (char *end = strstr(data, "\r\n\r\n"); end != NULL; end = strstr(end + 4, "\r\n\r\n"))
		if (write(fd, reply, sizeof reply - 1) < 0)
			return 0;
	return 1;
}

static void
serve_once(struct server *server)
{
	struct pollfd fds[CLIENTS_MAX + HOSTS];
	int count = 0, kept = 0;

	for (int i = 0; i < server->client_count; i++)
		fds[count++] = (struct pollfd){ .fd = server->clients[i], .events = POLLIN };
	for (int i = 0; i < HOSTS; i++)
		fds[count++] = (struct pollfd){ .fd = server->listeners[i], .events = POLLIN };
	if (poll(fds, (nfds_t)count, 50) <= 0)
		return;
	for (int i = 0; i < server->client_count; i++)
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) || answer(fds[i].fd))
			server->clients[kept++] = fds[i].fd;
		else
			close(fds[i].fd);
	server->client_count = kept;
	for (int i = count - HOSTS; i < count; i++) {
		if (!(fds[i].revents & POLLIN))
			continue;
		int client = accept(fds[i].fd, NULL, NULL);
		if (client >= 0 && server->client_count < CLIENTS_MAX)
			server->clients[server->client_count++] = client;
		else if (client >= 0)
			close(client);
	}
}

static void *
serve(void *context)
{
	struct server *server = context;

	while (!atomic_load(&server->stop))
		serve_once(server);
	return NULL;
}

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
	struct server server = { .client_count = 0 };
	struct config *config = config_defaults();
	struct event_base *base = event_base_new();
	struct feed *feeds = calloc((size_t)feed_count, sizeof *feeds);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	config->allow_private = 1;
	config->max_host_connections = 8;
	for (int i = 0; i < HOSTS; i++)
		if ((server.listeners[i] = listen_loopback(&server.ports[i])) < 0)
			return 1;
	pthread_create(&server.thread, NULL, serve, &server);
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
	atomic_store(&server.stop, 1);
	pthread_join(server.thread, NULL);
	for (int i = 0; i < feed_count; i++)
		fetch_url_free(feeds[i].parsed_url);
	free(feeds);
	event_base_free(base);
	config_free(config);
	curl_global_cleanup();
	return run.not_modified == polls ? 0 : 1;
}
