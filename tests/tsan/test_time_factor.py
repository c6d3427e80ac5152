"""test_time_factor.py - tests of tests/e2e/helpers.py's sanitizer() and time_factor(), which
stretch the e2e tests' waits for a sanitizer build's daemon (make tsan's cluster tests, an ASan
e2e run): a tiny program built plain, with ASan and with TSan stands in for the daemon, and
sanitizer() must name what `nm -D` (the reference) says it was linked against.

    python3 -m pytest -q tests/tsan
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import helpers  # noqa: E402

FLAGS = {None: [], "address": ["-fsanitize=address"], "thread": ["-fsanitize=thread"]}


def built(tmp_path, flags):
	"""A build directory whose wiresift is a tiny program built with flags, or None when the
	compiler cannot (no sanitizer runtime)."""
	directory = tmp_path / ("build-%d" % len(list(tmp_path.iterdir())))
	directory.mkdir()
	source = directory / "main.c"
	source.write_text("int main(void) { return 0; }\n")
	result = subprocess.run(["cc"] + flags + ["-o", str(directory / "wiresift"), str(source)],
				capture_output=True, text=True)
	return directory if result.returncode == 0 else None


def nm_sanitizer(binary):
	"""The reference: the sanitizer whose runtime entry `nm -D` lists as undefined."""
	symbols = subprocess.run(["nm", "-D", str(binary)], capture_output=True,
				 text=True).stdout.split()
	return {"__asan_init": "address", "__tsan_init": "thread"}.get(
		next((name for name in symbols if name in ("__asan_init", "__tsan_init")), None))


@pytest.mark.parametrize("kind", [None, "address", "thread"])
def test_sanitizer_names_what_the_build_was_linked_against(tmp_path, monkeypatch, kind):
	if not shutil.which("cc") or not shutil.which("nm"):
		pytest.skip("no cc or nm")
	directory = built(tmp_path, FLAGS[kind])
	if directory is None:
		pytest.skip("cc %s cannot build here" % " ".join(FLAGS[kind]))
	monkeypatch.setenv("WIRESIFT_BUILD", str(directory))
	monkeypatch.delenv("WIRESIFT_TIME_FACTOR", raising=False)
	helpers.sanitizer.cache_clear()
	try:
		assert nm_sanitizer(directory / "wiresift") == kind
		assert helpers.sanitizer() == kind
		expected = {None: 1.0, "address": 3.0, "thread": 8.0}[kind]
		assert helpers.time_factor() == expected
		assert helpers.slow(20) == 20 * expected
		monkeypatch.setenv("WIRESIFT_TIME_FACTOR", "2.5")
		assert helpers.time_factor() == 2.5
		monkeypatch.setenv("WIRESIFT_TIME_FACTOR", "0.5")
		assert helpers.time_factor() == 1.0	# never shorter than the plain build's waits
	finally:
		helpers.sanitizer.cache_clear()
