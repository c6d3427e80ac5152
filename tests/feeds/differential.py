#!/usr/bin/python3
"""differential.py - `wiresift parse` against two independent feed parsers, field by field.

Runs wiresift parse, python3-feedparser and gofeed (tests/tools/gofeed_items, built with Go
from the module proxy) over every feed of the conformance suite (tests/feeds/), the demo
feeds (conf/demo/feeds/) and feeds the test generators build (tests/bench/gen_feeds.py), and
compares each item's fields: title, link, guid, published, updated, summary, content,
authors (name, email), categories (terms) and enclosures (URLs).

Every disagreement is either fixed or listed in tests/feeds/differences.txt with its reason:
  equivalent       the same value written another way: left out of the agreement figure
  reference-error  the reference contradicts its format's specification (a consumer would
                   take wiresift's reading): left out of the figure, counted apart
  deliberate       wiresift decides otherwise on purpose: counted as a disagreement
A disagreement that is not listed fails the run, and so does a listed one that no longer
happens (stale). The agreement is reported per field, and against the targets of issue 13
(97% feedparser, 93% gofeed) as "met" or "NOT met": a deliberate difference is a decision
the project made, so falling short is reported, not failed.

How fields are compared (what both sides are reduced to):
  - HTML (summary, content, and titles that are HTML): the text a reader sees (tags dropped,
    entities decoded, white space collapsed) plus the URLs of href/src, so that the same
    markup serialised differently (<br> / <br />, attribute quotes) agrees;
  - summary: feedparser gives an item without a summary its first content as summary, and
    wiresift's summary is compared the same way (content when there is no summary);
  - dates as RFC 3339 UTC to the second; authors as (name, email) pairs; categories as the
    list of terms; enclosures as the list of URLs;
  - a link, enclosure or HTML href/src a reference leaves relative is resolved (RFC 3986 5.2)
    against the base wiresift reports for that field (the feed URL, or the xml:base in effect)
    before it is judged: if it is then the same, the two are "equivalent" (the same URL
    written relative), left out of the figure without a line in differences.txt.

usage: python3 tests/feeds/differential.py [--gofeed PROGRAM] [--only feedparser|gofeed]
           [-v] [BUILD]                    (from the repository root; BUILD defaults to build)
Exit status: 0 when every disagreement is documented and the targets are met, 1 otherwise,
77 when the reference asked for with --only is not available (the test reports SKIPPED).
"""
import calendar, collections, fnmatch, functools, glob, html, html.parser, http.server, json
import os, re, shutil, subprocess, sys, tempfile, threading, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIELDS = ("title", "link", "guid", "published", "updated", "summary", "content", "authors",
          "categories", "enclosures")
TARGETS = {"feedparser": 97.0, "gofeed": 93.0}
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.urls = [], []

    def handle_starttag(self, tag, attrs):
        self.parts.append(" ")
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_endtag(self, tag):
        self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def html_view(value):
    """What a reader gets from an HTML fragment: its text and its link targets."""
    if not value:
        return None
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return (text, tuple(parser.urls)) if text or parser.urls else None


def text_view(value):
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def rfc3339(parsed):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(parsed[:6]) if parsed else None


def go_time(text):
    if not text:
        return None
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return None
    fields = [int(x) for x in match.groups()[:6]]
    seconds = calendar.timegm(tuple(fields) + (0, 0, 0))
    zone = match.group(7)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return rfc3339(__import__("time").gmtime(seconds))


def view(field, value, is_html=True):
    """A field reduced to what is compared."""
    if field in ("summary", "content"):
        return html_view(value)
    if field == "title":
        return html_view(value if is_html else html.escape(value)) if value else None
    if field in ("authors", "categories", "enclosures"):
        return tuple(value) if value else None
    return text_view(value)


# ---- the three parsers, each item as {field: value} ----

def wiresift_items(binary, url):
    result = subprocess.run([binary, "parse", url], capture_output=True, text=True, timeout=60)
    items, feed = [], None
    for line in result.stdout.splitlines():
        record = json.loads(line)
        if record.get("record") == "feed":
            feed = record["feed"]
            continue
        items.append(record)
    if feed is None or feed.get("error") is not None:
        return None     # not read as a feed (the feed line then says why)
    out = []
    for item in items:
        summary = item.get("summary") if item.get("summary") is not None else item.get("content")
        summary_html = (item.get("summary_type") if item.get("summary") is not None
                        else item.get("content_type")) != "text"
        out.append({
            "title": view("title", item.get("title"), item.get("title_type") != "text"),
            "link": view("link", item.get("url")),
            "guid": view("guid", item.get("guid")),
            "published": item.get("published"),
            "updated": item.get("updated"),
            "summary": html_view(summary) if summary_html else html_view(html.escape(summary or "")),
            "content": html_view(item.get("content")) if item.get("content_type") != "text"
            else html_view(html.escape(item.get("content") or "")),
            "authors": view("authors", [(a["name"], a["email"]) for a in item["authors"]]),
            "categories": view("categories", [c["term"] or c["label"] for c in item["categories"]]),
            "enclosures": view("enclosures", [e["url"] for e in item["enclosures"]]),
            "_bases": {"link": (item.get("feed") or {}).get("url"),
                       "summary": item.get("summary_base") if item.get("summary") is not None
                       else item.get("content_base"),
                       "content": item.get("content_base")},
        })
    return out


def resolved_view(field, value, bases):
    """A reference's value with its relative references resolved (RFC 3986 5.2) against the
    base wiresift says is in effect there (the feed URL, or the field's xml:base): a URL the
    reference leaves relative is the same URL, not a disagreement."""
    base = (bases or {}).get("link" if field in ("link", "enclosures") else field)
    if value is None or not base:
        return None
    join = urllib.parse.urljoin
    if field == "link":
        return join(base, value)
    if field == "enclosures":
        return tuple(join(base, url) for url in value)
    if field in ("summary", "content"):
        return (value[0], tuple(join(base, url) for url in value[1]))
    return None


def feedparser_items(path, url):
    import feedparser
    if path.endswith(".json") and not hasattr(getattr(feedparser, "parsers", None), "json"):
        return "unread"     # JSON Feed came with feedparser 6.1
    headers = {"content-location": url}
    if path.endswith(".json"):
        headers["content-type"] = "application/feed+json"
    with open(path, "rb") as source:
        result = feedparser.parse(source.read(), response_headers=headers, sanitize_html=False)
    if not result.get("version") and not result.entries:
        return None
    out = []
    for entry in result.entries:
        content = (entry.get("content") or [{}])[0]
        summary_detail = entry.get("summary_detail") or content
        title_detail = entry.get("title_detail") or {}
        out.append({
            "title": view("title", entry.get("title"), title_detail.get("type") != "text/plain"),
            "link": view("link", entry.get("link")),
            "guid": view("guid", entry.get("id")),
            # dict.get: FeedParserDict.get answers "updated" with the published date
            "published": rfc3339(dict.get(entry, "published_parsed")),
            "updated": rfc3339(dict.get(entry, "updated_parsed")),
            "summary": html_view(entry.get("summary")) if summary_detail.get("type") != "text/plain"
            else html_view(html.escape(entry.get("summary") or "")),
            "content": html_view(content.get("value")) if content.get("type") != "text/plain"
            else html_view(html.escape(content.get("value") or "")),
            "authors": view("authors", [(a.get("name"), a.get("email"))
                                        for a in entry.get("authors", []) if a]),
            "categories": view("categories", [t.get("term") or t.get("label")
                                              for t in entry.get("tags", []) if t.get("term") or t.get("label")]),
            "enclosures": view("enclosures", [e.get("href") for e in entry.get("enclosures", [])]),
        })
    return out


def gofeed_all(program, paths):
    """gofeed's reading of every file at once (one process): {path: [items] or None}."""
    found = {}
    for start in range(0, len(paths), 200):
        result = subprocess.run([program] + paths[start:start + 200], capture_output=True,
                                text=True, timeout=120)
        for line in result.stdout.splitlines():
            record = json.loads(line)
            feed = record.get("feed")
            found[record["file"]] = None if feed is None else [gofeed_item(i) for i in feed.get("items") or []]
    return found


def gofeed_item(item):
    return {
        "title": view("title", item.get("title")),
        "link": view("link", item.get("link")),
        "guid": view("guid", item.get("guid")),
        "published": go_time(item.get("published") and item.get("publishedParsed")),
        "updated": go_time(item.get("updated") and item.get("updatedParsed")),
        "summary": html_view(item.get("description")) or html_view(item.get("content")),
        "content": html_view(item.get("content")),
        "authors": view("authors", [(a.get("name") or None, a.get("email") or None)
                                    for a in item.get("authors") or []]),
        "categories": view("categories", [c for c in item.get("categories") or [] if c.strip()]),
        "enclosures": view("enclosures", [e.get("url") for e in item.get("enclosures") or []]),
    }


# ---- inputs, documented differences, comparison ----

def inputs(work):
    """Every feed compared, copied under work: names ("feeds/x.xml") are what differences.txt
    matches and what the loopback server serves them as."""
    names = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "feeds", "*"))):
        name = os.path.basename(path)
        if not name.endswith(FEED_SUFFIXES) or name.endswith(".expect.json"):
            continue
        expect = os.path.splitext(path)[0] + ".expect.json"
        if os.path.exists(expect) and "content_type" in json.load(open(expect)):
            continue    # wants an HTTP charset the loopback server does not send
        names.append(("feeds/" + name, path))
    for path in sorted(glob.glob(os.path.join(ROOT, "conf", "demo", "feeds", "*"))):
        names.append(("demo/" + os.path.basename(path), path))
    generator = os.path.join(ROOT, "tests", "bench", "gen_feeds.py")
    generated = os.path.join(work, "generated")
    for args in (["many", generated + "/many", "3", "6"], ["articles", generated + "/articles", "2", "4"]):
        subprocess.run([sys.executable, generator] + args, check=True, capture_output=True)
    for name, path in names:
        os.makedirs(os.path.dirname(os.path.join(work, name)), exist_ok=True)
        shutil.copyfile(path, os.path.join(work, name))
    return [name for name, path in names] + sorted(
        os.path.relpath(p, work) for p in glob.glob(generated + "/*/*.xml"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".json": "application/feed+json", "": "application/xml"}

    def guess_type(self, path):
        return "application/feed+json" if path.endswith(".json") else "application/xml"

    def log_message(self, *args):
        pass


def serve(directory):
    """The feeds over HTTP on loopback (so every parser resolves against the same http: base)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_Quiet, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def load_differences():
    entries = []
    with open(os.path.join(ROOT, "tests", "feeds", "differences.txt")) as listing:
        for number, line in enumerate(listing, 1):
            line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
            if not line:
                continue
            parts = line.split(None, 4)
            if len(parts) < 5 or parts[3] not in ("equivalent", "reference-error", "deliberate"):
                sys.exit("differences.txt:%d: want PARSER FILE FIELD CLASS REASON" % number)
            entries.append({"parser": parts[0], "file": parts[1], "field": parts[2],
                            "class": parts[3], "reason": parts[4], "used": False, "line": number})
    return entries


def documented(differences, parser, name, field):
    for entry in differences:
        if entry["parser"] == parser and fnmatch.fnmatch(name, entry["file"]) and \
                fnmatch.fnmatch(field, entry["field"]):
            entry["used"] = True
            return entry
    return None


def compare(parser, ours, theirs, differences, verbose):
    counts = {field: collections.Counter() for field in FIELDS}
    problems = []
    for name, our_items in ours.items():
        their_items = theirs.get(name)
        if their_items == "unread":
            continue
        if our_items is None or their_items is None:
            if (our_items is None) != (their_items is None) and not documented(
                    differences, parser, name, "feed"):
                problems.append("%s: %s reads it as a feed, %s does not" % (
                    name, "wiresift" if their_items is None else parser,
                    parser if their_items is None else "wiresift"))
            continue
        for index in range(max(len(our_items), len(their_items))):
            mine = our_items[index] if index < len(our_items) else {}
            other = their_items[index] if index < len(their_items) else {}
            for field in FIELDS:
                a, b = mine.get(field), other.get(field)
                if a is None and b is None:
                    continue
                if a == b:
                    counts[field]["agree"] += 1
                    continue
                if a is not None and resolved_view(field, b, mine.get("_bases")) == a:
                    counts[field]["equivalent"] += 1
                    if verbose:
                        print("  %s item %d %s: equivalent (the reference's relative URL, "
                              "resolved)" % (name, index, field))
                    continue
                entry = documented(differences, parser, name, field)
                kind = entry["class"] if entry else "undocumented"
                counts[field][kind] += 1
                if entry is None:
                    problems.append("%s item %d %s: wiresift %r, %s %r" % (
                        name, index, field, a, parser, b))
                elif verbose:
                    print("  %s item %d %s: %s (%s)" % (name, index, field, kind, entry["reason"]))
    return counts, problems


def report(parser, counts):
    total = collections.Counter()
    print("%s: agreement per field (equivalent and reference-error left out; strict: all "
          "checks)" % parser)
    line = "  %-11s %5.1f%%  strict %5.1f%%  %4d agree %3d deliberate %3d undocumented " \
        "%3d equivalent %3d reference-error"
    for field in FIELDS + ("all",):
        c = counts[field] if field != "all" else total
        if field != "all":
            total.update(c)
        judged = c["agree"] + c["deliberate"] + c["undocumented"]
        checks = judged + c["equivalent"] + c["reference-error"]
        if checks:
            print(line % (field, 100.0 * c["agree"] / max(judged, 1), 100.0 * c["agree"] / checks,
                          c["agree"], c["deliberate"], c["undocumented"], c["equivalent"],
                          c["reference-error"]))
    judged = total["agree"] + total["deliberate"] + total["undocumented"]
    share = 100.0 * total["agree"] / judged if judged else 100.0
    print("  target %.0f%%: %s" % (TARGETS[parser], "met" if share >= TARGETS[parser] else "NOT met"))
    return share


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    only = args[args.index("--only") + 1] if "--only" in args else None
    gofeed = args[args.index("--gofeed") + 1] if "--gofeed" in args else None
    rest = [a for i, a in enumerate(args) if not a.startswith("-") and
            (i == 0 or args[i - 1] not in ("--only", "--gofeed"))]
    build = rest[0] if rest else "build"
    binary = os.path.join(build, "wiresift")
    references = []
    if only in (None, "feedparser"):
        try:
            import feedparser  # noqa: F401
            references.append("feedparser")
        except ImportError:
            print("differential: python3-feedparser is not installed: feedparser SKIPPED")
    if only in (None, "gofeed"):
        if gofeed and os.access(gofeed, os.X_OK):
            references.append("gofeed")
        else:
            print("differential: no gofeed program (tests/tools/gofeed_items): gofeed SKIPPED")
    if not references:
        return 77
    differences = load_differences()
    failed = False
    with tempfile.TemporaryDirectory() as work:
        feeds = inputs(work)
        server = serve(work)
        base = "http://127.0.0.1:%d/" % server.server_address[1]
        ours = {name: wiresift_items(binary, base + name) for name in feeds}
        server.shutdown()
        server.server_close()
        for parser in references:
            if parser == "feedparser":
                theirs = {name: feedparser_items(os.path.join(work, name), base + name)
                          for name in feeds}
            else:
                read = gofeed_all(gofeed, [os.path.join(work, name) for name in feeds])
                theirs = {name: read.get(os.path.join(work, name)) for name in feeds}
            counts, problems = compare(parser, ours, theirs, differences, verbose)
            share = report(parser, counts)
            for problem in problems:
                print("  UNDOCUMENTED " + problem)
            if problems:
                failed = True
        print("differential: %d feeds compared" % len(feeds))
    for entry in differences:
        if not entry["used"] and entry["parser"] in references:
            print("differences.txt:%d: stale, no longer happens: %s %s %s" % (
                entry["line"], entry["parser"], entry["file"], entry["field"]))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
