/*
 * cld2_score.h - CLD2's scoring of one script span (what CLD2::ScoreOneScriptSpan does with
 * no result vector) with its quadgram and octagram table lookups batched: see cld2_score.cc.
 */
#ifndef WIRESIFT_CLD2_SCORE_H
#define WIRESIFT_CLD2_SCORE_H

#include <cstdio>	/* CLD2's headers need FILE */
#include <cld2/internal/scoreonescriptspan.h>
#include <cld2/internal/tote.h>

struct cld2_score;

/* Scratch for spans of up to max_bytes (CLD2's hit buffer, 56 KB, and 44 bytes a byte), for
 * one thread; NULL when out of memory.  Longer spans are scored by CLD2 alone. */
cld2_score *cld2_score_new(int max_bytes);
void cld2_score_free(cld2_score *scorer);

/*
 * CLD2::ScoreOneScriptSpan(span, context, doc_tote, NULL): the same changes to context and
 * doc_tote.  span.text is followed by CLD2's padding (3 spaces and a NUL).
 */
void cld2_score_span(cld2_score *scorer, const CLD2::LangSpan &span,
    CLD2::ScoringContext *context, CLD2::DocTote *doc_tote);

#endif
