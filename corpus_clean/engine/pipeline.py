"""The pipeline's entry point: :func:`clean_dir`. read -> split -> stages -> dedup -> write.

Stages, in order (:func:`~corpus_clean.stages.registry.stage_order`): ``read`` and ``split``
(:mod:`corpus_clean.reading`: this process cuts files into blocks, workers decode and split
them), ``markers``, ``boilerplate``, ``spam``, ``quality`` (per-record stages from the
registry, run by :mod:`.work` in an executor), the boilerplate repetition rule, ``dedup``
(exact: ordered, first seen wins; near: MinHash LSH, decided when all records are in),
``language`` (tags kept records only, so each unique text once), then the writer.

This module sets a run up (the input files, the executor, the checkpoint, the temporary
files) and tears it down; the ordered half is :func:`.ordered.run_ordered`, over the backend
of the executor: :class:`.local.LocalBackend` for local ones, :class:`.dask_dedup.DaskBackend`
for a Dask cluster (imported only then).

A stage removes a record only by returning a :class:`~corpus_clean.records.Drop`; the ordered
half routes it to the rejects and counts it, and the run fails with
:class:`~corpus_clean.errors.ConservationError` if ``records_in != kept + rejected``.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Callable

from ..config import Config
from ..errors import ConservationError, InputError, OutputError, ResumeError
from ..output.report import Report
from ..output.writer import OutputWriter
from ..reading.blocks import FileReader, is_jsonl, iter_file_records
from ..reading.pages import page_kind
from ..reading.reader import FileInfo, list_input_files
from ..stages.extract import check_extractors
from ..stages.language import check_backend
from .executor import Executor, default_workers, make_executor
from .local import LocalBackend
from .ordered import run_ordered
from .resume import Checkpoint
from .work import build_stages

__all__ = ["clean_dir", "build_stages", "iter_file_records", "FileReader", "is_jsonl"]


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


#: why ``--index`` is refused with the Dask executor (also in docs/cluster.md)
DASK_INDEX_ERROR = ("--index works with the local executor only: on a cluster, dedup is "
                    "decided in shuffles across the workers, which the index of earlier runs "
                    "does not take part in yet; clean the daily dump with --executor local")


def clean_dir(
    dump: Path,
    writer: OutputWriter,
    config: Config = Config(),
    on_progress: Callable[[FileInfo, bool, Report], None] | None = None,
    workers: int | None = None,
    resume: bool = False,
    executor: Executor | None = None,
    index=None,
    run_name: str | None = None,
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

    ``index``: a :class:`~corpus_clean.engine.dedup_index.DedupIndex` of earlier runs: the
    records seen in it are rejected (``seen_before``, ``near_seen_before``), and, once the
    outputs are complete, the records this run kept are added to it as the run ``run_name``
    (None: look up only, ``--index-readonly``). Not with a Dask executor (InputError).
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
        check_extractors([f.source for f in files if page_kind(f.source)], config.extractor)
        if index is not None and run_name is not None and index.has_run(run_name):
            raise InputError(f"{index.path}: a run named {run_name!r} is in the dedup index "
                             "already; give another --run-name (or --index-readonly)")
        if given is not None and given.ordered_on_cluster:  # see dask_dedup
            if index is not None:
                raise InputError(DASK_INDEX_ERROR)
            if resume:
                raise ResumeError(DASK_RESUME_ERROR)
            from .dask_dedup import DaskBackend

            store = writer.shard_store() if given.workers_write(writer) else None
            run_ordered(DaskBackend(given, files, config, report, store), dump, files, config,
                        report, writer, on_progress)
            return _finish(report, writer)
        if writer.checkpoint_dir() is not None:
            checkpoint = Checkpoint(writer.checkpoint_dir(), config, resume)
            report.resume = checkpoint.summary
        executor = given or make_executor(workers or default_workers())
        if index is not None:
            report.index_runs = [name for r in index.runs for name in r.get("runs", [r["name"]])]
        with _temporary_files(writer.spill_dir()) as tmp:
            backend = LocalBackend(files, config, report, executor, tmp, checkpoint, index)
            run_ordered(backend, dump, files, config, report, writer, on_progress)
            _finish(report, writer)
            if index is not None and run_name is not None:  # the outputs are complete
                try:
                    out_dir = writer.checkpoint_dir()  # a local output directory, or None
                    report.index_entry = backend.index_update(
                        run_name, None if out_dir is None else str(Path(out_dir).resolve()))
                except OSError as exc:
                    raise OutputError(f"{index.path}: the outputs are complete, but the "
                                      f"dedup index could not be updated ({exc}); it is as "
                                      "it was") from None
    except BaseException as exc:
        # kept for --resume unless the outputs are complete (a signal after the commit)
        keep_checkpoint = not writer.finished and (
            isinstance(exc, OutputError) or not isinstance(exc, Exception))
        try:
            if executor is not None and executor is not given:
                executor.abort()  # first: workers stop at once, whatever they were doing
                executor = None
            elif given is not None:
                given.settle()  # first: a worker may be writing a shard in the output
        finally:  # whatever stops the wait (a second Ctrl-C in a library caller's process)
            writer.abort()
        raise
    finally:
        if executor is not None and executor is not given:
            executor.close()
        if checkpoint is not None:
            checkpoint.close(keep=keep_checkpoint)
    return report
