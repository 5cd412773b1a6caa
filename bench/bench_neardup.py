"""Near-dup stage: throughput, memory, and recall/precision on real near-duplicate pairs.

Two measurements:

1. **Pairs** (``neardup/pairs.dev.jsonl``, 1,012 real pairs: revised abstracts, re-translations,
   other arXiv versions). All pair texts go into one :class:`NearDupIndex`, in pair order (a
   first, then b). Ground truth for each pair is the exact Jaccard similarity of its shingle
   sets, as the stage defines it (word 5-grams, or character 5-grams for Chinese). Recall: the
   share of pairs at or above the threshold that are merged; precision: no merged pair may be
   below the threshold. The same recall is also given against the data set's own
   ``jaccard_char5`` (character 5-grams for every language), which is another definition.
2. **Throughput** on a dump from ``make_dump.py`` (or any directory of abstracts): records/s and
   MB/s of the near-dup stage alone (shingling, MinHash, banding, decisions), peak RSS of the
   process, and the index's bytes per unique record (its arrays, measured).

3. **Distinct papers**: one abstract per arXiv id (up to 20,000 from the dw-dengwei crawls)
   and the pairs' texts in one index; a merge of two different ids is a false merge.

    python bench/bench_neardup.py ../shared/data [--dump DIR] [--threshold 0.8] [--shingle-words 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_clean import Config  # noqa: E402
from corpus_clean.engine.pipeline import iter_file_records  # noqa: E402
from corpus_clean.reading.reader import FileInfo, list_input_files  # noqa: E402
from corpus_clean.stages.markers import MarkerStripper  # noqa: E402
from corpus_clean.stages.neardup import NearDupIndex, jaccard, shingle_hashes  # noqa: E402


def pairs_eval(data: Path, threshold: float, words: int = 0) -> None:
    pairs = [json.loads(line) for line in open(data / "neardup/pairs.dev.jsonl", encoding="utf-8")]
    texts = []
    for p in pairs:
        texts += [p["a"]["text"], p["b"]["text"]]
    with tempfile.TemporaryDirectory() as tmp:
        index = NearDupIndex(Path(tmp), threshold=threshold, words=words)
        index.add_batch(texts)
        removed = index.decide("first")
    # ground truth: exact Jaccard of the stage's shingle sets
    truth = [jaccard(shingle_hashes(p["a"]["text"], words), shingle_hashes(p["b"]["text"], words))
             for p in pairs]
    merged = []
    for i in range(len(pairs)):
        a, b = 2 * i, 2 * i + 1
        merged.append(b in removed and removed[b][0] == a)
    # a merge across pairs (two papers' texts) is also a merge: check its similarity too
    below = [(j, k, s) for j, (k, s) in removed.items() if s < threshold]
    pos = [i for i, t in enumerate(truth) if t >= threshold]
    hit = sum(merged[i] for i in pos)
    print(f"pairs: {len(pairs)}; at or above {threshold} (exact Jaccard of the stage's shingles): "
          f"{len(pos)}; merged: {hit}; recall {hit / max(len(pos), 1):.4f}")
    print(f"  merged pairs below the threshold: {len(below)} (precision of merges "
          f"{1 - len(below) / max(len(removed), 1):.4f}); all merges: {len(removed)}")
    c5 = [i for i, p in enumerate(pairs) if p["jaccard_char5"] >= threshold]
    hit5 = sum(merged[i] for i in c5)
    print(f"  against the data set's jaccard_char5 >= {threshold}: {len(c5)} pairs, merged {hit5}, "
          f"recall {hit5 / max(len(c5), 1):.4f}")
    by_kind: dict[str, list[int]] = {}
    for i in pos:
        by_kind.setdefault(pairs[i]["kind"], []).append(merged[i])
    for kind, m in sorted(by_kind.items()):
        print(f"    {kind:16s} {sum(m)}/{len(m)}")


def distinct_papers(data: Path, threshold: float, words: int = 0, limit: int = 20000) -> None:
    """Index one abstract per arXiv id (dw-dengwei crawls, then the near-dup pairs' texts
    with their ids) and count merges of two different papers: there must be none."""
    texts, ids = [], []
    seen = set()
    for path in sorted((data / "arxiv/dw_raw").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                if d.get("summary") and d["id"] not in seen:
                    seen.add(d["id"])
                    texts.append(d["summary"])
                    ids.append(d["id"])
        if len(texts) >= limit:
            break
    for line in open(data / "neardup/pairs.dev.jsonl", encoding="utf-8"):
        p = json.loads(line)
        for side in ("a", "b"):
            texts.append(p[side]["text"])
            ids.append(p["arxiv_id"])
    with tempfile.TemporaryDirectory() as tmp:
        index = NearDupIndex(Path(tmp), threshold=threshold, words=words)
        for i in range(0, len(texts), 512):
            index.add_batch(texts[i:i + 512])
        removed = index.decide("first")
    wrong = [(j, k, s) for j, (k, s) in removed.items() if ids[j] != ids[k]]
    print(f"distinct papers: {len(set(ids))} arXiv ids in {len(texts)} texts; merges "
          f"{len(removed)}; merges of two different papers: {len(wrong)}")
    for j, k, sim in wrong[:5]:
        print(f"    {ids[j]} ~ {ids[k]} at {sim:.3f}: {texts[j][:70]!r}")


def throughput(dump: Path, threshold: float, words: int = 0) -> None:
    config = Config()
    texts = []
    stripper = MarkerStripper()
    for f in list_input_files(dump):
        for record, drop in iter_file_records(f, FileInfo(f.source), config):
            if drop is None:
                r = stripper.apply(record)
                if not hasattr(r, "stage"):
                    texts.append(r.text)
    texts = list(dict.fromkeys(texts))  # unique, as after exact dedup
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        index = NearDupIndex(Path(tmp), threshold=threshold, words=words)
        t0 = time.perf_counter()
        for i in range(0, len(texts), 512):
            index.add_batch(texts[i:i + 512])
        t1 = time.perf_counter()
        arrays = sum(a.itemsize * len(a) for a in (index._keys, index._offsets, index._counts,
                                                      index._lengths))
        spill = Path(tmp, "shingles.u32").stat().st_size
        removed = index.decide("first")
        t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"dump {dump}: {len(texts)} unique records, {mb:.1f} MB")
    print(f"  signatures: {len(texts) / (t1 - t0):,.0f} records/s, {mb / (t1 - t0):.2f} MB/s; "
          f"decide: {t2 - t1:.2f} s ({index.candidate_pairs} candidate pairs, "
          f"{len(removed)} near duplicates)")
    print(f"  whole stage: {len(texts) / (t2 - t0):,.0f} records/s, {mb / (t2 - t0):.2f} MB/s")
    print(f"  index in memory: {arrays / len(texts):.0f} bytes per unique record "
          f"({index.bands} band keys x 8 + offset 8 + count 4 + length 4); shingle spill on "
          f"disk: {spill / len(texts):.0f} bytes per record")
    print(f"  peak RSS of this process: {rss:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="the shared data directory")
    ap.add_argument("--dump", type=Path, help="a dump directory for the throughput figures")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--shingle-words", type=int, default=0,
                    help="0: character 5-grams of every text (the default); n: word n-grams")
    args = ap.parse_args()
    print(f"shingle_words={args.shingle_words}")
    pairs_eval(args.data, args.threshold, args.shingle_words)
    distinct_papers(args.data, args.threshold, args.shingle_words)
    if args.dump:
        throughput(args.dump, args.threshold, args.shingle_words)


if __name__ == "__main__":
    main()
