/*
 * lang.cc - the "lang" tagger plugin: identifies the language of title + text with CLD2
 * (Compact Language Detector 2, Debian's libcld2) and writes the ISO 639-1 code into
 * article->lang_code, with a confidence in lang_confidence: the share of the text CLD2 gave
 * to that language, halved when CLD2 calls its own answer unreliable.
 *
 * C++ only because CLD2's interface is C++; the plugin ABI stays the C one of plugin_api.h.
 * CLD2 is about 8x faster than libexttextcat's n-gram comparison here (75 us for 2 KB of
 * English, against 590 us), and better on short texts.
 *
 * The sample (max_bytes, 512 by default): CLD2's cost is about 0.8 us a call plus about 25
 * ns a byte it reads, through cld2_fast.cc and cld2_score.cc (bench_lang, thread CPU,
 * jemalloc with the daemon's tcache_max, load 25-30 on 2 cores, 3 rounds, the sizes
 * alternated in one run; CLD2's own entry point in brackets, "fast_scan = no"): on the
 * labelled corpus below 4.1 us at 128 bytes [7.1], 7.1 at 256 [12.3], 11.1 at 384 [19.5],
 * 13.9 at 512 [24.5], 24.7 at 1024 [43.2]; on 3,000 generated English articles
 * (gen_feeds.py articles) 3.7 at 128 [7.6] and 11.3-11.5 at 512 [26.1; 18.0-18.3 with only
 * cld2_fast.cc's scanner, f25d536]; a whole text (2-5 KB, over cld2_fast's 2,000-byte
 * limit, so CLD2's entry point either way) 110.  Most of it is per byte and the size is the
 * lever.
 * It stays 512 on this evidence: against the TRUE language of 2,878 news-shaped articles in
 * the 60 of lingua's 75 test languages (github.com/pemistahl/lingua accuracy-report
 * sentences, one sentence as title and 1.5-4 KB of the following ones as text;
 * tests/bench/lang_corpus.py) plus the 5 seeds, CLD2 is right on (the same through
 * cld2_fast.cc and through CLD2's entry point, every verdict)
 *
 *   max_bytes        128     256     384     512    1024   whole
 *   all            84.0%   90.4%   95.7%   96.8%   97.5%   97.7%
 *   Latin script   87.4%   84.1%   92.9%   94.7%   95.8%   96.2%   (1,669 articles)
 *   Cyrillic       94.9%   97.9%   99.1%   98.8%   99.7%   99.7%   (336)
 *   Arabic script  97.2%   99.3%   98.6%  100.0%  100.0%  100.0%   (144)
 *   CJK            53.0%   99.0%  100.0%  100.0%  100.0%  100.0%   (100)
 *   other scripts  70.5%   99.7%   99.8%  100.0%  100.0%  100.0%   (624)
 *   plain news     86.9%   96.7%   97.4%   97.4%   97.8%   98.1%   (768)
 *   with dateline  89.1%   97.0%   97.5%   97.1%   97.5%   97.4%   (761)
 *   site furniture 73.6%   71.5%   90.3%   94.9%   97.1%   97.7%   (745: text opens with
 *                                                      three lines of English share links,
 *                                                      dates, byline)
 *   short          86.5%   97.2%   97.8%   97.8%   97.8%   97.8%   (599: under ~512 bytes)
 *
 * 256 bytes would halve the time but lose 1.3 points on plain Latin-script news and 23 on
 * texts that open with furniture; on the demo, test and generated article feeds (all English)
 * no verdict changes at 256, which only says they cannot tell.  The other 15 languages
 * (am eo la mi mn nn om sn so ti tn ts xh yo zu) are outside Debian's libcld2 tables (its
 * libcld2full has 160+ languages) and are never right at any size.
 *
 * Where the time goes at 512 (callgrind of bench_lang over the 3,000 English articles, per
 * call): CLD2's entry point takes 153K instructions, 86K of them its script-span scanner
 * (ScriptScanner::GetOneScriptSpan and LowerScriptSpan: a UTF-8 state machine call per letter,
 * an offset map it keeps for output this plugin does not ask for) and 60K the quadgram and
 * octagram scoring.  cld2_fast.cc builds the same spans from ASCII tables taken from CLD2 at
 * start-up (CLD2's functions for the other characters; whole words of ASCII letters 16
 * bytes a load, other Latin letters eight at a time, lowercased as they are copied) and
 * cld2_score.cc walks them for CLD2's quadgram and
 * octagram lookups (its hash functions, inline, and tables) and totes the hits by chunk:
 * 62K instructions a call (72K before the 16-byte words, the tote's branch-free adds and
 * cld2_close.h's table, 84K with CLD2's scoring) in about half the time: the quadgram
 * lookups, random reads of a 1 MB table that stalled each one in turn (perf put 14% of
 * bench_lang's samples on that one load), are prefetched a walk ahead and compared without
 * branches, the toting has no call a hit, CLD2's hashes are inline (libcld2's were two calls
 * a gram: 81K instructions) and the walks choose their next step without a branch where a
 * word's end decides it, a quadgram of ASCII letters and its step from one 8-byte load
 * (about 15% less time than with those calls, branches and loads).  Of the 62K, the walks
 * and hashes are about 38K, the chunks' toting 8K, CLD2's LinearizeAll and ChunkAll 6K (a
 * copy of the two in cld2_score.cc, their state in locals, took 1.3K more), the scanner 5K,
 * CLD2's summary of the document (DocTote::Sort twice...) 3K.  The
 * answers are CLD2's: the same verdict on every article of bench_lang's corpus at every
 * size (BENCH_DIFF=512r,512), every output of the detection (text bytes, percents, scores)
 * on the unit test's random, mixed-script and word texts, and the same `wiresift process`
 * output.
 * Making the sample here takes under 1K (it reads only max_bytes of the text, not the whole
 * of it); counting letters up to min_chars about 0.5K.
 *
 * Thread-compatible: CLD2's detection is reentrant (its tables are const), and the sample
 * buffer and cld2_fast's detector (some 270 KB of scan buffers and CLD2's hit buffer, made
 * once) are the instance's own (one instance per thread).  CLD2's entry point allocates and
 * frees some 200 KB of scratch on every call (scanner 100 KB, hit buffer 56 KB a script span,
 * 16 KB prediction table); through cld2_fast only a span of a CJK script still takes a hit
 * buffer from CLD2.  With glibc's default trim threshold
 * the heap shrinks and grows back each time (page faults a call): a program on glibc's malloc
 * should raise M_TRIM_THRESHOLD (wiresift's malloc_tune() does).  The daemon allocates with
 * jemalloc, its tcache_max (daemon/main.c) above these sizes, so they come from the thread's
 * cache.
 */
#include <cstdio>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "article.h"
#include "cld2_fast.h"
#include "plugin_api.h"

namespace {

const int MAX_LANGUAGES = 64;

struct lang_state {
	/* options */
	long	 min_chars;
	long	 max_bytes;
	int	 fast_scan;	/* cld2_fast.cc, else CLD2's entry point */
	char	*languages;	/* space- or comma-separated codes, or NULL for all */
	/* loaded */
	CLD2::Language allowed[MAX_LANGUAGES];
	int	 allowed_count;
	/* scratch: the title and text sample, reused from article to article */
	char	*sample;
	size_t	 sample_size;
	cld2_fast *detector;	/* when fast_scan */
};

const struct ws_option lang_options[] = {
	{ "min_chars", "40", "texts with fewer letters than this are left unidentified",
	    WS_OPTION_INT, offsetof(struct lang_state, min_chars) },
	{ "max_bytes", "512", "identify from at most this many bytes of title + text",
	    WS_OPTION_INT, offsetof(struct lang_state, max_bytes) },
	{ "fast_scan", "yes", "find and score CLD2's script spans with cld2_fast.cc and "
	    "cld2_score.cc (the same answers, faster); no: CLD2's own entry point", WS_OPTION_BOOL,
	    offsetof(struct lang_state, fast_scan) },
	{ "languages", NULL, "only report these codes, e.g. \"en de fr\"",
	    WS_OPTION_STRING, offsetof(struct lang_state, languages) },
	{ NULL, NULL, NULL, WS_OPTION_STRING, 0 }
};

/* CLD2's code for a language as ISO 639-1 where CLD2 keeps an older or longer form. */
void
iso_code(CLD2::Language language, char code[8])
{
	static const struct { const char *cld2, *iso; } renamed[] = {
		{ "iw", "he" }, { "in", "id" }, { "jw", "jv" }, { "mo", "ro" }, { "ji", "yi" },
	};
	const char *name = CLD2::LanguageCode(language);
	size_t length = std::strcspn(name, "-_");

	if (length > 7)
		length = 7;
	std::memcpy(code, name, length);
	code[length] = '\0';
	for (const auto &entry : renamed)
		if (std::strcmp(code, entry.cld2) == 0)
			std::snprintf(code, 8, "%s", entry.iso);
}

int
lang_init(void *state_pointer, char *error, size_t error_size)
{
	lang_state *state = static_cast<lang_state *>(state_pointer);
	std::string list = state->languages ? state->languages : "";
	size_t position = 0;

	while (position < list.size()) {
		size_t end = list.find_first_of(" ,", position);
		std::string code = list.substr(position, end == std::string::npos ? std::string::npos :
		    end - position);
		position = end == std::string::npos ? list.size() : end + 1;
		if (code.empty())
			continue;
		CLD2::Language language = CLD2::GetLanguageFromName(code.c_str());
		if (language == CLD2::UNKNOWN_LANGUAGE) {
			std::snprintf(error, error_size, "no language \"%s\" known to CLD2",
			    code.c_str());
			return -1;
		}
		if (state->allowed_count == MAX_LANGUAGES) {
			std::snprintf(error, error_size, "more than %d languages", MAX_LANGUAGES);
			return -1;
		}
		state->allowed[state->allowed_count++] = language;
	}
	if (state->fast_scan && (state->detector = cld2_fast_new()) == NULL) {
		std::snprintf(error, error_size, "out of memory");
		return -1;
	}
	return 0;
}

bool
allowed(const lang_state *state, CLD2::Language language)
{
	if (state->allowed_count == 0)
		return true;
	for (int i = 0; i < state->allowed_count; i++)
		if (state->allowed[i] == language)
			return true;
	return false;
}

/*
 * Append up to limit + 1 - *length bytes of text to the sample; false when text did not fit
 * whole.  Reads no further into text than the room (strnlen): an article's text is some
 * kilobytes, the sample half of one.
 */
bool
sample_append(lang_state *state, size_t *length, size_t limit, const char *text)
{
	size_t room = limit + 1 - *length, copied = strnlen(text, room);

	std::memcpy(state->sample + *length, text, copied);
	*length += copied;
	return copied < room || text[room] == '\0';
}

/*
 * Title and text into state->sample, at most max_bytes, cut on a UTF-8 character boundary;
 * returns its length.  Reads one byte past the limit to see where a character ends.  The
 * buffer has 4 bytes more: CLD2 looks at the character after the sample's end.
 */
size_t
sample_text(lang_state *state, const article *item)
{
	size_t limit = state->max_bytes > 0 ? (size_t)state->max_bytes : 512, length = 0;

	if (state->sample_size < limit + 5) {
		char *grown = static_cast<char *>(std::realloc(state->sample, limit + 5));

		if (grown == NULL)
			return 0;
		state->sample = grown;
		state->sample_size = limit + 5;
	}
	if ((item->title == NULL || (sample_append(state, &length, limit, item->title) &&
	    sample_append(state, &length, limit, "\n\n"))) &&
	    (item->text != NULL || item->summary != NULL))
		sample_append(state, &length, limit, item->text != NULL ? item->text :
		    item->summary);
	if (length > limit) {
		length = limit;
		while (length > 0 &&
		    (static_cast<unsigned char>(state->sample[length]) & 0xC0) == 0x80)
			length--;
	}
	return length;
}

/*
 * Whether text holds at least `wanted` letters (ASCII letters and characters from 0x80, each
 * counted once): the count stops there, a few dozen bytes into an article, not at its end.
 */
bool
has_letters(const char *text, size_t length, size_t wanted)
{
	size_t letters = 0;

	for (size_t i = 0; i < length && letters < wanted; i++) {
		unsigned char byte = static_cast<unsigned char>(text[i]);

		if ((byte & 0xC0) == 0x80)
			continue;
		if (byte >= 0x80 || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z'))
			letters++;
	}
	return letters >= wanted;
}

int
lang_process(void *state_pointer, struct article *item)
{
	lang_state *state = static_cast<lang_state *>(state_pointer);
	size_t length = sample_text(state, item);
	CLD2::CLDHints hints = { NULL, NULL, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE };
	CLD2::Language top3[3];
	int percent3[3], text_bytes = 0;
	double scores3[3];
	bool reliable = false;

	if (!has_letters(state->sample, length,
	    static_cast<size_t>(state->min_chars > 0 ? state->min_chars : 0)))
		return 0;	/* too short to tell: leave lang_code empty */
	if (state->detector != NULL)
		cld2_fast_detect(state->detector, state->sample, static_cast<int>(length), top3,
		    percent3, scores3, &text_bytes, &reliable);
	else
		CLD2::ExtDetectLanguageSummary(state->sample, static_cast<int>(length), true,
		    &hints, 0, top3, percent3, scores3, NULL, &text_bytes, &reliable);
	for (int i = 0; i < 3; i++) {
		if (top3[i] == CLD2::UNKNOWN_LANGUAGE || !allowed(state, top3[i]))
			continue;
		iso_code(top3[i], item->lang_code);
		item->lang_confidence = std::round(percent3[i] * (reliable ? 10.0 : 5.0)) / 1000.0;
		return 0;
	}
	return 0;
}

void
lang_fini(void *state_pointer)
{
	lang_state *state = static_cast<lang_state *>(state_pointer);

	cld2_fast_free(state->detector);
	state->detector = NULL;
	std::free(state->sample);
	state->sample = NULL;
	state->sample_size = 0;
}

const struct ws_plugin lang_plugin = {
	WS_PLUGIN_ABI,
	"lang",
	"language identification with CLD2",
	lang_options,
	sizeof(lang_state),
	lang_init,
	lang_process,
	lang_fini,
	NULL,	/* process_tokens: CLD2 reads the text itself */
};

}	/* namespace */

extern "C" const struct ws_plugin *
ws_plugin_entry(void)
{
	return &lang_plugin;
}

/*
 * For tests/unit/test_lang.c only (taken with dlsym; not part of the plugin ABI): every
 * output of CLD2's detection of text (length bytes, followed by at least 8 readable bytes),
 * through cld2_fast_detect when fast, else through CLD2's entry point as lang_process calls
 * it; returns the summary language, -1 when out of memory.  So that the test compares all
 * of them, not only the verdict the plugin writes: the bytes scored (text_bytes) and the
 * scores move with every byte of every script span.
 */
extern "C" int
ws_lang_detect_detail(int fast, const char *text, int length, int language3[3],
    int percent3[3], double scores3[3], int *text_bytes, int *reliable)
{
	CLD2::CLDHints hints = { NULL, NULL, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE };
	CLD2::Language top3[3], summary;
	cld2_fast *detector = NULL;
	bool is_reliable = false;

	if (fast && (detector = cld2_fast_new()) == NULL)
		return -1;
	if (fast)
		summary = cld2_fast_detect(detector, text, length, top3, percent3, scores3,
		    text_bytes, &is_reliable);
	else
		summary = CLD2::ExtDetectLanguageSummary(text, length, true, &hints, 0, top3,
		    percent3, scores3, NULL, text_bytes, &is_reliable);
	cld2_fast_free(detector);
	for (int i = 0; i < 3; i++)
		language3[i] = top3[i];
	*reliable = is_reliable;
	return summary;
}
