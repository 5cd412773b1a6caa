"""The ordered half of the pipeline, written once for every executor.

The per-record half (:mod:`.work`) runs anywhere in any order; what depends on other records
is decided here, in input order: the accounting of every scan result (records in, drops of the
per-record stages, the repetition counts), exact and near dedup, the repetition rule, the emit
order (survivors, then exact duplicates), and every call to the :class:`~.report.Report` and
the :class:`~.writer.OutputWriter`. :func:`run_ordered` is the driver.

Where records live and how their keys meet differs by executor, and sits behind
:class:`OrderedBackend`: :class:`.local.LocalBackend` keeps the dedup indexes in this process
and spills records to temporary files; :class:`.dask_dedup.DaskBackend` keeps records on the
Dask workers and meets keys in shuffles. Both hand the driver the same shapes
(:class:`.wire.ScanSummary`, :class:`.wire.Emitted`), and both decide with the functions below,
so a rule is changed in one place:

* :func:`survivor_drop`: a survivor of exact dedup is dropped as a repeated line, else as a
  near duplicate of a kept record, else kept (a page's document without its lines that recur
  across the dump: a site's toolbar on every page);
* :func:`near_of_kept`: a near duplicate of a record dropped as a repeated line is not a
  duplicate of anything kept, so it stays;
* :func:`duplicate_drop`: an exact duplicate is dropped as a repeated line if it is one, else
  as an exact duplicate naming the record finally kept.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator, Protocol

from ..config import Config
from ..output.report import Report
from ..output.writer import OutputWriter
from ..records import Drop, Record
from ..stages.dedup import exact_drop
from ..stages.neardup import index_parameters, near_drop
from ..stages.repetition import RepeatedLineFilter
from .tasks import check_readable
from .wire import Emitted, ScanSummary

__all__ = ["OrderedBackend", "run_ordered", "survivor_drop", "seen_drop", "near_of_kept",
           "duplicate_drop"]


class OrderedBackend(Protocol):
    """Where the records of a run live between the scan and the emit phase, and how their
    keys meet. Called by :func:`run_ordered`, in this order."""

    def scan(self) -> Iterator[ScanSummary]:
        """Scan the run's files; yield a summary of each scan result in input order, having
        kept what the records reaching dedup need (their keys, signatures and texts)."""

    def scanned(self, summary: ScanSummary, info) -> None:
        """The driver accounted ``summary`` (``info``: its file's facts so far)."""

    def decide(self, repetition: RepeatedLineFilter) -> tuple[int, int] | None:
        """Decide exact and near duplicates (:func:`near_of_kept` applied); return
        ``(candidate pairs, verified pairs)`` of near dedup, or None when it is off."""

    def emit_survivors(self, repetition: RepeatedLineFilter) -> Iterator[Emitted]:
        """The exact survivors in input order, each kept (tagged, rendered) or rejected by
        :func:`survivor_drop`."""

    def emit_duplicates(self, repetition: RepeatedLineFilter,
                        near_root: dict[str, tuple[str, float]]) -> Iterator[Emitted]:
        """The exact duplicates in input order, rejected by :func:`duplicate_drop`
        (``near_root``: near duplicate id -> (kept id, similarity))."""


def survivor_drop(record: Record, repetition: RepeatedLineFilter,
                  near: tuple[str, float] | None, threshold: float, seen=None) -> Drop | None:
    """The drop of an exact survivor, or None if it is kept: a repeated short line
    (``repeated_line``), else a record an earlier run kept (``seen``: a
    :class:`.dedup_index.Seen`; ``seen_before`` or ``near_seen_before``), else a near
    duplicate of the kept record ``near`` = ``(kept id, Jaccard similarity)``
    (``near_duplicate``, similarity at least ``threshold``). A kept document loses its lines
    that recur across the dump (in ``record.removed``; none left: ``chrome_only``)."""
    drop = repetition.apply(record)
    if isinstance(drop, Drop):
        return drop
    if seen is not None:
        return seen_drop(seen, threshold)
    if near is not None:
        return near_drop(threshold, *near)
    return repetition.remove_lines(record)  # a document's lines repeated across the dump


def seen_drop(seen, threshold: float) -> Drop:
    """The drop of a record seen in an earlier run (``seen``: a :class:`.dedup_index.Seen`):
    ``seen_before`` (same normal form; similarity 1.0) or ``near_seen_before`` (Jaccard
    similarity at least ``threshold``), naming the earlier record and its run."""
    if seen.similarity is None:
        return Drop("dedup", "seen_before",
                    f"same normalised text as {seen.id}, kept by run {seen.run!r}",
                    duplicate_of=seen.id, similarity=1.0, run=seen.run)
    return Drop("dedup", "near_seen_before",
                f"jaccard={seen.similarity:.3f} >= {threshold:g} with {seen.id}, kept by run "
                f"{seen.run!r}", duplicate_of=seen.id, similarity=seen.similarity, run=seen.run)


def near_of_kept(removed: dict[int, tuple[int, float]],
                 kept: set[int]) -> dict[int, tuple[int, float]]:
    """The near decisions ``{number: (kept number, similarity)}`` whose kept record is in
    ``kept`` (not dropped as a repeated line): a near duplicate of a record that is not kept
    is a duplicate of nothing kept, and stays."""
    return {i: ks for i, ks in removed.items() if ks[0] in kept}


def duplicate_drop(record: Record, first_id: str, repetition: RepeatedLineFilter,
                   near_root: dict[str, tuple[str, float]]) -> Drop:
    """The drop of an exact duplicate of the record ``first_id``: ``repeated_line`` if it is a
    repeated short line, else ``exact_duplicate`` naming the record finally kept (the near
    root of ``first_id`` when that one was removed as a near duplicate)."""
    drop = repetition.apply(record)
    return drop if isinstance(drop, Drop) else exact_drop(first_id, near_root)


def run_ordered(backend: OrderedBackend, dump, files: list, config: Config, report: Report,
                writer: OutputWriter,
                on_progress: Callable | None = None) -> None:
    """Run the ordered half over ``backend``'s scan results into ``writer``, filling
    ``report`` (see the module docstring). ``on_progress(info, file_done, report)`` is
    called after each scan result is accounted.

    Raises:
        InputError: no file could be read.
    """
    clock = time.perf_counter
    repetition = RepeatedLineFilter(config)
    if config.near_dedup:
        report.near_parameters = index_parameters(
            config.near_threshold, config.num_perm, config.minhash_seed, config.shingle_words,
            config.shingle_chars)
    for summary in backend.scan():
        source = files[summary.file_index].source
        info = report.add_scan(source, summary.seconds, summary.facts)
        t0 = clock()
        report.count_in_file(source, summary.records)
        writer.write_rejected_rows(summary.reject_rows)
        for facts in summary.drops:
            report.count_dropped(source, *facts)
        report.reached_dedup += summary.reached
        for key, text in summary.shorts:
            repetition.observe_short(key, text)
        writer.write_removed_lines(summary.line_rows)  # none when a worker writes them
        for stage, reason in summary.line_drops:
            report.count_line_drop(source, stage, reason)
        report.add_seconds("dedup", clock() - t0)
        backend.scanned(summary, info)
        if summary.end and info.error:
            report.file_error(info.source, info.extra.get("reason", "unreadable"), info.error)
        if on_progress is not None:
            on_progress(info, summary.end, report)
    check_readable(dump, files, report)
    t0 = clock()
    pairs = backend.decide(repetition)
    report.add_seconds("dedup", clock() - t0)
    if pairs is not None:
        report.near_pairs = pairs
    near_root: dict[str, tuple[str, float]] = {}
    for emitted in backend.emit_survivors(repetition):
        _account(emitted, report, writer)
        for rid, kept_id, sim in emitted.near_roots:
            near_root[rid] = (kept_id, sim)
    for emitted in backend.emit_duplicates(repetition, near_root):
        _account(emitted, report, writer)
    report.repeated_lines = repetition.top(20)


def _account(emitted: Emitted, report: Report, writer: OutputWriter) -> None:
    """Write a batch of the emit phase (or take the shards a worker wrote) and count it."""
    report.add_seconds("language", emitted.seconds)
    for shard in emitted.shards:
        writer.adopt(shard)
    if emitted.clean_count:
        writer.write_clean_rows(b"".join(emitted.clean_rows), emitted.clean_count)
    if emitted.reject_rows:
        writer.write_rejected_rows(b"".join(emitted.reject_rows))
    writer.write_removed_lines(b"".join(emitted.line_rows))
    for source, stage, reason in emitted.line_drops:
        report.count_line_drop(source, stage, reason)
    report.count_kept_many(emitted.kept_per_source, emitted.languages, {})
    report.count_dropped_many(emitted.drops, emitted.marker_engines)
    for rid, source, line, text in emitted.snippets:
        report.remember_snippet(rid, source, line, text)
    for member in emitted.members:
        report.add_cluster_member(*member)
