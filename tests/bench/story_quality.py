#!/usr/bin/env python3
"""story_quality.py - B-cubed precision, recall and F1 of wiresift's story ids on a labelled set
(gen_stories.py), side by side with a plain reference over the same articles.

    story_quality.py BUILD_DIR WORK_DIR

wiresift: `wiresift process -c conf/demo/wiresift.conf` over WORK_DIR/stories.xml (the whole
pipeline, the entities plugin included; [stories] at its defaults). The reference, written
here: online TF-IDF cosine to story centroids, the textbook baseline of topic detection and
tracking. Each article (title + text, lower-cased words less a short stop list) is weighted by
TF-IDF against the document frequencies of the articles seen so far, compared by cosine with
the centroid (mean of the member vectors) of every story whose newest article is within 72
hours, and joins the best one at or above a threshold, else opens a story. The reference gets
its best threshold on this very set (a grid from 0.05 to 0.90, chosen with hindsight); wiresift
runs at its configured default. Prints one `stories.wiresift` and one `stories.reference` line
of key=value figures, plus the share of look-alike pairs each merged into one story.
"""

import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 72 * 3600
STOP = set("""a about after again against all also an and any are as at be because been before
being between both but by can could did do does during each for from had has have he her here
him his how i if in into is it its just more most no not now of off on once only or other our
out over own said same says she should so some such than that the their them then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your""".split())
WORD = re.compile(r"[a-z0-9]+")


def run_wiresift(build, work):
	env = dict(os.environ, WIRESIFT_PLUGIN_DIR=str(ROOT / build / "plugins"))
	started = time.monotonic()
	result = subprocess.run([str(ROOT / build / "wiresift"), "process", "-c",
				 str(ROOT / "conf" / "demo" / "wiresift.conf"),
				 str(work / "stories.xml")], capture_output=True, text=True, env=env)
	if result.returncode != 0:
		sys.exit("wiresift process failed: " + result.stderr[-2000:])
	return [json.loads(line) for line in result.stdout.splitlines()], \
	    time.monotonic() - started


def vector(text, df, documents):
	counts = Counter(w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 1)
	weights = {w: (1 + math.log(c)) * (math.log((documents + 1) / (df[w] + 1)) + 1)
		   for w, c in counts.items()}
	norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
	return {w: v / norm for w, v in weights.items()}


def reference(articles, threshold):
	"""Online TF-IDF cosine to story centroids; returns a story number per article."""
	df, documents, stories, assigned = Counter(), 0, [], []
	for article in articles:
		text = article["title"] + "\n" + article["text"]
		v = vector(text, df, documents)
		best, best_score = None, 0.0
		for story in stories:
			if article["time"] - story["last"] > WINDOW:
				continue
			centroid, size = story["sum"], story["size"]
			norm = story["norm"]
			score = sum(w * centroid.get(k, 0.0) for k, w in v.items()) / norm if norm else 0
			if score > best_score:
				best, best_score = story, score
		if best is None or best_score < threshold:
			best = {"sum": defaultdict(float), "size": 0, "last": 0, "id": len(stories),
				"norm": 0.0}
			stories.append(best)
		for k, w in v.items():
			best["sum"][k] += w
		best["size"] += 1
		best["norm"] = math.sqrt(sum(x * x for x in best["sum"].values()))
		best["last"] = max(best["last"], article["time"])
		assigned.append(best["id"])
		df.update(set(WORD.findall(text.lower())))
		documents += 1
	return assigned


def bcubed(labels, clusters):
	by_cluster, by_label = defaultdict(list), defaultdict(list)
	for i, (label, cluster) in enumerate(zip(labels, clusters)):
		by_cluster[cluster].append(i)
		by_label[label].append(i)
	precision = recall = 0.0
	for i, (label, cluster) in enumerate(zip(labels, clusters)):
		same = sum(1 for j in by_cluster[cluster] if labels[j] == label)
		precision += same / len(by_cluster[cluster])
		recall += same / len(by_label[label])
	precision /= len(labels)
	recall /= len(labels)
	return precision, recall, 2 * precision * recall / (precision + recall)


def merged_pairs(events, pairs, clusters):
	"""Share of look-alike pairs whose two events have an article in one common story."""
	stories = defaultdict(lambda: defaultdict(set))
	for event, pair, cluster in zip(events, pairs, clusters):
		stories[pair][cluster].add(event)
	merged = sum(1 for pair in stories.values() if any(len(e) > 1 for e in pair.values()))
	return merged / len(stories)


def main():
	build, work = sys.argv[1], Path(sys.argv[2])
	labels = {}
	for line in (work / "labels.tsv").read_text().splitlines():
		link, event, pair, kind = line.split("\t")
		labels[link] = (event, pair)
	messages, seconds = run_wiresift(build, work)
	articles = []
	for message in messages:
		event, pair = labels[message["url"]]
		when = datetime.strptime(message["published"], "%Y-%m-%dT%H:%M:%SZ")
		articles.append(dict(event=event, pair=pair, title=message["title"] or "",
				     text=message["text"] or "", story=message["story"]["id"],
				     time=int(when.timestamp())))
	events = [a["event"] for a in articles]
	pairs = [a["pair"] for a in articles]
	ours = [a["story"] for a in articles]
	p, r, f = bcubed(events, ours)
	print("stories.wiresift articles=%d events=%d stories=%d precision=%.3f recall=%.3f "
	      "f1=%.3f lookalike_pairs_merged=%.3f process_seconds=%.2f" % (
	      len(articles), len(set(events)), len(set(ours)), p, r, f,
	      merged_pairs(events, pairs, ours), seconds))
	best = None
	started = time.process_time()
	for step in range(1, 19):
		threshold = step * 0.05
		clusters = reference(articles, threshold)
		scores = bcubed(events, clusters)
		if best is None or scores[2] > best[1][2]:
			best = (threshold, scores, clusters)
	seconds = (time.process_time() - started) / 18
	threshold, (p, r, f), clusters = best
	print("stories.reference articles=%d stories=%d precision=%.3f recall=%.3f f1=%.3f "
	      "lookalike_pairs_merged=%.3f best_threshold=%.2f cpu_seconds_per_run=%.2f" % (
	      len(articles), len(set(clusters)), p, r, f, merged_pairs(events, pairs, clusters),
	      threshold, seconds))


if __name__ == "__main__":
	main()
