"""test_fulltext.py - the page step end to end: `wiresift --once` polls a feed of summary-only
items on a loopback HTTP server whose links serve full article pages, and publishes to the
session's real Kafka broker. Three witnesses: the server's own request log (what the daemon
asked for), the daemon's log lines, and the records read back from Kafka with kcat.

Proven: items whose feed text is short carry the page's text (`text`, extracted by
daemon/clean/extract.c on the workers; the feed's teaser stays in `summary`), with
fulltext.status = extracted; a robots.txt Disallow is obeyed (its page is never requested, its
item goes out with the feed's text and disallowed_by_robots), robots.txt itself is fetched once; its Crawl-delay spaces a site's page fetches; a robots.txt
answering 503 keeps its site's pages unfetched (robots_unreachable); a page linked again by
another feed is fetched with a conditional GET and its 304 reuses the text extracted before;
a 404 page, a page slower than [fulltext] timeout and a page over [fulltext] max_size each leave
their item published with the feed's text and fetch_failed / timeout / too_large; an item long
enough in the feed is not_needed and its page is not requested; a second run (restart) fetches
no page again; an entry whose <updated> moves forward is published again as an update, its page
asked for with a conditional GET (304: the text extracted before). The page texts are written
here, from a fixed vocabulary."""

import http.server
import json
import random
import threading
import time
from pathlib import Path

import jsonschema
import pytest

import helpers

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schema" /
		     "article.schema.json").read_text())

TIMEOUT = 2			# [fulltext] timeout, seconds
MAX_SIZE = 64 * 1024		# [fulltext] max_size
SLOW_SECONDS = TIMEOUT + 4	# how long /articles/slow.html takes to answer
WORDS = ("harbour signal copper meadow lantern quarry orchard velvet glacier compass beacon "
	 "walnut ledger anchor cinder marble tundra violin pepper rafter shingle tunnel kettle "
	 "summit bramble canyon falcon garnet hollow island jasmine lagoon mantle nutmeg parcel "
	 "ribbon sextant trellis valley willow yarrow almond candle ember fjord heron juniper").split()


def sentence(rng, count):
	words = [rng.choice(WORDS) for _ in range(count)]
	return " ".join(words).capitalize() + "."


def paragraphs(seed, count=6):
	rng = random.Random(seed)
	return [" ".join(sentence(rng, rng.randint(12, 20)) for _ in range(3))
		for _ in range(count)]


def page_html(title, body_paragraphs):
	"""A news page: navigation, share bar, the article, related links, a footer."""
	article = "\n".join("<p>%s</p>" % text for text in body_paragraphs)
	return ("<!DOCTYPE html><html><head><title>%s | Loopback News</title></head><body>"
		"<nav class=\"site-nav\"><a href=\"/\">Home</a> <a href=\"/world\">World</a> "
		"<a href=\"/sport\">Sport</a></nav>"
		"<div class=\"share-bar\">Share on social networks</div>"
		"<article class=\"story-body\"><h1>%s</h1>%s</article>"
		"<aside class=\"related\"><h2>Related</h2><ul><li><a href=\"/a\">Another story "
		"here</a></li><li><a href=\"/b\">And one more</a></li></ul></aside>"
		"<footer>Copyright Loopback News</footer></body></html>" % (title, title, article))


class Site:
	"""The loopback site: feed, robots.txt and pages, with a log of every request."""

	def __init__(self):
		self.pages = {}
		self.etags = {}		# path: ETag it is served with (If-None-Match -> 304)
		self.log = []
		self.times = []
		self.conditional = []	# (path, If-None-Match) of every request
		self.lock = threading.Lock()
		site = self

		class Handler(http.server.BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *args):
				pass

			def do_GET(self):
				with site.lock:
					site.log.append(self.path)
					site.times.append((self.path, time.monotonic()))
					site.conditional.append((self.path,
					    self.headers.get("If-None-Match")))
				site.answer(self)

		self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.server.daemon_threads = True
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

	def start(self):
		self.thread.start()
		return self

	def stop(self):
		self.server.shutdown()
		self.server.server_close()

	def url(self, path):
		return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

	def requests(self, path=None):
		with self.lock:
			return [p for p in self.log if path is None or p == path]

	def answer(self, handler):
		status, content_type, body, delay = self.pages.get(handler.path,
		    (404, "text/html", b"<html><body>Not found</body></html>", 0))
		if delay:
			time.sleep(delay)
		etag = self.etags.get(handler.path)
		if etag is not None and handler.headers.get("If-None-Match") == etag:
			status, body = 304, b""
		try:
			handler.send_response(status)
			if etag is not None:
				handler.send_header("ETag", etag)
			handler.send_header("Content-Type", content_type)
			handler.send_header("Content-Length", str(len(body)))
			handler.end_headers()
			handler.wfile.write(body)
		except OSError:
			pass	# the daemon gave up on a slow or huge answer


ITEMS = {
	# name: (path of the link, kind)
	"full-1": ("/articles/full-1.html", "page"),
	"full-2": ("/articles/full-2.html", "page"),
	"secret": ("/private/secret.html", "page"),
	"missing": ("/articles/missing.html", "missing"),
	"slow": ("/articles/slow.html", "slow"),
	"huge": ("/articles/huge.html", "huge"),
	"long": ("/articles/long.html", "page"),
}


def teaser(name):
	return "Teaser for %s: one sentence of what happened today." % name


def feed_xml(site):
	items = []
	for name, (path, _) in ITEMS.items():
		description = teaser(name)
		if name == "long":
			description = " ".join(paragraphs("long-feed", 5))
		items.append("<item><title>Story %s</title><link>%s</link><guid>%s</guid>"
			     "<description>%s</description>"
			     "<pubDate>Sun, 06 Dec 2026 09:00:00 GMT</pubDate></item>" %
			     (name, site.url(path), site.url(path), description))
	return ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Loopback News"
		"</title><link>%s</link><description>test</description>%s</channel></rss>" %
		(site.url("/"), "".join(items))).encode()


def serve(site):
	site.pages["/feed.xml"] = (200, "application/rss+xml", feed_xml(site), 0)
	site.pages["/robots.txt"] = (200, "text/plain",
	    b"# written for test_fulltext.py\nUser-agent: *\nDisallow: /private/\n", 0)
	for name, (path, kind) in ITEMS.items():
		html = page_html("Story %s" % name, paragraphs(name)).encode()
		if kind == "page":
			site.pages[path] = (200, "text/html; charset=utf-8", html, 0)
		elif kind == "slow":
			site.pages[path] = (200, "text/html", html, SLOW_SECONDS)
		elif kind == "huge":
			padding = b"<p>" + b"filler words " * (MAX_SIZE // 4) + b"</p>"
			site.pages[path] = (200, "text/html", html.replace(b"</article>",
			    padding + b"</article>"), 0)


@pytest.fixture
def site():
	running = Site().start()
	serve(running)
	yield running
	running.stop()


def fulltext_config(tmp_path, kafka, site, topics):
	return helpers.write_config(tmp_path, kafka.bootstrap, [(site.url("/feed.xml"),
	    {"name": "LoopbackNews"})], {
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"fulltext": {"mode": "auto", "min_words": 150, "timeout": "%ds" % TIMEOUT,
			     "max_size": str(MAX_SIZE), "max_wait": "20s"},
	})


def by_name(records):
	return {record["value"]["title"].split()[-1]: record["value"] for record in records}


def test_pages_fetched_extracted_and_failures_published(tmp_path, kafka, site):
	topics = (helpers.unique_topic("fulltext"), helpers.unique_topic("fulltext-dup"))
	config = fulltext_config(tmp_path, kafka, site, topics)
	began = time.monotonic()
	result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
	elapsed = time.monotonic() - began
	assert result.returncode == 0, result.stderr[-3000:]
	records = helpers.kcat_read_all(kafka.bootstrap, topics[0]) + \
	    helpers.kcat_read_all(kafka.bootstrap, topics[1])
	articles = by_name(records)
	assert sorted(articles) == sorted(ITEMS), sorted(articles)
	for record in records:
		jsonschema.validate(record["value"], SCHEMA)

	for name in ("full-1", "full-2"):
		article = articles[name]
		assert article["fulltext"]["status"] == "extracted", article["fulltext"]
		assert article["fulltext"]["url"] == site.url(ITEMS[name][0])
		assert article["fulltext"]["method"] in ("dom", "json-ld", "site-rule")
		for paragraph in paragraphs(name):
			assert paragraph in article["text"], (name, paragraph)
		assert "Share on social networks" not in article["text"]
		assert "Copyright Loopback News" not in article["text"]
		assert article["summary"] == teaser(name)
		assert article["fulltext"]["words"] >= 150
		assert article["word_count"] == article["fulltext"]["words"]

	# robots.txt: asked once, its Disallow obeyed; the item goes out with the feed's text.
	assert site.requests("/robots.txt") == ["/robots.txt"]
	assert site.requests(ITEMS["secret"][0]) == []
	secret = articles["secret"]
	assert secret["fulltext"]["status"] == "disallowed_by_robots"
	assert secret["text"] == teaser("secret")

	expected = {"missing": ("fetch_failed", 404), "slow": ("timeout", None),
		    "huge": ("too_large", 200)}
	for name, (status, http_status) in expected.items():
		article = articles[name]
		assert article["fulltext"]["status"] == status, (name, article["fulltext"])
		assert article["text"] == teaser(name), name
		if http_status is not None:
			assert article["fulltext"]["http_status"] == http_status, name
		assert site.requests(ITEMS[name][0]) == [ITEMS[name][0]], name

	# Long enough in the feed: no page wanted, none fetched.
	assert articles["long"]["fulltext"]["status"] == "not_needed"
	assert site.requests(ITEMS["long"][0]) == []
	# The slow page held its own item only as long as [fulltext] timeout (not its whole delay).
	assert elapsed < 60, elapsed

	# A second run (a restart) fetches no page again: every item was delivered (seen).
	before = len(site.requests())
	again = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
	assert again.returncode == 0, again.stderr[-3000:]
	later = site.requests()[before:]
	assert later == ["/feed.xml"], later
	assert len(helpers.kcat_read_all(kafka.bootstrap, topics[0]) +
		   helpers.kcat_read_all(kafka.bootstrap, topics[1])) == len(ITEMS)


def short_feed(site, names):
	items = "".join("<item><title>Story %s</title><link>%s</link><guid>%s</guid>"
			"<description>%s</description></item>" % (name, site.url("/n/%s.html" % name),
			site.url("/n/%s.html" % name), teaser(name)) for name in names)
	return ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Short</title>"
		"<link>%s</link><description>t</description>%s</channel></rss>" %
		(site.url("/"), items)).encode()


def test_crawl_delay_spaces_pages_and_unreachable_robots_blocks_its_site(tmp_path, kafka):
	"""Site A asks for Crawl-delay: 1 (its three pages are fetched one at a time, a second
	apart at least, as its server saw them); site B's robots.txt answers 503 (its pages are
	not fetched, their items go out with robots_unreachable)."""
	polite, broken = Site().start(), Site().start()
	try:
		polite.pages["/feed.xml"] = (200, "application/rss+xml",
		    short_feed(polite, ["a1", "a2", "a3"]), 0)
		polite.pages["/robots.txt"] = (200, "text/plain",
		    b"User-agent: *\nCrawl-delay: 1\nDisallow: /nothing/\n", 0)
		for name in ("a1", "a2", "a3"):
			polite.pages["/n/%s.html" % name] = (200, "text/html",
			    page_html("Story %s" % name, paragraphs(name)).encode(), 0)
		broken.pages["/feed.xml"] = (200, "application/rss+xml",
		    short_feed(broken, ["b1", "b2"]), 0)
		broken.pages["/robots.txt"] = (503, "text/plain", b"busy", 0)
		topics = (helpers.unique_topic("fulltext"), helpers.unique_topic("fulltext-dup"))
		config = helpers.write_config(tmp_path, kafka.bootstrap, [
		    (polite.url("/feed.xml"), {"name": "Polite"}),
		    (broken.url("/feed.xml"), {"name": "Broken"})], {
			"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
			"feeds": {"max_host_connections": 4},
			"fulltext": {"mode": "auto", "timeout": "10s", "max_wait": "30s"},
		})
		result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
		assert result.returncode == 0, result.stderr[-3000:]
		records = helpers.kcat_read_all(kafka.bootstrap, topics[0]) + \
		    helpers.kcat_read_all(kafka.bootstrap, topics[1])
		articles = by_name(records)
		assert sorted(articles) == ["a1", "a2", "a3", "b1", "b2"], sorted(articles)
		for name in ("a1", "a2", "a3"):
			assert articles[name]["fulltext"]["status"] == "extracted", name
		times = [when for path, when in polite.times if path.startswith("/n/")]
		assert len(times) == 3, polite.times
		# A second apart as sent; as received, allow for a loaded machine's scheduling.
		gaps = [later - earlier for earlier, later in zip(times, times[1:])]
		assert min(gaps) >= 0.5, gaps
		for name in ("b1", "b2"):
			assert articles[name]["fulltext"]["status"] == "robots_unreachable", name
			assert articles[name]["text"] == teaser(name)
		assert broken.requests("/robots.txt") == ["/robots.txt"]
		assert [p for p in broken.requests() if p.startswith("/n/")] == []
	finally:
		polite.stop()
		broken.stop()


def test_process_fetches_pages_only_with_fulltext(tmp_path, site):
	"""wiresift process stays offline (no page requested, no fulltext object) unless given
	--fulltext; then it runs the page step as configured, robots.txt included."""
	config = helpers.write_config(tmp_path, "127.0.0.1:9", [], {
		"fulltext": {"mode": "auto", "timeout": "%ds" % TIMEOUT, "max_size": str(MAX_SIZE)}})
	plain = helpers.run_wiresift(["process", "-c", config, site.url("/feed.xml")])
	assert plain.returncode == 0, plain.stderr
	assert [p for p in site.requests() if p != "/feed.xml"] == []
	assert all("fulltext" not in json.loads(line) for line in plain.stdout.splitlines())

	result = helpers.run_wiresift(["process", "-c", config, "--fulltext",
				       site.url("/feed.xml")], timeout=120)
	assert result.returncode == 0, result.stderr
	articles = {json.loads(line)["title"].split()[-1]: json.loads(line)
		    for line in result.stdout.splitlines()}
	assert articles["full-1"]["fulltext"]["status"] == "extracted"
	assert paragraphs("full-1")[0] in articles["full-1"]["text"]
	assert articles["secret"]["fulltext"]["status"] == "disallowed_by_robots"
	assert articles["missing"]["fulltext"]["status"] == "fetch_failed"
	assert articles["long"]["fulltext"]["status"] == "not_needed"
	assert site.requests(ITEMS["secret"][0]) == []
	assert site.requests("/robots.txt") == ["/robots.txt"]


def test_page_asked_again_is_a_conditional_get(tmp_path, kafka):
	"""A page served with an ETag is extracted and delivered through one feed; when a second
	feed links the same page, the daemon sends If-None-Match, the server answers 304 (its log
	is the witness) and the second article carries the text extracted the first time."""
	site = Site().start()
	try:
		page = page_html("Story shared", paragraphs("shared")).encode()
		site.pages["/n/shared.html"] = (200, "text/html", page, 0)
		site.etags["/n/shared.html"] = '"shared-v1"'
		site.pages["/robots.txt"] = (404, "text/plain", b"", 0)
		for feed, title in (("/a.xml", "first"), ("/b.xml", "second")):
			item = ("<item><title>Story %s</title><link>%s</link><guid>%s#%s</guid>"
				"<description>%s</description></item>" % (title,
				site.url("/n/shared.html"), site.url("/n/shared.html"), title,
				teaser(title)))
			site.pages[feed] = (200, "application/rss+xml", ("<?xml version=\"1.0\"?>"
			    "<rss version=\"2.0\"><channel><title>%s</title><link>%s</link>"
			    "<description>t</description>%s</channel></rss>" % (title,
			    site.url("/"), item)).encode(), 0)
		topics = (helpers.unique_topic("fulltext"), helpers.unique_topic("fulltext-dup"))
		extra = {"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
			 "fulltext": {"mode": "auto"}, "dedup": {"policy": "tag"}}
		config = helpers.write_config(tmp_path, kafka.bootstrap,
		    [(site.url("/a.xml"), {"name": "First"})], extra)
		result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
		assert result.returncode == 0, result.stderr[-3000:]
		config = helpers.write_config(tmp_path, kafka.bootstrap,
		    [(site.url("/a.xml"), {"name": "First"}),
		     (site.url("/b.xml"), {"name": "Second"})], extra)
		result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
		assert result.returncode == 0, result.stderr[-3000:]
		asked = [inm for path, inm in site.conditional if path == "/n/shared.html"]
		assert asked == [None, '"shared-v1"'], site.conditional
		articles = by_name(helpers.kcat_read_all(kafka.bootstrap, topics[0]))
		assert sorted(articles) == ["first", "second"], sorted(articles)
		first, second = articles["first"], articles["second"]
		assert first["fulltext"]["status"] == "extracted"
		assert first["fulltext"]["http_status"] == 200
		assert second["fulltext"]["status"] == "extracted"
		assert second["fulltext"]["http_status"] == 304
		assert second["text"] == first["text"]
		assert second["fulltext"]["method"] == first["fulltext"]["method"]
		assert second["fulltext"]["words"] == first["fulltext"]["words"]
		assert second["summary"] == teaser("second")
	finally:
		site.stop()


def updated_feed(site, updated, titles=None):
	"""An Atom feed of one entry per page under /u/, each with its <updated> time (and its
	title from titles, else "Story NAME")."""
	titles = titles or {}
	entries = "".join(
	    "<entry><title>%s</title><link href=\"%s\"/><id>%s</id><updated>%s</updated>"
	    "<summary>%s</summary></entry>" % (titles.get(name, "Story %s" % name),
	    site.url("/u/%s.html" % name), site.url("/u/%s.html" % name), when, teaser(name))
	    for name, when in updated.items())
	return ("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
		"<title>Updates</title><id>%s</id><updated>2026-12-06T09:00:00Z</updated>%s</feed>" %
		(site.url("/"), entries)).encode()


def test_updated_entry_is_processed_again(tmp_path, kafka):
	"""An Atom entry delivered once is not published again while its <updated> stays (a second
	run asks for no page). Once <updated> moves forward it goes through again, its page asked
	for with If-None-Match (the server's log is the witness), and goes out again with
	"update": true when it says something new: a changed page (a new ETag, 200, its new text
	extracted), or a new title over an unchanged page (304: the text extracted before is
	reused). An entry whose time moved but which says what it said is not published again."""
	names = ("same", "retitled", "changed")
	site = Site().start()
	try:
		site.pages["/robots.txt"] = (404, "text/plain", b"", 0)
		for name in names:
			site.pages["/u/%s.html" % name] = (200, "text/html", page_html("Story %s" % name,
			    paragraphs(name)).encode(), 0)
			site.etags["/u/%s.html" % name] = '"%s-v1"' % name
		first = {name: "2026-12-06T09:00:00Z" for name in names}
		site.pages["/feed.xml"] = (200, "application/atom+xml", updated_feed(site, first), 0)
		topics = (helpers.unique_topic("fulltext"), helpers.unique_topic("fulltext-dup"))
		config = helpers.write_config(tmp_path, kafka.bootstrap,
		    [(site.url("/feed.xml"), {"name": "Updates"})],
		    {"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		     "fulltext": {"mode": "auto"}, "dedup": {"policy": "tag"}})

		def run():
			result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
			assert result.returncode == 0, result.stderr[-3000:]
			return helpers.kcat_read_all(kafka.bootstrap, topics[0])

		assert len(run()) == 3
		assert len(run()) == 3		# nothing moved: nothing again, no page asked for
		assert len(site.requests("/u/same.html")) == 1
		new_text = paragraphs("changed, second version")
		site.pages["/u/changed.html"] = (200, "text/html", page_html("Story changed",
		    new_text).encode(), 0)
		site.etags["/u/changed.html"] = '"changed-v2"'
		second = {"same": "2026-12-06T10:00:00Z", "retitled": "2026-12-06T10:10:00Z",
			  "changed": "2026-12-06T10:30:00Z"}
		site.pages["/feed.xml"] = (200, "application/atom+xml", updated_feed(site, second,
		    {"retitled": "A new headline for story retitled"}), 0)
		records = run()
		assert len(records) == 5, [record["value"]["title"] for record in records]
		for record in records:
			jsonschema.validate(record["value"], SCHEMA)
		before = by_name([record for record in records if "update" not in record["value"]])
		after = by_name([record for record in records if record["value"].get("update")])
		assert sorted(before) == sorted(names) and sorted(after) == ["changed", "retitled"]
		for name in names:	# every page asked for again, conditionally
			assert [inm for path, inm in site.conditional if path == "/u/%s.html" % name] == \
			    [None, '"%s-v1"' % name]
		for name in after:
			assert after[name]["update"] is True
			assert after[name]["id"] == before[name]["id"]
			if "story" in before[name]:	# an update keeps its story and adds no member
				story = before[name]["story"]["id"]
				assert after[name]["story"]["id"] == story
				assert after[name]["story"]["size"] == max(
				    b["story"]["size"] for b in before.values() if b["story"]["id"] == story)
			assert after[name]["updated"] == second[name]
		assert after["retitled"]["title"] == "A new headline for story retitled"
		assert after["retitled"]["fulltext"]["http_status"] == 304
		assert after["retitled"]["text"] == before["retitled"]["text"]
		assert after["changed"]["fulltext"]["http_status"] == 200
		assert after["changed"]["fulltext"]["status"] == "extracted"
		assert new_text[0][:60] in after["changed"]["text"]
		assert after["changed"]["text"] != before["changed"]["text"]
		assert len(run()) == 5		# recorded: the updated times are now the new ones
		assert len(site.requests("/u/same.html")) == 2
	finally:
		site.stop()
