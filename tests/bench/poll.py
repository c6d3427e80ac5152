#!/usr/bin/env python3
"""poll.py - poll capacity and cold start of the daemon against a loopback nginx and a real
Kafka broker, with its peers (a Python asyncio poller, wrk) measured in the same run.

    poll.py BUILD_DIR WORK_DIR

Environment: BENCH_FEEDS (10000, the cold start's), BENCH_ARTICLE_FEEDS (2000, the realistic
cold start's, BENCH_ARTICLE_ITEMS 20 items each), BENCH_POLL_FEEDS (15000, the poll
capacity's: more feeds at 1 s than the 10,000 polls/s target, so the figure shows capacity
rather than demand), BENCH_ITEMS (20 per feed), BENCH_HOSTS (32 loopback
addresses 127.0.0.2...), BENCH_POLL_SECONDS (30), BENCH_PEER_SECONDS (15), BENCH_COLD_TIMEOUT
(240), BENCH_ONLY=cold (skip steps 1-3) or BENCH_ONLY=articles (step 5 alone), BENCH_LOG_LEVEL (the daemon's, warning), BENCH_WRAP (a command the cold-start daemon
runs under, e.g. "perf record -g -o FILE" or "strace -f -c -o FILE", to profile it),
BENCH_NEWSBOAT_THREADS (newsboat's reload-threads, 4).

Feeds are served by one nginx worker (keep-alive, ETag on, gzip: the pre-compressed copies
gen_feeds.py writes, as a static feed host or CDN serves them, so nginx's own compressor does
not take the daemon's CPU) on BENCH_HOSTS loopback addresses so they count as distinct hosts; the daemon publishes to a real broker (tests/kafka/broker.sh)
and runs the whole pipeline (clean, the five plugins of conf/, dedup).

1. first poll: `wiresift --once` over BENCH_POLL_FEEDS feeds of one item each sets every feed's
   validators (printed as "first ...").
2. poll capacity: the daemon on that state (so mostly 304s) with a 1 s interval for
   BENCH_POLL_SECONDS; polls/s counted from nginx's access log (requests whose time falls in
   the window), the daemon's CPU from /proc/PID/stat.
3. peers: poll_peer.py (asyncio + aiohttp) over the same URLs; wrk's 304s/s on one URL
   (nginx's own capacity with one worker) when wrk is installed.
4. cold start: `wiresift --once` over BENCH_FEEDS other feeds of BENCH_ITEMS new items each,
   fresh state (steps 1 and 4 first read their feed files into the page cache); the wall
   time of that process gives items/s, kcat counts the records in the topics to confirm.
   After BENCH_COLD_TIMEOUT (240 s) the daemon gets SIGTERM and the figures count what Kafka
   holds by then (timed_out=1).
5. cold start at article size: the same over BENCH_ARTICLE_FEEDS feeds of BENCH_ARTICLE_ITEMS
   news-article-size items (gen_feeds.py articles: 600-900 words, one in ten a wire copy),
   printed as "cold.articles ..." with CPU per KB of feed XML; then newsboat (parse and store
   in its SQLite cache only: no cleaning, tagging or dedup) over the same URLs, fresh cache,
   as "newsboat.articles ...". Both print the broker's and nginx's CPU seconds over the run.

Prints key=value lines (first ..., poll ..., peer ..., wrk ..., cold ..., cold.articles ...,
newsboat.articles ...) for run.sh; asserts
nothing about time.
"""

import contextlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import helpers  # noqa: E402

FEEDS = int(os.environ.get("BENCH_FEEDS", "10000"))
POLL_FEEDS = int(os.environ.get("BENCH_POLL_FEEDS", "15000"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "20"))
HOSTS = int(os.environ.get("BENCH_HOSTS", "32"))
POLL_SECONDS = float(os.environ.get("BENCH_POLL_SECONDS", "30"))
PEER_SECONDS = float(os.environ.get("BENCH_PEER_SECONDS", "15"))
COLD_TIMEOUT = float(os.environ.get("BENCH_COLD_TIMEOUT", "240"))
ARTICLE_FEEDS = int(os.environ.get("BENCH_ARTICLE_FEEDS", "2000"))
ARTICLE_ITEMS = int(os.environ.get("BENCH_ARTICLE_ITEMS", "20"))
NEWSBOAT_THREADS = int(os.environ.get("BENCH_NEWSBOAT_THREADS", "4"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """# written by tests/bench/poll.py
%(user)s
worker_processes 1;
daemon off;
pid %(run)s/nginx.pid;
error_log %(run)s/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	client_body_temp_path %(run)s/body;
	proxy_temp_path %(run)s/proxy;
	fastcgi_temp_path %(run)s/fastcgi;
	uwsgi_temp_path %(run)s/uwsgi;
	scgi_temp_path %(run)s/scgi;
	log_format bench '$msec $status $body_bytes_sent';
	access_log %(run)s/access.log bench buffer=256k flush=1s;
	sendfile on;
	keepalive_timeout 60s;
	keepalive_requests 1000000;
	server_tokens off;
	etag on;
	if_modified_since exact;
	gzip on;
	gzip_static on;
	gzip_min_length 64;
	gzip_types text/xml application/xml application/rss+xml;
	server {
%(listen)s
		root %(root)s;
		location / { try_files $uri =404; }
	}
}
"""


def say(text):
	print("# " + text, flush=True)


def host_addresses():
	return ["127.0.0.%d" % (2 + i) for i in range(HOSTS)]


def port_free_everywhere(port):
	for address in host_addresses():
		with socket.socket() as probe:
			try:
				probe.bind((address, port))
			except OSError:
				return False
	return True


class BenchNginx:
	"""nginx with one worker listening on every bench loopback address."""

	def __init__(self, root, run_dir):
		self.root = Path(root)
		self.run_dir = Path(run_dir)
		self.process = None
		self.port = None

	def start(self):
		self.run_dir.mkdir(parents=True, exist_ok=True)
		for _ in range(5):
			self.port = helpers.free_port()
			if port_free_everywhere(self.port):
				break
		listen = "\n".join("\t\tlisten %s:%d;" % (address, self.port)
				   for address in host_addresses())
		config = self.run_dir / "nginx.conf"
		config.write_text(NGINX_CONF % {
			"user": "user root;" if os.geteuid() == 0 else "",
			"run": self.run_dir, "root": self.root.resolve(), "listen": listen})
		self.access_log().unlink(missing_ok=True)
		self.process = subprocess.Popen(
			[helpers.NGINX_BINARY, "-p", str(self.run_dir), "-c", str(config), "-e",
			 str(self.run_dir / "error.log")], stdin=subprocess.DEVNULL,
			stdout=subprocess.DEVNULL, stderr=open(self.run_dir / "stderr.log", "ab"))
		address = host_addresses()[-1]

		def answers():
			try:
				with socket.create_connection((address, self.port), timeout=0.5):
					return True
			except OSError:
				return self.process.poll() is not None
		helpers.wait_until(answers, 10, 0.05)
		if self.process.poll() is not None:
			raise RuntimeError("nginx did not start: %s" %
					   helpers.tail(self.run_dir / "error.log"))
		return self

	def worker_pid(self):
		"""The worker's pid (the child of the master), for its CPU time."""
		try:
			children = Path("/proc/%d/task/%d/children" % (self.process.pid,
									self.process.pid)).read_text()
			return int(children.split()[0])
		except (OSError, ValueError, IndexError):
			return None

	def access_log(self):
		return self.run_dir / "access.log"

	def requests_between(self, start, end):
		"""{status: count} of requests logged with a time in [start, end] (epoch seconds)."""
		counts = {}
		with open(self.access_log()) as log:
			for line in log:
				parts = line.split()
				if len(parts) >= 2 and start <= float(parts[0]) <= end:
					counts[parts[1]] = counts.get(parts[1], 0) + 1
		return counts

	def stop(self):
		if self.process:
			helpers.stop_process(self.process)


def cpu_of(pid):
	"""utime + stime of a live process, in seconds (from /proc/PID/stat)."""
	try:
		text = Path("/proc/%d/stat" % pid).read_text()
	except (OSError, TypeError):
		return 0.0
	fields = text[text.rindex(")") + 2:].split()
	return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def generate_feeds(root, name, count, items, kind="many"):
	"""count feeds of `items` items in root/name/ (gen_feeds.py's kind: many, short items;
	articles, news-article size), generated once per (count, items, generator) and reused."""
	feeds_dir = root / name
	generator = ROOT / "tests" / "bench" / "gen_feeds.py"
	stamp = feeds_dir / "stamp"
	wanted = "%d %d %d" % (count, items, int(generator.stat().st_mtime))
	if stamp.exists() and stamp.read_text() == wanted:
		return feeds_dir
	shutil.rmtree(feeds_dir, ignore_errors=True)
	say("generating %d feeds x %d items in %s" % (count, items, feeds_dir))
	subprocess.run([sys.executable, str(generator), kind, str(feeds_dir), str(count),
			str(items)], check=True, stdout=subprocess.DEVNULL)
	stamp.write_text(wanted)
	return feeds_dir


def warm_page_cache(feeds_dir):
	"""Read the files nginx will send (the pre-compressed .gz copy where there is one) of
	feeds_dir, so that it serves the run from memory as a static feed host or CDN does.
	This VM pages out file pages idle for ~30 s (DAMON), and a run whose feeds come off the
	virtual disk measures that disk, not the daemon: the same cold start took 35-42 s in
	`make bench` against 16-21 s with the files in memory."""
	started = time.monotonic()
	total = 0
	for path in sorted(feeds_dir.iterdir()):
		if path.suffix != ".gz" and path.with_name(path.name + ".gz").exists():
			continue
		with open(path, "rb") as feed:
			total += len(feed.read())
	say("read %d MB of %s into the page cache in %.1f s" % (
		total >> 20, feeds_dir.name, time.monotonic() - started))


def feed_urls(port, name, count):
	addresses = host_addresses()
	return ["http://%s:%d/%s/%05d.xml" % (addresses[i % len(addresses)], port, name, i)
		for i in range(count)]


def daemon_config(directory, bootstrap, urls, build, interval, topics):
	conf = ROOT / "conf"
	extra = {
		"daemon": {"log_level": os.environ.get("BENCH_LOG_LEVEL", "warning"), "plugin_dir": str(build / "plugins"),
			   "shutdown_timeout": "60s"},
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"feeds": {"interval": interval, "min_interval": "1s", "max_connections": "256",
			  "max_host_connections": "8", "timeout": "60s"},
		"clean": {"rules": str(conf / "rules" / "boilerplate.rules")},
	}
	extra.update(helpers.plugin_sections())
	return helpers.write_config(directory, bootstrap, urls, extra)


def count_records(bootstrap, topic):
	"""Records in topic, counted by kcat (one line each)."""
	result = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning",
				 "-e", "-q", "-f", "x\n"], capture_output=True, text=True,
				timeout=300)
	return result.stdout.count("\n")


def feed_kilobytes(feeds_dir):
	"""KB of feed XML (uncompressed) in feeds_dir."""
	return sum(path.stat().st_size for path in feeds_dir.glob("*.xml")) / 1024


def thread_ticks(pid):
	"""{thread name: utime + stime in clock ticks} of a live process (threads of one name
	summed), from /proc/PID/task/*/stat; {} once it is gone."""
	ticks = {}
	try:
		tasks = os.listdir("/proc/%d/task" % pid)
	except OSError:
		return ticks
	for task in tasks:
		try:
			text = Path("/proc/%d/task/%s/stat" % (pid, task)).read_text()
		except OSError:
			continue
		name = text[text.index("(") + 1:text.rindex(")")]
		fields = text[text.rindex(")") + 2:].split()
		ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
	return ticks


def daemon_pid(process):
	"""The daemon's pid: the process's own, or its first child's under BENCH_WRAP."""
	try:
		if Path("/proc/%d/comm" % process.pid).read_text().strip() == "wiresift":
			return process.pid
		children = Path("/proc/%d/task/%d/children" % (process.pid, process.pid)).read_text()
		return int(children.split()[0])
	except (OSError, IndexError, ValueError):
		return process.pid


def peak_rss_of(process, started, timeout, timeline=None):
	"""Waits for process, sampling its VmHWM (and, into timeline when given, every 0.1 s,
	(seconds since started, thread_ticks)); SIGTERM after timeout seconds.
	(peak RSS in KB, timed_out, rusage)."""
	peak_rss, timed_out = 0, 0
	while True:
		pid, status, usage = os.wait4(process.pid, os.WNOHANG)
		if pid != 0:
			break
		try:
			text = Path("/proc/%d/status" % process.pid).read_text()
			peak_rss = max(peak_rss, int(re.search(r"VmHWM:\s+(\d+)", text).group(1)))
		except (OSError, AttributeError):
			pass
		if timeline is not None:
			timeline.append((time.monotonic() - started, thread_ticks(daemon_pid(process))))
		if not timed_out and time.monotonic() - started > timeout:
			timed_out = 1
			process.terminate()
		time.sleep(0.1 if timeline is not None else 0.25)
	process.returncode = os.waitstatus_to_exitcode(status)
	return peak_rss, timed_out, usage


def timeline_text(timeline, elapsed):
	"""Where the daemon's threads were busy, from peak_rss_of's samples: " first_work_s=..
	(start to the first sample with worker CPU: start-up, connections, first responses)
	after_work_s=.. (the last such sample to the exit: last deliveries, flush, state at exit)
	loop_busy=.. workers_busy=.. kafka_busy=.. (CPU over the whole run per thread: 1.00 is
	a thread never idle)", or "" without samples."""
	tick = os.sysconf("SC_CLK_TCK")
	last, working = {}, []
	for seconds, ticks in timeline:
		if any(value > last.get(name, 0) for name, value in ticks.items()
		       if name.startswith("wiresift-w")):
			working.append(seconds)
		last.update(ticks)
	if not working:
		return ""

	def busy(match):
		names = [name for name in last if match(name)]
		return sum(last[name] for name in names) / tick / max(elapsed * len(names), 0.001)
	return (" first_work_s=%.2f after_work_s=%.2f loop_busy=%.2f workers_busy=%.2f "
		"kafka_busy=%.2f" % (
			working[0], elapsed - working[-1], busy(lambda name: name == "wiresift"),
			busy(lambda name: name.startswith("wiresift-w")),
			busy(lambda name: name.startswith("rdk:broker"))))


def run_once(label, build, directory, bootstrap, urls, items, timeout, peers=(), kilobytes=0):
	"""wiresift --once over urls (each feed `items` new items) in a fresh state directory and
	fresh topics; prints "LABEL key=value ..." and returns the config's path. After timeout
	seconds the daemon gets SIGTERM and the figures count what Kafka holds by then. peers:
	(name, pid) of processes sharing the machine (the broker, nginx) whose CPU seconds over
	the run are printed too."""
	topics = (helpers.unique_topic("bench.articles"), helpers.unique_topic("bench.dups"))
	config = daemon_config(directory, bootstrap, urls, build, "1h", topics)
	log = directory / "once.log"
	say("%s: wiresift --once over %d feeds x %d items (at most %d s)" % (
		label, len(urls), items, timeout))
	peer_cpu = {name: cpu_of(pid) for name, pid in peers}
	started = time.monotonic()
	with open(log, "wb") as output:
		wrapper = os.environ.get("BENCH_WRAP", "").split() if label.startswith("cold") else []
		process = subprocess.Popen(wrapper + [str(build / "wiresift"), "-c", str(config),
						      "--once"],
					   stdout=output, stderr=output, stdin=subprocess.DEVNULL)
		timeline = []
		peak_rss, timed_out, usage = peak_rss_of(process, started, timeout, timeline)
	elapsed = time.monotonic() - started
	records = sum(count_records(bootstrap, topic) for topic in topics)
	expected = len(urls) * items
	errors = sum(1 for line in log.read_text(errors="replace").splitlines()
		     if "level=error" in line)
	cpu = usage.ru_utime + usage.ru_stime
	peer_text = "".join(" %s_cpu_s=%.1f" % (name, cpu_of(pid) - peer_cpu[name])
			    for name, pid in peers)
	print("%s feeds=%d items=%d records=%d exit=%d timed_out=%d seconds=%.1f items_per_s=%.0f "
	      "feeds_per_s=%.0f daemon_cpu_s=%.1f cpu_ms_per_item=%.3f peak_rss_mb=%.0f "
	      "page_faults=%d error_lines=%d%s%s%s" % (
		      label, len(urls), expected, records, process.returncode, timed_out, elapsed,
		      records / elapsed, len(urls) / elapsed, cpu, cpu / max(records, 1) * 1000,
		      peak_rss / 1024, usage.ru_minflt + usage.ru_majflt, errors, peer_text,
		      per_kilobyte(cpu, kilobytes, records, expected),
		      timeline_text(timeline, elapsed)), flush=True)
	if process.returncode != 0 or records < expected:
		say("%s: log tail:\n%s" % (label, helpers.tail(log, 8)))
	return config


def per_kilobyte(cpu, kilobytes, records, expected):
	"""The " kb_per_item=K cpu_ms_per_kb=C" of a run over `kilobytes` of feeds, or ""."""
	if not kilobytes:
		return ""
	return " kb_per_item=%.2f cpu_ms_per_kb=%.4f" % (
		kilobytes / max(expected, 1), cpu * 1000 / max(kilobytes * records / expected, 1))


def newsboat_peer(label, directory, urls, items, timeout, peers, kilobytes):
	"""newsboat -x reload over urls into a fresh cache (parse and store only); prints
	"LABEL items=... items_per_s=... cpu_ms_per_item=..." like run_once's line."""
	binary = shutil.which("newsboat")
	if binary is None:
		print("%s skipped reason=not_installed" % label, flush=True)
		return
	shutil.rmtree(directory, ignore_errors=True)
	directory.mkdir(parents=True)
	(directory / "urls").write_text("\n".join(urls) + "\n")
	(directory / "config").write_text("reload-threads %d\nmax-items 0\nshow-read-feeds yes\n"
					  % NEWSBOAT_THREADS)
	say("%s: newsboat -x reload (reload-threads %d) over %d feeds" % (
		label, NEWSBOAT_THREADS, len(urls)))
	peer_cpu = {name: cpu_of(pid) for name, pid in peers}
	started = time.monotonic()
	environment = dict(os.environ, HOME=str(directory), XDG_CONFIG_HOME=str(directory),
			   XDG_DATA_HOME=str(directory))
	with open(directory / "newsboat.log", "wb") as output:
		process = subprocess.Popen([binary, "-u", str(directory / "urls"), "-c",
					    str(directory / "cache.db"), "-C", str(directory / "config"),
					    "-x", "reload"], stdout=output, stderr=output,
					   stdin=subprocess.DEVNULL, env=environment)
		peak_rss, timed_out, usage = peak_rss_of(process, started, timeout)
	elapsed = time.monotonic() - started
	try:
		with sqlite3.connect(directory / "cache.db") as cache:
			stored = cache.execute("SELECT count(*) FROM rss_item").fetchone()[0]
	except sqlite3.Error:
		stored = 0
	cpu = usage.ru_utime + usage.ru_stime
	peer_text = "".join(" %s_cpu_s=%.1f" % (name, cpu_of(pid) - peer_cpu[name])
			    for name, pid in peers)
	expected = len(urls) * items
	print("%s feeds=%d items=%d records=%d exit=%d timed_out=%d seconds=%.1f items_per_s=%.0f "
	      "cpu_s=%.1f cpu_ms_per_item=%.3f peak_rss_mb=%.0f%s%s" % (
		      label, len(urls), expected, stored, process.returncode, timed_out, elapsed,
		      stored / elapsed, cpu, cpu / max(stored, 1) * 1000, peak_rss / 1024, peer_text,
		      per_kilobyte(cpu, kilobytes, stored, expected)), flush=True)


def poll_capacity(build, work, nginx, config):
	log = config.parent / "poll.log"
	text = config.read_text().replace("interval = 1h", "interval = 1s")
	config.write_text(text)
	say("poll capacity: daemon with interval=1s for %.0f s" % POLL_SECONDS)
	daemon = helpers.WiresiftDaemon(config, log).start()
	nginx_worker = nginx.worker_pid()
	time.sleep(5)	# every feed polled once at start (jittered), then the steady state
	window_start, daemon_cpu, nginx_cpu = time.time(), cpu_of(daemon.pid), cpu_of(nginx_worker)
	time.sleep(POLL_SECONDS)
	window_end = time.time()
	daemon_cpu = cpu_of(daemon.pid) - daemon_cpu
	nginx_cpu = cpu_of(nginx_worker) - nginx_cpu
	rss = 0
	try:
		rss = int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/%d/status" % daemon.pid)
				    .read_text()).group(1))
	except (OSError, AttributeError):
		pass
	code = daemon.stop(timeout=60)
	time.sleep(1.5)	# nginx flushes its log buffer every second
	counts = nginx.requests_between(window_start, window_end)
	polls = sum(counts.values())
	seconds = window_end - window_start
	print("poll feeds=%d hosts=%d seconds=%.1f polls=%d polls_per_s=%.0f not_modified=%d "
	      "ok=%d other=%d daemon_cpu_s=%.2f cpu_per_1000=%.3f daemon_core_share=%.2f "
	      "nginx_cpu_s=%.2f rss_mb=%.0f exit=%d" % (
		      POLL_FEEDS, HOSTS, seconds, polls, polls / seconds, counts.get("304", 0),
		      counts.get("200", 0), polls - counts.get("304", 0) - counts.get("200", 0),
		      daemon_cpu, daemon_cpu / max(polls, 1) * 1000, daemon_cpu / seconds, nginx_cpu,
		      rss / 1024, code), flush=True)
	errors = [line for line in log.read_text(errors="replace").splitlines()
		  if "level=error" in line or "level=warning" in line]
	if errors:
		say("poll run: %d warning/error lines, last: %s" % (len(errors), errors[-1][:300]))


def python_peer(work, nginx, urls):
	url_file = work / "urls.txt"
	url_file.write_text("\n".join(urls) + "\n")
	interpreter = sys.executable
	for candidate in ("/usr/bin/python3", sys.executable):
		probe = subprocess.run([candidate, "-c", "import aiohttp"], capture_output=True)
		if probe.returncode == 0:
			interpreter = candidate
			break
	say("peer: poll_peer.py (%s) for %.0f s" % (interpreter, PEER_SECONDS))
	result = subprocess.run([interpreter, str(ROOT / "tests" / "bench" / "poll_peer.py"),
				 str(url_file), str(PEER_SECONDS), "64"], capture_output=True,
				text=True, timeout=PEER_SECONDS * 4 + 120)
	line = next((l for l in result.stdout.splitlines() if l.startswith("peer ")), None)
	if line is None:
		say("poll_peer.py failed: %s" % result.stderr[-500:])
		return
	print(line, flush=True)


def wrk_peer(nginx):
	if shutil.which("wrk") is None:
		print("wrk skipped reason=not_installed", flush=True)
		return
	url = "http://%s:%d/poll/00000.xml" % (host_addresses()[0], nginx.port)
	head = subprocess.run(["curl", "-sI", url], capture_output=True, text=True).stdout
	match = re.search(r"^ETag:\s*(\S+)", head, re.M | re.I)
	if not match:
		print("wrk skipped reason=no_etag", flush=True)
		return
	say("peer: wrk -t1 -c64 -d10s with If-None-Match (nginx, one worker)")
	result = subprocess.run(["wrk", "-t1", "-c64", "-d10s", "-H",
				 "If-None-Match: %s" % match.group(1), url],
				capture_output=True, text=True, timeout=60)
	rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
	print("wrk requests_per_s=%s" % (rate.group(1) if rate else "0"), flush=True)


@contextlib.contextmanager
def bench_servers(site_root, work):
	"""The bench's loopback nginx serving site_root and a real Kafka broker, both kept under
	work (an earlier run's removed first) and stopped on leaving: yields (nginx, bootstrap)."""
	for stale in ("nginx", "broker"):
		shutil.rmtree(work / stale, ignore_errors=True)
	site_root.mkdir(parents=True, exist_ok=True)
	nginx = BenchNginx(site_root, work / "nginx").start()
	broker = helpers.KafkaBroker(work / "broker")
	try:
		say("starting the Kafka broker")
		yield nginx, broker.start()
	finally:
		nginx.stop()
		broker.stop()


def bench_dirs(argv, usage):
	"""(BUILD_DIR, WORK_DIR) of the command line, absolute, the work directory made and the
	environment set for the daemon and helpers.py; None (usage printed) when they are not two."""
	if len(argv) != 3:
		sys.stderr.write(usage)
		return None
	build = (ROOT / argv[1]).resolve()
	work = Path(argv[2]).resolve()
	work.mkdir(parents=True, exist_ok=True)
	os.environ["WIRESIFT_BUILD"] = str(build)
	os.environ["WIRESIFT_PLUGIN_DIR"] = str(build / "plugins")
	return build, work


def main(argv):
	dirs = bench_dirs(argv, __doc__)
	if dirs is None:
		return 2
	build, work = dirs
	feeds_root = work / "feeds"
	only = os.environ.get("BENCH_ONLY", "")
	if only == "":
		generate_feeds(feeds_root, "poll", POLL_FEEDS, 1)
	if only != "articles":
		generate_feeds(feeds_root, "cold", FEEDS, ITEMS)
	generate_feeds(feeds_root, "articles", ARTICLE_FEEDS, ARTICLE_ITEMS, "articles")
	for stale in ("poll-daemon", "cold-daemon", "articles-daemon", "newsboat"):
		shutil.rmtree(work / stale, ignore_errors=True)
	with bench_servers(feeds_root, work) as (nginx, bootstrap):
		# Poll capacity first, on feeds of one item: a first full poll (--once) sets every
		# feed's validators, then the daemon polls them every second: mostly 304s.
		if only == "":
			poll_urls = feed_urls(nginx.port, "poll", POLL_FEEDS)
			warm_page_cache(feeds_root / "poll")
			config = run_once("first", build, work / "poll-daemon", bootstrap, poll_urls, 1,
					  COLD_TIMEOUT)
			poll_capacity(build, work, nginx, config)
			python_peer(work, nginx, poll_urls)
			wrk_peer(nginx)
		peers = [("nginx", nginx.worker_pid())]
		try:
			peers.append(("broker", int((work / "broker" / "pid").read_text())))
		except (OSError, ValueError):
			pass
		if only != "articles":
			warm_page_cache(feeds_root / "cold")
			run_once("cold", build, work / "cold-daemon", bootstrap,
				 feed_urls(nginx.port, "cold", FEEDS), ITEMS, COLD_TIMEOUT, peers,
				 feed_kilobytes(feeds_root / "cold"))
		articles = feeds_root / "articles"
		kilobytes = feed_kilobytes(articles)
		urls = feed_urls(nginx.port, "articles", ARTICLE_FEEDS)
		warm_page_cache(articles)
		run_once("cold.articles", build, work / "articles-daemon", bootstrap, urls,
			 ARTICLE_ITEMS, COLD_TIMEOUT, peers, kilobytes)
		warm_page_cache(articles)
		newsboat_peer("newsboat.articles", work / "newsboat", urls, ARTICLE_ITEMS,
			      COLD_TIMEOUT, peers, kilobytes)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
