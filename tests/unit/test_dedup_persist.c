/*
 * test_dedup_persist.c - the dedup index across time and restarts: commits kept across close
 * and reopen, a SIGKILL before a flush, a corrupt or torn log tail, expiry and compaction of
 * the log, the window's expiry and bounded memory, and config errors. The verdict tests are
 * test_dedup.c's; the helpers both use are dedup_helpers.h.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "dedup/dedup.h"

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "dedup_helpers.h"

/* ---- persistence ---- */

static char *
temporary_directory(void)
{
	char template[] = "/tmp/wiresift-dedup-XXXXXX";

	if (mkdtemp(template) == NULL)
		return NULL;
	return xstrdup(template);
}

static void
remove_directory(char *directory)
{
	char *log = xasprintf("%s/dedup.log", directory);

	unlink(log);
	free(log);
	rmdir(directory);
	free(directory);
}

static off_t
file_size(const char *directory)
{
	char *log = xasprintf("%s/dedup.log", directory);
	struct stat status;
	off_t size = stat(log, &status) == 0 ? status.st_size : -1;

	free(log);
	return size;
}

static void
test_persistence_commit_and_reopen(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	char *council_copy;
	struct paragraphs list;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	paragraphs_split(&list, story_council);
	council_copy = paragraphs_join(&list, 0, list.count - 1, "\n\n", "By Staff Reporter",
	    SIZE_MAX, NULL);

	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(judged_as(index, "c0ffee01", story_ferry, now, NULL));
	CHECK(judged_as(index, "c0ffee02", story_council, now, NULL));
	CHECK(judged_as(index, "short-1", "Ferry terminal reopens on Friday.", now, NULL));
	dedup_commit(index, "c0ffee01");
	dedup_commit(index, "short-1");
	dedup_commit(index, "no-such-id");	/* ignored */
	/* c0ffee02 is never delivered: it must not survive a restart. */
	dedup_close(index);

	index = open_index(directory, 0);
	CHECK(dedup_size(index) == 2);
	CHECK(judged_as(index, "copy-of-ferry", story_ferry_other_outlet, now + 5, NULL));
	{
		char *variants[8];
		const char *names[8];
		size_t made = make_variants(story_ferry, variants, names);

		CHECK(judged_as(index, "ferry-after-restart", variants[2], now + 5, "c0ffee01"));
		for (size_t i = 0; i < made; i++)
			free(variants[i]);
	}
	CHECK(judged_as(index, "short-2", "ferry terminal REOPENS on Friday", now + 5, "short-1"));
	CHECK(judged_as(index, "council-after-restart", council_copy, now + 5, NULL));
	dedup_close(index);

	free(council_copy);
	paragraphs_free(&list);
	remove_directory(directory);
}

static void
test_persistence_sigkill(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	int status = 0;
	pid_t child;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	fflush(NULL);
	child = fork();
	if (child == 0) {
		index = open_index(directory, 0);
		if (index == NULL)
			_exit(2);
		if (!judged_as(index, "deadbeef", story_council, now, NULL))
			_exit(3);
		dedup_commit(index, "deadbeef");
		dedup_flush(index);
		judged_as(index, "uncommitted", story_ferry, now, NULL);
		judged_as(index, "committed-not-flushed", story_ferry_other_outlet, now, NULL);
		dedup_commit(index, "committed-not-flushed");
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	CHECK(child > 0);
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	index = open_index(directory, 0);
	CHECK(dedup_size(index) == 1);
	{
		char *copy = with_typos(story_council, 3, 5);

		CHECK(judged_as(index, "council-copy", copy, now + 1, "deadbeef"));
		free(copy);
	}
	CHECK(judged_as(index, "ferry-again", story_ferry, now + 1, NULL));
	/* Committed but never flushed: lost with the process, so judged afresh. */
	CHECK(judged_as(index, "other-outlet-again", story_ferry_other_outlet, now + 1, NULL));
	dedup_close(index);
	remove_directory(directory);
}

static void
append_bytes(const char *directory, const void *bytes, size_t length)
{
	char *log = xasprintf("%s/dedup.log", directory);
	int fd = open(log, O_WRONLY | O_APPEND);

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, bytes, length) == (ssize_t)length);
		close(fd);
	}
	free(log);
}

static void
truncate_log(const char *directory, off_t size)
{
	char *log = xasprintf("%s/dedup.log", directory);

	CHECK(truncate(log, size) == 0);
	free(log);
}

static void
test_persistence_corrupt_tail(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	off_t after_first, after_second;
	static const unsigned char garbage[] = { 0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	index = open_index(directory, 0);
	CHECK(judged_as(index, "0001", story_ferry, now, NULL));
	dedup_commit(index, "0001");
	CHECK(file_size(directory) == 32);	/* queued: only the header is written */
	dedup_flush(index);
	after_first = file_size(directory);
	CHECK(judged_as(index, "0002", story_council, now, NULL));
	dedup_commit(index, "0002");
	dedup_flush(index);
	after_second = file_size(directory);
	CHECK(after_second > after_first);
	dedup_close(index);

	/* A torn last record (cut mid-way) is dropped; the first one survives. */
	truncate_log(directory, after_second - 20);
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 1);
	CHECK(file_size(directory) == after_first);
	CHECK(judged_as(index, "0003", story_council, now + 1, NULL));
	dedup_commit(index, "0003");
	dedup_close(index);

	/* Garbage after valid records: dropped, and appends after it stay readable. */
	append_bytes(directory, garbage, sizeof garbage);
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 2);
	CHECK(judged_as(index, "0004", story_council, now + 2, "0003"));
	dedup_close(index);

	/* A flipped byte inside a record fails its checksum: that record and the rest go. */
	{
		char *log = xasprintf("%s/dedup.log", directory);
		int fd = open(log, O_RDWR);
		unsigned char byte = 0;

		CHECK(fd >= 0);
		CHECK(pread(fd, &byte, 1, after_first + 60) == 1);
		byte ^= 0x55;
		CHECK(pwrite(fd, &byte, 1, after_first + 60) == 1);
		close(fd);
		free(log);
	}
	index = open_index(directory, 0);
	CHECK(index != NULL);
	CHECK(dedup_size(index) == 1);
	dedup_close(index);

	/* Other sketch settings cannot use the log: start afresh, do not fail. */
	{
		struct dedup_config config;
		char error[256];

		dedup_config_defaults(&config);
		config.state_dir = directory;
		config.signature_size = 64;
		config.bands = 16;
		index = dedup_open(&config, error, sizeof error);
		CHECK(index != NULL);
		CHECK(index != NULL && dedup_size(index) == 0);
		dedup_close(index);
	}
	remove_directory(directory);
}

/* Judge and commit `count` random one-paragraph documents at time when. */
static void
judge_and_commit(struct dedup_index *index, int first_number, int count, time_t when)
{
	for (int i = first_number; i < first_number + count; i++) {
		char id[32];
		char *document = random_document(1, 40);
		struct article *article;

		snprintf(id, sizeof id, "%08x", i);
		article = judge(index, id, document, when);
		CHECK(article->dedup.status == DEDUP_UNIQUE);
		dedup_commit(index, id);
		article_free(article);
		free(document);
	}
}

static void
test_persistence_expiry_and_compaction(void)
{
	char *directory = temporary_directory();
	struct dedup_index *index;
	time_t now = time(NULL);
	long long window = 3600;
	off_t full, compacted, full_at_start;

	CHECK(directory != NULL);
	if (directory == NULL)
		return;
	/* At start-up: 100 recent entries and 2000 from two windows ago. */
	index = open_index(directory, window);
	judge_and_commit(index, 0, 100, now - 10);
	judge_and_commit(index, 100, 2000, now - 2 * window);
	full = full_at_start = file_size(directory);
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 100);
	compacted = file_size(directory);
	CHECK(compacted < full / 10);	/* most of it had expired */
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 100);
	CHECK(file_size(directory) == compacted);

	/* At run time: once the old generations go, the log is rewritten without them. */
	judge_and_commit(index, 3000, 2000, now - 10);
	full = file_size(directory);
	judge_and_commit(index, 6000, 1, now + 2 * window);
	CHECK(file_size(directory) < full / 10);
	dedup_close(index);
	index = open_index(directory, window);
	CHECK(dedup_size(index) == 1);
	dedup_close(index);
	printf("compaction: %lld bytes of log down to %lld at start-up\n",
	    (long long)full_at_start, (long long)compacted);
	remove_directory(directory);
}

static void
test_window_expiry(void)
{
	struct dedup_index *index = open_index(NULL, 3600);
	time_t start = 1750000000;
	size_t largest = 0;
	char *copy = with_typos(story_ferry, 2, 9);

	CHECK(judged_as(index, "ferry", story_ferry, start, NULL));
	CHECK(judged_as(index, "copy-in-window", copy, start + 3000, "ferry"));
	/* Past the window of the original, the copy still matches the copy seen since and the
	 * group keeps the first article's id; once both are old, nothing matches. */
	CHECK(judged_as(index, "copy-after-window", copy, start + 3601, "ferry"));
	CHECK(judged_as(index, "copy-much-later", copy, start + 3 * 3600, NULL));
	CHECK(dedup_size(index) <= 2);

	/* A steady stream: the index holds at most a window and a slice of it. */
	for (int i = 0; i < 20000; i++) {
		char id[32];
		char *document = random_document(1, 35);
		struct article *article;

		snprintf(id, sizeof id, "stream-%d", i);
		article = judge(index, id, document, start + 4 * 3600 + i);
		article_free(article);
		free(document);
		if (dedup_size(index) > largest)
			largest = dedup_size(index);
	}
	printf("window: 20000 articles at 1/s through a 3600 s window, at most %zu held\n",
	    largest);
	CHECK(largest <= 3600 + 3600 / 8 + 1);
	CHECK(dedup_size(index) >= 3600);
	free(copy);
	dedup_close(index);
}

static void
test_config_errors(void)
{
	struct dedup_config config;
	char error[256] = "";

	dedup_config_defaults(&config);
	CHECK(config.shingle_size == 5 && config.signature_size == 128 && config.bands == 16);
	CHECK(config.threshold == 0.5 && config.containment_threshold == 0.8);
	CHECK(config.min_words == 30 && config.window_seconds == 72 * 3600);
	CHECK(config.policy == DEDUP_POLICY_ROUTE && config.state_dir == NULL);
	config.bands = 24;
	CHECK(dedup_open(&config, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "bands");
	dedup_config_defaults(&config);
	config.state_dir = "/proc/wiresift-no-such-dir/x";
	CHECK(dedup_open(&config, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "state_dir");
}

int
main(void)
{
	log_init(getenv("TEST_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	RUN(test_persistence_commit_and_reopen);
	RUN(test_persistence_sigkill);
	RUN(test_persistence_corrupt_tail);
	RUN(test_persistence_expiry_and_compaction);
	RUN(test_window_expiry);
	RUN(test_config_errors);
	return check_finish();
}
