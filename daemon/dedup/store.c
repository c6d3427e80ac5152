/*
 * store.c - persistence of committed dedup entries: an append-only log, state_dir/dedup.log.
 *
 *   header  "WSDEDUP1", version, shingle_size, signature_size, bands, signature bits,
 *           XXH32 of those 28 bytes                                         (32 bytes)
 *   record  u32 payload length, u32 XXH32 of the payload, payload:
 *           u8 kind (1), u8 flags, u16 key count, u16 id length, u16 zero,
 *           i64 time, u64 exact hash, u32 shingle count, u32 signature bytes,
 *           keys (u64 each), id bytes, signature bytes
 *
 * Integers are in host byte order: the file is local state, not an exchange format.
 * Durability policy: commits are queued and written whole, with one pwrite(2) at the known
 * end, when the owner flushes (the daemon: just before each commit of its state database, so
 * the entries of delivered articles become durable together with their seen marks, every
 * 100 ms while articles flow), when FLUSH_BYTES are queued, and at close. A written record
 * survives a crash or SIGKILL of the daemon at once; a SIGKILL loses the queued ones together
 * with the state's open transaction, and those articles are fetched, judged and published
 * again. fdatasync(2) is started with a write when the last one is at least SYNC_INTERVAL_MS
 * old, and runs at close (group commit: commits arrive with Kafka's delivery reports,
 * thousands a second). The periodic fdatasync
 * runs on a syncer thread, on a dup of the descriptor: a slow disk (tens to hundreds of ms
 * per flush on a busy VM) never stalls the event loop that appends. On power loss the
 * newest commits may be lost, which at worst lets a later copy of such an article through as
 * unique. A failed write is truncated away so a later append never follows a torn record.
 * On open, a torn or corrupt record ends the replay: it and everything after it are truncated
 * away with a warning (start-up never fails for it). Records older than the window are dropped, and when more than half of the file is
 * expired it is compacted: the live records are copied to dedup.log.tmp, which is fsync'd and
 * renamed over the log (then the directory is fsync'd). A header written with other sketch
 * parameters cannot be replayed: the log is then started afresh, with a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "dedup_internal.h"
#include "log.h"
#include "util.h"

#define HEADER_SIZE		32
#define FRAME_SIZE		8
#define PAYLOAD_FIXED		32
#define MAX_PAYLOAD		(1u << 20)
#define COMPACT_MIN_RECORDS	1024
#define RECORD_KIND_ENTRY	1

#define SYNC_INTERVAL_MS	200
#define FLUSH_BYTES		(64 * 1024)	/* queued records written at once from this size */

/* The thread that runs the periodic fdatasync off the appending thread. */
struct syncer {
	struct helper_thread helper;
	pthread_mutex_t	 lock;		/* of fd, handed from the loop to the helper */
	int		 fd;		/* a dup of the log's descriptor to sync; -1: nothing asked */
	const char	*path;		/* of the log, for the warning */
};

struct dedup_store {
	int		 fd;
	int		 unsynced;	/* records written since the last fdatasync started */
	int64_t		 synced_ms;	/* monotonic time the last fdatasync started */
	struct syncer	 syncer;
	char		*path;
	char		*directory;
	uint8_t		 header[HEADER_SIZE];
	size_t		 signature_bytes;
	int		 bands;
	off_t		 size;		/* bytes of valid header and records */
	size_t		 records;	/* records in the file */
	struct buffer	 queued;	/* committed records not written yet */
	size_t		 queued_records;
};

static void
put32(uint8_t *out, uint32_t value)
{
	memcpy(out, &value, 4);
}

static uint32_t
get32(const uint8_t *in)
{
	uint32_t value;

	memcpy(&value, in, 4);
	return value;
}

static void
build_header(struct dedup_store *store, const struct dedup_config *config)
{
	memcpy(store->header, "WSDEDUP1", 8);
	put32(store->header + 8, 1);
	put32(store->header + 12, (uint32_t)config->shingle_size);
	put32(store->header + 16, (uint32_t)config->signature_size);
	put32(store->header + 20, (uint32_t)config->bands);
	put32(store->header + 24, DEDUP_SIGNATURE_BITS);
	put32(store->header + 28, XXH32(store->header, 28, 0));
}

/* Write all of data at offset (every write of the log knows where it goes). */
static int
write_all_at(int fd, const uint8_t *data, size_t length, off_t offset)
{
	while (length > 0) {
		ssize_t written = pwrite(fd, data, length, offset);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += written;
		offset += written;
		length -= (size_t)written;
	}
	return 0;
}

static int
read_all(FILE *file, uint8_t *data, size_t length)
{
	return fread(data, 1, length, file) == length ? 0 : -1;
}

static void
sync_directory(const char *directory)
{
	int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void
sync_job(void *context)
{
	struct syncer *syncer = context;
	int fd;

	pthread_mutex_lock(&syncer->lock);
	fd = syncer->fd;
	syncer->fd = -1;
	pthread_mutex_unlock(&syncer->lock);
	if (fd < 0)
		return;
	if (fdatasync(fd) < 0)
		log_event(LOG_LEVEL_WARNING, "dedup", "dedup.log.sync_failed", "path=%s "
		    "error=%s", log_quote(syncer->path), log_quote(strerror(errno)));
	close(fd);
}

static void
syncer_start(struct syncer *syncer, const char *path)
{
	pthread_mutex_init(&syncer->lock, NULL);
	syncer->fd = -1;
	syncer->path = path;
	helper_start(&syncer->helper, "wiresift-sync", sync_job, syncer);
}

/* Have fd's data flushed in the background; 0, or -1 when it must be done here. */
static int
syncer_request(struct syncer *syncer, int fd)
{
	int copy;

	if (!syncer->helper.running)
		return -1;
	pthread_mutex_lock(&syncer->lock);
	if (syncer->fd < 0) {	/* else the pending one covers this write too */
		if ((copy = dup(fd)) < 0) {
			pthread_mutex_unlock(&syncer->lock);
			return -1;
		}
		syncer->fd = copy;
	}
	pthread_mutex_unlock(&syncer->lock);
	return helper_request(&syncer->helper);
}

/* Finish the pending flush, if any, and end the thread. */
static void
syncer_stop(struct syncer *syncer)
{
	if (syncer->path == NULL)
		return;		/* never started */
	helper_stop(&syncer->helper);
	pthread_mutex_destroy(&syncer->lock);
	syncer->path = NULL;
}

uint8_t *
dedup_record_encode(const struct dedup_record *record, size_t *length)
{
	size_t id_length = strlen(record->id);
	size_t payload = PAYLOAD_FIXED + (size_t)record->key_count * 8 + id_length +
	    record->signature_bytes;
	uint8_t *out = xcalloc(1, FRAME_SIZE + payload), *cursor = out + FRAME_SIZE;
	uint16_t key_count = (uint16_t)record->key_count, id_length16 = (uint16_t)id_length;
	uint32_t signature_bytes = (uint32_t)record->signature_bytes;

	if (id_length > UINT16_MAX)
		id_length = id_length16 = 0;	/* never: ids are short; keeps the format sane */
	cursor[0] = RECORD_KIND_ENTRY;
	cursor[1] = (uint8_t)record->flags;
	memcpy(cursor + 2, &key_count, 2);
	memcpy(cursor + 4, &id_length16, 2);
	memcpy(cursor + 8, &record->time, 8);
	memcpy(cursor + 16, &record->exact_hash, 8);
	memcpy(cursor + 24, &record->shingle_count, 4);
	memcpy(cursor + 28, &signature_bytes, 4);
	cursor += PAYLOAD_FIXED;
	if (record->key_count > 0)
		memcpy(cursor, record->keys, (size_t)record->key_count * 8);
	cursor += (size_t)record->key_count * 8;
	memcpy(cursor, record->id, id_length);
	cursor += id_length;
	memcpy(cursor, record->signature, record->signature_bytes);
	put32(out, (uint32_t)payload);
	put32(out + 4, XXH32(out + FRAME_SIZE, payload, 0));
	*length = FRAME_SIZE + payload;
	return out;
}

/* Decode a checksummed payload; -1 when its fields do not fit this store. */
static int
decode_payload(const struct dedup_store *store, const uint8_t *payload, size_t length,
    struct dedup_record *record, char *id, size_t id_size)
{
	uint16_t key_count, id_length;
	uint32_t signature_bytes;

	if (length < PAYLOAD_FIXED || payload[0] != RECORD_KIND_ENTRY)
		return -1;
	memcpy(&key_count, payload + 2, 2);
	memcpy(&id_length, payload + 4, 2);
	memcpy(&signature_bytes, payload + 28, 4);
	if (key_count > store->bands || signature_bytes != store->signature_bytes ||
	    id_length >= id_size || length != PAYLOAD_FIXED + (size_t)key_count * 8 + id_length +
	    signature_bytes)
		return -1;
	memset(record, 0, sizeof *record);
	record->flags = payload[1];
	memcpy(&record->time, payload + 8, 8);
	memcpy(&record->exact_hash, payload + 16, 8);
	memcpy(&record->shingle_count, payload + 24, 4);
	record->key_count = key_count;
	record->keys = (const uint64_t *)(payload + PAYLOAD_FIXED);	/* aligned: 8 + 32 */
	memcpy(id, payload + PAYLOAD_FIXED + (size_t)key_count * 8, id_length);
	id[id_length] = '\0';
	record->id = id;
	record->signature = payload + PAYLOAD_FIXED + (size_t)key_count * 8 + id_length;
	record->signature_bytes = signature_bytes;
	return 0;
}

/*
 * Read the records of file after its header. Each valid one goes to visit; returns the
 * offset where valid data ends and sets *reason when that is not the end of the file.
 */
static off_t
scan_records(struct dedup_store *store, FILE *file,
    void (*visit)(const struct dedup_record *, const uint8_t *, size_t, void *), void *context,
    const char **reason)
{
	off_t offset = HEADER_SIZE;
	uint8_t frame[FRAME_SIZE];
	uint8_t *payload = xmalloc(MAX_PAYLOAD);
	char id[1024];

	*reason = NULL;
	if (fseeko(file, HEADER_SIZE, SEEK_SET) != 0) {
		*reason = "seek failed";
		free(payload);
		return offset;
	}
	for (;;) {
		struct dedup_record record;
		uint32_t length;
		size_t got = fread(frame, 1, FRAME_SIZE, file);

		if (got == 0)
			break;
		if (got < FRAME_SIZE) {
			*reason = "torn record header";
			break;
		}
		length = get32(frame);
		if (length > MAX_PAYLOAD) {
			*reason = "bad record length";
			break;
		}
		if (read_all(file, payload, length) < 0) {
			*reason = "torn record";
			break;
		}
		if (XXH32(payload, length, 0) != get32(frame + 4)) {
			*reason = "checksum mismatch";
			break;
		}
		if (decode_payload(store, payload, length, &record, id, sizeof id) < 0) {
			*reason = "malformed record";
			break;
		}
		visit(&record, payload, length, context);
		offset += FRAME_SIZE + (off_t)length;
	}
	free(payload);
	return offset;
}

struct replay_context {
	int64_t		 oldest;
	dedup_replay_fn	 replay;
	void		*context;
	size_t		 live;
	size_t		 expired;
};

static void
replay_visit(const struct dedup_record *record, const uint8_t *payload, size_t length,
    void *context)
{
	struct replay_context *replay = context;

	(void)payload;
	(void)length;
	if (record->time < replay->oldest) {
		replay->expired++;
		return;
	}
	replay->live++;
	replay->replay(record, replay->context);
}

struct compact_context {
	int64_t		 oldest;
	int		 fd;
	int		 failed;
	size_t		 kept;
	off_t		 size;
};

static void
compact_visit(const struct dedup_record *record, const uint8_t *payload, size_t length,
    void *context)
{
	struct compact_context *compact = context;
	uint8_t frame[FRAME_SIZE];

	if (record->time < compact->oldest || compact->failed)
		return;
	put32(frame, (uint32_t)length);
	put32(frame + 4, XXH32(payload, length, 0));
	if (write_all_at(compact->fd, frame, FRAME_SIZE, compact->size) < 0 ||
	    write_all_at(compact->fd, payload, length, compact->size + FRAME_SIZE) < 0)
		compact->failed = 1;
	compact->kept++;
	compact->size += FRAME_SIZE + (off_t)length;
}

/* Rewrite the log with only the records at or after oldest. */
static int
compact(struct dedup_store *store, int64_t oldest)
{
	struct compact_context context = { .oldest = oldest, .size = HEADER_SIZE };
	char *temporary = xasprintf("%s.tmp", store->path);
	const char *reason;
	size_t before;
	FILE *file;
	int fd;

	dedup_store_flush(store);	/* the copy is made from the file */
	before = store->records;
	if ((file = fopen(store->path, "rb")) == NULL)
		goto fail;
	if ((context.fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		fclose(file);
		goto fail;
	}
	if (write_all_at(context.fd, store->header, HEADER_SIZE, 0) < 0)
		context.failed = 1;
	scan_records(store, file, compact_visit, &context, &reason);
	fclose(file);
	if (context.failed || fsync(context.fd) < 0 || close(context.fd) < 0 ||
	    rename(temporary, store->path) < 0) {
		if (context.fd >= 0)
			close(context.fd);
		unlink(temporary);
		goto fail;
	}
	sync_directory(store->directory);
	if ((fd = open(store->path, O_RDWR | O_CLOEXEC)) < 0)
		goto fail;
	close(store->fd);
	store->fd = fd;
	store->size = context.size;
	store->records = context.kept;
	log_event(LOG_LEVEL_INFO, "dedup", "dedup.log.compacted", "path=%s records_before=%zu "
	    "records_after=%zu bytes=%lld", log_quote(store->path), before, context.kept,
	    (long long)context.size);
	free(temporary);
	return 0;
fail:
	log_event(LOG_LEVEL_WARNING, "dedup", "dedup.log.compact_failed", "path=%s error=%s",
	    log_quote(store->path), log_quote(strerror(errno)));
	free(temporary);
	return -1;
}

/* Start the log afresh: header only. */
static int
reset_log(struct dedup_store *store)
{
	if (ftruncate(store->fd, 0) < 0 ||
	    write_all_at(store->fd, store->header, HEADER_SIZE, 0) < 0 || fdatasync(store->fd) < 0)
		return -1;
	store->size = HEADER_SIZE;
	store->records = 0;
	return 0;
}

static int
ensure_directory(const char *directory, char *error, size_t error_size)
{
	struct stat status;

	if (stat(directory, &status) == 0) {
		if (S_ISDIR(status.st_mode))
			return 0;
		snprintf(error, error_size, "dedup state_dir %s: not a directory", directory);
		return -1;
	}
	if (errno == ENOENT && mkdir(directory, 0700) == 0)
		return 0;
	snprintf(error, error_size, "dedup state_dir %s: %s", directory, strerror(errno));
	return -1;
}

struct dedup_store *
dedup_store_open(const char *state_dir, const struct dedup_config *config, int64_t oldest,
    dedup_replay_fn replay, void *context, char *error, size_t error_size)
{
	struct dedup_store *store;
	struct replay_context replaying = { .oldest = oldest, .replay = replay,
	    .context = context };
	uint8_t header[HEADER_SIZE];
	const char *reason = NULL;
	struct stat status;
	FILE *file;
	off_t valid_end;

	if (ensure_directory(state_dir, error, error_size) < 0)
		return NULL;
	store = xcalloc(1, sizeof *store);
	store->directory = xstrdup(state_dir);
	store->path = xasprintf("%s/dedup.log", state_dir);
	store->bands = config->bands;
	store->signature_bytes = ((size_t)config->signature_size * DEDUP_SIGNATURE_BITS + 63) /
	    64 * 8;
	build_header(store, config);
	if ((store->fd = open(store->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fstat(store->fd, &status) < 0) {
		snprintf(error, error_size, "%s: %s", store->path, strerror(errno));
		goto fail;
	}
	if (status.st_size == 0) {
		if (reset_log(store) < 0)
			goto write_failed;
		sync_directory(state_dir);
		goto opened;
	}
	if (pread(store->fd, header, HEADER_SIZE, 0) != HEADER_SIZE ||
	    memcmp(header, store->header, HEADER_SIZE) != 0) {
		log_event(LOG_LEVEL_WARNING, "dedup", "dedup.log.incompatible", "path=%s "
		    "reason=%s", log_quote(store->path), log_quote("header missing, corrupt or "
		    "written with other shingle/signature/band settings; starting afresh"));
		if (reset_log(store) < 0)
			goto write_failed;
		goto opened;
	}
	if ((file = fopen(store->path, "rb")) == NULL) {
		snprintf(error, error_size, "%s: %s", store->path, strerror(errno));
		goto fail;
	}
	valid_end = scan_records(store, file, replay_visit, &replaying, &reason);
	fclose(file);
	store->size = valid_end;
	store->records = replaying.live + replaying.expired;
	if (reason != NULL) {
		log_event(LOG_LEVEL_WARNING, "dedup", "dedup.log.tail_dropped", "path=%s offset=%lld "
		    "dropped_bytes=%lld reason=%s", log_quote(store->path), (long long)valid_end,
		    (long long)(status.st_size - valid_end), log_quote(reason));
		if (ftruncate(store->fd, valid_end) < 0 || fdatasync(store->fd) < 0)
			goto write_failed;
	}
	log_event(LOG_LEVEL_INFO, "dedup", "dedup.log.replayed", "path=%s live=%zu expired=%zu",
	    log_quote(store->path), replaying.live, replaying.expired);
	if (replaying.expired > replaying.live)
		compact(store, oldest);
opened:
	syncer_start(&store->syncer, store->path);
	return store;
write_failed:
	snprintf(error, error_size, "%s: %s", store->path, strerror(errno));
fail:
	dedup_store_close(store);
	return NULL;
}

void
dedup_store_close(struct dedup_store *store)
{
	if (store == NULL)
		return;
	if (store->fd >= 0)
		dedup_store_flush(store);
	buffer_free(&store->queued);
	syncer_stop(&store->syncer);
	if (store->fd >= 0) {
		if (store->unsynced && fdatasync(store->fd) < 0)
			log_event(LOG_LEVEL_WARNING, "dedup", "dedup.log.sync_failed", "path=%s "
			    "error=%s", log_quote(store->path), log_quote(strerror(errno)));
		close(store->fd);
	}
	free(store->path);
	free(store->directory);
	free(store);
}

int
dedup_store_append(struct dedup_store *store, const uint8_t *record, size_t length)
{
	buffer_append(&store->queued, record, length);
	store->queued_records++;
	return store->queued.length >= FLUSH_BYTES ? dedup_store_flush(store) : 0;
}

int
dedup_store_flush(struct dedup_store *store)
{
	size_t length = store->queued.length;
	int64_t now;
	int sync_now;

	if (length == 0)
		return 0;
	now = monotonic_ms();
	sync_now = now - store->synced_ms >= SYNC_INTERVAL_MS;
	/* Always at the end we know: a torn earlier write was truncated back to it. */
	if (write_all_at(store->fd, (const uint8_t *)store->queued.data, length, store->size) < 0 ||
	    (sync_now && syncer_request(&store->syncer, store->fd) < 0 &&
	    fdatasync(store->fd) < 0)) {
		log_complain("dedup.log.append", "dedup", "dedup.log.append_failed", "path=%s "
		    "records=%zu error=%s", log_quote(store->path), store->queued_records,
		    log_quote(strerror(errno)));
		if (ftruncate(store->fd, store->size) < 0) {
			/* nothing more to do: replay drops the torn tail */
		}
		buffer_reset(&store->queued);
		store->queued_records = 0;
		return -1;
	}
	log_complain_clear("dedup.log.append", "dedup", "dedup.log.append_recovered");
	store->size += (off_t)length;
	store->records += store->queued_records;
	buffer_reset(&store->queued);
	store->queued_records = 0;
	store->unsynced = !sync_now;
	if (sync_now)
		store->synced_ms = now;
	return 0;
}

void
dedup_store_expire(struct dedup_store *store, int64_t oldest, size_t live_records)
{
	if (store->records >= COMPACT_MIN_RECORDS && live_records * 2 < store->records)
		compact(store, oldest);
}
