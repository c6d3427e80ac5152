/*
 * http.c - the operators' HTTP listener (see http.h). Answers GET only; everything it says
 * comes from status.c.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"
#include "log.h"
#include "status.h"
#include "util.h"

struct http_server {
	struct evhttp	*http;
	struct ingest	*ingest;
	char		 address[128];
};

static void
reply(struct evhttp_request *request, int code, const char *reason, const char *content_type,
    const char *body, size_t length)
{
	struct evbuffer *buffer = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type",
	    content_type);
	evbuffer_add(buffer, body, length);
	evhttp_send_reply(request, code, reason, buffer);
	evbuffer_free(buffer);
}

static void
on_request(struct evhttp_request *request, void *context)
{
	struct http_server *server = context;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
	struct buffer body = { 0 };
	char reason[256];
	char *json;

	if (evhttp_request_get_command(request) != EVHTTP_REQ_GET) {
		reply(request, 405, "Method Not Allowed", "text/plain", "GET only\n", 9);
		return;
	}
	if (path == NULL || strcmp(path, "/healthz") == 0) {
		reply(request, 200, "OK", "text/plain", "ok\n", 3);
	} else if (strcmp(path, "/readyz") == 0) {
		if (status_ready(server->ingest, reason, sizeof reason)) {
			reply(request, 200, "OK", "text/plain", "ready\n", 6);
		} else {
			buffer_printf(&body, "not ready: %s\n", reason);
			reply(request, 503, "Service Unavailable", "text/plain", body.data,
			    body.length);
		}
	} else if (strcmp(path, "/metrics") == 0) {
		status_metrics(server->ingest, &body);
		reply(request, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body.data,
		    body.length);
	} else if (strcmp(path, "/feeds") == 0) {
		json = status_feeds_json(server->ingest);
		reply(request, 200, "OK", "application/json", json, strlen(json));
		free(json);
	} else
		reply(request, 404, "Not Found", "text/plain",
		    "try /metrics /healthz /readyz /feeds\n", 37);
	buffer_free(&body);
}

/* Split "HOST:PORT" or "[V6]:PORT"; the host defaults to 127.0.0.1. */
static int
split_address(const char *listen, char *host, size_t host_size, unsigned short *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long number;

	if (colon == NULL)
		return -1;
	number = strtol(colon + 1, &end, 10);
	if (*end != '\0' || number < 0 || number > 65535)
		return -1;
	if (colon == listen)
		snprintf(host, host_size, "127.0.0.1");
	else if (listen[0] == '[' && colon[-1] == ']')
		snprintf(host, host_size, "%.*s", (int)(colon - listen - 2), listen + 1);
	else
		snprintf(host, host_size, "%.*s", (int)(colon - listen), listen);
	*port = (unsigned short)number;
	return 0;
}

struct http_server *
http_server_start(struct event_base *base, const char *listen, struct ingest *ingest,
    char *error, size_t error_size)
{
	struct http_server *server = xcalloc(1, sizeof *server);
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage address;
	socklen_t length = sizeof address;
	char host[64], shown[64];
	unsigned short port;

	if (split_address(listen, host, sizeof host, &port) < 0) {
		snprintf(error, error_size, "[metrics] listen: expected HOST:PORT, got \"%s\"",
		    listen);
		free(server);
		return NULL;
	}
	server->ingest = ingest;
	server->http = evhttp_new(base);
	evhttp_set_allowed_methods(server->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(server->http, 10);
	evhttp_set_gencb(server->http, on_request, server);
	if ((bound = evhttp_bind_socket_with_handle(server->http, host, port)) == NULL) {
		snprintf(error, error_size, "[metrics] listen %s: cannot bind (in use, or not a "
		    "local address)", listen);
		http_server_free(server);
		return NULL;
	}
	getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&address, &length);
	if (address.ss_family == AF_INET6) {
		evutil_inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&address)->sin6_addr, shown,
		    sizeof shown);
		snprintf(server->address, sizeof server->address, "[%s]:%u", shown,
		    ntohs(((struct sockaddr_in6 *)&address)->sin6_port));
	} else {
		evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)&address)->sin_addr, shown,
		    sizeof shown);
		snprintf(server->address, sizeof server->address, "%s:%u", shown,
		    ntohs(((struct sockaddr_in *)&address)->sin_port));
	}
	log_event(LOG_LEVEL_INFO, "http", "metrics.listening", "address=%s endpoints="
	    "/metrics,/healthz,/readyz,/feeds", server->address);
	return server;
}

void
http_server_free(struct http_server *server)
{
	if (server == NULL)
		return;
	if (server->http != NULL)
		evhttp_free(server->http);
	free(server);
}
