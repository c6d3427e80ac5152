/*
 * article.c - the article record: construction, ownership and stable ids. Its two JSON forms
 * (the schema-2 Kafka message value and the `wiresift parse` record) are in article_json.c.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>

#include "article.h"
#include "dedup/dedup.h"
#include "story/story.h"
#include "url.h"
#include "util.h"

void
strlist_add(struct strlist *list, const char *value)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 4;
		list->items = xrealloc(list->items, list->capacity * sizeof *list->items);
	}
	list->items[list->count++] = xstrdup(value);
}

int
strlist_contains(const struct strlist *list, const char *value)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i], value) == 0)
			return 1;
	}
	return 0;
}

void
strlist_add_unique(struct strlist *list, const char *value)
{
	if (!strlist_contains(list, value))
		strlist_add(list, value);
}

void
strlist_clear(struct strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof *list);
}

uint64_t
article_content_hash(const struct article *article)
{
	const char *parts[] = { article->title, article->text, article->summary };
	XXH3_state_t state;	/* on the stack: no allocation an article */
	uint64_t hash;

	XXH3_64bits_reset(&state);
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *part = parts[i] != NULL ? parts[i] : "";

		XXH3_64bits_update(&state, part, strlen(part) + 1);
	}
	hash = XXH3_64bits_digest(&state);
	return hash != 0 ? hash : 1;
}

struct article *
article_new(void)
{
	struct article *article = xcalloc(1, sizeof(struct article));

	article->guid_is_permalink = -1;
	return article;
}

static void article_free_fields(struct article *article);

void
article_free(struct article *article)
{
	if (article == NULL)
		return;
	article_free_fields(article);
}

static void
enclosure_list_free(struct enclosure *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(list[i].url);
		free(list[i].type);
	}
	free(list);
}

static void
article_free_fields(struct article *article)
{
	char **strings[] = { &article->id, &article->guid, &article->link, &article->url,
	    &article->feed_url, &article->feed_name, &article->feed_title, &article->feed_format,
	    &article->source_name, &article->source_domain, &article->title_raw,
	    &article->summary_html, &article->content_html, &article->title, &article->summary,
	    &article->text, &article->dateline, &article->dedup.duplicate_of,
	    &article->dedup.group, &article->json_without_dedup, &article->summary_raw,
	    &article->content_raw, &article->feed_language, &article->fulltext_url,
	    &article->page_html, &article->page_content_type, &article->story.id,
	    &article->story.headline, &article->story.explain, &article->page_etag,
	    &article->page_last_modified, &article->page_cached_text,
	    &article->page_cached_method, &article->content_src };

	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		free(*strings[i]);
	for (size_t i = 0; i < ARTICLE_TEXT_FIELDS; i++) {
		free(article->text_language[i]);
		free(article->text_base[i]);
	}
	strlist_clear(&article->source_tags);
	strlist_clear(&article->authors);
	strlist_clear(&article->categories);
	strlist_clear(&article->keywords);
	strlist_clear(&article->topics);
	strlist_clear(&article->routes);
	for (size_t i = 0; i < article->entity_count; i++)
		free(article->entities[i].name);	/* and its type, in the same block */
	free(article->entities);
	enclosure_list_free(article->enclosures, article->enclosure_count);
	enclosure_list_free(article->media, article->media_count);
	article_person_list_free(article->people, article->person_count);
	for (size_t i = 0; i < article->category_detail_count; i++) {
		free(article->category_details[i].term);
		free(article->category_details[i].scheme);
		free(article->category_details[i].label);
	}
	free(article->category_details);
	dedup_sketch_destroy(article->dedup_sketch);
	story_features_destroy(article->story_features);
	free(article);
}

static void
free_fields(char **const *fields, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}

void
article_shed_prepared(struct article *article)
{
	char **bulky[] = { &article->summary_html, &article->content_html, &article->summary,
	    &article->summary_raw, &article->content_raw, &article->page_html,
	    &article->page_cached_text };

	free_fields(bulky, sizeof bulky / sizeof bulky[0]);
	article->page_html_length = 0;
	if (article->page_etag == NULL && article->page_last_modified == NULL) {
		free(article->text);
		article->text = NULL;
	}
}

void
article_shed_delivered(struct article *article)
{
	char **bulky[] = { &article->json_without_dedup, &article->story.explain };

	article_shed_prepared(article);
	free_fields(bulky, sizeof bulky / sizeof bulky[0]);
	dedup_sketch_destroy(article->dedup_sketch);
	article->dedup_sketch = NULL;
	story_features_destroy(article->story_features);
	article->story_features = NULL;
}

void
article_set(char **field, const char *value)
{
	char *copy = value != NULL ? xstrdup(value) : NULL;

	free(*field);
	*field = copy;
}

/*
 * The room article->entities has for entity_count entries: it grows only here, doubling from
 * ENTITIES_FIRST, so the room is known from the count alone (struct article, part of the
 * plugin ABI, keeps no capacity field).  It grew by one entry an add before, a realloc a name:
 * 8.1K of the 28.8K instructions an article's 23 adds took (bench_clean, article corpus).
 */
#define ENTITIES_FIRST 8

static int
entities_full(size_t count)
{
	return count == 0 || (count >= ENTITIES_FIRST && (count & (count - 1)) == 0);
}

void
article_add_entity(struct article *article, const char *name, const char *type, int count)
{
	size_t used = article->entity_count, name_size, type_size;
	char *copy;

	for (size_t i = 0; i < used; i++) {
		const char *known = article->entities[i].name;

		if (known[0] == name[0] && strcmp(known, name) == 0) {
			article->entities[i].count += count;
			return;
		}
	}
	if (entities_full(used))
		article->entities = xrealloc(article->entities,
		    (used == 0 ? ENTITIES_FIRST : used * 2) * sizeof *article->entities);
	type = type != NULL ? type : "other";
	name_size = strlen(name) + 1;
	type_size = strlen(type) + 1;
	/* one allocation for both: the type's copy follows the name's (freed with it) */
	copy = xmalloc(name_size + type_size);
	memcpy(copy, name, name_size);
	memcpy(copy + name_size, type, type_size);
	article->entities[used].name = copy;
	article->entities[used].type = copy + name_size;
	article->entities[used].count = count;
	article->entity_count = used + 1;
}

static int
same_string(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static char *
copy_or_null(const char *value)
{
	return value != NULL && value[0] != '\0' ? xstrdup(value) : NULL;
}

int
article_person_list_add(struct article_person **people, size_t *count, const char *name,
    const char *email, const char *uri)
{
	struct article_person *person;

	name = name != NULL && name[0] != '\0' ? name : NULL;
	email = email != NULL && email[0] != '\0' ? email : NULL;
	if (name == NULL && email == NULL && (uri == NULL || uri[0] == '\0'))
		return 0;
	for (size_t i = 0; i < *count; i++) {
		person = &(*people)[i];
		if (same_string(person->name, name) && same_string(person->email, email) &&
		    same_string(person->uri, uri != NULL && uri[0] != '\0' ? uri : NULL))
			return 0;
	}
	*people = xrealloc(*people, (*count + 1) * sizeof **people);
	person = &(*people)[(*count)++];
	person->name = copy_or_null(name);
	person->email = copy_or_null(email);
	person->uri = copy_or_null(uri);
	return 1;
}

void
article_person_list_free(struct article_person *people, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(people[i].name);
		free(people[i].email);
		free(people[i].uri);
	}
	free(people);
}

void
article_add_person(struct article *article, const char *name, const char *email,
    const char *uri)
{
	const struct article_person *person;

	if (!article_person_list_add(&article->people, &article->person_count, name, email, uri))
		return;
	person = &article->people[article->person_count - 1];
	if (person->name != NULL || person->email != NULL)
		strlist_add_unique(&article->authors,
		    person->name != NULL ? person->name : person->email);
}

void
article_add_category(struct article *article, const char *term, const char *scheme,
    const char *label)
{
	struct article_category *category;

	term = term != NULL && term[0] != '\0' ? term : NULL;
	label = label != NULL && label[0] != '\0' ? label : NULL;
	scheme = scheme != NULL && scheme[0] != '\0' ? scheme : NULL;
	if (term == NULL && label == NULL)
		return;
	for (size_t i = 0; i < article->category_detail_count; i++) {
		category = &article->category_details[i];
		if (same_string(category->term, term) && same_string(category->scheme, scheme) &&
		    same_string(category->label, label))
			return;
	}
	article->category_details = xrealloc(article->category_details,
	    (article->category_detail_count + 1) * sizeof *article->category_details);
	category = &article->category_details[article->category_detail_count++];
	category->term = copy_or_null(term);
	category->scheme = copy_or_null(scheme);
	category->label = copy_or_null(label);
	strlist_add_unique(&article->categories, term != NULL ? term : label);
}

int
article_enclosure_list_add(struct enclosure **list, size_t *count, const char *url,
    const char *type, long long length)
{
	struct enclosure *enclosure;

	for (size_t i = 0; i < *count; i++)
		if (strcmp((*list)[i].url, url) == 0)
			return 0;
	*list = xrealloc(*list, (*count + 1) * sizeof **list);
	enclosure = &(*list)[(*count)++];
	enclosure->url = xstrdup(url);
	enclosure->type = type ? xstrdup(type) : NULL;
	enclosure->length = length;
	return 1;
}

void
article_add_enclosure(struct article *article, const char *url, const char *type,
    long long length)
{
	article_enclosure_list_add(&article->enclosures, &article->enclosure_count, url, type,
	    length);
}

/* A guid that names the item globally, not just within its feed. */
static int
guid_is_global(const char *guid)
{
	return strncmp(guid, "http://", 7) == 0 || strncmp(guid, "https://", 8) == 0 ||
	    strncmp(guid, "urn:", 4) == 0 || strncmp(guid, "tag:", 4) == 0;
}

/*
 * The identity of a URL is its canonical form. When that URL is the item's link, the
 * canonical form is kept in article->url, which the cleaner would otherwise compute again.
 */
static void
identity_add_url(struct buffer *identity, struct article *article, const char *url)
{
	char *canonical = url_canonical(url, NULL, NULL);

	buffer_append_string(identity, "url\n");
	buffer_append_string(identity, canonical ? canonical : url);
	if (canonical != NULL && article->link != NULL && strcmp(url, article->link) == 0) {
		free(article->url);
		article->url = canonical;
	} else
		free(canonical);
}

/* What an article's id is computed from, in order of preference (article.h). */
enum identity_source {
	IDENTITY_GLOBAL_GUID,
	IDENTITY_LINK,
	IDENTITY_SCOPED_GUID,
	IDENTITY_CONTENT
};

static enum identity_source
identity_source(const struct article *article)
{
	if (article->guid != NULL && *article->guid != '\0' && guid_is_global(article->guid))
		return IDENTITY_GLOBAL_GUID;
	if (article->link != NULL && *article->link != '\0')
		return IDENTITY_LINK;
	if (article->guid != NULL && *article->guid != '\0')
		return IDENTITY_SCOPED_GUID;
	return IDENTITY_CONTENT;
}

int
article_id_depends_on_feed(const struct article *article)
{
	return identity_source(article) == IDENTITY_SCOPED_GUID;
}

void
article_assign_id(struct article *article)
{
	struct buffer identity = { 0 };
	const char *scope;
	XXH128_hash_t hash;
	XXH128_canonical_t canonical;
	char hex[33];

	switch (identity_source(article)) {
	case IDENTITY_GLOBAL_GUID:
		identity_add_url(&identity, article, article->guid);
		break;
	case IDENTITY_LINK:
		identity_add_url(&identity, article, article->link);
		break;
	case IDENTITY_SCOPED_GUID:
		scope = article->feed_name ? article->feed_name :
		    article->feed_title ? article->feed_title : article->feed_url;
		buffer_printf(&identity, "guid\n%s\n%s", scope ? scope : "", article->guid);
		break;
	case IDENTITY_CONTENT:
		buffer_printf(&identity, "content\n%s\n%s",
		    article->title_raw ? article->title_raw : "",
		    article->content_html ? article->content_html :
		    article->summary_html ? article->summary_html : "");
		break;
	}
	hash = XXH3_128bits(identity.data, identity.length);
	XXH128_canonicalFromHash(&canonical, hash);
	hex_encode(canonical.digest, sizeof canonical.digest, hex);
	article_set(&article->id, hex);
	buffer_free(&identity);
}
