#!/usr/bin/env python3
"""gen_feeds.py - writes the synthetic feeds `make bench` measures with.

    gen_feeds.py large DIR [MEGABYTES]     DIR/large.rss (RSS 2.0) and DIR/large.atom (Atom 1.0),
                                           each about MEGABYTES (default 24) of realistic items
    gen_feeds.py many DIR COUNT ITEMS      DIR/00000.xml ... COUNT small RSS 2.0 feeds of ITEMS
                                           items each (every item a distinct article), each
                                           with a gzip'd copy NAME.gz for nginx's gzip_static
    gen_feeds.py articles DIR COUNT ITEMS  the same layout, items of news-article size: 600-900
                                           words (4-6 KB of text) in 8-14 paragraphs with
                                           links, a photo caption or a related-links block,
                                           names from conf/gazetteers, and one item in ten a
                                           wire copy of an earlier item of another feed

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


# The realistic corpus ("articles"): common English words by rough frequency (a Zipf-like
# weight by rank), written for this file, plus names the entities plugin knows.
FUNCTION_WORDS = ("the of and to a in that is for on was with he it as said at by from his "
		  "be have has an are they this but not were had its who their been after "
		  "will would more than also which when about up out over new into two there "
		  "one some could year last first before other where while only so three").split()
NEWS_WORDS = ("government minister officials police people country city week month state "
	      "president talks report percent million billion military forces border security "
	      "election vote party leader court judge law ruling prices market economy trade "
	      "company shares investors bank rates inflation energy oil gas power plant climate "
	      "weather flooding wildfire emergency hospital health doctors patients workers "
	      "strike union agreement deal ceasefire troops attack killed wounded residents "
	      "village region capital province spokesman statement told reporters according "
	      "announced warned called expected plans support opposition protest demonstrators "
	      "aid humanitarian refugees migrants schools students children families water food "
	      "supplies prison sentence charges investigation prosecutors evidence documents "
	      "meeting summit negotiations sanctions exports imports tariffs budget spending "
	      "taxes debt growth jobs unemployment construction housing rents transport airport "
	      "railway flights passengers crash fire storm earthquake rescue teams damage "
	      "ministry agency council committee parliament lawmakers senators bill reform "
	      "policy strategy campaign candidates voters results polls survey research "
	      "scientists study data technology internet phone online users platform service "
	      "contract project funding program officials source sources local national "
	      "international foreign domestic previous recent former senior chief deputy "
	      "major small large higher lower early late long short public private").split()
CAPTIONS = ("Residents gather outside the %s in %s", "Officials arrive for talks in %s on %s",
	    "A view of the %s near %s", "Rescue teams work at the %s in %s")


def article_vocabulary():
	"""(words, cum_weights): function words weigh most, news words by a 1/rank curve."""
	words = FUNCTION_WORDS + NEWS_WORDS + NOUNS + VERBS + ADJECTIVES
	weights, total = [], 0.0
	for rank, _ in enumerate(words):
		total += (2.0 if rank < len(FUNCTION_WORDS) else 1.0) / (rank + 8)
		weights.append(total)
	return words, weights


def gazetteer_names():
	"""Full names from conf/gazetteers (people, places, organizations), for mentions."""
	root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
			    "gazetteers")
	names = []
	for kind in ("people", "places", "organizations"):
		with open(os.path.join(root, kind + ".txt"), encoding="utf-8") as source:
			names += [line.strip() for line in source
				  if line.strip() and not line.startswith("#")]
	return names or PLACES


class ArticleWriter:
	"""Builds realistic article bodies; remembers originals to plant wire copies of."""

	def __init__(self, rng):
		self.rng = rng
		self.words, self.weights = article_vocabulary()
		self.names = gazetteer_names()
		self.originals = []	# (feed, fields) of recent originals

	def sentence(self, count):
		rng = self.rng
		words = rng.choices(self.words, cum_weights=self.weights, k=count)
		if rng.random() < 0.45:
			words[rng.randrange(count)] = rng.choice(self.names)
		if rng.random() < 0.2:
			words.insert(rng.randrange(count), "%d" % rng.randint(2, 2026))
		text = " ".join(words)
		return text[0].upper() + text[1:] + "."

	def paragraph(self, words):
		rng = self.rng
		pieces, written = [], 0
		while written < words:
			count = rng.randint(10, 28)
			text = self.sentence(count)
			roll = rng.random()
			if roll < 0.12:
				word = text.split()[rng.randrange(1, count)].strip(".")
				text = text.replace(" %s" % word, ' <a href="https://news.example/tag/%s'
						    '?utm_source=rss&amp;utm_medium=feed">%s</a>' % (
							    word.lower(), word), 1)
			elif roll < 0.2:
				text = "&#8220;%s,&#8221; %s said." % (text[:-1], rng.choice(PEOPLE))
			elif roll < 0.25:
				text = "<em>%s</em>" % text
			pieces.append(text)
			written += count
		return "<p>%s</p>" % " ".join(pieces)

	def extra_block(self, serial):
		rng = self.rng
		if rng.random() < 0.5:
			caption = rng.choice(CAPTIONS) % (rng.choice(NOUNS), rng.choice(self.names))
			return ('<figure><img src="https://img.news.example/%d.jpg" alt="" width="800">'
				"<figcaption>%s. (Photo: %s/Agency)</figcaption></figure>" % (
					serial, caption, rng.choice(PEOPLE)))
		links = "".join('<li><a href="https://news.example/story/%d">%s</a></li>' % (
			serial - rng.randint(1, 5000), self.sentence(rng.randint(6, 10)))
			for _ in range(rng.randint(3, 5)))
		return '<div class="related"><h3>Related</h3><ul>%s</ul></div>' % links

	def body(self, serial):
		rng = self.rng
		target = rng.randint(580, 860)
		paragraphs, written = [], 0
		while written < target:
			count = min(rng.randint(50, 95), target - written + 10)
			paragraphs.append(self.paragraph(count))
			written += count
		paragraphs.insert(rng.randint(1, 3), self.extra_block(serial))
		return "\n".join(paragraphs)

	def wire_copy(self, feed, serial):
		"""A syndicated copy of an earlier original of another feed: new title, link and
		guid, a dateline, the last paragraph or two cut, as agencies' clients run them."""
		rng = self.rng
		candidates = [item for item in self.originals if item[0] != feed]
		if not candidates:
			return None
		_, original = rng.choice(candidates)
		paragraphs = original["body"].split("\n")
		paragraphs = paragraphs[:len(paragraphs) - rng.randint(0, 2)]
		paragraphs[0] = paragraphs[0].replace("<p>", "<p>%s (Wire) &#8212; " % rng.choice(
			self.names).upper(), 1)
		fields = dict(original)
		fields["title"] = original["title"] + rng.choice(("", " | Wire", " - update"))
		fields["body"] = "\n".join(paragraphs)
		fields["time"] = 1780000000 - serial * 37
		return fields

	def item(self, feed, serial):
		rng = self.rng
		fields = self.wire_copy(feed, serial) if rng.random() < 0.1 else None
		if fields is None:
			fields = item_fields(rng, serial, 0)
			fields["title"] = self.sentence(rng.randint(8, 14))[:-1]
			fields["summary"] = "<p>%s</p>" % self.sentence(rng.randint(25, 40))
			fields["body"] = self.body(serial)
			self.originals.append((feed, fields))
			if len(self.originals) > 400:
				del self.originals[:100]
		fields = dict(fields)
		fields["guid"] = fields["link"] = "https://feed%d.news.example/story/%d" % (feed, serial)
		return fields


def write_feed_file(directory, feed, parts):
	"""Writes DIR/NNNNN.xml and its gzip'd copy with the same mtime; returns the size."""
	data = "".join(parts).encode("utf-8")
	path = os.path.join(directory, "%05d.xml" % feed)
	with open(path, "wb") as out:
		out.write(data)
	with open(path + ".gz", "wb") as out:
		out.write(gzip.compress(data, compresslevel=6, mtime=0))
	stat = os.stat(path)
	os.utime(path + ".gz", ns=(stat.st_atime_ns, stat.st_mtime_ns))
	return len(data)


def write_articles(directory, count, items_per_feed):
	"""COUNT feeds of news-article-size items; every tenth item or so a wire copy."""
	os.makedirs(directory, exist_ok=True)
	rng = random.Random(20260303)
	writer = ArticleWriter(rng)
	serial = total = 0
	for feed in range(count):
		parts = [RSS_HEAD % ("Bench news %d" % feed, "%05d.xml" % feed, rfc822(1780000000))]
		for _ in range(items_per_feed):
			parts.append(rss_item(writer.item(feed, serial)))
			serial += 1
		parts.append(RSS_TAIL)
		total += write_feed_file(directory, feed, parts)
	print("%s feeds=%d items=%d bytes=%d" % (directory, count, serial, total))


def main(argv):
	if len(argv) >= 3 and argv[1] == "large":
		os.makedirs(argv[2], exist_ok=True)
		write_large(argv[2], int(argv[3]) if len(argv) > 3 else 24)
	elif len(argv) == 5 and argv[1] == "articles":
		write_articles(argv[2], int(argv[3]), int(argv[4]))
	elif len(argv) == 5 and argv[1] == "many":
		os.makedirs(argv[2], exist_ok=True)
		write_many(argv[2], int(argv[3]), int(argv[4]))
	else:
		sys.stderr.write(__doc__)
		return 2
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
