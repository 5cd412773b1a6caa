"""Temporary on-disk record stores, so that global decisions never hold record texts in memory.

Near-duplicate decisions need every record's signature before any record can be written, so
the records that survive exact dedup wait here (one orjson line each) between the scan and the
emit phase of the pipeline, and so do the exact duplicates, whose ``duplicate_of`` is resolved
once the near duplicates are known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..records import Record
from .wire import parse_row, tag_row

__all__ = ["RecordSpill"]


class RecordSpill:
    """Append-only store of records, each with an integer tag, in a temporary file.

    Write records rendered by :func:`.wire.record_row` with :meth:`append_row`, then read them
    back in the same order with :meth:`lines` or :meth:`__iter__` (once :meth:`close` was
    called, or implicitly by iterating). The line format is :mod:`.wire`'s.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._f = open(self.path, "wb")  # noqa: SIM115 - closed by close()

    def append_row(self, row: bytes, tag: int | None = None) -> None:
        """Store a record rendered by :func:`.wire.record_row` (with or without its
        ``\\n``) with its ``tag`` (:func:`.wire.tag_row`)."""
        self._f.write(tag_row(row, tag))

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

    parse = staticmethod(parse_row)

    def __iter__(self) -> Iterator[tuple[Record, int | None]]:
        """Yield ``(record, tag)`` in the order they were appended."""
        return map(self.parse, self.lines())
