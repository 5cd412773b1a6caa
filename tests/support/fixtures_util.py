"""Loaders for the labelled fixtures (tests/fixtures/*.jsonl) and the seed dump (seeds/).

Every row keeps its 1-based line number in the fixture file (``n``), so that a test id and a
report can name the exact fixture line. Nothing here reads outside the project.
"""

from __future__ import annotations

import json
from functools import lru_cache

from support.paths import FIXTURES, SEEDS


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[dict, ...]:
    rows = []
    path = FIXTURES / f"{name}.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        row["n"] = n
        rows.append(row)
    return tuple(rows)


def load_jsonl(name: str) -> list[dict]:
    """Rows of ``tests/fixtures/<name>.jsonl`` (copies), each with ``n`` = its 1-based line."""
    return [dict(r) for r in _load(name)]


def row(name: str, n: int) -> dict:
    """Row ``n`` (1-based) of ``tests/fixtures/<name>.jsonl``."""
    found = _load(name)[n - 1]
    assert found["n"] == n
    return dict(found)


def seed_path(prefix: str):
    """The seed file whose name starts with ``prefix`` (e.g. ``"004"``)."""
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return path


@lru_cache(maxsize=None)
def _seed_lines(prefix: str) -> tuple[str, ...]:
    return tuple(seed_path(prefix).read_text(encoding="utf-8").split("\n"))


def seed_line(prefix: str, n: int) -> str:
    """Line ``n`` (1-based, without its line end) of the seed file starting with ``prefix``."""
    return _seed_lines(prefix)[n - 1]


def seed_lines(prefix: str) -> list[tuple[int, str]]:
    """All ``(line number, text)`` pairs of a seed file, blank lines included."""
    return list(enumerate(_seed_lines(prefix), 1))


def seed_prefixes() -> list[str]:
    return sorted(p.name[:3] for p in SEEDS.glob("*.txt"))


MARKER = "translated by 谷歌翻译"

#: Seed lines that are not abstracts: (file prefix, line) -> what they are.
SEED_NON_ABSTRACTS = {
    ("002", 1): "spam",
    ("002", 5): "heading 相關內容",
    ("002", 27): "company footer 北京阿比特科技有限公司",
}


def seed_abstracts() -> list[tuple[str, int, str]]:
    """Every abstract line of the seed dump: ``(prefix, line, text)``; marker lines, blank
    lines and the three labelled non-abstract lines of seed 002 are left out."""
    out = []
    for prefix in seed_prefixes():
        for n, text in seed_lines(prefix):
            if not text.strip() or text == MARKER or (prefix, n) in SEED_NON_ABSTRACTS:
                continue
            out.append((prefix, n, text))
    return out


def has_han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)
