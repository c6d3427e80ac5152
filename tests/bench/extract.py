#!/usr/bin/env python3
"""extract.py - make bench's extraction section: `wiresift extract` beside trafilatura on the
same pages in the same run, speed and word-level F1 against expected texts.

    extract.py BUILD WORK

Page sets: "fixtures" (tests/fixtures/pages/*.html with their .expected texts; the pages
whose expected method is site-rule are left out, trafilatura has no site rules) and, when
READABILITY_PAGES names a local copy of Mozilla Readability's test/test-pages directory,
"readability" (each source.html with the text of its expected.html); nothing of it is in
this repository.

Speed: pages per CPU-second on one core. Ours is the whole `wiresift extract` process (the
pages given over and over, CPU time from wait4's rusage: start-up, reading, extraction and
JSON output included); trafilatura's is its extract() on pages already in memory (process
CPU time, reading and import excluded). The two take turns three times, best of each.
F1: per page, over the multiset of lower-cased words (\\w+) of the output and of the
expected text, averaged over the pages. trafilatura comes from PyPI into WORK/venv (made
once); when it cannot be installed its lines say SKIPPED. Prints lines for run.sh:
    extract.SET pages=N pages_per_s=X f1=F precision=P recall=R
    trafilatura.SET pages=N pages_per_s=X f1=F precision=P recall=R
It measures; it asserts nothing about time."""
import collections
import html.parser
import json
import os
import re
import subprocess
import sys

ROUNDS_SECONDS = 2.0
MAX_ARGUMENTS = 2000
HERE = os.path.dirname(os.path.abspath(__file__))


class TextOf(html.parser.HTMLParser):
    """The text of an expected.html, scripts and styles excepted."""

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(path):
    parser = TextOf()
    parser.feed(open(path, encoding="utf-8", errors="replace").read())
    return " ".join(parser.parts)


def fixture_pages():
    root = os.path.join(HERE, "..", "fixtures", "pages")
    for name in sorted(os.listdir(root)):
        if not name.endswith(".html"):
            continue
        expected = open(os.path.join(root, name[:-5] + ".expected"), encoding="utf-8").read()
        header, text = expected.split("\n\n", 1)
        if "method: site-rule" not in header.splitlines():
            yield os.path.join(root, name), text


def readability_pages(root):
    for name in sorted(os.listdir(root)):
        source = os.path.join(root, name, "source.html")
        expected = os.path.join(root, name, "expected.html")
        if os.path.isfile(source) and os.path.isfile(expected):
            yield source, html_text(expected)


def words(text):
    return collections.Counter(re.findall(r"\w+", (text or "").lower()))


def scores(outputs, expected_texts):
    precision = recall = f1 = 0.0
    for output, expected in zip(outputs, expected_texts):
        got, want = words(output), words(expected)
        common = sum((got & want).values())
        p = common / sum(got.values()) if got else 0.0
        r = common / sum(want.values()) if want else 0.0
        precision, recall = precision + p, recall + r
        f1 += 2 * p * r / (p + r) if p + r else 0.0
    n = max(len(outputs), 1)
    return "f1=%.3f precision=%.3f recall=%.3f" % (f1 / n, precision / n, recall / n)


def ours_speed(build, paths):
    """Pages per CPU-second of `wiresift extract` given the pages over and over (in processes
    of at most MAX_ARGUMENTS pages, the command line has a limit) until ~2 s of CPU."""
    repeat = max(1, MAX_ARGUMENTS // len(paths))
    pages, seconds = 0, 0.0
    while seconds < ROUNDS_SECONDS:
        process = subprocess.Popen([os.path.join(build, "wiresift"), "extract"] +
                                   paths * repeat, stdout=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        pages += len(paths) * repeat
        seconds += usage.ru_utime + usage.ru_stime
    return pages / seconds


def venv_python(work):
    """The venv's python with trafilatura importable, or None (and why)."""
    venv = os.path.join(work, "venv")
    python = os.path.join(venv, "bin", "python")
    check = [python, "-c", "import trafilatura"]
    if os.path.exists(python) and subprocess.run(check, capture_output=True).returncode == 0:
        return python, None
    steps = [[sys.executable, "-m", "venv", venv],
             [python, "-m", "pip", "install", "-q", "trafilatura", "lxml_html_clean"]]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            return None, (result.stderr.strip().splitlines() or ["failed"])[-1]
    if subprocess.run(check, capture_output=True).returncode != 0:
        return None, "trafilatura does not import"
    return python, None


def peer_run(python, work, paths):
    out = os.path.join(work, "trafilatura-texts.json")
    line = subprocess.run([python, os.path.join(HERE, "trafilatura_run.py"),
                           str(ROUNDS_SECONDS), out] + paths, capture_output=True,
                          text=True, check=True).stdout.strip().splitlines()[-1]
    rate = float(re.search(r"pages_per_s=([0-9.]+)", line).group(1))
    return rate, json.load(open(out, encoding="utf-8"))


def measure(name, build, work, python, why_not, pages):
    paths = [path for path, _ in pages]
    expected = [text for _, text in pages]
    result = subprocess.run([os.path.join(build, "wiresift"), "extract"] + paths,
                            capture_output=True, text=True)
    ours = [json.loads(line).get("text") for line in result.stdout.splitlines()]
    ours_rate = peer_rate = None
    peer_texts = None
    for _ in range(3):
        rate = ours_speed(build, paths)
        ours_rate = rate if ours_rate is None else max(ours_rate, rate)
        if python is not None:
            rate, peer_texts = peer_run(python, work, paths)
            peer_rate = rate if peer_rate is None else max(peer_rate, rate)
    print("extract.%s pages=%d pages_per_s=%.1f %s" % (name, len(paths), ours_rate,
                                                       scores(ours, expected)))
    if python is None:
        print("trafilatura.%s SKIPPED (%s)" % (name, why_not))
    else:
        print("trafilatura.%s pages=%d pages_per_s=%.1f %s" % (name, len(paths), peer_rate,
                                                               scores(peer_texts, expected)))
    sys.stdout.flush()


def main():
    build, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    python, why_not = venv_python(work)
    measure("fixtures", build, work, python, why_not, list(fixture_pages()))
    root = os.environ.get("READABILITY_PAGES")
    if root and os.path.isdir(root):
        measure("readability", build, work, python, why_not, list(readability_pages(root)))
    else:
        print("extract.readability SKIPPED (READABILITY_PAGES names no local copy of "
              "Readability's test/test-pages)")


main()
