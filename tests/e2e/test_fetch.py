"""test_fetch.py - polite fetching end to end: the real daemon polls a real nginx on loopback and
publishes to the session's real Kafka broker. What is proven is read from three independent
witnesses: nginx's access log (what the daemon asked for, and when), the daemon's logfmt lines
(what it concluded) and the Kafka topics (what it published, read back with kcat).

Covered: conditional GET (ETag / Last-Modified, 304, only the new item published after a change),
gzip, Retry-After on 429 and 503 (seconds and HTTP date), exponential backoff that leaves healthy feeds on schedule, slow
bodies (timeout), oversized bodies (plain and inflated past max_size), User-Agent and per-feed
headers, 301 and 308 (feed.moved, kept across a restart) against 302 (not moved), 410 (disabled, kept
across a restart) and the SSRF guard (allow_private = no: nginx never sees the request).

Most behaviours share one daemon run with a dozen feeds (module fixture `fleet`), so that the
whole file stays well under a minute and a half; each test then asserts one behaviour."""

import email.utils
import gzip
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest

import helpers

MAX_SIZE = 64 * 1024		# [feeds] max_size in the fleet run
TIMEOUT = 3			# [feeds] timeout in the fleet run, seconds
MAX_BACKOFF = 4			# [feeds] max_backoff in the fleet run, seconds
RETRY_AFTER = 3			# what /retry/429 and /retry/503 say
RETRY_DATE_AHEAD = 6		# /retry/dated names a date this far past the fleet's start
TOKEN = "sesame-41"		# the X-Token /token.xml insists on
PARTNER_AGENT = "PartnerReader/2.0"

# Words the fixtures' items are made of (random draws: no two items look alike to dedup).
VOCABULARY = ("lantern orchard ferry quarry meadow signal copper velvet harbour glacier "
	      "compass thimble saddle beacon cobble pigeon walnut ledger anchor cinder "
	      "marble orchid tundra violin pepper rafter shingle tunnel kettle summit "
	      "bramble canyon dockyard emerald falcon garnet hollow island jasmine kiln "
	      "lagoon mantle nutmeg oyster parcel quiver ribbon sextant trellis umber "
	      "valley willow yarrow zephyr almond bishop candle dune ember fjord grotto "
	      "heron ivory juniper kestrel lily mosaic nectar opal prairie quartz reed "
	      "spruce thistle urchin vessel wharf yonder zinc abbey barley cellar delta").split()

# Locations the fleet's nginx adds to nginx.conf.in (@ROOT@ is filled in by _extra_config).
EXTRA_LOCATIONS = """
		location = /retry/429 {
			add_header Retry-After %(retry)d always;
			return 429;
		}
		location = /retry/503 {
			add_header Retry-After %(retry)d always;
			return 503;
		}
		location = /retry/dated {
			add_header Retry-After "%(retry_date)s" always;
			return 429;
		}
		location /plain/ {
			alias %(root)s/;
			gzip off;
		}
		location = /bomb.xml {
			gzip off;
			types { }
			default_type application/rss+xml;
			add_header Content-Encoding gzip;
			try_files /bomb.xml.gz =404;
		}
		location = /corrupt.xml {
			gzip off;
			types { }
			default_type application/rss+xml;
			add_header Content-Encoding gzip;
			try_files /corrupt.xml.gz =404;
		}
		location = /token.xml {
			if ($http_x_token != "%(token)s") {
				return 403;
			}
		}
"""


# --- nginx with a more telling access log --------------------------------------------------

class TimedHttpServer(helpers.HttpServer):
	"""helpers.HttpServer whose access log also records when each request ended (msec) and
	how long it took (request_time), the validators and encoding sent back, and the X-Token
	request header. requests() adds "start": when the request began, in epoch seconds."""

	FIELDS = (',"msec":$msec,"request_time":$request_time,"etag":"$sent_http_etag",'
		  '"last_modified":"$sent_http_last_modified",'
		  '"content_encoding":"$sent_http_content_encoding","x_token":"$http_x_token"')

	def _write_config(self):
		path = super()._write_config()
		text = path.read_text()
		marker = '"time":"$time_iso8601"}'
		assert marker in text, "nginx.conf.in changed its log_format: update TimedHttpServer"
		path.write_text(text.replace(marker, '"time":"$time_iso8601"' + self.FIELDS + "}"))
		return path

	def requests(self):
		found = super().requests()
		for request in found:
			request["start"] = request["msec"] - request["request_time"]
		return found

	def of(self, uri):
		"""Requests whose URI (query string included) is uri, in the order they began."""
		return sorted((r for r in self.requests() if r["uri"] == uri),
			      key=lambda r: r["start"])


def start_server(root, run_dir, extra_config=""):
	server = TimedHttpServer(root, run_dir, extra_config)
	return server.start()


def gaps(requests):
	starts = [request["start"] for request in requests]
	return [later - earlier for earlier, later in zip(starts, starts[1:])]


# --- feeds ---------------------------------------------------------------------------------

def item_text(name, number, words=40):
	generator = random.Random("%s/%d" % (name, number))
	return " ".join(generator.choice(VOCABULARY) for _ in range(words))


def item_url(name, number):
	return "https://%s.example/story/%d" % (name, number)


def rss(name, numbers, words=40):
	"""An RSS 2.0 document of feed name with one item per number (newest first)."""
	items = []
	for number in sorted(numbers, reverse=True):
		items.append(
			"<item><title>%s story %d %s</title><link>%s</link><guid>%s</guid>"
			"<pubDate>Wed, 02 Dec 2026 09:%02d:00 GMT</pubDate>"
			"<description>%s.</description></item>\n" %
			(name.capitalize(), number, item_text(name, number, 3), item_url(name, number),
			 item_url(name, number), number % 60, item_text(name, number, words)))
	return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
		"<title>%s</title><link>https://%s.example/</link><description>Test feed %s"
		"</description>\n%s</channel></rss>\n" % (name, name, name, "".join(items)))


def write_feed(directory, file_name, name, numbers, words=40):
	path = Path(directory) / file_name
	temporary = path.with_name("." + path.name)
	temporary.write_text(rss(name, numbers, words))
	temporary.replace(path)
	return path


def write_feed_of_size(directory, file_name, name, size):
	"""A feed at least size bytes long (items of 40 words until it is)."""
	count = 1
	while True:
		text = rss(name, range(count))
		if len(text) >= size:
			break
		count = max(count + 1, int(count * size / len(text)) + 1)
	(Path(directory) / file_name).write_text(text)
	return len(text.encode())


def published(bootstrap, topics):
	records = []
	for topic in topics:
		records += helpers.kcat_read_all(bootstrap, topic)
	return [record["value"] for record in records if isinstance(record["value"], dict)]


def urls_of(values, name):
	return [value["url"] for value in values
		if str(value.get("url", "")).startswith("https://%s.example/" % name)]


def version():
	result = helpers.run_wiresift(["-V"])
	match = re.search(r"wiresift (\S+)", result.stdout + result.stderr)
	assert match, result.stdout + result.stderr
	return match.group(1)


def log_lines(text, event, feed=None):
	pattern = r"^.*event=%s%s.*$" % (re.escape(event),
					  r" feed=%s\b" % re.escape(feed) if feed else r"\b")
	return re.findall(pattern, text, re.M)


# --- the fleet: one daemon, a dozen feeds, each misbehaving in its own way ------------------

class Fleet:
	"""What one run of the daemon over the fleet's feeds left behind."""

	def __init__(self, server, log, topics, bootstrap, sizes, retry_until):
		self.server = server
		self.log = log
		self.topics = topics
		self.bootstrap = bootstrap
		self.sizes = sizes
		self.retry_until = retry_until	# the date /retry/dated names, epoch seconds
		self._values = None

	def values(self):
		if self._values is None:
			self._values = published(self.bootstrap, self.topics)
		return self._values


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, kafka):
	base = tmp_path_factory.mktemp("fleet")
	site = base / "site"
	site.mkdir()
	sizes = {}
	write_feed(site, "healthy.xml", "healthy", range(3))
	write_feed(site, "token.xml", "token", range(2))
	write_feed(site, "partner.xml", "partner", range(2))
	write_feed(site, "temporary.xml", "temporary", range(2))
	sizes["gzipped"] = write_feed_of_size(site, "gzipped.xml", "gzipped", 30 * 1024)
	sizes["slow"] = write_feed_of_size(site, "slow.xml", "slow", 40 * 1024)
	sizes["big"] = write_feed_of_size(site, "big.xml", "big", 1024 * 1024)
	# The bomb: 4 MiB of one repeated item, a few KiB once gzipped.
	bomb_item = ("<item><title>Bomb</title><link>https://bomb.example/1</link>"
		     "<description>%s</description></item>\n" % ("ballast " * 50))
	bomb_body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>bomb</title>' +
		     bomb_item * (4 * 1024 * 1024 // len(bomb_item)) + "</channel></rss>\n")
	(site / "bomb.xml.gz").write_bytes(gzip.compress(bomb_body.encode(), 9))
	sizes["bomb"] = len(bomb_body)
	sizes["bomb_compressed"] = (site / "bomb.xml.gz").stat().st_size
	# Said to be gzip, and a gzip header, but what follows is no deflate stream.
	corrupt = bytearray(gzip.compress(bomb_body.encode()[:20000], 9))
	corrupt[10:74] = b"\xff" * 64
	(site / "corrupt.xml.gz").write_bytes(bytes(corrupt))

	# Retry-After as an HTTP date a few seconds ahead (whole seconds, as HTTP dates are).
	retry_until = int(time.time()) + RETRY_DATE_AHEAD
	extra = EXTRA_LOCATIONS % {"retry": RETRY_AFTER, "root": site.resolve(), "token": TOKEN,
				   "retry_date": email.utils.formatdate(retry_until, usegmt=True)}
	server = start_server(site, base / "nginx", extra)
	topics = (helpers.unique_topic("fetch-articles"), helpers.unique_topic("fetch-duplicates"))
	every = {"interval": "1s"}

	def feed(path, name, **options):
		return (server.url(path), dict(every, name=name, **options))

	feeds = [
		feed("healthy.xml", "healthy"),
		feed("gzipped.xml", "gzipped"),
		feed("status/500", "failing"),
		feed("retry/429", "limited"),
		feed("retry/503", "unavailable"),
		feed("retry/dated", "dated"),
		feed("slow/slow.xml", "slow"),
		feed("plain/big.xml", "big"),
		feed("bomb.xml", "bomb"),
		feed("corrupt.xml", "corrupt"),
		feed("token.xml", "token", header='"X-Token: %s"' % TOKEN),
		feed("token.xml?without-header", "tokenless"),
		feed("partner.xml", "partner", user_agent='"%s"' % PARTNER_AGENT),
		feed("redirect302/temporary.xml", "temporary"),
	]
	config = helpers.write_config(base / "daemon", kafka.bootstrap, feeds, {
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"feeds": {"interval": "1s", "min_interval": "1s", "max_backoff": "%ds" % MAX_BACKOFF,
			  "timeout": "%ds" % TIMEOUT, "connect_timeout": "2s", "max_size": "64k",
			  "max_host_connections": "16"},
		"daemon": {"shutdown_timeout": "5s"},
	})
	daemon = helpers.WiresiftDaemon(config, base / "wiresift.log", ["-d"])
	daemon.start()
	try:
		daemon.wait_for_log(r"event=daemon\.started", timeout=20)
		# Five requests of the failing feed show the gaps 1, 2, 4 and the cap (4, not 8).
		helpers.wait_until(lambda: len(server.of("/status/500")) >= 5, 22, 0.2)
		assert daemon.stop(signal.SIGTERM, timeout=20) == 0, helpers.tail(daemon.log_path)
		# Every healthy item acknowledged before we read the topics.
		helpers.wait_until(lambda: len(published(kafka.bootstrap, topics)) >= 3 + 2 + 2 + 2, 20)
		yield Fleet(server, daemon.log(), topics, kafka.bootstrap, sizes, retry_until)
	finally:
		daemon.stop(signal.SIGKILL, timeout=5)
		server.stop()


def test_user_agent_names_wiresift_and_its_version(fleet):
	expected = "wiresift/%s" % version()
	requests = fleet.server.requests()
	assert len(requests) > 20
	for request in requests:
		if request["uri"] == "/partner.xml":
			assert request["user_agent"] == PARTNER_AGENT, request
		else:
			assert request["user_agent"] == expected, request
	assert fleet.server.of("/partner.xml"), "the partner feed was never polled"


def test_per_feed_header_is_sent(fleet):
	with_header = fleet.server.of("/token.xml")
	without = fleet.server.of("/token.xml?without-header")
	assert with_header and without
	# nginx answers /token.xml only to the right X-Token: the feed with header= gets it ...
	assert all(r["x_token"] == TOKEN for r in with_header), with_header
	assert with_header[0]["status"] == 200
	assert all(r["status"] in (200, 304) for r in with_header), with_header
	# ... and a feed without it does not (so the 200s above are the header's doing).
	assert all(r["x_token"] == "" and r["status"] == 403 for r in without), without
	assert log_lines(fleet.log, "feed.fetched", "token")
	assert re.search(r"event=feed\.failed feed=tokenless .*reason=http-error status=403",
			 fleet.log), fleet.log[-3000:]
	assert sorted(urls_of(fleet.values(), "token")) == [item_url("token", n) for n in range(2)]


def test_gzip_is_asked_for_and_decoded(fleet):
	requests = fleet.server.of("/gzipped.xml")
	assert requests
	assert all("gzip" in r["accept_encoding"] for r in requests), requests
	first = requests[0]
	# nginx sent it compressed, the daemon parsed the whole decoded document.
	assert first["status"] == 200 and first["content_encoding"] == "gzip", first
	assert first["bytes"] < fleet.sizes["gzipped"] // 2, first
	fetched = log_lines(fleet.log, "feed.fetched", "gzipped")
	assert fetched, fleet.log[-3000:]
	assert "status=200" in fetched[0] and "bytes=%d " % fleet.sizes["gzipped"] in fetched[0], \
		fetched[0]
	items = int(re.search(r" items=(\d+)", fetched[0]).group(1))
	assert items > 10
	assert len(set(urls_of(fleet.values(), "gzipped"))) == items
	assert len(urls_of(fleet.values(), "gzipped")) == items	# published once each


@pytest.mark.parametrize("status,name", [(429, "limited"), (503, "unavailable")])
def test_retry_after_is_a_floor(fleet, status, name):
	requests = fleet.server.of("/retry/%d" % status)
	assert len(requests) >= 3, requests
	assert all(r["status"] == status for r in requests)
	# Backoff alone would retry after ~1 s, then ~2 s: Retry-After: 3 holds both off.
	for gap in gaps(requests):
		assert gap >= RETRY_AFTER - 0.05, gaps(requests)
	assert re.search(r"event=feed\.failed feed=%s .*reason=http-error status=%d failures=1 " %
			 (name, status), fleet.log), fleet.log[-3000:]


def test_retry_after_as_a_date(fleet):
	requests = fleet.server.of("/retry/dated")
	assert len(requests) >= 2, requests
	first, second = requests[0], requests[1]
	# Backoff alone would come back after ~1 s; the date is further away than that.
	assert fleet.retry_until - first["start"] > 2.5, (fleet.retry_until, first)
	assert second["start"] >= fleet.retry_until - 0.05, (fleet.retry_until, requests)
	# Once the date has passed, it holds nothing off: plain backoff again (2 s, +-20%).
	if len(requests) >= 3:
		assert gaps(requests)[1] <= 2 * 1.2 + 0.3, gaps(requests)
	assert re.search(r"event=feed\.failed feed=dated .*reason=http-error status=429 ",
			 fleet.log)


def test_backoff_grows_while_a_healthy_feed_keeps_its_schedule(fleet):
	failing = fleet.server.of("/status/500")
	assert len(failing) >= 5, failing
	spacing = gaps(failing)
	# interval 1s doubled per failure (jitter +-20%), capped at max_backoff 4s.
	assert 0.75 <= spacing[0] <= 1.5, spacing
	assert 1.55 <= spacing[1] <= 2.7, spacing
	assert 3.1 <= spacing[2] <= MAX_BACKOFF * 1.2 + 0.3, spacing
	for gap in spacing[3:]:
		assert 3.1 <= gap <= MAX_BACKOFF * 1.2 + 0.3, ("not capped", spacing)
	assert re.search(r"event=feed\.failed feed=failing .*reason=http-error status=500 "
			 r"failures=1 ", fleet.log)

	healthy = fleet.server.of("/healthy.xml")
	window = failing[-1]["start"] - healthy[0]["start"]
	assert len(healthy) >= window / 1.15, (len(healthy), window)
	assert max(gaps(healthy)) <= 1.5, gaps(healthy)
	assert all(r["status"] in (200, 304) for r in healthy)
	# Polled every second, published once.
	assert sorted(urls_of(fleet.values(), "healthy")) == [item_url("healthy", n) for n in range(3)]


def test_slow_body_times_out_and_others_are_unaffected(fleet):
	slow = fleet.server.of("/slow/slow.xml")
	assert slow, "the slow feed was never polled"
	first = slow[0]
	# nginx trickles 1 KiB/s; the daemon hung up at [feeds] timeout.
	assert TIMEOUT - 0.5 <= first["request_time"] <= TIMEOUT + 1.5, first
	assert first["bytes"] < fleet.sizes["slow"], first
	assert re.search(r"event=feed\.failed feed=slow .*reason=timeout ", fleet.log), \
		fleet.log[-3000:]
	assert not urls_of(fleet.values(), "slow")
	# While the slow transfer ran, the healthy feed went on being polled every second.
	during = [r for r in fleet.server.of("/healthy.xml")
		  if first["start"] <= r["start"] <= first["msec"]]
	assert len(during) >= TIMEOUT - 1, during


def test_oversized_bodies_are_cut_at_max_size(fleet):
	big = fleet.server.of("/plain/big.xml")
	bomb = fleet.server.of("/bomb.xml")
	assert big and bomb
	assert big[0]["content_encoding"] == "" and fleet.sizes["big"] > MAX_SIZE
	assert re.search(r"event=feed\.failed feed=big .*reason=too-large .*error=\"response over "
			 r"%d bytes\"" % MAX_SIZE, fleet.log), fleet.log[-3000:]
	# The bomb is small on the wire and large once inflated: the limit applies after decoding.
	assert bomb[0]["content_encoding"] == "gzip", bomb[0]
	assert fleet.sizes["bomb_compressed"] < MAX_SIZE < fleet.sizes["bomb"]
	assert re.search(r"event=feed\.failed feed=bomb .*reason=too-large .*error=\"response over "
			 r"%d bytes\"" % MAX_SIZE, fleet.log), fleet.log[-3000:]
	assert not urls_of(fleet.values(), "big") and not urls_of(fleet.values(), "bomb")


def test_undecodable_body_fails_the_feed(fleet):
	# Feed bodies are decoded when parsed (outcome.c): bad gzip data still fails the fetch,
	# with fetch.c's reason and error, and counts against the feed's health each time.
	corrupt = fleet.server.of("/corrupt.xml")
	assert corrupt and corrupt[0]["content_encoding"] == "gzip", corrupt
	assert re.search(r"event=feed\.failed feed=corrupt .*reason=other status=200 failures=1 "
			 r"error=\"bad gzip data\"", fleet.log), fleet.log[-3000:]
	assert not urls_of(fleet.values(), "corrupt")


def test_temporary_redirect_does_not_move_the_feed(fleet):
	old = fleet.server.of("/redirect302/temporary.xml")
	target = fleet.server.of("/temporary.xml")
	assert len(old) >= 3, old
	assert all(r["status"] == 302 for r in old)
	# Every poll starts at the configured URL and follows the 302 to the target.
	assert len(target) == len(old), (old, target)
	assert "event=feed.moved" not in fleet.log
	assert sorted(urls_of(fleet.values(), "temporary")) == \
		[item_url("temporary", n) for n in range(2)]


# --- conditional GET ---------------------------------------------------------------------

def test_conditional_get_304_then_only_the_new_item(tmp_path, kafka, wiresift_daemon):
	site = tmp_path / "site"
	site.mkdir()
	path = write_feed(site, "news.xml", "news", range(2))
	server = start_server(site, tmp_path / "nginx")
	try:
		topics = (helpers.unique_topic("cond-articles"), helpers.unique_topic("cond-dups"))
		config = helpers.write_config(tmp_path / "daemon", kafka.bootstrap,
					      [(server.url("news.xml"), {"name": "news"})], {
			"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
			"feeds": {"interval": "1s", "min_interval": "1s"},
		})
		daemon = wiresift_daemon(config, args=["-d"])
		assert helpers.wait_until(lambda: any(r["status"] == 304 for r in
						      server.of("/news.xml")), 20), \
			server.requests()
		first = server.of("/news.xml")[0]
		assert first["status"] == 200 and first["if_none_match"] == "", first
		assert first["etag"] and first["last_modified"], first
		daemon.wait_for_log(r"event=feed\.not_modified feed=news ", timeout=5)
		assert len(helpers.kcat_consume(kafka.bootstrap, topics[0], count=2)) == 2

		# A new item: the file changes (size and mtime), the next poll gets a 200.
		mark = len(server.of("/news.xml"))
		path = write_feed(site, "news.xml", "news", range(3))
		later = time.time() + 5
		os.utime(path, (later, later))
		daemon.wait_for_log(r"event=feed\.fetched feed=news status=200 .*new=1 ", timeout=10)
		assert helpers.wait_until(lambda: any(r["status"] == 304 for r in
						      server.of("/news.xml")[mark:]), 10)
		daemon.stop()

		requests = server.of("/news.xml")
		fulls = [r for r in requests if r["status"] == 200]
		changed = [r for r in requests[mark:] if r["status"] == 200][0]
		# The poll that saw the change was itself conditional, on the first validators.
		assert changed["if_none_match"] == first["etag"], changed
		assert changed["if_modified_since"] == first["last_modified"], changed
		assert changed["etag"] != first["etag"]
		# Every conditional request carried the validators of one earlier 200 (the latest
		# whose items were all acknowledged), and every 304 was empty.
		given = set()
		for request in requests:
			if request["if_none_match"]:
				assert (request["if_none_match"], request["if_modified_since"]) in given, \
					(request, given)
			if request["status"] == 304:
				assert request["bytes"] == 0 and request["if_none_match"], request
			if request["status"] == 200:
				given.add((request["etag"], request["last_modified"]))
		assert len(fulls) < len(requests)

		records = helpers.kcat_consume(kafka.bootstrap, topics[0], count=3)
		time.sleep(0.5)
		records = helpers.kcat_read_all(kafka.bootstrap, topics[0])
		urls = [r["value"]["url"] for r in records]
		assert urls[:2] and sorted(urls[:2]) == [item_url("news", 0), item_url("news", 1)]
		assert urls[2:] == [item_url("news", 2)], urls
		assert helpers.kcat_read_all(kafka.bootstrap, topics[1]) == []
		new_counts = [int(n) for n in re.findall(
			r"event=feed\.fetched feed=news status=200 .* new=(\d+) ", daemon.log())]
		assert [n for n in new_counts if n] == [2, 1], new_counts
	finally:
		server.stop()


# --- 301, 410 and a restart ----------------------------------------------------------------

@pytest.fixture(scope="module")
def restarted(tmp_path_factory, kafka):
	"""Two daemon runs over the same state: a feed behind a 301, one behind a 308, a feed
	answering 410 and a steady one. Returns (server, first log, second log, request count at the restart, topics)."""
	base = tmp_path_factory.mktemp("restart")
	site = base / "site"
	site.mkdir()
	write_feed(site, "moved.xml", "moved", range(2))
	write_feed(site, "relocated.xml", "relocated", range(2))
	write_feed(site, "steady.xml", "steady", range(1))
	server = start_server(site, base / "nginx",
			      "\t\tlocation ~ ^/redirect308/(.*)$ { return 308 /$1; }\n")
	topics = (helpers.unique_topic("moved-articles"), helpers.unique_topic("moved-dups"))
	feeds = [(server.url("redirect/moved.xml"), {"name": "moved"}),
		 (server.url("redirect308/relocated.xml"), {"name": "relocated"}),
		 (server.url("status/410"), {"name": "gone"}),
		 (server.url("steady.xml"), {"name": "steady"})]
	config = helpers.write_config(base / "daemon", kafka.bootstrap, feeds, {
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"feeds": {"interval": "1s", "min_interval": "1s"},
	})
	logs = []
	daemon = None
	try:
		daemon = helpers.WiresiftDaemon(config, base / "first.log", ["-d"]).start()
		daemon.wait_for_log(r"event=feed\.moved feed=moved ", timeout=15)
		daemon.wait_for_log(r"event=feed\.moved feed=relocated ", timeout=15)
		daemon.wait_for_log(r"event=feed\.gone feed=gone ", timeout=15)
		# A few more polls after the move, and the items acknowledged.
		assert helpers.wait_until(lambda: len(server.of("/moved.xml")) >= 3 and
					  len(server.of("/relocated.xml")) >= 3, 10), server.requests()
		assert len(helpers.kcat_consume(kafka.bootstrap, topics[0], count=5)) == 5
		time.sleep(1.5)
		assert daemon.stop(signal.SIGTERM, timeout=20) == 0
		logs.append(daemon.log())
		at_restart = len(server.requests())
		moved_before = len(server.of("/moved.xml"))
		steady_before = len(server.of("/steady.xml"))

		daemon = helpers.WiresiftDaemon(config, base / "second.log", ["-d"]).start()
		daemon.wait_for_log(r"event=daemon\.started", timeout=15)
		helpers.wait_until(lambda: len(server.of("/moved.xml")) >= moved_before + 3 and
				   len(server.of("/steady.xml")) >= steady_before + 3, 10)
		time.sleep(1)
		assert daemon.stop(signal.SIGTERM, timeout=20) == 0
		logs.append(daemon.log())
		yield server, logs[0], logs[1], at_restart, topics
	finally:
		if daemon is not None:
			daemon.stop(signal.SIGKILL, timeout=5)
		server.stop()


@pytest.mark.parametrize("status,old_path,name", [(301, "redirect/moved.xml", "moved"),
					     (308, "redirect308/relocated.xml", "relocated")])
def test_permanent_redirect_moves_the_feed_for_good(restarted, kafka, status, old_path, name):
	server, first_log, second_log, at_restart, topics = restarted
	new_uri = "/%s.xml" % name
	requests = server.requests()
	old = [r for r in requests if r["uri"] == "/" + old_path]
	# The configured URL was asked once, ever: every later poll went to the new one.
	assert len(old) == 1 and old[0]["status"] == status, old
	moved_line = re.search(r"event=feed\.moved feed=%s from=(\S+) to=(\S+)" % name, first_log)
	assert moved_line, first_log[-3000:]
	assert moved_line.group(1).strip('"') == server.url(old_path)
	assert moved_line.group(2).strip('"') == server.url(new_uri)
	before = [r for r in requests[:at_restart] if r["uri"] == new_uri]
	after = [r for r in requests[at_restart:] if r["uri"] in (new_uri, "/" + old_path)]
	assert len(before) >= 2, before
	# After the restart the daemon starts at the new URL, still conditional.
	assert after and all(r["uri"] == new_uri for r in after), after
	assert after[0]["if_none_match"] and after[0]["status"] == 304, after[0]
	assert "event=feed.moved" not in second_log
	# Items were published once, under both runs together.
	urls = [r["value"]["url"] for r in helpers.kcat_read_all(kafka.bootstrap, topics[0])]
	assert sorted(u for u in urls if u.startswith("https://%s.example/" % name)) == \
		[item_url(name, n) for n in range(2)]


def test_gone_feed_is_disabled_for_good(restarted):
	server, first_log, second_log, at_restart, topics = restarted
	requests = server.requests()
	gone = [r for r in requests if r["uri"] == "/status/410"]
	assert len(gone) == 1 and gone[0]["status"] == 410, gone
	assert re.search(r"event=feed\.gone feed=gone url=\S+ status=410 action=disabled",
			 first_log), first_log[-3000:]
	assert not log_lines(first_log, "feed.failed", "gone")
	# The restarted daemon says so and leaves the feed alone, while polling the others.
	assert re.search(r"event=feeds\.disabled count=1 reason=gone", second_log), second_log
	steady_after = [r for r in requests[at_restart:] if r["uri"] == "/steady.xml"]
	assert len(steady_after) >= 3, steady_after


# --- the SSRF guard ------------------------------------------------------------------------

def test_private_address_refused_without_a_request(tmp_path, kafka):
	site = tmp_path / "site"
	site.mkdir()
	write_feed(site, "inside.xml", "inside", range(1))
	server = start_server(site, tmp_path / "nginx")
	try:
		topics = (helpers.unique_topic("ssrf-articles"), helpers.unique_topic("ssrf-dups"))
		feeds = [(server.url("inside.xml"), {"name": "loopback"}),
			 ("http://localhost:%d/inside.xml" % server.port, {"name": "by-name"})]
		config = helpers.write_config(tmp_path / "daemon", kafka.bootstrap, feeds, {
			"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
			"feeds": {"allow_private": "no"},
		})
		result = helpers.run_wiresift(["-c", config, "--once"], timeout=60)
		assert result.returncode == 1, result.stderr[-3000:]
		for name in ("loopback", "by-name"):
			assert re.search(r"event=feed\.failed feed=%s .*reason=refused-address " % name,
					 result.stderr), result.stderr[-3000:]
		assert "event=feed.fetched" not in result.stderr
		time.sleep(0.3)
		assert server.requests() == []
		assert "event=article.delivered" not in result.stderr
	finally:
		server.stop()
