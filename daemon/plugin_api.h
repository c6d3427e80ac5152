/*
 * plugin_api.h - the tagger plugin ABI, version WS_PLUGIN_ABI.
 *
 * A plugin is a shared object in its own directory under plugins/ that exports
 *     const struct ws_plugin *ws_plugin_entry(void);
 * The host (daemon/plugin.c) dlopens it, refuses an ABI mismatch, allocates `state_size`
 * zeroed bytes, fills the declared options into that state (from the config's
 * [plugin "NAME"] section, or their defaults), then calls init once, process once per article
 * (on a worker thread, each with instances of its own, in config order), fini at shutdown.
 *
 * ABI versions: 1, process(state, article); 2 adds process_tokens(state, article, tokens),
 * called instead of process when set: the words of the title and text as the host scanned
 * them once for every plugin (plugins/words.h's words_next over each whole text), with each
 * distinct written form interned once per article, so taggers neither scan, nor hash the same
 * word, again; since issue 17 each form also carries an id that stays the same from article to
 * article (struct ws_tokens).  The host loads both versions: a version-1 plugin's struct ws_plugin simply
 * ends before process_tokens, which the host reads only when abi >= 2.
 *
 * Plugins may call the article_* and strlist_* helpers of article.h and the log helpers of
 * log.h: the daemon is linked with -rdynamic so those symbols resolve.
 */
#ifndef WIRESIFT_PLUGIN_API_H
#define WIRESIFT_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>
#include "article.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WS_PLUGIN_ABI 2		/* what this header describes */
#define WS_PLUGIN_ABI_OLDEST 1	/* the oldest version the host still loads */

enum ws_option_type {
	WS_OPTION_STRING,	/* char *: malloc'd copy, freed by the host after fini */
	WS_OPTION_INT,		/* long */
	WS_OPTION_DOUBLE,	/* double */
	WS_OPTION_BOOL,		/* int: yes/no/true/false/on/off/1/0 */
	WS_OPTION_PATH		/* char *: like STRING, resolved against the config file's directory */
};

struct ws_option {
	const char		*name;
	const char		*default_value;	/* NULL: no default (string options stay NULL) */
	const char		*description;
	enum ws_option_type	 type;
	size_t			 offset;	/* offsetof(struct my_state, field) */
};

/* ABI 2: one word of a text, as plugins/words.h's struct word gives it. */
struct ws_token {
	uint32_t start;		/* bytes [start, end) of the text */
	uint32_t end;
	uint32_t type;		/* index in ws_tokens.types: tokens written alike share it */
	uint8_t	 capitalized;
	uint8_t	 all_upper;
	uint8_t	 sentence_start;
	uint8_t	 after_punctuation;
};

/* ABI 2: the words of one text in order (title or text: empty when the article has none). */
struct ws_token_text {
	const char		*text;
	size_t			 length;
	const struct ws_token	*tokens;
	size_t			 count;
};

/* ABI 2: a distinct written form of the article's words. */
struct ws_token_type {
	const char	*written;	/* NUL-terminated copy of the token's bytes */
	size_t		 length;
	uint64_t	 hash;		/* words_hash(written): FNV-1a 64 over its bytes */
};

/* ABI 2: what process_tokens gets; valid during the call only. */
struct ws_tokens {
	struct ws_token_text	 title;
	struct ws_token_text	 text;
	const struct ws_token_type *types;
	size_t			 type_count;
	/*
	 * ABI 2, since the stable form ids (wiresift 0.1.0, issue 17): appended, so plugins built
	 * against the header before them still work.  Read them only when
	 * ws_tokens_have_form_ids() says the host sets them (a host before them does not, and
	 * its struct ends above).  form_ids[type] is the id of the type's written form, the same
	 * for the same form in every article this plugin instance gets (one token stream per
	 * worker thread, as the instances are), different for different forms, for as long as
	 * form_generation stays the same; the host starts its ids over, with a new generation,
	 * when it has met too many forms (bounded memory).  A plugin may keep what it knows of
	 * a form in an array indexed by id, emptied when the generation changes; ids are below
	 * form_id_count, which only grows within a generation.  form_ids is NULL (and
	 * form_generation 0) for an article whose forms the host gave no ids.
	 */
	const uint32_t		*form_ids;
	uint32_t		 form_id_count;
	uint32_t		 form_generation;
};

/*
 * Set by the host that fills ws_tokens' form ids (1): a weak reference, resolved against the
 * daemon's exported symbols when the plugin is loaded, NULL in a host before them.
 */
extern const unsigned ws_host_form_ids __attribute__((weak));

/* Whether this article's tokens carry stable form ids (see struct ws_tokens). */
static inline int
ws_tokens_have_form_ids(const struct ws_tokens *tokens)
{
	return &ws_host_form_ids != NULL && ws_host_form_ids >= 1 && tokens->form_ids != NULL;
}

struct ws_plugin {
	unsigned		 abi;		/* WS_PLUGIN_ABI */
	const char		*name;		/* must match the [plugin "NAME"] section */
	const char		*description;
	const struct ws_option	*options;	/* terminated by an entry with name == NULL */
	size_t			 state_size;
	/* 0 on success; otherwise write a reason into error and return -1. */
	int	(*init)(void *state, char *error, size_t error_size);
	/* 0 on success; -1 to report a failure on this article (the article goes on untagged).
	 * ABI 2 plugins may leave it NULL and set process_tokens. */
	int	(*process)(void *state, struct article *article);
	void	(*fini)(void *state);
	/* ABI 2 (read only when abi >= 2): called instead of process when not NULL; it must not
	 * replace or change the article's title or text, which later plugins' tokens are of. */
	int	(*process_tokens)(void *state, struct article *article,
		    const struct ws_tokens *tokens);
};

typedef const struct ws_plugin *(*ws_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
