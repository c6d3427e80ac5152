#!/usr/bin/python3
"""crosscheck.py - compare the hand-written expectations in tests/feeds/*.expect.json with what
python3-feedparser (an independent parser) reads from the same files: format, feed title,
item titles, links, guids and dates. Informational: prints each disagreement and a summary;
a disagreement means one of the two (or the expectation) deserves a second look. Decisions
that differ on purpose (see README.md) are listed as "known".

usage: /usr/bin/python3 tests/feeds/crosscheck.py [-v]   (from the repository root)
"""
import calendar, glob, json, os, sys
try:
    import feedparser
except ImportError:
    print("crosscheck: python3-feedparser is not installed; skipped")
    sys.exit(0)

FORMATS = {"rss090": "rss0.90", "rss091n": "rss0.91", "rss091u": "rss0.91", "rss092": "rss0.92",
           "rss093": "rss0.93", "rss094": "rss0.94", "rss20": "rss2.0", "rss10": "rss1.0",
           "rss": "rss2.0", "atom03": "atom0.3", "atom10": "atom1.0", "atom": "atom1.0",
           "json1": "json1.0", "json11": "json1.1"}

# Cases where wiresift decides differently from feedparser on purpose (README.md says why).
KNOWN = {
    "atom03-created-only": "created is the publication date when issued is absent",
    "atom10-source-author": "feedparser resolves a non-URI id against the base",
    "date-atom-leap-second": "a leap second is clamped to :59, not rolled over",
    "date-dashes": "wiresift reads more RFC 822 variants",
    "date-no-zone": "wiresift reads more RFC 822 variants",
    "date-spanish-weekday": "weekday names are ignored, whatever the language",
    "date-us-style-pm": "wiresift reads more RFC 822 variants",
    "date-zone-bst": "feedparser does not know BST",
    "date-zone-cest": "feedparser does not know CEST",
    "enc-control-characters": "C0 controls are dropped (not allowed in XML)",
    "enc-declaration-beats-http-hint": "the HTTP charset is a hint; the XML declaration wins",
    "enc-invalid-numeric-references": "references to forbidden characters become U+FFFD",
    "enc-invalid-utf8-sequences": "a UTF-8 document with a few bad bytes is not re-read as windows-1252",
    "enc-numeric-reference-no-semicolon": "numeric references without ';' are read, as HTML does",
}

def rfc3339(parsed):
    if not parsed:
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(parsed[:6])

def plain(value):
    return isinstance(value, str) and "<" not in value and "&" not in value

def main():
    verbose = "-v" in sys.argv
    agree = disagree = known = 0
    directory = os.path.dirname(os.path.abspath(__file__))
    for expect_path in sorted(glob.glob(os.path.join(directory, "*.expect.json"))):
        name = os.path.basename(expect_path)[:-len(".expect.json")]
        feeds = [p for p in glob.glob(os.path.join(directory, name + ".*")) if p != expect_path]
        if len(feeds) != 1:
            continue
        expect = json.load(open(expect_path))
        if expect.get("error"):
            continue
        if feeds[0].endswith(".json") and not hasattr(feedparser, "parsers") or \
                feeds[0].endswith(".json") and not hasattr(feedparser.parsers, "json"):
            continue    # JSON Feed support came in feedparser 6.1
        headers = {"content-location": "http://example.com/feeds/" + name}
        if "content_type" in expect:
            headers["content-type"] = expect["content_type"]
        elif feeds[0].endswith(".json"):
            headers["content-type"] = "application/feed+json"
        with open(feeds[0], "rb") as f:
            data = f.read()
        result = feedparser.parse(data, response_headers=headers)
        checks = []
        if "format" in expect and expect["format"]:
            checks.append(("format", expect["format"], FORMATS.get(result.version, result.version)))
        if plain(expect.get("title")):
            checks.append(("title", expect["title"], result.feed.get("title")))
        for index, item in enumerate(expect.get("item", [])):
            if index >= len(result.entries):
                checks.append(("item[%d]" % index, "present", "missing"))
                continue
            entry = result.entries[index]
            if plain(item.get("title_raw")):
                checks.append(("item[%d].title" % index, item["title_raw"], entry.get("title")))
            if item.get("link"):
                checks.append(("item[%d].link" % index, item["link"], entry.get("link")))
            if item.get("guid"):
                checks.append(("item[%d].guid" % index, item["guid"], entry.get("id")))
            if "published" in item and item["published"]:
                checks.append(("item[%d].published" % index, item["published"],
                               rfc3339(entry.get("published_parsed") or entry.get("updated_parsed"))))
        for key, wanted, got in checks:
            if wanted == got:
                agree += 1
            elif name in KNOWN:
                known += 1
                if verbose:
                    print("%s: %s: known difference: %s" % (name, key, KNOWN[name]))
            else:
                disagree += 1
                print("%s: %s: expectation %r, feedparser %r" % (os.path.basename(feeds[0]), key, wanted, got))
        if verbose and not checks:
            print("%s: nothing comparable" % name)
    print("crosscheck: %d agreements, %d known differences, %d disagreements with feedparser %s"
          % (agree, known, disagree, feedparser.__version__))

main()
