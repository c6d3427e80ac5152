/*
 * store.c - persistence of the open stories: an append-only log of committed joins,
 * state_dir/stories.log.
 *
 *   header  "WSSTORY1", u32 version, XXH32 of those 12 bytes                      (16 bytes)
 *   record  u32 payload length, u32 XXH32 of the payload, payload:
 *           i64 time, u64 story key, u16 id length, u16 outlet length, u16 headline length
 *           (0xffff: none), u16 weight count, u16 entity count, u16 zero,
 *           weights (u64 key, f32 weight), entities (u16 count, u8 type length,
 *           u8 name length, type, name), id, outlet, headline
 *
 * Integers are in host byte order (local state). A join is queued when its article is
 * delivered (story_commit) and the queue is written with one pwrite(2) when the owner
 * flushes (the daemon: just before each commit of its state, like the dedup log) or at
 * 64 KB, so a join and its article's seen mark become durable together; a written record
 * survives a SIGKILL at once, fdatasync(2) runs at close. On open the records of every story
 * whose newest join is within the window of the newest record are replayed in order (a
 * story keeps all its articles, however old the first); a torn or corrupt tail is truncated
 * away with a warning. When most records belong to closed stories the log is rewritten with
 * the live ones (dedup.log's way: a .tmp file, fsync, rename, fsync of the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "log.h"
#include "story_internal.h"
#include "util.h"

#define HEADER_SIZE	16
#define FRAME_SIZE	8
#define FIXED_SIZE	28
#define WEIGHT_SIZE	12
#define FLUSH_BYTES	(64 * 1024)
#define COMPACT_MIN	1024
#define NO_HEADLINE	0xffff

struct story_store {
	int		 fd;
	char		*path;
	char		*directory;
	off_t		 size;
	size_t		 records;
	size_t		 compact_at;	/* records that make a rewrite worth checking for */
	struct buffer	 queued;
	int64_t		 window;
};

/* A decoded record with the storage its pointers need. */
struct decoded {
	struct story_record	 record;
	struct story_weight	 weights[VECTOR_MAX];
	struct story_entity_name entities[STORY_ENTITY_NAMES];
	char			 strings[4 * 65536];
};

static void
header_build(uint8_t header[HEADER_SIZE])
{
	uint32_t version = 1, check;

	memcpy(header, "WSSTORY1", 8);
	memcpy(header + 8, &version, 4);
	check = XXH32(header, 12, 0);
	memcpy(header + 12, &check, 4);
}

/* Copy length bytes to at; the position after them. */
static uint8_t *
put(uint8_t *at, const void *data, size_t length)
{
	memcpy(at, data, length);
	return at + length;
}

static size_t
clamp(const char *text, size_t limit)
{
	size_t length = text != NULL ? strlen(text) : 0;

	return length < limit ? length : limit;
}

/* An entity as written: u16 count, u8 type length, u8 name length, type, name. */
static uint8_t *
put_entity(uint8_t *at, const struct story_entity_name *entity)
{
	uint8_t lengths[2] = { (uint8_t)clamp(entity->type, 13),
	    (uint8_t)clamp(entity->name, 255) };

	at = put(at, &entity->count, 2);
	at = put(at, lengths, 2);
	at = put(at, entity->type, lengths[0]);
	return put(at, entity->name, lengths[1]);
}

/*
 * The record's frame and payload, written into one allocation of its exact size (a buffer
 * appended to field by field had cost two calls per weight).
 */
uint8_t *
story_record_encode(const struct story_record *record, size_t *length)
{
	uint16_t fixed[6] = { (uint16_t)clamp(record->article_id, 65534),
	    (uint16_t)clamp(record->outlet, 65534), record->headline != NULL ?
	    (uint16_t)clamp(record->headline, 65534) : NO_HEADLINE,
	    (uint16_t)record->weight_count, (uint16_t)record->entity_count, 0 };
	size_t size = FRAME_SIZE + 16 + sizeof fixed + (size_t)record->weight_count * WEIGHT_SIZE +
	    fixed[0] + fixed[1] + (record->headline != NULL ? fixed[2] : 0);
	uint8_t *out, *at;
	uint32_t payload, check;

	for (uint32_t i = 0; i < record->entity_count; i++)
		size += 4 + clamp(record->entities[i].type, 13) +
		    clamp(record->entities[i].name, 255);
	out = xmalloc(size + 1);
	at = put(out + FRAME_SIZE, &record->time, 8);
	at = put(at, &record->story_key, 8);
	at = put(at, fixed, sizeof fixed);
	for (uint32_t i = 0; i < record->weight_count; i++) {
		at = put(at, &record->weights[i].key, 8);
		at = put(at, &record->weights[i].weight, 4);
	}
	for (uint32_t i = 0; i < record->entity_count; i++)
		at = put_entity(at, &record->entities[i]);
	at = put(at, record->article_id, fixed[0]);
	at = put(at, record->outlet, fixed[1]);
	if (record->headline != NULL)
		at = put(at, record->headline, fixed[2]);
	*at = '\0';
	payload = (uint32_t)(size - FRAME_SIZE);
	check = XXH32(out + FRAME_SIZE, payload, 0);
	memcpy(out, &payload, 4);
	memcpy(out + 4, &check, 4);
	*length = size;
	return out;
}

/* Copy length bytes at *in into strings as a C string; NULL when past end. */
static const char *
take_string(const uint8_t **in, const uint8_t *end, size_t length, char **strings)
{
	char *out = *strings;

	if ((size_t)(end - *in) < length)
		return NULL;
	memcpy(out, *in, length);
	out[length] = '\0';
	*in += length;
	*strings += length + 1;
	return out;
}

static int
decode_entities(const uint8_t **in, const uint8_t *end, struct decoded *out, char **strings)
{
	for (uint32_t i = 0; i < out->record.entity_count; i++) {
		struct story_entity_name *entity = &out->entities[i];
		const char *type;

		if (end - *in < 4)
			return -1;
		memcpy(&entity->count, *in, 2);
		uint8_t type_length = (*in)[2], name_length = (*in)[3];

		*in += 4;
		if ((type = take_string(in, end, type_length, strings)) == NULL ||
		    (entity->name = (char *)take_string(in, end, name_length, strings)) == NULL)
			return -1;
		memset(entity->type, 0, sizeof entity->type);
		memcpy(entity->type, type, type_length < 13 ? type_length : 13);
	}
	return 0;
}

static int
record_decode(const uint8_t *payload, size_t length, struct decoded *out)
{
	const uint8_t *in = payload + FIXED_SIZE, *end = payload + length;
	char *strings = out->strings;
	uint16_t fixed[6];

	if (length < FIXED_SIZE)
		return -1;
	memset(&out->record, 0, sizeof out->record);
	memcpy(&out->record.time, payload, 8);
	memcpy(&out->record.story_key, payload + 8, 8);
	memcpy(fixed, payload + 16, sizeof fixed);
	if (fixed[3] > VECTOR_MAX || fixed[4] > STORY_ENTITY_NAMES ||
	    (size_t)(end - in) < (size_t)fixed[3] * WEIGHT_SIZE)
		return -1;
	out->record.weight_count = fixed[3];
	out->record.entity_count = fixed[4];
	for (uint32_t i = 0; i < fixed[3]; i++, in += WEIGHT_SIZE) {
		memcpy(&out->weights[i].key, in, 8);
		memcpy(&out->weights[i].weight, in + 8, 4);
		out->weights[i].name = 0;
	}
	out->record.weights = out->weights;
	out->record.entities = out->entities;
	if (decode_entities(&in, end, out, &strings) < 0 ||
	    (out->record.article_id = take_string(&in, end, fixed[0], &strings)) == NULL ||
	    (out->record.outlet = take_string(&in, end, fixed[1], &strings)) == NULL)
		return -1;
	if (fixed[2] != NO_HEADLINE &&
	    (out->record.headline = take_string(&in, end, fixed[2], &strings)) == NULL)
		return -1;
	return in == end ? 0 : -1;
}

/* The length of the valid frame at data (0: torn or corrupt). */
static size_t
frame_check(const uint8_t *data, size_t available)
{
	uint32_t payload, check;

	if (available < FRAME_SIZE)
		return 0;
	memcpy(&payload, data, 4);
	memcpy(&check, data + 4, 4);
	if (payload < FIXED_SIZE || payload > available - FRAME_SIZE ||
	    XXH32(data + FRAME_SIZE, payload, 0) != check)
		return 0;
	return FRAME_SIZE + payload;
}

/* The newest time of each story in the file, and the newest overall. */
static size_t
scan_times(const uint8_t *data, size_t length, struct story_map *newest, int64_t *latest)
{
	size_t offset = HEADER_SIZE, frame;

	*latest = INT64_MIN;
	while ((frame = frame_check(data + offset, length - offset)) > 0) {
		int64_t time;
		uint64_t key, known;

		memcpy(&time, data + offset + FRAME_SIZE, 8);
		memcpy(&key, data + offset + FRAME_SIZE + 8, 8);
		if (!story_map_get(newest, key | 1, &known) || (int64_t)known < time)
			story_map_put(newest, key | 1, (uint64_t)time);
		if (time > *latest)
			*latest = time;
		offset += frame;
	}
	return offset;
}

static int
record_live(const uint8_t *frame, const struct story_map *newest, int64_t cutoff)
{
	uint64_t key, time;

	memcpy(&key, frame + FRAME_SIZE + 8, 8);
	return story_map_get(newest, key | 1, &time) && (int64_t)time >= cutoff;
}

static void
fsync_directory(const char *directory)
{
	int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int
write_all(int fd, const void *data, size_t length)
{
	const uint8_t *bytes = data;

	while (length > 0) {
		ssize_t written = write(fd, bytes, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return -1;
		bytes += written;
		length -= (size_t)written;
	}
	return 0;
}

/* Write the live records of data to path.tmp and rename it over the log. */
static int
rewrite(struct story_store *store, const uint8_t *data, size_t length,
    const struct story_map *newest, int64_t cutoff)
{
	char *temporary = xasprintf("%s.tmp", store->path);
	uint8_t header[HEADER_SIZE];
	size_t offset = HEADER_SIZE, frame, kept = 0;
	int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), failed;

	header_build(header);
	failed = fd < 0 || write_all(fd, header, HEADER_SIZE) < 0;
	while (!failed && (frame = frame_check(data + offset, length - offset)) > 0) {
		if (record_live(data + offset, newest, cutoff)) {
			failed = write_all(fd, data + offset, frame) < 0;
			kept++;
		}
		offset += frame;
	}
	failed = failed || fsync(fd) < 0 || rename(temporary, store->path) < 0;
	if (fd >= 0)
		close(fd);
	free(temporary);
	if (failed) {
		store->compact_at = store->records * 2;	/* not at every expiry */
		log_event(LOG_LEVEL_WARNING, "story", "story.log.compact_failed", "path=%s error=%s",
		    log_quote(store->path), log_quote(strerror(errno)));
		return -1;
	}
	fsync_directory(store->directory);
	close(store->fd);
	store->fd = open(store->path, O_RDWR | O_CLOEXEC);
	store->size = lseek(store->fd, 0, SEEK_END);
	store->records = kept;
	store->compact_at = kept * 2 > COMPACT_MIN ? kept * 2 : COMPACT_MIN;
	return store->fd < 0 ? -1 : 0;
}

static void
replay_all(struct story_store *store, const uint8_t *data, size_t length,
    const struct story_map *newest, int64_t cutoff, story_replay_fn replay, void *context)
{
	struct decoded *decoded = xmalloc(sizeof *decoded);
	size_t offset = HEADER_SIZE, frame, live = 0;

	store->records = 0;
	while ((frame = frame_check(data + offset, length - offset)) > 0) {
		store->records++;
		if (record_live(data + offset, newest, cutoff) &&
		    record_decode(data + offset + FRAME_SIZE, frame - FRAME_SIZE, decoded) == 0) {
			replay(&decoded->record, context);
			live++;
		}
		offset += frame;
	}
	free(decoded);
	if (store->records >= COMPACT_MIN && live * 2 < store->records)
		rewrite(store, data, length, newest, cutoff);
}

/* The oldest time inside the window ending at latest: INT64_MIN for a log of no record
 * (latest INT64_MIN) or one whose times lie within a window of it, not an overflow. */
static int64_t
window_start(int64_t latest, int64_t window)
{
	return latest < INT64_MIN + window ? INT64_MIN : latest - window;
}

/* Read the log, truncating a bad tail or starting afresh on a foreign header. */
static int
load(struct story_store *store, story_replay_fn replay, void *context)
{
	uint8_t header[HEADER_SIZE];
	size_t length = 0, valid;
	uint8_t *data = (uint8_t *)file_read(store->path, &length);
	struct story_map newest;
	int64_t latest;

	header_build(header);
	if (data == NULL || length < HEADER_SIZE || memcmp(data, header, HEADER_SIZE) != 0) {
		if (data != NULL && length > 0)
			log_event(LOG_LEVEL_WARNING, "story", "story.log.reset", "path=%s reason=%s",
			    log_quote(store->path), "\"not a stories log of this version\"");
		free(data);
		if (ftruncate(store->fd, 0) < 0 || pwrite(store->fd, header, HEADER_SIZE, 0) !=
		    HEADER_SIZE)
			return -1;
		store->size = HEADER_SIZE;
		return 0;
	}
	story_map_init(&newest);
	valid = scan_times(data, length, &newest, &latest);
	if (valid < length) {
		log_event(LOG_LEVEL_WARNING, "story", "story.log.truncated", "path=%s offset=%zu "
		    "dropped=%zu", log_quote(store->path), valid, length - valid);
		if (ftruncate(store->fd, (off_t)valid) < 0)
			valid = length;	/* keep going; the next append fails loudly */
	}
	store->size = (off_t)valid;
	replay_all(store, data, valid, &newest, window_start(latest, store->window), replay,
	    context);
	story_map_free(&newest);
	free(data);
	return 0;
}

struct story_store *
story_store_open(const char *state_dir, int64_t window, story_replay_fn replay,
    void *context, char *error, size_t error_size)
{
	struct story_store *store = xcalloc(1, sizeof *store);

	store->window = window;
	store->compact_at = COMPACT_MIN;
	store->directory = xstrdup(state_dir);
	store->path = xasprintf("%s/stories.log", state_dir);
	mkdir(state_dir, 0700);	/* the dedup index made it already, in the daemon */
	if ((store->fd = open(store->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    load(store, replay, context) < 0) {
		snprintf(error, error_size, "%s: %s", store->path, strerror(errno));
		story_store_close(store);
		return NULL;
	}
	return store;
}

void
story_store_flush(struct story_store *store)
{
	if (store->queued.length == 0 || store->fd < 0)
		return;
	if (pwrite(store->fd, store->queued.data, store->queued.length, store->size) !=
	    (ssize_t)store->queued.length) {
		log_event(LOG_LEVEL_WARNING, "story", "story.log.write_failed", "path=%s error=%s",
		    log_quote(store->path), log_quote(strerror(errno)));
		if (ftruncate(store->fd, store->size) < 0)
			store->fd = store->fd;	/* the next open truncates the torn tail */
	} else
		store->size += (off_t)store->queued.length;
	store->queued.length = 0;
}

void
story_store_append(struct story_store *store, const uint8_t *record, size_t length)
{
	buffer_append(&store->queued, record, length);
	store->records++;
	if (store->queued.length >= FLUSH_BYTES)
		story_store_flush(store);
}

void
story_store_expire(struct story_store *store, int64_t oldest, size_t live_records)
{
	size_t length = 0;
	uint8_t *data;
	struct story_map newest;
	int64_t latest;

	if (store->records < store->compact_at || live_records * 2 >= store->records)
		return;
	story_store_flush(store);
	if ((data = (uint8_t *)file_read(store->path, &length)) == NULL)
		return;
	story_map_init(&newest);
	length = scan_times(data, length, &newest, &latest);
	rewrite(store, data, length, &newest, oldest);
	story_map_free(&newest);
	free(data);
}

void
story_store_close(struct story_store *store)
{
	if (store == NULL)
		return;
	if (store->fd >= 0) {
		story_store_flush(store);
		fdatasync(store->fd);
		close(store->fd);
	}
	buffer_free(&store->queued);
	free(store->path);
	free(store->directory);
	free(store);
}
