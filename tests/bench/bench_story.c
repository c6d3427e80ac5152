/*
 * bench_story.c - throughput and memory of the story stage with 1,000,000 articles in one
 * window (BENCH_QUICK=1: 100,000).
 *
 * Articles are generated here: a vocabulary of 40,000 invented words drawn with Zipf
 * frequencies, events with a dozen words, three named entities (unique to the event) and two
 * figures of their own,
 * each written up about three times (a new event one article in three, else one of the 2,000
 * most recent), 150 words of text and a title. Their times spread evenly over the 72-hour
 * window, so at the end every article is in it. Timed in thread CPU time: feature extraction
 * (what a worker does, story_extract_article) and assignment (the loop thread, story_assign),
 * each alone and together, as articles per second on one core. Memory: the index's own count
 * of bytes (story_memory) and the heap's growth (mallinfo2; glibc malloc in benchmarks), per
 * article in the window; the stories array is a mapping of its own, not in the heap
 * (index.c, slots_resize), so the heap's figure leaves it out and story_memory counts it.
 * And a checksum of the assignments (each article's story id, story size and score,
 * FNV-1a), which a change meant to be faster only must leave as it was.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "story/story_internal.h"
#include "util.h"
#include "clock.h"

#define VOCABULARY	40000
#define EVENT_WORDS	12
#define RECENT_EVENTS	2000
#define TEXT_WORDS	150
#define TITLE_WORDS	8
#define WINDOW		(72 * 3600)

struct event {
	uint32_t	 words[EVENT_WORDS];
	char		 names[3][32];
	int		 numbers[2];
};

static char words[VOCABULARY][12];
static double cumulative[VOCABULARY];

/* Fold the article's verdict into the assignments' checksum (FNV-1a over its bytes). */
static uint64_t
checksum_add(uint64_t sum, const struct article *article)
{
	const char *id = article->story.id ? article->story.id : "";
	uint8_t fields[sizeof article->story.size + sizeof article->story.score];

	memcpy(fields, &article->story.size, sizeof article->story.size);
	memcpy(fields + sizeof article->story.size, &article->story.score,
	    sizeof article->story.score);
	for (size_t i = 0; id[i] != '\0'; i++)
		sum = (sum ^ (uint8_t)id[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < sizeof fields; i++)
		sum = (sum ^ fields[i]) * 0x100000001b3ULL;
	return sum;
}

static size_t
heap_in_use(void)
{
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
}

static void
make_vocabulary(unsigned *seed)
{
	double total = 0;

	for (int i = 0; i < VOCABULARY; i++) {
		int length = 4 + rand_r(seed) % 7;

		for (int c = 0; c < length; c++)
			words[i][c] = (char)('a' + rand_r(seed) % 26);
		words[i][length] = '\0';
		total += 1.0 / (i + 1);
		cumulative[i] = total;
	}
	for (int i = 0; i < VOCABULARY; i++)
		cumulative[i] /= total;
}

static uint32_t
zipf_word(unsigned *seed)
{
	double x = (double)rand_r(seed) / RAND_MAX;
	uint32_t low = 0, high = VOCABULARY - 1;

	while (low < high) {
		uint32_t middle = (low + high) / 2;

		if (cumulative[middle] < x)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

static void
make_event(struct event *event, size_t number, unsigned *seed)
{
	static const char *const first[] = { "Ada", "Boris", "Carla", "Dmitri", "Elena", "Farid",
	    "Greta", "Hugo", "Irina", "Jonas", "Kira", "Luca" };

	for (int i = 0; i < EVENT_WORDS; i++)
		event->words[i] = 2000 + (uint32_t)(rand_r(seed) % (VOCABULARY - 2000));
	/* names of its own: a vocabulary word and the event's number in letters */
	for (int i = 0; i < 3; i++) {
		char suffix[8];
		size_t n = number * 3 + (size_t)i, length = 0;

		do {
			suffix[length++] = (char)('a' + n % 26);
			n /= 26;
		} while (n > 0 && length < sizeof suffix - 1);
		suffix[length] = '\0';
		snprintf(event->names[i], sizeof event->names[i], "%s %s%s%s",
		    first[rand_r(seed) % 12], words[rand_r(seed) % VOCABULARY], suffix,
		    i == 1 ? " City" : "");
	}
	event->numbers[0] = 10 + rand_r(seed) % 5000;
	event->numbers[1] = 10 + rand_r(seed) % 5000;
}

static void
append_word(struct buffer *out, const char *word)
{
	if (out->length > 0)
		buffer_append(out, " ", 1);
	buffer_append_string(out, word);
}

static struct article *
make_article(const struct event *event, size_t number, time_t when, unsigned *seed)
{
	struct article *article = article_new();
	struct buffer title = { 0 }, text = { 0 };
	char figure[16];

	for (int i = 0; i < TITLE_WORDS; i++)
		append_word(&title, words[i % 2 ? zipf_word(seed) :
		    event->words[rand_r(seed) % EVENT_WORDS]]);
	for (int i = 0; i < TEXT_WORDS; i++) {
		if (i % 40 == 7) {
			snprintf(figure, sizeof figure, "%d", event->numbers[i % 2]);
			append_word(&text, figure);
		} else if (i % 30 == 3)
			append_word(&text, event->names[rand_r(seed) % 3]);
		else
			append_word(&text, words[rand_r(seed) % 5 == 0 ?
			    event->words[rand_r(seed) % EVENT_WORDS] : zipf_word(seed)]);
	}
	article->id = xasprintf("%016llx", (unsigned long long)number * 0x9E3779B97F4A7C15ULL);
	article->source_name = xasprintf("Outlet %u", rand_r(seed) % 200);
	article->title = buffer_steal(&title);
	article->text = buffer_steal(&text);
	article->published = when;
	article->fetched = when + 60;
	article_add_entity(article, event->names[0], "person", 2);
	article_add_entity(article, event->names[1], "place", 2);
	article_add_entity(article, event->names[2], "other", 1);
	return article;
}

int
main(void)
{
	const char *quick = getenv("BENCH_QUICK");
	size_t count = quick && *quick && strcmp(quick, "0") ? 100000 : 1000000;
	unsigned seed = 15;
	struct story_config config;
	struct story_index *index;
	struct story_extractor *extractor = story_extractor_new();
	struct event *events = xcalloc(count, sizeof *events);
	size_t event_count = 0, heap_before;
	double extract = 0, assign = 0, started;
	uint64_t checksum = 0xcbf29ce484222325ULL;
	char error[256];

	make_vocabulary(&seed);
	story_config_defaults(&config);
	malloc_trim(0);
	heap_before = heap_in_use();
	if ((index = story_open(&config, error, sizeof error)) == NULL) {
		fprintf(stderr, "bench_story: %s\n", error);
		return 1;
	}
	for (size_t i = 0; i < count; i++) {
		size_t which;
		struct article *article;

		if (event_count == 0 || rand_r(&seed) % 3 == 0) {
			make_event(&events[event_count], event_count, &seed);
			which = event_count++;
		} else
			which = event_count - 1 - rand_r(&seed) % (event_count < RECENT_EVENTS ?
			    event_count : RECENT_EVENTS);
		article = make_article(&events[which], i, (time_t)(1780000000 +
		    (double)i * WINDOW / count), &seed);
		started = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
		story_extract_article(extractor, article);
		extract += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
		started = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
		story_assign(index, article);
		assign += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
		checksum = checksum_add(checksum, article);
		article_free(article);
	}
	malloc_trim(0);
	printf("stories.bench articles=%zu window_articles=%zu open_stories=%zu events=%zu "
	    "extract_per_s=%.0f assign_per_s=%.0f stage_per_s=%.0f index_bytes_per_article=%.0f "
	    "heap_bytes_per_article=%.0f assign_checksum=%016llx\n", count, story_article_count(index), story_count(index),
	    event_count, count / extract, count / assign, count / (extract + assign),
	    (double)story_memory(index) / story_article_count(index),
	    (double)(heap_in_use() - heap_before) / story_article_count(index),
	    (unsigned long long)checksum);
	story_close(index);
	story_extractor_free(extractor);
	free(events);
	return 0;
}
