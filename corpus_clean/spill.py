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

from .records import Record

__all__ = ["RecordSpill"]


class RecordSpill:
    """Append-only store of records (plus one optional string each) in a temporary file.

    Write with :meth:`append`, then read back in the same order with :meth:`__iter__` (once
    :meth:`close` was called, or implicitly by iterating).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._f = open(self.path, "wb")  # noqa: SIM115 - closed by close()

    def append(self, record: Record, extra: str | None = None) -> None:
        """Store ``record`` (all fields but language and dedup key) and ``extra``."""
        self._f.write(orjson.dumps((
            record.id, record.text, record.source, record.line, record.translated_by,
            record.mt_engine, record.marker_lines, extra,
        )) + b"\n")

    def close(self) -> None:
        """Finish writing."""
        if not self._f.closed:
            self._f.close()

    def __iter__(self) -> Iterator[tuple[Record, str | None]]:
        """Yield ``(record, extra)`` in the order they were appended."""
        self.close()
        with open(self.path, "rb") as f:
            for line in f:
                rid, text, source, lineno, tby, engine, markers, extra = orjson.loads(line)
                yield Record(rid, text, source, lineno, tby, engine, markers), extra
