/*
 * log.h - one logfmt line per event, for operators tailing stderr or the journal.
 *
 *   ts=2026-11-23T10:00:00.123Z level=info comp=fetch event=feed.fetched feed=reuters status=200
 *
 * log_event() takes the component, the event name and a printf format for the key=value pairs
 * that follow; values with spaces or quotes must be passed through log_quote(). Each line is
 * written with one write(2). Under systemd (JOURNAL_STREAM set) a "<N>" priority prefix is added
 * so journalctl -p works. Repeats of the same (comp, event, key) are rate limited by
 * log_complain().
 */
#ifndef WIRESIFT_LOG_H
#define WIRESIFT_LOG_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARNING, LOG_LEVEL_ERROR };

void	 log_init(enum log_level level);
int	 log_level_parse(const char *name, enum log_level *level);
void	 log_set_level(enum log_level level);
/*
 * Per-component thresholds, "fetch:debug,kafka:warning": a component named here logs at its
 * own level, the others at the global one. NULL clears them. -1 (and nothing changed) on a
 * malformed list.
 */
int	 log_set_component_levels(const char *list);
int	 log_component_levels_valid(const char *list);

void	 log_event(enum log_level level, const char *component, const char *event,
	    const char *format, ...) __attribute__((format(printf, 4, 5)));
/* Whether a line of this level and component would be written: hot paths ask before
 * formatting their arguments (log_quote, numbers). */
int	 log_enabled(enum log_level level, const char *component);
void	 log_eventv(enum log_level level, const char *component, const char *event,
	    const char *format, va_list args);

/*
 * Rate-limited warning: the first occurrence of `key` is logged, then at most one line per
 * interval (doubling up to an hour) with repeated=N, until log_complain_clear(key) logs a
 * recovery line. Like collectd's c_complain.
 */
void	 log_complain(const char *key, const char *component, const char *event,
	    const char *format, ...) __attribute__((format(printf, 4, 5)));
void	 log_complain_clear(const char *key, const char *component, const char *event);

/* Quote a value for logfmt: returns a pointer into one of 8 rotating static buffers. */
const char *log_quote(const char *value);

/* Print "wiresift: message" to stderr and exit(1). For start-up errors only. */
void	 fatalx(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif

#endif
