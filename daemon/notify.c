/*
 * notify.c - systemd notification (see notify.h).
 */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

void
notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
notify_status(const char *format, ...)
{
	char status[256];
	va_list args;

	va_start(args, format);
	vsnprintf(status, sizeof status, format, args);
	va_end(args);
	sd_notifyf(0, "STATUS=%s", status);
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=draining: finishing fetches, flushing Kafka");
}

static void
on_watchdog(evutil_socket_t fd, short what, void *context)
{
	sd_notify(0, "WATCHDOG=1");
}

struct event *
notify_watchdog_start(struct event_base *base)
{
	uint64_t microseconds = 0;
	struct event *timer;
	struct timeval half;

	if (sd_watchdog_enabled(0, &microseconds) <= 0 || microseconds == 0)
		return NULL;
	half.tv_sec = (time_t)(microseconds / 2 / 1000000);
	half.tv_usec = (suseconds_t)(microseconds / 2 % 1000000);
	timer = event_new(base, -1, EV_PERSIST, on_watchdog, NULL);
	event_add(timer, &half);
	sd_notify(0, "WATCHDOG=1");
	log_event(LOG_LEVEL_INFO, "main", "watchdog.enabled", "interval_ms=%llu",
	    (unsigned long long)(microseconds / 2000));
	return timer;
}
