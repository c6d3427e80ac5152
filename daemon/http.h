/*
 * http.h - the operators' HTTP listener on the event loop (libevent evhttp): /metrics
 * (Prometheus text), /healthz, /readyz and /feeds (JSON). Loopback by default.
 */
#ifndef WIRESIFT_HTTP_H
#define WIRESIFT_HTTP_H

#include <stddef.h>

struct event_base;
struct ingest;
struct http_server;

/* listen is "HOST:PORT" (port 0: any free port). NULL with a reason on failure. */
struct http_server *http_server_start(struct event_base *base, const char *listen,
	    struct ingest *ingest, char *error, size_t error_size);
void	 http_server_free(struct http_server *server);

#endif
