/*
 * loop.h - the one libevent event_base and the libcurl multi handle it drives (curl's
 * hiperfifo wiring): CURLMOPT_SOCKETFUNCTION keeps one event per socket, CURLMOPT_TIMERFUNCTION
 * one timer, both call curl_multi_socket_action, and finished transfers are read with
 * curl_multi_info_read and handed to their done callback. Connections are kept open between
 * transfers (keep-alive), up to max_connections of them (CURLMOPT_MAXCONNECTS), and so are the
 * easy handles of finished transfers, reset, for the next ones.
 */
#ifndef WIRESIFT_LOOP_H
#define WIRESIFT_LOOP_H

#include <curl/curl.h>
#include <stddef.h>

struct event_base;
struct loop;

typedef void (*transfer_done_fn)(CURL *easy, CURLcode result, void *context);

struct loop	*loop_new(struct event_base *base, long max_host_connections,
		    long max_connections);
void		 loop_free(struct loop *loop);

/* Start a transfer; done is called once, from the loop, after curl finished it. */
int		 loop_add_transfer(struct loop *loop, CURL *easy, transfer_done_fn done,
		    void *context);
/* Abort a transfer without calling done; the caller gives the easy handle back. */
void		 loop_remove_transfer(struct loop *loop, CURL *easy);

/* An easy handle for a transfer: one given back (curl_easy_reset: libcurl's defaults, nothing
 * of its last transfer), or a new one. */
CURL		*loop_easy_take(struct loop *loop);
/* Give an easy handle back once its transfer is done or removed (or was never added). */
void		 loop_easy_give_back(struct loop *loop, CURL *easy);
/* How many easy handles loop_easy_take made (the rest of its calls reused one). */
size_t		 loop_easy_handles_made(const struct loop *loop);

#endif
