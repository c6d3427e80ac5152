/*
 * state.c - SQLite-backed durable state (see state.h). WAL mode with synchronous=NORMAL: a
 * commit is atomic and survives a crash of the daemon; on power loss the last few commits may
 * be lost, which at worst re-sends the items they recorded (at-least-once, same Kafka key).
 *
 * Writes are grouped: the first write opens a transaction and tells the owner (the commit
 * hook), who calls state_commit() soon after (the daemon: within 100 ms). One commit then
 * carries hundreds of seen marks instead of one lock, WAL append and unlock each. A crash
 * loses the open group whole - seen marks, spool rows and validators together - so the state
 * stays consistent: those items are fetched and sent again.
 *
 * With synchronous=NORMAL only a checkpoint (the WAL copied into the database) calls fsync,
 * and SQLite would run it inside the commit that crosses 1000 WAL pages, on the event loop:
 * on a busy disk that stalled the loop for seconds in a cold start. Here automatic
 * checkpoints are off; a commit that leaves CHECKPOINT_PAGES or more in the WAL wakes the
 * "wiresift-ckpt" thread, which checkpoints (PASSIVE: it never blocks the writer) through a
 * connection of its own. The WAL restarts from its beginning at the first commit after a
 * complete checkpoint, so it stays about that size. state_close() stops the thread; closing
 * the last connection checkpoints what is left.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "state.h"
#include "util.h"

#define CHECKPOINT_PAGES	1000	/* SQLite's own automatic checkpoint threshold */
#define SEEN_EXPIRY_INTERVAL	86400	/* seconds: the seen ids' expiry scan at most once a day */

/* The thread that checkpoints the WAL, through its own connection (opened there). */
struct checkpointer {
	struct helper_thread helper;
	sqlite3		*db;
	char		*path;		/* of the database */
};

struct state {
	sqlite3		*db;
	struct checkpointer checkpointer;
	int		 in_transaction;
	state_commit_hook commit_hook;
	void		*commit_hook_context;
	sqlite3_stmt	*feed_load;
	sqlite3_stmt	*feed_validators;
	sqlite3_stmt	*feed_health;
	sqlite3_stmt	*seen_check;
	sqlite3_stmt	*seen_mark;
	sqlite3_stmt	*seen_expire;
	sqlite3_stmt	*expiry_last;
	sqlite3_stmt	*expiry_done;
	sqlite3_stmt	*spool_append;
	sqlite3_stmt	*spool_next;
	sqlite3_stmt	*spool_remove;
	sqlite3_stmt	*spool_size;
	sqlite3_stmt	*page_load;
	sqlite3_stmt	*page_save;
	sqlite3_stmt	*page_expire;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS feeds ("
    "  feed TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, current_url TEXT,"
    "  failures INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS seen ("
    "  feed TEXT NOT NULL, id TEXT NOT NULL, seen_at INTEGER NOT NULL, updated INTEGER,"
    "  content_hash INTEGER, PRIMARY KEY (feed, id)) WITHOUT ROWID;"
    /* seen ids have no index by age (dropped from older databases): it was a second B-tree
     * insert of feed and id per mark, 1.6 of a new item's 4.8 us of check and mark
     * (bench_seen); their expiry scans the table instead, at most once a day (expiry_runs) */
    "DROP INDEX IF EXISTS seen_by_age;"
    "CREATE TABLE IF NOT EXISTS expiry_runs (name TEXT PRIMARY KEY, done_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS spool ("
    "  sequence INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL,"
    "  value BLOB NOT NULL, headers TEXT, spooled_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pages ("
    "  url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, text TEXT NOT NULL, method TEXT,"
    "  words INTEGER NOT NULL, stored_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS pages_by_age ON pages (stored_at);";

void
feed_record_clear(struct feed_record *record)
{
	free(record->etag);
	free(record->last_modified);
	free(record->current_url);
	memset(record, 0, sizeof *record);
}

static int
mkdir_parents(const char *dir)
{
	char *path = xstrdup(dir);
	int result = 0;

	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			result = -1;
		*p = '/';
	}
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		result = -1;
	free(path);
	return result;
}

static int
prepare(struct state *state, sqlite3_stmt **statement, const char *sql)
{
	return sqlite3_prepare_v3(state->db, sql, -1, SQLITE_PREPARE_PERSISTENT, statement, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

/* A state file from before the seen table kept a column gains it (NULL in old rows). */
static int
seen_add_column(struct state *state, const char *column)
{
	sqlite3_stmt *probe = NULL;
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT %s FROM seen LIMIT 0", column);
	if (sqlite3_prepare_v2(state->db, sql, -1, &probe, NULL) == SQLITE_OK) {
		sqlite3_finalize(probe);
		return 0;
	}
	sqlite3_finalize(probe);
	snprintf(sql, sizeof sql, "ALTER TABLE seen ADD COLUMN %s INTEGER", column);
	return sqlite3_exec(state->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void
checkpoint(sqlite3 *db, const char *path)
{
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) !=
	    SQLITE_OK)
		log_event(LOG_LEVEL_WARNING, "state", "state.checkpoint_failed", "path=%s error=%s",
		    log_quote(path), log_quote(sqlite3_errmsg(db)));
}

static void
checkpoint_job(void *context)
{
	struct checkpointer *checkpointer = context;

	if (checkpointer->db == NULL) {
		if (sqlite3_open_v2(checkpointer->path, &checkpointer->db, SQLITE_OPEN_READWRITE,
		    NULL) != SQLITE_OK) {
			log_event(LOG_LEVEL_WARNING, "state", "state.checkpoint_failed", "path=%s "
			    "error=%s", log_quote(checkpointer->path),
			    log_quote(sqlite3_errmsg(checkpointer->db)));
			sqlite3_close(checkpointer->db);
			checkpointer->db = NULL;	/* tried again at the next request */
			return;
		}
		sqlite3_busy_timeout(checkpointer->db, 5000);
		/* A first read opens the WAL; until then a checkpoint does nothing. */
		sqlite3_exec(checkpointer->db, "PRAGMA schema_version", NULL, NULL, NULL);
	}
	checkpoint(checkpointer->db, checkpointer->path);
}

/* SQLite's WAL hook, after each commit of the loop's connection: pages now in the WAL. */
static int
on_wal_commit(void *context, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *checkpointer = context;

	if (pages >= CHECKPOINT_PAGES && helper_request(&checkpointer->helper) < 0)
		checkpoint(db, checkpointer->path);	/* no thread: as SQLite would */
	return SQLITE_OK;
}

static void
checkpointer_start(struct state *state, const char *path)
{
	struct checkpointer *checkpointer = &state->checkpointer;

	checkpointer->path = xstrdup(path);
	helper_start(&checkpointer->helper, "wiresift-ckpt", checkpoint_job, checkpointer);
	/* and no automatic checkpoint: the hook replaces SQLite's own */
	sqlite3_wal_hook(state->db, on_wal_commit, checkpointer);
}

void
state_wait_checkpoints(struct state *state)
{
	helper_wait_idle(&state->checkpointer.helper);
}

static void
checkpointer_stop(struct checkpointer *checkpointer)
{
	if (checkpointer->path == NULL)
		return;		/* never started */
	helper_stop(&checkpointer->helper);
	sqlite3_close(checkpointer->db);
	free(checkpointer->path);
	memset(checkpointer, 0, sizeof *checkpointer);
}

struct state *
state_open(const char *dir, char *error, size_t error_size)
{
	struct state *state = xcalloc(1, sizeof *state);
	char *path = xasprintf("%s/wiresift.db", dir);
	char *message = NULL;

	if (mkdir_parents(dir) < 0) {
		snprintf(error, error_size, "state_dir %s: cannot create: %s", dir, strerror(errno));
		goto fail;
	}
	if (sqlite3_open(path, &state->db) != SQLITE_OK) {
		snprintf(error, error_size, "%s: %s", path, sqlite3_errmsg(state->db));
		goto fail;
	}
	sqlite3_busy_timeout(state->db, 5000);
	if (sqlite3_exec(state->db, schema, NULL, NULL, &message) != SQLITE_OK) {
		snprintf(error, error_size, "%s: %s", path, message ? message : "schema error");
		sqlite3_free(message);
		goto fail;
	}
	if (prepare(state, &state->feed_load, "SELECT etag, last_modified, current_url, failures,"
	    " disabled FROM feeds WHERE feed = ?1") < 0 ||
	    prepare(state, &state->feed_validators, "INSERT INTO feeds (feed, etag, last_modified)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT(feed) DO UPDATE SET etag = ?2, last_modified = ?3")
	    < 0 ||
	    prepare(state, &state->feed_health, "INSERT INTO feeds (feed, failures, disabled,"
	    " current_url) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(feed) DO UPDATE SET failures = ?2,"
	    " disabled = ?3, current_url = ?4") < 0 ||
	    seen_add_column(state, "updated") < 0 ||
	    seen_add_column(state, "content_hash") < 0 ||
	    prepare(state, &state->seen_check, "SELECT updated, content_hash FROM seen WHERE"
	    " feed = ?1 AND id = ?2") < 0 ||
	    prepare(state, &state->seen_mark, "INSERT INTO seen (feed, id, seen_at, updated,"
	    " content_hash) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(feed, id) DO UPDATE SET"
	    " seen_at = ?3, updated = coalesce(?4, updated),"
	    " content_hash = coalesce(?5, content_hash)") < 0 ||
	    prepare(state, &state->seen_expire, "DELETE FROM seen WHERE seen_at < ?1") < 0 ||
	    prepare(state, &state->expiry_last, "SELECT done_at FROM expiry_runs WHERE name = ?1")
	    < 0 ||
	    prepare(state, &state->expiry_done, "INSERT INTO expiry_runs (name, done_at) VALUES"
	    " (?1, ?2) ON CONFLICT(name) DO UPDATE SET done_at = ?2") < 0 ||
	    prepare(state, &state->spool_append, "INSERT INTO spool (topic, key, value, headers,"
	    " spooled_at) VALUES (?1, ?2, ?3, ?4, ?5)") < 0 ||
	    prepare(state, &state->spool_next, "SELECT sequence, topic, key, value, headers FROM"
	    " spool WHERE sequence > ?1 ORDER BY sequence LIMIT ?2") < 0 ||
	    prepare(state, &state->spool_remove, "DELETE FROM spool WHERE sequence = ?1") < 0 ||
	    prepare(state, &state->spool_size, "SELECT count(*), coalesce(sum(length(value)), 0)"
	    " FROM spool") < 0 ||
	    prepare(state, &state->page_load, "SELECT etag, last_modified, text, method, words"
	    " FROM pages WHERE url = ?1") < 0 ||
	    prepare(state, &state->page_save, "INSERT OR REPLACE INTO pages (url, etag,"
	    " last_modified, text, method, words, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
	    < 0 ||
	    prepare(state, &state->page_expire, "DELETE FROM pages WHERE stored_at < ?1") < 0) {
		snprintf(error, error_size, "%s: %s", path, sqlite3_errmsg(state->db));
		goto fail;
	}
	checkpointer_start(state, path);
	free(path);
	return state;
fail:
	free(path);
	state_close(state);
	return NULL;
}

void
state_set_commit_hook(struct state *state, state_commit_hook hook, void *context)
{
	state->commit_hook = hook;
	state->commit_hook_context = context;
}

int
state_commit(struct state *state)
{
	if (!state->in_transaction)
		return 0;
	if (sqlite3_exec(state->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_complain("state.commit", "state", "state.error", "op=commit error=%s",
		    log_quote(sqlite3_errmsg(state->db)));
		return -1;	/* still open: the next commit tries again */
	}
	state->in_transaction = 0;
	return 0;
}

/* Open the group of writes the next state_commit() makes durable. */
static void
write_begin(struct state *state)
{
	if (state->in_transaction)
		return;
	if (sqlite3_exec(state->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_complain("state.begin", "state", "state.error", "op=begin error=%s",
		    log_quote(sqlite3_errmsg(state->db)));
		return;		/* the write commits on its own */
	}
	state->in_transaction = 1;
	if (state->commit_hook != NULL)
		state->commit_hook(state->commit_hook_context);
}

void
state_close(struct state *state)
{
	if (state == NULL)
		return;
	if (state->db != NULL)
		state_commit(state);
	checkpointer_stop(&state->checkpointer);
	sqlite3_finalize(state->feed_load);
	sqlite3_finalize(state->feed_validators);
	sqlite3_finalize(state->feed_health);
	sqlite3_finalize(state->seen_check);
	sqlite3_finalize(state->seen_mark);
	sqlite3_finalize(state->seen_expire);
	sqlite3_finalize(state->expiry_last);
	sqlite3_finalize(state->expiry_done);
	sqlite3_finalize(state->spool_append);
	sqlite3_finalize(state->spool_next);
	sqlite3_finalize(state->spool_remove);
	sqlite3_finalize(state->spool_size);
	sqlite3_finalize(state->page_load);
	sqlite3_finalize(state->page_save);
	sqlite3_finalize(state->page_expire);
	sqlite3_close(state->db);
	free(state);
}

/*
 * Bound without a copy (SQLITE_STATIC): every statement here is bound, stepped, reset and
 * cleared within the one call, while the caller's string lives. SQLITE_TRANSIENT's copy was
 * a malloc, a memcpy and a free per string: two a seen check and two a seen mark.
 */
static void
bind_text(sqlite3_stmt *statement, int index, const char *value)
{
	if (value != NULL)
		sqlite3_bind_text(statement, index, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(statement, index);
}

static char *
column_text(sqlite3_stmt *statement, int index)
{
	const unsigned char *value = sqlite3_column_text(statement, index);

	return value != NULL ? xstrdup((const char *)value) : NULL;
}

/* Done with a one-row lookup: 1 when it found the row, 0 when not, -1 on error. */
static int
lookup_end(sqlite3_stmt *statement, int result)
{
	sqlite3_reset(statement);
	sqlite3_clear_bindings(statement);
	if (result == SQLITE_ROW)
		return 1;
	return result == SQLITE_DONE ? 0 : -1;
}

/* Step a write statement to completion; log and return -1 on failure. */
static int
step_done(struct state *state, sqlite3_stmt *statement, const char *what)
{
	int result;

	write_begin(state);
	result = sqlite3_step(statement);

	sqlite3_reset(statement);
	sqlite3_clear_bindings(statement);
	if (result != SQLITE_DONE) {
		log_complain("state.write", "state", "state.error", "op=%s error=%s", what,
		    log_quote(sqlite3_errmsg(state->db)));
		return -1;
	}
	return 0;
}

int
state_feed_load(struct state *state, const char *feed_key, struct feed_record *record)
{
	sqlite3_stmt *statement = state->feed_load;
	int result;

	memset(record, 0, sizeof *record);
	bind_text(statement, 1, feed_key);
	result = sqlite3_step(statement);
	if (result == SQLITE_ROW) {
		record->etag = column_text(statement, 0);
		record->last_modified = column_text(statement, 1);
		record->current_url = column_text(statement, 2);
		record->failures = sqlite3_column_int(statement, 3);
		record->disabled = sqlite3_column_int(statement, 4);
	}
	return lookup_end(statement, result) < 0 ? -1 : 0;
}

int
state_feed_save_validators(struct state *state, const char *feed_key, const char *etag,
    const char *last_modified)
{
	bind_text(state->feed_validators, 1, feed_key);
	bind_text(state->feed_validators, 2, etag);
	bind_text(state->feed_validators, 3, last_modified);
	return step_done(state, state->feed_validators, "feed_validators");
}

int
state_feed_save_health(struct state *state, const char *feed_key, int failures, int disabled,
    const char *current_url)
{
	bind_text(state->feed_health, 1, feed_key);
	sqlite3_bind_int(state->feed_health, 2, failures);
	sqlite3_bind_int(state->feed_health, 3, disabled);
	bind_text(state->feed_health, 4, current_url);
	return step_done(state, state->feed_health, "feed_health");
}

int
state_feed_enable(struct state *state, const char *feed_key)
{
	struct feed_record record;
	int was_disabled;

	if (state_feed_load(state, feed_key, &record) < 0)
		return -1;
	was_disabled = record.disabled;
	if (was_disabled && state_feed_save_health(state, feed_key, 0, 0, record.current_url) < 0)
		was_disabled = -1;
	feed_record_clear(&record);
	return was_disabled;
}

int
state_seen_updated(struct state *state, const char *feed_key, const char *item_id,
    time_t *updated, uint64_t *content_hash)
{
	sqlite3_stmt *statement = state->seen_check;
	int result;

	bind_text(statement, 1, feed_key);
	bind_text(statement, 2, item_id);
	result = sqlite3_step(statement);
	if (updated != NULL)
		*updated = result == SQLITE_ROW ? (time_t)sqlite3_column_int64(statement, 0) : 0;
	if (content_hash != NULL)
		*content_hash = result == SQLITE_ROW ?
		    (uint64_t)sqlite3_column_int64(statement, 1) : 0;
	return lookup_end(statement, result);
}

int
state_seen(struct state *state, const char *feed_key, const char *item_id)
{
	return state_seen_updated(state, feed_key, item_id, NULL, NULL);
}

int
state_mark_seen_updated(struct state *state, const char *feed_key, const char *item_id,
    time_t when, time_t updated, uint64_t content_hash)
{
	bind_text(state->seen_mark, 1, feed_key);
	bind_text(state->seen_mark, 2, item_id);
	sqlite3_bind_int64(state->seen_mark, 3, (sqlite3_int64)when);
	if (updated > 0)
		sqlite3_bind_int64(state->seen_mark, 4, (sqlite3_int64)updated);
	else
		sqlite3_bind_null(state->seen_mark, 4);
	if (content_hash != 0)
		sqlite3_bind_int64(state->seen_mark, 5, (sqlite3_int64)content_hash);
	else
		sqlite3_bind_null(state->seen_mark, 5);
	return step_done(state, state->seen_mark, "seen_mark");
}

int
state_mark_seen(struct state *state, const char *feed_key, const char *item_id, time_t when)
{
	return state_mark_seen_updated(state, feed_key, item_id, when, 0, 0);
}

/* When the expiry called name last ran (expiry_runs), or 0: never, or not readable. */
static time_t
expiry_last(struct state *state, const char *name)
{
	sqlite3_stmt *statement = state->expiry_last;
	time_t done_at = 0;
	int result;

	bind_text(statement, 1, name);
	if ((result = sqlite3_step(statement)) == SQLITE_ROW)
		done_at = (time_t)sqlite3_column_int64(statement, 0);
	lookup_end(statement, result);
	return done_at;
}

/*
 * The seen ids have no index by age: the expiry is a scan of the whole table (about 0.5 s a
 * million ids), done when the last one is a day old or more (or in the future: the clock was
 * set back), so a daemon started often (--once from cron) scans once a day.
 */
long
state_expire_seen(struct state *state, time_t before, time_t now)
{
	time_t last = expiry_last(state, "seen");
	long removed;

	if (last != 0 && last > now - SEEN_EXPIRY_INTERVAL && last <= now)
		return 0;
	sqlite3_bind_int64(state->seen_expire, 1, (sqlite3_int64)before);
	if (step_done(state, state->seen_expire, "seen_expire") < 0)
		return -1;
	removed = (long)sqlite3_changes(state->db);
	bind_text(state->expiry_done, 1, "seen");
	sqlite3_bind_int64(state->expiry_done, 2, (sqlite3_int64)now);
	if (step_done(state, state->expiry_done, "expiry_done") < 0)
		return -1;
	return removed;
}

void
spool_record_clear(struct spool_record *record)
{
	free(record->topic);
	free(record->key);
	free(record->value);
	free(record->headers);
	memset(record, 0, sizeof *record);
}

int
state_spool_append(struct state *state, const char *topic, const char *key, const void *value,
    size_t value_length, const char *headers, time_t when)
{
	bind_text(state->spool_append, 1, topic);
	bind_text(state->spool_append, 2, key);
	sqlite3_bind_blob(state->spool_append, 3, value, (int)value_length, SQLITE_TRANSIENT);
	bind_text(state->spool_append, 4, headers);
	sqlite3_bind_int64(state->spool_append, 5, (sqlite3_int64)when);
	return step_done(state, state->spool_append, "spool_append");
}

int
state_spool_next(struct state *state, long long after, struct spool_record *records, int limit)
{
	sqlite3_stmt *statement = state->spool_next;
	int count = 0, result;

	sqlite3_bind_int64(statement, 1, after);
	sqlite3_bind_int(statement, 2, limit);
	while (count < limit && (result = sqlite3_step(statement)) == SQLITE_ROW) {
		struct spool_record *record = &records[count++];
		const void *blob = sqlite3_column_blob(statement, 3);
		record->sequence = sqlite3_column_int64(statement, 0);
		record->topic = column_text(statement, 1);
		record->key = column_text(statement, 2);
		record->value_length = (size_t)sqlite3_column_bytes(statement, 3);
		record->value = xmalloc(record->value_length + 1);
		if (blob != NULL)
			memcpy(record->value, blob, record->value_length);
		record->value[record->value_length] = '\0';
		record->headers = column_text(statement, 4);
	}
	sqlite3_reset(statement);
	sqlite3_clear_bindings(statement);
	return count;
}

int
state_spool_remove(struct state *state, long long sequence)
{
	sqlite3_bind_int64(state->spool_remove, 1, sequence);
	return step_done(state, state->spool_remove, "spool_remove");
}

int
state_spool_size(struct state *state, long long *rows, long long *bytes)
{
	int result = sqlite3_step(state->spool_size);

	if (result == SQLITE_ROW) {
		*rows = sqlite3_column_int64(state->spool_size, 0);
		*bytes = sqlite3_column_int64(state->spool_size, 1);
	}
	sqlite3_reset(state->spool_size);
	return result == SQLITE_ROW ? 0 : -1;
}

void
page_record_clear(struct page_record *record)
{
	free(record->etag);
	free(record->last_modified);
	free(record->text);
	free(record->method);
	memset(record, 0, sizeof *record);
}

int
state_page_load(struct state *state, const char *url, struct page_record *record)
{
	sqlite3_stmt *statement = state->page_load;
	int result;

	memset(record, 0, sizeof *record);
	bind_text(statement, 1, url);
	result = sqlite3_step(statement);
	if (result == SQLITE_ROW) {
		record->etag = column_text(statement, 0);
		record->last_modified = column_text(statement, 1);
		record->text = column_text(statement, 2);
		record->method = column_text(statement, 3);
		record->words = (long)sqlite3_column_int64(statement, 4);
	}
	return lookup_end(statement, result);
}

int
state_page_save(struct state *state, const char *url, const struct page_record *record,
    time_t when)
{
	sqlite3_stmt *statement = state->page_save;

	bind_text(statement, 1, url);
	bind_text(statement, 2, record->etag);
	bind_text(statement, 3, record->last_modified);
	bind_text(statement, 4, record->text);
	bind_text(statement, 5, record->method);
	sqlite3_bind_int64(statement, 6, (sqlite3_int64)record->words);
	sqlite3_bind_int64(statement, 7, (sqlite3_int64)when);
	return step_done(state, statement, "page_save");
}

long
state_expire_pages(struct state *state, time_t before)
{
	sqlite3_bind_int64(state->page_expire, 1, (sqlite3_int64)before);
	if (step_done(state, state->page_expire, "page_expire") < 0)
		return -1;
	return (long)sqlite3_changes(state->db);
}
