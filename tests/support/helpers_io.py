"""Shared helpers for the reader and split tests: real seed / fixture text and a small driver
around :func:`corpus_clean.reading.reader.open_lines`.

Only files under ``tests/`` and ``seeds/`` are used, so the tests run on a plain clone.
Binary, compressed and re-encoded inputs are built by the tests inside ``tmp_path``.
"""

from __future__ import annotations

import codecs
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from corpus_clean.errors import FileReadError
from corpus_clean.reading.reader import FileInfo, InputFile, open_lines

TESTS_DIR = Path(__file__).resolve().parents[1]
FIXTURES = TESTS_DIR / "fixtures"
SEEDS_DIR = TESTS_DIR.parent / "seeds"

#: The seed files by their 3-digit prefix ("000" .. "004").
SEEDS: dict[str, Path] = {p.name[:3]: p for p in sorted(SEEDS_DIR.glob("*.txt"))}
assert sorted(SEEDS) == ["000", "001", "002", "003", "004"], SEEDS

MARKER = "translated by 谷歌翻译"


def seed_bytes(key: str) -> bytes:
    return SEEDS[key].read_bytes()


def seed_text(key: str) -> str:
    return SEEDS[key].read_bytes().decode("utf-8")


def seed_lines(key: str) -> list[str]:
    """The seed's lines as a reader must give them (seeds use ``\\n`` and have no final
    newline, so ``split("\\n")`` is exact)."""
    return seed_text(key).split("\n")


def big_seed_bytes(copies: int = 4) -> bytes:
    """All five seeds joined by newlines, ``copies`` times (about 72 KB per copy): large
    enough that a compressed copy cut in half still decompresses past the 64 KiB sample."""
    return b"\n".join([SEEDS[k].read_bytes() for k in sorted(SEEDS)] * copies)


def fixture_jsonl(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class ReadResult:
    lines: list[str]
    info: FileInfo
    error: FileReadError | None


def read_all(path: Path, source: str | None = None, **kwargs) -> ReadResult:
    """Consume ``open_lines`` on ``path``; return the lines read, the FileInfo and the
    FileReadError that ended the stream (or None)."""
    source = source or path.name
    info = FileInfo(source)
    lines: list[str] = []
    try:
        for line in open_lines(InputFile(path, source), info, **kwargs):
            lines.append(line)
    except FileReadError as exc:
        return ReadResult(lines, info, exc)
    return ReadResult(lines, info, None)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def gzip_prefix_text(compressed: bytes) -> str:
    """Everything that can be decompressed from a (possibly truncated) gzip stream, decoded
    as UTF-8 with a multi-byte character cut at the end dropped: the text a reader could
    recover from the file."""
    data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(compressed)
    return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
