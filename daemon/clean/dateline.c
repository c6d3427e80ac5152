/*
 * dateline.c - the dateline ("JALALABAD, Afghanistan —", "WASHINGTON (AP) —", "NEW DELHI: ",
 * "New Delhi, Sep 21 (PTI) ") found at the start of one of the first paragraphs, stored in
 * article->dateline and removed from the text. regexec finds the whole match only; the place
 * and the dash are read off it where its shape leaves one reading (regexec's ten groups cost
 * twenty times its match: ~2 us against 0.1 us a paragraph), from regexec's groups where a
 * day makes it ambiguous; test_clean_dateline compares the two.
 */
#include <stdlib.h>
#include <string.h>

#include "clean_internal.h"

#define DATELINE_SCAN_BYTES	240	/* a dateline sits in the first few words */
#define DATELINE_MAX_PARAGRAPHS	3	/* title and standfirst may precede it */
#define DATELINE_LEAD_MAX_WORDS	60	/* ... but only short ones */

/* Lead words that look like a dateline in capitals but are labels. */
static const char *const dateline_labels[] = {
	"ALERT", "ANALYSIS", "BREAKING", "BREAKING NEWS", "COMMENT", "CORRECTION", "EDITORIAL", "EDITOR'S NOTE",
	"EXCLUSIVE", "EXPLAINER", "FACT CHECK", "FILE", "FLASH", "INTERVIEW", "JUST IN", "LIVE", "LIVE UPDATES", "NOTE",
	"OPINION", "PHOTO", "PHOTOS", "Q", "REVIEW", "UPDATE", "UPDATED", "URGENT", "VIDEO", "WATCH",
	NULL
};

int
compile_datelines(struct clean_rules *rules)
{
#define CITY	"[A-Z][A-Z.'-]*[A-Z.]"
#define WORD	"[A-Z][A-Za-z.'-]*"
#define DAY	"[A-Z][a-z]{2,8}\\.? [0-9]{1,2}"
	/* "JALALABAD, Afghanistan —", "WASHINGTON (AP) —", "NEW YORK, Sept 21 (Reuters) -" */
	static const char dash[] = "^(" CITY "( " CITY ")*(, " WORD "( " WORD ")*)*)(,? " DAY ")?"
	    "( \\([^()]+\\))? ?(—|–|--|-) +";
	/* "NEW DELHI: " */
	static const char colon[] = "^(" CITY "( " CITY "){0,3}(, " WORD "( " WORD ")*)?): +";
	/* "New Delhi, Sep 21 (PTI) " */
	static const char wire[] = "^(" WORD "( " WORD ")?), " DAY " \\((PTI|IANS|ANI|UNI|Reuters|"
	    "AFP|AP|Xinhua|dpa)\\):?( (—|–|-))? +";
#undef CITY
#undef WORD
#undef DAY
	struct dateline_pattern *patterns = rules->datelines;

	if (regcomp(&patterns[DATELINE_DASH].regex, dash, REG_EXTENDED) != 0)
		return -1;
	patterns[DATELINE_DASH].agency_group = 6;
	patterns[DATELINE_DASH].dash_group = 7;
	if (regcomp(&patterns[DATELINE_COLON].regex, colon, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		return -1;
	}
	if (regcomp(&patterns[DATELINE_WIRE].regex, wire, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		regfree(&patterns[DATELINE_COLON].regex);
		return -1;
	}
	patterns[DATELINE_WIRE].agency_group = 3;
	prefilter_build(&patterns[DATELINE_DASH].filter, dash, 0);
	prefilter_build(&patterns[DATELINE_COLON].filter, colon, 0);
	prefilter_build(&patterns[DATELINE_WIRE].filter, wire, 0);
	return 0;
}

static int
is_dateline_label(const char *place, size_t length)
{
	for (size_t i = 0; dateline_labels[i] != NULL; i++)
		if (strlen(dateline_labels[i]) == length &&
		    strncmp(dateline_labels[i], place, length) == 0)
			return 1;
	return 0;
}

/* 0: match_dateline takes the groups from regexec always (test_clean_dateline compares). */
int dateline_groups_by_hand = 1;

/* The match's end before the trailing spaces and the dash of DATELINE_DASH (" ?" and
 * "(—|–|--|-) +"); *hyphen: the dash starts with '-'. */
static size_t
before_dash(const char *match, size_t end, int *hyphen)
{
	while (end > 0 && match[end - 1] == ' ')
		end--;
	*hyphen = end > 0 && match[end - 1] == '-';
	if (*hyphen)
		end -= end > 1 && match[end - 2] == '-' ? 2 : 1;
	else if (end >= 3 && (memcmp(match + end - 3, "\xe2\x80\x94", 3) == 0 ||
	    memcmp(match + end - 3, "\xe2\x80\x93", 3) == 0))
		end -= 3;
	if (end > 0 && match[end - 1] == ' ')
		end--;
	return end;
}

/*
 * What match_dateline needs of regexec's groups, read off the whole match [0, end) where
 * its shape leaves one reading: the place's length (group 1), and for DATELINE_DASH whether
 * it is a dateline by its dash (an ASCII dash only after an agency: a dash starting with
 * '-' with no ')' before it means none). The place holds no ':' (colon), no ',' (wire, whose
 * place is one or two words); before the dash pattern's optional " (agency)" and dash, a
 * digit would end a day (left to regexec), and nothing else can end the place. Returns 1
 * with *place_length, 0 for "not a dateline", -1 to ask regexec for the groups.
 */
static int
groups_by_hand(int which, const char *match, size_t end, size_t *place_length)
{
	const char *stop;
	size_t at;
	int hyphen;

	if (which != DATELINE_DASH) {
		stop = memchr(match, which == DATELINE_COLON ? ':' : ',', end);
		if (stop == NULL)
			return -1;
		*place_length = (size_t)(stop - match);
		return 1;
	}
	at = before_dash(match, end, &hyphen);
	if (at > 0 && match[at - 1] == ')') {
		while (at > 0 && match[at - 1] != '(')
			at--;
		if (at < 2 || match[at - 2] != ' ')
			return -1;
		at -= 2;
	} else if (hyphen)
		return 0;	/* "NATO - ..." is a sentence; "PARIS (Reuters) - " a dateline */
	if (at == 0 || (match[at - 1] >= '0' && match[at - 1] <= '9'))
		return -1;
	*place_length = at;
	return 1;
}

/*
 * The length of the whole match, and the place's, of a pattern on head: regexec for the
 * match only (its groups cost 20 times as much), the groups by hand where they can be.
 * 0 when no dateline.
 */
static size_t
dateline_groups(const struct dateline_pattern *pattern, int which, const char *head,
    size_t *place_length)
{
	regmatch_t groups[10];
	int by_hand = -1;

	if (dateline_groups_by_hand) {
		if (regexec(&pattern->regex, head, 1, groups, 0) != 0)
			return 0;
		by_hand = groups_by_hand(which, head, (size_t)groups[0].rm_eo, place_length);
		if (by_hand == 0)
			return 0;
	}
	if (by_hand == -1) {
		if (regexec(&pattern->regex, head, 10, groups, 0) != 0)
			return 0;
		*place_length = (size_t)groups[1].rm_eo;
		if (pattern->dash_group != 0 && groups[pattern->dash_group].rm_so >= 0 &&
		    head[groups[pattern->dash_group].rm_so] == '-' &&
		    groups[pattern->agency_group].rm_so < 0)
			return 0;	/* "NATO - ..." is a sentence */
	}
	return (size_t)groups[0].rm_eo;
}

/*
 * Match one dateline pattern at the start of a paragraph, seen through its first
 * DATELINE_SCAN_BYTES; returns the length of the whole dateline (0: none) and the place in
 * *place_length.
 */
static size_t
match_dateline(const struct clean_rules *rules, int which, struct filter_text *head_view,
    size_t *place_length)
{
	const struct dateline_pattern *pattern = &rules->datelines[which];
	char head[DATELINE_SCAN_BYTES + 1];
	size_t head_length = head_view->length, length;

	if (!prefilter_passes(&pattern->filter, head_view))
		return 0;
	memcpy(head, head_view->text, head_length);
	head[head_length] = '\0';
	length = dateline_groups(pattern, which, head, place_length);
	if (length == 0 || is_dateline_label(head, *place_length))
		return 0;
	if (length >= head_length)
		return 0;	/* nothing after it: the paragraph is a heading */
	return length;
}

/* Find, store and remove the dateline of the first paragraphs. */
void
extract_dateline(const struct clean_rules *rules, struct article *article,
    struct paragraphs *list, struct filter_text *view, const struct explain_sink *sink)
{
	size_t seen = 0;

	for (size_t i = 0; i < list->count && seen < DATELINE_MAX_PARAGRAPHS; i++) {
		struct paragraph *paragraph = &list->items[i];
		size_t length = 0, place_length = 0;

		if (paragraph->dropped)
			continue;
		filter_text_set(view, paragraph->text, paragraph->length < DATELINE_SCAN_BYTES ?
		    paragraph->length : DATELINE_SCAN_BYTES);
		for (int p = 0; p < DATELINE_PATTERNS && length == 0; p++)
			if (p != DATELINE_COLON || seen == 0)
				length = match_dateline(rules, p, view, &place_length);
		if (length > 0) {
			char *removed = xstrndup(paragraph->text, length);

			free(article->dateline);
			article->dateline = xstrndup(paragraph->text, place_length);
			explain_removal(sink, "dateline", removed);
			free(removed);
			memmove(paragraph->text, paragraph->text + length,
			    paragraph->length - length + 1);
			paragraph->length -= length;
			paragraph->words = count_words(paragraph->text, paragraph->length);
			return;
		}
		if (paragraph->words > DATELINE_LEAD_MAX_WORDS)
			return;
		seen++;
	}
}
