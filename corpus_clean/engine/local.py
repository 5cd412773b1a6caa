"""The ordered half's backend for local executors (this process, or worker processes here).

Records that reach dedup wait in two temporary files (:class:`.spill.RecordSpill`, lines in
:mod:`.wire`'s format): the exact survivors, numbered 0, 1, ... in input order, and the exact
duplicates, each tagged with the survivor it duplicates. This process holds the exact-dedup
index (16-byte keys, :class:`~corpus_clean.stages.dedup.ExactDedup`) and the near-dup index
(band keys in memory, shingle hashes spilled: :class:`~corpus_clean.stages.neardup.
NearDupIndex`); the workers scan (:func:`.work.scan_packed`), tag and render
(:func:`.work.tag_rows`, :func:`.work.reject_rows`). What is decided, and in which order, is
:mod:`.ordered`'s.

The workers return their results packed (:mod:`.wire`: lines already rendered, a few facts per
record, MinHash arrays), so this process, one for all workers, writes bytes and makes the
ordered decisions without rebuilding records; in the emit phase it hands the survivors' spill
lines to the workers as they are, parsing only the lines it must decide on or name (short
records, near duplicates and the records duplicates name).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson

from ..config import Config
from ..output.report import Report, cluster_member
from ..output.writer import rejected_row
from ..records import Drop
from ..stages.dedup import ExactDedup
from ..stages.neardup import NearDupIndex
from ..stages.repetition import RepeatedLineFilter
from .ordered import duplicate_drop, near_of_kept, survivor_drop
from .resume import Checkpoint
from .spill import RecordSpill
from .tasks import scan_tasks
from .wire import (DroppedFacts, Emitted, PackedScan, ScanSummary, duplicate_tag,
                   is_short_survivor, parse_row, read_duplicate_tag, record_facts, record_row,
                   row_text, survivor_tag, tag_row)
from .work import reject_rows, scan_packed, tag_batch, tag_rows

__all__ = ["LocalBackend"]


class _Learned:
    """What the workers' memos learned lately (:class:`.work.RepeatMemo`): the rows of the
    last ``keep`` results, attached to each new task, so that every worker sees what the
    others learned whichever tasks it takes (``keep`` = twice the workers; 0: one worker,
    nothing to share)."""

    def __init__(self, keep: int):
        self.recent: deque = deque(maxlen=keep or None)
        self.keep = keep

    def add(self, rows) -> None:
        if self.keep and rows is not None and len(rows):
            self.recent.append(rows)

    def rows(self):
        return np.concatenate(self.recent) if self.keep and self.recent else None


def _with_learned(tasks, learned: _Learned):
    """Pass ``tasks`` through, each carrying what the workers learned by the time it is made
    (the executor makes tasks as results come back)."""
    for task in tasks:
        task.learned = learned.rows()
        yield task


@dataclass
class _Held:
    """What the scan leaves the emit phase besides the spilled records, by survivor number
    (0, 1, ... in the order of the survivors' spill): ``survivors`` their count,
    ``exact_firsts`` those that exact duplicates name. Memory: about 60 bytes per exact
    cluster."""

    survivors: int = 0
    exact_firsts: set = field(default_factory=set)


class LocalBackend:
    """:class:`.ordered.OrderedBackend` over ``executor``'s workers, with the run's temporary
    files in ``tmp`` and, when ``checkpoint`` is given, each file's scan results saved as it
    completes (and restored from it on ``--resume``)."""

    def __init__(self, files: list, config: Config, report: Report, executor, tmp: Path,
                 checkpoint: Checkpoint | None = None, index=None):
        self.files, self.config, self.report = files, config, report
        self.executor, self.checkpoint = executor, checkpoint
        #: the dedup index of earlier runs (:class:`.dedup_index.DedupIndex`), or None
        self.index = index
        self.survivor_keys = bytearray()  # with an index: each survivor's exact key
        self.seen: dict = {}  # survivor number -> dedup_index.Seen
        self.kept: list[int] = []  # survivor numbers of the kept records
        self.survivors = RecordSpill(Path(tmp) / "survivors.jsonl")
        self.exact_spill = RecordSpill(Path(tmp) / "exact.jsonl")
        self.near = None
        if config.near_dedup:
            self.near = NearDupIndex(Path(tmp), config.near_threshold, config.num_perm,
                                     config.minhash_seed, config.shingle_words,
                                     config.shingle_chars)
        self.held = _Held()
        self.removed: dict[int, tuple[int, float]] = {}
        self.ids: dict[int, str] = {}
        self.snippets: set[int] = set()

    # --- scan ----------------------------------------------------------------------------
    def _results(self, learned: _Learned) -> Iterator[PackedScan]:
        """The scan results in file order: the files the checkpoint holds are restored from
        it (see :mod:`.resume`), runs of other files are scanned by the executor."""
        files, config, report, executor = self.files, self.config, self.report, self.executor
        checkpoint = self.checkpoint
        restore = checkpoint.plan(files) if checkpoint is not None else set()
        run = uuid.uuid4().hex  # a worker's memo of verbatim repeats serves one run only
        if not restore:
            yield from executor.map(scan_packed, _with_learned(
                scan_tasks(files, config, report, run), learned))
            return
        index = 0
        for restored, files_run in itertools.groupby(files, key=lambda f: f.source in restore):
            files_run = list(files_run)
            if restored:
                for i, file in enumerate(files_run, index):
                    info, batches = checkpoint.restore(file.source, i)
                    report.add_file(info)
                    yield from batches
                    yield PackedScan(i, True, b"", b"[]")
            else:
                yield from executor.map(scan_packed, _with_learned(
                    scan_tasks(files_run, config, report, run, index), learned))
            index += len(files_run)

    def scan(self) -> Iterator[ScanSummary]:
        """Scan, deciding exact dedup as results come: a survivor goes to the survivors'
        spill (its band keys and shingle hashes into the near-dup index), an exact duplicate
        to the duplicates' spill, tagged with the survivor it duplicates."""
        workers = self.executor.workers
        learned = _Learned(2 * workers if workers > 1 else 0)
        dedup = ExactDedup(track_clusters=False)  # the report keeps its own clusters
        held, near = self.held, self.near
        clock = time.perf_counter
        for packed in self._results(learned):
            learned.add(packed.learned)
            if self.checkpoint is not None:
                self.checkpoint.add(packed.file_index, self.files[packed.file_index], packed)
            t0 = clock()
            facts = record_facts(packed.meta)
            keys = packed.dedup_keys
            d = signed = 0
            rejects, drops, shorts = [], [], []
            near_rows, near_lengths = [], []  # (signed index, length) of each survivor
            for entry, row in zip(facts, packed.rows.split(b"\n")[:-1], strict=True):
                if type(entry) is DroppedFacts:
                    rejects.append(row)
                    drops.append(entry)
                    continue
                key = keys[d:d + 16]
                d += 16
                short = entry.short is not None
                if short:
                    shorts.append((key, entry.short))
                if entry.lines:  # a page's document: its short lines count too
                    shorts += ((None, line) for line in entry.lines)
                first = dedup.first(key, held.survivors)  # survivors are numbered from 0
                if first != held.survivors:
                    self.exact_spill.append_row(row, duplicate_tag(first, short))
                    held.exact_firsts.add(first)
                else:
                    self.survivors.append_row(row, survivor_tag(short, entry.lines is not None))
                    held.survivors += 1
                    if self.index is not None:
                        self.survivor_keys += key
                    if near is not None and entry.signed:
                        near_rows.append(signed)
                        near_lengths.append(entry.length)
                    elif near is not None:
                        # a verbatim repeat of a record of an earlier file skips its signature
                        # (work.RepeatMemo); restored from a checkpoint after that file
                        # changed, it can be the first of its key: sign it here, as a fresh
                        # run would
                        _add_signed(near, packed, near_rows, near_lengths)
                        near_rows, near_lengths = [], []
                        (band, ), (hashes, ) = near.sign([row_text(row)])
                        near.add(band, hashes, entry.length)
                signed += entry.signed
            if near_rows:
                _add_signed(near, packed, near_rows, near_lengths)
            self.report.add_seconds("dedup", clock() - t0)
            yield ScanSummary(packed.file_index, packed.end, packed.seconds, packed.facts,
                              len(facts), b"\n".join(rejects) + b"\n" if rejects else b"",
                              drops, len(facts) - len(drops), shorts, packed.line_rows,
                              orjson.loads(packed.line_meta) if packed.line_rows else [])
        self.survivors.close()
        self.exact_spill.close()

    def scanned(self, summary: ScanSummary, info) -> None:
        """Journal a completed file in the checkpoint."""
        if summary.end and self.checkpoint is not None:
            self.checkpoint.complete(summary.file_index, info)

    # --- decide --------------------------------------------------------------------------
    def decide(self, repetition: RepeatedLineFilter) -> tuple[int, int] | None:
        """Near dedup over the index, then the ids of the survivors that duplicates name
        (parsing only those lines) and which near roots are kept (:func:`.ordered.
        near_of_kept`)."""
        near, held = self.near, self.held
        if self.index is not None:  # seen in an earlier run: before near dedup, as not kept
            t0 = time.perf_counter()
            self.seen = self.index.look_up(
                bytes(self.survivor_keys), near.band_keys() if near is not None else None,
                near.hashes_of if near is not None else None, self.config.near_threshold)
            self.report.add_seconds("dedup", time.perf_counter() - t0)
        removed = near.decide(self.config.keep, set(self.seen),
                              keep_spill=self.index is not None) if near is not None else {}
        near_kept = {kept for kept, _ in removed.values()}
        named = near_kept | held.exact_firsts
        kept: set[int] = set()
        if named:
            for idx, line in enumerate(self.survivors.lines()):
                if idx in named:
                    record, _ = parse_row(line)
                    self.ids[idx] = record.id
                    if idx in near_kept and not isinstance(repetition.apply(record), Drop):
                        kept.add(idx)
        self.removed = near_of_kept(removed, kept)
        self.snippets = (kept | held.exact_firsts) - set(self.seen)
        return None if near is None else (near.candidate_pairs, near.verified_pairs)

    # --- emit ----------------------------------------------------------------------------
    def emit_survivors(self, repetition: RepeatedLineFilter) -> Iterator[Emitted]:
        """The survivors in order: rejected here (:func:`.ordered.survivor_drop`, for the
        short ones and near duplicates), or tagged and rendered by the workers in batches."""
        config, removed, ids, snippets = self.config, self.removed, self.ids, self.snippets
        seen, kept = self.seen, self.kept
        box = [Emitted()]  # the rejects decided while the batches are made, in order

        def to_tag():
            lines: list[bytes] = []
            wanted: list[int] = []
            for idx, line in enumerate(self.survivors.lines()):
                if is_short_survivor(line) or idx in removed or idx in seen:
                    record, _ = parse_row(line)
                    near = removed.get(idx)
                    drop = survivor_drop(record, repetition,
                                         None if near is None else (ids[near[0]], near[1]),
                                         config.near_threshold, seen.get(idx))
                    if drop is not None:
                        _reject(box[0], record, drop)
                        if drop.run is not None:
                            self.report.seen_runs[drop.run] += 1
                        continue
                    if record.removed:  # a document that lost lines: its new text
                        box[0].add_removed_lines(record)
                        line = tag_row(record_row(record), None)
                if idx in snippets:
                    wanted.append(len(lines))
                lines.append(line)
                kept.append(idx)
                if len(lines) >= tag_batch(config):
                    yield config, lines, wanted
                    lines, wanted = [], []
            if lines:
                yield config, lines, wanted

        for tagged in self.executor.map(tag_rows, to_tag()):
            if box[0].reject_rows or box[0].line_rows:
                yield box[0]
                box[0] = Emitted()
            yield tagged
        if box[0].reject_rows or box[0].line_rows:
            yield box[0]

    def emit_duplicates(self, repetition: RepeatedLineFilter,
                        near_root: dict[str, tuple[str, float]]) -> Iterator[Emitted]:
        """The exact duplicates in order, rendered by the workers
        (:func:`.work.reject_rows`); short ones are decided here
        (:func:`.ordered.duplicate_drop`), the others cannot be repeated lines and are
        exact duplicates of the record finally kept."""
        config, ids = self.config, self.ids

        def to_reject():
            lines: list[bytes] = []
            extras: list = []
            for line in self.exact_spill.lines():
                first, short = read_duplicate_tag(line)
                extra = first
                if short:  # the repetition rule may drop it
                    record, _ = parse_row(line)
                    drop = duplicate_drop(record, ids[first], repetition, near_root)
                    extra = (drop.stage, drop.reason, drop.detail, drop.duplicate_of,
                             drop.similarity)
                lines.append(line)
                extras.append(extra)
                if len(lines) >= config.batch_records:
                    yield _reject_task(config, lines, extras, ids, near_root)
                    lines, extras = [], []
            if lines:
                yield _reject_task(config, lines, extras, ids, near_root)

        yield from self.executor.map(reject_rows, to_reject())

    # --- the index of earlier runs -------------------------------------------------------
    def index_update(self, name: str, out: str | None = None) -> dict:
        """Add this run's kept records to the index as the run ``name`` (after the outputs
        are complete); return its manifest entry. Without near dedup the index holds exact
        keys only."""
        kept = set(self.kept)
        keys = bytearray()
        ids: list[str] = []
        for idx, line in enumerate(self.survivors.lines()):
            if idx in kept:
                ids.append(parse_row(line)[0].id)
                keys += self.survivor_keys[16 * idx:16 * idx + 16]
        order = sorted(kept)
        near = self.near
        bands = self.index.settings["bands"]
        if near is not None:
            band_keys = near.band_keys()[order] if order else np.zeros((0, bands), np.uint64)
            counts = near.counts()[order] if order else np.zeros(0, np.int64)
            shingles = (near.hashes_of(i) for i in order)  # streamed to the segment
        else:
            band_keys = np.zeros((len(order), bands), np.uint64)
            counts = np.zeros(len(order), np.int64)
            shingles = iter(())
        entry = self.index.add_run(name, bytes(keys), band_keys, counts, shingles, ids, out)
        if near is not None:
            near.drop_spill()
        return entry


def _reject(emitted: Emitted, record, drop: Drop) -> None:
    """Add one survivor rejected in this process to ``emitted`` (a record seen in an earlier
    run is no member of this run's clusters; its exact duplicates name the earlier record)."""
    emitted.add_reject(record, drop, rejected_row(record, drop))
    if drop.duplicate_of is not None:
        if drop.run is None:
            emitted.members.append(cluster_member(record, drop))
        emitted.near_roots.append((record.id, drop.duplicate_of, drop.similarity))


def _add_signed(near: NearDupIndex, packed: PackedScan, rows: list[int],
                lengths: list[int]) -> None:
    """Add the signed records ``rows`` (indexes among ``packed``'s signed records) to
    ``near``, with their text ``lengths``."""
    counts = packed.shingle_counts
    if len(rows) == len(counts):  # every signed record survived: the arrays as they are
        near.add_many(packed.band_keys, packed.shingles, counts, lengths)
        return
    chosen = np.zeros(len(counts), dtype=bool)
    chosen[rows] = True
    near.add_many(packed.band_keys[chosen], packed.shingles[np.repeat(chosen, counts)],
                  counts[chosen], lengths)


def _reject_task(config: Config, lines: list[bytes], extras: list, ids: dict[int, str],
                 near_root: dict[str, tuple[str, float]]) -> tuple:
    """A :func:`.work.reject_rows` task, with the ids and near roots its lines need."""
    firsts = {e for e in extras if isinstance(e, int)}
    names = {f: ids[f] for f in firsts}
    roots = {name: near_root[name] for name in names.values() if name in near_root}
    return config, lines, extras, names, roots
