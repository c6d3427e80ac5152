#!/usr/bin/env bash
# scripts/run-demo.sh - what `make run` does: the daemon in the foreground on the demo feeds
# of conf/demo/ (a fictional story told by six outlets: an agency original, its wire copies,
# independent rewrites), publishing to librdkafka's embedded in-process broker. Each run starts
# from empty state so the demo always shows its articles; Ctrl-C stops it cleanly.
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
rm -rf "$build/demo-state"
export WIRESIFT_PLUGIN_DIR="$PWD/$build/plugins"
cat <<TXT
wiresift demo: polling the 6 demo feeds in conf/demo/feeds/ (config conf/demo/wiresift.conf),
publishing to the embedded in-process Kafka broker (demo only; the real one is bootstrap.servers).
Watch for event=article.delivered lines: dedup=unique for originals, dedup=duplicate for wire
copies, with the id of the original; story= is the event's story id, shared by every outlet's
write-up of it (the dam: several outlets, one story; each unrelated article a story of its own).
The daemon.started line names the embedded broker's address; while it runs, read the topics
from another terminal with
    kcat -b ADDRESS -C -t news.articles -f '%k %h\n%s\n\n'
    kcat -b ADDRESS -C -t news.duplicates -f '%k %s\n'
    kcat -b ADDRESS -C -t news.stories -f '%k %s\n'      (one summary per story)
Ctrl-C stops it (in-flight fetches drain, Kafka is flushed).

TXT
exec "$build/wiresift" -c conf/demo/wiresift.conf
