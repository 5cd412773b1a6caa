"""The pipeline: the only loop. read -> split -> stages -> write, one way.

Stages, in order (:func:`.stages.registry.stage_order`): ``read`` and ``split`` (:mod:`.blocks`, with
:mod:`.reader` and :mod:`.split`: this process cuts files into blocks, workers decode and
split them), ``markers``, ``boilerplate``, ``spam``, ``quality`` (per-record stages,
:func:`build_stages`, run by :mod:`.work` in an executor), the boilerplate repetition rule,
``dedup`` (exact: ordered, first seen wins; near: MinHash LSH, decided when all records are
in), ``language`` (tags kept records only, so each unique text once), then the writer.

The workers return their results packed (:mod:`.packed`: lines already rendered, a few facts
per record, MinHash arrays), so this process, one for all workers, writes bytes and makes the
ordered decisions without rebuilding records; in the emit phase it hands the survivors' spill
lines to the workers as they are (:func:`.work.tag_rows`).

A stage removes a record only by returning a :class:`~corpus_clean.records.Drop`; this module
routes it to the rejects and counts it, and the run fails with
:class:`~corpus_clean.errors.ConservationError` if ``records_in != kept + rejected``.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import orjson

from ..config import Config
from ..errors import ConservationError, InputError, OutputError, ResumeError
from ..output.report import Report
from ..output.writer import OutputWriter
from ..reading.blocks import FileReader, is_jsonl, iter_file_records
from ..reading.reader import FileInfo, list_input_files
from ..records import Drop
from ..stages.dedup import ExactDedup
from ..stages.language import check_backend
from ..stages.neardup import NearDupIndex, near_drop
from ..stages.repetition import RepeatedLineFilter
from .executor import Executor, default_workers, make_executor
from .packed import PackedScan
from .resume import Checkpoint
from .spill import RecordSpill
from .tasks import check_readable, scan_tasks
from .work import build_stages, reject_rows, scan_packed, tag_rows

__all__ = ["clean_dir", "build_stages", "iter_file_records", "FileReader", "is_jsonl"]


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


def _scan_results(files, config, report, executor, checkpoint, learned: _Learned):
    """The scan results (:class:`.packed.PackedScan`) in file order: the files
    ``checkpoint`` holds are restored from it (see :mod:`.resume`), runs of other files are
    scanned by the executor (their tasks carry ``learned``: see :class:`_Learned`)."""
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


def _scan(files, config, report, on_progress, writer, survivors, exact_spill, near,
          repetition, executor, checkpoint=None):
    """Phase 1: read, split, per-record stages (in the executor) and the ordered decisions
    (exact dedup, repetition counts), streaming.

    Drops before dedup go straight to the writer; exact duplicates wait in ``exact_spill``
    (their ``duplicate_of`` is resolved after near dedup); survivors wait in ``survivors``,
    and their band keys and shingle hashes go into ``near``. The results come packed
    (:mod:`.packed`): lines rendered by the workers are written as they are.
    """
    dedup = ExactDedup(track_clusters=False)  # the report keeps its own clusters
    clock = time.perf_counter
    held = Held()
    learned = _Learned(2 * executor.workers if executor.workers > 1 else 0)
    for packed in _scan_results(files, config, report, executor, checkpoint, learned):
        learned.add(packed.learned)
        file_index = packed.file_index
        source = files[file_index].source
        info = report.add_scan(source, packed.seconds, packed.facts)
        t0 = clock()
        if checkpoint is not None:
            checkpoint.add(file_index, files[file_index], packed)
        meta = orjson.loads(packed.meta)
        report.count_in_file(source, len(meta))
        keys = packed.dedup_keys
        d = signed = 0
        near_rows, near_lengths = [], []  # (signed index, length) of each survivor
        for entry, row in zip(meta, packed.rows.split(b"\n")[:-1], strict=True):
            if entry[0] == 0:  # dropped by a per-record stage: [0, stage, reason, ...]
                writer.write_rejected_row(row)
                report.count_dropped(source, *entry[1:])
                continue
            _, rid, short, length, is_signed = entry
            key = keys[d:d + 16]
            d += 16
            report.reached_dedup += 1
            if short is not None:
                repetition.observe_short(key, short)
            first = dedup.first(key, held.survivors)  # survivors are numbered from 0
            if first != held.survivors:
                # the survivor it duplicates, as -1 - that number if it is short (the
                # repetition rule may drop it): the emit phase parses only those
                exact_spill.append_row(row, first if short is None else -1 - first)
                held.exact_firsts.add(first)
            else:
                # the extra marks a short survivor, which the repetition rule may drop
                survivors.append_row(row, SHORT if short is not None else None)
                held.survivors += 1
                if near is not None and is_signed:
                    near_rows.append(signed)
                    near_lengths.append(length)
                elif near is not None:
                    # a verbatim repeat of a record of an earlier file skips its signature
                    # (work.RepeatMemo); restored from a checkpoint after that file changed,
                    # it can be the first of its key: sign it here, as a fresh run would
                    _add_signed(near, packed, near_rows, near_lengths)
                    near_rows, near_lengths = [], []
                    (band, ), (hashes, ) = near.sign([orjson.loads(row)[1]])  # [id, text, ...]
                    near.add(band, hashes, length)
            signed += is_signed
        if near_rows:
            _add_signed(near, packed, near_rows, near_lengths)
        report.add_seconds("dedup", clock() - t0)
        if packed.end and checkpoint is not None:
            checkpoint.complete(file_index, info)
        if packed.end and info.error:
            report.file_error(info.source, info.extra.get("reason", "unreadable"), info.error)
        if on_progress is not None:
            on_progress(info, packed.end, report)
    survivors.close()
    exact_spill.close()
    return held


#: the extra of a survivor short enough for the repetition rule to drop (the line then ends in
#: ``,1]``), so that the emit phase finds them without parsing every line
SHORT = 1


@dataclass
class Held:
    """What the scan leaves the emit phase besides the spilled records, by survivor number
    (0, 1, ... in the order of the survivors' spill): ``survivors`` their count,
    ``exact_firsts`` those that exact duplicates name (the exact spill's extra is that
    number). Memory: about 60 bytes per exact cluster."""

    survivors: int = 0
    exact_firsts: set = field(default_factory=set)


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


def _emit(config, report, writer, survivors, exact_spill, held, removed, repetition, executor):
    """Phase 3: write survivors (repeated boilerplate and near duplicates to the rejects, the
    others tagged and rendered in the executor, :func:`.work.tag_rows`, to the clean output),
    then the exact duplicates (rendered in the executor, :func:`.work.reject_rows`), whose
    ``duplicate_of`` names the record finally kept.

    The spilled lines go to the workers as they are: this process parses only the lines it
    must decide on or name (short records, near duplicates and the records duplicates name)."""
    # the kept records that near duplicates name (keep=longest may name a later record); a near
    # duplicate of a record dropped as repeated boilerplate is not a duplicate of anything
    # kept, so it stays. Then the records exact duplicates name, for their ids.
    near_kept = {kept for kept, _ in removed.values()}
    ids: dict[int, str] = {}
    kept_ids: set[int] = set()
    named = near_kept | held.exact_firsts
    if named:
        for idx, line in enumerate(survivors.lines()):
            if idx in named:
                record, _ = RecordSpill.parse(line)
                ids[idx] = record.id
                if idx in near_kept and not isinstance(repetition.apply(record), Drop):
                    kept_ids.add(idx)
        removed = {i: ks for i, ks in removed.items() if ks[0] in kept_ids}
    snippets = kept_ids | held.exact_firsts
    report.want_snippets({ids[i] for i in snippets})
    near_root: dict[str, tuple[str, float]] = {}

    def to_tag():
        """Reject what must go (in survivor order) and batch the rest for tagging: ``(lines,
        wanted)``, ``wanted`` the positions in ``lines`` of records whose snippet the dedup
        report shows."""
        lines: list[bytes] = []
        wanted: list[int] = []
        short_end = b"," + orjson.dumps(SHORT) + b"]\n"
        for idx, line in enumerate(survivors.lines()):
            if line.endswith(short_end) or idx in removed:
                record, _ = RecordSpill.parse(line)
                drop = repetition.apply(record)
                if not isinstance(drop, Drop) and idx in removed:
                    kept_idx, sim = removed[idx]
                    kept_id = ids[kept_idx]
                    near_root[record.id] = (kept_id, sim)
                    drop = near_drop(config.near_threshold, kept_id, sim)
                if isinstance(drop, Drop):
                    writer.write_rejected(record, drop)
                    report.count_drop(record, drop)
                    continue
            if idx in snippets:
                wanted.append(len(lines))
            lines.append(line)
            if len(lines) >= config.batch_records:
                yield config, lines, wanted
                lines, wanted = [], []
        if lines:
            yield config, lines, wanted

    for tagged in executor.map(tag_rows, to_tag()):
        report.add_seconds("language", tagged.seconds)
        writer.write_clean_rows(tagged.rows, tagged.count)
        report.count_kept_many(tagged.per_source, tagged.languages, tagged.marker_engines)
        for rid, source, line, snippet in tagged.snippets:
            report.remember_snippet(rid, source, line, snippet)

    def to_reject():
        """The exact duplicates in batches for the workers to render (:func:`.work.
        reject_rows`): ``(config, lines, extras, ids, roots)``, an extra per line: the
        survivor number of the record it duplicates, or the drop of a short record the
        repetition rule drops, decided here (only short records are parsed here)."""
        lines: list[bytes] = []
        extras: list = []
        for line in exact_spill.lines():
            first = int(line[line.rindex(b",") + 1:-2])  # the extra: a number, see _scan
            if first < 0:  # short: the repetition rule may drop it
                first = -1 - first
                record, _ = RecordSpill.parse(line)
                drop = repetition.apply(record)
                if isinstance(drop, Drop):
                    first = (drop.stage, drop.reason, drop.detail)
            lines.append(line)
            extras.append(first)
            if len(lines) >= config.batch_records:
                yield _reject_task(config, lines, extras, ids, near_root)
                lines, extras = [], []
        if lines:
            yield _reject_task(config, lines, extras, ids, near_root)

    for rejected in executor.map(reject_rows, to_reject()):
        writer.write_rejected_rows(rejected.rows)
        report.count_dropped_many(rejected.drops, rejected.marker_engines)
        for member in rejected.members:
            report.add_cluster_member(*member)


def _reject_task(config: Config, lines: list[bytes], extras: list, ids: dict[int, str],
                 near_root: dict[str, tuple[str, float]]) -> tuple:
    """A :func:`.work.reject_rows` task, with the ids and near roots its lines need."""
    firsts = {e for e in extras if isinstance(e, int)}
    names = {f: ids[f] for f in firsts}
    roots = {name: near_root[name] for name in names.values() if name in near_root}
    return config, lines, extras, names, roots


#: ``--resume`` with the Dask executor (scan results stay on the workers; none is saved)
DASK_RESUME_ERROR = ("--resume is not supported with --executor dask (scan results stay on "
                     "the workers and are not checkpointed); run without --resume")




@contextlib.contextmanager
def _temporary_files(where: Path | None):
    """The run's temporary directory (``.corpus-clean-*`` in ``where``, or in the system
    temporary directory, ``TMPDIR``, when ``where`` is None), removed at the end; an
    ``OSError`` while it is in use (its survivor and duplicate lists, its shingle hashes: a
    full disk, a quota) becomes an :class:`~corpus_clean.errors.OutputError` naming it and what
    to free. Output errors keep the checkpoint, so ``--resume`` continues once there is room."""
    import errno

    base = Path(where) if where is not None else Path(tempfile.gettempdir())
    path = base
    try:
        path = Path(tempfile.mkdtemp(prefix=".corpus-clean-", dir=base))
        try:
            yield path
        finally:
            _remove_tree(path)
    except BrokenPipeError:  # the reader of stdout went away: not a temporary file's fault
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = ("free space there (about the size of the dump's text), or point TMPDIR at "
                   "a larger disk for '-o -'" if where is None else
                   "free space there (about the size of the dump's text)")
            raise OutputError(f"{path}: no space left on device for the run's temporary files; "
                              f"{fix}, then run again (--resume continues where it "
                              "stopped)") from None
        raise OutputError(f"{path}: cannot write the run's temporary files "
                          f"({exc.strerror or exc})") from None


def _remove_tree(path: Path) -> None:
    """Remove directory ``path`` and everything in it, to the end even if an exception (a
    stop signal's ``KeyboardInterrupt``) interrupts the removal: it is finished, then the
    exception is raised again. The CLI raises once per run, so the second pass completes."""
    import shutil

    interrupted: BaseException | None = None
    for _ in range(3):
        try:
            shutil.rmtree(path, ignore_errors=True)
            break
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            interrupted = interrupted or exc
    if interrupted is not None:
        raise interrupted


def _finish(report: Report, writer: OutputWriter) -> Report:
    """Check conservation, then let the writer finish (rename into place, reports)."""
    if report.records_in != report.kept + report.rejected:
        raise ConservationError(
            f"records_in={report.records_in} != kept={report.kept} + "
            f"rejected={report.rejected}: records were lost; please report this bug"
        )
    dropped = sum(n for by_reason in report.drops.values() for n in by_reason.values())
    if dropped != report.rejected:
        raise ConservationError(
            f"drops by stage and reason sum to {dropped}, rejected={report.rejected}: "
            "rejects were not counted by stage; please report this bug")
    writer.finish(report)
    return report


def clean_dir(
    dump: Path,
    writer: OutputWriter,
    config: Config = Config(),
    on_progress: Callable[[FileInfo, bool, Report], None] | None = None,
    workers: int | None = None,
    resume: bool = False,
    executor: Executor | None = None,
) -> Report:
    """Clean every file under ``dump`` (a directory, or one file, or a URL read through
    fsspec: see :mod:`.storage`) into ``writer``.

    Three phases, data flowing one way: (1) scan: files in sorted relative-path order are read,
    split, passed through the per-record stages and exact dedup, streaming; (2) near dedup:
    MinHash LSH over the records that survived, decided once all are in; (3) emit: survivors
    are tagged and written, duplicates rejected. Memory is bounded except the dedup indexes
    (see :mod:`.stages.dedup` and :mod:`.stages.neardup`); records wait in temporary files in
    the output directory (or the system temporary directory for stdout output).

    Per-record work runs in ``workers`` processes (default ``config.workers``; 1 runs all in
    this process), or in ``executor`` when one is given (e.g. a
    :class:`~corpus_clean.engine.dask_executor.DaskExecutor`; the caller closes it, and ``workers``
    is then not used); the outputs are byte-identical for any number. Returns the
    :class:`Report`; the caller renders it. ``on_progress(info, file_done, report)`` is called after each batch of
    records is scanned (``info``: the file being read; ``info.extra["bytes_read"]`` its bytes
    on disk read so far), for progress displays.

    With an output directory, each file's scan results are checkpointed there as it completes
    (:mod:`.resume`); the checkpoint is removed when the run completes and kept when it is
    interrupted (``KeyboardInterrupt`` or another ``BaseException``) or the output fails (disk
    full). ``resume=True`` continues from such a checkpoint: the files it holds, unchanged,
    are not read again, and the outputs are byte-identical to an uninterrupted run's
    (``report.resume`` says what was restored; no checkpoint: a normal run).

    The writer's own directories (``writer.own_dirs()``: the output directory) are not read
    as input when they lie inside ``dump``. An ``OSError`` under the run's temporary files (a
    full disk) is an :class:`~corpus_clean.errors.OutputError` naming their directory.

    Raises:
        InputError: ``dump`` does not exist, holds no file, no file could be read, or it is
            the output directory itself.
        OutputError: from the writer, the checkpoint or the temporary files.
        ResumeError: ``resume`` and the checkpoint was made with other settings or is damaged.
        ConservationError: records were lost (a bug).
    """
    workers = config.workers if workers is None else workers
    report = Report(config)
    given = executor
    executor = checkpoint = None
    keep_checkpoint = False
    try:
        files = list_input_files(dump, skip=tuple(writer.own_dirs()))
        if not files:
            raise InputError(f"{dump}: no input files (hidden files are skipped)")
        check_backend(config)
        if given is not None and given.ordered_on_cluster:  # see dask_dedup
            if resume:
                raise ResumeError(DASK_RESUME_ERROR)
            from .dask_dedup import clean_on_dask

            clean_on_dask(dump, files, config, report, writer, given, on_progress)
            return _finish(report, writer)
        if writer.checkpoint_dir() is not None:
            checkpoint = Checkpoint(writer.checkpoint_dir(), config, resume)
            report.resume = checkpoint.summary
        executor = given or make_executor(workers or default_workers())
        with _temporary_files(writer.spill_dir()) as tmp:
            survivors = RecordSpill(Path(tmp) / "survivors.jsonl")
            exact_spill = RecordSpill(Path(tmp) / "exact.jsonl")
            near = None
            if config.near_dedup:
                near = NearDupIndex(Path(tmp), config.near_threshold, config.num_perm,
                                    config.minhash_seed, config.shingle_words,
                                    config.shingle_chars)
                report.near_parameters = near.parameters()
            repetition = RepeatedLineFilter(config)
            held = _scan(files, config, report, on_progress, writer, survivors, exact_spill,
                         near, repetition, executor, checkpoint)
            check_readable(dump, files, report)
            t0 = time.perf_counter()
            removed = near.decide(config.keep) if near is not None else {}
            report.add_seconds("dedup", time.perf_counter() - t0)
            if near is not None:
                report.near_pairs = (near.candidate_pairs, near.verified_pairs)
            _emit(config, report, writer, survivors, exact_spill, held, removed, repetition,
                  executor)
            report.repeated_lines = repetition.top(20)
        _finish(report, writer)
    except BaseException as exc:
        if executor is not None and executor is not given:
            executor.abort()  # first: workers stop at once, whatever they were doing
            executor = None
        writer.abort()
        # kept for --resume unless the outputs are complete (a signal after the commit)
        keep_checkpoint = not writer.finished and (
            isinstance(exc, OutputError) or not isinstance(exc, Exception))
        raise
    finally:
        if executor is not None and executor is not given:
            executor.close()
        if checkpoint is not None:
            checkpoint.close(keep=keep_checkpoint)
    return report
