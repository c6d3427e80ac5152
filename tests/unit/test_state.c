/*
 * test_state.c - the seen ids' storage in state.c: a database of the old schema (an index of
 * the seen ids by age, seen_by_age) opened by this one loses the index and keeps its ids; the
 * expiry, a scan of the seen table since it has no index, removes what the old indexed query
 * removed (checked against a plain SQLite DELETE on a copy kept beside) and runs at most once
 * a day.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "fixtures.h"
#include "state.h"
#include "util.h"

/* A state database as the schema before this one made it: seen ids indexed by age. */
static void
old_database_make(const char *dir, int ids)
{
	char *path = xasprintf("%s/wiresift.db", dir);
	sqlite3 *db = NULL;

	mkdir(dir, 0750);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE seen (feed TEXT NOT NULL, id TEXT NOT NULL, seen_at INTEGER NOT NULL,"
	    " updated INTEGER, content_hash INTEGER, PRIMARY KEY (feed, id)) WITHOUT ROWID;"
	    "CREATE INDEX seen_by_age ON seen (seen_at);", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	for (int i = 0; i < ids; i++) {
		char *insert = xasprintf("INSERT INTO seen VALUES ('feed-%d', 'id-%d', %d, NULL,"
		    " NULL)", i % 7, i, 1000 + i);
		CHECK(sqlite3_exec(db, insert, NULL, NULL, NULL) == SQLITE_OK);
		free(insert);
	}
	CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

/* The integer one query gives (count(*), say), or -1. */
static long
query_number(const char *dir, const char *sql)
{
	char *path = xasprintf("%s/wiresift.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *statement = NULL;
	long value = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
	    sqlite3_step(statement) == SQLITE_ROW)
		value = (long)sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	sqlite3_close(db);
	free(path);
	return value;
}

static void
test_old_database_loses_the_age_index(void)
{
	char error[256] = "";
	char *dir = xasprintf("%s/old", temp_dir);
	struct state *state;

	old_database_make(dir, 100);
	CHECK(query_number(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'seen_by_age'")
	    == 1);
	state = state_open(dir, error, sizeof error);
	CHECK(state != NULL);
	if (state == NULL) {
		free(dir);
		return;
	}
	CHECK(state_seen(state, "feed-3", "id-3") == 1);
	CHECK(state_seen(state, "feed-3", "id-4") == 0);
	CHECK(state_mark_seen(state, "feed-1", "new", 5000) == 0);
	state_close(state);
	CHECK(query_number(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'seen_by_age'")
	    == 0);
	CHECK(query_number(dir, "SELECT count(*) FROM seen") == 101);
	free(dir);
}

/* Run sql (statements, no result) on dir's database; 0 or -1. */
static int
execute(const char *dir, const char *sql)
{
	char *path = xasprintf("%s/wiresift.db", dir);
	sqlite3 *db = NULL;
	int result = sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;

	sqlite3_close(db);
	free(path);
	return result;
}

/* How many seen ids (with their times) one database holds that the other does not, both
 * ways; -1 on error. */
static long
seen_difference(const char *dir, const char *reference)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM (SELECT feed, id, seen_at FROM"
	    " main.seen EXCEPT SELECT feed, id, seen_at FROM reference.seen)) + (SELECT count(*)"
	    " FROM (SELECT feed, id, seen_at FROM reference.seen EXCEPT SELECT feed, id, seen_at"
	    " FROM main.seen))";
	char *attach = xasprintf("ATTACH '%s/wiresift.db' AS reference", reference);
	char *path = xasprintf("%s/wiresift.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *statement = NULL;
	long difference = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, attach, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
	    sqlite3_step(statement) == SQLITE_ROW)
		difference = (long)sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	sqlite3_close(db);
	free(attach);
	free(path);
	return difference;
}

/*
 * The expiry against the plain reference: the same ids in a second database with the old
 * index, expired there by the old query (DELETE ... WHERE seen_at < before); both keep the
 * same ids. Then the daily gate: within a day of the last run nothing is scanned.
 */
static void
test_expiry_matches_the_indexed_delete(void)
{
	char error[256] = "";
	char *dir = xasprintf("%s/expiry", temp_dir);
	char *reference = xasprintf("%s/reference", temp_dir);
	struct state *state;
	const time_t day = 86400;

	old_database_make(dir, 500);
	old_database_make(reference, 500);
	state = state_open(dir, error, sizeof error);
	CHECK(state != NULL);
	if (state == NULL)
		goto done;
	CHECK(state_expire_seen(state, 1250, 10 * day) == 250);
	CHECK(state_seen(state, "feed-4", "id-249") == 0);
	CHECK(state_seen(state, "feed-5", "id-250") == 1);
	/* within a day of the last run: nothing removed */
	CHECK(state_expire_seen(state, 1400, 10 * day + day - 1) == 0);
	CHECK(state_seen(state, "feed-6", "id-300") == 1);
	/* a day later it runs again, and so it does when the clock was set back */
	CHECK(state_expire_seen(state, 1300, 11 * day) == 50);
	CHECK(state_expire_seen(state, 1310, 5 * day) == 10);
	state_close(state);
	CHECK(execute(reference, "DELETE FROM seen WHERE seen_at < 1310") == 0);
	CHECK(query_number(dir, "SELECT count(*) FROM seen") == 190);
	CHECK(seen_difference(dir, reference) == 0);
done:
	free(dir);
	free(reference);
}

int
main(void)
{
	if (temp_dir_make("state") != 0)
		return 1;
	RUN(test_old_database_loses_the_age_index);
	RUN(test_expiry_matches_the_indexed_delete);
	temp_dir_remove();
	return check_finish();
}
