"""Build test dumps of a few MB from real text under ``seeds/`` and ``tests/fixtures/`` only
(so the tests pass on a plain clone, with no ``shared/`` folder beside it).

The records are real abstracts, spam and boilerplate lines, and new texts made by mixing the
sentences of two real abstracts, so that most records are unique (the per-record work is
done for each) while exact copies and near duplicates still occur, as in real dumps. Files use
the three layouts of the seeds (one record per line, blank-line separated, marker lines), and
a few are gzip-compressed or JSON Lines. Everything is drawn from ``random.Random(seed)``:
the same arguments give the same bytes.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from functools import lru_cache
from pathlib import Path

from support.paths import FIXTURES, SEEDS

MARKER = "translated by 谷歌翻译"


@lru_cache(maxsize=None)
def _texts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(abstracts, short lines): real texts of the seeds and fixtures."""
    abstracts, short = [], []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line != MARKER:
                (abstracts if len(line) > 200 else short).append(line)
    for name in ("zh_clean_abstracts", "near_pairs", "marker_hard_negatives",
                 "spam_hard_negatives", "spam_lines", "boilerplate_lines", "langid_sentences"):
        for raw in (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            for text in (row.get("text"), (row.get("a") or {}).get("text"),
                         (row.get("b") or {}).get("text")):
                if isinstance(text, str) and text.strip():
                    text = " ".join(text.split())
                    (abstracts if len(text) > 200 else short).append(text)
    return tuple(dict.fromkeys(abstracts)), tuple(dict.fromkeys(short))


_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def _mix(rng: random.Random, a: str, b: str) -> str:
    """A new abstract: the sentences of ``a`` and ``b`` interleaved."""
    sa = [s for s in _SENTENCE.split(a) if s]
    sb = [s for s in _SENTENCE.split(b) if s]
    out = sa[: max(1, len(sa) // 2)] + sb[len(sb) // 2:]
    rng.shuffle(out)
    sep = "" if any("\u4e00" <= c <= "\u9fff" for c in a[:50]) else " "
    return sep.join(out)


def _record(rng: random.Random) -> str:
    abstracts, short = _texts()
    roll = rng.random()
    if roll < 0.70:
        return _mix(rng, rng.choice(abstracts), rng.choice(abstracts))
    if roll < 0.85:
        return rng.choice(abstracts)  # repeated across the dump: exact duplicates
    return rng.choice(short)  # spam, boilerplate, headings


def build_dump(root: Path, files: int = 40, records: int = 60, seed: int = 0) -> Path:
    """Write ``files`` files of about ``records`` records each under ``root`` (in two
    sub-folders, a few files gzip-compressed, a few JSON Lines) and return ``root``. About
    55 KB per 60 records."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        recs = [_record(rng) for _ in range(rng.randint(records // 2, records * 3 // 2))]
        kind = rng.choice(["line", "blank", "marker", "line", "jsonl", "gz"])
        folder = root / ("a" if i % 3 else "b")
        folder.mkdir(exist_ok=True)
        if kind == "jsonl":
            data = "".join(json.dumps({"id": n, "text": t}, ensure_ascii=False) + "\n"
                           for n, t in enumerate(recs)).encode()
            (folder / f"{i:03d}.jsonl").write_bytes(data)
            continue
        if kind == "blank":
            text = "\n\n".join(recs)
        elif kind == "marker":
            text = "\n".join(f"{r}\n{MARKER}" for r in recs)
        else:
            text = "\n".join(recs)
        if kind == "gz":
            (folder / f"{i:03d}.txt.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
        else:
            (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    return root
