"""The rewritten (faster) per-record functions against the code they replaced, on every
distinct record text of a dump: not a benchmark but the same data, too large for the test
suite (which checks the real texts of tests/fixtures and random strings).

    python bench/check_equivalence.py /tmp/cc-bench-dumps/d100-s5

Checks, printing the count of texts that differ for each (all must be 0; exit 1 otherwise):

* spam signals and lexicon hits (terms in order) against ``tests/support/reference_spam.py``;
* the dedup normal form against its definition (NFKC, case folded, punctuation as spaces,
  white space collapsed), written the slow, obvious way;
* shingle hashes, band keys and signatures (batches of 256) against
  ``tests/support/reference_neardup.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from support import reference_neardup as ref_neardup  # noqa: E402
from support import reference_spam as ref_spam  # noqa: E402
from test_neardup_equivalence import same_grouping  # noqa: E402

from corpus_clean.config import Config  # noqa: E402
from corpus_clean.reading.blocks import iter_file_records  # noqa: E402
from corpus_clean.reading.reader import FileInfo, list_input_files  # noqa: E402
from corpus_clean.stages import neardup, spam  # noqa: E402
from corpus_clean.stages.dedup import normalise_for_dedup  # noqa: E402


def distinct_texts(root: Path) -> list[str]:
    """The distinct record texts of the dump, read as the pipeline reads them."""
    config = Config()
    texts: dict[str, None] = {}
    for file in list_input_files(root):
        for record, drop in iter_file_records(file, FileInfo(file.source), config):
            if drop is None:
                texts.setdefault(record.text)
    return list(texts)


def normal_form_by_definition(text: str) -> str:
    norm = "".join(" " if unicodedata.category(c).startswith("P") else c
                   for c in unicodedata.normalize("NFKC", text).casefold())
    return re.sub(r"\s+", " ", norm).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    texts = distinct_texts(args.dump)
    print(f"{args.dump}: {len(texts):,} distinct record texts ({time.perf_counter() - t0:.1f} s)")
    failed = 0

    def report(name: str, differ: int) -> None:
        nonlocal failed
        failed += differ
        print(f"{name:<40} {differ:>6} of {len(texts):,} differ")

    report("spam_signals", sum(spam.spam_signals(t) != ref_spam.spam_signals(t) for t in texts))
    report("spam _lexicon_hits",
           sum(spam._lexicon_hits(t) != ref_spam._lexicon_hits(t) for t in texts))
    report("normalise_for_dedup",
           sum(normalise_for_dedup(t) != normal_form_by_definition(t) for t in texts))
    differ = 0
    for i in range(0, len(texts), 256):
        batch = texts[i:i + 256]
        got = neardup.sign_texts(batch, 21, 6, 128, 1, 5, 5)
        want = ref_neardup.sign_texts(batch, 21, 6, 128, 1, 5, 5)
        differ += sum(not np.array_equal(c, d) for c, d in zip(got[1], want[1]))
        if not same_grouping(got[0], want[0]):  # band keys: the same records together
            differ += 1
    report("sign_texts (band key groups, shingle hashes)", differ)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
