#!/usr/bin/env python3
"""cluster.py - cluster mode ([cluster] group) beside single-node mode in the same run: cold
start, an idle spell and polling with one daemon without [cluster], two daemons without
[cluster] each given half the feeds ("pair": two processes on this machine without cluster
mode, the control for two instances), one instance of a group, and two, on two corpora.

    cluster.py BUILD_DIR WORK_DIR

Environment: BENCH_CLUSTER_CORPORA (short,articles: the corpora to run), BENCH_CLUSTER_FEEDS
(2000 feeds) and BENCH_CLUSTER_ITEMS (10 short items each: gen_feeds.py many),
BENCH_CLUSTER_ARTICLE_FEEDS (1000) and BENCH_CLUSTER_ARTICLE_ITEMS (20 news-article-size items
each: gen_feeds.py articles, the corpus of poll.py's cold.articles, one in ten a wire copy),
BENCH_CLUSTER_COLD_INTERVAL (the [feeds] interval of the cold start: 5m, the shipped default;
1s gives the figure this bench printed before, below), BENCH_CLUSTER_IDLE_SECONDS (10),
BENCH_CLUSTER_POLL_SECONDS (10), BENCH_COLD_TIMEOUT (240), BENCH_HOSTS (poll.py's),
BENCH_CLUSTER_SETUPS (single,pair,cluster1,cluster2: the setups to run), BENCH_CLUSTER_PERF (a
directory: each daemon's poll window is recorded there with `perf record -e cpu-clock -g -p`,
SETUP-N.data, to profile the polls answered 304), BENCH_CLUSTER_PERF_COLD (a directory: the
same of the cold start, flat at 999 Hz, SETUP-cold-N.data: self samples by thread and function),
BENCH_CLUSTER_PERF_EVENT (perf's event for those two, cpu-clock unless set; another, e.g.
page-faults, is sampled every BENCH_CLUSTER_PERF_PERIOD-th (50) with its stack: which code
touches new memory; task-clock with a period of 1000000 ns gives CPU time with stacks (on
2026-12-07 such a profile held the loop thread and librdkafka's, not the workers)),
BENCH_CLUSTER_TIDS (1: a "coldtids" line per daemon, each thread's user and system CPU, minor
faults, preemptions and voluntary switches (its sleeps, so its wake-ups) in the cold start, by
thread id: a process's librdkafka threads come in the order of its clients, each client's
rdk:main first; in cluster mode the producer, the state reader, the group member, the
fingerprints reader, except the threads of brokers learned later; and an "idletids" line per
daemon, the wake-ups and CPU ms of each thread name over the idle window, per second),
BENCH_CLUSTER_WORKERS ([daemon] workers, when set), BENCH_CLUSTER_COMMIT_INTERVAL ([cluster]
commit_interval, when set), BROKER_INITIAL_REBALANCE_DELAY_MS (the broker's
group.initial.rebalance.delay.ms, tests/kafka/broker.sh: 0 unless set, Kafka's own default
3000).

Every setup runs the full pipeline of conf/ (as poll.py does) over the same feeds on poll.py's
loopback nginx, publishing to one real broker (tests/kafka/broker.sh), with a fresh state_dir,
fresh topics and, for the cluster setups, a fresh group of 12 partitions. `--once` does not run
in cluster mode, so every setup is the daemon itself, in three phases:

- cold: the daemons start with BENCH_CLUSTER_COLD_INTERVAL, from the start of the processes
  until their /metrics count every item published (wiresift_articles_total published +
  duplicate, + spooled once wiresift_spool_messages is 0: a full producer queue spools an
  article, and its replay is not counted as published; before 2026-12-07 such a run waited
  out BENCH_COLD_TIMEOUT and its CPU per item held that wait); a "coldmemory" line gives
  each daemon's peak RSS (VmHWM); items/s and the daemons' CPU per item (summed over the instances: CPU per item
  is the per-core figure). For the cluster setups this includes creating the topics and
  joining the group (ready_s: until every /readyz says ready, asked every 0.2 s; an instance
  polls no feed before it holds partitions); items_per_s_ready divides the items by the time
  from then (an instance assigned before the last may have begun sooner): the machine's
  throughput once the group has formed. Cluster mode runs with Kafka
  transactions (one per commit_interval, 500 ms, per instance).
- idle: the next BENCH_CLUSTER_IDLE_SECONDS, when no feed is due (at a 5 m interval): the
  daemons' CPU per second, summed and by thread: what an instance costs doing nothing
  (librdkafka's threads, heartbeats, readers' fetches, timers). Skipped when the cold
  interval is shorter than the cold start and this window.
- poll: each daemon is given its configuration again with a 1 s interval (SIGHUP: a shorter
  interval applies at once, daemon/ingest/reload.c), and after 2 s (the first round) for
  BENCH_CLUSTER_POLL_SECONDS the feeds answer 304: polls/s from nginx's access log and the
  daemons' CPU per 1000 polls.

Why the cold start has its own interval: until 2026-12-07 every phase ran at a 1 s interval,
so a cold start held polls answered 304 of feeds already fetched, as many as its length
allowed: about 2,000 single-node and 4,000-8,200 with two instances (whose cold start is
longer: joining, the first instance taking every partition and handing half on), 0.04-0.06
CPU-s per 1000. Those are not items' cost, and no deployment polls a feed every second
while it starts; they made two instances' CPU per item 1.28-1.63x single-node's where the
same runs without them gave 1.15-1.45x. At the shipped 5 m no feed is polled twice in a cold
start (`cluster.coldpolls` says how many were answered 304: about 0), so the cold start is
items' cost and the instances' fixed cost over its length; the polls are the poll window's,
at 1 s. BENCH_CLUSTER_COLD_INTERVAL=1s measures the old way (docs/cluster-costs.md has both).

The daemons' CPU is also split by thread name (/proc/PID/task: rdk:* are librdkafka's
threads, wiresift-* ours, the loop is the process's name), from their start to the end of the
cold start ("coldthreads"), over the idle window ("idlethreads") and over the poll window
("threads"), which shows where a cluster instance's extra cost goes. "coldpolls" says how many
polls the cold start held (nginx's log, from the start to the end of the cold start), each
instance's CPU, and the cold start's CPU per item without the polls answered 304, at the poll
window's CPU per poll (an estimate).

Prints, for the short corpus, "cluster.cold.SETUP ...", "cluster.coldthreads.SETUP",
"cluster.idle.SETUP ...", "cluster.idlethreads.SETUP", "cluster.poll.SETUP ...",
"cluster.threads.SETUP", "cluster.coldpolls.SETUP" and, with two instances of a group,
"cluster.join.SETUP" (the join's timeline from the daemons' cluster.* log lines) lines (SETUP:
single, pair, cluster1, cluster2); for the article corpus the same as "cluster.articles.cold.SETUP"
and so on; for run.sh; asserts nothing about time.
"""

import calendar
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll  # noqa: E402
from poll import ROOT, helpers, say, cpu_of  # noqa: E402

CORPORA = {"short": ("many", int(os.environ.get("BENCH_CLUSTER_FEEDS", "2000")),
		     int(os.environ.get("BENCH_CLUSTER_ITEMS", "10"))),
	   "articles": ("articles", int(os.environ.get("BENCH_CLUSTER_ARTICLE_FEEDS", "1000")),
			int(os.environ.get("BENCH_CLUSTER_ARTICLE_ITEMS", "20")))}
COLD_INTERVAL = os.environ.get("BENCH_CLUSTER_COLD_INTERVAL", "5m")
IDLE_SECONDS = float(os.environ.get("BENCH_CLUSTER_IDLE_SECONDS", "10"))
POLL_SECONDS = float(os.environ.get("BENCH_CLUSTER_POLL_SECONDS", "10"))
COLD_TIMEOUT = float(os.environ.get("BENCH_COLD_TIMEOUT", "240"))
# (label, daemons, in a group): "pair" is two daemons without [cluster], half the feeds each,
# the control for two instances on this one machine (two processes, no cluster mode)
SETUPS = tuple(setup for setup in (("single", 1, False), ("pair", 2, False),
				   ("cluster1", 1, True), ("cluster2", 2, True))
	       if setup[0] in os.environ.get("BENCH_CLUSTER_SETUPS",
					     "single,pair,cluster1,cluster2")
	       .split(","))


def seconds_of(duration):
	"""Seconds of a [feeds] interval such as 5m or 1s."""
	match = re.fullmatch(r"(\d+)([smhd]?)", duration)
	return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def config_for(directory, bootstrap, urls, build, topics, group, interval):
	config = poll.daemon_config(directory, bootstrap, urls, build, interval, topics)
	text = config.read_text() + "\n[metrics]\nlisten = 127.0.0.1:%d\n" % helpers.free_port()
	# reload.applied says the poll window's configuration is in; in a group, the join's
	# lines (cluster.joining, assigned, revoked, caught_up) for join_line()
	levels = "main:info,cluster:info" if group else "main:info"
	daemon = "[daemon]\nlog_levels = %s\n" % levels
	if os.environ.get("BENCH_CLUSTER_WORKERS"):
		daemon += "workers = %s\n" % os.environ["BENCH_CLUSTER_WORKERS"]
	text = text.replace("[daemon]\n", daemon, 1)
	if group:
		text += ("\n[cluster]\ngroup = %s\ntopic.feeds = %s\ntopic.state = %s\n"
			 "topic.fingerprints = %s\npartitions = 12\nsession_timeout = 6s\n" % (
				 group, topics[2], topics[3], topics[4]))
		if os.environ.get("BENCH_CLUSTER_COMMIT_INTERVAL"):
			text += "commit_interval = %s\n" % os.environ["BENCH_CLUSTER_COMMIT_INTERVAL"]
	config.write_text(text)
	return config


def reload_interval(daemons, interval):
	"""Each daemon's configuration with another [feeds] interval, applied by SIGHUP."""
	marks = []
	for daemon in daemons:
		text = daemon.config.read_text()
		daemon.config.write_text(re.sub(r"^interval = \S+$", "interval = %s" % interval, text,
						count=1, flags=re.M))
		marks.append(len(daemon.log()))
		daemon.send_signal(signal.SIGHUP)
	for daemon, mark in zip(daemons, marks):
		helpers.wait_until(lambda: "event=reload.applied" in daemon.log()[mark:], 30)


def http_get(daemon, path):
	"""The body of an answer 200 from the daemon's [metrics] listener, else None."""
	match = re.search(r"^listen = (\S+)$", daemon.config.read_text(), re.M)
	try:
		with urllib.request.urlopen("http://%s%s" % (match.group(1), path), timeout=5) as reply:
			return reply.read().decode()
	except OSError:
		return None


def published(daemon):
	"""Articles delivered: published, duplicate, and spooled once the spool is replayed (a
	full producer queue spools an article; its replay is not counted as published)."""
	text = http_get(daemon, "/metrics") or ""
	counts = dict(re.findall(r'^wiresift_articles_total\{status="(\w+)"\} (\d+)$', text, re.M))
	spool = re.search(r'^wiresift_spool_messages (\d+)$', text, re.M)
	delivered = int(counts.get("published", 0)) + int(counts.get("duplicate", 0))
	if spool is not None and spool.group(1) == "0":
		delivered += int(counts.get("spooled", 0))
	return delivered


def peak_rss_kb(pid):
	"""The process's peak resident set (VmHWM), in KB; 0 when it has gone."""
	try:
		match = re.search(r"^VmHWM:\s+(\d+) kB", Path("/proc/%d/status" % pid).read_text(), re.M)
	except OSError:
		return 0
	return int(match.group(1)) if match else 0


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


def task_cpu(pid):
	"""[(thread id, name, utime s, stime s, minor faults, preemptions, voluntary switches,
	s on a CPU (schedstat))] of pid's threads, in the order they were made (librdkafka's
	threads by client: each client's rdk:main comes first, BENCH_CLUSTER_TIDS)."""
	rows = []
	for task in Path("/proc/%d/task" % pid).glob("*"):
		try:
			name = (task / "comm").read_text().strip()
			text = (task / "stat").read_text()
			status = (task / "status").read_text()
		except OSError:
			continue
		fields = text[text.rindex(")") + 2:].split()
		switches = re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)
		sleeps = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)
		try:	# nanoseconds on a CPU: finer than utime and stime's clock ticks
			ran = int((task / "schedstat").read_text().split()[0]) / 1e9
		except (OSError, ValueError, IndexError):
			ran = 0.0
		rows.append((int(task.name), name, int(fields[11]) / poll.CLOCK_TICKS,
			     int(fields[12]) / poll.CLOCK_TICKS, int(fields[7]),
			     int(switches.group(1)) if switches else -1,
			     int(sleeps.group(1)) if sleeps else -1, ran))
	return sorted(rows)


def thread_line(after, before):
	"""name=seconds for each thread name, CPU from before to after, most first."""
	return " ".join("%s=%.2f" % (name, after[name] - before.get(name, 0.0))
			for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n]))


def run(corpus, label, instances, grouped, build, work, nginx, bootstrap, urls, items_per_feed):
	"""One setup on one corpus: its cold start, idle spell and poll window, printed with the
	prefix of the corpus ("cluster." for short items, "cluster.articles." for articles)."""
	prefix = "cluster." if corpus == "short" else "cluster.%s." % corpus
	topics = tuple(helpers.unique_topic("bench." + kind) for kind in
		       ("articles", "duplicates", "feeds", "state", "fingerprints"))
	group = helpers.unique_topic("bench-group") if grouped else None
	daemons = []
	for index in range(instances):
		directory = work / ("%s-%s-%d" % (corpus, label, index))
		shutil.rmtree(directory, ignore_errors=True)
		# a pair without [cluster] splits the feeds; a group's instances share the list
		mine = urls if grouped else urls[index::instances]
		config = config_for(directory, bootstrap, mine, build, topics, group, COLD_INTERVAL)
		daemons.append(helpers.WiresiftDaemon(config, directory / "daemon.log"))
	say("%s %s: %d daemon(s), %d feeds x %d items, interval %s" % (
		corpus, label, len(daemons), len(urls), items_per_feed, COLD_INTERVAL))
	begun, begun_wall = time.monotonic(), time.time()
	for daemon in daemons:
		daemon.start()
	recorders = perf_start(prefix + label + "-cold", daemons, "BENCH_CLUSTER_PERF_COLD")
	cold = cold_start(prefix, label, daemons, begun, len(urls) * items_per_feed)
	perf_stop(recorders)
	cold_end_wall = time.time()
	if grouped and instances > 1:
		join_line(prefix, label, daemons, begun_wall)
	if seconds_of(COLD_INTERVAL) > time.monotonic() - begun + IDLE_SECONDS + 5:
		idle_window(prefix, label, daemons)
	reload_interval(daemons, "1s")
	time.sleep(2)	# the first round of 304s starts
	polls, poll_cpu = poll_window(prefix, label, daemons, nginx)
	held = nginx.requests_between(begun_wall, cold_end_wall)
	polls_cpu = held.get("304", 0) * poll_cpu / max(polls, 1)
	print("%scoldpolls.%s fetched=%d not_modified=%d instance_cpu_s=%s "
	      "not_modified_cpu_s=%.2f cpu_ms_per_item_without_304s=%.4f" % (
		      prefix, label, held.get("200", 0), held.get("304", 0),
		      ",".join("%.2f" % value for value in cold["instance_cpu"]), polls_cpu,
		      (cold["cpu"] - polls_cpu) / max(cold["records"], 1) * 1000), flush=True)


def cold_start(prefix, label, daemons, begun, expected):
	"""Waits until the daemons have published `expected` items (or BENCH_COLD_TIMEOUT) and
	prints the cold start's lines: {instance_cpu: [s], cpu: s, records: n}."""
	ready_at = None
	while time.monotonic() - begun < COLD_TIMEOUT:
		if ready_at is None and all(http_get(d, "/readyz") == "ready\n" for d in daemons):
			ready_at = time.monotonic()
		if sum(published(daemon) for daemon in daemons) >= expected:
			break
		time.sleep(0.2)
	cold_seconds = time.monotonic() - begun
	instance_cpu = [cpu_of(daemon.pid) for daemon in daemons]
	cold_cpu = sum(instance_cpu)
	records = sum(published(daemon) for daemon in daemons)
	cold_threads = thread_cpu([daemon.pid for daemon in daemons])
	ready_s = (ready_at or time.monotonic()) - begun
	print("%scold.%s instances=%d items=%d published=%d seconds=%.2f "
	      "items_per_s=%.0f ready_s=%.2f items_per_s_ready=%.0f cpu_s=%.2f "
	      "cpu_ms_per_item=%.4f interval=%s" % (
		      prefix, label, len(daemons), expected, records, cold_seconds,
		      records / cold_seconds, ready_s, records / max(cold_seconds - ready_s, 0.2),
		      cold_cpu, cold_cpu / max(records, 1) * 1000, COLD_INTERVAL), flush=True)
	print("%scoldthreads.%s %s" % (prefix, label, thread_line(cold_threads, {})), flush=True)
	print("%scoldmemory.%s peak_rss_mb=%s" % (prefix, label, ",".join(
		"%.0f" % (peak_rss_kb(daemon.pid) / 1024) for daemon in daemons)), flush=True)
	if os.environ.get("BENCH_CLUSTER_TIDS"):
		for index, daemon in enumerate(daemons):
			print("%scoldtids.%s instance=%d %s" % (prefix, label, index, " ".join(
				"%d:%s=%.2fu+%.2fs,%dflt,%dpre,%dvol" % row[:7] for row in task_cpu(daemon.pid))),
			      flush=True)
	return {"instance_cpu": instance_cpu, "cpu": cold_cpu, "records": records}


def idle_window(prefix, label, daemons):
	"""BENCH_CLUSTER_IDLE_SECONDS with no feed due: the daemons' CPU per second, summed and
	by thread, after a second for the cold start's last transaction to end."""
	time.sleep(1)
	pids = [daemon.pid for daemon in daemons]
	started, cpu, threads = time.monotonic(), sum(cpu_of(pid) for pid in pids), thread_cpu(pids)
	tids = [task_cpu(pid) for pid in pids]
	time.sleep(IDLE_SECONDS)
	seconds = time.monotonic() - started
	cpu = sum(cpu_of(pid) for pid in pids) - cpu
	print("%sidle.%s instances=%d seconds=%.1f cpu_s=%.3f cpu_ms_per_s=%.2f" % (
		prefix, label, len(daemons), seconds, cpu, cpu / seconds * 1000), flush=True)
	print("%sidlethreads.%s %s" % (prefix, label, thread_line(thread_cpu(pids), threads)),
	      flush=True)
	if os.environ.get("BENCH_CLUSTER_TIDS"):
		for index, pid in enumerate(pids):
			print("%sidletids.%s instance=%d %s" % (prefix, label, index, wakeups_line(
				tids[index], task_cpu(pid), seconds)), flush=True)


def wakeups_line(before, after, seconds):
	"""NAME=W/s,Cms/s for each thread name (digits folded, rdk:broker1 -> rdk:brokerN): its
	voluntary switches (wake-ups) and CPU (schedstat's) per second between two task_cpu()
	lists."""
	earlier = {row[0]: row for row in before}
	totals = {}
	for row in after:
		old = earlier.get(row[0], (0, "", 0.0, 0.0, 0, 0, 0, 0.0))
		name = re.sub(r"\d+$", "N", row[1])
		wakes, cpu = totals.get(name, (0, 0.0))
		totals[name] = (wakes + row[6] - old[6], cpu + row[7] - old[7])
	return " ".join("%s=%.1f/s,%.2fms/s" % (name, wakes / seconds, cpu * 1000 / seconds)
			for name, (wakes, cpu) in sorted(totals.items(), key=lambda t: -t[1][0]))


def poll_window(prefix, label, daemons, nginx):
	"""BENCH_CLUSTER_POLL_SECONDS of polls answered 304 at 1 s, printed; then the daemons
	are stopped. (polls, CPU s) of the window."""
	window_start, cpu = time.time(), sum(cpu_of(daemon.pid) for daemon in daemons)
	threads = thread_cpu([daemon.pid for daemon in daemons])
	recorders = perf_start(prefix + label, daemons)
	time.sleep(POLL_SECONDS)
	perf_stop(recorders)
	window_end = time.time()
	cpu = sum(cpu_of(daemon.pid) for daemon in daemons) - cpu
	after = thread_cpu([daemon.pid for daemon in daemons])
	print("%sthreads.%s %s" % (prefix, label, thread_line(after, threads)), flush=True)
	for daemon in daemons:
		daemon.stop(timeout=60)
	time.sleep(1.5)	# nginx flushes its log buffer every second
	counts = nginx.requests_between(window_start, window_end)
	polls = sum(counts.values())
	seconds = window_end - window_start
	print("%spoll.%s instances=%d seconds=%.1f polls=%d polls_per_s=%.0f "
	      "not_modified=%d cpu_s=%.2f cpu_per_1000=%.3f" % (
		      prefix, label, len(daemons), seconds, polls, polls / seconds,
		      counts.get("304", 0), cpu, cpu / max(polls, 1) * 1000), flush=True)
	return polls, cpu


def perf_start(label, daemons, variable="BENCH_CLUSTER_PERF"):
	"""perf record of each daemon's threads into the directory the environment variable
	names, when it is set."""
	directory = os.environ.get(variable)
	if not directory:
		return []
	Path(directory).mkdir(parents=True, exist_ok=True)
	# the cold start flat (self samples by thread: which function costs more), at 999 Hz
	graph = ["-F", "999"] if variable.endswith("_COLD") else ["-F", "250", "--call-graph",
								    "dwarf"]
	event = os.environ.get("BENCH_CLUSTER_PERF_EVENT", "cpu-clock")
	if event != "cpu-clock":	# e.g. page-faults: every 50th, with its stack
		graph = ["-c", os.environ.get("BENCH_CLUSTER_PERF_PERIOD", "50"), "--call-graph",
			 "dwarf,16384"]
	return [subprocess.Popen(["perf", "record", "-q", "-e", event] + graph + ["-o",
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


def join_line(prefix, label, daemons, begun_wall):
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
	print("%sjoin.%s %s" % (prefix, label, " ".join(fields)), flush=True)


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
	corpora = [name for name in os.environ.get("BENCH_CLUSTER_CORPORA", "short,articles")
		   .split(",") if name in CORPORA]
	for corpus in corpora:
		kind, count, items = CORPORA[corpus]
		poll.generate_feeds(feeds_root, "cluster-" + corpus, count, items, kind)
	with poll.bench_servers(feeds_root, work) as (nginx, bootstrap):
		warm_broker(bootstrap)
		for corpus in corpora:
			kind, count, items = CORPORA[corpus]
			urls = poll.feed_urls(nginx.port, "cluster-" + corpus, count)
			for label, instances, grouped in SETUPS:
				poll.warm_page_cache(feeds_root / ("cluster-" + corpus))
				run(corpus, label, instances, grouped, build, work, nginx, bootstrap, urls, items)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
