#!/usr/bin/env python3
"""pages.py - make bench's page-fetch figure, beside the extraction figure: the daemon's own
page step (daemon/ingest/pages.c: robots.txt once per site, the same curl multi and per-host
connection caps as the feeds, extraction on the workers) over a loopback nginx.

    pages.py BUILD WORK

BENCH_PAGE_FEEDS feeds (default 200) of BENCH_PAGE_ITEMS summary-only items each (default 20),
whose links are distinct URLs of article pages (copies of our fixture pages,
tests/fixtures/pages/*.html, the site-rule one excepted) spread over the bench's loopback
addresses (poll.py's BENCH_HOSTS), each address a site with its robots.txt. `wiresift --once`
runs over them with [fulltext] mode = always, fresh state, publishing to a real Kafka broker,
then over the same feeds with mode = never (fresh state again). No plugin runs in either, so
the difference is the page step and the longer texts' cleaning and dedup. Prints

    pages.fetch pages=N seconds=S pages_per_s=X cpu_s=C never_cpu_s=B cpu_ms_per_page=M ...

pages: page requests nginx logged with status 200 (feeds and robots.txt excepted);
pages_per_s: those per second between nginx's first and last answer of the run (feeds and
robots.txt included); seconds: the whole run's wall time (start-up and delivery included);
cpu_ms_per_page: the daemon's CPU (wait4's rusage, all threads) of the mode=always run less
the mode=never run's, per page. The two modes take turns ROUNDS times, the best of each. It
measures; it asserts nothing about time.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import poll  # noqa: E402
from poll import helpers  # noqa: E402

FEEDS = int(os.environ.get("BENCH_PAGE_FEEDS", "200"))
ROUNDS = 2
ITEMS = int(os.environ.get("BENCH_PAGE_ITEMS", "20"))
TIMEOUT = 600
FIXTURES = HERE.parent / "fixtures" / "pages"


def fixture_pages():
	"""Our fixture pages but the one only a site rule extracts."""
	pages = []
	for page in sorted(FIXTURES.glob("*.html")):
		expected = (FIXTURES / (page.stem + ".expected")).read_text(encoding="utf-8")
		if "method: site-rule" not in expected.split("\n\n", 1)[0].splitlines():
			pages.append(page)
	return pages


def write_site(root, port):
	"""robots.txt, FEEDS x ITEMS pages under /p/ and the feeds under /f/; the feeds' URLs."""
	shutil.rmtree(root, ignore_errors=True)
	(root / "p").mkdir(parents=True)
	(root / "f").mkdir()
	(root / "robots.txt").write_text("# pages.py\nUser-agent: *\nAllow: /\n")
	sources = [page.read_bytes() for page in fixture_pages()]
	hosts = poll.host_addresses()
	urls = []
	for feed in range(FEEDS):
		items = []
		for item in range(ITEMS):
			number = feed * ITEMS + item
			(root / "p" / ("%05d.html" % number)).write_bytes(sources[number % len(sources)])
			link = "http://%s:%d/p/%05d.html" % (hosts[number % len(hosts)], port, number)
			items.append("<item><title>Story %d</title><link>%s</link><guid>%s</guid>"
				     "<description>A teaser of one sentence for story %d.</description>"
				     "</item>" % (number, link, link, number))
		(root / "f" / ("%03d.xml" % feed)).write_text(
		    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Pages %d</title>"
		    "<link>http://%s:%d/</link><description>bench</description>%s</channel></rss>" %
		    (feed, hosts[feed % len(hosts)], port, "".join(items)))
		urls.append("http://%s:%d/f/%03d.xml" % (hosts[feed % len(hosts)], port, feed))
	return urls


def run(build, directory, bootstrap, urls, mode):
	"""wiresift --once with [fulltext] mode; (wall seconds, CPU seconds, records)."""
	shutil.rmtree(directory, ignore_errors=True)
	directory.mkdir(parents=True)
	topics = (helpers.unique_topic("bench.pages"), helpers.unique_topic("bench.pages.dups"))
	config = helpers.write_config(directory, bootstrap, urls, {
		"daemon": {"log_level": "warning", "plugin_dir": str(build / "plugins")},
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"feeds": {"interval": "1h", "max_connections": "256", "max_host_connections": "8",
			  "timeout": "60s"},
		"clean": {"rules": str(poll.ROOT / "conf" / "rules" / "boilerplate.rules")},
		"fulltext": {"mode": mode, "max_wait": "300s"},
	})
	started = time.monotonic()
	with open(directory / "once.log", "wb") as log:
		process = subprocess.Popen([str(build / "wiresift"), "-c", str(config), "--once"],
					   stdout=log, stderr=log, stdin=subprocess.DEVNULL)
		_, _, usage = os.wait4(process.pid, 0)
	seconds = time.monotonic() - started
	records = sum(poll.count_records(bootstrap, topic) for topic in topics)
	return seconds, usage.ru_utime + usage.ru_stime, records


def request_times(nginx, start, end):
	"""Sorted times of the requests nginx answered 200 within [start, end]."""
	times = []
	with open(nginx.access_log()) as log:
		for line in log:
			parts = line.split()
			if len(parts) >= 2 and parts[1] == "200" and start <= float(parts[0]) <= end:
				times.append(float(parts[0]))
	return sorted(times)


def main(argv):
	if len(argv) != 3:
		sys.stderr.write(__doc__)
		return 2
	build = (poll.ROOT / argv[1]).resolve()
	work = Path(argv[2]).resolve()
	work.mkdir(parents=True, exist_ok=True)
	with poll.bench_servers(work / "site", work) as (nginx, bootstrap):
		urls = write_site(work / "site", nginx.port)
		always, never, spans, pages = [], [], [], 0
		for round_number in range(ROUNDS):	# alternately, the best of each
			window = time.time()
			seconds, cpu, records = run(build, work / "always", bootstrap, urls, "always")
			time.sleep(1.5)		# nginx flushes its access log every second
			times = request_times(nginx, window, time.time())
			pages = len(times) - len(urls) - len(poll.host_addresses())
			spans.append((pages / (times[-1] - times[0]) if len(times) > 1 else 0, seconds))
			always.append(cpu)
			never.append(run(build, work / "never", bootstrap, urls, "never")[1])
		rate, seconds = max(spans)
		print("pages.fetch feeds=%d items=%d records=%d pages=%d seconds=%.1f pages_per_s=%.0f "
		      "cpu_s=%.2f never_cpu_s=%.2f cpu_ms_per_page=%.3f" % (
			      len(urls), len(urls) * ITEMS, records, pages, seconds, rate, min(always),
			      min(never), (min(always) - min(never)) / max(pages, 1) * 1000),
		      flush=True)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
