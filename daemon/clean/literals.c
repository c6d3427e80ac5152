/*
 * literals.c - prefilter_passes(): could a pattern of the rules match a paragraph at all? (Most
 * paragraphs rule most patterns out without regexec.) A "contains" set whose strings' rarest
 * bytes are few (ANCHOR_BYTES: "(", "C R K" for "Continue reading" / "Read more" ...) is
 * searched on its own, when a rule asks: memchr for one anchor byte, else 16 bytes at a time
 * with SSE2, each anchor found checked against the strings anchored there. Where a rarest
 * byte would be a common letter (" appeared first on " by "p", ~70 false hits an article),
 * the strings are anchored at their rarest two bytes in a row ("pp") instead, compared 16
 * positions at a time the same way. The other sets (and builds without SSE2) share an index
 * of their literals by their first bytes, found in one pass over the paragraph the first
 * time one of them is asked. Each set keeps every string's anchor byte and first four bytes
 * inline, so that a string is ruled out without reading its length and bytes (cold lines on
 * the workers, where the other stages run between two articles).
 *
 * Measured on bench_clean's article corpus (50 feeds x 20 articles of 600-900 words), the
 * index alone cost ~72K instructions an article in clean_article's ~194K; with the anchored
 * sets clean_article costs ~159K. Hyperscan (hs_compile_lit_multi, one block scan of all
 * literals per paragraph) cost more than the index: ~305K an article in clean_article and
 * 54-63 us against 37-41 us of CPU in the same run, the rules' literals being short and
 * common (" is a ", ", ") and the paragraphs short.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clean_internal.h"

static int
bit_is_set(const uint8_t *bits, unsigned bit)
{
	return (bits[bit >> 3] & (1u << (bit & 7))) != 0;
}

/* The key a literal of two bytes or more is filed under (folded): pair or TRIPLE_KEY. */
static unsigned
literal_key(const struct literal_index *index, const unsigned char *text, size_t length)
{
	unsigned first = index->fold[text[0]], second = index->fold[text[1]];

	return length == 2 ? first << 8 | second :
	    TRIPLE_KEY(first, second, (unsigned)index->fold[text[2]]);
}

/* Does the literal id occur at text[at...]? Its first bytes are known to match folded. */
static int
literal_at(const struct literal_index *index, size_t id, const unsigned char *text,
    size_t length, size_t at)
{
	const unsigned char *literal = (const unsigned char *)index->texts[id];
	size_t literal_length = index->lengths[id];

	if (literal_length > length - at)
		return 0;
	if (!index->ignore_case[id])
		return memcmp(text + at, literal, literal_length) == 0;
	for (size_t i = 0; i < literal_length; i++)
		if (index->fold[text[at + i]] != literal[i])
			return 0;
	return 1;
}

/* Mark in present[] the literals filed under key that occur at text[at...]. */
static void
literal_bucket_scan(const struct literal_index *index, unsigned key, const unsigned char *text,
    size_t length, size_t at, unsigned char *present)
{
	unsigned bucket = START_BUCKET(key);

	for (size_t k = index->bucket_start[bucket]; k < index->bucket_start[bucket + 1]; k++)
		if (!present[index->start_ids[k]])
			present[index->start_ids[k]] = literal_at(index, index->start_ids[k], text,
			    length, at);
}

static void
single_scan(const struct literal_index *index, unsigned byte, const unsigned char *text,
    size_t length, size_t at, unsigned char *present)
{
	for (size_t k = index->single_start[byte]; k < index->single_start[byte + 1]; k++)
		if (!present[index->single_ids[k]])
			present[index->single_ids[k]] = literal_at(index, index->single_ids[k], text,
			    length, at);
}

/* The two bytes at text as pair_raw files them: first | second << 8. */
static inline unsigned
pair_at(const unsigned char *text)
{
	uint16_t pair;

	memcpy(&pair, text, sizeof pair);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	pair = (uint16_t)(pair >> 8 | pair << 8);
#endif
	return pair;
}

/* Mark in present[] (by id) the literals of the index that occur in text. */
static void
literal_index_scan(const struct literal_index *index, const unsigned char *text, size_t length,
    unsigned char *present)
{
	const uint8_t *pair_raw = index->pair_raw;

	if (length == 0)
		return;
	for (size_t at = 0; at + 1 < length; at++) {
		unsigned first, second, key, starts;

		/* most pairs start nothing: one look-up of the two bytes as they are, read as
		 * one 16-bit load (pair_raw is filed by first | second << 8: little-endian) */
		if (pair_raw[pair_at(text + at)] == 0)
			continue;
		first = index->fold[text[at]];
		second = index->fold[text[at + 1]];
		starts = index->pair_starts[key = first << 8 | second];
		if (starts & PAIR_SINGLE)
			single_scan(index, first, text, length, at, present);
		if (starts & PAIR_LITERAL)
			literal_bucket_scan(index, key, text, length, at, present);
		if ((starts & PAIR_PREFIX) && at + 2 < length && bit_is_set(index->triple_used,
		    key = TRIPLE_KEY(first, second, (unsigned)index->fold[text[at + 2]])))
			literal_bucket_scan(index, key, text, length, at, present);
	}
	single_scan(index, index->fold[text[length - 1]], text, length, length - 1,
	    present);	/* the last byte */
}

void
filter_text_set(struct filter_text *view, const char *text, size_t length)
{
	view->text = text;
	view->length = length;
	view->scanned = 0;
}

void
filter_text_free(struct filter_text *view)
{
	free(view->present);
}

static void
filter_text_scan(struct filter_text *view)
{
	if (view->present == NULL)
		view->present = xmalloc(view->index->count + 1);
	memset(view->present, 0, view->index->count + 1);
	literal_index_scan(view->index, (const unsigned char *)view->text, view->length,
	    view->present);
	view->scanned = 1;
}

/* tolower() of the C locale (wiresift never calls setlocale), inline. */
static inline unsigned char
fold_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * The first HEAD_BYTES bytes of text at `at` as a set's heads hold them (folded when
 * ignoring case), NUL-padded past the end; *available gets how many are the text's.
 */
static inline uint32_t
text_head(const unsigned char *text, size_t length, size_t at, int ignore_case,
    size_t *available)
{
	unsigned char head[HEAD_BYTES] = { 0 };
	size_t count = length - at < HEAD_BYTES ? length - at : HEAD_BYTES;
	uint32_t value, low, upper;

	memcpy(head, text + at, count);
	memcpy(&value, head, sizeof value);
	*available = count;
	if (!ignore_case)
		return value;
	/* 0x20 added to each byte in 'A'-'Z' (0x80-0xFF are not: high bits masked off) */
	low = value & 0x7f7f7f7fu;
	upper = (low + 0x3f3f3f3fu) & ~(low + 0x25252525u) & ~value & 0x80808080u;
	return value + (upper >> 2);
}

/* Does string k of the set, whose head_lengths[k] bytes are available, have this head? */
static inline int
head_matches(const struct literal_set *set, size_t k, uint32_t head, size_t available)
{
	size_t length = set->head_lengths[k];
	unsigned char mask_bytes[HEAD_BYTES] = { 0 };
	uint32_t mask;

	if (length > available)
		return 0;	/* the string is longer than what is left of the text */
	memset(mask_bytes, 0xff, length);
	memcpy(&mask, mask_bytes, sizeof mask);
	return (head & mask) == set->heads[k];
}

/*
 * Does the text start with one of the set's strings? Each string's head (inline in the set)
 * rules most out before its length and bytes are read.
 */
static int
text_starts_with_any(const struct filter_text *view, const struct literal_set *set,
    int ignore_case)
{
	size_t available;
	uint32_t head = text_head((const unsigned char *)view->text, view->length, 0,
	    ignore_case, &available);

	for (size_t i = 0; i < set->count; i++) {
		if (!head_matches(set, i, head, available) || set->lengths[i] > view->length)
			continue;
		if (ignore_case ? strncasecmp(view->text, set->strings[i], set->lengths[i]) == 0 :
		    memcmp(view->text, set->strings[i], set->lengths[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Does a string of the set occur with its anchor byte at text[at]? (ignore_case: the set's
 * strings are folded, the text is folded as it is read.)
 */
static int
literal_set_anchored_at(const struct literal_set *set, int ignore_case,
    const unsigned char *text, size_t length, size_t at)
{
	for (size_t k = 0; k < set->count; k++) {
		const unsigned char *literal;
		size_t offset = set->anchor_offsets[k], start = at - offset, i, available;
		uint32_t head;

		/* its anchor byte and head (inline) first: its length and bytes are cold lines */
		if (at < offset || (ignore_case ? fold_ascii(text[at]) : text[at]) !=
		    set->anchor_of[k])
			continue;
		head = text_head(text, length, start, ignore_case, &available);
		if (!head_matches(set, k, head, available))
			continue;
		if (set->lengths[k] > length - start)
			continue;
		literal = (const unsigned char *)set->strings[k];
		if (!ignore_case) {
			if (memcmp(text + start, literal, set->lengths[k]) == 0)
				return 1;
			continue;
		}
		for (i = 0; i < set->lengths[k] && fold_ascii(text[start + i]) == literal[i]; i++)
			;
		if (i == set->lengths[k])
			return 1;
	}
	return 0;
}

/* literal_set_screened for a set with one anchor byte: C's memchr finds it. */
static int
literal_set_found_by_memchr(const struct literal_set *set, int ignore_case,
    const unsigned char *bytes, size_t length)
{
	const unsigned char *found = bytes, *end = bytes + length;

	while ((found = memchr(found, set->anchor_bytes[0], (size_t)(end - found))) != NULL) {
		if (literal_set_anchored_at(set, ignore_case, bytes, length,
		    (size_t)(found - bytes)))
			return 1;
		found++;
	}
	return 0;
}

#ifdef __SSE2__
/* Positions (bits) of bytes[0...15] that hold one of the set's anchor bytes. */
static inline __attribute__((always_inline)) unsigned
anchors_16(const __m128i *anchors, size_t count, const unsigned char *bytes)
{
	__m128i chunk = _mm_loadu_si128((const __m128i *)(const void *)bytes);
	__m128i hits = _mm_cmpeq_epi8(chunk, anchors[0]);

	for (size_t i = 1; i < count; i++)
		hits = _mm_or_si128(hits, _mm_cmpeq_epi8(chunk, anchors[i]));
	return (unsigned)_mm_movemask_epi8(hits);
}

/* A string of the set in bytes[0...] at a multiple of 16 from *at on (+ 16 <= length)? */
static inline __attribute__((always_inline)) int
anchors_scan(const struct literal_set *set, const __m128i *anchors, size_t count,
    int ignore_case, const unsigned char *bytes, size_t length, size_t *at)
{
	for (; *at + 16 <= length; *at += 16)
		for (unsigned hits = anchors_16(anchors, count, bytes + *at); hits != 0;
		    hits &= hits - 1)
			if (literal_set_anchored_at(set, ignore_case, bytes, length,
			    *at + (size_t)__builtin_ctz(hits)))
				return 1;
	return 0;
}

/* anchors_scan with the number of anchor bytes a constant (an unrolled loop each). */
static int
anchors_blocks(const struct literal_set *set, const __m128i *anchors, int ignore_case,
    const unsigned char *bytes, size_t length, size_t *at)
{
	switch (set->anchor_count) {
	case 1: return anchors_scan(set, anchors, 1, ignore_case, bytes, length, at);
	case 2: return anchors_scan(set, anchors, 2, ignore_case, bytes, length, at);
	case 3: return anchors_scan(set, anchors, 3, ignore_case, bytes, length, at);
	default: return anchors_scan(set, anchors, ANCHOR_BYTES, ignore_case, bytes, length,
	    at);
	}
}

/* Positions (bits) of bytes[0...15] where one of the set's anchor pairs starts (reads
 * bytes[16]); first, next: the pairs' bytes, fold, next_fold: OR-ed in before comparing. */
static inline __attribute__((always_inline)) unsigned
pairs_16(const __m128i *first, const __m128i *next, const __m128i *fold,
    const __m128i *next_fold, size_t count, const unsigned char *bytes)
{
	__m128i chunk = _mm_loadu_si128((const __m128i *)(const void *)bytes);
	__m128i after = _mm_loadu_si128((const __m128i *)(const void *)(bytes + 1));
	__m128i hits = _mm_setzero_si128();

	for (size_t i = 0; i < count; i++)
		hits = _mm_or_si128(hits, _mm_and_si128(
		    _mm_cmpeq_epi8(_mm_or_si128(chunk, fold[i]), first[i]),
		    _mm_cmpeq_epi8(_mm_or_si128(after, next_fold[i]), next[i])));
	return (unsigned)_mm_movemask_epi8(hits);
}

/*
 * literal_set_screened for a set anchored at count pairs (a constant where it is inlined):
 * 16 positions at a time while 17 bytes are left, the rest in a copy padded with NULs
 * (which no string holds).
 */
static inline __attribute__((always_inline)) int
pairs_scan(const struct literal_set *set, size_t count, int ignore_case,
    const unsigned char *bytes, size_t length)
{
	__m128i first[ANCHOR_BYTES], next[ANCHOR_BYTES], fold[ANCHOR_BYTES];
	__m128i next_fold[ANCHOR_BYTES];
	unsigned char tail[32] = { 0 };
	size_t at = 0;

	for (size_t i = 0; i < count; i++) {
		first[i] = _mm_set1_epi8((char)set->anchor_bytes[i]);
		next[i] = _mm_set1_epi8((char)set->anchor_next[i]);
		fold[i] = _mm_set1_epi8((char)set->anchor_fold[i]);
		next_fold[i] = _mm_set1_epi8((char)set->anchor_next_fold[i]);
	}
	for (; at + 17 <= length; at += 16)
		for (unsigned hits = pairs_16(first, next, fold, next_fold, count, bytes + at);
		    hits != 0; hits &= hits - 1)
			if (literal_set_anchored_at(set, ignore_case, bytes, length,
			    at + (size_t)__builtin_ctz(hits)))
				return 1;
	memcpy(tail, bytes + at, length - at);	/* at most 16 */
	for (unsigned hits = pairs_16(first, next, fold, next_fold, count, tail); hits != 0;
	    hits &= hits - 1)
		if (at + (size_t)__builtin_ctz(hits) < length && literal_set_anchored_at(set,
		    ignore_case, bytes, length, at + (size_t)__builtin_ctz(hits)))
			return 1;
	return 0;
}

static int
pairs_screened(const struct literal_set *set, int ignore_case, const unsigned char *bytes,
    size_t length)
{
	switch (set->anchor_count) {
	case 1: return pairs_scan(set, 1, ignore_case, bytes, length);
	case 2: return pairs_scan(set, 2, ignore_case, bytes, length);
	case 3: return pairs_scan(set, 3, ignore_case, bytes, length);
	default: return pairs_scan(set, ANCHOR_BYTES, ignore_case, bytes, length);
	}
}
#endif

/*
 * Does the text contain one of the set's strings? For a set with one anchor byte, memchr
 * finds its places; with more, 16 bytes at a time are compared with its anchor bytes (the last ones in a copy padded with NULs, which no
 * string holds), and only where one is, the strings anchored there are compared whole.
 */
int
literal_set_screened(const struct literal_set *set, int ignore_case, const char *text,
    size_t length)
{
	const unsigned char *bytes = (const unsigned char *)text;
#ifdef __SSE2__
	__m128i anchors[ANCHOR_BYTES];
	unsigned char tail[16] = { 0 };	/* the last 15 bytes or fewer */
	size_t at = 0;
#endif

#ifdef __SSE2__
	if (set->anchor_pairs)
		return pairs_screened(set, ignore_case, bytes, length);
#endif
	if (set->anchor_count == 1)
		return literal_set_found_by_memchr(set, ignore_case, bytes, length);
#ifdef __SSE2__
	for (size_t i = 0; i < set->anchor_count; i++)
		anchors[i] = _mm_set1_epi8((char)set->anchor_bytes[i]);
	if (anchors_blocks(set, anchors, ignore_case, bytes, length, &at))
		return 1;
	memcpy(tail, bytes + at, length - at);
	for (unsigned hits = anchors_16(anchors, set->anchor_count, tail); hits != 0;
	    hits &= hits - 1)
		if (at + (size_t)__builtin_ctz(hits) < length && literal_set_anchored_at(set,
		    ignore_case, bytes, length, at + (size_t)__builtin_ctz(hits)))
			return 1;
#endif
	return 0;
}

/* Does the text contain one of the set's strings, by the index (found in one pass for all). */
int
literal_set_indexed(struct filter_text *view, const struct literal_set *set)
{
	if (!view->scanned)
		filter_text_scan(view);
	for (size_t i = 0; i < set->count; i++)
		if (view->present[set->ids[i]])
			return 1;
	return 0;
}

static int
text_contains_any(struct filter_text *view, const struct literal_set *set, int ignore_case)
{
	if (set->anchor_count > 0)
		return literal_set_screened(set, ignore_case, view->text, view->length);
	return literal_set_indexed(view, set);
}

/* Could the pattern of filter match the text? 0 only when it certainly cannot. */
int
prefilter_passes(const struct prefilter *filter, struct filter_text *view)
{
	if (filter->has_first &&
	    (view->length == 0 || !filter->first_bytes[(unsigned char)view->text[0]]))
		return 0;
	return prefilter_passes_after_first(filter, view);
}

int
prefilter_contains_passes(const struct prefilter *filter, struct filter_text *view)
{
	for (size_t i = 0; i < filter->contains_count; i++)
		if (!text_contains_any(view, &filter->contains[i], filter->ignore_case))
			return 0;
	return 1;
}

int
prefilter_passes_after_first(const struct prefilter *filter, struct filter_text *view)
{
	if (filter->starts.count > 0 &&
	    !text_starts_with_any(view, &filter->starts, filter->ignore_case))
		return 0;
	for (size_t i = 0; i < filter->contains_count; i++)
		if (!text_contains_any(view, &filter->contains[i], filter->ignore_case))
			return 0;
	return 1;
}

/* The id of a literal in the index, added when new; NO_LITERAL when the index is full. */
static uint16_t
literal_index_add(struct literal_index *index, const char *text, size_t length,
    int ignore_case)
{
	size_t id;

	for (id = 0; id < index->count; id++)
		if (index->lengths[id] == length && index->ignore_case[id] == ignore_case &&
		    memcmp(index->texts[id], text, length) == 0)
			return (uint16_t)id;
	if (index->count == NO_LITERAL)
		return NO_LITERAL;
	index->texts = xrealloc(index->texts, (id + 1) * sizeof *index->texts);
	index->lengths = xrealloc(index->lengths, (id + 1) * sizeof *index->lengths);
	index->ignore_case = xrealloc(index->ignore_case, (id + 1) * sizeof *index->ignore_case);
	index->filed = xrealloc(index->filed, id + 1);
	index->filed[id] = 0;
	index->texts[id] = xstrndup(text, length);
	index->lengths[id] = length;
	index->ignore_case[id] = ignore_case;
	index->count++;
	return (uint16_t)id;
}

/* Give each literal of the filter's "contains" sets its id; drop a set that does not fit. */
static void
literal_index_add_filter(struct literal_index *index, struct prefilter *filter)
{
	for (size_t i = 0; i < filter->contains_count; i++) {
		struct literal_set *set = &filter->contains[i];

		for (size_t k = 0; k < set->count; k++) {
			set->ids[k] = literal_index_add(index, set->strings[k], set->lengths[k],
			    filter->ignore_case);
			if (set->ids[k] != NO_LITERAL)
				continue;
			literal_set_clear(set);
			*set = filter->contains[--filter->contains_count];
			filter->contains[filter->contains_count].count = 0;
			i--;
			break;
		}
	}
}

/* Group the literals by their start (folded) for the scan. */
static void
literal_index_group(struct literal_index *index)
{
	uint16_t *next = xcalloc(START_BUCKETS, sizeof *next), single_next[256];

	for (int byte = 0; byte < 256; byte++)
		index->fold[byte] = (unsigned char)tolower(byte);
	for (size_t id = 0; id < index->count; id++) {
		const unsigned char *text = (const unsigned char *)index->texts[id];
		unsigned key;

		if (!index->filed[id])
			continue;
		if (index->lengths[id] == 1) {
			index->single_start[index->fold[text[0]] + 1]++;
			for (unsigned second = 0; second < 256; second++)
				index->pair_starts[index->fold[text[0]] << 8 | second] |= PAIR_SINGLE;
			continue;
		}
		key = literal_key(index, text, index->lengths[id]);
		if (index->lengths[id] == 2)
			index->pair_starts[key] |= PAIR_LITERAL;
		else {
			index->pair_starts[index->fold[text[0]] << 8 | index->fold[text[1]]] |=
			    PAIR_PREFIX;
			index->triple_used[key >> 3] |= (uint8_t)(1u << (key & 7));
		}
		index->bucket_start[START_BUCKET(key) + 1]++;
	}
	for (unsigned pair = 0; pair < 65536; pair++)
		index->pair_raw[pair] = index->pair_starts[index->fold[pair & 0xff] << 8 |
		    index->fold[pair >> 8]];
	for (int byte = 0; byte < 256; byte++) {
		index->single_start[byte + 1] += index->single_start[byte];
		single_next[byte] = index->single_start[byte];
	}
	for (size_t bucket = 0; bucket < START_BUCKETS; bucket++) {
		index->bucket_start[bucket + 1] += index->bucket_start[bucket];
		next[bucket] = index->bucket_start[bucket];
	}
	index->single_ids = xcalloc((size_t)index->single_start[256] + 1, sizeof(uint16_t));
	index->start_ids = xcalloc((size_t)index->bucket_start[START_BUCKETS] + 1,
	    sizeof(uint16_t));
	for (size_t id = 0; id < index->count; id++) {
		const unsigned char *text = (const unsigned char *)index->texts[id];
		unsigned key;

		if (!index->filed[id])
			continue;
		if (index->lengths[id] == 1) {
			index->single_ids[single_next[index->fold[text[0]]]++] = (uint16_t)id;
			continue;
		}
		key = literal_key(index, text, index->lengths[id]);
		index->start_ids[next[START_BUCKET(key)]++] = (uint16_t)id;
	}
	free(next);
}

/*
 * How common a byte is in English news text, the higher the rarer: lower-case letters and
 * the space by their frequency, anything else (capitals, digits, punctuation, UTF-8) rare.
 */
static int
byte_rarity(unsigned char byte)
{
	static const char common[] = " etaoinsrhldcumfpgwy.,bvkxjqz";
	const char *at = byte != '\0' ? strchr(common, byte) : NULL;

	return at != NULL ? (int)(at - common) : (int)sizeof common;
}

/* Add byte (and its other case when ignoring case) to the set's anchors: 0 when full. */
static int
anchor_add(struct literal_set *set, unsigned char byte, int ignore_case)
{
	unsigned char bytes[2] = { byte, byte };
	size_t count = 1;

	if (ignore_case && byte >= 'a' && byte <= 'z')
		bytes[count++] = (unsigned char)(byte - 32);
	for (size_t i = 0; i < count; i++) {
		size_t k;

		for (k = 0; k < set->anchor_count && set->anchor_bytes[k] != bytes[i]; k++)
			;
		if (k < set->anchor_count)
			continue;
		if (set->anchor_count == ANCHOR_BYTES)
			return 0;
		set->anchor_bytes[set->anchor_count++] = bytes[i];
	}
	return 1;
}

/*
 * Anchor each string of a "contains" set at its rarest byte; the set is searched on its own
 * when they are at most ANCHOR_BYTES bytes (both cases of a letter when ignoring case), else
 * (anchor_count 0) through the index.
 */
static void
literal_set_anchor(struct literal_set *set, int ignore_case)
{
	set->anchor_count = 0;
	for (size_t k = 0; k < set->count; k++) {
		const unsigned char *literal = (const unsigned char *)set->strings[k];
		size_t best = 0;

		if (set->lengths[k] == 0) {
			set->anchor_count = 0;	/* found in any text: left to the index */
			return;
		}
		for (size_t i = 1; i < set->lengths[k]; i++)
			if (byte_rarity(literal[i]) > byte_rarity(literal[best]))
				best = i;
		set->anchor_offsets[k] = (uint8_t)(best < UINT8_MAX ? best : 0);
		set->anchor_of[k] = literal[set->anchor_offsets[k]];
		if (!anchor_add(set, literal[set->anchor_offsets[k]], ignore_case)) {
			set->anchor_count = 0;
			return;
		}
	}
#ifndef __SSE2__
	if (set->anchor_count > 1)
		set->anchor_count = 0;	/* one pass of the index beats a scan per anchor */
#endif
}

#ifdef __SSE2__
/* The fold of a pair's byte: 0x20 for a letter matched in both cases (folded already). */
static unsigned char
pair_fold(unsigned char byte, int ignore_case)
{
	return ignore_case && byte >= 'a' && byte <= 'z' ? 0x20 : 0;
}

/*
 * Anchor each string of the set at its rarest two bytes in a row: 0 (the set unchanged)
 * when a string is shorter than two bytes or the distinct pairs are more than ANCHOR_BYTES.
 */
static int
literal_set_anchor_pairs(struct literal_set *set, int ignore_case)
{
	struct literal_set pairs = *set;

	pairs.anchor_count = 0;
	for (size_t k = 0; k < set->count; k++) {
		const unsigned char *literal = (const unsigned char *)set->strings[k];
		size_t best = 0, i;

		if (set->lengths[k] < 2)
			return 0;
		for (i = 1; i + 1 < set->lengths[k] && i < UINT8_MAX; i++)
			if (byte_rarity(literal[i]) + byte_rarity(literal[i + 1]) >
			    byte_rarity(literal[best]) + byte_rarity(literal[best + 1]))
				best = i;
		pairs.anchor_offsets[k] = (uint8_t)best;
		pairs.anchor_of[k] = literal[best];
		for (i = 0; i < pairs.anchor_count && (pairs.anchor_bytes[i] != literal[best] ||
		    pairs.anchor_next[i] != literal[best + 1]); i++)
			;
		if (i < pairs.anchor_count)
			continue;
		if (pairs.anchor_count == ANCHOR_BYTES)
			return 0;
		pairs.anchor_bytes[i] = literal[best];
		pairs.anchor_next[i] = literal[best + 1];
		pairs.anchor_fold[i] = pair_fold(literal[best], ignore_case);
		pairs.anchor_next_fold[i] = pair_fold(literal[best + 1], ignore_case);
		pairs.anchor_count++;
	}
	pairs.anchor_pairs = 1;
	*set = pairs;
	return 1;
}

/* Is one of the set's single anchor bytes a common one (a lower-case letter, the space)? */
static int
anchors_are_common(const struct literal_set *set)
{
	static const int rare = (int)sizeof " etaoinsrhldcumfpgwy.,bvkxjqz";

	for (size_t i = 0; i < set->anchor_count; i++)
		if (byte_rarity(set->anchor_bytes[i]) < rare)
			return 1;
	return 0;
}
#endif

/*
 * The sets' anchors: single bytes, or pairs where a single byte would be a common one (or
 * the single bytes are too many) and the pairs are few enough.
 */
static void
prefilter_screen(struct prefilter *filter)
{
	for (size_t i = 0; i < filter->contains_count; i++) {
		struct literal_set *set = &filter->contains[i];

		literal_set_anchor(set, filter->ignore_case);
#ifdef __SSE2__
		if (set->count > 0 && (set->anchor_count == 0 || anchors_are_common(set)))
			literal_set_anchor_pairs(set, filter->ignore_case);
#endif
	}
}

int literal_index_all = 0;

/* Mark the literals of the filter's sets that are searched through the index (all of them
 * with literal_index_all) as filed in it. */
static void
literal_index_mark(struct literal_index *index, const struct prefilter *filter)
{
	for (size_t i = 0; i < filter->contains_count; i++) {
		const struct literal_set *set = &filter->contains[i];

		if (set->anchor_count > 0 && !literal_index_all)
			continue;
		for (size_t k = 0; k < set->count; k++)
			index->filed[set->ids[k]] = 1;
	}
}

/*
 * Index the literals of every filter of the rule set, once all rules are in. Every literal
 * gets an id, but only those of sets without anchors are filed for the scan: an anchored
 * set never asks the index, and its literals (" is a ", ", ", " (" of the datelines and
 * author-bio) would make a hit of most positions of English text.
 */
void
literal_index_build(struct clean_rules *rules)
{
	for (size_t i = 0; i < rules->count; i++) {
		literal_index_add_filter(&rules->literals, &rules->rules[i].filter);
		prefilter_screen(&rules->rules[i].filter);
	}
	for (int i = 0; i < DATELINE_PATTERNS; i++) {
		literal_index_add_filter(&rules->literals, &rules->datelines[i].filter);
		prefilter_screen(&rules->datelines[i].filter);
	}
	for (size_t i = 0; i < rules->count; i++)
		literal_index_mark(&rules->literals, &rules->rules[i].filter);
	for (int i = 0; i < DATELINE_PATTERNS; i++)
		literal_index_mark(&rules->literals, &rules->datelines[i].filter);
	literal_index_group(&rules->literals);
}

void
literal_index_free(struct literal_index *index)
{
	for (size_t id = 0; id < index->count; id++)
		free(index->texts[id]);
	free(index->texts);
	free(index->lengths);
	free(index->ignore_case);
	free(index->filed);
	free(index->single_ids);
	free(index->start_ids);
	memset(index, 0, sizeof *index);
}
