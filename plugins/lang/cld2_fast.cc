/*
 * cld2_fast.cc - CLD2's plain-text detection with a faster script-span scanner.
 *
 * CLD2::ExtDetectLanguageSummary spends over half of its time on a 512-byte English sample
 * in ScriptScanner::GetOneScriptSpan (callgrind of bench_lang over 3,000 generated articles:
 * 86K of 152K instructions a call): for every letter a call to GetUTF8LetterScriptNum (a
 * UTF-8 state machine) and one to OffsetMap::Copy (a map back to the input that only its
 * ResultChunkVector output reads), for every run of non-letters a table scan and more map
 * updates.  This file builds the same script spans itself: ASCII bytes by two 128-entry
 * tables filled at start-up from CLD2's own functions (the script of each byte, and whether
 * CLD2's non-letter scan stops at it), every other character by CLD2's functions, no offset
 * map; Latin letters eight at a time where CLD2's tables say ASCII letters are A-Z and a-z,
 * and where they say too that every other ASCII byte is a non-letter the scan goes over,
 * whole words 16 bytes a load (copy_ascii_words: a word, lowered, and one space for the
 * non-letters after it, found from one load's letter mask: 10.3K -> 5.0K instructions a
 * 512-byte English sample); a span of ASCII letters is lowercased as it is copied, by a
 * third table (from
 * ScriptScanner::LowerScriptSpan at start-up), any other by LowerScriptSpan itself.  The
 * spans are then scored by cld2_score.cc (CLD2's scoring, its lookups batched) and go
 * through CLD2's own summary functions, in the order DetectLanguageSummaryV2 calls them for
 * plain text without hints or flags, including its second pass (repeated words removed)
 * when the first answer is not good enough.  The libcld2 headers and
 * exported symbols used are those of Debian's libcld2-dev (cld2/internal/).
 *
 * Equal answers are the contract: tests/unit/test_lang.c compares this path with CLD2's
 * entry point (the plugin's fast_scan = no) on multilingual, mixed-script and random texts;
 * bench_lang does on its corpus.  Texts over CLD2_FAST_MAX_BYTES go to the entry point
 * (CLD2 squeezes spans over 2 KB, which this file does not do).  Like CLD2's scanner this one
 * reads the character after the text; on a text that ends inside a character CLD2 copies
 * bytes past the end into its buffers and its answer depends on them (and on what its
 * buffers held before), so there the two can differ; the plugin's samples never end so.
 */
#include "cld2_fast.h"
#include "cld2_close.h"
#include "cld2_score.h"

#include <cld2/internal/getonescriptspan.h>
#include <cld2/internal/scoreonescriptspan.h>
#include <cld2/internal/tote.h>
#include <cld2/internal/utf8statetable.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include <new>

namespace CLD2 {
/* Defined in libcld2 (compact_lang_det_impl.cc, getonescriptspan.cc), not in its headers. */
void ApplyHints(const char *buffer, int buffer_length, bool is_plain_text,
    const CLDHints *cld_hints, ScoringContext *scoringcontext);
int CheapRepWordsInplace(char *isrc, int src_len, int *hash, int *tbl);
void MoveLang1ToLang2(Language lang1, Language lang2, int lang1_sub, int lang2_sub,
    DocTote *doc_tote, ResultChunkVector *vec);
void RemoveUnreliableLanguages(DocTote *doc_tote, bool html, bool quiet);
void ExtractLangEtc(DocTote *doc_tote, int total_text_bytes, int *reliable_percent3,
    Language *language3, int *percent3, double *normalized_score3, int *text_bytes,
    bool *is_reliable);
void CalcSummaryLang(DocTote *doc_tote, int total_text_bytes, const int *reliable_percent3,
    const Language *language3, const int *percent3, Language *summary_lang,
    bool *is_reliable, bool html, bool quiet, int flags);
int ScanToLetterOrSpecial(const char *src, int len);
extern const UTF8PropObj cld_generated_CjkUni_obj;
extern const CLD2TableSummary kCjkCompat_obj, kCjkDeltaBi_obj, kDistinctBiTable_obj,
    kQuad_obj, kQuad_obj2, kDeltaOcta_obj, kDistinctOcta_obj;
extern const short kAvgDeltaOctaScore[];
}

namespace {

using namespace CLD2;

/* DetectLanguageSummaryV2's constants (compact_lang_det_impl.cc). */
const int SQUEEZE_TEST_BYTES = 4096 / 2;	/* a longer span is tested for squeezing */
const int SHORT_TEXT_BYTES = 256;		/* no second pass at or under this */
const int GOOD_FIRST_PERCENT = 70, GOOD_TWO_PERCENT = 93;
const int PREDICTION_TABLE_SIZE = 4096;	/* CheapRepWordsInplace's */

const ScoringTables scoring_tables = {
	&cld_generated_CjkUni_obj, &kCjkCompat_obj, &kCjkDeltaBi_obj, &kDistinctBiTable_obj,
	&kQuad_obj, &kQuad_obj2, &kDeltaOcta_obj, &kDistinctOcta_obj, kAvgDeltaOctaScore,
};

}	/* namespace */

struct cld2_fast {
	signed char	 ascii_script[128];	/* GetUTF8LetterScriptNum of each ASCII byte */
	bool		 ascii_stops[128];	/* ScanToLetterOrSpecial stops at it */
	bool		 ascii_skip[128];	/* a non-letter run goes over it */
	char		 ascii_lower[128];	/* LowerScriptSpan's byte for it, 0 if not one */
	bool		 lower_as_copied;	/* every ASCII letter and space has one */
	bool		 latin_by_8;		/* Latin letters are A-Z a-z, lowered | 0x20 */
	bool		 ascii_words;		/* and every other ASCII byte a non-letter */
	bool		 lowered_whole;		/* the span's letters were all ASCII */
	ScriptScanner	*lowerer;		/* only its LowerScriptSpan (and buffer) */
	cld2_score	*scorer;		/* CLD2's span scoring, lookups batched */
	const char	*start, *next;		/* the text, the first byte not scanned */
	int		 left;			/* bytes from next to the end */
	char		 spans[CLD2_FAST_MAX_BYTES + 64];	/* one script span, unlowered */
	char		 lowered[CLD2_FAST_MAX_BYTES + 64];	/* the same, lowercased as copied */
	int		 predict[PREDICTION_TABLE_SIZE];
};

namespace {

int
script_of(const cld2_fast *detector, const char *at)
{
	unsigned char byte = static_cast<unsigned char>(*at);

	return byte < 0x80 ? detector->ascii_script[byte] : GetUTF8LetterScriptNum(at);
}

/* ScanToLetterOrSpecial: bytes from at to the next letter (or < > &), at most length. */
int
skip_non_letters(const cld2_fast *detector, const char *at, int length)
{
	int i = 0;

	while (i < length && static_cast<unsigned char>(at[i]) < 0x80 &&
	    !detector->ascii_stops[static_cast<unsigned char>(at[i])])
		i++;
	if (i < length && static_cast<unsigned char>(at[i]) >= 0x80)
		i += ScanToLetterOrSpecial(at + i, length - i);
	return i;
}

/* ScriptScanner::SkipToFrontOfSpan for plain text: bytes to the first letter, its script. */
int
skip_to_span(const cld2_fast *detector, const char *at, int length, int *script)
{
	int skip = 0, sc = UNKNOWN_ULSCRIPT;

	while (skip < length) {
		skip += skip_non_letters(detector, at + skip, length - skip);
		if (skip >= length) {
			*script = sc;
			return length;
		}
		sc = script_of(detector, at + skip);
		if (sc != 0)
			break;
		skip += UTF8OneCharLen(at + skip);
	}
	*script = sc;
	return skip;
}

/* Whether the letter at `at` (of script sc, tlen bytes) ends a span of spanscript. */
bool
ends_span(const cld2_fast *detector, const char *at, int tlen, int sc, int spanscript)
{
	if (sc == spanscript || sc == ULScript_Inherited)
		return false;
	if (sc == ULScript_Common)
		return true;
	int next = script_of(detector, at + tlen);	/* one letter of another script is let by */
	return next != ULScript_Common && next != spanscript;
}

/* A span being built: the text from the span's first letter, and the span's buffers. */
struct cursor {
	const char	*in;
	int		 length, take;	/* bytes of in, bytes of it read */
	char		*out, *low;	/* the span, and lowercased by ascii_lower */
	int		 put;		/* bytes of out (and low) written */
	bool		 ascii;		/* only ASCII letters copied */
};

/* Bit 7 of each byte of eight that is an ASCII letter (A-Z, a-z). */
inline uint64_t
ascii_letters(uint64_t bytes)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t folded = (bytes & ~high) | 0x20 * ones;	/* 0x20-0x7F: no carries below */
	uint64_t from_a = folded + (0x80 - 'a') * ones, past_z = folded + (0x80 - 'z' - 1) * ones;

	return from_a & ~past_z & ~bytes & high;
}

/* Copies up to 8 ASCII letters at the cursor (Latin script, latin_by_8), lowered too;
 * returns how many.  Writes 8 bytes to each buffer (they have room). */
inline int
copy_latin_8(cursor *at)
{
	uint64_t bytes, letters;

	std::memcpy(&bytes, at->in + at->take, 8);
	letters = ascii_letters(bytes);
	uint64_t lowered = bytes | letters >> 2;	/* 0x80 >> 2: the 0x20 bit of the letters */
	int count = ~letters & 0x8080808080808080ULL ?
	    __builtin_ctzll(~letters & 0x8080808080808080ULL) >> 3 : 8;

	std::memcpy(at->out + at->put, &bytes, 8);
	std::memcpy(at->low + at->put, &lowered, 8);
	at->take += count;
	at->put += count;
	return count;
}

/* Bit i of the result: bit 7 of byte i of eight (the others 0). */
inline unsigned
byte_bits(uint64_t high_bits)
{
	return static_cast<unsigned>(((high_bits >> 7) * 0x0102040810204080ULL) >> 56);
}

/*
 * The 16 bytes at in copied to out, and to low with their ASCII letters lowered (| 0x20);
 * returns a bit for each byte that is an ASCII letter (A-Z, a-z), *high one for each over
 * 0x7F.  SSE2 where the target has it, two 8-byte words elsewhere.
 */
inline unsigned
copy_16(const char *in, char *out, char *low, unsigned *high)
{
#if defined(__SSE2__)
	__m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(in));
	__m128i from_a = _mm_sub_epi8(_mm_or_si128(bytes, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('a'));
	__m128i letters = _mm_cmpeq_epi8(_mm_min_epu8(from_a, _mm_set1_epi8(25)), from_a);

	_mm_storeu_si128(reinterpret_cast<__m128i *>(out), bytes);
	_mm_storeu_si128(reinterpret_cast<__m128i *>(low), _mm_or_si128(bytes,
	    _mm_and_si128(letters, _mm_set1_epi8(0x20))));
	*high = static_cast<unsigned>(_mm_movemask_epi8(bytes));
	return static_cast<unsigned>(_mm_movemask_epi8(letters));
#else
	uint64_t bytes[2];
	unsigned letters = 0;

	*high = 0;
	std::memcpy(bytes, in, 16);
	std::memcpy(out, bytes, 16);
	for (int i = 0; i < 2; i++) {
		uint64_t mask = ascii_letters(bytes[i]), lowered = bytes[i] | mask >> 2;

		std::memcpy(low + 8 * i, &lowered, 8);
		letters |= byte_bits(mask) << (8 * i);
		*high |= byte_bits(bytes[i] & 0x8080808080808080ULL) << (8 * i);
	}
	return letters;
#endif
}

/*
 * Copies whole words of ASCII letters at the cursor (ascii_words, a Latin span), 16 bytes
 * a load: from the first letter of a word, the word (and lowered) and one space for the run
 * of non-letters after it, when the word, that run and the next word's first letter are
 * all ASCII and within the 16 bytes; else it stops, at a word's first letter (or where it
 * began), and leaves the rest to copy_letters and skip_run, which do the same a byte (or 8
 * letters) at a time.
 */
inline void
copy_ascii_words(cursor *at)
{
	const char *in = at->in;
	char *out = at->out, *low = at->low;	/* locals: the char stores alias the cursor */
	int take = at->take, put = at->put, last = at->length - 16;

	while (take <= last) {
		unsigned high, letters = copy_16(in + take, out + put, low + put, &high);
		int end = __builtin_ctz(~letters);	/* the word's end (0: no word here) */
		int next = __builtin_ctz((letters & (~0u << end)) | 0x10000u);	/* the next's */

		if (end == 0 || next == 16 || (high & ((2u << next) - 1)) != 0)
			break;
		out[put + end] = ' ';
		low[put + end] = ' ';
		put += end + 1;
		take += next;
	}
	at->take = take;
	at->put = put;
}

/*
 * Copies the run of letters of script at the cursor (a letter of another script is let by
 * when the next is of this one or not a letter); returns the script of the character that
 * ended it (sc of CLD2's scanner).
 */
inline int
copy_letters(const cld2_fast *detector, cursor *at, int script)
{
	const signed char *ascii_script = detector->ascii_script;
	bool by_8 = script == ULScript_Latin && detector->latin_by_8;
	int sc = UNKNOWN_ULSCRIPT;

	while (at->take < at->length) {
		if (by_8 && at->take + 8 <= at->length) {
			int copied = copy_latin_8(at);

			sc = copied > 0 ? script : sc;
			if (copied == 8 || at->take >= at->length)
				continue;
		}
		unsigned char byte = static_cast<unsigned char>(at->in[at->take]);

		if (byte < 0x80 && ascii_script[byte] == script) {
			at->low[at->put] = detector->ascii_lower[byte];	/* most letters */
			at->out[at->put++] = at->in[at->take++];
			sc = script;
			continue;
		}
		if (byte < 0x80 && ascii_script[byte] == ULScript_Common)
			return ULScript_Common;				/* most word ends */
		int tlen = UTF8OneCharLen(at->in + at->take);

		sc = script_of(detector, at->in + at->take);
		if (ends_span(detector, at->in + at->take, tlen, sc, script))
			return sc;
		at->ascii = false;
		for (int i = 0; i < tlen; i++)
			at->out[at->put++] = at->in[at->take++];
	}
	return sc;
}

/* Skips the run of non-letters at the cursor; returns the script of the letter after it, or
 * sc when the text ends first. */
inline int
skip_run(const cld2_fast *detector, cursor *at, int sc)
{
	while (at->take < at->length) {
		unsigned char byte = static_cast<unsigned char>(at->in[at->take]);

		if (byte < 0x80) {
			if (!detector->ascii_skip[byte])
				return detector->ascii_script[byte];
			at->take++;
			continue;
		}
		at->take += skip_non_letters(detector, at->in + at->take, at->length - at->take);
		if (at->take >= at->length)
			break;
		if ((sc = script_of(detector, at->in + at->take)) != 0)
			return sc;
		at->take += UTF8OneCharLen(at->in + at->take);
	}
	return sc;
}

/*
 * ScriptScanner::GetOneScriptSpan for plain text, letters and marks only, one script a span:
 * the next run of same-script letters into detector->spans as " word word   \0" (one space
 * for each run of non-letters); false at the end.  The text is at most CLD2_FAST_MAX_BYTES,
 * so CLD2's buffer limits (40 KB) never apply.
 */
__attribute__((noinline)) bool
next_span(cld2_fast *detector, LangSpan *span)
{
	int script, skip = skip_to_span(detector, detector->next, detector->left, &script);

	*span = LangSpan { detector->spans, 0, static_cast<int>(detector->next - detector->start),
	    UNKNOWN_ULSCRIPT, UNKNOWN_LANGUAGE, false };
	std::memcpy(detector->spans, " ", 2);
	std::memcpy(detector->lowered, " ", 2);
	detector->next += skip;
	detector->left -= skip;
	if (detector->left <= 0)
		return false;
	span->ulscript = static_cast<ULScript>(script);

	cursor at = { detector->next, detector->left, 0, detector->spans, detector->lowered, 1,
	    true };

	bool words = script == ULScript_Latin && detector->ascii_words;

	while (at.take < at.length) {
		if (words)
			copy_ascii_words(&at);
		int sc = skip_run(detector, &at, copy_letters(detector, &at, script));

		at.low[at.put] = ' ';
		at.out[at.put++] = ' ';
		if (sc != script && sc != ULScript_Inherited)
			break;
	}
	while (at.take > 0 && at.take < at.length && (at.in[at.take] & 0xC0) == 0x80) {
		at.take--;	/* back to a character boundary */
		at.put--;
	}
	detector->next += at.take;
	detector->left -= at.take;
	std::memcpy(at.out + at.put, "   ", 4);
	std::memcpy(at.low + at.put, "   ", 4);
	span->text_bytes = at.put;
	detector->lowered_whole = at.ascii && detector->lower_as_copied;
	return true;
}

/*
 * ScriptScanner::LowerScriptSpan: span->text (with its 3 bytes of padding) lowercased, by
 * next_span as it copied the letters when they were all ASCII, else by CLD2.
 */
void
lower_span(cld2_fast *detector, LangSpan *span)
{
	if (detector->lowered_whole)
		span->text = detector->lowered;
	else
		detector->lowerer->LowerScriptSpan(span);
}

/* The ASCII tables, from CLD2's own functions. */
void
fill_ascii_tables(cld2_fast *detector)
{
	for (int byte = 0; byte < 128; byte++) {
		char one[8] = { static_cast<char>(byte) }, word[8] = " x    ";
		LangSpan span = { word, 3, 0, ULScript_Common, UNKNOWN_LANGUAGE, false };
		int script = GetUTF8LetterScriptNum(one);

		detector->ascii_script[byte] = static_cast<signed char>(script);
		detector->ascii_stops[byte] = ScanToLetterOrSpecial(one, 1) == 0;
		detector->ascii_skip[byte] = !detector->ascii_stops[byte] ||
		    script == ULScript_Common;
		word[1] = static_cast<char>(byte);
		detector->lowerer->LowerScriptSpan(&span);	/* " x   " must stay 3 + 3 bytes */
		bool one_byte = span.text_bytes == 3 && span.text[0] == ' ' &&
		    std::memcmp(span.text + 2, "    ", 5) == 0;
		detector->ascii_lower[byte] = byte != 0 && one_byte ? span.text[1] : 0;
	}
	detector->lower_as_copied = detector->ascii_lower[' '] == ' ';
	detector->latin_by_8 = detector->ascii_words = true;
	for (int byte = 0; byte < 128; byte++) {
		bool letter = (byte | 0x20) >= 'a' && (byte | 0x20) <= 'z';

		if (detector->ascii_script[byte] != ULScript_Common &&
		    detector->ascii_lower[byte] == 0)
			detector->lower_as_copied = false;
		if ((detector->ascii_script[byte] == ULScript_Latin) != letter ||
		    (letter && detector->ascii_lower[byte] != (byte | 0x20)))
			detector->latin_by_8 = false;
		if (!letter && (detector->ascii_script[byte] != ULScript_Common ||
		    !detector->ascii_skip[byte]))
			detector->ascii_words = false;
	}
	detector->ascii_words = detector->ascii_words && detector->latin_by_8;
}

/*
 * RefineScoredClosePairs(doc_tote, NULL, false, false) with cld2_close.h's table: for each
 * entry of a close set, the first later entry of the same set gets the bytes, score and
 * reliability of whichever of the two has fewer bytes (MoveLang1ToLang2), that one emptied.
 */
void
refine_close_pairs(DocTote *doc_tote)
{
	for (int sub = 0; sub < doc_tote->MaxSize(); sub++) {
		int set = cld2_close_set(doc_tote->Key(sub));

		if (set == 0)
			continue;
		for (int sub2 = sub + 1; sub2 < doc_tote->MaxSize(); sub2++) {
			if (cld2_close_set(doc_tote->Key(sub2)) != set)
				continue;
			bool first_less = doc_tote->Value(sub) < doc_tote->Value(sub2);
			int from = first_less ? sub : sub2, to = first_less ? sub2 : sub;

			MoveLang1ToLang2(static_cast<Language>(doc_tote->Key(from)),
			    static_cast<Language>(doc_tote->Key(to)), from, to, doc_tote, NULL);
			break;
		}
	}
}

/* What one pass came to. */
enum pass_end {
	PASS_ANSWERED,		/* the outputs hold CLD2's answer */
	PASS_AGAIN,		/* not good enough: CLD2 would score again, repeats removed */
	PASS_NOT_HERE		/* CLD2 would squeeze a span: its entry point must answer */
};

/* A ScoringContext as DetectLanguageSummaryV2 makes one for plain text without hints. */
void
context_init(ScoringContext *context, const char *text, int length)
{
	CLDHints hints = { NULL, NULL, UNKNOWN_ENCODING, UNKNOWN_LANGUAGE };

	std::memset(context, 0, sizeof(*context));
	context->debug_file = stderr;
	context->prior_chunk_lang = UNKNOWN_LANGUAGE;
	context->ulscript = ULScript_Common;
	context->scoringtables = &scoring_tables;
	context->scanner = NULL;
	context->init();
	ApplyHints(text, length, true, &hints, context);
}

/* Scores every script span of text into doc_tote; the text bytes scored, -1 for NOT_HERE. */
int
score_spans(cld2_fast *detector, const char *text, int length, int flags, DocTote *doc_tote)
{
	ScoringContext context;
	LangSpan span;
	int total_text_bytes = 0, hash = 0;
	bool repeats = (flags & kCLDFlagRepeats) != 0;

	context_init(&context, text, length);
	if (repeats)
		std::memset(detector->predict, 0, sizeof(detector->predict));
	detector->start = detector->next = text;
	detector->left = length;
	while (next_span(detector, &span)) {
		lower_span(detector, &span);
		if ((flags & kCLDFlagFinish) == 0 && span.text_bytes > SQUEEZE_TEST_BYTES)
			return -1;
		if (repeats)
			span.text_bytes = CheapRepWordsInplace(span.text, span.text_bytes, &hash,
			    detector->predict);
		context.ulscript = span.ulscript;
		cld2_score_span(detector->scorer, span, &context, doc_tote);
		total_text_bytes += span.text_bytes;
	}
	return total_text_bytes;
}

/* The outputs cld2_fast_detect returns: DetectLanguageSummaryV2's, in its order. */
struct answer {
	Language	*language3, summary;
	int		*percent3, *text_bytes;
	double		*scores3;
	bool		*reliable;
};

/*
 * One DetectLanguageSummaryV2 pass over text, flags 0 (the first) or the second pass's:
 * scoring, then the summary, unless the first answer is not good enough.
 */
pass_end
one_pass(cld2_fast *detector, const char *text, int length, int flags, answer *out)
{
	DocTote doc_tote;
	int reliable_percent3[3], total_text_bytes;

	for (int i = 0; i < 3; i++) {
		out->language3[i] = UNKNOWN_LANGUAGE;
		out->percent3[i] = 0;
		out->scores3[i] = 0.0;
	}
	*out->text_bytes = 0;
	*out->reliable = false;
	if ((total_text_bytes = score_spans(detector, text, length, flags, &doc_tote)) < 0)
		return PASS_NOT_HERE;
	refine_close_pairs(&doc_tote);
	doc_tote.Sort(3);
	ExtractLangEtc(&doc_tote, total_text_bytes, reliable_percent3, out->language3,
	    out->percent3, out->scores3, out->text_bytes, out->reliable);
	if ((flags & kCLDFlagFinish) == 0 && total_text_bytes > SHORT_TEXT_BYTES &&
	    !(*out->reliable && (out->percent3[0] >= GOOD_FIRST_PERCENT ||
	    out->percent3[0] + out->percent3[1] >= GOOD_TWO_PERCENT)))
		return PASS_AGAIN;
	RemoveUnreliableLanguages(&doc_tote, false, false);
	doc_tote.Sort(3);
	ExtractLangEtc(&doc_tote, total_text_bytes, reliable_percent3, out->language3,
	    out->percent3, out->scores3, out->text_bytes, out->reliable);
	CalcSummaryLang(&doc_tote, total_text_bytes, reliable_percent3, out->language3,
	    out->percent3, &out->summary, out->reliable, false, false, flags);
	return PASS_ANSWERED;
}

Language
public_entry(const char *text, int length, Language language3[3], int percent3[3],
    double scores3[3], int *text_bytes, bool *reliable)
{
	CLDHints hints = { NULL, NULL, UNKNOWN_ENCODING, UNKNOWN_LANGUAGE };

	return ExtDetectLanguageSummary(text, length, true, &hints, 0, language3, percent3,
	    scores3, NULL, text_bytes, reliable);
}

}	/* namespace */

cld2_fast *
cld2_fast_new(void)
{
	cld2_fast *detector = new (std::nothrow) cld2_fast();

	if (detector == NULL)
		return NULL;
	try {
		detector->lowerer = new ScriptScanner("", 0, true);	/* allocates 100 KB */
	} catch (const std::bad_alloc &) {
		delete detector;
		return NULL;
	}
	if ((detector->scorer = cld2_score_new(sizeof(detector->spans))) == NULL) {
		cld2_fast_free(detector);
		return NULL;
	}
	fill_ascii_tables(detector);
	return detector;
}

void
cld2_fast_free(cld2_fast *detector)
{
	if (detector == NULL)
		return;
	delete detector->lowerer;
	cld2_score_free(detector->scorer);
	delete detector;
}

Language
cld2_fast_detect(cld2_fast *detector, const char *text, int length, Language language3[3],
    int percent3[3], double scores3[3], int *text_bytes, bool *reliable)
{
	answer out = { language3, UNKNOWN_LANGUAGE, percent3, text_bytes, scores3, reliable };
	pass_end end = PASS_NOT_HERE;

	if (length > 0 && length <= CLD2_FAST_MAX_BYTES &&
	    (end = one_pass(detector, text, length, 0, &out)) == PASS_AGAIN)
		end = one_pass(detector, text, length, kCLDFlagTop40 | kCLDFlagRepeats |
		    kCLDFlagFinish, &out);
	if (end == PASS_ANSWERED)
		return out.summary;
	return public_entry(text, length, language3, percent3, scores3, text_bytes, reliable);
}
