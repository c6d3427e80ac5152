"""helpers.py - what wiresift's end-to-end tests drive: a real Kafka broker (tests/kafka/broker.sh),
a real HTTP server (Debian's nginx), a loopback one that holds a request until told
(HoldingServer), kcat to produce and read records, the wiresift daemon itself and its
configuration files.

Only the standard library: conftest.py wraps these in pytest fixtures, and benchmarks or scripts
can import them directly (sys.path.insert(0, "tests/e2e")).
"""

import atexit
import ctypes
import functools
import hashlib
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROKER_SCRIPT = ROOT / "tests" / "kafka" / "broker.sh"
NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.in"
NGINX_BINARY = "/usr/sbin/nginx"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"


def build_dir():
	"""The build directory: $WIRESIFT_BUILD (relative to the repo root or absolute), default build."""
	return ROOT / os.environ.get("WIRESIFT_BUILD", "build")


def wiresift_binary():
	return build_dir() / "wiresift"


@functools.lru_cache(maxsize=None)
def sanitizer():
	"""The sanitizer the build's daemon was built with: "address", "thread" or None (its
	dynamic symbols name the runtime's entry, __asan_init or __tsan_init)."""
	try:
		data = wiresift_binary().read_bytes()
	except OSError:
		return None
	for name, symbol in (("address", b"__asan_init"), ("thread", b"__tsan_init")):
		if symbol in data:
			return name
	return None


# How much slower than a plain build the daemon under test runs: $WIRESIFT_TIME_FACTOR when
# set, else by the build's sanitizer (a TSan build runs 5-15x slower, an ASan one 2-3x).
_SANITIZER_FACTORS = {"thread": 8.0, "address": 3.0}


def time_factor():
	"""The factor waits for the daemon's own work are stretched by (at least 1)."""
	given = os.environ.get("WIRESIFT_TIME_FACTOR")
	if given:
		return max(1.0, float(given))
	return _SANITIZER_FACTORS.get(sanitizer(), 1.0)


def slow(seconds):
	"""seconds stretched by time_factor(): for a wait on the daemon's speed (its articles
	published, a log line after work), never for a protocol's timeout (a session, a hold)."""
	return seconds * time_factor()


def free_port():
	"""A TCP port on 127.0.0.1 that was free a moment ago."""
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def unique_topic(prefix="test"):
	"""A topic name no other test of this session uses (the broker is shared)."""
	return "%s.%s" % (prefix, uuid.uuid4().hex[:10])


def stop_process(process, sig=signal.SIGTERM, timeout=10):
	"""Sends sig to a running process and waits; SIGKILL after timeout seconds. Returns the
	exit code (negative: the signal that ended it)."""
	if process.poll() is None:
		process.send_signal(sig)
		try:
			process.wait(timeout=timeout)
		except subprocess.TimeoutExpired:
			process.kill()
			process.wait()
	return process.returncode


def wait_until(predicate, timeout, interval=0.1):
	"""Calls predicate until it returns something true (which is returned) or timeout passes
	(None is returned)."""
	deadline = time.monotonic() + timeout
	while True:
		result = predicate()
		if result:
			return result
		if time.monotonic() >= deadline:
			return None
		time.sleep(interval)


def tail(path, lines=30):
	try:
		text = Path(path).read_text(errors="replace")
	except OSError:
		return "(no %s)" % path
	return "\n".join(text.splitlines()[-lines:])


def _die_with_parent():
	"""preexec_fn: the child gets SIGTERM when this process (the thread that started it) dies,
	so a killed test run leaves no nginx or daemon behind (Linux prctl PR_SET_PDEATHSIG)."""
	try:
		libc = ctypes.CDLL(None, use_errno=True)
		libc.prctl(1, signal.SIGTERM, 0, 0, 0)
	except (OSError, AttributeError):
		pass


# Processes started here and not yet stopped: stopped at interpreter exit even when a test run
# is interrupted before its fixtures' teardown.
_live = set()


@atexit.register
def _stop_leftovers():
	for thing in list(_live):
		try:
			thing.stop()
		except Exception:
			pass


# --- Kafka ---------------------------------------------------------------------------------

class KafkaBroker:
	"""A KRaft broker run by tests/kafka/broker.sh with everything under directory: one node, or
	with brokers=N a cluster of N nodes (replication factor N, min.insync.replicas 2) whose
	nodes are numbered 1..N for stop_node(), kill_node() and start_node()."""

	def __init__(self, directory, brokers=1):
		self.dir = Path(directory)
		self.brokers = brokers
		self.bootstrap = None
		self.start_seconds = None	# wall time of the last start, for reports

	def _script(self, action, timeout, directory=None):
		# The broker outlives broker.sh; its watchdog stops it when this process is gone.
		env = dict(os.environ, BROKER_OWNER_PID=str(os.getpid()))
		command = [str(BROKER_SCRIPT), action, str(directory or self.dir)]
		if action == "start" and directory is None and self.brokers > 1:
			command += ["--brokers", str(self.brokers)]
		return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
				      env=env)

	def node_dir(self, node):
		return self.dir / ("node-%d" % node)

	def stop_node(self, node):
		"""One node of a cluster stopped with SIGTERM (controlled shutdown)."""
		result = self._script("stop", 60, self.node_dir(node))
		if result.returncode != 0:
			raise RuntimeError("broker.sh stop node-%d failed: %s" % (node, result.stderr))

	def kill_node(self, node):
		"""One node of a cluster killed with SIGKILL (a crash: no controlled shutdown)."""
		try:
			pid = int((self.node_dir(node) / "pid").read_text())
		except (OSError, ValueError):
			return
		try:
			os.kill(pid, signal.SIGKILL)
		except ProcessLookupError:
			return
		wait_until(lambda: not Path("/proc/%d" % pid).exists() or
			   "State:\tZ" in Path("/proc/%d/status" % pid).read_text(), 20)

	def start_node(self, node):
		"""Starts one node of a cluster again (same ports, data kept) and waits until it
		answers; returns its bootstrap address."""
		result = self._script("start", 120, self.node_dir(node))
		if result.returncode != 0:
			raise RuntimeError("broker.sh start node-%d failed (exit %d):\n%s%s" %
					   (node, result.returncode, result.stdout, result.stderr))
		return result.stdout.strip().split("=", 1)[-1]

	def start(self):
		begun = time.monotonic()
		result = self._script("start", 180)
		if result.returncode != 0:
			raise RuntimeError("broker.sh start failed (exit %d):\n%s%s" %
					   (result.returncode, result.stdout, result.stderr))
		match = re.search(r"^bootstrap=(\S+)$", result.stdout, re.M)
		if not match:
			raise RuntimeError("broker.sh start printed no bootstrap=: %r" % result.stdout)
		self.bootstrap = match.group(1)
		_live.add(self)
		if self.brokers > 1 and not wait_until(self._all_registered, 60, 0.2):
			raise RuntimeError("the %d nodes answer, but the metadata lists only %s" % (
				self.brokers, self._registered()))
		self.start_seconds = time.monotonic() - begun
		return self.bootstrap

	def _registered(self):
		"""The node ids the cluster's metadata lists (kcat), [] when it does not answer."""
		result = subprocess.run(["kcat", "-L", "-J", "-b", self.bootstrap],
					capture_output=True, text=True, timeout=30)
		if result.returncode != 0:
			return []
		return sorted(broker["id"] for broker in json.loads(result.stdout)["brokers"])

	def _all_registered(self):
		# Every node answers on its port before the controller has its registration: a
		# test reading the metadata at once saw [1, 3] of three nodes (2026-12-07).
		return self._registered() == list(range(1, self.brokers + 1))

	def stop(self):
		result = self._script("stop", 60)
		_live.discard(self)
		if result.returncode != 0:
			raise RuntimeError("broker.sh stop failed: %s" % result.stderr)

	def kill(self):
		"""Every node SIGKILLed at once, for a broker whose data is thrown away: a module's
		cluster stops in well under a second instead of 6-12 s of controlled shutdowns."""
		result = self._script("kill", 60)
		_live.discard(self)
		if result.returncode != 0:
			raise RuntimeError("broker.sh kill failed: %s" % result.stderr)

	def restart(self):
		"""Stop and start again: same port (so the same bootstrap), data kept."""
		self.stop()
		return self.start()

	def running(self):
		return self._script("status", 30).returncode == 0

	def log(self, node=None):
		directory = self.dir if node is None else self.node_dir(node)
		return (directory / "broker.log").read_text(errors="replace")

	def pid(self, node=None):
		directory = self.dir if node is None else self.node_dir(node)
		try:
			return int((directory / "pid").read_text())
		except (OSError, ValueError):
			return None


def _kcat_record(envelope):
	"""A kcat -J envelope as {topic, key, value, raw, headers, partition, offset, timestamp}."""
	payload = envelope.get("payload")
	value = payload
	if payload is not None:
		try:
			value = json.loads(payload)
		except ValueError:
			pass
	raw_headers = envelope.get("headers") or []
	headers = {}
	for i in range(0, len(raw_headers) - 1, 2):
		headers[raw_headers[i]] = raw_headers[i + 1]
	return {
		"topic": envelope.get("topic"),
		"key": envelope.get("key"),
		"value": value,
		"raw": payload,
		"headers": headers,
		"partition": envelope.get("partition"),
		"offset": envelope.get("offset"),
		"timestamp": envelope.get("ts"),
	}


def kcat_read_all(bootstrap, topic, timeout=20, isolation="read_committed"):
	"""Every record now in topic, in (partition, offset) order; [] when the topic does not exist.
	isolation: librdkafka's isolation.level (its default, read_committed, unless told).
	fetch.wait.max.ms=10: a partition with nothing more to read is answered (and so reaches its
	end, -e) after 10 ms, not librdkafka's 500: one read of a topic took 0.6-1.6 s, now 0.05."""
	command = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-J", "-q",
		   "-X", "topic.metadata.refresh.interval.ms=500", "-X", "isolation.level=" + isolation,
		   "-X", "fetch.wait.max.ms=10"]
	try:
		result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
	except subprocess.TimeoutExpired:
		return []
	records = []
	for line in result.stdout.splitlines():
		line = line.strip()
		if line.startswith("{"):
			records.append(_kcat_record(json.loads(line)))
	records.sort(key=lambda record: (record["partition"], record["offset"]))
	return records


def kcat_consume(bootstrap, topic, count=None, timeout=20):
	"""Records of topic as dicts {key, value (parsed JSON when it parses, else the text), raw,
	headers (dict), partition, offset, topic, timestamp}.

	With count: reads from the beginning again until at least count records are there (a topic
	the daemon has not created yet counts as empty) or timeout passes, and returns the first
	count in (partition, offset) order, or all there are at the timeout (the caller asserts).
	Without count: what is in the topic now."""
	deadline = time.monotonic() + timeout
	while True:
		remaining = max(1.0, deadline - time.monotonic())
		records = kcat_read_all(bootstrap, topic, timeout=remaining)
		if count is None:
			return records
		if len(records) >= count:
			return records[:count]
		if time.monotonic() >= deadline:
			return records
		time.sleep(0.3)


def kcat_produce(bootstrap, topic, records, headers=None, timeout=30):
	"""Produces [(key, value)] (value: str, or anything else as JSON) with kcat, each record
	carrying the same headers ({name: value}); raises when kcat reports a failure."""
	lines = []
	for key, value in records:
		if not isinstance(value, str):
			value = json.dumps(value, separators=(",", ":"))
		if "\t" in key or "\n" in key or "\n" in value:
			raise ValueError("kcat_produce: keys may hold no tab or newline, values no newline")
		lines.append("%s\t%s\n" % (key, value))
	command = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-X", "acks=all"]
	for name, value in (headers or {}).items():
		command += ["-H", "%s=%s" % (name, value)]
	result = subprocess.run(command, input="".join(lines), capture_output=True, text=True,
				timeout=timeout)
	if result.returncode != 0 or "ERROR" in result.stderr:
		raise RuntimeError("kcat produce failed (exit %d): %s" %
				   (result.returncode, result.stderr))


def kcat_topics(bootstrap, timeout=10):
	"""Names of the topics the broker has, from kcat -L -J."""
	result = subprocess.run(["kcat", "-L", "-J", "-b", bootstrap], capture_output=True,
				text=True, timeout=timeout)
	if result.returncode != 0:
		raise RuntimeError("kcat -L failed: %s" % result.stderr)
	return sorted(topic["topic"] for topic in json.loads(result.stdout).get("topics", []))


# --- HTTP ----------------------------------------------------------------------------------

class HttpServer:
	"""Debian's nginx on a free 127.0.0.1 port serving root (see nginx.conf.in for the
	/status/, /redirect/ and /slow/ paths); extra_config goes inside the server block."""

	def __init__(self, root, run_dir, extra_config=""):
		self.root = Path(root).resolve()
		self.run_dir = Path(run_dir)
		self.extra_config = extra_config
		self.port = None
		self.process = None

	def _write_config(self):
		user = ""
		if os.geteuid() == 0:
			# Run the worker as root too: it must read the test's private tmp directory.
			user = "user root;"
		text = NGINX_TEMPLATE.read_text()
		for name, value in (("USER", user), ("RUN", str(self.run_dir)),
				    ("ROOT", str(self.root)), ("PORT", str(self.port)),
				    ("EXTRA", self.extra_config)):
			text = text.replace("@%s@" % name, value)
		path = self.run_dir / "nginx.conf"
		path.write_text(text)
		return path

	def start(self, attempts=3):
		self.run_dir.mkdir(parents=True, exist_ok=True)
		for _ in range(attempts):
			self.port = free_port()
			config = self._write_config()
			command = [NGINX_BINARY, "-p", str(self.run_dir), "-c", str(config),
				   "-e", str(self.run_dir / "error.log")]
			with open(self.run_dir / "stderr.log", "ab") as stderr:
				self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
								stdout=subprocess.DEVNULL,
								stderr=stderr,
								preexec_fn=_die_with_parent)
			if wait_until(self._answers, 10, 0.05) and self.process.poll() is None:
				_live.add(self)
				return self
			self.process.kill()
			self.process.wait()
			self.process = None
			if "Address already in use" not in tail(self.run_dir / "error.log"):
				break
		raise RuntimeError("nginx did not start:\n%s\n%s" % (
			tail(self.run_dir / "error.log"), tail(self.run_dir / "stderr.log")))

	def _answers(self):
		if self.process.poll() is not None:
			return True	# exited: start() sees no process below
		try:
			with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
				return True
		except OSError:
			return False

	def url(self, path=""):
		return "http://127.0.0.1:%d/%s" % (self.port, str(path).lstrip("/"))

	def requests(self):
		"""The access log: one dict per request served so far (status, method, uri,
		if_none_match, if_modified_since, accept_encoding, user_agent, bytes, time)."""
		path = self.run_dir / "access.log"
		if not path.exists():
			return []
		return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

	def stop(self):
		_live.discard(self)
		if self.process is None:
			return
		stop_process(self.process)
		self.process = None


# --- the daemon ----------------------------------------------------------------------------

def _feed_line(feed):
	"""One feeds.list line from "URL" or (URL, {name, interval, tags (list or "a,b"), ...})."""
	if isinstance(feed, str):
		return feed
	url, options = feed
	words = [url]
	for key, value in (options or {}).items():
		if isinstance(value, (list, tuple)):
			value = ",".join(value)
		words.append("%s=%s" % (key, value))
	return " ".join(words)


def plugin_sections(names=("source", "lang", "entities", "keywords", "topics")):
	"""Config sections for the shipped tagger plugins named, configured as conf/wiresift.conf
	configures them but with absolute paths (a test's config lives in a temporary directory)."""
	conf = ROOT / "conf"
	gazetteers = conf / "gazetteers"
	settings = {
		"source": {},
		"lang": {},
		"entities": {name: str(gazetteers / ("%s.txt" % name)) for name in
			     ("people", "organizations", "places", "other", "aliases")},
		"keywords": {"background": str(conf / "keywords.background")},
		"topics": {"rules": str(conf / "topics.rules")},
	}
	return {'plugin "%s"' % name: settings[name] for name in names}


def _section_header(name):
	"""[name], or [plugin "lang"] for a section given as 'plugin "lang"' or 'plugin lang'."""
	if name.startswith("plugin ") and '"' not in name:
		name = 'plugin "%s"' % name[len("plugin "):].strip()
	return "[%s]" % name


def write_config(directory, bootstrap, feeds=(), extra=None, name="wiresift.conf"):
	"""Writes DIRECTORY/wiresift.conf and DIRECTORY/feeds.list (plus DIRECTORY/state/) for a
	daemon publishing to bootstrap; returns the config's path.

	feeds: "URL" or (URL, {"name": ..., "interval": "5s", "tags": ["a", "b"]}).
	extra: {section: {key: value}} merged over the defaults ([daemon], [kafka], [feeds]) or
	added after them in order ('plugin "lang"' for a plugin section). A value of None drops a
	default key."""
	directory = Path(directory)
	directory.mkdir(parents=True, exist_ok=True)
	state_dir = directory / "state"
	state_dir.mkdir(exist_ok=True)
	feeds_list = directory / "feeds.list"
	feeds_list.write_text("# written by tests/e2e/helpers.py write_config\n" +
			      "".join(_feed_line(feed) + "\n" for feed in feeds))

	sections = {
		"daemon": {
			"state_dir": str(state_dir),
			"log_level": "info",
			"plugin_dir": str(build_dir() / "plugins"),
		},
		"kafka": {
			"bootstrap.servers": bootstrap,
			"topic.articles": "news.articles",
			"topic.duplicates": "news.duplicates",
		},
		"feeds": {
			"list": str(feeds_list),
			"interval": "5m",
			"allow_private": "yes",
			# Tests time polls: intervals stay as configured unless a test turns it on.
			"adaptive": "no",
		},
		# Tests count the requests their servers see: no linked page is fetched unless a
		# test asks for it (test_fulltext.py).
		"fulltext": {"mode": "never"},
	}
	for section, keys in (extra or {}).items():
		sections.setdefault(section, {}).update(keys)

	lines = ["# written by tests/e2e/helpers.py write_config"]
	for section, keys in sections.items():
		lines.append("")
		lines.append(_section_header(section))
		for key, value in keys.items():
			if value is None:
				continue
			if isinstance(value, bool):
				value = "yes" if value else "no"
			lines.append("%s = %s" % (key, value))
	path = directory / name
	path.write_text("\n".join(lines) + "\n")
	return path


def run_wiresift(args, env=None, timeout=60, input=None):
	"""Runs build/wiresift ARGS to completion; returns subprocess.CompletedProcess (text)."""
	binary = wiresift_binary()
	if not binary.exists():
		raise FileNotFoundError("%s not found: run make (or set WIRESIFT_BUILD)" % binary)
	full_env = dict(os.environ)
	full_env.update(env or {})
	return subprocess.run([str(binary)] + [str(arg) for arg in args], env=full_env,
			      capture_output=True, text=True, timeout=timeout, input=input)


class WiresiftDaemon:
	"""build/wiresift -c CONFIG running in the background, stderr (its log) in log_path."""

	def __init__(self, config, log_path, args=(), env=None, binary=None):
		self.binary = binary	# another build of the daemon (build/wiresift-hooks)
		self.config = Path(config)
		self.log_path = Path(log_path)
		self.args = list(args)
		self.env = dict(os.environ)
		self.env.update(env or {})
		self.process = None
		self.returncode = None

	def start(self):
		binary = Path(self.binary) if self.binary else wiresift_binary()
		if not binary.exists():
			raise FileNotFoundError("%s not found: run make (or set WIRESIFT_BUILD)" %
						binary)
		self.returncode = None
		command = [str(binary), "-c", str(self.config)] + [str(arg) for arg in self.args]
		with open(self.log_path, "ab") as log:
			self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
							stdout=log, stderr=log, env=self.env,
							preexec_fn=_die_with_parent)
		_live.add(self)
		return self

	@property
	def pid(self):
		return self.process.pid if self.process else None

	def running(self):
		return self.process is not None and self.process.poll() is None

	def send_signal(self, signum):
		self.process.send_signal(signum)

	def stop(self, sig=signal.SIGTERM, timeout=30):
		"""Sends sig and waits; returns the exit code (negative: killed by that signal).
		SIGKILL after timeout seconds, and the code is then that of the kill."""
		_live.discard(self)
		if self.process is None:
			return self.returncode
		self.returncode = stop_process(self.process, sig, timeout)
		self.process = None
		return self.returncode

	def wait(self, timeout=30):
		"""Waits for the daemon to exit by itself; returns its exit code."""
		self.process.wait(timeout=timeout)
		_live.discard(self)
		self.returncode = self.process.returncode
		self.process = None
		return self.returncode

	def log(self):
		try:
			return self.log_path.read_text(errors="replace")
		except OSError:
			return ""

	def wait_for_log(self, pattern, timeout=20, start=0):
		"""The first re.Match of pattern in the log from character offset start on, waiting up
		to timeout seconds (stretched by time_factor() in a sanitizer build); raises
		AssertionError with the log's tail when none comes (or the daemon exits first)."""
		regex = re.compile(pattern, re.M)

		def search():
			match = regex.search(self.log(), start)
			if match:
				return match
			if not self.running():
				return regex.search(self.log(), start) or "exited"
			return None

		timeout = slow(timeout)
		found = wait_until(search, timeout, 0.1)
		if found is None or found == "exited":
			code = self.process.poll() if self.process else self.returncode
			why = "the daemon is not running (exit code %s)" % code \
				if found == "exited" else "%gs passed" % timeout
			raise AssertionError("no log line matching %r: %s; log tail:\n%s" %
					     (pattern, why, tail(self.log_path, 40)))
		return found


def seeds():
	"""The real seed articles in ../shared/seeds as {name: text}, or {} when absent (the
	caller skips with a message). Read only: their text never goes into the repository."""
	if not SEEDS_DIR.is_dir():
		return {}
	return {path.name: path.read_text() for path in sorted(SEEDS_DIR.iterdir())
		if path.is_file()}


def have(program):
	return shutil.which(program) is not None


class HoldingServer:
	"""A loopback HTTP server of the feed files in root which, once hold(path, agent) is
	armed, keeps the next request of path by that user agent waiting (held is set when it
	arrives, held_count counts them) until release() is called (or the hold's seconds pass),
	then answers it with the file as it is then; several paths may be armed at once. A held
	request whose client closes its connection first is not answered: abandoned lists them
	(time.time(), path, agent). requests lists every request as it arrives (time.time(), path,
	agent). With content(path, agent) set, that gives the body instead (bytes, or None for
	the file). With etags, each answer carries an ETag (a hash of the body) and a request
	whose If-None-Match names it is answered 304, as nginx does."""

	def __init__(self, root, etags=False):
		self.root = root
		self.content = None
		self.etags = etags
		self.held = threading.Event()
		self.held_count = 0
		self.released = threading.Event()
		self.armed = {}
		self.requests = []
		self.abandoned = []
		self.lock = threading.Lock()
		server = self

		class Handler(http.server.BaseHTTPRequestHandler):
			def client_gone(self):
				"""1 when the client closed its connection (EOF is readable)."""
				readable, _, _ = select.select([self.connection], [], [], 0)
				try:
					return bool(readable) and self.connection.recv(
						1, socket.MSG_PEEK) == b""
				except OSError:
					return True

			def wait_released(self, seconds):
				"""Until release(), seconds, or the client leaving: 0 when it left."""
				deadline = time.monotonic() + seconds
				while not server.released.wait(0.05):
					if self.client_gone():
						return 0
					if time.monotonic() >= deadline:
						break
				return 0 if self.client_gone() else 1	# it may leave as released

			def do_GET(self):
				agent = self.headers.get("User-Agent")
				with server.lock:
					key = (self.path, agent)
					server.requests.append((time.time(), self.path, agent))
					seconds = server.armed.pop(key, None)
					if seconds is not None:
						server.held_count += 1
				if seconds is not None:
					server.held.set()
					if not self.wait_released(seconds):
						with server.lock:
							server.abandoned.append((time.time(), self.path,
										 agent))
						self.close_connection = True
						return
				try:
					body = server.content and server.content(
						self.path, self.headers.get("User-Agent"))
					body = body or (server.root / self.path.lstrip("/")).read_bytes()
				except OSError:
					self.send_error(404)
					return
				etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
				if server.etags and self.headers.get("If-None-Match") == etag:
					self.send_response(304)
					self.send_header("ETag", etag)
					self.end_headers()
					return
				self.send_response(200)
				self.send_header("Content-Type", "application/rss+xml")
				self.send_header("Content-Length", str(len(body)))
				if server.etags:
					self.send_header("ETag", etag)
				self.end_headers()
				self.wfile.write(body)

			def log_message(self, *args):
				pass

		self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.httpd.daemon_threads = True
		self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
		self.thread.start()

	def url(self, path=""):
		return "http://127.0.0.1:%d/%s" % (self.httpd.server_address[1], path)

	def hold(self, path, agent, seconds=120):
		with self.lock:
			self.armed[(path, agent)] = seconds

	def release(self):
		self.released.set()

	def stop(self):
		self.released.set()
		self.httpd.shutdown()
		self.httpd.server_close()
