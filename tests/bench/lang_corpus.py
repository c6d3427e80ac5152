#!/usr/bin/env python3
"""lang_corpus.py - labelled news-shaped articles in 75 languages for bench_lang (the lang
plugin's accuracy at each sample size against the TRUE language), written to a file outside
the repo at measurement time and never committed.

The texts are lingua's accuracy-report sentences (github.com/pemistahl/lingua,
src/accuracyReport/resources/language-testdata/sentences/XX.txt: 1,000 sentences a language
from the Leipzig news and web corpora, labelled by language), read from a fetched git mirror
(--lingua GITDIR, `git show`); and the shared seed articles (../shared/seeds, English).  Each
article is one sentence as its title and the following sentences as its text, 1.5-4 KB (the
articles bench's size), in four shapes:

  plain        title + text
  dateline     the text opens with a wire dateline: "PARIS, 07.12.2026 (AFP) - "
  boilerplate  the text opens with English site furniture (share links, byline, dates), the
               hard case for a short sample
  short        title + one to three sentences (most under 512 bytes)

Output: one article a line, CODES TAB GROUP TAB SHAPE TAB TITLE TAB TEXT (bench_lang.c).

  python3 tests/bench/lang_corpus.py --lingua /work/.mirror/pemistahl+lingua/repo \\
      --out /tmp/lang-corpus.tsv
  build/bench/bench_lang /tmp/lang-corpus.tsv
"""
import argparse
import os
import random
import subprocess

SENTENCES = "src/accuracyReport/resources/language-testdata/sentences"
GROUPS = {
    "cyrillic": "be bg kk mk mn ru sr uk",
    "arabic": "ar fa ur",
    "cjk": "ja ko zh",
    "other-script": "am bn el gu he hi hy ka mr pa si ta te th ti",
}
# Languages Debian's libcld2 (its 83-language table) never reports, whole text or not: kept
# apart from the figures, as "not-in-cld2".
NOT_IN_CLD2 = "am eo la mi mn nn om sn so ti tn ts xh yo zu"
# Codes CLD2 reports for a language under another name (after lang.cc's ISO renaming).
ALSO = {"nb": "no"}
CITIES = ["PARIS", "BERLIN", "MADRID", "WARSAW", "NAIROBI", "JAKARTA", "MOSCOW", "TOKYO",
          "ISTANBUL", "LIMA", "ROME", "KYIV", "CAIRO", "SEOUL", "LAGOS"]
AGENCIES = ["AFP", "Reuters", "AP", "dpa", "EFE", "ANSA"]
FURNITURE = [
    "Share on Facebook | Share on Twitter | Email | Print\n",
    "Published 7 December 2026, 10:42 | Updated 2 hours ago\n",
    "By Staff Reporter | 3 min read\n",
    "Advertisement\n",
    "Follow us on social media\n",
]


def group_of(code):
    if code in NOT_IN_CLD2.split():
        return "not-in-cld2"
    for group, codes in GROUPS.items():
        if code in codes.split():
            return group
    return "latin"


def escape(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def sentences(gitdir, code):
    text = subprocess.run(["git", "--git-dir", gitdir, "show",
                           "HEAD:%s/%s.txt" % (SENTENCES, code)],
                          capture_output=True, check=True).stdout.decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def body(pool, rng, target):
    parts, size = [], 0
    while size < target and pool:
        sentence = pool.pop()
        parts.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
        if rng.random() < 0.25:
            parts.append("\n\n")
    return " ".join(parts).replace(" \n\n ", "\n\n").strip()


def opening(shape, rng):
    if shape == "dateline":
        return "%s, %02d.12.2026 (%s) - " % (rng.choice(CITIES), rng.randint(1, 28),
                                           rng.choice(AGENCIES))
    if shape == "boilerplate":
        return "".join(rng.sample(FURNITURE, 3))
    return ""


def language_articles(gitdir, code, per_shape, rng, out):
    pool = sentences(gitdir, code)
    rng.shuffle(pool)
    codes = "|".join([code] + ([ALSO[code]] if code in ALSO else []))
    for shape in ("plain", "dateline", "boilerplate", "short"):
        for _ in range(per_shape):
            if len(pool) < 8:
                return
            title = pool.pop()
            target = rng.randint(60, 300) if shape == "short" else rng.randint(1500, 4000)
            text = opening(shape, rng) + body(pool, rng, target)
            out.write("\t".join([codes, group_of(code), shape, escape(title),
                                 escape(text)]) + "\n")


def seed_articles(seeds, out):
    for name in sorted(os.listdir(seeds)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(seeds, name), encoding="utf-8") as f:
            lines = f.read().split("\n", 1)
        out.write("\t".join(["en", "seeds", "seed", escape(lines[0][:200]),
                             escape(lines[1] if len(lines) > 1 else "")]) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lingua", required=True, help="git dir of a pemistahl/lingua mirror")
    parser.add_argument("--seeds", default="../shared/seeds")
    parser.add_argument("--per-shape", type=int, default=12)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    listing = subprocess.run(["git", "--git-dir", args.lingua, "ls-tree", "--name-only",
                              "HEAD", SENTENCES + "/"], capture_output=True, check=True)
    codes = sorted(os.path.basename(p)[:-4] for p in listing.stdout.decode().split())
    rng = random.Random(17)
    with open(args.out, "w", encoding="utf-8") as out:
        for code in codes:
            language_articles(args.lingua, code, args.per_shape, rng, out)
        if os.path.isdir(args.seeds):
            seed_articles(args.seeds, out)


if __name__ == "__main__":
    main()
