/*
 * main.c - command line, start-up and shutdown order.
 *
 *   wiresift [-c FILE] [--once]          run the daemon (foreground; systemd Type=notify)
 *   wiresift -t [-c FILE]                check the configuration and exit
 *   wiresift parse FILE|URL...           feed items as JSON Lines (parser output, no state)
 *   wiresift import-opml FILE...         an OPML subscription list as feeds.list lines
 *   wiresift enable-feed [-c FILE] URL... clear the 410 mark of feeds (then SIGHUP a daemon)
 *   wiresift extract [-c FILE] [--explain] FILE|URL...
 *                                        the article of each web page, one JSON per line
 *   wiresift process [-c FILE] [--explain] [--fulltext] FILE|URL...
 *                                        the whole pipeline offline: the message values that
 *                                        would be published, one JSON per line, in input order
 *                                        (linked pages fetched only with --fulltext)
 *
 * Shutdown order: stop polling, let in-flight fetches finish and deliveries arrive (bounded by
 * shutdown_timeout), flush Kafka for what is left of it, then free everything. Items without a
 * delivery report stay unseen and are fetched and sent again at the next start.
 */
#include <curl/curl.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config.h"
#include "extract_command.h"
#include "feed/feed.h"
#include "fetch.h"
#include "http.h"
#include "ingest/ingest.h"
#include "log.h"
#include "page.h"
#include "notify.h"
#include "opml.h"
#include "pipeline.h"
#include "story/story.h"
#include "publish.h"
#include "state.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/wiresift/wiresift.conf"

/*
 * jemalloc's options, read at its first allocation (the daemon is linked with it: see the
 * Makefile; the sanitizer builds' C library malloc never reads this symbol, and MALLOC_CONF in
 * the environment still overrides it). tcache_max raises the largest size a thread keeps in its
 * own cache from 32 KB to 256 KB: librdkafka's LZ4 frame buffers (64-192 KB, allocated and freed
 * for every batch on its broker thread), CLD2's per-call tables on the workers and the feed
 * bodies' buffers then come back from the thread's cache instead of from pages jemalloc has
 * meanwhile returned to the kernel and must fault in again.
 * Measured on the articles cold start (2000 feeds x 20 articles, real broker; 7 alternating
 * A/B pairs at load 11-24): page faults 87-123K (median 104K) against 123-202K (median 153K),
 * -32%; daemon CPU per item within the noise of that load (paired median -2%).
 * Longer decay (dirty_decay_ms:30000) cut faults further (77-103K) for 10 MB more peak RSS, and
 * background_thread nothing: neither is set.
 */
const char *malloc_conf = "tcache_max:262144";

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: wiresift [-c FILE] [--once]     run the daemon\n"
	    "       wiresift -t [-c FILE]           check the configuration\n"
	    "       wiresift parse FILE|URL...      print feed items as JSON Lines\n"
	    "       wiresift process [-c FILE] [--explain] [--fulltext] FILE|URL...\n"
	    "                                       print the messages the pipeline would publish\n"
	    "       wiresift extract [-c FILE] [--explain] FILE|URL...\n"
	    "                                       print the article text of web pages as JSON\n"
	    "       wiresift import-opml FILE...    print an OPML file's feeds as feeds.list lines\n"
	    "       wiresift enable-feed [-c FILE] URL...\n"
	    "                                       clear the mark of feeds disabled by a 410\n"
	    "       wiresift -V | --version | -h | --help\n"
	    "\n"
	    "  -c, --config FILE  configuration (default " DEFAULT_CONFIG ")\n"
	    "  -t, --test         check the configuration, feeds list and plugins, then exit\n"
	    "      --once         poll every feed once, wait for every delivery report, exit\n"
	    "                     (status 0 when every feed was read and every item delivered)\n"
	    "  -d, --debug        log at debug level\n"
	    "      --explain      (process, extract) show on stderr what each rule removed;\n"
	    "                     (process) why each article joined its story or opened one\n"
	    "      --fulltext     (process) fetch linked pages as [fulltext] says (else none)\n"
	    "See wiresift(8) and wiresift.conf(5).\n");
}

/* ---- parse and process: offline, one document at a time ---- */

/* Read a local file or fetch an http(s)/file URL (blocking: these are one-shot commands). */
static char *
read_source(const char *source, size_t *length, char **content_type, char **feed_url)
{
	char error[256] = "", *absolute, *body;

	*content_type = NULL;
	if (strstr(source, "://") == NULL) {
		absolute = realpath(source, NULL);
		*feed_url = xasprintf("file://%s", absolute ? absolute : source);
		free(absolute);
		return file_read(source, length);
	}
	*feed_url = xstrdup(source);
	if ((body = fetch_once(source, length, content_type, NULL, error,
	    sizeof error)) == NULL)
		fprintf(stderr, "wiresift: %s: %s\n", source, error);
	return body;
}

struct offline_context {
	struct pipeline	*pipeline;	/* NULL for parse */
	const struct config *fulltext;	/* --fulltext: the page step as configured; else NULL */
	int		 explain;
	time_t		 now;
	const char	*source;
};

static int
print_item(struct article *article, void *context)
{
	struct offline_context *offline = context;
	char *json;

	if (offline->pipeline == NULL) {
		json = article_to_parse_json(article);
	} else {
		pipeline_attach_source(article, NULL, article->feed_url);
		if (offline->fulltext != NULL)
			page_set_mode(article, offline->fulltext, NULL);
		if (pipeline_run(offline->pipeline, article, offline->now,
		    offline->explain ? clean_explain_print : NULL, (void *)offline->source) < 0) {
			fprintf(stderr, "wiresift: %s: item %s: nothing left after cleaning\n",
			    offline->source, article->guid ? article->guid : article->id);
			article_free(article);
			return 0;
		}
		if (offline->explain && article->story.explain != NULL)
			fprintf(stderr, "explain: %s: story: id=%s %s\n", offline->source,
			    article->id, article->story.explain);
		json = article_to_json(article);
	}
	puts(json);
	free(json);
	article_free(article);
	return 0;
}

/* parse: the feed's own fields and what was repaired, after its items; why, when unreadable. */
static void
print_feed(const struct feed_meta *meta, const char *feed_url, const char *error)
{
	char *json = feed_meta_to_json(meta, feed_url, error);

	puts(json);
	free(json);
}

static int
run_offline(struct pipeline *pipeline, const struct config *fulltext, int explain,
    char **sources, int count)
{
	struct offline_context offline = { pipeline, fulltext, explain, time(NULL), NULL };
	int status = 0;

	for (int i = 0; i < count; i++) {
		struct feed_meta meta = { 0 };
		char error[256] = "", *content_type, *feed_url;
		size_t length = 0;
		char *body = read_source(sources[i], &length, &content_type, &feed_url);

		offline.source = sources[i];
		if (body == NULL) {
			if (strstr(sources[i], "://") == NULL)
				perror(sources[i]);
			status = 1;
		} else if (feed_parse(body, length, feed_url, content_type, &meta, print_item,
		    &offline, error, sizeof error) < 0) {
			fprintf(stderr, "wiresift: %s: %s\n", sources[i], error);
			if (pipeline == NULL)
				print_feed(&meta, feed_url, error);
			status = 1;
		} else if (pipeline == NULL)
			print_feed(&meta, feed_url, NULL);
		feed_meta_free(&meta);
		free(body);
		free(content_type);
		free(feed_url);
	}
	fflush(stdout);
	return status;
}

/* ---- the daemon ---- */

struct daemon_context {
	struct event_base	*base;
	struct ingest		*ingest;
	struct config		*config;	/* as loaded at start (the ingest owns it) */
	char			*config_path;
	int			 signals_seen;
};

/* SIGHUP: a new configuration replaces the running one only if it loads without error. */
static void
reload(struct daemon_context *context)
{
	char error[1024];
	struct config *fresh = config_load(context->config_path, error, sizeof error);

	if (fresh == NULL) {
		log_event(LOG_LEVEL_ERROR, "main", "reload.rejected", "error=%s "
		    "note=\"the running configuration stays\"", log_quote(error));
		notify_status("reload rejected: %s", error);
		return;
	}
	log_event(LOG_LEVEL_INFO, "main", "reload.requested", "config=%s",
	    log_quote(context->config_path));
	ingest_reload(context->ingest, fresh);
}

static void
on_signal(evutil_socket_t signal_number, short what, void *context)
{
	struct daemon_context *daemon_context = context;

	if (signal_number == SIGHUP) {
		sd_notify(0, "RELOADING=1");
		reload(daemon_context);
		sd_notify(0, "READY=1");
		return;
	}
	if (++daemon_context->signals_seen > 1) {
		log_event(LOG_LEVEL_WARNING, "main", "shutdown.forced", "signal=%d",
		    (int)signal_number);
		event_base_loopbreak(daemon_context->base);
		return;
	}
	log_event(LOG_LEVEL_INFO, "main", "shutdown.requested", "signal=%s",
	    signal_number == SIGTERM ? "TERM" : "INT");
	notify_stopping();
	ingest_drain(daemon_context->ingest, monotonic_ms() +
	    daemon_context->config->shutdown_timeout_ms);
}

/* Runs the daemon; takes ownership of config. */
static int
run_daemon(struct config *config, int once)
{
	struct daemon_context context = { 0 };
	struct ingest_options options = { .once = once };
	struct event *signal_events[3], *watchdog;
	struct http_server *http = NULL;
	const int signals[3] = { SIGTERM, SIGINT, SIGHUP };
	char error[512];
	int status, undelivered;

	signal(SIGPIPE, SIG_IGN);
	context.config = config;
	context.config_path = xstrdup(config->path);
	context.base = event_base_new();
	if ((context.ingest = ingest_new(config, context.base, &options, error,
	    sizeof error)) == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		event_base_free(context.base);
		free(context.config_path);
		return 1;
	}
	if (config->metrics_listen != NULL && config->metrics_listen[0] != '\0' && !once &&
	    (http = http_server_start(context.base, config->metrics_listen, context.ingest,
	    error, sizeof error)) == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		ingest_free(context.ingest);
		event_base_free(context.base);
		free(context.config_path);
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		signal_events[i] = evsignal_new(context.base, signals[i], on_signal, &context);
		event_add(signal_events[i], NULL);
	}
	ingest_start(context.ingest);
	watchdog = notify_watchdog_start(context.base);
	notify_status("polling %zu feeds", config->feed_count);
	event_base_dispatch(context.base);	/* READY=1 once the topics are checked (topics.c) */
	/* What is left of the shutdown deadline (all of it after --once) goes to the flush. */
	undelivered = ingest_finish(context.ingest, context.signals_seen > 1 ? 0 :
	    ingest_remaining_ms(context.ingest, config->shutdown_timeout_ms));
	status = once ? ingest_exit_status(context.ingest) : 0;
	if ((once && undelivered > 0) || ingest_start_refused(context.ingest))
		status = 1;
	for (int i = 0; i < 3; i++)
		event_free(signal_events[i]);
	if (watchdog != NULL)
		event_free(watchdog);
	http_server_free(http);
	ingest_free(context.ingest);
	event_base_free(context.base);
	free(context.config_path);
	return status;
}

/* ---- command line ---- */

static struct config *
load_config_or_exit(const char *path, int required)
{
	char error[1024];
	struct config *config;

	if (path == NULL && !required)
		return config_defaults();
	if ((config = config_load(path ? path : DEFAULT_CONFIG, error, sizeof error)) == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		exit(1);
	}
	return config;
}

/*
 * The configuration of `process` without -c: DEFAULT_CONFIG when present, else the shipped
 * conf/wiresift.conf of the tree the binary was built in (build/wiresift finds
 * conf/wiresift.conf: the five plugins, their gazetteers and rules), else the built-in
 * defaults, which load no plugin. Says on stderr which one it used.
 */
static struct config *
process_config(void)
{
	char *shipped = NULL;
	struct config *config;
	const char *path = DEFAULT_CONFIG;

	if (access(path, R_OK) != 0 &&
	    (path = shipped = path_beside_executable("../conf/wiresift.conf")) == NULL) {
		fprintf(stderr, "wiresift: no -c and no %s: built-in defaults, no tagging "
		    "plugins\n", DEFAULT_CONFIG);
		return config_defaults();
	}
	fprintf(stderr, "wiresift: no -c: using %s\n", path);
	config = load_config_or_exit(path, 1);
	free(shipped);
	return config;
}

/* wiresift enable-feed URL...: clear the 410 mark of feeds (a running daemon: then SIGHUP). */
static int
enable_feeds(struct config *config, char **urls, int count)
{
	char error[512];
	struct state *state = state_open(config->state_dir, error, sizeof error);
	int status = 0;

	if (state == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		return 1;
	}
	for (int i = 0; i < count; i++) {
		int result = state_feed_enable(state, urls[i]);
		if (result < 0) {
			fprintf(stderr, "wiresift: %s: cannot update the state database\n", urls[i]);
			status = 1;
		} else
			printf("%s: %s\n", urls[i], result ? "enabled (reload or restart the daemon "
			    "to poll it)" : "was not disabled");
	}
	state_close(state);
	return status;
}

static int
check_config(struct config *config)
{
	char error[1024];
	struct pipeline *pipeline;

	/* Load rules and plugins too: a plugin that fails init is a configuration error. */
	if (publisher_check_config(config, error, sizeof error) < 0 ||
	    (pipeline = pipeline_open(config, PIPELINE_OFFLINE, error, sizeof error)) == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		return 1;
	}
	pipeline_close(pipeline);
	printf("%s: configuration OK (%zu feeds, %zu plugins)\n", config->path,
	    config->feed_count, config->plugin_count);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPTION_ONCE = 256, OPTION_EXPLAIN, OPTION_VERSION, OPTION_FULLTEXT };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "once", no_argument, NULL, OPTION_ONCE },
		{ "explain", no_argument, NULL, OPTION_EXPLAIN },
		{ "fulltext", no_argument, NULL, OPTION_FULLTEXT },
		{ "version", no_argument, NULL, OPTION_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = NULL, *command = NULL;
	int test_only = 0, debug = 0, once = 0, explain = 0, fulltext = 0, option, status;
	struct config *config;
	struct pipeline *pipeline;
	char error[1024];

	malloc_tune();

	while ((option = getopt_long(argc, argv, "+c:tdhV", options, NULL)) != -1) {
		switch (option) {
		case 'c': config_path = optarg; break;
		case 't': test_only = 1; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V':
		case OPTION_VERSION: printf("wiresift %s\n", WIRESIFT_VERSION); return 0;
		case OPTION_ONCE: once = 1; break;
		case OPTION_EXPLAIN: explain = 1; break;
		case OPTION_FULLTEXT: fulltext = 1; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		command = argv[optind++];
	/* Options may also follow the subcommand: wiresift process -c FILE x.xml */
	while (command != NULL &&
	    (option = getopt_long(argc, argv, "+c:d", options, NULL)) != -1) {
		if (option == 'c')
			config_path = optarg;
		else if (option == 'd')
			debug = 1;
		else if (option == OPTION_EXPLAIN)
			explain = 1;
		else if (option == OPTION_FULLTEXT)
			fulltext = 1;
		else {
			usage(stderr);
			return 2;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (command == NULL) {
		config = load_config_or_exit(config_path, 1);
		log_init(debug ? LOG_LEVEL_DEBUG : config->log_level);
		if (!debug)
			log_set_component_levels(config->log_levels);
		if (!test_only) {
			status = run_daemon(config, once);	/* the daemon owns config now */
			curl_global_cleanup();
			return status;
		}
		status = check_config(config);
	} else if (strcmp(command, "enable-feed") == 0) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		config = load_config_or_exit(config_path, 1);
		status = enable_feeds(config, argv + optind, argc - optind);
	} else if (strcmp(command, "import-opml") == 0) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		status = 0;
		for (int i = optind; i < argc; i++)
			status |= opml_print_feeds_list(argv[i]);
		curl_global_cleanup();
		return status;
	} else if (strcmp(command, "extract") == 0) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		config = load_config_or_exit(config_path, 0);
		log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING);
		status = extract_command(config, explain, argv + optind, argc - optind);
	} else if (strcmp(command, "parse") == 0 || strcmp(command, "process") == 0) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		config = config_path == NULL && strcmp(command, "process") == 0 ?
		    process_config() : load_config_or_exit(config_path, 0);
		log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING);
		if (strcmp(command, "parse") == 0 && fulltext) {
			fprintf(stderr, "wiresift: parse prints the feed's own fields; "
			    "use process --fulltext for linked pages\n");
			status = 2;
		} else if (strcmp(command, "parse") == 0)
			status = run_offline(NULL, NULL, 0, argv + optind, argc - optind);
		else if ((pipeline = pipeline_open(config, PIPELINE_OFFLINE, error,
		    sizeof error)) == NULL) {
			fprintf(stderr, "wiresift: %s\n", error);
			status = 1;
		} else {
			if (explain && pipeline_stories(pipeline) != NULL)
				story_explain_enable(pipeline_stories(pipeline), 1);
			status = run_offline(pipeline, fulltext ? config : NULL, explain,
			    argv + optind, argc - optind);
			pipeline_close(pipeline);
			page_offline_cleanup();
		}
	} else {
		fprintf(stderr, "wiresift: unknown command \"%s\"\n", command);
		usage(stderr);
		return 2;
	}
	config_free(config);
	curl_global_cleanup();
	return status;
}
