#!/usr/bin/env python3
"""reports.py - the verdict of `make tsan`: reads the ThreadSanitizer report files of a run
(TSAN_OPTIONS log_path=DIR/tsan, one file per process), prints every report that counts and
exits 1 when there is one, else prints "make tsan: no reports" and exits 0.

    python3 tests/tsan/reports.py DIR

A data race none of whose accesses has a frame outside libtsan and librdkafka does not count:
both sides are librdkafka's own code (a libtsan frame there is an interceptor librdkafka
called: free, strcmp, a lock), in a library not built with TSan, whose atomics TSan does not
see; it cannot tell such a race from an ordering made by one of them (a reference count
dropped with an atomic decrement, then the last holder freeing). Debian's librdkafka 2.0.2 has
no symbols, so a suppression (tests/tsan/suppressions, matched against the frames' names)
cannot name the function, and one matching the module would also hide races in our own
callbacks, whose stacks hold librdkafka's frames below ours. Such reports are counted and
listed by file, one line each.

For the same reason a race between our read of a consumed message's payload and librdkafka
freeing it afterwards on its own thread does not count, when the free is the later access and
the read is in fprecord.c (which reads the fingerprint records in place): we read while our
message holds a reference, rd_kafka_message_destroy drops it with an atomic decrement, and
the thread that drops the last one frees the fetch buffer; TSan sees neither decrement. The
reverse order (our read after librdkafka's free) is a use after free and counts, and so does
such a read whose stack TSan lost (`make tsan` sets history_size=7 so that it keeps them).
Every other report (any frame of wiresift's or another library's, and every report that is
not a data race) counts.
"""

import re
import sys
from pathlib import Path

SEPARATOR = "=================="
ACCESS = re.compile(r"^\s+(Previous )?(atomic )?(read|write) of size \d+", re.I)
FRAME = re.compile(r"^\s+#\d+ .*\(([^()\s]+)\+0x[0-9a-f]+\)")
LIBRDKAFKA_ONLY = ("libtsan.so", "librdkafka.so")
PAYLOAD_READER = " daemon/cluster/fprecord.c:"


def split_reports(text):
	"""The reports of one file: each from its WARNING line to its SUMMARY line."""
	reports, current = [], None
	for line in text.splitlines():
		if line.startswith("WARNING: ThreadSanitizer:"):
			current = [line]
		elif current is not None:
			current.append(line)
			if line.startswith("SUMMARY: ThreadSanitizer:"):
				reports.append("\n".join(current))
				current = None
	if current is not None:
		reports.append("\n".join(current))	# cut short: the process died mid-report
	return reports


def access_stacks(report):
	"""The modules of each access's frames (Read/Write/Previous ... sections), in order."""
	stacks, stack = [], None
	for line in report.splitlines():
		if ACCESS.match(line):
			stack = []
			stacks.append(stack)
		elif stack is not None and FRAME.match(line):
			stack.append(FRAME.match(line).group(1))
		elif stack is not None and line.strip() and not line.lstrip().startswith("#"):
			stack = None	# the next section (mutex, thread, location) begins
	return stacks


def inside_librdkafka(report):
	"""True for a data race whose every access is librdkafka's own code (see the top)."""
	if "WARNING: ThreadSanitizer: data race" not in report:
		return False
	stacks = access_stacks(report)
	if len(stacks) < 2 or any(not stack for stack in stacks):
		return False
	return all(module.startswith(LIBRDKAFKA_ONLY) for stack in stacks for module in stack)


def earlier_read_frames(lines):
	"""The frame lines of a report's earlier access when it is a read, else None."""
	at = next((i for i, line in enumerate(lines) if line.startswith("  Previous read")), None)
	if at is None:
		return None
	frames = []
	for line in lines[at + 1:]:
		if not FRAME.match(line):
			break
		frames.append(line)
	return frames


def freed_by_librdkafka_after_our_read(report):
	"""True for a data race whose later access is free() called by librdkafka alone and whose
	earlier access is a read in fprecord.c (see the top)."""
	if "WARNING: ThreadSanitizer: data race" not in report:
		return False
	lines = report.splitlines()
	stacks = access_stacks(report)
	first_frame = next((line for line in lines if FRAME.match(line)), "")
	read_frames = earlier_read_frames(lines)
	return (len(stacks) == 2 and bool(stacks[0]) and " free " in first_frame and
		all(module.startswith(LIBRDKAFKA_ONLY) for module in stacks[0]) and
		bool(read_frames) and any(PAYLOAD_READER in line for line in read_frames))


def main(directory):
	counted, inside, freed = 0, 0, 0
	for path in sorted(Path(directory).glob("tsan.*")):
		for report in split_reports(path.read_text(errors="replace")):
			if inside_librdkafka(report):
				inside += 1
				print("%s: a race inside librdkafka (not counted): %s" % (
					path.name, report.splitlines()[-1]))
			elif freed_by_librdkafka_after_our_read(report):
				freed += 1
				print("%s: a buffer librdkafka freed after we read it (not counted)" %
				      path.name)
			else:
				counted += 1
				print("%s:\n%s\n%s" % (path.name, report, SEPARATOR))
	if counted:
		print("make tsan: %d ThreadSanitizer report(s) above" % counted)
		return 1
	left_out = ["%d inside librdkafka" % inside] if inside else []
	left_out += ["%d buffers librdkafka freed after we read them" % freed] if freed else []
	print("make tsan: no reports%s" % (
		" (%s, not counted)" % ", ".join(left_out) if left_out else ""))
	return 0


if __name__ == "__main__":
	if len(sys.argv) != 2:
		sys.exit("usage: reports.py DIR")
	sys.exit(main(sys.argv[1]))
