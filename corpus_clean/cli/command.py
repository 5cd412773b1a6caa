"""The command line: options -> Config -> library -> rich rendering and exit codes.

The only module that knows click and rich. Exit codes: 0 the run completed (drops are not
errors), 1 the run could not complete (``Error: ...`` on stderr names the path), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .. import __version__
from ..config import Config, load_config
from ..engine.executor import WORKERS_PER_CORE, max_workers
from ..engine.dedup_index import DedupIndex
from ..engine.pipeline import DASK_INDEX_ERROR, DASK_RESUME_ERROR, clean_dir
from ..errors import CorpusCleanError, file_kind
from ..output.explain import explain
from ..output.writer import OutputWriter, make_writer, parse_shard_size
from ..reading.reader import list_input_files
from ..reading.storage import is_url
from .console import (
    dask_progress,
    render_dedup_report,
    render_resume,
    render_summary,
    start_dask,
)
from .render import load_report, render_explanation, to_html, to_markdown
from .signals import STOPS

__all__ = ["main", "cli"]


#: environment variable that makes an internal error print its traceback (as ``--debug``)
DEBUG_ENV = "CORPUS_CLEAN_DEBUG"


class _DefaultCommandGroup(click.Group):
    """A group whose first argument, when it is not a command name, goes to ``clean``:
    ``corpus-clean DUMP_DIR -o OUT`` is ``corpus-clean clean DUMP_DIR -o OUT``.

    An exception that is not one of corpus-clean's errors (a bug) becomes one line,
    ``Error: internal error: ...``, exit 1; with ``--debug`` or :data:`DEBUG_ENV` set its
    traceback is shown instead."""

    default_command = "clean"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("corpus_clean.debug") or os.environ.get(DEBUG_ENV):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {_one_line(str(exc))} (a bug: run "
                f"again with --debug for the traceback, and please report it)") from None


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped, so that a message
    stays one line whatever a file name or an exception holds."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _debug_option(f):
    """``--debug``: show the traceback of an internal error (also ``CORPUS_CLEAN_DEBUG=1``)."""
    def remember(ctx: click.Context, param, value: bool) -> bool:
        ctx.meta["corpus_clean.debug"] = value
        return value

    return click.option("--debug", is_flag=True, expose_value=False, is_eager=True,
                        callback=remember,
                        help="On an internal error (a bug), show its traceback instead of one "
                             f"line (also {DEBUG_ENV}=1).")(f)


@click.group(cls=_DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corpus-clean")
def cli() -> None:
    """Turn raw web text dumps into clean, deduplicated, language-tagged JSONL.

    \b
    Examples:
      corpus-clean seeds/ -o out/          # out/clean.jsonl, rejected.jsonl, dedup-report.json, stats.json
      corpus-clean seeds/ -o - | jq .text  # clean JSONL on stdout only

    Run 'corpus-clean clean --help' for the options.
    """


class _Terminated(BaseException):
    """SIGTERM, raised so that the writer's cleanup runs (Python's default exits at once)."""


class _StopSignals:
    """SIGINT and SIGTERM handlers for the length of one command, restored when it returns
    (library callers and tests share the process).

    The first signal raises ``KeyboardInterrupt`` (SIGINT) or :class:`_Terminated` (SIGTERM)
    in the main thread, so that the run's cleanup runs; later ones are ignored until the
    command returns, so that a second Ctrl-C, or the SIGTERM that ``timeout`` or systemd sends
    to every process of the group after the first, cannot cut that cleanup short (SIGKILL
    still can). While the writer renames the finished outputs into place
    (``writer.committing``), and after that until the run has cleaned up (its checkpoint
    removed, its workers stopped), the first signal is held and raised by :meth:`check`, so
    that OUT never holds part of a run's outputs under final names, nor a complete run a stale
    checkpoint. A
    signal left ignored by the parent (``nohup``, a background job) stays ignored. Worker
    processes ignore both (:mod:`.executor`): this process stops them.

    Attributes:
        first: the first stop signal received, or None.
        raised: whether that signal has been raised in the run (not only held).
        writer: the run's :class:`.writer.OutputWriter` once made (for ``committing``).
        completed: the run's outputs are complete (a signal now interrupts only the summary).
    """

    SIGNALS = tuple(STOPS)
    #: whether a command has installed these handlers in this process (then a signal after
    #: they are restored comes when the process is ending: see :mod:`corpus_clean.__main__`)
    used = False

    def __init__(self) -> None:
        self.first: int | None = None
        self.raised = False
        self.writer = None
        self._completed = False
        self._previous: dict = {}

    @property
    def completed(self) -> bool:
        """Whether the run's outputs are complete: its writer finished (a signal may still
        come during the cleanup after that, and must not be reported as a lost run)."""
        return self._completed or bool(getattr(self.writer, "finished", False))

    @completed.setter
    def completed(self, value: bool) -> None:
        self._completed = value

    @staticmethod
    def exception(signum: int) -> BaseException:
        return KeyboardInterrupt() if signum == signal.SIGINT else _Terminated()

    def _handle(self, signum, frame) -> None:
        if self.first is not None:
            return
        if _in_finalizer(frame):  # an exception raised there is printed and dropped
            threading.Timer(0.02, os.kill, (os.getpid(), signum)).start()  # again, shortly
            return
        self.first = signum
        writer = self.writer
        if getattr(writer, "committing", False) or (getattr(writer, "finished", False)
                                                    and not self._completed):
            return  # held: raised by check() once the renames and the run's cleanup are done
        self.raised = True
        raise self.exception(signum)

    def check(self) -> None:
        """Raise the stop signal held while the outputs were committed, if one was."""
        if self.first is not None:
            self.raised = True
            raise self.exception(self.first)

    def signal_of(self, exc: BaseException) -> int | None:
        """The stop signal that ``exc``, escaping the run, stands for, or None (an error).

        ``KeyboardInterrupt`` and :class:`_Terminated` are the signals themselves. Any other
        exception after a signal was raised is taken as its effect: code the signal
        interrupted can turn ``KeyboardInterrupt`` into another exception (CPython's
        ``from ... import`` did, once in about 300 signals to the process group of a Dask
        run: ``TypeError: expected a message argument``, from ``PyErr_SetImportError``)."""
        if isinstance(exc, KeyboardInterrupt):
            return signal.SIGINT
        if isinstance(exc, _Terminated):
            return signal.SIGTERM
        if isinstance(exc, Exception) and self.raised:
            return self.first
        return None

    def __enter__(self) -> "_StopSignals":
        _StopSignals.used = True
        for sig in self.SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _in_finalizer(frame) -> bool:
    """Whether ``frame`` (where a signal handler interrupted the main thread) runs inside a
    ``__del__`` method or a garbage-collector callback (``gc.callbacks``: distributed installs
    one), where Python prints and drops any exception, a stop signal's included."""
    import gc

    callbacks = {getattr(getattr(cb, "__func__", cb), "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        if frame.f_code.co_name == "__del__" or frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


class _NotNan(click.FloatRange):
    """``click.FloatRange`` that also refuses NaN (every comparison with NaN is false, so the
    range alone lets it through)."""

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if value != value:
            self.fail(f"{value} is not a number in the range {self._describe_range()}.",
                      param, ctx)
        return value


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a broken link or a vanished file: the reader reports it
        return 0


class _DumpPath(click.Path):
    """An existing local path (as ``click.Path``), or a URL (``s3://bucket/dump``) that the
    library lists and reads through fsspec."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and "://" in value:
            return value
        path = super().convert(value, param, ctx)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path  # a broken link and the like: the library says what is wrong
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            self.fail(f"{_one_line(os.fsdecode(path))!r} is a {file_kind(mode)}, not a "
                      "directory or a regular file", param, ctx)
        return path


@cli.command("clean")
@click.argument("dump", type=_DumpPath(exists=True, path_type=Path), metavar="DUMP_DIR")
@click.option("-o", "--output", "output", required=True, metavar="OUT",
              help="Output directory, an object-store URL (s3://bucket/run/, through fsspec), or "
                   "'-' for clean JSONL on stdout (nothing else written).")
@click.option("--overwrite", is_flag=True,
              help="Write into OUT even if it is not empty (our four files are replaced).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run into OUT: files it finished (unchanged since) "
                   "are not read again; the outputs equal an uninterrupted run's.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="TOML",
              help="Settings file: any field of corpus_clean.Config as 'key = value' (see "
                   "README); unknown keys are an error. Options below override it.")
@click.option("--extractor", type=click.Choice(["trafilatura", "resiliparse"]), default=None,
              help="Main-text extractor of HTML pages: trafilatura (default; pip install "
                   "'corpus-clean[html]') or resiliparse (6x faster, less precise; pip install "
                   "'corpus-clean[html-fast]').")
@click.option("--records", "records", type=click.Choice(["documents", "paragraphs"]),
              default=None,
              help="What an HTML, Markdown or WARC page becomes: one document record cleaned "
                   "line by line, with url, title and date (documents, the default), or one "
                   "record per paragraph of its main text (paragraphs).")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="INDEX_DIR",
              help="Dedup against every record kept by the earlier runs recorded in INDEX_DIR "
                   "(made if missing), then add the records this run keeps.")
@click.option("--index-readonly", is_flag=True,
              help="With --index: look up only; this run's records are not added.")
@click.option("--run-name", metavar="NAME", default=None,
              help="This run's name in the index (default: the name of OUT).")
@click.option("--encoding", metavar="CODEC", default=None,
              help="Decode every file with this codec (gb18030, big5, cp1252, ...) instead "
                   "of deciding per file.")
@click.option("--keep", type=click.Choice(["first", "longest"]), default=None,
              help="Which record of a near-duplicate cluster is kept: the first in input order "
                   "(default), or the longest.")
@click.option("--near-threshold", type=_NotNan(0.0, 1.0, min_open=True), default=None,
              metavar="J",
              help="Jaccard similarity of shingle sets at or above which records are near "
                   "duplicates (default 0.8).")
@click.option("--no-near-dedup", is_flag=True, help="Exact dedup only (no MinHash LSH).")
@click.option("--skip", "skip_stages", metavar="STAGES", default=None,
              help="Per-record stages not to run, comma-separated: markers, boilerplate, "
                   "spam, quality (for a dump filtered already; default: all run).")
@click.option("--lang-backend", type=click.Choice(["langdetect", "cld2", "py3langid", "none"]),
              default=None,
              help="Language identification: langdetect (default), cld2 (pycld2, the fastest; "
                   "pip install 'corpus-clean[fast]'), py3langid (more accurate than "
                   "langdetect; pip install 'corpus-clean[langid]') or none (all 'und').")
@click.option("--compress", type=click.Choice(["gz", "zst"]), default=None,
              help="Compress clean.jsonl and rejected.jsonl (gzip or zstd).")
@click.option("--shard-size", metavar="SIZE", default=None,
              help="Cut the clean output into shards of SIZE records (100000) or uncompressed "
                   "bytes (256MB): clean-00000.jsonl, clean-00001.jsonl, ...")
@click.option("--workers", type=click.IntRange(0), default=None, metavar="N",
              help="Worker processes for the per-record work (default: one per core; 1: all in "
                   "this process). Outputs are the same for any N.")
@click.option("--executor", "executor_name", type=click.Choice(["local", "dask"]),
              default="local", show_default=True,
              help="Where the per-record work runs: worker processes on this machine, or a "
                   "Dask cluster (pip install 'corpus-clean[dask]'). Outputs are the same.")
@click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS",
              help="With --executor dask: the scheduler, tcp://HOST:8786 (default: "
                   "$DASK_SCHEDULER_ADDRESS; without either a local cluster of --workers "
                   "processes is started).")
@click.option("--dask-reads", type=click.Choice(["auto", "workers", "driver"]), default="auto",
              show_default=True,
              help="With --executor dask: who reads and cuts the input files. workers: they "
                   "read the dump (which they must see at the same path or URL) and this "
                   "process opens none of it; driver: this process reads every file and "
                   "sends its blocks. auto: workers for a URL dump or a local cluster, else "
                   "driver.")
@click.option("--dask-writes", type=click.Choice(["auto", "workers", "driver"]),
              default="auto", show_default=True,
              help="With --executor dask: who writes the kept and rejected records. workers: "
                   "each writes its parts as numbered shards (clean-00000.jsonl ...) to OUT, "
                   "which they must see at the same path or URL; driver: this process writes "
                   "clean.jsonl and rejected.jsonl. auto: workers for an object-store URL or "
                   "a local cluster, else driver; always driver with '-o -' or --shard-size.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr.")
@_debug_option
def clean_command(dump: Path, output: str, overwrite: bool, config_file: Path | None,
                  keep: str | None, near_threshold: float | None, no_near_dedup: bool,
                  lang_backend: str | None, compress: str | None, shard_size: str | None,
                  workers: int | None, executor_name: str, scheduler: str | None,
                  dask_reads: str, quiet: bool, resume: bool = False,
                  encoding: str | None = None, extractor: str | None = None,
                  records: str | None = None, index_dir: Path | None = None,
                  index_readonly: bool = False, run_name: str | None = None,
                  skip_stages: str | None = None, dask_writes: str = "auto") -> None:
    """Clean every file under DUMP_DIR (or one file) into OUT.

    Stages: read (any encoding, .gz/.bz2/.xz, JSON Lines) -> split records -> strip
    machine-translation marker lines -> drop boilerplate -> drop spam -> drop repetitive text
    (quality) -> exact and near dedup (MinHash LSH) -> tag language -> write.
    Every record ends in OUT/clean.jsonl or OUT/rejected.jsonl (with stage and reason);
    OUT/dedup-report.json lists the duplicate clusters, OUT/stats.json the counts.

    Exit codes: 0 done (drops are not errors), 1 the run could not complete, 2 usage error,
    130 interrupted (143 terminated); an unfinished run leaves no output file, and
    --resume continues it.

    \b
    Example:
      corpus-clean seeds/ -o out/
      corpus-clean seeds/ -o - | jq -r .lang | sort | uniq -c
    """
    with _StopSignals() as stops:
        try:
            _clean(dump, output, overwrite, config_file, keep, near_threshold, no_near_dedup,
                   lang_backend, compress, shard_size, workers, executor_name, scheduler,
                   (dask_reads, dask_writes), quiet, resume, stops, encoding, extractor, records,
                   (index_dir, index_readonly, run_name), skip_stages)
            stops.check()
        except BaseException as exc:
            signum = stops.signal_of(exc)
            if signum is None:
                raise
            code, word = STOPS[signum]
            if stops.completed:
                where = "" if output == "-" else f" in {_one_line(output)}"
                message = f"{word} after the run completed: the outputs{where} are complete."
            else:
                hint = _resume_hint(output == "-" or is_url(output) or executor_name == "dask")
                message = f"{word}: no output was completed.{hint}"
            Console(stderr=True).print(message, highlight=False, markup=False, soft_wrap=True)
            sys.exit(code)


def _clean(dump, output, overwrite, config_file, keep, near_threshold, no_near_dedup,
           lang_backend, compress, shard_size, workers, executor_name, scheduler, dask_io,
           quiet, resume, stops: _StopSignals, encoding: str | None = None,
           extractor: str | None = None, records: str | None = None,
           indexing: tuple = (None, False, None), skip_stages: str | None = None) -> None:
    """The body of :func:`clean_command`, run with its signal handlers (``stops``) in place;
    a stop signal comes out of it as ``KeyboardInterrupt`` or :class:`_Terminated`.
    ``dask_io``: ``(--dask-reads, --dask-writes)``."""
    dask_reads, dask_writes = dask_io
    console = Console(stderr=True, quiet=quiet)
    warn = Console(stderr=True)
    to_stdout = output == "-"
    if not output:
        raise click.BadParameter("an empty name is not a directory (give one, or '-' for "
                                 "stdout)", param_hint="'-o' / '--output'")
    if to_stdout and not _stdout_open():
        raise click.ClickException("<stdout>: standard output is closed; give -o OUT, or "
                                   "open it ('-o -' writes the clean records there)")
    if workers is not None and workers > max_workers():
        warn.print(f"warning: --workers {workers} is more than {WORKERS_PER_CORE} per core; "
                   f"using {max_workers()}", highlight=False, markup=False)
        workers = max_workers()
    executor = writer = None
    try:
        config = load_config(config_file) if config_file else Config()
        overrides = {"keep": keep, "near_threshold": near_threshold,
                     "near_dedup": False if no_near_dedup else None, "lang_backend": lang_backend,
                     "workers": workers, "encoding": encoding, "extractor": extractor,
                     "records": records, "skip_stages": skip_stages}
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
        shard_records = shard_bytes = 0
        if shard_size is not None:
            try:
                shard_records, shard_bytes = parse_shard_size(shard_size)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="'--shard-size'") from None
        if to_stdout and (compress or shard_size or resume):
            raise click.UsageError("--compress, --shard-size and --resume need an output "
                                   "directory, not '-o -'")
        local_out = not to_stdout and not is_url(output)
        if local_out and not is_url(str(dump)) and \
                os.path.realpath(output) == os.path.realpath(dump):
            raise click.UsageError("OUT is DUMP_DIR: the outputs must go to another directory "
                                   "(one inside DUMP_DIR is fine: it is not read as input)")
        skip = (output,) if local_out else ()
        total = sum(_size(f.path) for f in list_input_files(dump, skip=skip))
        if executor_name == "dask" and resume:
            raise click.ClickException(DASK_RESUME_ERROR)
        index_dir, index_readonly, run_name = indexing
        index = None
        if index_dir is None and (index_readonly or run_name is not None):
            raise click.UsageError("--index-readonly and --run-name need --index INDEX_DIR")
        if index_dir is not None:
            if executor_name == "dask":
                raise click.ClickException(DASK_INDEX_ERROR)
            index = DedupIndex(index_dir, config, create=not index_readonly)
            if run_name is None and not index_readonly:
                run_name = "stdout" if to_stdout else (
                    Path(output.rstrip("/")).name or output)
            if index_readonly:
                run_name = None  # a run name already in the index: clean_dir refuses it
        sources = click.get_current_context().get_parameter_source
        if executor_name == "dask":
            if dask_writes == "workers" and (to_stdout or shard_size):
                raise click.UsageError("--dask-writes workers writes a shard per part of the "
                                       "dump: not with '-o -' nor --shard-size (use "
                                       "--dask-writes driver)")
            executor = start_dask(console, scheduler, config.workers)
            who = {"auto": None, "workers": True, "driver": False}
            executor.read_dump, executor.write_output = who[dask_reads], who[dask_writes]
        elif sources("scheduler").name == "COMMANDLINE":
            raise click.UsageError("--scheduler needs --executor dask")
        elif sources("dask_reads").name == "COMMANDLINE":
            raise click.UsageError("--dask-reads needs --executor dask")
        elif sources("dask_writes").name == "COMMANDLINE":
            raise click.UsageError("--dask-writes needs --executor dask")
        if resume and is_url(output):
            raise click.UsageError("--resume needs a local output directory, not a URL")
        if to_stdout:
            writer = OutputWriter(None, stream=sys.stdout.buffer)
        else:
            writer = make_writer(output, overwrite=overwrite or resume, compress=compress,
                                 shard_records=shard_records, shard_bytes=shard_bytes)
        stops.writer = writer
        progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), TextColumn("{task.fields[records]}"),
                            TimeRemainingColumn(), console=console, transient=True,
                            disable=quiet or not console.is_terminal)
        started = time.perf_counter()
        done_bytes = [0]  # bytes of the files finished

        with progress:
            task = progress.add_task("reading", total=total, records="")

            def on_progress(info, file_done, report):
                if file_done:
                    done_bytes[0] += info.bytes
                    if info.error:
                        warn.print(f"warning: {_one_line(info.error)}", markup=False,
                                   highlight=False,
                                   soft_wrap=True)
                now = done_bytes[0] + (0 if file_done else info.extra.get("bytes_read", 0))
                rate = report.records_in / max(time.perf_counter() - started, 1e-9)
                drops = " ".join(f"{stage} {sum(c.values())}" for stage, c in report.drops.items())
                progress.update(task, completed=now, description=info.source[-28:],
                                records=f"{report.records_in:,} rec {rate:,.0f}/s {drops}"
                                        f"{dask_progress(executor)}")

            report = clean_dir(dump, writer, config, on_progress=on_progress,
                               resume=resume, executor=executor, index=index,
                               run_name=run_name)
            for line in report.mojibake_files():
                warn.print(f"warning: {_one_line(line)}", markup=False, highlight=False,
                           soft_wrap=True)
            stops.completed = True
            stops.check()  # a signal held since the commit: reported now, as after the run
    except CorpusCleanError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, as Unix tools do.
        _quiet_stdout()
        sys.exit(1)
    finally:
        try:  # the cluster first: its workers may be writing shards in OUT
            if executor is not None:
                executor.close() if stops.completed else executor.abort()
        finally:
            if writer is not None and not stops.completed:
                writer.abort()  # temporary files and the lock on OUT, whatever failed
    render_resume(console, report.resume)
    render_summary(console, report)


def _quiet_stdout() -> None:
    """Point stdout at ``/dev/null`` after a write to it failed, so that the flush at exit
    cannot fail again and print a second message."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def _stdout_open() -> bool:
    """Whether standard output is open (``>&-`` closes it: Python then has no
    ``sys.stdout``, and file descriptor 1 is not valid)."""
    if sys.stdout is None:
        return False
    try:
        os.fstat(1)
    except OSError:
        return False
    return True


def _resume_hint(no_checkpoint: bool) -> str:
    """The hint after an interruption; none for stdout output, URL outputs or the Dask
    executor, which keep no checkpoint."""
    return "" if no_checkpoint else " Run again with --resume to continue from the files done."


@cli.command("explain")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path),
                metavar="OUT")
@click.argument("record_id", metavar="RECORD_ID")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="INDEX_DIR",
              help="The dedup index the run used: for a record seen before, the earlier "
                   "record's text from its run's output.")
@click.option("--json", "as_json", is_flag=True, help="The explanation as JSON on stdout.")
@_debug_option
def explain_command(out: Path, record_id: str, index_dir: Path | None, as_json: bool) -> None:
    """Why the record RECORD_ID of the run in OUT is where it is: its stage and reason, every
    measure against its threshold (recomputed with the run's settings), the record a
    duplicate duplicates (both texts, their Jaccard similarity and shared shingles), and the
    language decision of a kept record.

    \b
    Example:
      corpus-clean explain out/ 002_3e3487d38700c770.txt:1
      corpus-clean explain out/ 002_3e3487d38700c770.txt:1 --json | jq .checks
    """
    try:
        result = explain(out, record_id, index_dir)
    except CorpusCleanError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    render_explanation(Console(), result)


@cli.group("index")
def index_group() -> None:
    """Inspect or compact a dedup index of earlier runs (see 'clean --index')."""


@index_group.command("info")
@click.argument("index_dir", type=click.Path(file_okay=False, path_type=Path),
                metavar="INDEX_DIR")
@click.option("--json", "as_json", is_flag=True, help="The manifest as JSON on stdout.")
@_debug_option
def index_info(index_dir: Path, as_json: bool) -> None:
    """List the runs of INDEX_DIR: records and bytes of each, and the settings.

    \b
    Example:
      corpus-clean index info corpus-index/
    """
    try:
        index = DedupIndex(index_dir)
    except CorpusCleanError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    if as_json:
        click.echo(json.dumps(index.manifest, indent=2, ensure_ascii=False))
        return
    console = Console()
    table = Table(title=f"dedup index {index_dir}")
    for col in ("run", "records", "bytes", "added"):
        table.add_column(col, justify="right" if col in ("records", "bytes") else "left")
    for run in index.runs:
        table.add_row(run["name"], f"{run['records']:,}", f"{run['bytes']:,}", run["added"])
    total_r = sum(r["records"] for r in index.runs)
    total_b = sum(r["bytes"] for r in index.runs)
    table.add_row("total", f"{total_r:,}", f"{total_b:,}", "")
    console.print(table)
    settings = ", ".join(f"{k}={v}" for k, v in index.manifest["settings"].items())
    console.print(f"settings: {settings}", highlight=False, markup=False)


@index_group.command("compact")
@click.argument("index_dir", type=click.Path(file_okay=False, path_type=Path),
                metavar="INDEX_DIR")
@_debug_option
def index_compact(index_dir: Path) -> None:
    """Merge the segments of INDEX_DIR into one (fewer files to search; every run and record
    stays), and remove segment directories the manifest does not name (left by runs that were
    killed while adding theirs).

    \b
    Example:
      corpus-clean index compact corpus-index/
    """
    try:
        index = DedupIndex(index_dir)
        before = len(index.runs)
        manifest = index.compact()
    except CorpusCleanError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    except OSError as exc:
        raise click.ClickException(f"{index_dir}: could not compact the index ({exc}); it "
                                   "is as it was") from None
    runs = sum(len(r.get("runs", [r["name"]])) for r in manifest["runs"])
    Console(stderr=True).print(f"{index_dir}: {before} segment(s) -> {len(manifest['runs'])}; "
                               f"{runs} run(s), {sum(r['records'] for r in manifest['runs']):,} "
                               "records", highlight=False, markup=False)


@cli.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path),
                metavar="OUT")
@click.option("--format", "fmt", type=click.Choice(["terminal", "markdown", "html"]),
              default="terminal", show_default=True, help="How to render the report.")
@click.option("-o", "--output", "dest", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (markdown/html; default OUT/dedup-report.md or .html; "
                   "'-' for stdout).")
@click.option("--top", type=click.IntRange(1), default=20, show_default=True,
              help="Largest clusters shown in the terminal.")
@_debug_option
def report_command(out: Path, fmt: str, dest: Path | None, top: int) -> None:
    """Render OUT/dedup-report.json: totals, the largest clusters with the kept and removed
    texts side by side, and which files repeat which.

    The terminal rendering goes to stdout; markdown and html are written to a file that can
    be opened and shared (the HTML is self-contained: no scripts, no network).

    \b
    Example:
      corpus-clean seeds/ -o out/ && corpus-clean report out/
      corpus-clean report out/ --format html     # writes out/dedup-report.html
    """
    path = out / "dedup-report.json"
    try:
        try:
            data = load_report(orjson.loads(path.read_bytes()), str(path))
        except FileNotFoundError:
            raise CorpusCleanError(f"{path}: no dedup report here; run 'corpus-clean DUMP_DIR "
                                   f"-o {out}' first") from None
        except orjson.JSONDecodeError as exc:
            raise CorpusCleanError(f"{path}: not valid JSON ({exc})") from None
        if fmt == "terminal" or str(dest) == "-":
            if not _stdout_open():
                raise CorpusCleanError("<stdout>: standard output is closed")
            try:
                if fmt == "terminal":
                    render_dedup_report(Console(), data, top)
                else:
                    click.echo(to_markdown(data) if fmt == "markdown" else to_html(data),
                               nl=False)
                sys.stdout.flush()
            except BrokenPipeError:
                _quiet_stdout()
                sys.exit(1)
            except OSError as exc:
                _quiet_stdout()
                raise CorpusCleanError(f"<stdout>: cannot write ({exc.strerror or exc})") \
                    from None
            return
        text = to_markdown(data) if fmt == "markdown" else to_html(data)
        target = dest or out / ("dedup-report.md" if fmt == "markdown" else "dedup-report.html")
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CorpusCleanError(f"{target}: cannot write ({exc.strerror})") from None
        Console(stderr=True).print(f"wrote {target}", highlight=False, markup=False)
    except CorpusCleanError as exc:
        raise click.ClickException(_one_line(str(exc))) from None


def main() -> None:
    """Entry point of the ``corpus-clean`` console script."""
    cli(prog_name="corpus-clean")
