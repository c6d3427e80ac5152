"""soak_checks.py - the contract cluster_soak.py checks once its faults are over: every feed
polled by exactly one instance while membership is stable (nginx's access log, one user agent
an instance), every served item committed and none twice for a read_committed reader (kcat),
each planted wire story one unique article plus duplicates of it in one story, SIGTERMs ending
in status 0, and the daemons' logs free of sanitizer reports, assertion failures and fatal
transactions. Each check returns failures as sentences; nothing here raises on a finding."""

import collections
import datetime
import json
import math
import re
import signal
import subprocess
import time

import helpers
from cluster_helpers import check_one_original_each, owned_feeds

# Log lines that are findings wherever they appear (a sanitizer, an assert, a fatal error).
ALARMS = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
		    r"ThreadSanitizer|Assertion .* failed|event=cluster\.transaction_fatal|"
		    r"SUMMARY: \w+Sanitizer")
EVENT = re.compile(r"level=(\w+) comp=\S+ event=(\S+)")


def wait_stable(soak, names, timeout, steady=5):
	"""The instances names poll every feed between them, each some, the same counts for
	steady seconds (no rebalance under way); the seconds it took, or None at timeout."""
	begun = time.monotonic()
	last, since = None, None
	while time.monotonic() - begun < timeout:
		counts = [owned_feeds(soak.instances[name].daemon) for name in names]
		if sum(counts) != soak.generator.feed_count or not all(counts):
			last = None
		elif counts != last:
			last, since = counts, time.monotonic()
		elif time.monotonic() - since >= steady:
			return since - begun
		time.sleep(0.5)
		soak.watch_exits()
	return None


def pollers_since(soak, since):
	"""{feed path: user agents that fetched it} at or after since (nginx logs whole seconds)."""
	pollers = collections.defaultdict(set)
	for request in soak.site.requests():
		when = datetime.datetime.fromisoformat(request["time"]).timestamp()
		if when >= since and request["uri"].startswith("/feed"):
			pollers[request["uri"]].add(request["user_agent"])
	return pollers


def one_poller_each(soak, shortest=6, longest=60):
	"""Over a window of stable membership (at least shortest s, until every feed was polled
	in it), each feed polled by one instance."""
	since = math.ceil(time.time()) + 1
	time.sleep(shortest)
	pollers = pollers_since(soak, since)
	while len(pollers) < soak.generator.feed_count and time.time() - since < longest:
		time.sleep(1)
		pollers = pollers_since(soak, since)
	failures = []
	if len(pollers) < soak.generator.feed_count:
		failures.append("only %d of %d feeds polled in %ds of stable membership" % (
			len(pollers), soak.generator.feed_count, longest))
	shared = {uri: sorted(agents) for uri, agents in pollers.items() if len(agents) > 1}
	if shared:
		failures.append("feeds polled by more than one instance: %s" % shared)
	return failures


def committed_articles(soak):
	"""Every article message of the articles and duplicates topics, read_committed."""
	articles = []
	for topic in soak.topics[:2]:
		result = subprocess.run(
			["kcat", "-C", "-b", soak.kafka.bootstrap, "-t", topic, "-o", "beginning",
			 "-e", "-q", "-X", "isolation.level=read_committed",
			 "-X", "fetch.wait.max.ms=10", "-f", "%s\\n"],
			capture_output=True, text=True, timeout=120)
		articles += [json.loads(line) for line in result.stdout.splitlines()
			     if line.startswith("{")]
	return articles


def wait_all_published(soak, timeout):
	"""The committed articles once every served item is among them, or at timeout."""
	deadline = time.monotonic() + timeout
	while True:
		articles = committed_articles(soak)
		if soak.generator.served <= {article["url"] for article in articles} or \
				time.monotonic() > deadline:
			return articles
		time.sleep(2)
		soak.watch_exits()


def delivery(soak, articles):
	"""Nothing lost, nothing twice, each wire story one original; the counts in soak.result."""
	urls = collections.Counter(article["url"] for article in articles)
	missing = soak.generator.served - set(urls)
	twice = sorted(url for url, count in urls.items() if count > 1)
	soak.result.update(served=len(soak.generator.served), committed=len(articles),
			   missing=len(missing), twice=len(twice), wire_stories=len(soak.grower.groups))
	failures = []
	if missing:
		failures.append("%d served items not committed, e.g. %s" % (len(missing),
									     sorted(missing)[:5]))
	if twice:
		failures.append("%d items committed twice or more, e.g. %s" % (len(twice), twice[:5]))
	for group in soak.grower.groups:
		try:
			check_one_original_each([group], articles)
		except AssertionError as error:
			failures.append("wire story %s: %s" % (sorted(group), error))
	return failures


def check(soak):
	"""The checks made while the instances a, b and c still run; a list of failures."""
	soak.result = {"seed": soak.seed, "duration": soak.args.duration, "faults": soak.counts}
	names = ("a", "b", "c")
	took = wait_stable(soak, names, 240)
	soak.note("settled: a, b and c poll every feed after %s s" % (
		"%.1f" % took if took is not None else "no end (240)"))
	failures = []
	if took is None:
		failures.append("a, b and c did not share the feeds within 240 s: owned %s" % [
			owned_feeds(soak.instances[name].daemon) for name in names])
	else:
		failures += one_poller_each(soak)
	with soak.grower.lock:
		soak.grower.halt.set()
	soak.grower.join()
	articles = wait_all_published(soak, soak.args.settle)
	failures += delivery(soak, articles)
	soak.note("delivery: %s" % json.dumps({key: soak.result[key] for key in (
		"served", "committed", "missing", "twice", "wire_stories")}))
	return failures


def scan_logs(soak):
	"""Alarms in every log of every instance, and counts of the warning and error events."""
	failures, events = [], collections.Counter()
	for instance in soak.instances.values():
		for path in instance.logs:
			text = path.read_text(errors="replace")
			for line in text.splitlines():
				if ALARMS.search(line):
					failures.append("%s: %s" % (path.name, line[:300]))
				found = EVENT.search(line)
				if found and found.group(1) in ("warning", "error"):
					events["%s %s" % found.groups()] += 1
	soak.result["events"] = dict(sorted(events.items()))
	return failures[:40]


def after_stop(soak):
	"""Stops every instance with SIGTERM (status 0 expected), then reads their logs; writes
	DIR/summary.json. A list of failures."""
	if not hasattr(soak, "result"):
		soak.result = {"seed": soak.seed, "faults": soak.counts}
	for instance in soak.instances.values():
		if instance.daemon and instance.daemon.process is not None:
			instance.signal(signal.SIGCONT)
			instance.signal(signal.SIGTERM)
			instance.state, instance.sent = "stopping", "SIGTERM"
			soak.reap(instance)
	failures = ["%s exited by itself with %s (log %s)" % exit for exit in soak.exits]
	failures += ["%s after %s: exit %s" % stop for stop in soak.stops
		     if stop[1] == "SIGTERM" and stop[2] != 0]
	failures += scan_logs(soak)
	soak.result.update(stops=len(soak.stops), unexpected_exits=len(soak.exits),
			   starts={name: i.starts for name, i in soak.instances.items()},
			   failures=failures)
	(soak.dir / "summary.json").write_text(json.dumps(soak.result, indent=1) + "\n")
	for event, count in soak.result.get("events", {}).items():
		soak.note("log: %5d %s" % (count, event))
	return failures
