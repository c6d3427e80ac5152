#!/usr/bin/env python3
"""cluster.py - cluster mode ([cluster] group) beside single-node mode in the same run: cold
start and polling with one daemon without [cluster], one instance of a group, and two.

    cluster.py BUILD_DIR WORK_DIR

Environment: BENCH_CLUSTER_FEEDS (2000 feeds), BENCH_CLUSTER_ITEMS (10 short items each),
BENCH_CLUSTER_POLL_SECONDS (10), BENCH_COLD_TIMEOUT (240), BENCH_HOSTS (poll.py's),
BENCH_CLUSTER_SETUPS (single,cluster1,cluster2: the setups to run), BENCH_CLUSTER_PERF (a
directory: each daemon's poll window is recorded there with `perf record -e cpu-clock -g -p`,
SETUP-N.data, to profile the polls answered 304), BROKER_INITIAL_REBALANCE_DELAY_MS (the broker's
group.initial.rebalance.delay.ms, tests/kafka/broker.sh: 0 unless set, Kafka's own default 3000).

Every setup runs the full pipeline of conf/ (as poll.py does) over the same feeds on poll.py's
loopback nginx, publishing to one real broker (tests/kafka/broker.sh), with a fresh state_dir,
fresh topics and, for the cluster setups, a fresh group of 12 partitions. `--once` does not run
in cluster mode, so every setup is the daemon itself with a 1 s interval:

- cold: from the start of the processes until their /metrics count every item published
  (wiresift_articles_total published + duplicate); items/s and the daemons' CPU per item
  (summed over the instances: CPU per item is the per-core figure). For the cluster setups
  this includes creating the topics and joining the group (ready_s: until every /readyz says
  ready). Cluster mode runs with Kafka transactions (one per commit_interval, 500 ms, per instance).
- poll: the next BENCH_CLUSTER_POLL_SECONDS, when the feeds answer 304: polls/s from nginx's
  access log and the daemons' CPU per 1000 polls.

The daemons' CPU is also split by thread name (/proc/PID/task: rdk:* are librdkafka's
threads, wiresift-* ours, the loop is the process's name), from their start to the end of the
cold start ("cluster.coldthreads.SETUP name=seconds ...") and over the poll window
("cluster.threads.SETUP"), which shows where a cluster instance's extra cost goes. The cold
start is not all items: the feeds are polled every second meanwhile, and a cluster setup's cold
start lasts longer (joining; with two instances the first to join takes every partition and
hands half on), so it holds more polls answered 304. "cluster.coldpolls.SETUP" says how many
(nginx's log, from the start to the end of the cold start), each instance's CPU, and the cold
start's CPU per item without those polls, at the poll window's CPU per poll (an estimate).

Prints "cluster.cold.SETUP ...", "cluster.coldthreads.SETUP", "cluster.poll.SETUP ...",
"cluster.threads.SETUP", "cluster.coldpolls.SETUP" and, with two instances,
"cluster.join.SETUP" (the join's timeline from the daemons' cluster.* log lines) lines (SETUP: single, cluster1, cluster2)
for run.sh; asserts nothing about time.
"""

import calendar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll  # noqa: E402
from poll import ROOT, helpers, say, cpu_of  # noqa: E402

FEEDS = int(os.environ.get("BENCH_CLUSTER_FEEDS", "2000"))
ITEMS = int(os.environ.get("BENCH_CLUSTER_ITEMS", "10"))
POLL_SECONDS = float(os.environ.get("BENCH_CLUSTER_POLL_SECONDS", "10"))
COLD_TIMEOUT = float(os.environ.get("BENCH_COLD_TIMEOUT", "240"))
SETUPS = tuple(setup for setup in (("single", 0), ("cluster1", 1), ("cluster2", 2))
	       if setup[0] in os.environ.get("BENCH_CLUSTER_SETUPS", "single,cluster1,cluster2")
	       .split(","))


def config_for(directory, bootstrap, urls, build, topics, group):
	config = poll.daemon_config(directory, bootstrap, urls, build, "1s", topics)
	text = config.read_text() + "\n[metrics]\nlisten = 127.0.0.1:%d\n" % helpers.free_port()
	if group:
		# the join's lines (cluster.joining, assigned, revoked, caught_up) for join_line()
		text = text.replace("[daemon]\n", "[daemon]\nlog_levels = cluster:info\n", 1)
		text += ("\n[cluster]\ngroup = %s\ntopic.feeds = %s\ntopic.state = %s\n"
			 "topic.fingerprints = %s\npartitions = 12\nsession_timeout = 6s\n" % (
				 group, topics[2], topics[3], topics[4]))
	config.write_text(text)
	return config


def http_get(daemon, path):
	"""The body of an answer 200 from the daemon's [metrics] listener, else None."""
	match = re.search(r"^listen = (\S+)$", daemon.config.read_text(), re.M)
	try:
		with urllib.request.urlopen("http://%s%s" % (match.group(1), path), timeout=5) as reply:
			return reply.read().decode()
	except OSError:
		return None


def published(daemon):
	text = http_get(daemon, "/metrics") or ""
	return sum(int(count) for count in re.findall(
		r'^wiresift_articles_total\{status="(?:published|duplicate)"\} (\d+)$', text, re.M))


def thread_cpu(pids):
	"""{thread name: utime + stime in s} summed over the threads of pids."""
	totals = {}
	for pid in pids:
		for task in Path("/proc/%d/task" % pid).glob("*"):
			try:
				name = (task / "comm").read_text().strip()
				text = (task / "stat").read_text()
			except OSError:
				continue
			fields = text[text.rindex(")") + 2:].split()
			name = re.sub(r"\d+$", "N", name)	# rdk:broker1, rdk:broker2 -> rdk:brokerN
			totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / \
				poll.CLOCK_TICKS
	return totals


def thread_line(after, before):
	"""name=seconds for each thread name, CPU from before to after, most first."""
	return " ".join("%s=%.2f" % (name, after[name] - before.get(name, 0.0))
			for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n]))


def run(label, instances, build, work, nginx, bootstrap, urls):
	topics = tuple(helpers.unique_topic("bench." + kind) for kind in
		       ("articles", "duplicates", "feeds", "state", "fingerprints"))
	group = helpers.unique_topic("bench-group") if instances else None
	daemons = []
	for index in range(max(instances, 1)):
		directory = work / ("%s-%d" % (label, index))
		shutil.rmtree(directory, ignore_errors=True)
		config = config_for(directory, bootstrap, urls, build, topics, group)
		daemons.append(helpers.WiresiftDaemon(config, directory / "daemon.log"))
	say("%s: %d daemon(s), %d feeds x %d items" % (label, len(daemons), FEEDS, ITEMS))
	begun, begun_wall = time.monotonic(), time.time()
	for daemon in daemons:
		daemon.start()
	ready_at = None
	expected = FEEDS * ITEMS
	while time.monotonic() - begun < COLD_TIMEOUT:
		if ready_at is None and all(http_get(d, "/readyz") == "ready\n" for d in daemons):
			ready_at = time.monotonic()
		if sum(published(daemon) for daemon in daemons) >= expected:
			break
		time.sleep(0.2)
	cold_seconds, cold_end_wall = time.monotonic() - begun, time.time()
	instance_cpu = [cpu_of(daemon.pid) for daemon in daemons]
	cold_cpu = sum(instance_cpu)
	records = sum(published(daemon) for daemon in daemons)
	cold_threads = thread_cpu([daemon.pid for daemon in daemons])
	print("cluster.cold.%s instances=%d items=%d published=%d seconds=%.2f "
	      "items_per_s=%.0f ready_s=%.2f cpu_s=%.2f cpu_ms_per_item=%.4f" % (
		      label, len(daemons), expected, records, cold_seconds,
		      records / cold_seconds, (ready_at or time.monotonic()) - begun, cold_cpu,
		      cold_cpu / max(records, 1) * 1000), flush=True)
	print("cluster.coldthreads.%s %s" % (label, thread_line(cold_threads, {})), flush=True)
	if instances > 1:
		join_line(label, daemons, begun_wall)
	time.sleep(2)	# the first round of 304s starts
	window_start, cpu = time.time(), sum(cpu_of(daemon.pid) for daemon in daemons)
	threads = thread_cpu([daemon.pid for daemon in daemons])
	recorders = perf_start(label, daemons)
	time.sleep(POLL_SECONDS)
	perf_stop(recorders)
	window_end = time.time()
	cpu = sum(cpu_of(daemon.pid) for daemon in daemons) - cpu
	after = thread_cpu([daemon.pid for daemon in daemons])
	print("cluster.threads.%s %s" % (label, thread_line(after, threads)), flush=True)
	for daemon in daemons:
		daemon.stop(timeout=60)
	time.sleep(1.5)	# nginx flushes its log buffer every second
	counts = nginx.requests_between(window_start, window_end)
	polls = sum(counts.values())
	seconds = window_end - window_start
	print("cluster.poll.%s instances=%d seconds=%.1f polls=%d polls_per_s=%.0f "
	      "not_modified=%d cpu_s=%.2f cpu_per_1000=%.3f" % (
		      label, len(daemons), seconds, polls, polls / seconds, counts.get("304", 0),
		      cpu, cpu / max(polls, 1) * 1000), flush=True)
	cold = nginx.requests_between(begun_wall, cold_end_wall)
	polls_cpu = cold.get("304", 0) * cpu / max(polls, 1)
	print("cluster.coldpolls.%s fetched=%d not_modified=%d instance_cpu_s=%s "
	      "not_modified_cpu_s=%.2f cpu_ms_per_item_without_304s=%.4f" % (
		      label, cold.get("200", 0), cold.get("304", 0),
		      ",".join("%.2f" % value for value in instance_cpu), polls_cpu,
		      (cold_cpu - polls_cpu) / max(records, 1) * 1000), flush=True)


def perf_start(label, daemons):
	"""perf record of each daemon's threads into BENCH_CLUSTER_PERF, when it is set."""
	directory = os.environ.get("BENCH_CLUSTER_PERF")
	if not directory:
		return []
	Path(directory).mkdir(parents=True, exist_ok=True)
	return [subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "250",
				  "--call-graph", "dwarf", "-o",
				  str(Path(directory) / ("%s-%d.data" % (label, index))),
				  "-p", str(daemon.pid)], stdout=subprocess.DEVNULL,
				 stderr=subprocess.DEVNULL)
		for index, daemon in enumerate(daemons)]


def perf_stop(recorders):
	for recorder in recorders:
		recorder.send_signal(2)	# SIGINT: perf writes its file and exits
	for recorder in recorders:
		recorder.wait(timeout=60)


def log_times(path, events):
	"""[(seconds since the epoch, event, rest of the line)] of path's lines of those events."""
	found = []
	for line in Path(path).read_text(errors="replace").splitlines():
		match = re.match(r"ts=(\S+)Z level=\S+ comp=\S+ event=(\S+)(.*)", line)
		if match and match.group(2) in events:
			stamp = time.strptime(match.group(1)[:19], "%Y-%m-%dT%H:%M:%S")
			seconds = calendar.timegm(stamp) + float("0" + match.group(1)[19:])
			found.append((seconds, match.group(2), match.group(3)))
	return found


def join_line(label, daemons, begun_wall):
	"""The join, from the daemons' logs, in seconds from the start of the processes: when
	each joined the group (cluster.joining) and was first assigned partitions, when the one
	that took them all was told to hand some on (revoked: its cluster.feeds line releasing
	feeds) and handed them on (handed: its cluster.revoked line, with the items it dropped),
	and when every partition was caught up by its owner; join_s is from the later join to that,
	handon_s from revoked to handed."""
	events = ("cluster.joining", "cluster.assigned", "cluster.feeds", "cluster.revoked",
		  "cluster.caught_up")
	times = [log_times(daemon.log_path, events) for daemon in daemons]

	def at(index, event, pattern=""):
		return min((t - begun_wall for t, e, rest in times[index]
			    if e == event and re.search(pattern, rest)), default=None)

	def text(value):
		return "-" if value is None else "%.2f" % value
	fields, joined, revoked, handed, dropped = [], [], [], [], 0
	for index in range(len(daemons)):
		joined.append(at(index, "cluster.joining"))
		fields.append("joining%d_s=%s assigned%d_s=%s" % (
			index, text(joined[-1]), index, text(at(index, "cluster.assigned",
								r"partitions=\d"))))
		revoked.append(at(index, "cluster.feeds", r"released=[1-9]"))
		handed.append(at(index, "cluster.revoked", r"lost=no"))
		for t, e, rest in times[index]:
			if e == "cluster.revoked" and t - begun_wall <= (handed[-1] or 0):
				dropped += sum(int(n) for n in re.findall(r"dropped=(\d+)", rest))
	revoked = min((t for t in revoked if t is not None), default=None)
	handed = min((t for t in handed if t is not None), default=None)
	caught = max((t - begun_wall for log in times for t, e, _ in log
		      if e == "cluster.caught_up"), default=None)
	later = max((t for t in joined if t is not None), default=None)
	fields.append("revoked_s=%s handed_s=%s dropped=%d all_caught_up_s=%s" % (
		text(revoked), text(handed), dropped, text(caught)))
	fields.append("join_s=%s handon_s=%s" % (
		text(caught - later if caught is not None and later is not None else None),
		text(handed - revoked if handed is not None and revoked is not None else None)))
	print("cluster.join.%s %s" % (label, " ".join(fields)), flush=True)


def warm_broker(bootstrap):
	"""One idempotent produce, so the broker's transaction coordinator is loaded before the
	first setup (else that setup alone waits for it, its producer queue fills and it spools)."""
	subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", helpers.unique_topic("bench.warm"),
			"-X", "enable.idempotence=true"], input="warm\n", text=True,
		       capture_output=True, timeout=120)


def main(argv):
	dirs = poll.bench_dirs(argv, __doc__)
	if dirs is None:
		return 2
	build, work = dirs
	feeds_root = work / "feeds"
	poll.generate_feeds(feeds_root, "cluster", FEEDS, ITEMS)
	with poll.bench_servers(feeds_root, work) as (nginx, bootstrap):
		warm_broker(bootstrap)
		urls = poll.feed_urls(nginx.port, "cluster", FEEDS)
		for label, instances in SETUPS:
			poll.warm_page_cache(feeds_root / "cluster")
			run(label, instances, build, work, nginx, bootstrap, urls)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
