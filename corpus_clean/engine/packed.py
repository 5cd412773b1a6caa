"""Scan results packed by the worker for the run's process: lines already rendered, a few facts
per record, and the MinHash data as flat arrays.

Why: the run's process is one process for all workers, and everything it does per record is
serial. Handed :class:`.work.Scanned` objects, it unpickled every record (17 µs each), encoded
it again for the checkpoint (10 µs), rendered its reject or spill line (5 µs), and each
worker pickled them first (12 µs): about a fifth of the CPU of a run with two workers, on the
two cores the workers need. Packed, a task's results are a handful of byte strings and arrays
(pickled by copying them), and the run's process writes the rendered lines as they are.

A :class:`PackedScan` holds, for ``n`` records in input order:

* ``rows``: ``n`` lines, each ending in ``\\n``: a dropped record's ``rejected.jsonl`` line
  (:func:`.writer.rejected_row`), or a surviving record's line for the spill
  (:func:`.spill.record_row`). orjson escapes every control character inside strings, so
  ``\\n`` occurs only at the ends of lines.
* ``meta``: an orjson array of ``n`` entries: ``[0, stage, reason, marker_lines, mt_engine]``
  for a dropped record (what the report counts), ``[1, id, short, length, signed]`` for a
  survivor (``short``: its stripped text when it is short enough for the repetition rule,
  :class:`.stages.repetition.RepeatedLineFilter`, else null; ``length``: characters;
  ``signed``: whether it carries a MinHash signature).
* ``dedup_keys``: the 16-byte exact-dedup key of each survivor, concatenated.
* ``band_keys`` (``uint64``, ``(signed, bands)``), ``shingles`` (``uint32``, flat) and
  ``shingle_counts`` (``int64``, one per signed record): the LSH band keys and shingle hashes
  of each signed record.

The checkpoint (:mod:`.resume`) stores these fields as they are (:meth:`PackedScan.encode`,
:meth:`PackedScan.decode`: one JSON header line, then the raw bytes; parsed, never unpickled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import orjson

from ..config import Config
from ..output.writer import rejected_row
from .spill import record_row

__all__ = ["PackedScan", "pack"]

_EMPTY_KEYS = np.zeros((0, 0), dtype=np.uint64)


@dataclass
class PackedScan:
    """One scan task's results, packed (see the module docstring for the fields). ``seconds``
    and ``facts`` are those of :data:`.work.ScanResult` (empty for results restored from a
    checkpoint)."""

    file_index: int
    end: bool
    rows: bytes
    meta: bytes
    dedup_keys: bytes = b""
    band_keys: np.ndarray = field(default_factory=lambda: _EMPTY_KEYS)
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    shingle_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seconds: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    #: the worker memo's new survivors (:meth:`.work.RepeatMemo.learned`), for the other
    #: workers; not part of the checkpoint
    learned: np.ndarray | None = None

    def encode(self) -> bytes:
        """The checkpoint form: a JSON header line (the byte length of each field and the
        shape of the band keys), then the fields' bytes."""
        head = [len(self.rows), len(self.meta), len(self.dedup_keys),
                list(self.band_keys.shape), len(self.shingles), len(self.shingle_counts)]
        return b"".join((orjson.dumps(head), b"\n", self.rows, self.meta, self.dedup_keys,
                         self.band_keys.astype("<u8").tobytes(),
                         self.shingles.astype("<u4").tobytes(),
                         self.shingle_counts.astype("<i8").tobytes()))

    @classmethod
    def decode(cls, f: BinaryIO, file_index: int) -> "PackedScan | None":
        """Read one :meth:`encode`-d batch of file ``file_index`` from ``f``; None at the end.

        Raises:
            ValueError: the data is damaged or ends early.
        """
        line = f.readline()
        if not line:
            return None
        try:
            n_rows, n_meta, n_keys, shape, n_shingles, n_counts = orjson.loads(line)
            rows, meta, dedup_keys = f.read(n_rows), f.read(n_meta), f.read(n_keys)
            band = f.read(8 * shape[0] * shape[1])
            shingles, counts = f.read(4 * n_shingles), f.read(8 * n_counts)
        except (ValueError, TypeError, IndexError) as exc:  # JSON, or not six fields
            raise ValueError(f"bad header: {exc}") from None
        if (len(rows), len(meta), len(dedup_keys), len(band), len(shingles), len(counts)) != \
                (n_rows, n_meta, n_keys, 8 * shape[0] * shape[1], 4 * n_shingles, 8 * n_counts):
            raise ValueError("data ends early")
        packed = cls(file_index, False, rows, meta, dedup_keys,
                     np.frombuffer(band, "<u8").reshape(shape).astype(np.uint64),
                     np.frombuffer(shingles, "<u4").astype(np.uint32),
                     np.frombuffer(counts, "<i8").astype(np.int64))
        packed.check()
        return packed

    def check(self) -> None:
        """Check that the fields agree with each other: one line per entry of ``meta``, a
        16-byte key per survivor, band keys and a shingle count per signed survivor, the
        counts summing to the shingles.

        Raises:
            ValueError: they do not (damaged data).
        """
        try:
            meta = orjson.loads(self.meta)
            survivors = sum(1 for entry in meta if entry[0] == 1)
            signed = sum(1 for entry in meta if entry[0] == 1 and entry[4])
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise ValueError(f"bad record facts: {exc}") from None
        lines = self.rows.count(b"\n")
        if lines != len(meta) or (self.rows and not self.rows.endswith(b"\n")):
            raise ValueError(f"{lines} lines for {len(meta)} records")
        if len(self.dedup_keys) != 16 * survivors or len(self.band_keys) != signed or \
                len(self.shingle_counts) != signed or \
                int(self.shingle_counts.sum()) != len(self.shingles):
            raise ValueError("keys, band keys or shingle counts do not match the records")


def pack(result, config: Config) -> PackedScan:
    """Pack a :data:`.work.ScanResult` (see the module docstring). Pure; runs in the worker.

    Raises:
        ValueError: a survivor without an exact-dedup key (a bug in the scan).
    """
    file_index, end, items, seconds, facts = result
    rows, meta, dedup_keys, bands, shingles = [], [], [], [], []
    max_chars = config.repeat_max_chars
    for item in items:
        record, drop = item.record, item.drop
        if drop is not None:
            rows.append(rejected_row(record, drop))
            meta.append((0, drop.stage, drop.reason, len(record.marker_lines),
                         record.mt_engine or "unknown"))
            continue
        if item.key is None:
            raise ValueError(f"{record.id}: survivor without a dedup key")
        rows.append(record_row(record))
        stripped = record.text.strip()
        signed = item.keys is not None
        meta.append((1, record.id, stripped if len(stripped) <= max_chars else None,
                     len(record.text), signed))
        dedup_keys.append(item.key)
        if signed:
            bands.append(item.keys)
            shingles.append(item.hashes)
    return PackedScan(
        file_index, end, b"".join(rows), orjson.dumps(meta), b"".join(dedup_keys),
        np.stack(bands).astype(np.uint64) if bands else _EMPTY_KEYS,
        np.concatenate(shingles).astype(np.uint32) if shingles else np.zeros(0, np.uint32),
        np.array([len(h) for h in shingles], dtype=np.int64), seconds, facts)
