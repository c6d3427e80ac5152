/*
 * log.c - logfmt lines for operators: "ts=… level=… comp=… event=… key=value…", one write(2)
 * per line so lines from a crash or a pipe never interleave. Under systemd (JOURNAL_STREAM set)
 * each line starts with a "<N>" priority so journalctl -p filters work. log_complain() keeps a
 * failing condition to one line per growing interval, like collectd's c_complain.
 *
 * Thread-safe: worker threads (workers.c) log too. One mutex guards the levels (changed by a
 * reload on the loop thread) and the complaint table; log_quote() has buffers per thread.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX		8192
#define COMPLAINT_SLOTS		256
#define COMPLAINT_FIRST_MS	60000		/* a minute after the first line */
#define COMPLAINT_MAX_MS	3600000		/* then doubling up to an hour */

static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level	 log_threshold = LOG_LEVEL_INFO;

#define COMPONENT_LEVELS	16
static struct {
	char		 component[24];
	enum log_level	 level;
} component_levels[COMPONENT_LEVELS];
static int component_level_count;
static int		 log_journal = -1;	/* -1: not yet checked */

struct complaint {
	char	 key[128];
	int64_t	 next_ms;
	int64_t	 interval_ms;
	long	 suppressed;
	int64_t	 last_used_ms;
};

static struct complaint complaints[COMPLAINT_SLOTS];
static int complaints_active;	/* slots in use: clearing is free while nothing fails */

static const char *level_names[] = { "debug", "info", "warning", "error" };
static const int journal_priorities[] = { 7, 6, 4, 3 };

void
log_init(enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	log_threshold = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	pthread_mutex_unlock(&log_lock);
}

int
log_level_parse(const char *name, enum log_level *level)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "warn") == 0) {
		*level = LOG_LEVEL_WARNING;
		return 0;
	}
	return -1;
}

void
log_set_level(enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	log_threshold = level;
	pthread_mutex_unlock(&log_lock);
}

/* Parse "component:level,..." into component_levels when apply is set; -1 if malformed. */
static int
parse_component_levels(const char *list, int apply)
{
	char copy[512], *cursor = copy, *item, *colon;
	int count = 0;
	enum log_level level;

	if (strlen(list) >= sizeof copy)
		return -1;
	strcpy(copy, list);
	while ((item = strsep(&cursor, ", ")) != NULL) {
		if (*item == '\0')
			continue;
		if ((colon = strchr(item, ':')) == NULL || colon == item ||
		    colon - item >= (long)sizeof component_levels[0].component ||
		    log_level_parse(colon + 1, &level) < 0 || count == COMPONENT_LEVELS)
			return -1;
		if (apply) {
			snprintf(component_levels[count].component,
			    sizeof component_levels[count].component, "%.*s", (int)(colon - item),
			    item);
			component_levels[count].level = level;
		}
		count++;
	}
	if (apply)
		component_level_count = count;
	return 0;
}

int
log_component_levels_valid(const char *list)
{
	return parse_component_levels(list, 0) == 0;
}

int
log_set_component_levels(const char *list)
{
	int result = 0;

	pthread_mutex_lock(&log_lock);
	if (list == NULL)
		component_level_count = 0;
	else if (parse_component_levels(list, 0) < 0)
		result = -1;
	else
		result = parse_component_levels(list, 1);
	pthread_mutex_unlock(&log_lock);
	return result;
}

/* Is a line of this level and component written? Also answers whether to add a priority. */
static int
component_enabled(const char *component, enum log_level level, int *journal)
{
	int enabled = -1;

	pthread_mutex_lock(&log_lock);
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	*journal = log_journal;
	for (int i = 0; i < component_level_count && enabled < 0; i++)
		if (strcmp(component_levels[i].component, component) == 0)
			enabled = level >= component_levels[i].level;
	if (enabled < 0)
		enabled = level >= log_threshold;
	pthread_mutex_unlock(&log_lock);
	return enabled;
}

int
log_enabled(enum log_level level, const char *component)
{
	int journal;

	return component_enabled(component, level, &journal);
}

/* Does a logfmt value need quoting? */
static int
needs_quotes(const char *value)
{
	if (*value == '\0')
		return 1;
	for (const char *p = value; *p; p++) {
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
			return 1;
	}
	return 0;
}

const char *
log_quote(const char *value)
{
	static _Thread_local char buffers[8][512];
	static _Thread_local unsigned next;
	char *out = buffers[next++ % 8];
	size_t used = 0, limit = sizeof buffers[0] - 8;

	if (value == NULL)
		return "\"\"";
	if (!needs_quotes(value) && strlen(value) < limit)
		return value;
	out[used++] = '"';
	for (const char *p = value; *p && used < limit; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[used++] = '\\';
			out[used++] = (char)c;
		} else if (c == '\n') {
			out[used++] = '\\';
			out[used++] = 'n';
		} else if (c < 0x20) {
			out[used++] = ' ';
		} else
			out[used++] = (char)c;
	}
	if (value[0] != '\0' && used >= limit) {
		memcpy(out + used, "...", 3);
		used += 3;
	}
	out[used++] = '"';
	out[used] = '\0';
	return out;
}

void
log_eventv(enum log_level level, const char *component, const char *event, const char *format,
    va_list args)
{
	char line[LOG_LINE_MAX];
	char stamp[32];
	struct timespec now;
	struct tm utc;
	int used = 0, wrote, journal;

	if (!component_enabled(component, level, &journal))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
	if (journal)
		used = snprintf(line, sizeof line, "<%d>", journal_priorities[level]);
	used += snprintf(line + used, sizeof line - (size_t)used,
	    "ts=%s.%03ldZ level=%s comp=%s event=%s", stamp, now.tv_nsec / 1000000,
	    level_names[level], component, event);
	if (format != NULL && *format != '\0' && used < (int)sizeof line - 2) {
		line[used++] = ' ';
		wrote = vsnprintf(line + used, sizeof line - (size_t)used - 1, format, args);
		if (wrote > 0)
			used += wrote;
	}
	if (used > (int)sizeof line - 2)
		used = (int)sizeof line - 2;
	line[used++] = '\n';
	/* One write(2): a partial write on a pipe is not retried into an interleaved line. */
	if (write(STDERR_FILENO, line, (size_t)used) < 0)
		return;
}

void
log_event(enum log_level level, const char *component, const char *event, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_eventv(level, component, event, format, args);
	va_end(args);
}

static struct complaint *
complaint_find(const char *key, int create)
{
	struct complaint *oldest = &complaints[0];

	for (int i = 0; i < COMPLAINT_SLOTS; i++) {
		if (complaints[i].key[0] != '\0' && strncmp(complaints[i].key, key,
		    sizeof complaints[i].key - 1) == 0)
			return &complaints[i];
		if (complaints[i].last_used_ms < oldest->last_used_ms)
			oldest = &complaints[i];
	}
	if (!create)
		return NULL;
	if (oldest->key[0] == '\0')
		complaints_active++;
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	return oldest;
}

/* Count the complaint; how many were suppressed before it when it is due, else -1. */
static long
complaint_due(const char *key)
{
	struct complaint *complaint;
	int64_t now = monotonic_ms();
	long suppressed = -1;

	pthread_mutex_lock(&log_lock);
	complaint = complaint_find(key, 1);
	complaint->last_used_ms = now;
	if (complaint->next_ms != 0 && now < complaint->next_ms)
		complaint->suppressed++;
	else {
		suppressed = complaint->suppressed;
		complaint->interval_ms = complaint->interval_ms == 0 ? COMPLAINT_FIRST_MS :
		    complaint->interval_ms * 2;
		if (complaint->interval_ms > COMPLAINT_MAX_MS)
			complaint->interval_ms = COMPLAINT_MAX_MS;
		complaint->next_ms = now + complaint->interval_ms;
		complaint->suppressed = 0;
	}
	pthread_mutex_unlock(&log_lock);
	return suppressed;
}

void
log_complain(const char *key, const char *component, const char *event, const char *format, ...)
{
	long suppressed = complaint_due(key);
	char fields[LOG_LINE_MAX / 2];
	va_list args;

	if (suppressed < 0)
		return;
	va_start(args, format);
	vsnprintf(fields, sizeof fields, format, args);
	va_end(args);
	if (suppressed > 0)
		log_event(LOG_LEVEL_WARNING, component, event, "%s repeated=%ld", fields,
		    suppressed);
	else
		log_event(LOG_LEVEL_WARNING, component, event, "%s", fields);
}

void
log_complain_clear(const char *key, const char *component, const char *event)
{
	struct complaint *complaint;
	int found;

	pthread_mutex_lock(&log_lock);
	complaint = complaints_active > 0 ? complaint_find(key, 0) : NULL;
	if ((found = complaint != NULL)) {
		memset(complaint, 0, sizeof *complaint);
		complaints_active--;
	}
	pthread_mutex_unlock(&log_lock);
	if (found)
		log_event(LOG_LEVEL_INFO, component, event, "recovered=%s", log_quote(key));
}

void
fatalx(const char *format, ...)
{
	va_list args;

	fputs("wiresift: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}
