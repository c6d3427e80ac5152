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
 * entries are compared at once (SSE2) and a hit is kept or not without a branch.  The
 * octagram walk goes word by word (a word of ASCII letters in one tight loop) instead of
 * character by character, its lookups compared the same way.  The hit buffer is made once,
 * not allocated per span.  The rest is CLD2's own: its hash functions (QuadHashV2,
 * OctaHash40, PairHash), tables, ProcessHitBuffer and SpliceHitBuffer, called in
 * ScoreQuadScriptSpan's order.  Spans of other scripts (CJK, or one-language scripts) go to
 * CLD2::ScoreOneScriptSpan.
 *
 * Equal answers are the contract, as for cld2_fast.cc (whose spans come here): the plugin's
 * fast_scan = no, CLD2's entry point, is the reference tests/unit/test_lang.c and bench_lang
 * compare with.  The walks are GetQuadHits' and GetOctaHits' (libcld2's cldutil.cc): the
 * same grams, the same order, the same stops.
 */
#include "cld2_score.h"

#include <cld2/internal/cldutil.h>
#include <cld2/internal/lang_script.h>
#include <cld2/internal/utf8statetable.h>

#include <immintrin.h>
#include <new>

namespace CLD2 {
/* Defined in libcld2 (scoreonescriptspan.cc), not in its headers. */
void ProcessHitBuffer(const LangSpan &scriptspan, int letter_offset,
    ScoringContext *scoringcontext, DocTote *doc_tote, ResultChunkVector *vec,
    bool more_to_come, bool score_cjk, ScoringHitBuffer *hitbuffer);
void SpliceHitBuffer(ScoringHitBuffer *hitbuffer, int next_offset);
}

using namespace CLD2;

/* A quadgram of the walk: where it starts, its hash, where the walk goes on after it. */
struct quad_gram {
	int	 offset, after;
	uint32	 hash;
};

struct cld2_score {
	ScoringHitBuffer hits;
	int		 capacity;	/* quadgrams quads holds: span bytes */
	quad_gram	*quads;
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

/*
 * QuadHashV3Lookup4 and OctaHashV3Lookup4 without their four data-dependent branches: the
 * first of the bucket's entries whose key bits equal hashkey's, or 0.
 */
inline uint32
bucket_find(const table &in, uint32 subscript, uint32 hashkey)
{
	const IndirectProbBucket4 *bucket = &in.buckets[subscript & in.last];
	__m128i entries = _mm_loadu_si128(reinterpret_cast<const __m128i *>(bucket->keyvalue));
	__m128i differ = _mm_and_si128(_mm_xor_si128(entries,
	    _mm_set1_epi32(static_cast<int>(hashkey))),
	    _mm_set1_epi32(static_cast<int>(in.keymask)));
	int matches = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(differ,
	    _mm_setzero_si128())));
	uint32 value = bucket->keyvalue[__builtin_ctz(matches | 0x10) & 3];

	return matches != 0 ? value : 0;
}

inline uint32
quad_find(const table &in, uint32 quadhash)
{
	return bucket_find(in, quadhash + (quadhash >> 12), quadhash & in.keymask);
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
		const char *src_end = src;

		src_end += kAdvanceOneCharButSpace[static_cast<uint8>(src_end[0])];
		src_end += kAdvanceOneCharButSpace[static_cast<uint8>(src_end[0])];
		const char *src_mid = src_end;
		src_end += kAdvanceOneCharButSpace[static_cast<uint8>(src_end[0])];
		src_end += kAdvanceOneCharButSpace[static_cast<uint8>(src_end[0])];
		gram->offset = static_cast<int>(src - text);
		gram->hash = QuadHashV2(src, static_cast<int>(src_end - src));
		__builtin_prefetch(&quads.buckets[(gram->hash + (gram->hash >> 12)) & quads.last]);
		src = src_end[0] == ' ' ? src_end : src_mid;
		if (src < srclimit)
			src += kAdvanceOneCharSpaceVowel[static_cast<uint8>(src[0])];
		else
			src = srclimit;
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
 * Where the word at word_start ends: the first space the walk of whole characters meets
 * before srclimit, or where the walk passed srclimit; *word_end after its 8th character (or
 * its last).  ASCII bytes in a tight loop, a word with other characters character by
 * character.
 */
inline const char *
word_ends(const char *word_start, const char *srclimit, const char **word_end)
{
	const char *src = word_start;
	int charcount = 0;

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
 * GetOctaHits over text[letter_offset, letter_limit] into hits->delta and hits->distinct:
 * every word (its first 8 characters) not a repeat of the last two looked up in the
 * distinct and delta octagram tables, and its pair with the word before in the distinct one.
 * The same walk, word by word instead of character by character.
 */
void
octa_hits(ScoringHitBuffer *hits, const char *text, int letter_offset, int letter_limit,
    const ScoringContext *context)
{
	const table delta = table_of(context->scoringtables->deltaocta_obj);
	const table distinct = table_of(context->scoringtables->distinctocta_obj);
	const char *src = &text[letter_offset], *srclimit = &text[letter_limit + 1];
	int next_delta = hits->next_delta, next_distinct = hits->next_distinct, next_prior = 0;
	uint64 prior[2] = { 0, 0 };

	if (src[0] == ' ')
		++src;
	const char *prior_word_start = src, *word_start = src, *word_end;

	while ((src = word_ends(word_start, srclimit, &word_end)) < srclimit) {
		uint64 hash = OctaHash40(word_start, static_cast<int>(word_end - word_start));

		if (hash != prior[0] && hash != prior[1]) {
			prior[next_prior] = hash;
			next_prior = 1 - next_prior;
			uint64 older = prior[next_prior];
			int offset = static_cast<int>(word_start - text);

			if (older != 0 && older != hash)
				add_hit(hits->distinct, &next_distinct,
				    octa_find(distinct, PairHash(older, hash)), distinct.keymask,
				    static_cast<int>(prior_word_start - text), 0);
			add_hit(hits->distinct, &next_distinct, octa_find(distinct, hash),
			    distinct.keymask, offset, 0);
			add_hit(hits->delta, &next_delta, octa_find(delta, hash), delta.keymask,
			    offset, 0);
		}
		prior_word_start = word_start;
		word_start = ++src;	/* over the space */
		if (next_delta >= hits->maxscoringhits ||
		    next_distinct >= hits->maxscoringhits - 1)	/* two a word */
			break;
	}
	hits->next_delta = next_delta;
	hits->next_distinct = next_distinct;
	for (ScoringHit *last : { &hits->delta[next_delta], &hits->distinct[next_distinct] }) {
		last->offset = static_cast<int>(src - text);	/* the end of the last one */
		last->indirect = 0;
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

		octa_hits(hits, span.text, letter_offset, next_offset, context);
		ProcessHitBuffer(span, letter_offset, context, doc_tote, NULL,
		    next_offset < letter_limit, false, hits);
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
	if ((scorer->quads = new (std::nothrow) quad_gram[max_bytes]) == NULL) {
		delete scorer;
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
