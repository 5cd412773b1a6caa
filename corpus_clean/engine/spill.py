"""Temporary on-disk record stores, so that global decisions never hold record texts in memory.

Near-duplicate decisions need every record's signature before any record can be written, so
the records that survive exact dedup wait here (one orjson line each) between the scan and the
emit phase of the pipeline, and so do the exact duplicates, whose ``duplicate_of`` is resolved
once the near duplicates are known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import orjson

from ..records import Record

__all__ = ["RecordSpill", "record_row"]


def record_row(record: Record) -> bytes:
    """A record's spill line without its extra string: the orjson array ``[id, text, source,
    line, translated_by, mt_engine, marker_lines]`` and ``\\n`` (workers render it, see
    :mod:`.packed`; :meth:`RecordSpill.append_row` adds the extra)."""
    return orjson.dumps((record.id, record.text, record.source, record.line,
                         record.translated_by, record.mt_engine, record.marker_lines)) + b"\n"


class RecordSpill:
    """Append-only store of records (plus one optional string or number each) in a temporary
    file.

    Write records rendered by :func:`record_row` with :meth:`append_row`, then read back in the same order with
    :meth:`__iter__` (once :meth:`close` was called, or implicitly by iterating). A line is
    the orjson array ``[id, text, source, line, translated_by, mt_engine, marker_lines,
    extra]``.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._f = open(self.path, "wb")  # noqa: SIM115 - closed by close()

    def append_row(self, row: bytes, extra: str | int | None = None) -> None:
        """Store a record rendered by :func:`record_row` (with or without its ``\\n``) and
        ``extra``."""
        end = -2 if row.endswith(b"\n") else -1  # before the closing bracket
        self._f.write(b"".join((row[:end], b",", orjson.dumps(extra), b"]\n")))

    def close(self) -> None:
        """Finish writing."""
        if not self._f.closed:
            self._f.close()

    def lines(self) -> Iterator[bytes]:
        """Yield the stored lines (with their ``\\n``) in the order they were appended, for
        :meth:`parse` or a worker (:func:`corpus_clean.engine.work.tag_rows`)."""
        self.close()
        with open(self.path, "rb") as f:
            yield from f

    @staticmethod
    def parse(line: bytes) -> tuple[Record, str | int | None]:
        """``(record, extra)`` of one stored line."""
        rid, text, source, lineno, tby, engine, markers, extra = orjson.loads(line)
        return Record(rid, text, source, lineno, tby, engine, markers), extra

    def __iter__(self) -> Iterator[tuple[Record, str | int | None]]:
        """Yield ``(record, extra)`` in the order they were appended."""
        return map(self.parse, self.lines())
