"""A file as records: its head (layout and marker lines), then its records, read either in the
run's process (:class:`FileReader`) or in blocks by the workers (:func:`block_tasks`,
:func:`block_items`).

Reading in blocks is how one large file is read on all cores. The run's process reads the
file's bytes (decompressing them; no decoding) and cuts them into blocks only before a line
where a record always starts, whatever came before (:func:`.split.starts_record`): a content
line, and in the ``blank`` layout one after a blank or marker line. Each block then decodes,
repairs and splits into whole records on its own in a worker, numbered from its first line, so
its records, their ids and every reject are those the file read in one piece gives (tests
compare both ways on the seeds, the fixtures and fuzzed files). Files in an encoding that
cannot be cut at byte level (UTF-16/32: :func:`.reader.splits_at_line_ends`), and files whose
first lines already fail to read, are read in the run's process by :class:`FileReader`.
"""

from __future__ import annotations

import codecs
import itertools
from dataclasses import dataclass
from typing import Iterator

import orjson
import xxhash

from ..config import Config
from ..errors import FileReadError, InputError
from ..records import Drop, Record, record_id
from ..stages.markers import MarkerMatcher
from .reader import (
    MAX_LINE_CHARS,
    FileInfo,
    InputFile,
    LongLine,
    RawBlock,
    check_unchanged,
    block_codec,
    block_lines,
    cut_at,
    open_lines,
    open_regular,
    read_blocks,
    read_span,
    repair_text,
    span_facts,
    splits_at_line_ends,
)
from .split import RecordSplitter, detect_layout, starts_record

__all__ = ["Item", "FileReader", "ItemBuilder", "BlockTask", "block_tasks", "block_items",
           "CutTask", "cut_block", "cut_tasks", "is_jsonl", "iter_file_records",
           "JSONL_SUFFIXES"]

#: ``(record, None)`` for a record to process, ``(record, drop)`` for one lost at read time.
Item = tuple[Record, Drop | None]

#: file names read as JSON Lines (before a compression suffix)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")


def is_jsonl(source: str) -> bool:
    """Whether ``source`` is read as JSON Lines: its name ends in ``.jsonl`` or ``.ndjson``,
    possibly followed by a compression suffix (``.jsonl.gz``)."""
    name = source.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.endswith(JSONL_SUFFIXES)


class ItemBuilder:
    """Numbered lines of one file (or of a block that starts at a record boundary) ->
    :data:`Item` pairs: records split by the file's layout (:class:`.split.RecordSplitter`),
    or for JSON Lines one record per non-blank line, its text in ``text_field``. A line too
    long to hold (:class:`.reader.LongLine`) is rejected (``line_too_long``) and counts as a
    blank line. Feed lines in order with :meth:`feed`, then call :meth:`finish`."""

    def __init__(self, source: str, layout: str | None, is_marker: MarkerMatcher,
                 text_field: str = "text"):
        self.source, self.text_field = source, text_field
        self.jsonl = layout == "jsonl"
        self._splitter = None if self.jsonl else RecordSplitter(layout or "line", is_marker)

    def _record(self, raw) -> Item:
        return Record(record_id(self.source, raw.line), "\n".join(raw.lines), self.source,
                      raw.line), None

    def _jsonl_item(self, lineno: int, line: str) -> list[Item]:
        """JSON Lines input: a line that is not a JSON object with a string in ``text_field``
        is rejected (stage ``read``); the text is repaired once parsed."""
        if not line.strip():
            return []
        source = self.source
        rid = record_id(source, lineno)
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return [(Record(rid, line, source, lineno),
                     Drop("read", "malformed_json", f"{source} line {lineno}: {exc}"))]
        text = obj.get(self.text_field) if isinstance(obj, dict) else None
        if not isinstance(text, str):
            return [(Record(rid, line, source, lineno),
                     Drop("read", "no_text_field",
                          f"{source} line {lineno}: no string field {self.text_field!r}"))]
        return [(Record(rid, repair_text(text), source, lineno), None)]

    def feed(self, lineno: int, line: str) -> list[Item]:
        """Take line ``lineno`` (1-based); return the items it completed."""
        out: list[Item] = []
        if isinstance(line, LongLine):  # never held whole: rejected, a boundary
            out.append(_long_line_item(self.source, lineno, line))
            line = ""
        if self.jsonl:
            return out + self._jsonl_item(lineno, line)
        return out + [self._record(raw) for raw in self._splitter.feed(lineno, line)]

    def finish(self) -> list[Item]:
        """End of the file (or block): the last record, if any."""
        return [] if self.jsonl else [self._record(raw) for raw in self._splitter.finish()]


def _long_line_item(source: str, lineno: int, line: LongLine) -> Item:
    return (Record(record_id(source, lineno), str(line), source, lineno),
            Drop("read", "line_too_long",
                 f"{source} line {lineno}: {line.chars:,} characters, over the limit of "
                 f"{MAX_LINE_CHARS:,}; skipped (its first {len(line):,} characters kept here)"))


def _fault_item(source: str, lines_read: int, exc: FileReadError) -> Item:
    """The reject for a read that failed after ``lines_read`` complete lines: the whole file
    as one entry (``line=None``) if nothing could be read, else its incomplete line."""
    if lines_read == 0 and not exc.partial_text:
        return Record(record_id(source, None), "", source, None), Drop("read", exc.reason,
                                                                       str(exc))
    start = lines_read + 1
    return Record(record_id(source, start), exc.partial_text, source, start), \
        Drop("read", exc.reason, str(exc))


class FileReader:
    """Read one file: its first lines (the head) on creation, its records when iterated.

    The head decides the file's context: the record layout (:func:`.split.detect_layout`) and
    the marker lines (:class:`.stages.markers.MarkerMatcher`, which also takes a bare engine
    name that recurs in the head as a marker). Iterating yields ``(record, None)`` per record,
    or ``(record, Drop)`` for text that could not be read (stage ``read``): the whole file as
    one entry with ``line=None`` if nothing could be read, or, for a file that ends early or is
    corrupt further on, the incomplete line after the last complete one (the records of the
    complete lines are processed as usual). Never raises :class:`FileReadError`; sets
    ``info.error`` instead. :meth:`splittable` says whether the rest may be read in blocks
    instead (:func:`block_tasks`).
    """

    def __init__(self, file: InputFile, info: FileInfo, config: Config):
        self.file, self.info = file, info
        self.jsonl = is_jsonl(file.source)
        self._lines = open_lines(file, info, config.chunk_bytes, config.sample_bytes,
                                 repair=not self.jsonl, encoding=config.encoding,
                                 scan_bytes=config.encoding_scan_bytes)
        self._head: list[str] = []
        self._early: FileReadError | None = None
        try:  # look ahead; a fault here still leaves the lines read so far
            for line in self._lines:
                self._head.append(line)
                if len(self._head) >= config.layout_sample_lines:
                    break
        except FileReadError as exc:
            self._early = exc
        self.is_marker = MarkerMatcher.from_head(self._head)
        self.text_field = config.jsonl_text_field
        if self.jsonl:
            info.layout = "jsonl"
        else:
            info.layout = detect_layout(self._head, self.is_marker) if self._head else None

    def splittable(self) -> bool:
        """Whether the file may be read in blocks: its head was read without a fault and its
        encoding can be cut at line ends (:func:`.reader.splits_at_line_ends`)."""
        return self._early is None and self.info.encoding is not None and \
            splits_at_line_ends(self.info.encoding)

    def close(self) -> None:
        """Stop reading (the head stays)."""
        self._lines.close()

    def __iter__(self) -> Iterator[Item]:
        info = self.info
        builder = ItemBuilder(self.file.source, info.layout, self.is_marker, self.text_field)
        lines = self._head if self._early else itertools.chain(self._head, self._lines)
        lineno = 0
        try:
            for lineno, line in enumerate(lines, start=1):
                yield from builder.feed(lineno, line)
            if self._early:
                raise self._early
            yield from builder.finish()
        except FileReadError as exc:
            info.error = str(exc)
            info.extra["reason"] = exc.reason
            if lineno == 0 and not exc.partial_text:  # nothing could be read: one entry
                yield _fault_item(self.file.source, 0, exc)
                return
            yield from builder.finish()  # complete lines read before the fault are records
            yield _fault_item(self.file.source, lineno, exc)


def open_reader(file: InputFile, info: FileInfo, config: Config):
    """The reader of one file: a :class:`.pages.PageReader` for an HTML or Markdown page (by
    its name, or an HTML document by its first lines), else a :class:`FileReader`."""
    from .pages import PageReader, looks_like_html, page_kind

    kind = page_kind(file.source)
    if kind is None:
        reader = FileReader(file, info, config)
        if reader.jsonl or reader._early is not None or not looks_like_html(reader._head):
            return reader
        reader.close()
        info.lines = info.replaced_bytes = 0
        kind = "html"
    return PageReader(file, info, config, kind, MarkerMatcher())


def iter_file_records(file: InputFile, info: FileInfo, config: Config) -> Iterator[Item]:
    """Read and split one file in this process (see :func:`open_reader`)."""
    return iter(open_reader(file, info, config))


@dataclass
class BlockTask:
    """A block of one file for a worker: ``block`` (:class:`.reader.RawBlock`, bytes cut at a
    record boundary) decodes with ``encoding`` and splits by ``layout`` and the file's marker
    lines (``bare_markers``: see :class:`.stages.markers.MarkerMatcher`); ``tail`` is the read
    reject that ends the file, if its read failed; ``end`` marks the file's last block and
    ``number`` counts the file's blocks from 0; ``run`` names the run (see
    :func:`.work.worker_memo`). A block with a :attr:`~.reader.RawBlock.span` and no parts
    is read by the worker from ``path`` (the file's :class:`pathlib.Path` or
    :class:`.storage.RemotePath`; see :func:`block_tasks`)."""

    file_index: int
    number: int
    source: str
    layout: str
    bare_markers: frozenset
    encoding: str
    block: RawBlock
    tail: Item | None
    end: bool
    config: Config
    run: str = ""
    path: object = None
    learned: object = None  # survivors other workers learned: see work.RepeatMemo.learn


def _record_starts(layout: str, is_marker: MarkerMatcher):
    """``starts(previous line, line)``: whether a block may start at ``line``
    (:func:`.split.starts_record`; every line of JSON Lines)."""
    def starts(prev: str, line: str) -> bool:
        return True if layout == "jsonl" else starts_record(layout, is_marker, prev, line)

    return starts


def block_tasks(file_index: int, reader: FileReader, config: Config,
                run: str = "", by_span: bool = False) -> Iterator[BlockTask]:
    """Read the file of ``reader`` (whose head was read, and which is
    :meth:`~FileReader.splittable`) in blocks of at least ``config.block_bytes`` bytes.
    The head's lines are read again as part of the first block; ``reader.info`` counts are
    reset for it (the workers count lines and replaced bytes). Never raises
    :class:`FileReadError`: a file that cannot be opened again is one reject, as
    :class:`FileReader` gives it.

    ``by_span``: the tasks of an uncompressed file name their bytes by span (offset, length,
    XXH3-64; :func:`.reader.read_span`) instead of carrying them, for workers that can open
    the file themselves (a Dask cluster reading the dump's URL or a shared disk): a task is
    then a few hundred bytes, whatever the block's size, and the scheduler, which keeps every
    task's input for recomputation, does not hold a copy of the dump."""
    file, info = reader.file, reader.info
    reader.close()
    info.lines = info.replaced_bytes = 0
    layout = info.layout or "line"
    is_marker = reader.is_marker
    bare = is_marker.bare_lines
    starts = _record_starts(layout, is_marker)

    def task(number: int, block: RawBlock, tail: Item | None, end: bool) -> BlockTask:
        path = None
        if block.span is not None:
            block.parts, path = [], file.path  # the worker reads the span
        return BlockTask(file_index, number, file.source, layout, bare,
                         block_codec(info.encoding), block, tail, end, config, run, path)

    number = -1
    try:
        for number, block in enumerate(read_blocks(file, info, info.encoding, starts,
                                                   config.block_bytes, config.chunk_bytes,
                                                   spans=by_span)):
            tail = None
            if block.fault is not None:
                info.error = str(block.fault)
                info.extra["reason"] = block.fault.reason
                complete = sum(1 if isinstance(p, LongLine) else
                               p.count(b"\n") + p.count(b"\r") - p.count(b"\r\n")
                               for p in block.parts)
                tail = _fault_item(file.source, block.first_line - 1 + complete, block.fault)
            yield task(number, block, tail, block.end)
    except FileReadError as exc:  # gone or unreadable since its head was read
        info.error = str(exc)
        info.extra["reason"] = exc.reason
        yield task(number + 1, RawBlock([], 1, end=True), _fault_item(file.source, 0, exc), True)


@dataclass
class CutTask:
    """A stretch of an uncompressed file whose block a worker cuts (:func:`cut_block`):
    ``offsets`` (bytes ``[start, end)`` of the file of ``size`` bytes at ``path``, read as
    ``source``), cut with the file's ``codec``, ``layout`` and marker lines
    (``bare_markers``) as :func:`block_tasks` cuts it; ``first``: the file's first stretch,
    which starts at its first byte."""

    path: object
    source: str
    size: int
    offsets: tuple[int, int]
    first: bool
    codec: str
    layout: str
    bare_markers: frozenset
    chunk_bytes: int


def cut_block(task: CutTask) -> tuple[int, int, int, int] | None:
    """The block of ``task``'s stretch, cut on a worker: ``(offset, length, line ends,
    XXH3-64)`` from the cut at its start (:func:`.reader.cut_at`) to the cut at its end
    (``length`` 0 when one record spans the whole stretch), or None when a line too long to
    cut around is in the way (the file is then read whole, see :func:`cut_tasks`). Pure;
    runs in any worker.

    Raises:
        InputError: the file cannot be read there (as :func:`.reader.read_span`).
    """
    starts = _record_starts(task.layout, MarkerMatcher(task.bare_markers))
    lo, hi = task.offsets
    try:
        with open_regular(task.path) as f:
            a = lo if task.first else cut_at(f, lo, task.size, task.codec, starts,
                                             task.chunk_bytes)
            b = task.size if hi >= task.size else cut_at(f, hi, task.size, task.codec, starts,
                                                         task.chunk_bytes)
            if a is None or b is None:
                return None
            facts = span_facts(f, a, b - a) if b > a else (0, xxhash.xxh3_64_intdigest(b""))
    except OSError as exc:
        raise InputError(f"{task.source}: a worker cannot read bytes {lo:,}-{hi:,} "
                         f"({getattr(exc, 'strerror', None) or exc}); the workers must see "
                         "the dump where the run's process sees it") from None
    return None if facts is None else (a, b - a, *facts)


def _cut_on_workers(file: InputFile, info: FileInfo, layout: str, bare: frozenset,
                    config: Config, cut) -> list[RawBlock] | None:
    """The blocks of an uncompressed ``file`` cut by the workers (``cut``: runs
    :func:`cut_block` on a list of :class:`CutTask` and returns the results in order), one
    per stretch of ``config.block_bytes``, each naming its span; None when the file must be
    read whole instead (a line too long to cut around, or it cannot be stat'ed here). Sets the
    file's size and mtime in ``info`` (and flags it if they changed meanwhile) as reading it
    here would."""
    try:
        st = file.path.stat()
    except OSError:
        return None
    size = st.st_size
    if size == 0:
        return None
    info.bytes, info.extra["mtime_ns"] = size, st.st_mtime_ns
    bounds = list(range(0, size, config.block_bytes)) + [size]
    codec = block_codec(info.encoding)
    results = cut([CutTask(file.path, file.source, size, (bounds[k], bounds[k + 1]), k == 0,
                           codec, layout, bare, config.chunk_bytes)
                   for k in range(len(bounds) - 1)])
    if any(r is None for r in results):
        return None
    blocks, line = [], 1
    for offset, length, lines, digest in results:
        if length:
            blocks.append(RawBlock([], line, lines, span=(offset, length, digest)))
            line += lines
    blocks[-1].end, blocks[-1].lines = True, 0  # the last one's lines: counted by its worker
    info.extra["bytes_read"] = size
    check_unchanged(file, info)
    return blocks


def cut_tasks(file_index: int, reader, config: Config, cut, run: str = ""
              ) -> list[BlockTask] | None:
    """The tasks of the blocks of ``reader``'s file (uncompressed, its head read, and
    :meth:`~FileReader.splittable`) as the workers cut it, so that this process reads none
    of it: ``cut(tasks)`` runs :func:`cut_block` on each :class:`CutTask` (one per
    ``block_bytes`` of the file) where the file's bytes are, and returns the results in
    order; the blocks end at record boundaries found by :func:`block_tasks`' own rule
    (:func:`.reader.cut_at`), so they split into the same records, and name their spans. None when the workers cannot cut it (a
    byte-order mark; a line too long to cut around; no file to stat here): read it whole."""
    file, info = reader.file, reader.info
    if codecs.lookup(info.encoding).name == "utf-8-sig":
        return None
    reader.close()
    layout = info.layout or "line"
    bare = reader.is_marker.bare_lines
    blocks = _cut_on_workers(file, info, layout, bare, config, cut)
    if blocks is None:
        return None
    info.lines = info.replaced_bytes = 0  # counted by the workers that decode the blocks
    return [BlockTask(file_index, number, file.source, layout, bare, block_codec(info.encoding),
                      block, None, block.end, config, run, file.path)
            for number, block in enumerate(blocks)]


def block_items(task: BlockTask) -> tuple[list[Item], int, int]:
    """Decode, repair and split one block: ``(items, lines, replaced_bytes)``. Pure; runs in
    any worker."""
    block = task.block
    parts = block.parts
    if task.path is not None and block.span is not None:
        parts = [read_span(task.path, task.source, block.span)]
    lines, replaced = block_lines(parts, task.encoding, repair=task.layout != "jsonl")
    builder = ItemBuilder(task.source, task.layout, MarkerMatcher(task.bare_markers),
                          task.config.jsonl_text_field)
    items: list[Item] = []
    for lineno, line in enumerate(lines, start=block.first_line):
        items.extend(builder.feed(lineno, line))
    items.extend(builder.finish())
    if task.tail is not None:
        items.append(task.tail)
    return items, len(lines), replaced


