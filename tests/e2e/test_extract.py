"""test_extract.py - `wiresift extract FILE|URL...` end to end: the fixture pages of
tests/fixtures/pages/ given as files and as URLs of a real nginx on loopback, mixed with inputs
that cannot be read (a missing file, a 404), in one run.

Proven: one JSON object per input, in input order, each naming its input; the readable ones
carry the text and metadata the fixture's .expected file gives (the same extraction the unit
test checks); an unreadable input gets an object with "error" and the others go on, and the
exit status is then 1; a page fetched over HTTP has the site rules of its host applied (the
configuration's [clean] site_rules) and its URL as url when the page names no canonical one;
--explain reports on standard error what the extractor dropped by reason.
"""

import json
import shutil
import subprocess

from helpers import ROOT, wiresift_binary

PAGES = ROOT / "tests" / "fixtures" / "pages"


def expected(name):
	"""(header dict, text) of NAME.expected."""
	header, text = (PAGES / (name + ".expected")).read_text(encoding="utf-8").split("\n\n", 1)
	fields = dict(line.split(": ", 1) for line in header.splitlines())
	return fields, text.rstrip("\n")


def run_extract(args, config=None):
	command = [str(wiresift_binary()), "extract"]
	if config is not None:
		command += ["-c", str(config)]
	return subprocess.run(command + [str(arg) for arg in args], capture_output=True,
			      text=True, timeout=120)


def test_files_in_order_with_an_unreadable_one(tmp_path):
	names = ["news-full", "jsonld-full", "german", "chinese"]
	inputs = [PAGES / (names[0] + ".html"), tmp_path / "missing.html"] + \
	    [PAGES / (name + ".html") for name in names[1:]]
	result = run_extract(inputs)
	assert result.returncode == 1, result.stderr
	objects = [json.loads(line) for line in result.stdout.splitlines()]
	assert [item["input"] for item in objects] == [str(path) for path in inputs]
	assert objects[1] == {"input": str(inputs[1]), "error": "No such file or directory"}
	for item, name in zip(objects[:1] + objects[2:], names):
		fields, text = expected(name)
		assert item["text"] == text, name
		assert item["title"] == fields["title"], name
		assert item["method"] == fields["method"], name
		assert item["authors"] == fields["authors"].split(", "), name
		assert item["published"] == fields["published"], name
		assert item["words"] > 50, name


def test_urls_over_http_with_site_rules_and_explain(tmp_path, http_server):
	root = tmp_path / "www"
	root.mkdir()
	shutil.copy(PAGES / "site-rule.html", root / "ferry.html")
	shutil.copy(PAGES / "paywall.html", root / "cannery.html")
	server = http_server(root)
	rules = tmp_path / "sites.rules"
	rules.write_text("127.0.0.1 keep .col-b > .txt\n127.0.0.1 drop .txt-ad\n")
	config = tmp_path / "wiresift.conf"
	config.write_text("[clean]\nrules = %s\nsite_rules = %s\n" % (
	    ROOT / "conf" / "rules" / "boilerplate.rules", rules))
	urls = [server.url("/ferry.html"), server.url("/gone.html"), server.url("/cannery.html")]
	result = run_extract(urls, config)
	objects = [json.loads(line) for line in result.stdout.splitlines()]
	assert result.returncode == 1
	assert [item["input"] for item in objects] == urls
	ferry_fields, ferry_text = expected("site-rule")
	assert objects[0]["method"] == "site-rule"
	assert objects[0]["text"] == ferry_text
	assert objects[0]["url"] == urls[0]
	assert objects[1] == {"input": urls[1], "error": "HTTP 404"}
	cannery_fields, cannery_text = expected("paywall")
	assert objects[2]["text"] == cannery_text
	# its rel=canonical names another site than the page's: the URL fetched is kept
	assert objects[2]["url"] == urls[2]
	explained = run_extract(["--explain", urls[2]], config)
	assert "rule=extract:subscription removed=\"Subscribe to continue reading" in \
	    explained.stderr
	paths = [entry["uri"] for entry in server.requests()]
	assert paths.count("/ferry.html") == 1 and paths.count("/gone.html") == 1
