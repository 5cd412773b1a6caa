"""Per-stage speed of the per-record work, on the records of a dump (or of a data directory).

Reads DUMP_DIR through corpus_clean's reader and splitter (as the pipeline does), keeps the
distinct record texts (verbatim repeats skip the stages in the pipeline, see
``work.RepeatMemo``), and times each per-record function over all of them: ftfy repair of the
raw lines, boilerplate, spam signals, quality rules, the dedup normal form, the exact-dedup key,
shingle hashes, the near-dup signatures and the quality rules (per batch of 256, as in the
pipeline), script counts and language identification (one text at a time, and per batch of
256 as the pipeline tags: ``*_batch``). Prints records/s and µs/record per function, best of
``--repeat`` runs (CPU time of this process, so other work on the machine matters less).

    python bench/bench_stages.py /tmp/cc-bench-dumps/d10-s5 [--repeat 3] [--lang-backend cld2]
        [--only spam quality]

Caches: the dedup normal form is cached per text (``normalise_for_dedup``, lru 4096); each
function is timed with the cache cleared first, so each pays for the normal forms it needs,
as the first stage that needs them does in the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_clean.config import Config  # noqa: E402
from corpus_clean.engine.pipeline import iter_file_records  # noqa: E402
from corpus_clean.reading.reader import (  # noqa: E402
    FileInfo,
    list_input_files,
    open_lines,
    repair_text,
)
from corpus_clean.records import Record  # noqa: E402
from corpus_clean.stages.boilerplate import classify_boilerplate  # noqa: E402
from corpus_clean.stages.dedup import dedup_key, normalise_for_dedup  # noqa: E402
from corpus_clean.stages.language import identify_language, identify_languages  # noqa: E402
from corpus_clean.stages.neardup import choose_bands, shingle_hashes, sign_texts  # noqa: E402
from corpus_clean.stages.quality import QualityFilter  # noqa: E402
from corpus_clean.stages.spam import spam_signals  # noqa: E402
from corpus_clean.unicode_scripts import count_scripts, count_scripts_batch  # noqa: E402


def read_dump(root: Path, config: Config) -> tuple[list[str], list[str]]:
    """The raw (unrepaired) lines and the distinct record texts of the dump."""
    lines: list[str] = []
    texts: dict[str, None] = {}
    for file in list_input_files(root):
        lines.extend(open_lines(file, FileInfo(file.source), config.chunk_bytes, config.sample_bytes,
                                repair=False))
        for record, drop in iter_file_records(file, FileInfo(file.source), config):
            if drop is None:
                texts.setdefault(record.text)
    return lines, list(texts)


def cpu() -> float:
    return time.process_time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lang-backend", default="cld2")
    ap.add_argument("--only", nargs="*", help="names of the functions to time")
    args = ap.parse_args()
    config = dataclasses.replace(Config(), lang_backend=args.lang_backend)
    t0 = time.perf_counter()
    lines, texts = read_dump(args.dump, config)
    print(f"{args.dump}: {len(lines):,} lines, {len(texts):,} distinct records "
          f"({sum(map(len, texts)) / 1e6:.1f} M chars), read in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    quality = QualityFilter()
    bands, rows = choose_bands(config.near_threshold, config.num_perm)

    def signs(items: list[str]) -> None:
        for i in range(0, len(items), config.batch_records):
            sign_texts(items[i:i + config.batch_records], bands, rows, config.num_perm,
                       config.minhash_seed, config.shingle_words, config.shingle_chars)

    def quality_batches(items: list[Record]) -> None:
        for i in range(0, len(items), config.batch_records):  # as the scan runs it
            quality.apply_batch(items[i:i + config.batch_records])

    def in_batches(fn):
        """``fn`` over lists of ``batch_records`` items, as the pipeline calls it."""
        def run(items: list) -> None:
            for i in range(0, len(items), config.batch_records):
                fn(items[i:i + config.batch_records])
        run.batched = True
        return run

    records = [Record(str(i), t, "bench", i) for i, t in enumerate(texts)]
    cases = {
        "repair_text": (lines, repair_text),
        "boilerplate": (texts, lambda t: classify_boilerplate(t, config)),
        "spam_signals": (texts, spam_signals),
        "quality": (records, quality_batches),
        "normalise_for_dedup": (texts, normalise_for_dedup),
        "dedup_key": (texts, dedup_key),
        "shingle_hashes": (texts, lambda t: shingle_hashes(t, config.shingle_words,
                                                           config.shingle_chars)),
        "sign_texts": (texts, None),
        "count_scripts": (texts, count_scripts),
        "count_scripts_batch": (texts, in_batches(count_scripts_batch)),
        "language": (texts, lambda t: identify_language(t, config)),
        "language_batch": (texts, in_batches(lambda b: identify_languages(b, config))),
    }
    print(f"{'function':<22}{'items':>9}{'records/s':>12}{'µs/record':>11}{'cpu s':>8}")
    for name, (items, fn) in cases.items():
        if args.only and name not in args.only:
            continue
        best = float("inf")
        for _ in range(args.repeat):
            normalise_for_dedup.cache_clear()
            t0 = cpu()
            if fn is None:
                signs(items)
            elif fn is quality_batches or getattr(fn, "batched", False):
                fn(items)
            else:
                for item in items:
                    fn(item)
            best = min(best, cpu() - t0)
        n = len(items)
        print(f"{name:<22}{n:>9,}{n / best:>12,.0f}{best / n * 1e6:>11.1f}{best:>8.2f}")


if __name__ == "__main__":
    main()
