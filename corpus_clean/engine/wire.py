"""The wire format: what the per-record half sends the ordered half, defined once.

Three shapes cross that line, whatever the executor:

* :class:`PackedScan`: one scan task's results as a local worker packs them (below), and as
  the checkpoint stores them;
* :class:`ScanSummary`: what the ordered driver (:mod:`.ordered`) accounts for each scan
  result, in input order: the records dropped by per-record stages (their ``rejected.jsonl``
  lines and counts), how many reach dedup, and the short ones the repetition rule counts;
* :class:`Emitted`: a batch of the emit phase: ``clean.jsonl`` lines with their counts, and
  ``rejected.jsonl`` lines of duplicates and repeated lines with theirs.

Records waiting between the scan and the emit phase are spill lines (:func:`record_row`,
:func:`parse_row`), each tagged with one integer (:func:`tag_row`, :func:`row_tag`), whose
meaning has named helpers: :func:`survivor_tag`, :func:`is_short_survivor`,
:func:`duplicate_tag`, :func:`read_duplicate_tag`.

Why packed: the run's process is one process for all workers, and everything it does per
record is serial. Handed :class:`.work.Scanned` objects, it unpickled every record (17 µs
each), encoded it again for the checkpoint (10 µs), rendered its reject or spill line (5 µs),
and each worker pickled them first (12 µs): about a fifth of the CPU of a run with two workers,
on the two cores the workers need. Packed, a task's results are a handful of byte strings and
arrays (pickled by copying them), and the run's process writes the rendered lines as they are.

A :class:`PackedScan` holds, for ``n`` records in input order:

* ``rows``: ``n`` lines, each ending in ``\\n``: a dropped record's ``rejected.jsonl`` line
  (:func:`.writer.rejected_row`), or a surviving record's spill line (:func:`record_row`).
  orjson escapes every control character inside strings, so ``\\n`` occurs only at the ends
  of lines.
* ``meta``: an orjson array of ``n`` entries, read with :func:`record_facts`: a
  :class:`DroppedFacts` (``[0, stage, reason, marker_lines, mt_engine]``: what the report
  counts) for a dropped record, a :class:`SurvivorFacts` (``[1, id, short, length, signed]``)
  for a survivor.
* ``dedup_keys``: the 16-byte exact-dedup key of each survivor, concatenated.
* ``band_keys`` (``uint64``, ``(signed, bands)``), ``shingles`` (``uint32``, flat) and
  ``shingle_counts`` (``int64``, one per signed record): the LSH band keys and shingle hashes
  of each signed record.
* ``line_rows`` and ``line_meta``: the ``removed-lines.jsonl`` lines of the lines removed from
  page documents (:func:`.writer.removed_line_row`), and ``[stage, reason]`` of each.

The checkpoint (:mod:`.resume`) stores these fields as they are (:meth:`PackedScan.encode`,
:meth:`PackedScan.decode`: one JSON header line, then the raw bytes; parsed, never unpickled).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

import numpy as np
import orjson

from ..config import Config
from ..output.writer import rejected_row, removed_line_row
from ..records import Record
from ..stages.markers import marker_engine
from ..stages.repetition import repeat_key

__all__ = ["PackedScan", "pack", "document_lines", "DroppedFacts", "SurvivorFacts", "record_facts", "ScanSummary",
           "Emitted", "record_row", "parse_row", "tag_row", "row_tag", "row_text", "survivor_tag",
           "is_short_survivor", "duplicate_tag", "read_duplicate_tag"]


# --- spill lines ---------------------------------------------------------------------------

def record_row(record: Record) -> bytes:
    """A record's spill line, untagged: the orjson array ``[id, text, source, line,
    translated_by, mt_engine, marker_lines]``, and ``[page, meta]`` after them for a page's
    record, then ``\\n`` (workers render it; :func:`tag_row` adds the tag)."""
    fields = (record.id, record.text, record.source, record.line, record.translated_by,
              record.mt_engine, record.marker_lines)
    if record.page is not None or record.meta is not None:
        fields += ([record.page, record.meta], )
    return orjson.dumps(fields) + b"\n"


def tag_row(row: bytes, tag: int | None) -> bytes:
    """The spill line of ``row`` (from :func:`record_row`, with or without its ``\\n``) with
    ``tag`` as its last element, ending in ``\\n``."""
    end = -2 if row.endswith(b"\n") else -1  # before the closing bracket
    return b"".join((row[:end], b",", orjson.dumps(tag), b"]\n"))


def parse_row(line: bytes) -> tuple[Record, int | None]:
    """``(record, tag)`` of a tagged spill line."""
    *fields, tag = orjson.loads(line)
    record = Record(*fields[:7])
    if len(fields) == 8:
        record.page, record.meta = fields[7]
    return record, tag


def row_text(row: bytes) -> str:
    """The text of a record's spill line (tagged or not)."""
    return orjson.loads(row)[1]


def row_tag(line: bytes) -> int:
    """The integer tag of a tagged spill line, read without parsing the line."""
    return int(line[line.rindex(b",") + 1:-2])


#: the tag of a survivor short enough for the repetition rule to drop it, and of a page's
#: document (whose short lines it may remove)
_SHORT, _DOCUMENT = 1, 2
_SHORT_END = b"," + orjson.dumps(_SHORT) + b"]\n"
_DOCUMENT_END = b"," + orjson.dumps(_DOCUMENT) + b"]\n"


def survivor_tag(short: bool, document: bool = False) -> int | None:
    """The tag of an exact survivor's spill line: whether the repetition rule
    (:class:`~corpus_clean.stages.repetition.RepeatedLineFilter`) may drop it (``short``) or
    remove lines from it (a page's ``document``)."""
    return _SHORT if short else _DOCUMENT if document else None


def is_short_survivor(line: bytes) -> bool:
    """Whether a survivor's spill line was tagged short or a document (:func:`survivor_tag`):
    the repetition rule must look at it. Without parsing it."""
    return line.endswith(_SHORT_END) or line.endswith(_DOCUMENT_END)


def duplicate_tag(first: int, short: bool) -> int:
    """The tag of an exact duplicate's spill line: the survivor number of the record it
    duplicates (``first`` >= 0), stored as ``-1 - first`` when the duplicate is short (the
    repetition rule may drop it)."""
    return -1 - first if short else first


def read_duplicate_tag(line: bytes) -> tuple[int, bool]:
    """``(first, short)`` of an exact duplicate's spill line (see :func:`duplicate_tag`)."""
    tag = row_tag(line)
    return (-1 - tag, True) if tag < 0 else (tag, False)


# --- record facts of a packed scan -----------------------------------------------------------

class DroppedFacts(NamedTuple):
    """What the report counts of a record dropped by a per-record stage."""

    stage: str
    reason: str
    marker_lines: int  # marker lines stripped from it
    mt_engine: str  # their engine ("unknown" for none)


class SurvivorFacts(NamedTuple):
    """What the ordered half needs of a record that reaches dedup."""

    id: str
    short: str | None  # its stripped text if short enough for the repetition rule, else None
    length: int  # characters
    signed: bool  # whether it carries a MinHash signature in the packed arrays
    #: for a page's document, its lines short enough for the repetition rule (stripped), which
    #: count as occurrences as short records do; None for every other record
    lines: list | None = None


def record_facts(meta: bytes) -> list[DroppedFacts | SurvivorFacts]:
    """The facts of each record of a :class:`PackedScan`, in order, from its ``meta``."""
    return [SurvivorFacts(*e[1:]) if e[0] else DroppedFacts(*e[1:]) for e in orjson.loads(meta)]


def document_lines(text: str, max_chars: int) -> list[str]:
    """The distinct lines of a document short enough (at most ``max_chars`` characters,
    stripped) to count for the repetition rule, stripped, in order of first occurrence: each
    counts once per document (by the rule's key, digits folded), so that the rule sees lines
    repeated across pages (a site's toolbar), not lines a page repeats itself (code, the
    steps of a recipe, Step 1 ... Step 6)."""
    seen: dict[bytes, str] = {}
    for line in text.split("\n"):
        s = line.strip()
        if s and len(s) <= max_chars:
            seen.setdefault(repeat_key(s), s)  # by the rule's own key: digits folded
    return list(seen.values())


# --- what the ordered driver accounts ---------------------------------------------------------

@dataclass
class ScanSummary:
    """One scan result as the ordered driver accounts it (:func:`.ordered.run_ordered`).

    Attributes:
        file_index: the run's number of the file scanned.
        end: whether this is the file's last result.
        seconds: time per stage (summary only, never in an output file).
        facts: what the worker read (``lines``, ``replaced_bytes``).
        records: records of the file in this result.
        reject_rows: the ``rejected.jsonl`` lines of the records dropped by per-record
            stages, in order, joined.
        drops: their :class:`DroppedFacts`, in the same order.
        reached: how many records reach dedup.
        shorts: ``(exact-dedup key, stripped text)`` of each record reaching dedup short
            enough for the repetition rule, in order.
        line_rows: the ``removed-lines.jsonl`` lines of the lines removed from documents,
            joined; ``line_drops``: ``(stage, reason)`` of each.
    """

    file_index: int
    end: bool
    seconds: dict
    facts: dict
    records: int
    reject_rows: bytes
    drops: list
    reached: int
    shorts: list
    line_rows: bytes = b""
    line_drops: list = field(default_factory=list)


@dataclass
class Emitted:
    """A batch of the emit phase, in output order within each file.

    Attributes:
        clean_rows: ``clean.jsonl`` lines (chunks of lines, joined when written);
            ``clean_count`` lines in all.
        kept_per_source, languages: the kept records per source file and per language.
        reject_rows: ``rejected.jsonl`` lines (duplicates, repeated lines), in chunks.
        drops: the rejected records per ``(source, stage, reason)``.
        marker_engines: stripped marker lines per engine, of kept and rejected records.
        snippets: ``(id, source, line, snippet)`` of kept records that head a cluster.
        members: the cluster entries of the rejected duplicates
            (:func:`~corpus_clean.output.report.cluster_member`), in order.
        near_roots: ``(id, kept id, Jaccard similarity)`` of each near duplicate rejected.
        seconds: time spent identifying languages.
        line_rows, line_drops: ``removed-lines.jsonl`` lines of lines the repetition rule
            removed from kept documents, and ``(source, stage, reason)`` of each.
        shards: :class:`~corpus_clean.output.shards.Shard` s a cluster's worker wrote instead
            of sending rows (then ``clean_rows``, ``reject_rows`` and ``line_rows`` are empty).
    """

    clean_rows: list = field(default_factory=list)
    clean_count: int = 0
    kept_per_source: dict = field(default_factory=dict)
    languages: dict = field(default_factory=dict)
    reject_rows: list = field(default_factory=list)
    drops: dict = field(default_factory=dict)
    marker_engines: dict = field(default_factory=dict)
    snippets: list = field(default_factory=list)
    members: list = field(default_factory=list)
    near_roots: list = field(default_factory=list)
    seconds: float = 0.0
    line_rows: list = field(default_factory=list)
    line_drops: list = field(default_factory=list)
    shards: list = field(default_factory=list)

    def add_removed_lines(self, record: Record, start: int = 0) -> None:
        """Add the lines removed from ``record`` (its :attr:`~Record.removed` entries from
        ``start`` on) to this batch."""
        for removed in (record.removed or [])[start:]:
            self.line_rows.append(removed_line_row(record, removed))
            self.line_drops.append((record.source, removed[1], removed[2]))

    def add_reject(self, record: Record, drop, row: bytes) -> None:
        """Count one rejected record (its ``row`` already rendered) in this batch."""
        self.reject_rows.append(row)
        slot = (record.source, drop.stage, drop.reason)
        self.drops[slot] = self.drops.get(slot, 0) + 1
        count_markers(self.marker_engines, record)


def count_markers(engines: dict[str, int], record: Record) -> None:
    """Add ``record``'s stripped marker lines to ``engines`` (engine -> lines)."""
    if record.marker_lines:
        engine = marker_engine(record)
        engines[engine] = engines.get(engine, 0) + len(record.marker_lines)

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
    #: ``removed-lines.jsonl`` lines of the lines removed from documents (see
    #: :attr:`corpus_clean.records.Record.removed`), joined, and ``[stage, reason]`` of each
    #: (an orjson array)
    line_rows: bytes = b""
    line_meta: bytes = b"[]"
    #: the worker memo's new survivors (:meth:`.work.RepeatMemo.learned`), for the other
    #: workers; not part of the checkpoint
    learned: np.ndarray | None = None

    def encode(self) -> bytes:
        """The checkpoint form: a JSON header line (the byte length of each field and the
        shape of the band keys), then the fields' bytes."""
        head = [len(self.rows), len(self.meta), len(self.dedup_keys),
                list(self.band_keys.shape), len(self.shingles), len(self.shingle_counts),
                len(self.line_rows), len(self.line_meta)]
        return b"".join((orjson.dumps(head), b"\n", self.rows, self.meta, self.dedup_keys,
                         self.band_keys.astype("<u8").tobytes(),
                         self.shingles.astype("<u4").tobytes(),
                         self.shingle_counts.astype("<i8").tobytes(),
                         self.line_rows, self.line_meta))

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
            n_rows, n_meta, n_keys, shape, n_shingles, n_counts, n_lines, n_line_meta = \
                orjson.loads(line)
            rows, meta, dedup_keys = f.read(n_rows), f.read(n_meta), f.read(n_keys)
            band = f.read(8 * shape[0] * shape[1])
            shingles, counts = f.read(4 * n_shingles), f.read(8 * n_counts)
            line_rows, line_meta = f.read(n_lines), f.read(n_line_meta)
        except (ValueError, TypeError, IndexError) as exc:  # JSON, or not eight fields
            raise ValueError(f"bad header: {exc}") from None
        if (len(rows), len(meta), len(dedup_keys), len(band), len(shingles), len(counts),
                len(line_rows), len(line_meta)) != \
                (n_rows, n_meta, n_keys, 8 * shape[0] * shape[1], 4 * n_shingles, 8 * n_counts,
                 n_lines, n_line_meta):
            raise ValueError("data ends early")
        packed = cls(file_index, False, rows, meta, dedup_keys,
                     np.frombuffer(band, "<u8").reshape(shape).astype(np.uint64),
                     np.frombuffer(shingles, "<u4").astype(np.uint32),
                     np.frombuffer(counts, "<i8").astype(np.int64),
                     line_rows=line_rows, line_meta=line_meta)
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
        try:
            removed = len(orjson.loads(self.line_meta))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"bad removed-line facts: {exc}") from None
        if self.line_rows.count(b"\n") != removed:
            raise ValueError("removed lines do not match their facts")


def pack(result, config: Config) -> PackedScan:
    """Pack a :data:`.work.ScanResult` (see the module docstring). Pure; runs in the worker.

    Raises:
        ValueError: a survivor without an exact-dedup key (a bug in the scan).
    """
    file_index, end, items, seconds, facts = result
    rows, meta, dedup_keys, bands, shingles = [], [], [], [], []
    line_rows, line_meta = [], []
    max_chars = config.repeat_max_chars
    for item in items:
        record, drop = item.record, item.drop
        if record.removed:
            line_rows += map(removed_line_row, itertools.repeat(record), record.removed)
            line_meta += ((stage, reason) for _, stage, reason, _, _ in record.removed)
        if drop is not None:
            rows.append(rejected_row(record, drop))
            meta.append((0, drop.stage, drop.reason, len(record.marker_lines),
                         marker_engine(record)))
            continue
        if item.key is None:
            raise ValueError(f"{record.id}: survivor without a dedup key")
        rows.append(record_row(record))
        stripped = record.text.strip()
        signed = item.keys is not None
        entry = (1, record.id, stripped if len(stripped) <= max_chars else None,
                 len(record.text), signed)
        if record.is_document:
            entry += (document_lines(record.text, max_chars), )
        meta.append(entry)
        dedup_keys.append(item.key)
        if signed:
            bands.append(item.keys)
            shingles.append(item.hashes)
    return PackedScan(
        file_index, end, b"".join(rows), orjson.dumps(meta), b"".join(dedup_keys),
        np.stack(bands).astype(np.uint64) if bands else _EMPTY_KEYS,
        np.concatenate(shingles).astype(np.uint32) if shingles else np.zeros(0, np.uint32),
        np.array([len(h) for h in shingles], dtype=np.int64), seconds, facts,
        b"".join(line_rows), orjson.dumps(line_meta))
