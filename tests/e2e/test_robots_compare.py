"""test_robots_compare.py - daemon/robots.c (through build/tools/robots_check) against Protego,
Scrapy's independent robots.txt parser, on robots.txt files and paths generated from a fixed
seed: groups for `*`, for us and for another crawler, allow and disallow rules with `*` and a
final `$`, comments, blank lines, CRLF. Both must give the same verdict for every path.

Protego is not part of the build: the test skips when `import protego` fails (pip install
protego). Cases where the two are known to read RFC 9309 differently are not generated:
product tokens with a version or suffix ("wiresift/2.0": Protego compares whole strings),
percent-encoded and non-ASCII bytes (Protego re-quotes them its own way).
"""

import random
import subprocess

import pytest

import helpers

protego = pytest.importorskip("protego")

AGENTS = ["*", "wiresift", "otherbot", "WireSift"]
SEGMENTS = ["a", "b", "news", "print", "x.pdf", "page.html", "2024", "q"]


def random_pattern(rng):
	parts = ["/"]
	for _ in range(rng.randint(0, 3)):
		choice = rng.random()
		if choice < 0.2:
			parts.append("*")
		elif choice < 0.3:
			parts.append("?q=")
		else:
			parts.append(rng.choice(SEGMENTS) + rng.choice(["", "/"]))
	pattern = "".join(parts).replace("**", "*")
	if rng.random() < 0.15:
		pattern += "$"
	return pattern


def random_robots(rng):
	lines = []
	for _ in range(rng.randint(1, 4)):
		for agent in rng.sample(AGENTS, rng.randint(1, 2)):
			lines.append("User-agent: %s" % agent)
		for _ in range(rng.randint(0, 5)):
			verb = rng.choice(["Allow", "Disallow", "Disallow"])
			comment = "  # why" if rng.random() < 0.1 else ""
			lines.append("%s: %s%s" % (verb, random_pattern(rng), comment))
		if rng.random() < 0.5:
			lines.append("")
	end = "\r\n" if rng.random() < 0.2 else "\n"
	return end.join(lines) + end


def random_path(rng):
	path = "/" + "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 3)))
	if rng.random() < 0.2:
		path += "?q=%d" % rng.randint(0, 9)
	return path


def ours(robots_file, paths):
	binary = helpers.build_dir() / "tools" / "robots_check"
	result = subprocess.run([str(binary), str(robots_file), "wiresift"] + paths,
	    capture_output=True, text=True, check=True, timeout=30)
	return [line == "allow" for line in result.stdout.splitlines()[:len(paths)]]


def test_same_verdicts_as_protego(tmp_path):
	rng = random.Random(9309)
	compared = 0
	disagreements = []
	for case in range(300):
		body = random_robots(rng)
		paths = sorted({random_path(rng) for _ in range(25)})
		robots_file = tmp_path / ("robots-%d.txt" % case)
		robots_file.write_text(body)
		theirs = protego.Protego.parse(body)
		for path, verdict in zip(paths, ours(robots_file, paths)):
			expected = theirs.can_fetch("http://example.org" + path, "wiresift")
			compared += 1
			if verdict != expected:
				disagreements.append((body, path, verdict, expected))
	assert compared > 5000
	assert not disagreements, "%d of %d differ, first: %r" % (len(disagreements),
	    compared, disagreements[0])
