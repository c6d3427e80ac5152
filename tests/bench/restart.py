#!/usr/bin/env python3
"""restart.py - one cluster instance started against a fingerprints topic already full (a
restart, an added or a replacement instance), timed to cluster.fingerprints_caught_up and to
/readyz saying ready, with its peak RSS and where its CPU went. The topic is filled beforehand
(bench_fpwindow make, then produce: see that file); the instance's config names it
([cluster] topic.fingerprints) and its [metrics] listen. Prints one line:

    restart.py BINARY CONFIG [BYTES]

  restart records=N caught_up_s=S ready_s=S records_per_s=R mb_per_s=M peak_rss_mb=P
          cpu_s=C loop_s=L rdkafka_s=K other_s=O load=1m,5m

and, before it, a line as each 100,000th record is judged (from /metrics, every 0.5 s):

  restart.at records=N s=S loop_s=L rdkafka_s=K rss_mb=R

BYTES is the topic's size (for mb_per_s; the record file's size is close). loop_s is the main
(event loop) thread's CPU, rdkafka_s every librdkafka thread's (all of the instance's clients:
most of it is the fingerprints reader's at start), other_s the workers' and the rest. The
instance is stopped (SIGTERM) once ready.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from poll import thread_ticks  # noqa: E402


def peak_rss_mb(pid):
	match = re.search(r"^VmHWM:\s+(\d+) kB", Path("/proc/%d/status" % pid).read_text(), re.M)
	return int(match.group(1)) / 1024 if match else 0


def read_count(listen):
	"""wiresift_cluster_fingerprints_total{result="read"}, or None."""
	try:
		with urllib.request.urlopen("http://%s/metrics" % listen, timeout=2) as answer:
			text = answer.read().decode()
	except Exception:
		return None
	match = re.search(r'^wiresift_cluster_fingerprints_total\{result="read"\} (\d+)', text, re.M)
	return int(match.group(1)) if match else None


def rss_mb(pid):
	match = re.search(r"^VmRSS:\s+(\d+) kB", Path("/proc/%d/status" % pid).read_text(), re.M)
	return int(match.group(1)) / 1024 if match else 0


def cpu_split(ticks, binary):
	"""(loop, librdkafka, all) CPU seconds of a thread_ticks() sample."""
	hz = os.sysconf("SC_CLK_TCK")
	loop = ticks.get(Path(binary).name[:15], 0) / hz
	rdkafka = sum(value for name, value in ticks.items() if name.startswith("rdk:")) / hz
	return loop, rdkafka, sum(ticks.values()) / hz


def ready(listen):
	try:
		with urllib.request.urlopen("http://%s/readyz" % listen, timeout=1) as answer:
			return answer.status == 200
	except Exception:
		return False


def main(argv):
	binary, config = argv[1], argv[2]
	size = int(argv[3]) if len(argv) > 3 else 0
	listen = re.search(r"^listen = (\S+)$", Path(config).read_text(), re.M).group(1)
	log_path = Path(config).parent / "restart.log"
	with open(log_path, "w") as log:
		process = subprocess.Popen([binary, "-c", config], stdin=subprocess.DEVNULL,
					   stdout=log, stderr=subprocess.STDOUT)
	started = time.monotonic()
	caught_up = ready_at = None
	records = 0
	ticks, peak = {}, 0
	milestone, checked = 100000, 0
	while ready_at is None and process.poll() is None and time.monotonic() - started < 1800:
		time.sleep(0.05)
		ticks, peak = thread_ticks(process.pid), peak_rss_mb(process.pid)
		if time.monotonic() - checked >= 0.5 and caught_up is None:
			checked = time.monotonic()
			count = read_count(listen) or 0
			while count >= milestone:
				loop, rdkafka, _ = cpu_split(ticks, binary)
				print("restart.at records=%d s=%.1f loop_s=%.2f rdkafka_s=%.2f rss_mb=%.0f" % (
					count, checked - started, loop, rdkafka, rss_mb(process.pid)), flush=True)
				milestone += 100000
		if caught_up is None:
			match = re.search(r"cluster\.fingerprints_caught_up .*records=(\d+)",
					  log_path.read_text(errors="replace"))
			if match:
				caught_up, records = time.monotonic() - started, int(match.group(1))
		if caught_up is not None and ready(listen):
			ready_at = time.monotonic() - started
	process.send_signal(signal.SIGTERM)
	process.wait(timeout=120)
	if ready_at is None:
		sys.exit("restart.py: not ready (see %s)" % log_path)
	loop, rdkafka, total = cpu_split(ticks, binary)
	print("restart records=%d caught_up_s=%.2f ready_s=%.2f records_per_s=%.0f mb_per_s=%.1f "
	      "peak_rss_mb=%.0f cpu_s=%.2f loop_s=%.2f rdkafka_s=%.2f other_s=%.2f load=%s" % (
		      records, caught_up, ready_at, records / caught_up, size / caught_up / 1e6, peak,
		      total, loop, rdkafka, total - loop - rdkafka,
		      ",".join("%.2f" % x for x in os.getloadavg()[:2])))


if __name__ == "__main__":
	main(sys.argv)
