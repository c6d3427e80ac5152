/*
 * keepalive_server.h - a loopback HTTP server on a thread of its own, for the fetch loop's
 * test (test_loop.c) and bench (bench_poll.c): KEEPALIVE_HOSTS listening ports, which libcurl
 * takes for as many hosts, every request on a kept connection answered with one fixed reply
 * (a 304), the connections it accepted counted.  Header-only: each program includes it once.
 */
#ifndef KEEPALIVE_SERVER_H
#define KEEPALIVE_SERVER_H

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEEPALIVE_HOSTS		8
#define KEEPALIVE_CLIENTS_MAX	256

struct keepalive_server {
	const char	*reply;		/* written whole for each request */
	int		 listeners[KEEPALIVE_HOSTS];
	int		 ports[KEEPALIVE_HOSTS];
	int		 clients[KEEPALIVE_CLIENTS_MAX];
	int		 client_count;
	atomic_int	 accepted;
	atomic_int	 stop;
	pthread_t	 thread;
};

static int
keepalive_listen(int *port)
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

/* Every request read (its blank line) answered with the reply; 0 once the client closed. */
static int
keepalive_answer(const struct keepalive_server *server, int fd)
{
	char data[8192];
	ssize_t got = read(fd, data, sizeof data - 1);

	if (got <= 0)
		return 0;
	data[got] = '\0';
	for (char *end = strstr(data, "\r\n\r\n"); end != NULL; end = strstr(end + 4, "\r\n\r\n"))
		if (write(fd, server->reply, strlen(server->reply)) < 0)
			return 0;
	return 1;
}

static void
keepalive_accept(struct keepalive_server *server, int listener)
{
	int client = accept(listener, NULL, NULL);

	atomic_fetch_add(&server->accepted, 1);
	if (client >= 0 && server->client_count < KEEPALIVE_CLIENTS_MAX)
		server->clients[server->client_count++] = client;
	else if (client >= 0)
		close(client);
}

static void
keepalive_serve_once(struct keepalive_server *server)
{
	struct pollfd fds[KEEPALIVE_CLIENTS_MAX + KEEPALIVE_HOSTS];
	int count = 0, kept = 0;

	for (int i = 0; i < server->client_count; i++)
		fds[count++] = (struct pollfd){ .fd = server->clients[i], .events = POLLIN };
	for (int i = 0; i < KEEPALIVE_HOSTS; i++)
		fds[count++] = (struct pollfd){ .fd = server->listeners[i], .events = POLLIN };
	if (poll(fds, (nfds_t)count, 50) <= 0)
		return;
	for (int i = 0; i < server->client_count; i++)	/* the open ones kept, in place */
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
		    keepalive_answer(server, fds[i].fd))
			server->clients[kept++] = fds[i].fd;
		else
			close(fds[i].fd);
	server->client_count = kept;
	for (int i = count - KEEPALIVE_HOSTS; i < count; i++)
		if (fds[i].revents & POLLIN)
			keepalive_accept(server, fds[i].fd);
}

static void *
keepalive_serve(void *context)
{
	struct keepalive_server *server = context;

	while (!atomic_load(&server->stop))
		keepalive_serve_once(server);
	return NULL;
}

/* Listens on KEEPALIVE_HOSTS loopback ports and serves them on a thread: 0, or -1. */
static int
keepalive_server_start(struct keepalive_server *server, const char *reply)
{
	server->reply = reply;
	for (int i = 0; i < KEEPALIVE_HOSTS; i++)
		if ((server->listeners[i] = keepalive_listen(&server->ports[i])) < 0)
			return -1;
	return pthread_create(&server->thread, NULL, keepalive_serve, server) == 0 ? 0 : -1;
}

static void
keepalive_server_stop(struct keepalive_server *server)
{
	atomic_store(&server->stop, 1);
	pthread_join(server->thread, NULL);
	for (int i = 0; i < KEEPALIVE_HOSTS; i++)
		close(server->listeners[i]);
	for (int i = 0; i < server->client_count; i++)
		close(server->clients[i]);
}

#endif
