/*
 * test_loop.c - the fetch loop (loop.c) keeps its connections: polls of feeds on several hosts,
 * one transfer under way at a time as when polls are spread over the interval, each go out on
 * the connection the host's last poll used, against a loopback server that counts the
 * connections it accepts and answers every request 304 on keep-alive; and the polls reuse one
 * easy handle (loop_easy_take: test_fetch_reuse.c checks a reused one carries nothing over).
 */
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "check.h"
#include "config.h"
#include "fetch.h"
#include "loop.h"

#define HOSTS		8	/* listening ports: hosts to libcurl, which keys connections so */
#define ROUNDS		6
#define CLIENTS_MAX	64

struct counting_server {
	int		 listeners[HOSTS];
	int		 ports[HOSTS];
	int		 clients[CLIENTS_MAX];
	int		 client_count;
	atomic_int	 accepted;
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
	    listen(fd, 16) < 0 || getsockname(fd, (struct sockaddr *)&address, &length) < 0)
		return -1;
	*port = ntohs(address.sin_port);
	return fd;
}

/* Every request on the connection (its blank line) answered 304; 0 once the client closed. */
static int
answer_requests(int fd)
{
	static const char answer[] = "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n"
	    "Content-Length: 0\r\n\r\n";
	char data[4096];
	ssize_t got = read(fd, data, sizeof data - 1);

	if (got <= 0)
		return 0;
	data[got] = '\0';
	for (char *end = strstr(data, "\r\n\r\n"); end != NULL; end = strstr(end + 4, "\r\n\r\n"))
		if (write(fd, answer, sizeof answer - 1) < 0)
			return 0;
	return 1;
}

static void
serve_once(struct counting_server *server)
{
	struct pollfd fds[HOSTS + CLIENTS_MAX];
	int count = 0, kept = 0;

	for (int i = 0; i < server->client_count; i++)
		fds[count++] = (struct pollfd){ .fd = server->clients[i], .events = POLLIN };
	for (int i = 0; i < HOSTS; i++)
		fds[count++] = (struct pollfd){ .fd = server->listeners[i], .events = POLLIN };
	if (poll(fds, (nfds_t)count, 50) <= 0)
		return;
	for (int i = 0; i < server->client_count; i++)	/* the open ones kept, in place */
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) || answer_requests(fds[i].fd))
			server->clients[kept++] = fds[i].fd;
		else
			close(fds[i].fd);
	server->client_count = kept;
	for (int i = count - HOSTS; i < count; i++) {
		if (!(fds[i].revents & POLLIN))
			continue;
		int client = accept(fds[i].fd, NULL, NULL);
		atomic_fetch_add(&server->accepted, 1);
		if (client >= 0 && server->client_count < CLIENTS_MAX)
			server->clients[server->client_count++] = client;
		else if (client >= 0)
			close(client);
	}
}

static void *
serve(void *context)
{
	struct counting_server *server = context;

	while (!atomic_load(&server->stop))
		serve_once(server);
	return NULL;
}

static int
server_start(struct counting_server *server)
{
	for (int i = 0; i < HOSTS; i++)
		if ((server->listeners[i] = listen_loopback(&server->ports[i])) < 0)
			return -1;
	return pthread_create(&server->thread, NULL, serve, server);
}

static void
server_stop(struct counting_server *server)
{
	atomic_store(&server->stop, 1);
	pthread_join(server->thread, NULL);
	for (int i = 0; i < HOSTS; i++)
		close(server->listeners[i]);
	for (int i = 0; i < server->client_count; i++)
		close(server->clients[i]);
}

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
poll_hosts(const struct counting_server *server, struct config *config)
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
	struct counting_server server = { .client_count = 0 };
	struct config *config = config_defaults();

	config->allow_private = 1;
	if (server_start(&server) < 0) {
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
	server_stop(&server);
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
