"""test_reports.py - tests of tests/tsan/reports.py, the verdict of `make tsan`, on a report
file a TSan run of tests/e2e/test_cluster.py wrote (fixtures/librdkafka-race.txt: librdkafka
2.0.2 freeing, on a broker thread, a string its main thread had compared under its lock; no
frame of ours) and on that report changed so that it must count.

    python3 -m pytest -q tests/tsan
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reports  # noqa: E402

RACE = (HERE / "fixtures" / "librdkafka-race.txt").read_text()
OUR_FRAME = "    #1 cluster_open daemon/cluster/cluster.c:650 (wiresift+0x3a8d1)"


def write(tmp_path, text, name="tsan.1"):
	(tmp_path / name).write_text(text)
	return tmp_path


def test_a_race_with_only_librdkafkas_frames_does_not_count(tmp_path, capsys):
	assert reports.main(write(tmp_path, RACE)) == 0
	out = capsys.readouterr().out
	assert "a race inside librdkafka (not counted)" in out
	assert "no reports (1 inside librdkafka, not counted)" in out


def test_a_race_with_a_frame_of_ours_in_either_access_counts(tmp_path, capsys):
	lines = RACE.splitlines()
	for access in ("Write of size", "Previous read of size"):
		at = next(i for i, line in enumerate(lines) if access in line)
		changed = lines[:at + 3] + [OUR_FRAME] + lines[at + 3:]
		directory = tmp_path / access.split()[0]
		directory.mkdir()
		assert reports.main(write(directory, "\n".join(changed))) == 1, access
		assert "1 ThreadSanitizer report(s) above" in capsys.readouterr().out


def test_frames_of_ours_outside_the_accesses_do_not_make_it_count():
	# the mutex and the threads were made by our code: that is not an access of ours
	assert "ingest_cluster_open daemon/ingest/cluster.c" in RACE
	assert reports.inside_librdkafka(reports.split_reports(RACE)[0])


def test_reports_that_are_not_data_races_count_whatever_their_frames(tmp_path):
	other = RACE.replace("WARNING: ThreadSanitizer: data race",
			     "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock)")
	assert reports.main(write(tmp_path, other)) == 1


def test_a_report_cut_short_counts(tmp_path):
	cut = RACE[:RACE.index("Previous read")]
	assert reports.main(write(tmp_path, cut)) == 1


def test_every_file_is_read_and_no_file_is_no_report(tmp_path, capsys):
	assert reports.main(tmp_path) == 0
	assert "make tsan: no reports" in capsys.readouterr().out
	write(tmp_path, RACE, "tsan.1")
	write(tmp_path, RACE.replace("    #1 <null> <null> (librdkafka.so.1+0xb81cc)",
				     OUR_FRAME), "tsan.2")
	assert reports.main(tmp_path) == 1


# fixtures/payload-freed.txt: a TSan run of tests/e2e/test_cluster_fingerprints.py, librdkafka
# freeing on a broker thread the fetch buffer whose fingerprint record the main thread had read
# (binary_article) while its message was alive.
PAYLOAD = (HERE / "fixtures" / "payload-freed.txt").read_text()


def swap_accesses(report):
	"""The report with its two accesses' order reversed: our read after librdkafka's free."""
	lines = report.splitlines()
	later = next(i for i, line in enumerate(lines) if line.startswith("  Write of size"))
	earlier = next(i for i, line in enumerate(lines) if line.startswith("  Previous read"))
	end = next(i for i in range(earlier, len(lines)) if not lines[i].strip())
	free_side = [lines[later].replace("  Write", "  Previous write")] + lines[later + 1:earlier]
	read_side = [lines[earlier].replace("  Previous read", "  Read")] + lines[earlier + 1:end]
	return "\n".join(lines[:later] + read_side + [""] + free_side[:-1] + lines[end:])


def test_a_buffer_librdkafka_frees_after_our_read_does_not_count(tmp_path, capsys):
	assert reports.main(write(tmp_path, PAYLOAD)) == 0
	out = capsys.readouterr().out
	assert "a buffer librdkafka freed after we read it (not counted)" in out
	assert "no reports (1 buffers librdkafka freed after we read them, not counted)" in out


def test_our_read_after_librdkafkas_free_counts(tmp_path, capsys):
	swapped = swap_accesses(PAYLOAD)
	assert swapped.index("  Read of size 1") < swapped.index("  Previous write of size 8")
	assert reports.main(write(tmp_path, swapped)) == 1
	assert "1 ThreadSanitizer report(s) above" in capsys.readouterr().out


def test_a_free_of_ours_an_earlier_write_or_a_read_elsewhere_counts(tmp_path):
	changed = {
		"ours": PAYLOAD.replace("    #1 <null> <null> (librdkafka.so.1+0x108686)", OUR_FRAME),
		"write": PAYLOAD.replace("  Previous read of size 1", "  Previous write of size 1"),
		"elsewhere": PAYLOAD.replace("daemon/cluster/fprecord.c:", "daemon/cluster/cluster.c:"),
		"not a free": PAYLOAD.replace(
			"    #0 free ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:706"
			" (libtsan.so.2+0x47e82)", "    #0 <null> <null> (librdkafka.so.1+0x10a000)"),
	}
	for name, text in changed.items():
		assert text != PAYLOAD, name
		(tmp_path / name).mkdir()
		assert reports.main(write(tmp_path / name, text)) == 1, name


def test_a_read_whose_stack_tsan_lost_counts(tmp_path):
	lines = PAYLOAD.splitlines()
	at = next(i for i, line in enumerate(lines) if line.startswith("  Previous read"))
	end = next(i for i in range(at, len(lines)) if not lines[i].strip())
	lost = lines[:at + 1] + ["    [failed to restore the stack]"] + lines[end:]
	assert reports.main(write(tmp_path, "\n".join(lost))) == 1
