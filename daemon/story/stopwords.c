/*
 * stopwords.c - the stop words of the story features (stopwords.h): the list, and the set and
 * Bloom filter it is filled into once.
 */
#include <pthread.h>
#include <string.h>

#include "stopwords.h"

static const char *const stop_words[] = {
	"a", "about", "after", "again", "against", "all", "also", "an", "and", "any", "are",
	"around", "as", "at", "be", "because", "been", "before", "being", "between", "both",
	"but", "by", "can", "could", "did", "do", "does", "during", "each", "early", "for",
	"from", "further", "had", "has", "have", "having", "he", "her", "here", "him", "his",
	"how", "i", "if", "in", "into", "is", "it", "its", "just", "last", "late", "later",
	"least", "less", "like", "made", "make", "many", "may", "me", "might", "more", "most",
	"much", "must", "my", "new", "news", "no", "nor", "not", "now", "of", "off", "on",
	"once", "one", "only", "or", "other", "our", "out", "over", "own", "per", "report",
	"reported", "reports", "said", "same", "say", "saying", "says", "she", "should", "since",
	"so", "some", "still", "such", "than", "that", "the", "their", "them", "then", "there",
	"these", "they", "this", "those", "though", "three", "through", "to", "told", "too",
	"two", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "week", "were",
	"what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
	"within", "without", "would", "year", "years", "yet", "you", "your", "according",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"today", "yesterday", "tomorrow", "first", "four", "five", "six", "seven", "eight",
	"nine", "ten", "another", "even", "get", "got", "go", "going", "well", "way", "back",
	"day", "days", "time", "people", "took", "take", "taken", "make", "told", "added",
};

struct name16 story_stop_set[STOP_SLOTS];
uint64_t story_stop_bloom[STOP_BLOOM_BITS / 64];
static pthread_once_t stop_set_once = PTHREAD_ONCE_INIT;

/* Words are looked up folded ("reports" -> "report"): the set holds the folded forms. */
static void
stop_set_fill(void)
{
	for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++) {
		char folded[STOP_BYTES] = { 0 };
		size_t length = strlen(stop_words[i]);
		struct name16 key;
		uint64_t hash;
		size_t slot, bit;

		memcpy(folded, stop_words[i], length);
		length = fold_plural(folded, length);
		key = stop_key(folded, length);
		hash = stop_hash(key);
		slot = (size_t)(hash >> (64 - STOP_SLOT_BITS));
		while (story_stop_set[slot].head != 0 && (story_stop_set[slot].head != key.head ||
		    story_stop_set[slot].tail != key.tail))
			slot = (slot + 1) & (STOP_SLOTS - 1);
		story_stop_set[slot] = key;
		bit = (size_t)(hash >> 20) & (STOP_BLOOM_BITS - 1);
		story_stop_bloom[bit / 64] |= (uint64_t)1 << (bit % 64);
		bit = (size_t)(hash >> 33) & (STOP_BLOOM_BITS - 1);
		story_stop_bloom[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
}

void
story_stop_words_init(void)
{
	pthread_once(&stop_set_once, stop_set_fill);
}
