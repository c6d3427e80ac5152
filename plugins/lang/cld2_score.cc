/*
 * cld2_score.cc - CLD2's scoring of one script span, its table lookups batched.
 *
 * For a span of a script scored by quadgrams (Latin, Cyrillic, Arabic... CLD2's RTypeMany),
 * CLD2::ScoreQuadScriptSpan walks the lowercased span twice, looking each quadgram up in a
 * 1 MB table (GetQuadHits) and each word and word pair in two octagram tables (GetOctaHits),
 * then scores the hits (ProcessHitBuffer).  Each quadgram lookup is a random read of that
 * table, mostly a cache miss, and four data-dependent branches follow it: perf of bench_lang
 * put 14% of its samples on that one load once the rest was done without branches.  Here
 * the quadgram walk goes first, listing each gram with its hash and prefetching its bucket
 * (the walk does not depend on what the lookups find), then the lookups follow in the walk's
 * order with CLD2's filter of repeats and its limit of hits a buffer; a bucket's four
 * entries are compared at once (SSE2; four compares on targets without it) and a hit is kept
 * or not without a branch; whether the walk goes on from a quadgram's end or its middle is
 * chosen without a branch too, and for a gram of ASCII letters its end, hash and next step
 * come from one 8-byte load.  The octagram walk goes word by word (a word of ASCII letters
 * found 16 bytes at once, SSE2) instead of character by character, its lookups compared the
 * same way (and prefetched a walk ahead).  CLD2's hash functions (QuadHashV2, OctaHash40,
 * PairHash) are cld2_hash.h's inline copies, a quadgram of ASCII letters hashed from the
 * same four bytes that found its end (libcld2's were two calls through the PLT a gram).
 * The hits are then merged and cut into chunks by CLD2's LinearizeAll and ChunkAll, and each
 * chunk toted and summarised here as ScoreAllHits, ScoreOneChunk and SetChunkSummary do,
 * with CLD2's Tote inline (its Add was a call for each language of each hit, and
 * CurrentTopThreeKeys went over all 64 groups of four languages): an add marks its group
 * from a table, without a branch on key 0 (no language: its adds are thrown away at the
 * chunk's end), and the top three pass over a group of four none of whose scores is above
 * the third best with one compare (SSE2).  The hit buffer is made
 * once, not allocated per span.  The rest is CLD2's own: its tables, LinearizeAll, ChunkAll, reliability functions and
 * SpliceHitBuffer, called in ScoreQuadScriptSpan's order.  Spans of other scripts (CJK, or
 * one-language scripts) go to CLD2::ScoreOneScriptSpan, and CLD2's debugging output (never
 * asked for here) to its ProcessHitBuffer.
 *
 * Equal answers are the contract, as for cld2_fast.cc (whose spans come here): the plugin's
 * fast_scan = no, CLD2's entry point, is the reference tests/unit/test_lang.c and bench_lang
 * compare with.  The walks are GetQuadHits' and GetOctaHits' (libcld2's cldutil.cc): the
 * same grams, the same order, the same stops; the toting is tote.cc's and
 * scoreonescriptspan.cc's, to the tie (the lower language first) and to the 16-bit scores.
 */
#include "cld2_score.h"
#include "cld2_close.h"
#include "cld2_hash.h"

#include <cld2/internal/cldutil.h>
#include <cld2/internal/lang_script.h>
#include <cld2/internal/utf8statetable.h>

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include <new>

namespace CLD2 {
/* Defined in libcld2 (scoreonescriptspan.cc), not in its headers. */
void ProcessHitBuffer(const LangSpan &scriptspan, int letter_offset,
    ScoringContext *scoringcontext, DocTote *doc_tote, ResultChunkVector *vec,
    bool more_to_come, bool score_cjk, ScoringHitBuffer *hitbuffer);
void SpliceHitBuffer(ScoringHitBuffer *hitbuffer, int next_offset);
void LinearizeAll(ScoringContext *scoringcontext, bool score_cjk, ScoringHitBuffer *hitbuffer);
void ChunkAll(int letter_offset, bool score_cjk, ScoringHitBuffer *hitbuffer);
}

using namespace CLD2;

/* A quadgram of the walk: where it starts, its hash, where the walk goes on after it. */
struct quad_gram {
	int	 offset, after;
	uint32	 hash;
};

/* A word of the octagram walk (repeats left out): its hash and offset, its pair's, where
 * the walk goes on after it. */
struct octa_word {
	uint64	 hash, pair_hash;
	int	 offset, pair_offset, after;
	bool	 paired;	/* the pair is looked up */
};

struct cld2_score {
	ScoringHitBuffer hits;
	int		 capacity;	/* quadgrams (and words) the arrays hold: span bytes */
	quad_gram	*quads;
	octa_word	*words;
};

namespace {

/* A CLD2 hash table's fields, loaded once a span (the hit stores could alias them). */
struct table {
	const IndirectProbBucket4 *buckets;
	uint32	 keymask, last;		/* bucket count - 1 */
	bool	 empty;
};

table
table_of(const CLD2TableSummary *summary)
{
	return table { summary->kCLDTable, summary->kCLDTableKeyMask,
	    summary->kCLDTableSize - 1, summary->kCLDTableSize == 0 };
}

/* Bit i set when the key bits of the bucket's entry i equal hashkey's: SSE2 where the
 * target has it (x86-64 always does), four compares elsewhere. */
inline int
bucket_matches(const IndirectProbBucket4 *bucket, uint32 hashkey, uint32 keymask)
{
#if defined(__SSE2__)
	__m128i entries = _mm_loadu_si128(reinterpret_cast<const __m128i *>(bucket->keyvalue));
	__m128i differ = _mm_and_si128(_mm_xor_si128(entries,
	    _mm_set1_epi32(static_cast<int>(hashkey))),
	    _mm_set1_epi32(static_cast<int>(keymask)));

	return _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(differ, _mm_setzero_si128())));
#else
	int matches = 0;

	for (int i = 0; i < 4; i++)
		matches |= static_cast<int>(((bucket->keyvalue[i] ^ hashkey) & keymask) == 0) << i;
	return matches;
#endif
}

/*
 * QuadHashV3Lookup4 and OctaHashV3Lookup4 without their four data-dependent branches: the
 * first of the bucket's entries whose key bits equal hashkey's, or 0.
 */
inline uint32
bucket_find(const table &in, uint32 subscript, uint32 hashkey)
{
	const IndirectProbBucket4 *bucket = &in.buckets[subscript & in.last];
	int matches = bucket_matches(bucket, hashkey, in.keymask);
	uint32 value = bucket->keyvalue[__builtin_ctz(matches | 0x10) & 3];

	return matches != 0 ? value : 0;
}

inline uint32
quad_find(const table &in, uint32 quadhash)
{
	return bucket_find(in, quadhash + (quadhash >> 12), quadhash & in.keymask);
}

inline void
octa_prefetch(const table &in, uint64 octahash)
{
	__builtin_prefetch(&in.buckets[static_cast<uint32>(octahash + (octahash >> 12)) &
	    in.last]);
}

inline uint32
octa_find(const table &in, uint64 octahash)
{
	return bucket_find(in, static_cast<uint32>(octahash + (octahash >> 12)),
	    static_cast<uint32>(octahash >> 4) & in.keymask);
}

/* hit[*next] = { offset, probs' indirect subscript }, kept (*next moved on) if probs is a
 * hit: written either way, so that no branch depends on the lookup. */
inline void
add_hit(ScoringHit *hit, int *next, uint32 probs, uint32 keymask, int offset, uint32 flag)
{
	hit[*next].offset = offset;
	hit[*next].indirect = static_cast<int>((probs & ~keymask) | flag);
	*next += probs != 0;
}

/*
 * The quadgram at src: *hash its QuadHashV2; returns where GetQuadHits' walk goes on from it
 * (from its end at a word's end, else from its middle, then over a space or an ASCII vowel),
 * srclimit when that is at or past it.  A gram ends after 4 characters or at a space or
 * control character (kAdvanceOneCharButSpace's steps).  When its bytes are ASCII (a byte of
 * 0x21-0x7F a step, 0x00-0x20 a stop) all of that comes from one 8-byte load: the gram, its
 * hash, the byte after it and the byte the walk steps over, and the choice of end or middle
 * is made without a branch (a word's end is no more predictable than a coin); otherwise a
 * table step at a time.
 */
inline const char *
quad_step(const char *src, const char *srclimit, uint32 *hash)
{
	uint64 eight;

	std::memcpy(&eight, src, sizeof(eight));
	uint32 four = static_cast<uint32>(eight), high = four & 0x80808080u;
	uint32 stops = ~((four & 0x7F7F7F7Fu) + 0x5F5F5F5Fu) & ~high & 0x80808080u; /* < 0x21 */
	uint32 either = stops | high;
	int at = either != 0 ? __builtin_ctz(either) >> 3 : 4;

	if (at == 4 || (stops >> (8 * at) & 0x80) != 0) {
		bool word_end = (eight >> (8 * at) & 0xff) == ' ';
		int next = word_end ? at : at < 2 ? at : 2;

		*hash = at != 0 ? cld2_quad_hash_short(four, at, (src[-1] == ' ' ?
		    CLD2_HASH_PRE_SPACE : 0) | (word_end ? CLD2_HASH_POST_SPACE : 0)) : 0;
		src += next;
		return src < srclimit ?
		    src + kAdvanceOneCharSpaceVowel[eight >> (8 * next) & 0xff] : srclimit;
	}
	const char *end = src, *mid;

	end += kAdvanceOneCharButSpace[static_cast<uint8>(end[0])];
	end += kAdvanceOneCharButSpace[static_cast<uint8>(end[0])];
	mid = end;
	end += kAdvanceOneCharButSpace[static_cast<uint8>(end[0])];
	end += kAdvanceOneCharButSpace[static_cast<uint8>(end[0])];
	*hash = cld2_quad_hash(src, static_cast<int>(end - src));
	src = end[0] == ' ' ? end : mid;
	return src < srclimit ? src + kAdvanceOneCharSpaceVowel[static_cast<uint8>(src[0])] :
	    srclimit;
}

/*
 * GetQuadHits' walk over text[letter_offset, letter_limit) without its lookups: every
 * quadgram (the walk goes two characters on, a whole word at its end, over a vowel after)
 * into scorer->quads with its hash, its bucket prefetched; returns their count, *end where
 * the walk stopped.
 */
int
find_quads(cld2_score *scorer, const char *text, int letter_offset, int letter_limit,
    const table &quads, int *end)
{
	const char *src = &text[letter_offset], *srclimit = &text[letter_limit];
	quad_gram *gram = scorer->quads;

	if (src[0] == ' ')
		++src;
	while (src < srclimit) {
		gram->offset = static_cast<int>(src - text);
		src = quad_step(src, srclimit, &gram->hash);
		__builtin_prefetch(&quads.buckets[(gram->hash + (gram->hash >> 12)) & quads.last]);
		(gram++)->after = static_cast<int>(src - text);
	}
	*end = static_cast<int>(src - text);
	return static_cast<int>(gram - scorer->quads);
}

/*
 * GetQuadHits over text[letter_offset, letter_limit) into hits->base: every quadgram not a
 * repeat of the last two hits looked up in the quadgram table (then in the second one, if
 * any), the walk first and the lookups after it, so that their cache misses overlap;
 * returns the offset the walk stopped at, letter_limit or before when the buffer filled.
 */
int
quad_hits(cld2_score *scorer, const char *text, int letter_offset, int letter_limit,
    const ScoringContext *context)
{
	const table quads = table_of(context->scoringtables->quadgram_obj);
	const table quads2 = table_of(context->scoringtables->quadgram_obj2);
	ScoringHitBuffer *hits = &scorer->hits;
	int end, count = find_quads(scorer, text, letter_offset, letter_limit, quads, &end);
	int next_base = hits->next_base, next_prior = 0, limit = hits->maxscoringhits;
	uint32 prior0 = 0, prior1 = 0;

	for (const quad_gram *gram = scorer->quads; gram < scorer->quads + count; gram++) {
		uint32 hash = gram->hash, probs = 0, flag = 0, keymask = quads.keymask;

		if (hash != prior0 && hash != prior1) {
			probs = quad_find(quads, hash);
			if (probs == 0 && !quads2.empty) {
				flag = 0x80000000u;	/* the second table's */
				keymask = quads2.keymask;
				probs = quad_find(quads2, hash);
			}
		}
		int hit = probs != 0;

		prior0 = hit && next_prior == 0 ? hash : prior0;
		prior1 = hit && next_prior == 1 ? hash : prior1;
		next_prior ^= hit;
		add_hit(hits->base, &next_base, probs, keymask, gram->offset, flag);
		if (next_base >= limit) {
			end = gram->after;
			break;
		}
	}
	hits->next_base = next_base;
	hits->base[next_base].offset = end;	/* the end of the last one */
	hits->base[next_base].indirect = 0;
	return end;
}

/*
 * Where the word at word_start ends, 16 bytes at once: its first space when that comes
 * before any non-ASCII byte in the 16 bytes from word_start (all before srclimit), else NULL.
 */
inline const char *
ascii_word_end(const char *word_start, const char *srclimit)
{
#if defined(__SSE2__)
	if (srclimit - word_start < 16)
		return NULL;
	__m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(word_start));
	int stops = _mm_movemask_epi8(_mm_or_si128(bytes,
	    _mm_cmpeq_epi8(bytes, _mm_set1_epi8(' '))));	/* a space or a byte over 0x7F */
	int at = __builtin_ctz(static_cast<unsigned>(stops) | 0x10000u);

	return at < 16 && word_start[at] == ' ' ? word_start + at : NULL;
#else
	(void)word_start;
	(void)srclimit;
	return NULL;
#endif
}

/*
 * Where the word at word_start ends: the first space the walk of whole characters meets
 * before srclimit, or where the walk passed srclimit; *word_end after its 8th character (or
 * its last).  A word of ASCII letters found 16 bytes at once (no branch on its length), else
 * its ASCII bytes in a tight loop, a word with other characters character by character.
 */
inline const char *
word_ends(const char *word_start, const char *srclimit, const char **word_end)
{
	const char *src = ascii_word_end(word_start, srclimit);
	int charcount = 0;

	if (src != NULL) {
		*word_end = word_start + (src - word_start < 8 ? src - word_start : 8);
		return src;
	}
	src = word_start;
	while (src < srclimit && *src != ' ' && static_cast<uint8>(*src) < 0x80)
		src++;
	if (src >= srclimit || *src == ' ') {
		*word_end = word_start + (src - word_start < 8 ? src - word_start : 8);
		return src;
	}
	src = word_start;
	*word_end = word_start;
	while (src < srclimit && *src != ' ') {
		src += UTF8OneCharLen(src);
		if (++charcount <= 8)
			*word_end = src;
	}
	return src;
}

/*
 * GetOctaHits' walk over text[letter_offset, letter_limit] without its lookups, word by word
 * instead of character by character: every word (its first 8 characters) not a repeat of
 * the last two into scorer->words with its pair (the word before), their buckets
 * prefetched; returns their count, *end where the walk stopped.
 */
int
find_words(cld2_score *scorer, const char *text, int letter_offset, int letter_limit,
    const table &delta, const table &distinct, int *end)
{
	const char *src = &text[letter_offset], *srclimit = &text[letter_limit + 1];
	octa_word *word = scorer->words;
	int next_prior = 0;
	uint64 prior[2] = { 0, 0 };

	if (src[0] == ' ')
		++src;
	const char *prior_word_start = src, *word_start = src, *word_end;

	while ((src = word_ends(word_start, srclimit, &word_end)) < srclimit) {
		uint64 hash = cld2_octa_hash(word_start, static_cast<int>(word_end - word_start));

		if (hash != prior[0] && hash != prior[1]) {
			prior[next_prior] = hash;
			next_prior = 1 - next_prior;
			uint64 older = prior[next_prior];

			word->paired = older != 0 && older != hash;
			word->pair_hash = word->paired ? cld2_pair_hash(older, hash) : 0;
			word->hash = hash;
			word->offset = static_cast<int>(word_start - text);
			word->pair_offset = static_cast<int>(prior_word_start - text);
			word->after = static_cast<int>(src + 1 - text);	/* over the space */
			octa_prefetch(distinct, word->pair_hash);
			octa_prefetch(distinct, hash);
			octa_prefetch(delta, hash);
			word++;
		}
		prior_word_start = word_start;
		word_start = ++src;
	}
	*end = static_cast<int>(src - text);
	return static_cast<int>(word - scorer->words);
}

/*
 * GetOctaHits over text[letter_offset, letter_limit] into hits->delta and hits->distinct:
 * each word of the walk looked up in the distinct and delta octagram tables, its pair in the
 * distinct one, in the walk's order, up to CLD2's limit of hits a buffer.
 */
void
octa_hits(cld2_score *scorer, const char *text, int letter_offset, int letter_limit,
    const ScoringContext *context)
{
	const table delta = table_of(context->scoringtables->deltaocta_obj);
	const table distinct = table_of(context->scoringtables->distinctocta_obj);
	ScoringHitBuffer *hits = &scorer->hits;
	int end, count = find_words(scorer, text, letter_offset, letter_limit, delta, distinct,
	    &end);
	int next_delta = hits->next_delta, next_distinct = hits->next_distinct;

	for (const octa_word *word = scorer->words; word < scorer->words + count; word++) {
		if (word->paired)
			add_hit(hits->distinct, &next_distinct,
			    octa_find(distinct, word->pair_hash), distinct.keymask,
			    word->pair_offset, 0);
		add_hit(hits->distinct, &next_distinct, octa_find(distinct, word->hash),
		    distinct.keymask, word->offset, 0);
		add_hit(hits->delta, &next_delta, octa_find(delta, word->hash), delta.keymask,
		    word->offset, 0);
		if (next_delta >= hits->maxscoringhits ||
		    next_distinct >= hits->maxscoringhits - 1) {	/* two a word */
			end = word->after;
			break;
		}
	}
	hits->next_delta = next_delta;
	hits->next_distinct = next_distinct;
	for (ScoringHit *last : { &hits->delta[next_delta], &hits->distinct[next_distinct] }) {
		last->offset = end;	/* the end of the last one */
		last->indirect = 0;
	}
}

/*
 * CLD2's Tote (tote.cc) for one chunk: the scores of up to 256 per-script languages, in
 * groups of four that count (for the top three) once one of them has been added to.  CLD2
 * zeroes a group when it first adds to it; here all are zeroed at the start, the same
 * scores (a whack, Tote::SetScore, only ever sets a score to 0), without a branch an add.
 * CLD2 adds nothing for key 0 (no language); here its adds go to score[0] all the same,
 * marking no group, and tote_end sets it back to 0.
 */
struct chunk_tote {
	uint64	 in_use;	/* bit g: scores 4g..4g+3 */
	int	 score_count;	/* quadgrams scored */
	uint16	 score[256];
};

/* The in_use bit of each key's group, none for key 0. */
struct group_bits {
	uint64	 of[256];

	constexpr group_bits() : of()
	{
		for (int key = 1; key < 256; key++)
			of[key] = static_cast<uint64>(1) << (key >> 2);
	}
};

constexpr group_bits group_bit;

/* Tote::Add of key (key 0: see chunk_tote). */
inline void
tote_add(chunk_tote *tote, int key, int delta)
{
	tote->score[key] = static_cast<uint16>(tote->score[key] + delta);
	tote->in_use |= group_bit.of[key];
}

/* After the last add: key 0's score as CLD2 has it (never added to). */
inline void
tote_end(chunk_tote *tote)
{
	tote->score[0] = 0;
}

/* ProcessProbV2Tote: a langprob's up to three languages and their scores. */
inline void
tote_add_langprob(chunk_tote *tote, uint32 langprob)
{
	const uint8 *entry = LgProb2TblEntry(langprob & 0xff);

	tote_add(tote, (langprob >> 8) & 0xff, LgProb3(entry, 0));
	tote_add(tote, (langprob >> 16) & 0xff, LgProb3(entry, 1));
	tote_add(tote, langprob >> 24, LgProb3(entry, 2));
}

/* Tote::GetScore; CLD2 reads key -1 (no such language) too, below score_[0]: the upper half
 * of its score_count_. */
inline int
tote_score(const chunk_tote *tote, int key)
{
	return key >= 0 ? tote->score[key] : static_cast<uint16>(tote->score_count >> 16);
}

/* Whether any of the four scores at score is over floor (0-65535): one compare of the four
 * (SSE2), else always true (the caller compares each). */
inline bool
any_over(const uint16 *score, int floor)
{
#if defined(__SSE2__)
	__m128i four = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(score));
	__m128i over = _mm_subs_epu16(four, _mm_set1_epi16(static_cast<short>(floor)));

	return _mm_movemask_epi8(_mm_cmpeq_epi16(over, _mm_setzero_si128())) != 0xFFFF;
#else
	(void)score;
	(void)floor;
	return true;
#endif
}

/* Tote::CurrentTopThreeKeys: the keys of the three best scores in use, the lower key first
 * on ties, -1 for none.  A group of four whose scores are none over the third best is
 * passed over whole (CLD2 compares each and keeps none of them). */
void
tote_top_three(const chunk_tote *tote, int key3[3])
{
	int score3[3] = { -1, -1, -1 };

	key3[0] = key3[1] = key3[2] = -1;
	for (uint64 groups = tote->in_use; groups != 0; groups &= groups - 1) {
		int base = __builtin_ctzll(groups) * 4;

		if (score3[2] >= 0 && !any_over(&tote->score[base], score3[2]))
			continue;
		for (int key = base; key < base + 4; key++) {
			int at = 2, score = tote->score[key];

			if (score <= score3[2])
				continue;
			if (score > score3[1]) {
				score3[2] = score3[1];
				key3[2] = key3[1];
				at = 1;
				if (score > score3[0]) {
					score3[1] = score3[0];
					key3[1] = key3[0];
					at = 0;
				}
			}
			score3[at] = score;
			key3[at] = key;
		}
	}
}

/* ScoreBoosts: the context's language-prior and distinct-word boosts, then its whacks. */
void
tote_add_boosts(const ScoringContext *context, chunk_tote *tote)
{
	bool latin = context->ulscript == ULScript_Latin;
	const LangBoosts &prior = latin ? context->langprior_boost.latn :
	    context->langprior_boost.othr;
	const LangBoosts &distinct = latin ? context->distinct_boost.latn :
	    context->distinct_boost.othr;
	const LangBoosts &whack = latin ? context->langprior_whack.latn :
	    context->langprior_whack.othr;

	for (uint32 langprob : prior.langprob)
		if (langprob > 0)
			tote_add_langprob(tote, langprob);
	for (uint32 langprob : distinct.langprob)
		if (langprob > 0)
			tote_add_langprob(tote, langprob);
	for (uint32 langprob : whack.langprob)
		if (langprob > 0)
			tote->score[(langprob >> 8) & 0xff] = 0;	/* Tote::SetScore */
}

/* AddDistinctBoost2: a distinct word's langprob into the context's ring of the last four. */
inline void
remember_distinct(ScoringContext *context, uint32 langprob)
{
	LangBoosts *boosts = context->ulscript != ULScript_Latin ?
	    &context->distinct_boost.othr : &context->distinct_boost.latn;

	boosts->langprob[boosts->n] = langprob;
	boosts->n = boosts->wrap(boosts->n + 1);
}

/* SetChunkSummary: a chunk's top two languages, scores and reliabilities. */
ChunkSummary
chunk_summary(ULScript ulscript, int first_linear, int offset, int length,
    const ScoringContext *context, const chunk_tote *tote)
{
	ChunkSummary summary;
	int key3[3], actual_per_kb = 0;

	tote_top_three(tote, key3);
	Language lang1 = FromPerScriptNumber(ulscript, static_cast<uint8>(key3[0]));
	Language lang2 = FromPerScriptNumber(ulscript, static_cast<uint8>(key3[1]));

	if (length > 0)
		actual_per_kb = (tote_score(tote, key3[0]) << 10) / length;
	summary.offset = static_cast<uint16>(offset);
	summary.chunk_start = static_cast<uint16>(first_linear);
	summary.lang1 = static_cast<uint16>(lang1);
	summary.lang2 = static_cast<uint16>(lang2);
	summary.score1 = static_cast<uint16>(tote_score(tote, key3[0]));
	summary.score2 = static_cast<uint16>(tote_score(tote, key3[1]));
	summary.bytes = static_cast<uint16>(length);
	summary.grams = static_cast<uint16>(tote->score_count);
	summary.ulscript = static_cast<uint16>(ulscript);
	summary.reliability_delta = static_cast<uint8>(ReliabilityDelta(summary.score1,
	    summary.score2, summary.grams));
	if (cld2_same_close_set(lang1, lang2))
		summary.reliability_delta = 100;
	summary.reliability_score = static_cast<uint8>(ReliabilityExpected(actual_per_kb,
	    context->scoringtables->kExpectedScore[lang1 * 4 + LScript4(ulscript)]));
	return summary;
}

/* ScoreOneChunk: chunk i of the linearized hits toted and summarised. */
ChunkSummary
score_chunk(const ScoringHitBuffer *hits, int i, ULScript ulscript, ScoringContext *context)
{
	chunk_tote tote;
	int first = hits->chunk_start[i], next = hits->chunk_start[i + 1];

	std::memset(&tote, 0, sizeof(tote));
	for (const LangprobHit *hit = &hits->linear[first]; hit < &hits->linear[next]; hit++) {
		tote_add_langprob(&tote, hit->langprob);
		tote.score_count += hit->type <= QUADHIT;
		if (hit->type == DISTINCTHIT)
			remember_distinct(context, hit->langprob);
	}
	tote_add_boosts(context, &tote);
	tote_end(&tote);
	int lo = hits->linear[first].offset, hi = hits->linear[next].offset;
	ChunkSummary summary = chunk_summary(ulscript, first, lo, hi - lo, context, &tote);

	context->prior_chunk_lang = static_cast<Language>(summary.lang1);
	return summary;
}

/*
 * ProcessHitBuffer (vec NULL): CLD2's LinearizeAll and ChunkAll, then ScoreAllHits and
 * SummaryBufferToDocTote with CLD2's Tote done here, inline (its Add and ProcessProbV2Tote
 * were calls for each of the chunk's hits, and CurrentTopThreeKeys went over all 64
 * groups).  CLD2's own when it is asked for debugging output.
 */
void
process_hits(const LangSpan &span, int letter_offset, ScoringContext *context,
    DocTote *doc_tote, bool more_to_come, ScoringHitBuffer *hits)
{
	if (context->flags_cld2_verbose || context->flags_cld2_html) {
		ProcessHitBuffer(span, letter_offset, context, doc_tote, NULL, more_to_come,
		    false, hits);
		return;
	}
	LinearizeAll(context, false, hits);
	ChunkAll(letter_offset, false, hits);
	for (int i = 0; i < hits->next_chunk_start; i++) {
		ChunkSummary summary = score_chunk(hits, i, span.ulscript, context);

		if (i < kMaxSummaries)	/* the summary buffer's size: later ones are lost */
			doc_tote->Add(summary.lang1, summary.bytes, summary.score1,
			    summary.reliability_delta < summary.reliability_score ?
			    summary.reliability_delta : summary.reliability_score);
	}
}

/* ScoreQuadScriptSpan (vec NULL), with the walks above. */
void
score_quad_span(cld2_score *scorer, const LangSpan &span, ScoringContext *context,
    DocTote *doc_tote)
{
	ScoringHitBuffer *hits = &scorer->hits;
	int letter_offset = 1, letter_limit = span.text_bytes;	/* after the leading space */

	hits->init();
	hits->ulscript = span.ulscript;
	context->prior_chunk_lang = UNKNOWN_LANGUAGE;
	context->oldest_distinct_boost = 0;
	hits->lowest_offset = letter_offset;
	while (letter_offset < letter_limit) {
		int next_offset = quad_hits(scorer, span.text, letter_offset, letter_limit,
		    context);

		octa_hits(scorer, span.text, letter_offset, next_offset, context);
		process_hits(span, letter_offset, context, doc_tote, next_offset < letter_limit,
		    hits);
		SpliceHitBuffer(hits, next_offset);
		letter_offset = next_offset;
	}
}

}	/* namespace */

cld2_score *
cld2_score_new(int max_bytes)
{
	cld2_score *scorer = new (std::nothrow) cld2_score;

	if (scorer == NULL)
		return NULL;
	scorer->capacity = max_bytes;
	scorer->quads = new (std::nothrow) quad_gram[max_bytes];
	scorer->words = new (std::nothrow) octa_word[max_bytes + 1];
	if (scorer->quads == NULL || scorer->words == NULL) {
		cld2_score_free(scorer);
		return NULL;
	}
	return scorer;
}

void
cld2_score_free(cld2_score *scorer)
{
	if (scorer == NULL)
		return;
	delete[] scorer->quads;
	delete[] scorer->words;
	delete scorer;
}

void
cld2_score_span(cld2_score *scorer, const LangSpan &span, ScoringContext *context,
    DocTote *doc_tote)
{
	ULScriptRType rtype = ULScriptRecognitionType(span.ulscript);

	if (context->flags_cld2_score_as_quads && rtype != RTypeCJK)
		rtype = RTypeMany;
	if (rtype == RTypeMany && span.text_bytes <= scorer->capacity)
		score_quad_span(scorer, span, context, doc_tote);
	else
		ScoreOneScriptSpan(span, context, doc_tote, NULL);
}
