/*
 * article.h - the one record every pipeline stage reads and writes.
 *
 * The feed parser fills the raw fields (guid, link, *_html, dates, authors, the detail block
 * at the end), the cleaner turns them into plain text, tagger plugins add tags, dedup fills
 * `dedup`, and article_to_json() (the daemon: article_json_take(), in the buffer the
 * worker wrote the message in) renders the Kafka message value (schema ARTICLE_SCHEMA, docs/schema/article.schema.json).
 * Every string is owned by the article (malloc'd, freed by article_free), NULL when absent.
 * This header is part of the plugin ABI (see plugin_api.h): fields are only ever appended to
 * struct article (ABI-1 plugins keep working); reordering or retyping means bumping WS_PLUGIN_ABI.
 */
#ifndef WIRESIFT_ARTICLE_H
#define WIRESIFT_ARTICLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct strlist {
	char	**items;
	size_t	  count;
	size_t	  capacity;
};

void	 strlist_add(struct strlist *list, const char *value);	/* copies value */
void	 strlist_add_unique(struct strlist *list, const char *value);
int	 strlist_contains(const struct strlist *list, const char *value);
void	 strlist_clear(struct strlist *list);

struct entity {
	char	*name;		/* normalized display form: "Donald Trump" */
	char	*type;		/* "person", "organization", "place", "other": in name's block */
	int	 count;		/* mentions in title + text */
};

struct enclosure {
	char	*url;
	char	*type;		/* MIME type or NULL */
	long long length;	/* bytes, -1 when unknown */
};

/* A person construct (Atom author, RSS "email (Name)", dc:creator): NULL parts absent. */
struct article_person {
	char	*name;
	char	*email;
	char	*uri;
};

/* A category: Atom term/scheme/label, RSS category and its domain (the scheme). */
struct article_category {
	char	*term;
	char	*scheme;
	char	*label;
};

/* What a raw text field holds: HTML (the default: RSS), plain text, or XHTML markup. */
enum article_text_type {
	ARTICLE_TEXT_HTML = 0,
	ARTICLE_TEXT_PLAIN,
	ARTICLE_TEXT_XHTML
};

/* The item's text fields, as indexes of text_language[] and text_base[]. */
enum article_text_field {
	ARTICLE_FIELD_TITLE = 0,
	ARTICLE_FIELD_SUMMARY,
	ARTICLE_FIELD_CONTENT,
	ARTICLE_TEXT_FIELDS
};

enum dedup_status {
	DEDUP_UNKNOWN = 0,	/* not judged (dedup stage not run) */
	DEDUP_UNIQUE,
	DEDUP_DUPLICATE
};

struct dedup_verdict {
	enum dedup_status status;
	char	*duplicate_of;	/* id of the first-seen article of the group, or NULL */
	double	 similarity;	/* estimated resemblance/containment with duplicate_of, 0..1 */
	char	*group;		/* stable group id shared by all copies (= first article's id) */
	const char *method;	/* "exact", "minhash", "too-short": static string */
};

struct article {
	/* identity */
	char	*id;		/* stable hex id (article_assign_id) */
	char	*guid;		/* as the feed gave it */
	char	*link;		/* item link as the feed gave it, resolved against the feed URL */
	char	*url;		/* canonical URL (article_assign_id from the link, cleaner) */

	/* source (filled by the pipeline from the feeds list, and the source plugin) */
	char	*feed_url;
	char	*feed_name;	/* name= from the feeds list, else feed title */
	char	*feed_title;	/* <channel><title> / <feed><title> */
	char	*feed_format;	/* "rss2.0", "rss1.0", "rss0.91", "atom1.0", "atom0.3", "json1.1" */
	char	*source_name;
	char	*source_domain;
	struct strlist source_tags;

	/* raw content from the feed (HTML or text as served, decoded to UTF-8) */
	char	*title_raw;
	char	*summary_html;	/* description / summary / content_text of JSON Feed */
	char	*content_html;	/* content:encoded / atom content / content_html */

	/* cleaned content (cleaner) */
	char	*title;
	char	*summary;
	char	*text;		/* paragraphs separated by "\n\n" */
	char	*dateline;	/* "JALALABAD, Afghanistan" */
	struct strlist authors;
	struct strlist categories;	/* as the feed gave them */
	struct enclosure *enclosures;
	size_t	 enclosure_count;
	size_t	 word_count;

	/* dates: 0 = absent; UTC seconds */
	time_t	 published;
	time_t	 updated;
	time_t	 fetched;
	int	 published_is_fetch_time;	/* feed gave no date: published = first seen */

	/* tags (plugins) */
	char	 lang_code[8];	/* ISO 639-1, "" when unknown */
	double	 lang_confidence;
	struct entity *entities;	/* grown by article_add_entity() only */
	size_t	 entity_count;
	struct strlist keywords;
	struct strlist topics;

	/* extra Kafka topics chosen by routing rules, beyond the default one */
	struct strlist routes;

	struct dedup_verdict dedup;
	struct dedup_sketch *dedup_sketch;	/* worker-made, for dedup_check (dedup/dedup.h) */
	char	*json_without_dedup;	/* worker-made, see article_to_json() */

	/*
	 * feed parser detail (daemon/feed/), appended so ABI-1 plugins keep their offsets.
	 * people: every author as {name, email, uri} (authors above holds the same people as
	 * display names); category_details: {term, scheme, label} (categories above holds terms).
	 * summary_raw / content_raw: the text as served when the feed said it is plain text
	 * (ARTICLE_TEXT_PLAIN; summary_html / content_html then hold its HTML form), else NULL.
	 */
	struct article_person	*people;
	size_t	 person_count;
	struct article_category	*category_details;
	size_t	 category_detail_count;
	char	*summary_raw;
	char	*content_raw;
	unsigned char title_type;	/* enum article_text_type of title_raw */
	unsigned char summary_type;
	unsigned char content_type;
	signed char guid_is_permalink;	/* RSS guid isPermaLink: 1, 0; -1 not said or not RSS */
	char	*feed_language;		/* the feed's language (RSS <language>, xml:lang) */

	/*
	 * full text from the linked page (stage: page fetch, daemon/page.c and
	 * daemon/ingest/pages.c; extraction in pipeline_prepare). Appended for ABI 1 plugins.
	 */
	int	 fulltext_mode;		/* enum fulltext_mode (config.h): what the feed asks */
	int	 fulltext_min_words;	/* auto: fetch the page below this many words */
	const char *fulltext_status;	/* static string; NULL: no page step (no "fulltext") */
	char	*fulltext_url;		/* the page fetched, after redirects */
	const char *fulltext_method;	/* "json-ld", "dom", "site-rule": static string */
	size_t	 fulltext_words;	/* words of the extracted text */
	long	 fulltext_http_status;	/* of the page, 0 when none was fetched */
	char	*page_html;		/* the fetched page, for the worker; freed once used */
	size_t	 page_html_length;
	char	*page_content_type;

	/* stories (daemon/story/): appended, the fields above keep their places */
	struct story_ref {
		char	*id;		/* story id (16 hex digits), NULL: stage not run */
		size_t	 size;		/* articles in the story, this one included */
		time_t	 first_seen;	/* time of its first article */
		char	*headline;	/* its first article's title */
		double	 score;		/* similarity with the story joined, 0 when it opened one */
		char	*explain;	/* why, when the index was asked to say (--explain) */
	} story;
	struct story_features *story_features;	/* worker-made, for story_assign (story/story.h) */

	/* the page step's cache (daemon/ingest/pages.c): appended after the stories' fields */
	char	*page_etag;		/* the page's validators, for the page cache */
	char	*page_last_modified;
	char	*page_cached_text;	/* a 304: the text extracted from the page before */
	char	*page_cached_method;
	size_t	 page_cached_words;

	/*
	 * Media RSS (feed parser): media:content and media:thumbnail, kept apart from the
	 * enclosures as the reference parsers keep them (feedparser's media_content and
	 * media_thumbnail; gofeed's extensions). Appended after the page cache's fields.
	 */
	struct enclosure *media;
	size_t	 media_count;

	/*
	 * feed parser: the xml:lang and xml:base in effect where the title, summary and content
	 * were read (feedparser's *_detail language and base), for the parse record. NULL
	 * language: none in effect; NULL base: the feed URL. Appended after Media RSS.
	 */
	char	*text_language[ARTICLE_TEXT_FIELDS];
	char	*text_base[ARTICLE_TEXT_FIELDS];

	/*
	 * feed parser, for the parse record: the creation date (Atom 0.3 created,
	 * dcterms:created; 0 when absent), which is neither published nor updated, and the
	 * URL of out-of-line Atom content (content src=), which is not fetched.
	 */
	time_t	 created;
	char	*content_src;

	/*
	 * the seen filter (daemon/ingest/items.c): 1 when the item was delivered before and its
	 * feed now gives it a later updated time, so it goes out again as an update ("update":
	 * true in the message). Appended after the feed parser's created and content src.
	 */
	int	 is_update;

	/*
	 * the seen filter: a hash of what the article says (title, text, summary), recorded when
	 * it is delivered, and for an update the one recorded before (0: none), so an update that
	 * says the same as before is not published again. Appended after is_update.
	 */
	uint64_t content_hash;
	uint64_t seen_content_hash;

	/*
	 * publish (article_json.c): the bytes and room of json_without_dedup's buffer when the worker
	 * kept it by article_keep_json_without_dedup(), so the loop appends the verdicts in that
	 * buffer (article_json_take()) without measuring or copying the message. 0 when it was
	 * set another way: then it is measured.
	 */
	size_t	 json_without_dedup_length;
	size_t	 json_without_dedup_capacity;
};

/* The message schema: 2 since authors are {name, email, uri} and source has title, language. */
#define ARTICLE_SCHEMA		2
#define ARTICLE_SCHEMA_TEXT	"2"

struct article	*article_new(void);
/* The hash of what the article says: title, text and summary (never 0). */
uint64_t	 article_content_hash(const struct article *article);
void		 article_free(struct article *article);
/*
 * Free what an article no longer needs once its message is handed to the producer: what
 * article_shed_prepared() frees, and its message, sketch, story features and explain. Until
 * Kafka acknowledges it, only its id, verdicts, log fields (and the page cache's text) are
 * read. Thousands may wait on a slow broker.
 */
void		 article_shed_delivered(struct article *article);
/*
 * Free what nothing reads once the workers have prepared an article (pipeline_prepare: its
 * message, content hash, sketch and story features built): its HTML, raw and summary texts,
 * and its text unless the page cache keeps it (the page came with validators). The daemon
 * sheds every prepared article before judging it (ingest_on_prepared): in cluster mode
 * thousands wait at once for their records to come back.
 */
void		 article_shed_prepared(struct article *article);

/* Replace *field with a copy of value (NULL allowed). */
void	 article_set(char **field, const char *value);
/*
 * Add `count` mentions of an entity; merges with an existing one of the same name.  The only
 * way entities grow: its room is known from entity_count (article.c's entities_full).
 */
void	 article_add_entity(struct article *article, const char *name, const char *type, int count);
/* Add a person to a list unless the same name and email are there; 1 when added. */
int	 article_person_list_add(struct article_person **people, size_t *count, const char *name,
	    const char *email, const char *uri);
void	 article_person_list_free(struct article_person *people, size_t count);
/* Add a person unless the same one is there; its name (else email) goes to authors. */
void	 article_add_person(struct article *article, const char *name, const char *email,
	    const char *uri);
/* Add a category unless the same one is there; its term (else label) goes to categories. */
void	 article_add_category(struct article *article, const char *term, const char *scheme,
	    const char *label);
void	 article_add_enclosure(struct article *article, const char *url, const char *type,
	    long long length);
/* Add to a list of enclosures (enclosures or media) unless that URL is there; 1 when added. */
int	 article_enclosure_list_add(struct enclosure **list, size_t *count, const char *url,
	    const char *type, long long length);

/*
 * Give the article its stable id, from (first that exists): a globally unique guid (URL, urn:,
 * tag:), the canonical URL or link, the guid scoped by feed name, a hash of title + content.
 * Stable across polls and across feed URL changes.
 */
void	 article_assign_id(struct article *article);
/* Whether the id names the feed (a guid that is only unique within it): then it must be
 * assigned again when the feed's name or URL is attached. */
int	 article_id_depends_on_feed(const struct article *article);

/*
 * The message value (schema ARTICLE_SCHEMA); caller frees. Built in two steps so the costly
 * one runs on a worker thread: everything but "dedup" (left open, without its closing brace;
 * the worker keeps it in article->json_without_dedup), then, once judged, the whole message.
 * article_to_json() uses json_without_dedup when set: nothing else may change before it.
 */
char	*article_to_json(const struct article *article);
char	*article_json_without_dedup(const struct article *article);
char	*article_json_with_dedup(const struct article *article, const char *without_dedup);
struct buffer;
/* Append the open message (article_json_without_dedup's) to out (util.h's buffer). */
void	 article_json_open(const struct article *article, struct buffer *out);
/* The worker's step: json_without_dedup rendered and kept with its length and room. */
void	 article_keep_json_without_dedup(struct article *article);
/*
 * The loop's step: the whole message, as article_to_json() gives it, built in the buffer of
 * json_without_dedup, which it takes from the article (NULL after); its bytes in *length.
 */
char	*article_json_take(struct article *article, size_t *length);
/* The `wiresift parse` record: parser fields only, as the feed gave them. Caller frees. */
char	*article_to_parse_json(const struct article *article);

#ifdef __cplusplus
}
#endif

#endif
