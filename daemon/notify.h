/*
 * notify.h - talking to systemd (sd_notify): READY=1 once started, STATUS= lines, STOPPING=1,
 * and WATCHDOG=1 from a timer on the event loop at half of WatchdogSec, so a stuck loop is
 * restarted. All of it is a no-op when not started by systemd (no NOTIFY_SOCKET).
 */
#ifndef WIRESIFT_NOTIFY_H
#define WIRESIFT_NOTIFY_H

struct event_base;
struct event;

void	 notify_ready(const char *status);
void	 notify_status(const char *format, ...) __attribute__((format(printf, 1, 2)));
void	 notify_stopping(void);
/* Arms the watchdog timer when systemd asked for one; NULL otherwise. */
struct event *notify_watchdog_start(struct event_base *base);

#endif
