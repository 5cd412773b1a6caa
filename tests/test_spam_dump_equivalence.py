"""The spam signals against the reference (tests/reference_spam.py) on every distinct record
text of a benchmark dump, if one is on this machine: ``/tmp/cc-bench-dumps/d10-s5`` (made by
the benchmark tools, not part of the repository), or the directory in ``SPAM_EQUIVALENCE_DUMP``.
Skipped where there is none; a plain clone checks the real texts of tests/fixtures
(test_spam_equivalence.py). For a larger dump, by hand:

    SPAM_EQUIVALENCE_DUMP=/tmp/cc-bench-dumps/d100-s5 \\
        python -m pytest -q tests/test_spam_dump_equivalence.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import reference_spam as ref

from corpus_clean.blocks import iter_file_records
from corpus_clean.config import Config
from corpus_clean.reader import FileInfo, list_input_files
from corpus_clean.stages import spam

DUMP = Path(os.environ.get("SPAM_EQUIVALENCE_DUMP")
            or Path(tempfile.gettempdir()) / "cc-bench-dumps" / "d10-s5")


def _distinct_texts(root: Path) -> list[str]:
    """The distinct record texts of the dump, as bench/bench_stages.py reads them."""
    config = Config()
    texts: dict[str, None] = {}
    for file in list_input_files(root):
        for record, drop in iter_file_records(file, FileInfo(file.source), config):
            if drop is None:
                texts.setdefault(record.text)
    return list(texts)


@pytest.mark.skipif(not DUMP.is_dir(), reason=f"no benchmark dump at {DUMP}")
def test_spam_signals_equal_the_reference_on_a_dump():
    texts = _distinct_texts(DUMP)
    assert texts
    differ = [t for t in texts if spam.spam_signals(t) != ref.spam_signals(t)]
    assert not differ, f"{len(differ)} of {len(texts)} texts differ, first: {differ[0][:200]!r}"
    # the lexicon hits (terms in order), not only the rounded signal
    differ = [t for t in texts if spam._lexicon_hits(t) != ref._lexicon_hits(t)]
    assert not differ, f"{len(differ)} of {len(texts)} texts differ, first: {differ[0][:200]!r}"
