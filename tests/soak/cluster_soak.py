#!/usr/bin/env python3
"""cluster_soak.py - a randomized fault soak of cluster mode (issue 16), run by hand:

    tests/soak/cluster_soak.py --duration 900 --seed 7 [--dir /tmp/soak] [--rate 3]
    WIRESIFT_BUILD=build-asan tests/soak/cluster_soak.py --duration 600 --seed 8

A three-node KRaft cluster (tests/kafka/broker.sh --brokers 3), instances a, b and c of one
group polling growing feeds on a loopback nginx (whose access log says who polled what), wire
copies planted on several feeds at once, and a random schedule of faults drawn from --seed:
SIGKILL or SIGTERM of an instance and its restart, SIGSTOP of an instance or a broker node for
1-20 s then SIGCONT, a broker node killed and started again, SIGHUP (reload), a fourth
instance d joining and leaving (or dying). Every fault is logged with its time and the seed
(DIR/faults.log). At the end the faults stop, everything is resumed and restarted, and once
membership is stable the contract is checked (soak_checks.py): every served item committed,
none twice for a read_committed reader, each wire story one original plus duplicates, every
feed polled by exactly one instance, and the daemons' logs free of sanitizer reports, fatal
transactions and unexpected exits. Exit status 0 when all hold; DIR/summary.json has the
counts. The same seed gives the same schedule of faults (not the same timing: the machine's
load decides what each fault hits)."""

import argparse
import heapq
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
sys.path.insert(0, str(HERE))

import helpers  # noqa: E402
from cluster_helpers import WireFeeds, cluster_config  # noqa: E402
from test_delivery import VOCABULARY  # noqa: E402
import soak_checks  # noqa: E402

MEMBERS = ("a", "b", "c")
JOINER = "d"
# Relative weights of the faults the schedule draws.
FAULTS = {"kill": 3, "term": 2, "pause": 3, "hup": 2, "broker_kill": 1.5,
	  "broker_pause": 1.5, "join": 1, "add_feed": 1}
# At most this many feeds are added to the list mid-run (add_feed).
MORE_FEEDS = 12


class Instance:
	"""One named instance: its configuration and its current process, a log per start."""

	def __init__(self, name, config, directory):
		self.name, self.config, self.dir = name, config, directory
		self.daemon = None
		self.starts = 0
		self.state = "down"	# up, paused, stopping (SIGTERM sent), down
		self.sent = None	# the signal that stopped it: SIGKILL or SIGTERM
		self.logs = []

	def start(self):
		self.starts += 1
		path = self.dir / ("wiresift-%s.%d.log" % (self.name, self.starts))
		env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
		       "UBSAN_OPTIONS": "print_stacktrace=1"}
		self.daemon = helpers.WiresiftDaemon(self.config, path, env=env).start()
		self.logs.append(path)
		self.state = "up"

	def signal(self, signum):
		if self.daemon and self.daemon.running():
			self.daemon.send_signal(signum)

	def reap(self, timeout=30):
		"""Waits for a process that was sent SIGTERM or SIGKILL (SIGKILL after timeout s);
		its exit code (negative: the signal that ended it), also kept in codes."""
		process = self.daemon.process if self.daemon else None
		code = None
		if process is not None:
			try:
				code = process.wait(timeout=timeout)
			except subprocess.TimeoutExpired:
				process.kill()
				code = "killed after %ds: %s" % (timeout, process.wait())
			self.daemon.process = None
			self.daemon.returncode = code
		self.state = "down"
		return code


class Grower(threading.Thread):
	"""Grows the feeds at rate items a second and plants a wire story on three feeds every
	plant_every seconds (on average), until stopped; it alone touches the generator."""

	def __init__(self, generator, rate, plant_every, seed):
		super().__init__(daemon=True)
		self.generator, self.rate, self.plant_every = generator, rate, plant_every
		self.random = random.Random(seed * 7919 + 1)
		self.groups = []
		self.halt = threading.Event()
		self.lock = threading.Lock()

	def run(self):
		owed, last = 0.0, time.monotonic()
		while not self.halt.wait(0.25):
			now = time.monotonic()
			owed += (now - last) * self.rate
			last = now
			with self.lock:
				if int(owed):
					self.generator.add(int(owed))
					owed -= int(owed)
				if self.random.random() < 0.25 / self.plant_every:
					self._plant()

	def _plant(self):
		feeds = self.random.sample(range(self.generator.feed_count), 3)
		text = " ".join(self.random.choice(VOCABULARY) for _ in range(80))
		self.groups.append(self.generator.plant(feeds, text))


class Soak:
	"""The cluster, the feeds, the instances, and the schedule of faults."""

	def __init__(self, args):
		self.args, self.seed = args, args.seed
		self.random = random.Random(args.seed)
		self.dir = Path(args.dir)
		self.dir.mkdir(parents=True, exist_ok=True)
		self.begun = time.monotonic()
		self.log_file = open(self.dir / "faults.log", "a")
		self.pending = []	# heap of (monotonic time, sequence, description, action)
		self.sequence = 0
		self.counts = {}
		self.exits = []		# (instance, exit code, log) of exits nobody asked for
		self.broker_busy = False
		self.stops = []		# (instance, signal sent, exit code)

	def note(self, text):
		line = "%s t=%7.1fs seed=%d %s" % (time.strftime("%H:%M:%S", time.gmtime()),
						   time.monotonic() - self.begun, self.seed, text)
		print(line, flush=True)
		self.log_file.write(line + "\n")
		self.log_file.flush()

	def setup(self):
		self.kafka = helpers.KafkaBroker(self.dir / "kafka", brokers=3)
		self.kafka.start()
		self.note("kafka: 3 nodes at %s" % self.kafka.bootstrap)
		self.generator = WireFeeds(self.dir / "site", feed_count=self.args.feeds,
					   keep=self.args.keep)
		self.generator.random = random.Random(self.seed)
		self.generator.add(2 * self.args.feeds)
		self.site = helpers.HttpServer(self.dir / "site", self.dir / "nginx").start()
		suffix = "soak%d.%d" % (self.seed, int(time.time()))
		self.topics = tuple("%s.%s" % (kind, suffix) for kind in
				    ("articles", "duplicates", "feeds", "state", "fingerprints"))
		self.instances = {}
		for name in MEMBERS + (JOINER,):
			config = cluster_config(self.dir, name, self.kafka.bootstrap, self.generator,
						self.site, self.topics, "group." + suffix)
			self.instances[name] = Instance(name, config, self.dir)
		for name in MEMBERS:
			self.instances[name].start()
		self.grower = Grower(self.generator, self.args.rate, self.args.plant_every,
				     self.seed)
		self.grower.start()

	def later(self, delay, description, action):
		self.sequence += 1
		heapq.heappush(self.pending, (time.monotonic() + delay, self.sequence, description,
					      action))

	def run_due(self, everything=False):
		while self.pending and (everything or self.pending[0][0] <= time.monotonic()):
			_, _, description, action = heapq.heappop(self.pending)
			self.note("restore: " + description)
			action()

	def watch_exits(self):
		"""An instance that exited while it should be running is logged and started again."""
		for instance in self.instances.values():
			if instance.state in ("up",) and not instance.daemon.running():
				code = instance.daemon.process.poll()
				self.exits.append((instance.name, code, str(instance.logs[-1])))
				self.note("UNEXPECTED EXIT: %s code %s (log %s)" % (
					instance.name, code, instance.logs[-1]))
				instance.daemon.process = None
				instance.state = "down"
				if instance.name in MEMBERS:
					self.later(1, "start %s after its exit" % instance.name,
						   instance.start)

	def pick(self, states=("up",)):
		names = sorted(name for name, instance in self.instances.items()
			       if instance.state in states)
		return self.instances[self.random.choice(names)] if names else None

	def fault(self):
		kinds = sorted(FAULTS)
		kind = self.random.choices(kinds, [FAULTS[kind] for kind in kinds])[0]
		delay = self.random.uniform(1, 20)
		done = getattr(self, "fault_" + kind)(delay)
		if done:
			self.counts[kind] = self.counts.get(kind, 0) + 1

	def restart_later(self, instance, delay):
		if instance.name == JOINER:	# it left: reaped, not started again
			self.later(0.5, "reap %s" % JOINER, lambda: self.reap(instance))
			return
		self.later(delay, "start %s" % instance.name, lambda: self._restart(instance))

	def _restart(self, instance):
		self.reap(instance)
		instance.start()

	def reap(self, instance):
		"""Reaps a stopped instance; a SIGTERM that did not end in status 0 is a finding."""
		sent = instance.sent
		code = instance.reap()
		self.stops.append((instance.name, sent, code))
		if sent == "SIGTERM" and code != 0:
			self.note("BAD STOP: %s after SIGTERM: %s (log %s)" % (instance.name, code,
									    instance.logs[-1]))

	def stop_and_restart(self, sig, delay):
		"""An instance sent sig (SIGKILL, SIGTERM), started again after delay seconds."""
		instance = self.pick()
		if not instance:
			return False
		self.note("fault: %s %s, start again in %.1fs" % (sig.name, instance.name, delay))
		instance.signal(sig)
		instance.state, instance.sent = "stopping", sig.name
		self.restart_later(instance, delay)
		return True

	def fault_kill(self, delay):
		return self.stop_and_restart(signal.SIGKILL, delay)

	def fault_term(self, delay):
		return self.stop_and_restart(signal.SIGTERM, delay)

	def fault_pause(self, delay):
		instance = self.pick()
		if not instance:
			return False
		self.note("fault: SIGSTOP %s for %.1fs" % (instance.name, delay))
		instance.signal(signal.SIGSTOP)
		instance.state = "paused"

		def resume():
			instance.signal(signal.SIGCONT)
			instance.state = "up"
		self.later(delay, "SIGCONT %s" % instance.name, resume)
		return True

	def fault_hup(self, delay):
		instance = self.pick()
		if not instance:
			return False
		self.note("fault: SIGHUP %s" % instance.name)
		instance.signal(signal.SIGHUP)
		return True

	def fault_add_feed(self, delay):
		"""A new feed (already growing) in every instance's list, then SIGHUP to each running
		one in turn, a random 0-3 s apart; a stopped one reads it when it starts again."""
		if self.generator.feed_count >= self.args.feeds + MORE_FEEDS:
			return False
		with self.grower.lock:
			generator = self.generator
			generator.items.append([])
			generator.feed_count += 1
			generator._write(generator.feed_count - 1)
			lines = "".join(helpers._feed_line(feed) + "\n" for feed in
					generator.feeds(self.site))
		for instance in self.instances.values():
			(instance.config.parent / "feeds.list").write_text(lines)
		self.note("fault: feed%d added to the lists, SIGHUP to each" % (
			generator.feed_count - 1))
		wait = 0
		for name in sorted(self.instances):
			wait += self.random.uniform(0, 3)
			self.later(wait, "SIGHUP %s (new feed)" % name,
				   lambda instance=self.instances[name]: instance.signal(signal.SIGHUP))
		return True

	def fault_join(self, delay):
		joiner = self.instances[JOINER]
		if joiner.state != "down":
			return False
		stay = self.random.uniform(10, 60)
		self.note("fault: %s joins for %.1fs" % (JOINER, stay))
		joiner.start()
		start = joiner.starts

		def leave():	# this start's leave, if it is still up (not killed meanwhile)
			if joiner.state == "up" and joiner.starts == start:
				joiner.signal(signal.SIGTERM)
				joiner.state, joiner.sent = "stopping", "SIGTERM"
				self.later(0.1, "reap %s" % JOINER, lambda: self.reap(joiner))
		self.later(stay, "SIGTERM %s (leaves)" % JOINER, leave)
		return True

	def fault_broker_kill(self, delay):
		if self.broker_busy:
			return False
		node = self.random.randint(1, 3)
		self.note("fault: SIGKILL broker node %d, start again in %.1fs" % (node, delay))
		self.kafka.kill_node(node)
		self.broker_busy = True
		self.later(delay, "start broker node %d" % node, lambda: self._start_node(node))
		return True

	def _start_node(self, node):
		for attempt in range(3):
			try:
				self.kafka.start_node(node)
				break
			except Exception as error:	# noqa: BLE001 - logged, tried again
				self.note("broker node %d did not start (%s), again" % (node, error))
		self.broker_busy = False

	def fault_broker_pause(self, delay):
		if self.broker_busy:
			return False
		node = self.random.randint(1, 3)
		pid = self.kafka.pid(node)
		self.note("fault: SIGSTOP broker node %d (pid %s) for %.1fs" % (node, pid, delay))
		os.kill(pid, signal.SIGSTOP)
		self.broker_busy = True

		def resume():
			os.kill(pid, signal.SIGCONT)
			self.broker_busy = False
		self.later(delay, "SIGCONT broker node %d" % node, resume)
		return True

	def run(self):
		end = self.begun + self.args.duration
		next_fault = time.monotonic() + self.args.warmup
		while time.monotonic() < end:
			time.sleep(0.2)
			self.run_due()
			self.watch_exits()
			if time.monotonic() >= next_fault:
				self.fault()
				next_fault = time.monotonic() + self.random.uniform(self.args.gap_min,
										  self.args.gap_max)
		self.note("faults over: %s" % json.dumps(self.counts, sort_keys=True))

	def settle(self):
		"""Everything resumed and started again, d gone: the group of a, b and c."""
		self.run_due(everything=True)
		joiner = self.instances[JOINER]
		if joiner.state != "down":
			joiner.signal(signal.SIGCONT)
			joiner.signal(signal.SIGTERM)
			joiner.state, joiner.sent = "stopping", "SIGTERM"
			self.reap(joiner)
		for name in MEMBERS:
			instance = self.instances[name]
			if instance.state != "up":
				self._restart(instance)
		self.watch_exits()
		self.run_due(everything=True)

	def teardown(self):
		for instance in self.instances.values():
			if instance.daemon and instance.daemon.process is not None:
				instance.signal(signal.SIGCONT)
				instance.daemon.stop(signal.SIGTERM, timeout=30)
		self.site.stop()
		self.kafka.kill()


def arguments():
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--duration", type=float, default=600, help="seconds of faults")
	parser.add_argument("--seed", type=int, default=1)
	parser.add_argument("--dir", default=None, help="default /tmp/wiresift-soak-SEED")
	parser.add_argument("--feeds", type=int, default=24)
	parser.add_argument("--keep", type=int, default=400, help="items a feed lists")
	parser.add_argument("--rate", type=float, default=3, help="new items a second")
	parser.add_argument("--plant-every", type=float, default=20,
			    help="seconds between wire stories, on average")
	parser.add_argument("--gap-min", type=float, default=3, help="seconds between faults")
	parser.add_argument("--gap-max", type=float, default=20)
	parser.add_argument("--warmup", type=float, default=20, help="seconds before the first")
	parser.add_argument("--settle", type=float, default=180,
			    help="seconds the end waits for every item to be committed")
	args = parser.parse_args()
	args.dir = args.dir or "/tmp/wiresift-soak-%d" % args.seed
	return args


def main():
	args = arguments()
	soak = Soak(args)
	soak.note("soak: duration %gs, %d feeds, %g items/s, build %s" % (
		args.duration, args.feeds, args.rate, helpers.build_dir()))
	failures = ["interrupted"]
	try:
		soak.setup()
		soak.run()
		soak.settle()
		failures = soak_checks.check(soak)
	finally:
		if hasattr(soak, "grower"):
			soak.grower.halt.set()
		if hasattr(soak, "kafka"):
			try:
				failures += soak_checks.after_stop(soak)
			finally:
				soak.teardown()
	for failure in failures:
		soak.note("FAILED: " + failure)
	soak.note("soak %s" % ("passed" if not failures else "failed (%d)" % len(failures)))
	return 1 if failures else 0


if __name__ == "__main__":
	sys.exit(main())
