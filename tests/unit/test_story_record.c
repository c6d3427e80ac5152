/*
 * test_story_record.c - story_record_encode() (daemon/story/store.c), which writes a join's
 * record into one allocation of its exact size, against the buffer-appending encoder it
 * replaced (kept here as the reference): the same bytes for 3,000 random records, with and
 * without a headline, strings past their clamps (id, outlet and headline at 65,534 bytes, an
 * entity's type at 13 and name at 255), no weights or entities and many. test_story's store
 * tests read the records back through the log. And a log of its header alone, reopened: no
 * record, so no time to start the window from (its start was INT64_MIN minus the window, an
 * overflow UBSan stopped the daemon on at a restart: make asan runs this test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include "check.h"
#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "xorshift.h"
#include "story/story_internal.h"
#include "util.h"

static size_t
reference_clamp(const char *text, size_t limit)
{
	size_t length = text != NULL ? strlen(text) : 0;

	return length < limit ? length : limit;
}

/* The encoder as it was: field by field through buffer_append. */
static uint8_t *
reference_encode(const struct story_record *record, size_t *length)
{
	struct buffer out = { 0 };
	uint16_t fixed[6] = { (uint16_t)reference_clamp(record->article_id, 65534),
	    (uint16_t)reference_clamp(record->outlet, 65534), record->headline != NULL ?
	    (uint16_t)reference_clamp(record->headline, 65534) : 0xffff,
	    (uint16_t)record->weight_count, (uint16_t)record->entity_count, 0 };
	uint32_t payload, check;

	buffer_append(&out, "\0\0\0\0\0\0\0\0", 8);
	buffer_append(&out, &record->time, 8);
	buffer_append(&out, &record->story_key, 8);
	buffer_append(&out, fixed, sizeof fixed);
	for (uint32_t i = 0; i < record->weight_count; i++) {
		buffer_append(&out, &record->weights[i].key, 8);
		buffer_append(&out, &record->weights[i].weight, 4);
	}
	for (uint32_t i = 0; i < record->entity_count; i++) {
		uint8_t lengths[2] = { (uint8_t)reference_clamp(record->entities[i].type, 13),
		    (uint8_t)reference_clamp(record->entities[i].name, 255) };

		buffer_append(&out, &record->entities[i].count, 2);
		buffer_append(&out, lengths, 2);
		buffer_append(&out, record->entities[i].type, lengths[0]);
		buffer_append(&out, record->entities[i].name, lengths[1]);
	}
	buffer_append(&out, record->article_id, fixed[0]);
	buffer_append(&out, record->outlet, fixed[1]);
	if (record->headline != NULL)
		buffer_append(&out, record->headline, fixed[2]);
	payload = (uint32_t)(out.length - 8);
	check = XXH32(out.data + 8, payload, 0);
	memcpy(out.data, &payload, 4);
	memcpy(out.data + 4, &check, 4);
	*length = out.length;
	return (uint8_t *)buffer_steal(&out);
}

/* A string of letters, mostly short, now and then past the longest clamp. */
static char *
random_text(void)
{
	size_t length = next_random(20) == 0 ? 65530 + next_random(20) : next_random(300);
	char *text = xmalloc(length + 1);

	for (size_t i = 0; i < length; i++)
		text[i] = (char)('a' + next_random(26));
	text[length] = '\0';
	return text;
}

static void
test_encode_matches_reference(void)
{
	for (int round = 0; round < 3000; round++) {
		struct story_weight weights[64];
		struct story_entity_name entities[8];
		struct story_record record = { .time = (int64_t)next_random(1u << 31) << 8,
		    .story_key = ((uint64_t)next_random(1u << 31) << 33) ^ next_random(1u << 30),
		    .weights = weights, .weight_count = next_random(65),
		    .entities = entities, .entity_count = next_random(9) };
		char *id = random_text(), *outlet = random_text(), *headline = random_text();
		uint8_t *mine, *theirs;
		size_t mine_length, theirs_length;

		record.article_id = id;
		record.outlet = outlet;
		record.headline = next_random(3) == 0 ? NULL : headline;
		for (uint32_t i = 0; i < record.weight_count; i++)
			weights[i] = (struct story_weight){ ((uint64_t)next_random(1u << 31) << 32) |
			    next_random(1u << 31), (float)next_random(100000) / 997.0f, i };
		for (uint32_t i = 0; i < record.entity_count; i++) {
			size_t type_length = next_random(14);

			entities[i].name = random_text();
			memset(entities[i].type, 'T', type_length);
			entities[i].type[type_length] = '\0';
			entities[i].count = (uint16_t)next_random(65536);
		}
		mine = story_record_encode(&record, &mine_length);
		theirs = reference_encode(&record, &theirs_length);
		CHECK(mine_length == theirs_length);
		CHECK(mine_length == theirs_length && memcmp(mine, theirs, mine_length) == 0);
		free(mine);
		free(theirs);
		for (uint32_t i = 0; i < record.entity_count; i++)
			free(entities[i].name);
		free(id);
		free(outlet);
		free(headline);
	}
}

static void
count_replayed(const struct story_record *record, void *context)
{
	(void)record;
	(*(int *)context)++;
}

/* A stories log of its header alone (a daemon stopped before its first join) opens again. */
static void
test_header_only_log_reopens(void)
{
	char directory[] = "/tmp/wiresift-test-story-store-XXXXXX", error[256], *path;
	struct story_store *store;
	int replayed = 0;

	CHECK(mkdtemp(directory) != NULL);
	for (int open = 0; open < 2; open++) {
		store = story_store_open(directory, 72 * 3600, count_replayed, &replayed, error,
		    sizeof error);
		CHECK(store != NULL);
		story_store_close(store);
	}
	CHECK(replayed == 0);
	path = xasprintf("%s/stories.log", directory);
	CHECK(unlink(path) == 0 && rmdir(directory) == 0);
	free(path);
}

int
main(void)
{
	RUN(test_encode_matches_reference);
	RUN(test_header_only_log_reopens);
	return check_finish();
}
