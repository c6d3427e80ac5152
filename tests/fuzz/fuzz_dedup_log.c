/*
 * fuzz_dedup_log.c - libFuzzer target for the reader of our own on-disk record format, the
 * dedup index log (daemon/dedup/store.c: header, then length + XXH32 + payload records). The
 * disk spool is rows of the SQLite state database, which has no reader of ours to fuzz; this
 * log is where a hand-written reader meets bytes from disk.
 *
 * On the first call a valid log of a few committed articles is made. Each input is then laid
 * over a copy of it (XOR, so an empty input leaves the log valid) and anything longer than the
 * log is appended: torn tails, flipped bits, damaged headers, garbage after the end. The log is
 * then opened with dedup_open(), which must replay what is sound and drop the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "article.h"
#include "dedup/dedup.h"
#include "log.h"
#include "util.h"

static char directory[] = "/tmp/wiresift-fuzz-dedup-XXXXXX";
static char path[sizeof directory + 16];
static char *valid_log;
static size_t valid_length;

/* At exit: the temporary directory goes with the log in it. */
static void
remove_directory(void)
{
	unlink(path);
	rmdir(directory);
}

static void
make_valid_log(void)
{
	struct dedup_config config;
	struct dedup_index *index;
	char error[256];

	if (mkdtemp(directory) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/dedup.log", directory);
	atexit(remove_directory);
	dedup_config_defaults(&config);
	config.state_dir = directory;
	if ((index = dedup_open(&config, error, sizeof error)) == NULL)
		abort();
	for (int i = 0; i < 4; i++) {
		struct article *article = article_new();
		char id[33];

		snprintf(id, sizeof id, "%032x", i + 1);
		article_set(&article->id, id);
		article->text = xasprintf("Story %d: the council met on Tuesday to vote on the new "
		    "harbour budget, which sets aside money for the ferry terminal, the fish "
		    "market roof and a cycle lane to the station, after a long debate about %d "
		    "other items on the agenda that evening.", i, i * 7);
		dedup_check(index, article, 1700000000 + i);
		dedup_commit(index, id);
		article_free(article);
	}
	dedup_close(index);
	if ((valid_log = file_read(path, &valid_length)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dedup_config config;
	struct dedup_index *index;
	size_t length;
	char *bytes, error[256];
	FILE *file;

	if (valid_log == NULL) {
		log_init(LOG_LEVEL_ERROR);
		make_valid_log();
	}
	length = size > valid_length ? size : valid_length;
	bytes = xmalloc(length);
	memcpy(bytes, valid_log, valid_length);
	memset(bytes + valid_length, 0, length - valid_length);
	for (size_t i = 0; i < size; i++)
		bytes[i] ^= (char)data[i];
	if ((file = fopen(path, "wb")) == NULL)
		abort();
	fwrite(bytes, 1, length, file);
	fclose(file);
	free(bytes);
	dedup_config_defaults(&config);
	config.state_dir = directory;
	if ((index = dedup_open(&config, error, sizeof error)) != NULL)
		dedup_close(index);
	unlink(path);
	return 0;
}
