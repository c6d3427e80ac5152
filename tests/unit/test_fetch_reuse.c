/*
 * test_fetch_reuse.c - a fetch on a reused easy handle (the loop keeps them: loop_easy_take)
 * sends what a fetch on a new handle sends and carries nothing of the handle's last fetch.
 * Against a loopback server that records every request head it reads, each probe is fetched
 * once on a fresh loop (a new handle, as every fetch had before handles were kept: the
 * reference) and once on a loop whose one handle last did another fetch (validators, extra
 * headers, its own user agent and Accept, a redirect, an encoded body, a size limit, a
 * Retry-After, a cancel under way) with the URL parse a feed keeps (struct fetch_url: made for
 * that fetch's URL, kept or made anew for the probe's); the two request heads must be
 * byte-identical and the two results equal.
 */
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"
#include "config.h"
#include "fetch.h"
#include "loop.h"

#define CLIENTS_MAX	16
#define REQUESTS_MAX	256
#define HEAD_MAX	4096

struct client {
	int	fd;
	char	head[HEAD_MAX];
	size_t	length;
};

struct recording_server {
	int		 listener;
	int		 port;
	struct client	 clients[CLIENTS_MAX];
	int		 client_count;
	pthread_mutex_t	 lock;
	char		*requests[REQUESTS_MAX];	/* request heads, in the order read */
	int		 request_count;
	atomic_int	 stop;
	pthread_t	 thread;
};

/* What each path answers; a path not here (/hang) is never answered. */
static const struct {
	const char	*path;
	const char	*answer;
} answers[] = {
	{ "/redirect", "HTTP/1.1 302 Found\r\nLocation: /moved\r\nContent-Length: 0\r\n\r\n" },
	{ "/moved", "HTTP/1.1 200 OK\r\nETag: \"m\"\r\nLast-Modified: Tue, 02 Jan 2024 00:00:00 "
	    "GMT\r\nContent-Encoding: gzip\r\nCache-Control: max-age=60\r\nContent-Length: 4\r\n"
	    "\r\nGZIP" },
	{ "/busy", "HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n" },
	{ "/plain", "HTTP/1.1 200 OK\r\nETag: \"p\"\r\nContent-Type: text/xml\r\n"
	    "Content-Length: 6\r\n\r\n<rss/>" },
};

static const char *
answer_for(const char *head)
{
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		size_t length = strlen(answers[i].path);
		if (strncmp(head + 4, answers[i].path, length) == 0 && head[4 + length] == ' ')
			return answers[i].answer;
	}
	return NULL;
}

/* Record the request head complete in client's buffer, answer it; 0 once the client closed. */
static int
read_request(struct recording_server *server, struct client *client)
{
	ssize_t got = read(client->fd, client->head + client->length,
	    sizeof client->head - 1 - client->length);
	char *end;
	const char *answer;

	if (got <= 0)
		return 0;
	client->length += (size_t)got;
	client->head[client->length] = '\0';
	if ((end = strstr(client->head, "\r\n\r\n")) == NULL)
		return client->length < sizeof client->head - 1;
	end[4] = '\0';
	pthread_mutex_lock(&server->lock);
	if (server->request_count < REQUESTS_MAX)
		server->requests[server->request_count++] = strdup(client->head);
	pthread_mutex_unlock(&server->lock);
	answer = answer_for(client->head);
	client->length = 0;	/* one request at a time: curl waits for each answer */
	return answer == NULL || write(client->fd, answer, strlen(answer)) > 0;
}

static void
serve_once(struct recording_server *server)
{
	struct pollfd fds[CLIENTS_MAX + 1];
	int count = server->client_count, kept = 0;

	for (int i = 0; i < count; i++)
		fds[i] = (struct pollfd){ .fd = server->clients[i].fd, .events = POLLIN };
	fds[count] = (struct pollfd){ .fd = server->listener, .events = POLLIN };
	if (poll(fds, (nfds_t)count + 1, 50) <= 0)
		return;
	for (int i = 0; i < count; i++)		/* the open ones kept, in place */
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
		    read_request(server, &server->clients[i]))
			server->clients[kept++] = server->clients[i];
		else
			close(fds[i].fd);
	server->client_count = kept;
	if (fds[count].revents & POLLIN) {
		int fd = accept(server->listener, NULL, NULL);
		if (fd >= 0 && server->client_count < CLIENTS_MAX)
			server->clients[server->client_count++] = (struct client){ .fd = fd };
		else if (fd >= 0)
			close(fd);
	}
}

static void *
serve(void *context)
{
	struct recording_server *server = context;

	while (!atomic_load(&server->stop))
		serve_once(server);
	return NULL;
}

static int
server_start(struct recording_server *server)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t length = sizeof address;

	pthread_mutex_init(&server->lock, NULL);
	server->listener = socket(AF_INET, SOCK_STREAM, 0);
	if (server->listener < 0 || bind(server->listener, (struct sockaddr *)&address,
	    sizeof address) < 0 || listen(server->listener, 16) < 0 ||
	    getsockname(server->listener, (struct sockaddr *)&address, &length) < 0)
		return -1;
	server->port = ntohs(address.sin_port);
	return pthread_create(&server->thread, NULL, serve, server);
}

static void
server_stop(struct recording_server *server)
{
	atomic_store(&server->stop, 1);
	pthread_join(server->thread, NULL);
	close(server->listener);
	for (int i = 0; i < server->client_count; i++)
		close(server->clients[i].fd);
	for (int i = 0; i < server->request_count; i++)
		free(server->requests[i]);
	pthread_mutex_destroy(&server->lock);
}

static int
requests_read(struct recording_server *server)
{
	pthread_mutex_lock(&server->lock);
	int count = server->request_count;
	pthread_mutex_unlock(&server->lock);
	return count;
}

/* A copy of the last request head read (the server is idle when this is called). */
static char *
last_request(struct recording_server *server)
{
	pthread_mutex_lock(&server->lock);
	char *head = server->request_count > 0 ?
	    strdup(server->requests[server->request_count - 1]) : NULL;
	pthread_mutex_unlock(&server->lock);
	return head;
}

/* A fetch of one path; what its fetch_request points to lives here. */
struct probe {
	const char		*path;
	const char		*etag;
	const char		*last_modified;
	const char		*user_agent;
	const char		*accept;
	const char		*extra_header;	/* one "Name: value" line, or NULL */
	long long		 max_size;
	int			 defer_decoding;
	int			 cancel;	/* cancelled once the server read its request */
	enum fetch_outcome	 outcome;	/* a probe's, on a fresh handle */
};

struct fetched {
	struct fetch_result	 result;
	int			 done;
};

static void
on_fetched(struct fetch_result *result, void *context)
{
	struct fetched *fetched = context;

	fetched->result = *result;
	fetched->done = 1;
}

/* Run probe on loop to its end (or its cancel), its URL's parse kept in *parsed_url when not
 * NULL: the result, to fetch_result_free. */
static struct fetch_result
run_probe(struct recording_server *server, struct event_base *base, struct loop *loop,
    const struct config *config, const struct probe *probe, struct fetch_url **parsed_url)
{
	char url[128];
	struct strlist headers = { 0 };
	struct fetched fetched = { .done = 0 };
	int before = requests_read(server);
	time_t deadline = time(NULL) + 30;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", server->port, probe->path);
	if (probe->extra_header != NULL)
		strlist_add(&headers, probe->extra_header);
	struct fetch_request request = { .url = url, .etag = probe->etag,
	    .last_modified = probe->last_modified, .headers = &headers,
	    .user_agent = probe->user_agent, .config = config, .max_size = probe->max_size,
	    .accept = probe->accept, .defer_decoding = probe->defer_decoding,
	    .parsed_url = parsed_url };
	struct fetch *fetch = fetch_start(loop, &request, on_fetched, &fetched);

	while (fetch != NULL && probe->cancel && requests_read(server) == before &&
	    time(NULL) < deadline) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	if (fetch != NULL && probe->cancel)
		fetch_cancel(loop, fetch);
	while (fetch != NULL && !probe->cancel && !fetched.done)
		event_base_loop(base, EVLOOP_ONCE);
	for (size_t i = 0; i < headers.count; i++)
		free(headers.items[i]);
	free(headers.items);
	return fetched.result;
}

static int
same_text(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Everything a fetch's caller reads, but how long it took. */
static int
same_result(const struct fetch_result *a, const struct fetch_result *b)
{
	return a->outcome == b->outcome && a->status == b->status &&
	    a->body_length == b->body_length && (a->body_length == 0 ||
	    memcmp(a->body, b->body, a->body_length) == 0) && same_text(a->etag, b->etag) &&
	    same_text(a->last_modified, b->last_modified) &&
	    same_text(a->content_type, b->content_type) &&
	    a->retry_after_seconds == b->retry_after_seconds &&
	    a->max_age_seconds == b->max_age_seconds &&
	    same_text(a->effective_url, b->effective_url) &&
	    a->permanent_redirect == b->permanent_redirect &&
	    a->redirect_count == b->redirect_count && strcmp(a->error, b->error) == 0 &&
	    same_text(a->content_encoding, b->content_encoding) && a->max_size == b->max_size;
}

/* The last fetches of a handle: each leaves something a fresh handle has not. */
static const struct probe before[] = {
	{ .path = "/redirect", .etag = "\"old\"", .last_modified = "Mon, 01 Jan 2024 00:00:00 GMT",
	    .user_agent = "first-agent", .accept = "text/html", .extra_header = "X-Feed: one",
	    .defer_decoding = 1 },
	{ .path = "/busy", .extra_header = "X-Feed: two" },
	{ .path = "/plain", .etag = "\"p\"", .max_size = 3 },
	{ .path = "/hang", .etag = "\"h\"", .extra_header = "X-Feed: three", .cancel = 1 },
};

/* What comes next on that handle. */
static const struct probe probes[] = {
	{ .path = "/plain", .outcome = FETCH_OK },
	{ .path = "/moved", .defer_decoding = 1, .outcome = FETCH_OK },
	{ .path = "/moved", .outcome = FETCH_OTHER },	/* "GZIP" is no gzip */
	{ .path = "/plain", .last_modified = "Wed, 03 Jan 2024 00:00:00 GMT", .max_size = 6,
	    .outcome = FETCH_OK },
	{ .path = "/redirect", .etag = "\"new\"", .defer_decoding = 1, .outcome = FETCH_OK },
};

/* probe on a fresh loop, its URL given to libcurl as text (CURLOPT_URL): its request head (a
 * copy) and its result. */
static char *
fetch_fresh(struct recording_server *server, const struct config *config,
    const struct probe *probe, struct fetch_result *result)
{
	struct event_base *base = event_base_new();
	struct loop *loop = loop_new(base, config->max_host_connections, config->max_connections);

	*result = run_probe(server, base, loop, config, probe, NULL);
	loop_free(loop);
	event_base_free(base);
	return last_request(server);
}

/* last, then probe, on one loop and one kept URL parse (struct fetch_url, as a feed keeps it:
 * made for last's URL, parsed anew for probe's when that is another): probe's request head (a
 * copy) and result. */
static char *
fetch_after(struct recording_server *server, const struct config *config,
    const struct probe *last, const struct probe *probe, struct fetch_result *result)
{
	struct event_base *base = event_base_new();
	struct loop *loop = loop_new(base, config->max_host_connections, config->max_connections);
	struct fetch_url *parsed_url = NULL;
	struct fetch_result last_result = run_probe(server, base, loop, config, last, &parsed_url);
	char *last_head = last_request(server);

	/* the last fetch did send what the probe must not carry */
	CHECK(last->extra_header == NULL || strstr(last_head, last->extra_header) != NULL);
	CHECK(last->etag == NULL || strstr(last_head, last->etag) != NULL);
	free(last_head);
	fetch_result_free(&last_result);
	*result = run_probe(server, base, loop, config, probe, &parsed_url);
	CHECK(loop_easy_handles_made(loop) == 1);	/* the probe reused the handle */
	CHECK(parsed_url != NULL);
	fetch_url_free(parsed_url);
	loop_free(loop);
	event_base_free(base);
	return last_request(server);
}

static void
test_reused_handle_sends_and_reads_as_a_new_one(void)
{
	struct recording_server server = { .client_count = 0 };
	struct config *config = config_defaults();

	config->allow_private = 1;
	if (server_start(&server) < 0) {
		SKIP("no loopback listener");
		config_free(config);
		return;
	}
	for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
		struct fetch_result fresh_result, reused_result;
		char *fresh = fetch_fresh(&server, config, &probes[p], &fresh_result);

		CHECK(fresh != NULL && fresh_result.outcome == probes[p].outcome);
		for (size_t b = 0; b < sizeof before / sizeof before[0]; b++) {
			char *reused = fetch_after(&server, config, &before[b], &probes[p],
			    &reused_result);
			CHECK_STR(reused, fresh);
			CHECK_NOT_CONTAINS(reused, "X-Feed");
			CHECK_NOT_CONTAINS(reused, "first-agent");
			CHECK(same_result(&reused_result, &fresh_result));
			free(reused);
			fetch_result_free(&reused_result);
		}
		free(fresh);
		fetch_result_free(&fresh_result);
	}
	server_stop(&server);
	config_free(config);
}

/* The first fetch (before[0]) itself: redirected, its validators and lines sent on each hop. */
static void
test_dirty_fetch_did_what_the_probes_must_forget(void)
{
	struct recording_server server = { .client_count = 0 };
	struct config *config = config_defaults();
	struct fetch_result result;

	config->allow_private = 1;
	if (server_start(&server) < 0) {
		SKIP("no loopback listener");
		config_free(config);
		return;
	}
	char *head = fetch_fresh(&server, config, &before[0], &result);
	CHECK(result.outcome == FETCH_OK && result.redirect_count == 1);
	CHECK_STR(result.content_encoding, "gzip");
	CHECK(result.max_age_seconds == 60);
	CHECK_CONTAINS(head, "GET /moved ");
	CHECK_CONTAINS(head, "If-None-Match: \"old\"");
	CHECK_CONTAINS(head, "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT");
	CHECK_CONTAINS(head, "User-Agent: first-agent");
	CHECK_CONTAINS(head, "Accept: text/html");
	free(head);
	fetch_result_free(&result);
	server_stop(&server);
	config_free(config);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	RUN(test_dirty_fetch_did_what_the_probes_must_forget);
	RUN(test_reused_handle_sends_and_reads_as_a_new_one);
	curl_global_cleanup();
	return check_finish();
}
