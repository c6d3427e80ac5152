#!/usr/bin/env python3
"""codecs.py - what each librdkafka compression codec costs the daemon and saves on the broker,
at article size: alternated cold starts (tests/bench/poll.py's nginx, real broker and run_once)
of one build with [kafka] compression.type (and compression.level) set per run.

    codecs.py BUILD_DIR WORK_DIR [ROUNDS [CODEC ...]]

CODEC is TYPE or TYPE:LEVEL (lz4, snappy, zstd:1, zstd:3, none: the default list); ROUNDS (3)
rounds, each running every codec once, in an order that turns each round. Feeds as poll.py's
step 5 (BENCH_ARTICLE_FEEDS x BENCH_ARTICLE_ITEMS). Per run it prints run_once's line
(label codec.TYPE[.LEVEL]) and "codec.bytes ... log_bytes=N bytes_per_item=N", the size of the
record batches the broker stored for the run's two topics (the .log segments); at the end, per
codec, the range of bytes per item and broker CPU seconds.  BENCH_WRAP (poll.py's: e.g. a
perf record) wraps each run's daemon, its label then prefixed "cold."; with it, give one codec
and one round, as each run writes the same file.  Asserts nothing about time.
"""

import os
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll  # noqa: E402

DEFAULT_CODECS = ["lz4", "snappy", "zstd:1", "zstd:3", "none"]
DAEMON_CONFIG = poll.daemon_config	# poll.py's own, which each run's wraps


def codec_config(codec, recorded):
	"""poll.daemon_config with compression set, recording the run's topics."""
	kind, _, level = codec.partition(":")

	def config(directory, bootstrap, urls, build, interval, topics):
		recorded[:] = topics
		path = DAEMON_CONFIG(directory, bootstrap, urls, build, interval, topics)
		text = path.read_text().replace(
			"[kafka]\n", "[kafka]\ncompression.type = %s\n%s" % (
				kind, "compression.level = %s\n" % level if level else ""), 1)
		path.write_text(text)
		return path
	return config


def log_bytes(broker_dir, topics):
	"""Bytes of the .log segments of the topics' partitions on the broker."""
	total = 0
	for partition in (broker_dir / "data").iterdir():
		if re.sub(r"-\d+$", "", partition.name) in topics:
			total += sum(f.stat().st_size for f in partition.glob("*.log"))
	return total


def main(argv):
	dirs = poll.bench_dirs(argv[:3], __doc__)
	if dirs is None:
		return 2
	build, work = dirs
	rounds = int(argv[3]) if len(argv) > 3 else 3
	codecs = argv[4:] or DEFAULT_CODECS
	feeds_root = work / "feeds"
	count, items = poll.ARTICLE_FEEDS, poll.ARTICLE_ITEMS
	poll.generate_feeds(feeds_root, "articles", count, items, "articles")
	results = {codec: [] for codec in codecs}
	with poll.bench_servers(feeds_root, work) as (nginx, bootstrap):
		broker_pid = int((work / "broker" / "pid").read_text())
		peers = [("nginx", nginx.worker_pid()), ("broker", broker_pid)]
		urls = poll.feed_urls(nginx.port, "articles", count)
		kb = poll.feed_kilobytes(feeds_root / "articles")
		poll.warm_page_cache(feeds_root / "articles")
		poll.run_once("warmup", build, work / "warm", bootstrap, urls[:200], items, 240, peers)
		for r in range(rounds):
			turn = r % len(codecs)
			for codec in codecs[turn:] + codecs[:turn]:
				topics = []
				poll.daemon_config = codec_config(codec, topics)
				directory = work / "run"
				shutil.rmtree(directory, ignore_errors=True)
				poll.warm_page_cache(feeds_root / "articles")
				cpu = {name: poll.cpu_of(pid) for name, pid in peers}
				label = "codec." + codec.replace(":", ".")
				if os.environ.get("BENCH_WRAP"):
					label = "cold." + label	# run_once wraps only cold.*
				poll.run_once(label, build, directory, bootstrap, urls, items, 240, peers, kb)
				broker_cpu = poll.cpu_of(broker_pid) - cpu["broker"]
				size = log_bytes(work / "broker", set(topics))
				print("codec.bytes codec=%s log_bytes=%d bytes_per_item=%.0f" % (
					codec, size, size / (count * items)), flush=True)
				results[codec].append((size, broker_cpu))
	for codec in codecs:
		sizes = [s for s, _ in results[codec]]
		cpus = [c for _, c in results[codec]]
		print("codec.summary codec=%s bytes_per_item=%.0f-%.0f broker_cpu_s=%.1f-%.1f" % (
			codec, min(sizes) / (count * items), max(sizes) / (count * items),
			min(cpus), max(cpus)), flush=True)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
