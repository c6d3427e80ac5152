/*
 * util.h - small helpers every module uses: allocation that cannot fail, growable byte
 * buffers, a set of strings, durations, RFC 3339 time formatting, file reading.
 */
#ifndef WIRESIFT_UTIL_H
#define WIRESIFT_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t count, size_t size);
void	*xrealloc(void *pointer, size_t size);
char	*xstrdup(const char *string);
char	*xstrndup(const char *string, size_t length);
char	*xasprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

struct buffer {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 length;
	size_t	 capacity;
};

/* Room for extra more bytes (and the NUL) without another allocation. */
void	 buffer_reserve(struct buffer *buffer, size_t extra);
/*
 * Append length bytes (the buffer stays NUL-terminated). Inline: most appends fit, and the
 * call to the out-of-line version had cost about as much as a short copy.
 */
inline void
buffer_append(struct buffer *buffer, const void *data, size_t length)
{
	if (buffer->length + length >= buffer->capacity)
		buffer_reserve(buffer, length);
	memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
}
void	 buffer_append_string(struct buffer *buffer, const char *string);
void	 buffer_printf(struct buffer *buffer, const char *format, ...)
	    __attribute__((format(printf, 2, 3)));
char	*buffer_steal(struct buffer *buffer);	/* returns data ("" if empty), resets buffer */
void	 buffer_reset(struct buffer *buffer);
void	 buffer_free(struct buffer *buffer);

/*
 * Start a helper thread that takes no signals (the loop thread handles them all), named
 * `name` for top -H; 0 or an errno value.
 */
int	 thread_start(pthread_t *thread, void *(*run)(void *), void *argument, const char *name);

/*
 * A helper thread that runs one job, job(context), each time it is asked: for work that must
 * not block the event loop (an fsync, an SQLite checkpoint). Requests made while a run is
 * pending coalesce into it; a request made during a run asks for one more.
 */
struct helper_thread {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_cond_t	 idle;		/* signalled when a run ends with nothing requested */
	int		 running;	/* the thread was started */
	int		 requested;
	int		 busy;		/* a run is under way */
	int		 stopping;
	void		(*job)(void *context);
	void		*context;
};

/* Start the thread, named `name`; 0 or an errno value (then requests fail). */
int	 helper_start(struct helper_thread *helper, const char *name, void (*job)(void *),
	    void *context);
/* Ask for a run; -1 when the thread is not running (the caller does the work itself). */
int	 helper_request(struct helper_thread *helper);
/* Wait until no run is under way or requested (the job has caught up with every request). */
void	 helper_wait_idle(struct helper_thread *helper);
/* Run the job once more if a request is pending, then end the thread. */
void	 helper_stop(struct helper_thread *helper);

/* A set of strings (copies), by hash: constant time whatever its size. Zeroed = empty. */
struct string_set {
	char	**slots;	/* NULL: never used; STRING_SET_REMOVED: free again */
	size_t	  capacity;	/* a power of two */
	size_t	  count;
	size_t	  used;		/* count + removed slots */
};

int	 string_set_add(struct string_set *set, const char *value);	/* 1 added, 0 there */
int	 string_set_contains(const struct string_set *set, const char *value);
int	 string_set_remove(struct string_set *set, const char *value);	/* 1 removed */
void	 string_set_clear(struct string_set *set);

/* "90", "90s", "5m", "2h", "1d", "250ms" -> milliseconds. -1 on error. */
long long duration_parse_ms(const char *text);
/* Size with optional k/M/G suffix (binary) -> bytes. -1 on error. */
long long size_parse(const char *text);

/* RFC 3339 UTC, second precision: "2025-09-21T06:19:00Z". out must hold 21 bytes. */
void	 time_format_rfc3339(time_t when, char out[21]);
/* Milliseconds since the epoch / monotonic milliseconds. */
int64_t	 now_ms(void);
int64_t	 monotonic_ms(void);

/* Read a whole file; NULL and errno on failure. *length gets the size. Result NUL-terminated. */
/* A-Z a-z 0-9 as a word holds them (lower case); 0 for every other byte. */
extern const unsigned char ascii_word_fold[256];
char	*file_read(const char *path, size_t *length);
/* Join dir (of base_file) and path unless path is absolute. Caller frees. */
char	*path_resolve(const char *base_file, const char *path);
/* PATH relative to the running executable's directory, made absolute, if it exists; else NULL. */
char	*path_beside_executable(const char *path);

/*
 * Process start-up, when the program allocates with glibc's malloc (the daemon uses jemalloc,
 * which needs nothing; sanitizer builds and tests use glibc's): keep up to 8 MiB of freed
 * memory at the top of each heap, and serve allocations below 1 MiB from the heap. The
 * language plugin's CLD2 allocates and frees about 200 kB per article; glibc's default,
 * adaptive thresholds returned that to the kernel every time (a third of the plugin's CPU).
 */
void	 malloc_tune(void);

/* Lower-case hex of `size` bytes; out must hold 2*size+1. */
void	 hex_encode(const void *data, size_t size, char *out);

/*
 * A name of up to 16 bytes as two 64-bit values, its bytes zero-padded: the small fixed sets
 * looked up by their bytes (html_fast's tags, story features' stop words) compare these, and
 * name16_slot() is its slot in an open-addressing table of 1 << bits slots.
 */
struct name16 {
	uint64_t	 head;		/* bytes 0-7 */
	uint64_t	 tail;		/* bytes 8-15 */
};

static inline size_t
name16_slot(struct name16 key, unsigned bits)
{
	return (size_t)((key.head * 0x9e3779b97f4a7c15ULL ^ key.tail * 0xc2b2ae3d27d4eb4fULL) >>
	    (64 - bits));
}

#endif
