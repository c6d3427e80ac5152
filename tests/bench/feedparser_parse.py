#!/usr/bin/env python3
"""feedparser_parse.py - the peer of bench_parse: Debian's python3-feedparser over the same file,
read into memory first, timed around feedparser.parse() alone (CPU time of the process, as bench_parse does).

    feedparser_parse.py FILE

Prints one line of key=value pairs like bench_parse's, or "feedparser skipped reason=..." when
feedparser cannot be imported. It measures; it asserts nothing about time.
"""

import resource
import sys
import time


def main(argv):
	if len(argv) != 2:
		sys.stderr.write(__doc__)
		return 2
	try:
		import feedparser
	except ImportError as error:
		print("feedparser skipped reason=%s" % str(error).replace(" ", "_"))
		return 0
	with open(argv[1], "rb") as source:
		data = source.read()
	started = time.process_time()
	result = feedparser.parse(data)
	seconds = max(time.process_time() - started, 0.001)
	items = len(result.entries)
	text_bytes = sum(len(entry.get("title", "")) + len(entry.get("summary", "")) +
			 sum(len(part.get("value", "")) for part in entry.get("content", []))
			 for entry in result.entries)
	print("feedparser file=%s version=%s format=%s bytes=%d items=%d text_bytes=%d seconds=%.3f "
	      "mb_per_s=%.2f items_per_s=%.0f maxrss_kb=%d" % (
		      argv[1], feedparser.__version__, result.get("version", "?"), len(data), items,
		      text_bytes, seconds, len(data) / 1e6 / seconds, items / seconds,
		      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
