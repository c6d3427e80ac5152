#!/usr/bin/env python3
"""gen_feeds.py - writes the synthetic feeds `make bench` measures with.

    gen_feeds.py large DIR [MEGABYTES]     DIR/large.rss (RSS 2.0) and DIR/large.atom (Atom 1.0),
                                           each about MEGABYTES (default 24) of realistic items
    gen_feeds.py many DIR COUNT ITEMS      DIR/00000.xml ... COUNT small RSS 2.0 feeds of ITEMS
                                           items each (every item a distinct article), each
                                           with a gzip'd copy NAME.gz for nginx's gzip_static

The text is random sentences over a small vocabulary written for this file (no one else's
prose), seeded so every run writes the same bytes. Items look like what news sites serve:
title, link, guid, pubDate, dc:creator, categories, an escaped-HTML description and a
content:encoded body in CDATA with paragraphs, links and emphasis.
"""

import gzip
import os
import random
import sys
import time
from xml.sax.saxutils import escape

NOUNS = ("council harbour ministry budget river bridge school festival election report "
	 "committee market railway storm hospital museum airport contract court factory "
	 "village coalition treaty province mayor farmers workers union tunnel vaccine "
	 "orchestra league museum satellite reactor forest drought harvest ferry port "
	 "parliament senate agency inquiry protest highway library stadium refinery").split()
VERBS = ("approved rejected announced delayed opened closed expanded questioned funded "
	 "cancelled reviewed criticised praised postponed confirmed denied launched blocked "
	 "extended reduced doubled inspected restored challenged").split()
ADJECTIVES = ("regional national local new former early late annual coastal northern "
	      "southern eastern western independent public private temporary emergency "
	      "record disputed long-awaited unexpected modest sharp").split()
CONNECTORS = ("after while because although before since as until when "
	      "even though despite reports that").split()
PLACES = ("Saltmere Lorrin Veskara Dunhollow Ambreth Corvale Istren Marwick Pellan "
	  "Tosk Quenby Harrowgate Eldmoor Brisca Ostvale").split()
PEOPLE = ("Ilsa Navarre;Tomas Brecht;Anneke Solberg;Rafael Ondine;Mira Castellan;"
	  "Jonas Pirrel;Helga Morrow;Dmitri Vale;Priya Anand;Oskar Lindqvist").split(";")
SECTIONS = "politics business science sport culture health weather transport world".split()
WEEKDAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def sentence(rng, words=None):
	"""One plain sentence of about `words` words (random 12-24 when None)."""
	target = words or rng.randint(12, 24)
	parts = []
	while len(parts) < target:
		parts += ["the", rng.choice(ADJECTIVES), rng.choice(NOUNS), "in", rng.choice(PLACES),
			  rng.choice(VERBS), "the", rng.choice(NOUNS)]
		if len(parts) < target:
			parts.append(rng.choice(CONNECTORS))
	text = " ".join(parts[:target])
	return text[0].upper() + text[1:] + "."


def paragraph_html(rng, sentences):
	"""A <p> of sentences with the odd link, emphasis and quote, as CMS output looks."""
	pieces = []
	for _ in range(sentences):
		text = sentence(rng)
		roll = rng.random()
		if roll < 0.15:
			word = rng.choice(NOUNS)
			text = text.replace(" %s " % word, ' <a href="https://news.example/topic/%s'
					    '?utm_source=rss">%s</a> ' % (word, word), 1)
		elif roll < 0.25:
			text = "<strong>%s</strong>" % text
		elif roll < 0.32:
			text = "&#8220;%s&#8221; said %s." % (text[:-1], rng.choice(PEOPLE))
		pieces.append(text)
	return "<p>%s</p>" % " ".join(pieces)


def rfc822(timestamp):
	moment = time.gmtime(timestamp)
	return "%s, %02d %s %d %02d:%02d:%02d +0000" % (
		WEEKDAYS[moment.tm_wday], moment.tm_mday, MONTHS[moment.tm_mon - 1], moment.tm_year,
		moment.tm_hour, moment.tm_min, moment.tm_sec)


def rfc3339(timestamp):
	return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def item_fields(rng, serial, paragraphs):
	"""The fields of one article: a dict both writers render."""
	title = sentence(rng, rng.randint(7, 13))[:-1]
	slug = "-".join(title.lower().split()[:6])
	body = "\n".join(paragraph_html(rng, rng.randint(2, 4)) for _ in range(paragraphs))
	return {
		"title": title,
		"link": "https://news.example/%s/%d/%s" % (rng.choice(SECTIONS), serial, slug),
		"guid": "urn:bench:item:%d" % serial,
		"time": 1780000000 - serial * 37,
		"author": rng.choice(PEOPLE),
		"categories": rng.sample(SECTIONS, 2),
		"summary": "<p>%s</p>" % sentence(rng, rng.randint(25, 40)),
		"body": body,
	}


def rss_item(fields):
	categories = "".join("      <category>%s</category>\n" % c for c in fields["categories"])
	return ("    <item>\n"
		"      <title>%s</title>\n"
		"      <link>%s</link>\n"
		"      <guid isPermaLink=\"false\">%s</guid>\n"
		"      <pubDate>%s</pubDate>\n"
		"      <dc:creator>%s</dc:creator>\n"
		"%s"
		"      <description>%s</description>\n"
		"      <content:encoded><![CDATA[%s]]></content:encoded>\n"
		"    </item>\n") % (
		escape(fields["title"]), fields["link"], fields["guid"], rfc822(fields["time"]),
		fields["author"], categories, escape(fields["summary"]), fields["body"])


def atom_entry(fields):
	categories = "".join('    <category term="%s"/>\n' % c for c in fields["categories"])
	return ("  <entry>\n"
		"    <title>%s</title>\n"
		"    <link rel=\"alternate\" type=\"text/html\" href=\"%s\"/>\n"
		"    <id>%s</id>\n"
		"    <updated>%s</updated>\n"
		"    <published>%s</published>\n"
		"    <author><name>%s</name></author>\n"
		"%s"
		"    <summary type=\"html\">%s</summary>\n"
		"    <content type=\"html\">%s</content>\n"
		"  </entry>\n") % (
		escape(fields["title"]), fields["link"], fields["guid"], rfc3339(fields["time"]),
		rfc3339(fields["time"]), fields["author"], categories, escape(fields["summary"]),
		escape(fields["body"]))


RSS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>%s</title>
    <link>https://news.example/</link>
    <atom:link href="https://news.example/%s" rel="self" type="application/rss+xml"/>
    <description>Synthetic feed written by wiresift's benchmark generator.</description>
    <language>en</language>
    <lastBuildDate>%s</lastBuildDate>
"""
RSS_TAIL = "  </channel>\n</rss>\n"
ATOM_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Benchmark Atom feed</title>
  <id>urn:bench:atom</id>
  <link rel="self" href="https://news.example/large.atom"/>
  <link rel="alternate" href="https://news.example/"/>
  <updated>%s</updated>
"""
ATOM_TAIL = "</feed>\n"


def write_large(directory, megabytes):
	limit = megabytes * 1024 * 1024
	for name, head, tail, render in (
			("large.rss", RSS_HEAD % ("Benchmark RSS feed", "large.rss", rfc822(1780000000)),
			 RSS_TAIL, rss_item),
			("large.atom", ATOM_HEAD % rfc3339(1780000000), ATOM_TAIL, atom_entry)):
		rng = random.Random(20260101)
		path = os.path.join(directory, name)
		items = 0
		with open(path, "w", encoding="utf-8") as out:
			out.write(head)
			written = len(head)
			while written < limit:
				text = render(item_fields(rng, items, rng.randint(3, 8)))
				out.write(text)
				written += len(text.encode("utf-8"))
				items += 1
			out.write(tail)
		print("%s items=%d bytes=%d" % (path, items, os.path.getsize(path)))


def write_many(directory, count, items_per_feed):
	"""COUNT small feeds; item serials never repeat across feeds, so every item is new."""
	feed_dir = directory
	os.makedirs(feed_dir, exist_ok=True)
	rng = random.Random(20260202)
	serial = 0
	total = 0
	for feed in range(count):
		name = "%05d.xml" % feed
		parts = [RSS_HEAD % ("Bench feed %d" % feed, name, rfc822(1780000000))]
		for _ in range(items_per_feed):
			fields = item_fields(rng, serial, rng.randint(1, 2))
			fields["guid"] = "https://feed%d.news.example/item/%d" % (feed, serial)
			fields["link"] = fields["guid"]
			parts.append(rss_item(fields))
			serial += 1
		parts.append(RSS_TAIL)
		data = "".join(parts).encode("utf-8")
		total += len(data)
		path = os.path.join(feed_dir, name)
		with open(path, "wb") as out:
			out.write(data)
		with open(path + ".gz", "wb") as out:
			out.write(gzip.compress(data, compresslevel=6, mtime=0))
		stat = os.stat(path)
		os.utime(path + ".gz", ns=(stat.st_atime_ns, stat.st_mtime_ns))
	print("%s feeds=%d items=%d bytes=%d" % (feed_dir, count, serial, total))


def main(argv):
	if len(argv) >= 3 and argv[1] == "large":
		os.makedirs(argv[2], exist_ok=True)
		write_large(argv[2], int(argv[3]) if len(argv) > 3 else 24)
	elif len(argv) == 5 and argv[1] == "many":
		os.makedirs(argv[2], exist_ok=True)
		write_many(argv[2], int(argv[3]), int(argv[4]))
	else:
		sys.stderr.write(__doc__)
		return 2
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
