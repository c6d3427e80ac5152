/*
 * tally.c - the entities plugin's tally of one article's mentions (struct tally, entities.h):
 * known names and phrases of the text with their counts and first mentions, people's
 * surnames, by which a word alone counts, and the title's runs waiting for the text's names;
 * entities.c fills it while matching and reports it in order of first mention, or fails the
 * article when a mention could not be kept (out of memory: tally->failed).
 */
#include <stdlib.h>
#include <string.h>

#include "entities.h"

/* The first person entry whose surname is folded (words_hash hash); -1 when none. */
long
surname_find(const struct tally *tally, const char *folded, uint64_t hash)
{
	if ((tally->surname_bits >> (hash & 63) & 1) == 0)
		return -1;
	for (size_t i = 0; i < tally->count; i++) {
		const struct tally_entry *entry = &tally->entries[i];

		if (entry->has_surname && entry->surname_hash == hash &&
		    strcmp(entry->surname, folded) == 0)
			return (long)i;
	}
	return -1;
}

/* A person's last word, folded, as entry's surname. */
static void
surname_set(struct tally_entry *entry)
{
	const char *last_space = strrchr(entry->name, ' ');

	entry->has_surname = 0;
	if (last_space == NULL || strcmp(entry->type, "person") != 0)
		return;
	words_fold(last_space + 1, strlen(last_space + 1), entry->surname, TOKEN_BYTES);
	entry->surname_hash = words_hash(entry->surname);
	entry->has_surname = 1;
}

/* A known name's surname (gazetteer.c folded it once) as entry's. */
static void
surname_copy(struct tally_entry *entry, const struct known_name *known)
{
	entry->has_surname = known->surname != NULL;
	if (!entry->has_surname)
		return;
	memcpy(entry->surname, known->surname, known->surname_length + 1);
	entry->surname_hash = known->surname_hash;
}

/*
 * One more mention of name (words_hash hash): a known name's (kept as it is, the gazetteers
 * outlive the article) or, with known NULL, a phrase of the text's (copied).  Out of memory,
 * it sets tally->failed.
 */
void
tally_add(struct tally *tally, const char *name, uint64_t hash, const struct known_name *known,
    const char *type, size_t position)
{
	struct tally_entry *entry, *grown;

	for (size_t i = 0; i < tally->count; i++) {
		if (tally->entries[i].hash == hash && (tally->entries[i].name == name ||
		    strcmp(tally->entries[i].name, name) == 0)) {
			tally_mention(tally, i, position);
			return;
		}
	}
	if ((grown = grow_for_one(tally->entries, &tally->capacity, tally->count,
	    sizeof(*grown), 32)) == NULL) {
		tally->failed = 1;
		return;
	}
	tally->entries = grown;
	entry = &tally->entries[tally->count];
	entry->copy = NULL;
	entry->known = known;
	if (known == NULL && (name = entry->copy = strdup(name)) == NULL) {
		tally->failed = 1;
		return;
	}
	entry->name = name;
	entry->hash = hash;
	entry->type = type;
	entry->count = 1;
	entry->first_at = position;
	/* an earlier person with the same surname keeps it */
	if (known != NULL)
		surname_copy(entry, known);
	else
		surname_set(entry);
	if (entry->has_surname && surname_find(tally, entry->surname, entry->surname_hash) >= 0)
		entry->has_surname = 0;
	if (entry->has_surname)
		tally->surname_bits |= (uint64_t)1 << (entry->surname_hash & 63);
	tally->count++;
}

/* The tally empty for the next article (its arrays kept). */
void
tally_clear(struct tally *tally)
{
	for (size_t i = 0; i < tally->count; i++)
		if (tally->entries[i].copy != NULL)
			free(tally->entries[i].copy);
	tally->count = 0;
	tally->surname_bits = 0;
	tally->title_run_count = 0;
	tally->failed = 0;
}

void
tally_free(struct tally *tally)
{
	tally_clear(tally);
	free(tally->entries);
	free(tally->title_runs);
	memset(tally, 0, sizeof(*tally));
}

/* A run of the title's capitalized words no gazetteer knows, tokens [first, end); out of
 * memory, it sets tally->failed. */
void
title_run_add(struct tally *tally, size_t first, size_t end)
{
	struct title_run *grown = grow_for_one(tally->title_runs, &tally->title_run_capacity,
	    tally->title_run_count, sizeof(*grown), 8);

	if (grown == NULL) {
		tally->failed = 1;
		return;
	}
	tally->title_runs = grown;
	tally->title_runs[tally->title_run_count].first = first;
	tally->title_runs[tally->title_run_count++].end = end;
}

/*
 * Entries in order of first mention (each token starts one mention at most, so the order is
 * total): by insertion, as they are found mostly in that order already.
 */
void
entries_sort(struct tally *tally)
{
	struct tally_entry *entries = tally->entries, moving;

	for (size_t i = 1; i < tally->count; i++) {
		size_t at = i;

		if (entries[i - 1].first_at < entries[i].first_at)
			continue;
		moving = entries[i];
		while (at > 0 && entries[at - 1].first_at > moving.first_at) {
			entries[at] = entries[at - 1];
			at--;
		}
		entries[at] = moving;
	}
}
