#!/usr/bin/env python3
"""poll.py - poll capacity and cold start of the daemon against a loopback nginx and a real
Kafka broker, with its peers (a Python asyncio poller, wrk) measured in the same run.

    poll.py BUILD_DIR WORK_DIR

Environment: BENCH_FEEDS (10000, the cold start's), BENCH_POLL_FEEDS (15000, the poll
capacity's: more feeds at 1 s than the 10,000 polls/s target, so the figure shows capacity
rather than demand), BENCH_ITEMS (20 per feed), BENCH_HOSTS (32 loopback
addresses 127.0.0.2...), BENCH_POLL_SECONDS (30), BENCH_PEER_SECONDS (15), BENCH_COLD_TIMEOUT
(240), BENCH_ONLY=cold (skip steps 1-3), BENCH_LOG_LEVEL (the daemon's, warning), BENCH_WRAP (a command the cold-start daemon
runs under, e.g. "perf record -g -o FILE" or "strace -f -c -o FILE", to profile it).

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

Prints key=value lines (first ..., poll ..., peer ..., wrk ..., cold ...) for run.sh; asserts
nothing about time.
"""

import os
import re
import shutil
import socket
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


def generate_feeds(root, name, count, items):
	"""count small feeds of `items` items in root/name/, generated once per (count, items,
	generator) and reused."""
	feeds_dir = root / name
	generator = ROOT / "tests" / "bench" / "gen_feeds.py"
	stamp = feeds_dir / "stamp"
	wanted = "%d %d %d" % (count, items, int(generator.stat().st_mtime))
	if stamp.exists() and stamp.read_text() == wanted:
		return feeds_dir
	shutil.rmtree(feeds_dir, ignore_errors=True)
	say("generating %d feeds x %d items in %s" % (count, items, feeds_dir))
	subprocess.run([sys.executable, str(generator), "many", str(feeds_dir), str(count),
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
		'plugin "source"': {},
		'plugin "lang"': {},
		'plugin "entities"': {name: str(conf / "gazetteers" / ("%s.txt" % name)) for name in
				      ("people", "organizations", "places", "other", "aliases")},
		'plugin "keywords"': {"background": str(conf / "keywords.background")},
		'plugin "topics"': {"rules": str(conf / "topics.rules")},
	}
	return helpers.write_config(directory, bootstrap, urls, extra)


def count_records(bootstrap, topic):
	"""Records in topic, counted by kcat (one line each)."""
	result = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning",
				 "-e", "-q", "-f", "x\n"], capture_output=True, text=True,
				timeout=300)
	return result.stdout.count("\n")


def run_once(label, build, directory, bootstrap, urls, items, timeout, peers=()):
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
	timed_out = 0
	with open(log, "wb") as output:
		wrapper = os.environ.get("BENCH_WRAP", "").split() if label == "cold" else []
		process = subprocess.Popen(wrapper + [str(build / "wiresift"), "-c", str(config),
						      "--once"],
					   stdout=output, stderr=output, stdin=subprocess.DEVNULL)
		peak_rss = 0
		while True:
			pid, status, usage = os.wait4(process.pid, os.WNOHANG)
			if pid != 0:
				break
			try:
				text = Path("/proc/%d/status" % process.pid).read_text()
				peak_rss = max(peak_rss, int(re.search(r"VmHWM:\s+(\d+)", text).group(1)))
			except (OSError, AttributeError):
				pass
			if not timed_out and time.monotonic() - started > timeout:
				timed_out = 1
				process.terminate()
			time.sleep(0.25)
		process.returncode = os.waitstatus_to_exitcode(status)
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
	      "error_lines=%d%s" % (
		      label, len(urls), expected, records, process.returncode, timed_out, elapsed,
		      records / elapsed, len(urls) / elapsed, cpu, cpu / max(records, 1) * 1000,
		      peak_rss / 1024, errors, peer_text), flush=True)
	if process.returncode != 0 or records < expected:
		say("%s: log tail:\n%s" % (label, helpers.tail(log, 8)))
	return config


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


def main(argv):
	if len(argv) != 3:
		sys.stderr.write(__doc__)
		return 2
	build = (ROOT / argv[1]).resolve()
	work = Path(argv[2]).resolve()
	work.mkdir(parents=True, exist_ok=True)
	os.environ["WIRESIFT_BUILD"] = str(build)
	os.environ["WIRESIFT_PLUGIN_DIR"] = str(build / "plugins")
	feeds_root = work / "feeds"
	if os.environ.get("BENCH_ONLY") != "cold":
		generate_feeds(feeds_root, "poll", POLL_FEEDS, 1)
	generate_feeds(feeds_root, "cold", FEEDS, ITEMS)
	for stale in ("poll-daemon", "cold-daemon", "broker", "nginx"):
		shutil.rmtree(work / stale, ignore_errors=True)
	nginx = BenchNginx(feeds_root, work / "nginx").start()
	broker = helpers.KafkaBroker(work / "broker")
	try:
		say("starting the Kafka broker")
		bootstrap = broker.start()
		# Poll capacity first, on feeds of one item: a first full poll (--once) sets every
		# feed's validators, then the daemon polls them every second: mostly 304s.
		if os.environ.get("BENCH_ONLY") != "cold":
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
		warm_page_cache(feeds_root / "cold")
		run_once("cold", build, work / "cold-daemon", bootstrap,
			 feed_urls(nginx.port, "cold", FEEDS), ITEMS, COLD_TIMEOUT, peers)
	finally:
		nginx.stop()
		broker.stop()
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
