/*
 * cld2_close.h - CLD2's close sets of languages (LanguageCloseSet: Indonesian and Malay,
 * Czech and Slovak, Norwegian and Danish...) from a table taken from CLD2 once, for
 * cld2_score.cc's chunk summaries (SameCloseSet) and cld2_fast.cc's document summary
 * (RefineScoredClosePairs).  CLD2's function is a chain of 26 compares, and
 * RefineScoredClosePairs calls it for each of the document tote's 24 entries: about 1.5K
 * instructions of a 512-byte sample's 64K.
 */
#ifndef WIRESIFT_CLD2_CLOSE_H
#define WIRESIFT_CLD2_CLOSE_H

#include <cstdint>
#include <cld2/internal/lang_script.h>

/* LanguageCloseSet of every language. */
struct cld2_close_sets {
	uint8_t	 of[CLD2::NUM_LANGUAGES];

	cld2_close_sets()
	{
		for (int language = 0; language < CLD2::NUM_LANGUAGES; language++)
			of[language] = static_cast<uint8_t>(CLD2::LanguageCloseSet(
			    static_cast<CLD2::Language>(language)));
	}
};

/* LanguageCloseSet(language): 0 for none, and for any number that is not a language
 * (DocTote's unused key 0xFFFF), as CLD2's chain of compares answers. */
inline int
cld2_close_set(int language)
{
	static const cld2_close_sets sets;	/* made once, by the first caller */

	return language >= 0 && language < CLD2::NUM_LANGUAGES ? sets.of[language] : 0;
}

/* SameCloseSet: both languages in one close set. */
inline bool
cld2_same_close_set(int language1, int language2)
{
	int set = cld2_close_set(language1);

	return set != 0 && set == cld2_close_set(language2);
}

#endif
