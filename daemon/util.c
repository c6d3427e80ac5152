/*
 * util.c - allocation that cannot fail, growable buffers, a string set, durations and sizes,
 * time formatting, file reading. Everything here is free of I/O policy: callers decide what
 * an error means.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#include <xxhash.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t size)
{
	void *pointer = malloc(size ? size : 1);

	if (pointer == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return pointer;
}

void *
xcalloc(size_t count, size_t size)
{
	void *pointer = calloc(count ? count : 1, size ? size : 1);

	if (pointer == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", count, size);
	return pointer;
}

void *
xrealloc(void *pointer, size_t size)
{
	void *resized = realloc(pointer, size ? size : 1);

	if (resized == NULL)
		fatalx("out of memory reallocating %zu bytes", size);
	return resized;
}

char *
xstrdup(const char *string)
{
	return xstrndup(string, strlen(string));
}

char *
xstrndup(const char *string, size_t length)
{
	char *copy = xmalloc(length + 1);

	memcpy(copy, string, length);
	copy[length] = '\0';
	return copy;
}

char *
xasprintf(const char *format, ...)
{
	va_list args;
	char *result;

	va_start(args, format);
	if (vasprintf(&result, format, args) < 0)
		fatalx("out of memory formatting a string");
	va_end(args);
	return result;
}

void
buffer_reserve(struct buffer *buffer, size_t extra)
{
	size_t needed = buffer->length + extra + 1;

	if (needed <= buffer->capacity)
		return;
	size_t capacity = buffer->capacity ? buffer->capacity : 256;
	while (capacity < needed)
		capacity *= 2;
	buffer->data = xrealloc(buffer->data, capacity);
	buffer->capacity = capacity;
}

/* The external definition of util.h's inline buffer_append. */
extern inline void buffer_append(struct buffer *buffer, const void *data, size_t length);

void
buffer_append_string(struct buffer *buffer, const char *string)
{
	buffer_append(buffer, string, strlen(string));
}

void
buffer_printf(struct buffer *buffer, const char *format, ...)
{
	va_list args;
	char probe[1];
	int needed;

	va_start(args, format);
	needed = vsnprintf(probe, sizeof probe, format, args);
	va_end(args);
	if (needed < 0)
		return;
	buffer_reserve(buffer, (size_t)needed);
	va_start(args, format);
	vsnprintf(buffer->data + buffer->length, (size_t)needed + 1, format, args);
	va_end(args);
	buffer->length += (size_t)needed;
}

char *
buffer_steal(struct buffer *buffer)
{
	char *data = buffer->data ? buffer->data : xstrdup("");

	buffer->data = NULL;
	buffer->length = buffer->capacity = 0;
	return data;
}

void
buffer_reset(struct buffer *buffer)
{
	buffer->length = 0;
	if (buffer->data != NULL)
		buffer->data[0] = '\0';
}

void
buffer_free(struct buffer *buffer)
{
	free(buffer->data);
	buffer->data = NULL;
	buffer->length = buffer->capacity = 0;
}

/* Parse "<number><unit>" where unit is one of units[] with its multiplier. */
static long long
number_with_unit(const char *text, const char *const units[], const long long multipliers[],
    long long default_multiplier)
{
	char *end;
	double number;

	if (text == NULL)
		return -1;
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '\0' || *text == '-')
		return -1;
	long long multiplier = default_multiplier;

	errno = 0;
	number = strtod(text, &end);
	if (errno != 0 || end == text || !isfinite(number) || number < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0') {
		multiplier = 0;
		for (int i = 0; units[i] != NULL && multiplier == 0; i++)
			if (strcasecmp(end, units[i]) == 0)
				multiplier = multipliers[i];
		if (multiplier == 0)
			return -1;
	}
	/* Anything past ~292 years of milliseconds or 8 EiB is a typo, not a setting. */
	if (number * (double)multiplier >= 9.2e18)
		return -1;
	return (long long)(number * (double)multiplier);
}

/* ---- string_set: open addressing, linear probing, tombstones ---- */

static char string_set_removed_marker;
#define STRING_SET_REMOVED	(&string_set_removed_marker)

static size_t
string_set_slot(const struct string_set *set, const char *value, int for_insert)
{
	size_t mask = set->capacity - 1, slot = (size_t)XXH3_64bits(value, strlen(value)) & mask;
	size_t first_free = SIZE_MAX;

	for (;; slot = (slot + 1) & mask) {
		char *held = set->slots[slot];

		if (held == NULL)
			return for_insert && first_free != SIZE_MAX ? first_free : slot;
		if (held == STRING_SET_REMOVED) {
			if (first_free == SIZE_MAX)
				first_free = slot;
		} else if (strcmp(held, value) == 0)
			return slot;
	}
}

static void
string_set_grow(struct string_set *set)
{
	struct string_set bigger = { 0 };

	bigger.capacity = set->count * 4 < 16 ? 16 : set->count * 4;
	while (bigger.capacity & (bigger.capacity - 1))
		bigger.capacity &= bigger.capacity - 1;	/* down to a power of two */
	bigger.capacity *= 2;
	bigger.slots = xcalloc(bigger.capacity, sizeof *bigger.slots);
	for (size_t i = 0; i < set->capacity; i++) {
		char *held = set->slots[i];
		if (held != NULL && held != STRING_SET_REMOVED) {
			bigger.slots[string_set_slot(&bigger, held, 1)] = held;
			bigger.count++;
		}
	}
	bigger.used = bigger.count;
	free(set->slots);
	*set = bigger;
}

int
string_set_add(struct string_set *set, const char *value)
{
	size_t slot;

	if ((set->used + 1) * 4 > set->capacity * 3)	/* keep at most 3/4 in use */
		string_set_grow(set);
	slot = string_set_slot(set, value, 1);
	if (set->slots[slot] != NULL && set->slots[slot] != STRING_SET_REMOVED)
		return 0;
	if (set->slots[slot] == NULL)
		set->used++;
	set->slots[slot] = xstrdup(value);
	set->count++;
	return 1;
}

int
string_set_contains(const struct string_set *set, const char *value)
{
	return set->count > 0 && set->slots[string_set_slot(set, value, 0)] != NULL;
}

int
string_set_remove(struct string_set *set, const char *value)
{
	size_t slot;

	if (set->count == 0)
		return 0;
	slot = string_set_slot(set, value, 0);
	if (set->slots[slot] == NULL)
		return 0;
	free(set->slots[slot]);
	set->slots[slot] = STRING_SET_REMOVED;
	set->count--;
	return 1;
}

void
string_set_clear(struct string_set *set)
{
	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i] != STRING_SET_REMOVED)
			free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof *set);
}

long long
duration_parse_ms(const char *text)
{
	static const char *const units[] = { "ms", "s", "sec", "m", "min", "h", "d", NULL };
	static const long long multipliers[] = { 1, 1000, 1000, 60000, 60000, 3600000, 86400000 };

	return number_with_unit(text, units, multipliers, 1000);
}

long long
size_parse(const char *text)
{
	static const char *const units[] = { "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb",
	    "gib", NULL };
	static const long long multipliers[] = { 1, 1024, 1024, 1024, 1048576, 1048576, 1048576,
	    1073741824LL, 1073741824LL, 1073741824LL };

	return number_with_unit(text, units, multipliers, 1);
}

/* digits digits of value into out, zero-padded */
static void
put_digits(char *out, unsigned value, int digits)
{
	while (digits-- > 0) {
		out[digits] = (char)('0' + value % 10);
		value /= 10;
	}
}

/*
 * The stamp of a time from 1970 to 9999 (0 <= when < 253402300800), from its day count by
 * the proleptic Gregorian calendar (Howard Hinnant's civil_from_days): gmtime_r's and
 * strftime's result without the time zone lock gmtime_r takes nor strftime's format walk,
 * which were 0.45% of the daemon's CPU in the article cold start (a message has two
 * stamps); tests/unit/test_core.c holds it to them.
 */
static void
format_from_days(time_t when, char out[21])
{
	unsigned long long days = (unsigned long long)when / 86400 + 719468;
	unsigned seconds = (unsigned)((unsigned long long)when % 86400);
	unsigned era = (unsigned)(days / 146097), of_era = (unsigned)(days % 146097);
	unsigned year_of_era = (of_era - of_era / 1460 + of_era / 36524 - of_era / 146096) / 365;
	unsigned day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	unsigned month_from_march = (5 * day_of_year + 2) / 153;
	unsigned day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
	unsigned month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
	unsigned year = year_of_era + era * 400 + (month <= 2);

	memcpy(out, "0000-00-00T00:00:00Z", 21);
	put_digits(out, year, 4);
	put_digits(out + 5, month, 2);
	put_digits(out + 8, day, 2);
	put_digits(out + 11, seconds / 3600, 2);
	put_digits(out + 14, seconds / 60 % 60, 2);
	put_digits(out + 17, seconds % 60, 2);
}

void
time_format_rfc3339(time_t when, char out[21])
{
	struct tm utc;

	if (when >= 0 && when < (time_t)253402300800LL) {
		format_from_days(when, out);
		return;
	}
	/* Years past 9999 do not fit RFC 3339 (nor out): say the epoch rather than overflow. */
	if (gmtime_r(&when, &utc) == NULL || utc.tm_year + 1900 > 9999 || utc.tm_year + 1900 < 0 ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		memcpy(out, "1970-01-01T00:00:00Z", 21);
}

int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t
monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

char *
file_read(const char *path, size_t *length)
{
	struct buffer buffer = { 0 };
	char chunk[65536];
	size_t got;
	FILE *file = fopen(path, "rb");

	if (file == NULL)
		return NULL;
	while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
		buffer_append(&buffer, chunk, got);
	if (ferror(file)) {
		int saved = errno;
		fclose(file);
		buffer_free(&buffer);
		errno = saved;
		return NULL;
	}
	fclose(file);
	if (length != NULL)
		*length = buffer.length;
	return buffer_steal(&buffer);
}

char *
path_resolve(const char *base_file, const char *path)
{
	const char *slash;

	if (path[0] == '/' || base_file == NULL || (slash = strrchr(base_file, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - base_file), base_file, path);
}

char *
path_beside_executable(const char *path)
{
	char executable[PATH_MAX];
	ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
	char *candidate, *found;

	if (length <= 0)
		return NULL;
	executable[length] = '\0';
	candidate = path_resolve(executable, path);
	found = realpath(candidate, NULL);	/* NULL when it does not exist */
	free(candidate);
	return found;
}

/* jemalloc's control interface: non-NULL when the program is linked with it (see Makefile). */
extern int mallctl(const char *name, void *old_value, size_t *old_length, void *new_value,
    size_t new_length) __attribute__((weak));

void
malloc_tune(void)
{
	if (mallctl != NULL)
		return;	/* jemalloc: per-thread caches, and freed memory goes back gradually */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
}

void
hex_encode(const void *data, size_t size, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *bytes = data;

	for (size_t i = 0; i < size; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * size] = '\0';
}

int
thread_start(pthread_t *thread, void *(*run)(void *), void *argument, const char *name)
{
	sigset_t all, previous;
	int code;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	code = pthread_create(thread, NULL, run, argument);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (code == 0)
		pthread_setname_np(*thread, name);
	return code;
}

static void *
helper_main(void *argument)
{
	struct helper_thread *helper = argument;

	pthread_mutex_lock(&helper->lock);
	for (;;) {
		while (!helper->stopping && !helper->requested)
			pthread_cond_wait(&helper->wake, &helper->lock);
		if (!helper->requested)
			break;		/* stopping, nothing left to do */
		helper->requested = 0;
		helper->busy = 1;
		pthread_mutex_unlock(&helper->lock);
		helper->job(helper->context);
		pthread_mutex_lock(&helper->lock);
		helper->busy = 0;
		if (!helper->requested)
			pthread_cond_broadcast(&helper->idle);
	}
	pthread_mutex_unlock(&helper->lock);
	return NULL;
}

int
helper_start(struct helper_thread *helper, const char *name, void (*job)(void *), void *context)
{
	int code;

	memset(helper, 0, sizeof *helper);
	pthread_mutex_init(&helper->lock, NULL);
	pthread_cond_init(&helper->wake, NULL);
	pthread_cond_init(&helper->idle, NULL);
	helper->job = job;
	helper->context = context;
	code = thread_start(&helper->thread, helper_main, helper, name);
	helper->running = code == 0;
	return code;
}

int
helper_request(struct helper_thread *helper)
{
	if (!helper->running)
		return -1;
	pthread_mutex_lock(&helper->lock);
	helper->requested = 1;
	pthread_cond_signal(&helper->wake);
	pthread_mutex_unlock(&helper->lock);
	return 0;
}

void
helper_wait_idle(struct helper_thread *helper)
{
	if (!helper->running)
		return;
	pthread_mutex_lock(&helper->lock);
	while (helper->requested || helper->busy)
		pthread_cond_wait(&helper->idle, &helper->lock);
	pthread_mutex_unlock(&helper->lock);
}

void
helper_stop(struct helper_thread *helper)
{
	if (helper->running) {
		pthread_mutex_lock(&helper->lock);
		helper->stopping = 1;
		pthread_cond_signal(&helper->wake);
		pthread_mutex_unlock(&helper->lock);
		pthread_join(helper->thread, NULL);
		helper->running = 0;
	}
	if (helper->job != NULL) {
		pthread_mutex_destroy(&helper->lock);
		pthread_cond_destroy(&helper->wake);
		pthread_cond_destroy(&helper->idle);
		helper->job = NULL;
	}
}

/* An ASCII letter or digit as a word holds it (A-Z folded to a-z); 0 for any other byte,
 * 0x80 and above included: the word scanners' first test of every byte. */
const unsigned char ascii_word_fold[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0, 0, 0, 0, 0, 0,
	0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0,
	0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
