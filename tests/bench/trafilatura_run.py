#!/usr/bin/env python3
"""trafilatura_run.py - the peer of `wiresift extract` for make bench: trafilatura (default
settings) over pages held in memory, inside the venv tests/bench/extract.py makes.

    trafilatura_run.py MIN_SECONDS OUT_JSON PAGE...

Extracts every page once and writes their texts as a JSON list to OUT_JSON (for the F1),
then extracts the whole set round after round until MIN_SECONDS of process CPU time have
passed, and prints: trafilatura pages=N seconds=S pages_per_s=X. Reading the files is not
timed. It measures; it asserts nothing."""
import json
import sys
import time

import trafilatura


def main():
    minimum, out_path, paths = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
    pages = [open(path, "rb").read().decode("utf-8", "replace") for path in paths]
    texts = [trafilatura.extract(page) for page in pages]
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(texts, out)
    done, started = 0, time.process_time()
    while True:
        for page in pages:
            trafilatura.extract(page)
        done += len(pages)
        if time.process_time() - started >= minimum:
            break
    seconds = time.process_time() - started
    print("trafilatura pages=%d seconds=%.3f pages_per_s=%.1f" % (done, seconds,
                                                                   done / seconds))


main()
