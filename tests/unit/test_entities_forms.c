/*
 * test_entities_forms.c - the entities plugin with the host's stable form ids (plugin_api.h:
 * it remembers each form's lexicon id by form id, across articles, for one generation)
 * against the same plugin without them: three chains over the same generated articles, one
 * whose token stream keeps the default limit of form ids, one that starts its ids over every
 * article or two (a new generation: what the plugin remembers must go), one that gives most
 * articles no ids at all (the fold-and-look-up path, as before the ids) - every article's
 * entities the same in all three: names, types, counts, order.  The articles mix the shipped
 * gazetteers' names (read from conf/gazetteers at run time), capitalized words no gazetteer
 * knows, titles, connectors, stop words and paragraph breaks.  Runs from the repo root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANDOM_SEED	0x5eed0e17ULL

#include "check.h"
#include "plugin_dir.h"
#include "xorshift.h"
#include "article.h"
#include "log.h"
#include "plugin.h"
#include "token_forms.h"
#include "tokens.h"
#include "util.h"

#define ARTICLES	300
#define MAX_NAMES	1024
#define SMALL_FORM_LIMIT	120	/* a new generation every article or two */
#define TINY_FORM_LIMIT		30	/* most articles without ids */

static char *names[MAX_NAMES];
static size_t name_count;

static const char *const words[] = {
	"the", "said", "on", "Monday", "after", "talks", "with", "officials", "in", "a", "of",
	"President", "minister", "Residents", "Ministry", "University", "Airport", "al", "bin",
	"de", "Kestrel", "Gorge", "Dam", "Harbour", "Board", "Petra", "Vesk", "Saltmere",
	"Fenmoor", "Brackwater", "Sluice", "US", "NATO", "2024", "10,000", "It's", "O'Brien",
	"\xc3\x89lodie", "ERDO\xc4\x9e" "AN", "Z\xc3\xbcrich", "river", "council", "voted",
};

/* The names of the shipped gazetteers (comments and blank lines skipped). */
static size_t
names_read(void)
{
	static const char *const files[] = {
		"conf/gazetteers/people.txt", "conf/gazetteers/places.txt",
		"conf/gazetteers/organizations.txt", "conf/gazetteers/other.txt",
	};
	char line[256];

	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		FILE *file = fopen(files[f], "r");

		if (file == NULL)
			continue;
		while (name_count < MAX_NAMES && fgets(line, sizeof line, file) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] != '\0' && line[0] != '#')
				names[name_count++] = xstrdup(line);
		}
		fclose(file);
	}
	return name_count;
}

static void
generate(struct buffer *out, unsigned pieces)
{
	buffer_reset(out);
	for (unsigned i = 0; i < pieces; i++) {
		unsigned pick = next_random(10);

		if (pick < 3)
			buffer_append_string(out, names[next_random((unsigned)name_count)]);
		else
			buffer_append_string(out, words[next_random(sizeof words / sizeof words[0])]);
		pick = next_random(20);
		buffer_append_string(out, pick == 0 ? ".\n\n" : pick < 3 ? ". " : pick < 4 ?
		    ", " : " ");
	}
	buffer_append(out, "", 1);
}

static struct plugin_chain *
chain_load(void)
{
	struct plugin_config config = { .name = (char *)"entities",
	    .config_file = (char *)"conf/wiresift.conf", .line = 1 };
	char error[512];
	struct plugin_chain *chain = plugin_chain_load(&config, 1, NULL, error, sizeof(error));

	if (chain == NULL)
		fprintf(stderr, "  cannot load entities: %s\n", error);
	return chain;
}

static int
same_entities(const struct article *a, const struct article *b)
{
	if (a->entity_count != b->entity_count)
		return 0;
	for (size_t i = 0; i < a->entity_count; i++)
		if (strcmp(a->entities[i].name, b->entities[i].name) != 0 ||
		    strcmp(a->entities[i].type, b->entities[i].type) != 0 ||
		    a->entities[i].count != b->entities[i].count)
			return 0;
	return 1;
}

static void
test_with_and_without_form_ids(void)
{
	const size_t limits[3] = { FORM_LIMIT_DEFAULT, SMALL_FORM_LIMIT, TINY_FORM_LIMIT };
	struct plugin_chain *chains[3];
	struct buffer title = { 0 }, text = { 0 };
	size_t with_ids = 0, without_ids = 0, generations = 0, found = 0, differing = 0;
	uint32_t generation = 0;

	if (names_read() == 0) {
		SKIP("conf/gazetteers cannot be read");
		return;
	}
	for (size_t i = 0; i < 3; i++)
		CHECK((chains[i] = chain_load()) != NULL);
	for (unsigned n = 0; n < ARTICLES && chains[0] && chains[1] && chains[2]; n++) {
		struct article *articles[3];
		const struct ws_tokens *tokens;

		generate(&title, 3 + next_random(8));
		generate(&text, 20 + next_random(200));
		for (size_t i = 0; i < 3; i++) {
			articles[i] = article_new();
			article_set(&articles[i]->title, title.data);
			article_set(&articles[i]->text, text.data);
			token_streams_form_limit(limits[i]);
			plugin_chain_process(chains[i], articles[i]);
		}
		token_streams_form_limit(FORM_LIMIT_DEFAULT);
		with_ids += ws_tokens_have_form_ids(plugin_chain_tokens(chains[0]));
		without_ids += !ws_tokens_have_form_ids(plugin_chain_tokens(chains[2]));
		tokens = plugin_chain_tokens(chains[1]);
		if (tokens->form_generation != 0 && tokens->form_generation != generation) {
			generation = tokens->form_generation;
			generations++;
		}
		found += articles[0]->entity_count;
		differing += !same_entities(articles[0], articles[1]) ||
		    !same_entities(articles[0], articles[2]);
		for (size_t i = 0; i < 3; i++)
			article_free(articles[i]);
	}
	CHECK(differing == 0);
	/* the three paths were taken: ids kept, ids started over, no ids; names were found */
	CHECK(with_ids == ARTICLES && without_ids > ARTICLES / 2 && generations > ARTICLES / 4);
	CHECK(found > ARTICLES * 3);
	for (size_t i = 0; i < 3; i++)
		plugin_chain_free(chains[i]);
	buffer_free(&title);
	buffer_free(&text);
	for (size_t i = 0; i < name_count; i++)
		free(names[i]);
}

int
main(void)
{
	log_init(LOG_LEVEL_WARNING);
	plugin_dir_default();
	RUN(test_with_and_without_form_ids);
	return check_finish();
}
