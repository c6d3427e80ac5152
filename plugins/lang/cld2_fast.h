/*
 * cld2_fast.h - CLD2's plain-text detection (what CLD2::ExtDetectLanguageSummary answers for
 * plain text, no hints, no flags) with a faster script-span scanner and scoring walks: see
 * cld2_fast.cc and cld2_score.cc.
 */
#ifndef WIRESIFT_CLD2_FAST_H
#define WIRESIFT_CLD2_FAST_H

#include <cstdio>	/* compact_lang_det.h needs FILE */
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

/* The longest text the fast path takes; longer ones go to CLD2's own entry point. */
const int CLD2_FAST_MAX_BYTES = 2000;

struct cld2_fast;

/* A detector with its scratch (about 270 KB), for one thread; NULL when out of memory. */
cld2_fast *cld2_fast_new(void);
void cld2_fast_free(cld2_fast *detector);

/*
 * The verdict CLD2::ExtDetectLanguageSummary(text, length, true, {no hints}, 0, language3,
 * percent3, scores3, NULL, text_bytes, reliable) gives, the same in every output.  Reads
 * text[length] and a few bytes past it as CLD2 does (they must be readable).
 */
CLD2::Language cld2_fast_detect(cld2_fast *detector, const char *text, int length,
    CLD2::Language language3[3], int percent3[3], double scores3[3], int *text_bytes,
    bool *reliable);

#endif
