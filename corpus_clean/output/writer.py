"""Write the outputs: ``clean.jsonl``, ``rejected.jsonl``, ``dedup-report.json``, ``stats.json``.

Atomic: every file is written under a temporary name (``.<name>.tmp`` in the output directory)
and renamed only when the run completes, ``stats.json`` last; an interrupted or failed run
leaves no file under a final name (see :meth:`OutputWriter.abort`). With ``out=None`` the clean
records go to a binary stream (stdout) and nothing else is written.

JSON is written by orjson: UTF-8, not ASCII-escaped, keys in the fixed order of
:data:`CLEAN_FIELDS` and :data:`REJECTED_FIELDS`, one object per line.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

import orjson

from ..errors import OutputError, output_error
from ..records import Drop, Record
from .report import Report
from .shards import (COMPRESSIONS, STAGING_PREFIX, Shard, ShardStore, compressed_writer,
                     shard_name, shard_names)

__all__ = ["OutputWriter", "RemoteOutputWriter", "make_writer", "CLEAN_FIELDS",
           "REJECTED_FIELDS", "OUTPUT_FILES"]

CLEAN_FIELDS = ("id", "text", "source", "line", "lang", "lang_prob", "translated_by", "mt_engine")
REJECTED_FIELDS = ("id", "text", "source", "line", "stage", "reason", "detail", "duplicate_of",
                   "translated_by", "mt_engine")
OUTPUT_FILES = ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json")


def clean_row(record: Record) -> bytes:
    """Return the ``clean.jsonl`` line (with ``\\n``) of a kept record; a page's document
    (``record.meta`` set) also has ``url``, ``title`` and ``date``, last."""
    row = {
        "id": record.id, "text": record.text, "source": record.source, "line": record.line,
        "lang": record.lang, "lang_prob": record.lang_prob,
        "translated_by": record.translated_by, "mt_engine": record.mt_engine,
    }
    if record.is_document:
        row.update(_page_fields(record.meta))
    return orjson.dumps(row) + b"\n"


def rejected_row(record: Record, drop: Drop) -> bytes:
    """Return the ``rejected.jsonl`` line (with ``\\n``) of a dropped record (a record seen
    in an earlier run with ``duplicate_run``; a page's document with ``url``, ``title`` and
    ``date`` last)."""
    row = {
        "id": record.id, "text": record.text, "source": record.source, "line": record.line,
        "stage": drop.stage, "reason": drop.reason, "detail": drop.detail,
        "duplicate_of": drop.duplicate_of,
        "translated_by": record.translated_by, "mt_engine": record.mt_engine,
    }
    if drop.run is not None:  # seen before: the earlier run that kept it
        row["duplicate_run"] = drop.run
    if record.is_document:
        row.update(_page_fields(record.meta))
    return orjson.dumps(row) + b"\n"


def removed_line_row(record: Record, removed: tuple) -> bytes:
    """Return the ``removed-lines.jsonl`` line (with ``\\n``) of a line removed from the
    document ``record`` (``removed``: an entry of :attr:`~corpus_clean.records.Record.removed`):
    ``id`` (``"<document id>#<line>"``), ``document``, ``source``, ``line`` (its 1-based
    number in the document as extracted), ``text``, ``stage``, ``reason``, ``detail``."""
    number, stage, reason, detail, text = removed
    return orjson.dumps({
        "id": f"{record.id}#{number}", "document": record.id, "source": record.source,
        "line": number, "text": text, "stage": stage, "reason": reason, "detail": detail,
    }) + b"\n"


def _page_fields(meta: dict) -> dict:
    """The output fields of a page's document, in order."""
    return {"url": meta.get("url"), "title": meta.get("title"), "date": meta.get("date")}


def _fsync_dir(path: Path) -> None:
    """fsync directory ``path``, so that the renames in it survive a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _JsonlSink:
    """One JSON Lines output (``clean`` or ``rejected``), maybe compressed and sharded, written
    under temporary names and renamed by :meth:`commit`.

    A new shard starts once the current one holds ``shard_records`` records or
    ``shard_bytes`` uncompressed bytes; shards are named ``<stem>-00000.jsonl[.gz]`` ...,
    an unsharded output ``<stem>.jsonl[.gz]``, compressed by :func:`.shards.compressed_writer`
    (the same bytes on every run).
    """

    def __init__(self, out: Path, stem: str, compress: str | None, shard_records: int,
                 shard_bytes: int):
        self.out, self.stem, self.compress = out, stem, compress
        self.shard_records, self.shard_bytes = shard_records, shard_bytes
        self.parts: list[tuple[Path, Path]] = []
        self._raw: BinaryIO | None = None
        self._f: BinaryIO | None = None
        self._records = self._bytes = 0
        self._open()

    @property
    def sharded(self) -> bool:
        return bool(self.shard_records or self.shard_bytes)

    def _open(self) -> None:
        name = shard_name(self.stem, len(self.parts), self.compress) if self.sharded \
            else f"{self.stem}.jsonl{COMPRESSIONS[self.compress]}"
        tmp = self.out / f".{name}.tmp"
        self.parts.append((tmp, self.out / name))
        self._raw = open(tmp, "wb")  # noqa: SIM115 - closed by _close()
        self._f = compressed_writer(self._raw, self.compress)
        self._records = self._bytes = 0

    def write(self, data: bytes) -> None:
        full = (self.shard_records and self._records >= self.shard_records) or \
            (self.shard_bytes and self._bytes and self._bytes + len(data) > self.shard_bytes)
        if full:
            self._close()
            self._open()
        self._f.write(data)
        self._records += 1
        self._bytes += len(data)

    def write_many(self, rows: bytes, count: int) -> None:
        """:meth:`write` of each of the ``count`` lines in ``rows``; one write when the output
        is not sharded."""
        if self.sharded:
            for row in rows.splitlines(keepends=True):  # orjson lines: "\n" ends them only
                self.write(row)
            return
        self._f.write(rows)
        self._records += count
        self._bytes += len(rows)

    def _close(self) -> None:
        if self._f is not None and self._f is not self._raw:
            self._f.close()
        if self._raw is not None and not self._raw.closed:
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
        self._f = self._raw = None

    def close(self) -> None:
        """Finish writing (flush, fsync); the files keep their temporary names."""
        self._close()

    def names(self) -> list[str]:
        """The final names of this output's files (one, or one per shard)."""
        return [final.name for _, final in self.parts]

    def commit(self) -> None:
        """Rename the closed files to their final names (replacing files of those names)."""
        self._close()
        for tmp, final in self.parts:
            os.replace(tmp, final)

    def abort(self) -> None:
        """Close and delete the temporary files."""
        try:
            self._close()
        except OSError:
            pass
        for tmp, _ in self.parts:
            tmp.unlink(missing_ok=True)


#: the names of the files a run writes in OUT (see :data:`OUTPUT_FILES`; shards of the clean
#: output are ``clean-00000.jsonl`` ...; ``.gz``/``.zst`` when compressed): only files with such
#: names are ever replaced or removed, and only those an earlier run listed as its own
OUTPUT_NAME = re.compile(r"(?:(?:clean|rejected|removed-lines)(?:-\d{5,})?\.jsonl(?:\.gz|\.zst)?"
                         r"|dedup-report\.json|stats\.json)")
#: hidden file in OUT that a run holds an exclusive lock on (``lockf``) while it writes there
LOCK_NAME = ".corpus-clean.lock"
#: hidden file in OUT listing the outputs of earlier runs and of this one while this run
#: renames its outputs into place (see :meth:`OutputWriter.finish`)
MANIFEST_NAME = ".corpus-clean.outputs"


def _listed_outputs(stats_json: bytes) -> set[str] | None:
    """The outputs an earlier run's ``stats.json`` (its bytes) lists as its own, only those
    named as outputs (:data:`OUTPUT_NAME`); None if it is a ``stats.json`` written before
    outputs were listed; an empty set if it is not a ``stats.json`` of ours at all."""
    try:
        stats = orjson.loads(stats_json)
    except orjson.JSONDecodeError:
        return set()
    if not isinstance(stats, dict):
        return set()
    listed = stats.get("outputs")
    return _owned(listed) if isinstance(listed, list) else None


def _owned(names) -> set[str]:
    """The names among ``names`` that a run may have written (:data:`OUTPUT_NAME`)."""
    return {n for n in names if isinstance(n, str) and OUTPUT_NAME.fullmatch(n)}


class _OutputLock:
    """An exclusive lock on ``OUT/.corpus-clean.lock`` for the length of a run: two runs into
    one OUT would remove each other's temporary files. A POSIX record lock (``lockf``), not
    ``flock``: it belongs to this process alone, where a ``flock`` would be shared with the
    worker processes forked after it and outlive a killed run while they wind down. The
    kernel releases it when the process ends however it ends (SIGKILL, power loss), so a
    stale lock never blocks a run.
    The file holds the holder's pid, for the message; it is removed when the lock is released
    (a run that took it checks that it locked the file that is still there).

    Raises:
        OutputError: another process holds the lock (the message names its pid).
        OSError: the lock file cannot be created.
    """

    def __init__(self, out: Path):
        import fcntl

        self.path = out / LOCK_NAME
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    os.close(fd)
                    raise
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise OutputError(f"{out}: another corpus-clean run (pid {holder}) is writing "
                                  "here; wait for it to end, or choose another output "
                                  "directory") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:  # released and removed by its holder meanwhile
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        """Remove the lock file and release the lock (idempotent)."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def parse_shard_size(text: str) -> tuple[int, int]:
    """Parse ``--shard-size``: a number of records (``100000``) or of uncompressed bytes with a
    unit (``256MB``, ``1GB``; units of 10**3). Return ``(records, bytes)``, one of them 0.

    Raises:
        ValueError: the text is neither.
    """
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}
    t = text.strip().upper()
    for unit, mult in units.items():
        if t.endswith(unit) and t[: -len(unit)].strip().isdigit():
            n = int(t[: -len(unit)]) * mult
            if n > 0:
                return 0, n
    if t.isdigit() and int(t) > 0:
        return int(t), 0
    raise ValueError(f"{text!r}: give records (100000) or bytes with a unit (256MB)")


class OutputWriter:
    """Writes one run's outputs to directory ``out``, or clean records only to ``stream``.

    ``compress`` (``gz`` or ``zst``) compresses ``clean.jsonl`` and ``rejected.jsonl``;
    ``shard_records`` / ``shard_bytes`` cut the clean output into shards (see
    :class:`_JsonlSink`). The dedup report and stats are plain JSON.

    Only corpus-clean's own files in ``out`` are ever replaced or removed: the outputs that
    the previous run listed in its ``stats.json`` (``outputs``) or, if it was killed while
    renaming them, in its hidden manifest; never another file, even one named like an output
    (``clean.jsonl.orig``, a user's ``notes.txt``). While a writer exists it holds a lock on
    ``out`` (:class:`_OutputLock`); :meth:`finish` and :meth:`abort` release it.

    Raises:
        OutputError: the directory cannot be created or written, is not empty (and
            ``overwrite`` is false), another run is writing there, or the disk is full.
    """

    #: whether the files renamed into place by :meth:`finish` are the outputs themselves
    #: (False for a writer that uploads them afterwards)
    final_here = True

    def __init__(self, out: Path | None, stream: BinaryIO | None = None, overwrite: bool = False,
                 compress: str | None = None, shard_records: int = 0, shard_bytes: int = 0):
        self.out = Path(out) if out is not None else None
        self.stream = stream
        self.committing = False  # renaming the finished outputs into place (see finish)
        self.finished = False  # finish() completed: the outputs are complete where they go
        #: (the CLI holds a stop signal while ``committing``, and reports one after
        #: ``finished`` as arriving after the run completed)
        self._sinks: dict[str, _JsonlSink] = {}
        self._compress = compress
        self._lock: _OutputLock | None = None
        self._store: ShardStore | None = None  # see shard_store()
        self._adopted: list[Shard] = []
        if compress not in COMPRESSIONS:
            raise OutputError(f"compress={compress!r}: must be one of gz, zst")
        if self.out is None:
            return
        if self.out.exists() and not self.out.is_dir():
            raise OutputError(f"{self.out}: exists and is not a directory")
        if self.out.is_dir() and not overwrite:
            visible = [p.name for p in self.out.iterdir() if not p.name.startswith(".")]
            if visible:
                raise OutputError(
                    f"{self.out}: output directory is not empty ({len(visible)} entries); "
                    "choose another one or pass --overwrite"
                )
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._lock = _OutputLock(self.out)  # before anything here is touched
            self._remove_stale()
            self._sinks["clean.jsonl"] = _JsonlSink(self.out, "clean", compress, shard_records,
                                                    shard_bytes)
            self._sinks["rejected.jsonl"] = _JsonlSink(self.out, "rejected", compress, 0, 0)
        except ImportError:
            self.abort()
            raise OutputError("compress=zst needs the zstandard package: "
                              "pip install 'corpus-clean[zstd]'") from None
        except OutputError:
            self.abort()
            raise
        except OSError as exc:
            self.abort()
            raise output_error(self.out, exc) from None

    def _remove_stale(self) -> None:
        """Remove what a run killed before its cleanup (SIGKILL, power loss) left here: our
        temporary files (``.<output name>.tmp``) and spill directories (``.corpus-clean-*``).
        Never touches other files. Safe because this writer holds the lock on ``out``."""
        for path in self.out.iterdir():
            name = path.name
            if name.startswith(".") and name.endswith(".tmp") and _owned([name[1:-4]]):
                path.unlink(missing_ok=True)
            elif name.startswith(".corpus-clean-") and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    def own_dirs(self) -> list[Path]:
        """Directories of this writer's own files (the output directory, a staging
        directory), which the run must not read as input when they lie inside the dump."""
        return [self.out] if self.out is not None else []

    def _previous_outputs(self) -> set[str]:
        """The outputs of earlier runs in ``out``: those the last complete run listed in
        ``stats.json`` and those a run killed while renaming listed in the manifest; for a
        ``stats.json`` of a version that listed none, the files with output names. Only names
        matching :data:`OUTPUT_NAME`, whatever the files say."""
        names: set[str] = set()
        try:
            names |= set((self.out / MANIFEST_NAME).read_text("utf-8").split("\n"))
        except (OSError, UnicodeDecodeError):
            pass
        try:
            listed = _listed_outputs((self.out / "stats.json").read_bytes())
        except OSError:  # no earlier complete run
            listed = set()
        if listed is None:  # written before outputs were listed: our names, as they were then
            listed = {p.name for p in self.out.iterdir()}
        return _owned(names | listed)

    def _tmp(self, name: str) -> Path:
        return self.out / f".{name}.tmp"

    @property
    def sharded(self) -> bool:
        """Whether ``--shard-size`` cuts the clean output."""
        sink = self._sinks.get("clean.jsonl")
        return sink is not None and sink.sharded

    def shard_store(self) -> ShardStore | None:
        """The staging directory for shards written by a cluster's workers (see
        :mod:`.shards`), made on the first call: from then on the clean and rejected records
        (and removed lines) are the shards handed to :meth:`adopt`, in run order, never rows
        given to the ``write_*`` methods, and the outputs are ``clean-00000.jsonl`` ... (at
        least one of ``clean`` and of ``rejected``, empty if need be). None when the records
        go to a stream, or ``--shard-size`` cuts the clean output (only the writer of every
        record can cut it by size).

        Raises:
            OutputError: the staging directory cannot be made.
        """
        if self._store is not None:
            return self._store
        if self.out is None or self.sharded:
            return None
        self._store = self._new_store(f"{STAGING_PREFIX}{uuid.uuid4().hex}")
        for name in ("clean.jsonl", "rejected.jsonl"):  # no row comes here any more
            self._sinks.pop(name).abort()
        return self._store

    def _new_store(self, name: str) -> ShardStore:
        root = self.out / name
        try:
            root.mkdir()
        except OSError as exc:
            raise output_error(root, exc) from None
        return ShardStore(str(root), self._compress)

    def adopt(self, shard: Shard) -> None:
        """Take ``shard`` (written in :meth:`shard_store`'s directory) as the next shard of its
        output; a ``dedup-report`` shard is the whole ``dedup-report.json`` (then the report
        is not written here)."""
        self._adopted.append(shard)

    def _final_shards(self) -> list[tuple[Shard, str]]:
        """The adopted shards and their final names (:func:`.shards.shard_names`), with an
        empty shard written for a clean or rejected output that got none."""
        if self._store is None:
            return []
        named = []
        for stem in ("clean", "rejected", "removed-lines"):
            mine = [s for s in self._adopted if s.stem == stem]
            if not mine and stem != "removed-lines":
                mine = [self._store.write(stem, [], 0, empty=True)]
            named += zip(mine, shard_names(mine, self._compress))
        named += [(s, "dedup-report.json") for s in self._adopted if s.stem == "dedup-report"]
        return named

    def _commit_shards(self, named: list[tuple[Shard, str]]) -> None:
        """Rename the shards to their final names in OUT; remove the staging directory."""
        for shard, final in named:
            self._store.move(shard.name, str(self.out / final))
        if self._store is not None:
            self._store.remove()

    def _write(self, name: str, data: bytes) -> None:
        try:
            if self.out is None:
                self.stream.write(data)
            else:
                self._sinks[name].write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise output_error(self.out / name if self.out else Path("<stdout>"), exc) from None

    def write_clean_rows(self, rows: bytes, count: int) -> None:
        """Append ``count`` lines rendered by :func:`clean_row` (``rows``, joined) to the
        clean output."""
        if self.out is None:
            self._write("clean.jsonl", rows)
            return
        sink = self._sinks["clean.jsonl"]
        try:
            sink.write_many(rows, count)
        except OSError as exc:
            raise output_error(self.out / "clean.jsonl", exc) from None

    def write_removed_lines(self, rows: bytes) -> None:
        """Append lines rendered by :func:`removed_line_row`, joined, to
        ``removed-lines.jsonl``, made when the first comes (not written in stdout mode)."""
        if self.out is None or not rows:
            return
        if "removed-lines.jsonl" not in self._sinks:
            try:
                self._sinks["removed-lines.jsonl"] = _JsonlSink(
                    self.out, "removed-lines", self._compress, 0, 0)
            except OSError as exc:
                raise output_error(self.out / "removed-lines.jsonl", exc) from None
        self._write("removed-lines.jsonl", rows)

    def write_rejected_rows(self, rows: bytes) -> None:
        """Append lines rendered by :func:`rejected_row`, joined, to the rejects (not written
        in stdout mode)."""
        if self.out is not None and rows:
            self._write("rejected.jsonl", rows)

    def spill_dir(self) -> Path | None:
        """Directory for the run's temporary files: the output directory, or ``None`` (the
        system temporary directory) when writing to a stream."""
        return self.out

    def checkpoint_dir(self) -> Path | None:
        """Directory for the run's checkpoint (:mod:`.resume`): the output directory; None
        (no checkpoint) when writing to a stream."""
        return self.out

    def finish(self, report: Report) -> None:
        """Write the report files and rename everything to its final name, all or nothing.

        In order: the report files are written under temporary names; the outputs of earlier
        runs and of this one are listed in the hidden manifest (fsync'd); the old
        ``stats.json`` is removed, so that OUT no longer looks complete; the new files are
        renamed into place; earlier outputs that this run did not write (a shard beyond its
        last) are removed; ``stats.json`` is renamed last (a ``stats.json`` in OUT means the
        outputs it lists are complete and of one run); the manifest is removed. A run killed
        in between leaves no ``stats.json``, and the manifest tells the next run which files
        are its own. ``stats.json`` lists the outputs (``outputs``)."""
        if self.out is None:
            self.stream.flush()
            self.finished = True
            return
        try:
            for sink in self._sinks.values():
                sink.close()
            shards = self._final_shards()
            new = [n for sink in self._sinks.values() for n in sink.names()]
            new += [final for _, final in shards]
            # the report is written here unless a worker wrote it (a shard of its own)
            here = [n for n in ("dedup-report.json", "stats.json") if n not in new]
            new += here
            for name in here:
                with open(self._tmp(name), "wb") as f:
                    if name == "dedup-report.json":
                        report.write_dedup_report(f)  # streamed: it can be very large
                    else:
                        stats = {**report.stats(), "outputs": sorted(new)}
                        f.write(orjson.dumps(stats, option=orjson.OPT_INDENT_2) + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
            old = self._previous_outputs()
            self.committing = True  # the CLI holds a stop signal until these are done
            self._write_manifest(old | set(new))
            (self.out / "stats.json").unlink(missing_ok=True)
            for sink in self._sinks.values():
                sink.commit()
            self._commit_shards(shards)
            if "dedup-report.json" in here:
                os.replace(self._tmp("dedup-report.json"), self.out / "dedup-report.json")
            for name in sorted(old - set(new)):
                (self.out / name).unlink(missing_ok=True)
            os.replace(self._tmp("stats.json"), self.out / "stats.json")
            _fsync_dir(self.out)
            (self.out / MANIFEST_NAME).unlink(missing_ok=True)
            self.finished = self.final_here
            self.committing = False
        except OSError as exc:
            self.committing = False
            self.abort()
            raise output_error(self.out, exc) from None
        self._release()

    def _write_manifest(self, names: set[str]) -> None:
        tmp = self.out / f"{MANIFEST_NAME}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(names)) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.out / MANIFEST_NAME)
        _fsync_dir(self.out)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def abort(self) -> None:
        """Close and delete the temporary files and release the lock; final names are left
        untouched."""
        for sink in self._sinks.values():
            sink.abort()
        if self._store is not None:
            self._store.remove()
        if self.out is not None:
            for name in ("dedup-report.json", "stats.json"):
                try:
                    self._tmp(name).unlink()
                except OSError:
                    pass
        self._release()


class RemoteOutputWriter(OutputWriter):
    """Writes one run's outputs to an object-store URL (``s3://bucket/run1/``, any fsspec
    protocol whose package is installed; ``memory://`` in the tests).

    The outputs are written as for a local directory into a staging directory (under
    ``staging``, default the system temporary directory), which also holds the run's
    temporary files; when the run completes they are uploaded, ``stats.json`` last, so a
    ``stats.json`` at the URL means every other output there is complete (object stores have
    no atomic rename). Shards written by a cluster's workers (:meth:`shard_store`) are
    written under the URL itself, in a hidden staging prefix, and moved into place before
    ``stats.json`` is uploaded. Outputs of an earlier run at the URL that this run did not write (a
    shard beyond the new last one: names of :data:`OUTPUT_NAME` that the earlier
    ``stats.json`` lists) are then deleted; nothing else there is touched. An interrupted or failed run uploads
    nothing. No checkpoint is kept (``--resume`` needs a local output directory).

    Raises:
        OutputError: fsspec or the protocol's package is missing; the URL holds files and
            ``overwrite`` is false; the staging directory cannot be written; an upload fails.
    """

    final_here = False  # finish() uploads them after the local commit

    def __init__(self, url: str, overwrite: bool = False, compress: str | None = None,
                 shard_records: int = 0, shard_bytes: int = 0, staging: Path | None = None):
        import tempfile

        from ..reading.storage import output_url

        self.url = url.rstrip("/")
        self.fs, self.root = output_url(url)
        try:
            existing = [p for p in self.fs.find(self.root)
                        if not p[len(self.root):].lstrip("/").startswith(".")]
        except OSError as exc:
            raise OutputError(f"{self.url}: cannot list ({exc})") from None
        if existing and not overwrite:
            raise OutputError(f"{self.url}: output location is not empty ({len(existing)} "
                              "files); choose another one or pass --overwrite")
        self._existing = existing
        try:
            self._staging = Path(tempfile.mkdtemp(prefix="corpus-clean-out-", dir=staging))
        except OSError as exc:
            raise output_error(Path(staging or tempfile.gettempdir()), exc) from None
        super().__init__(self._staging, overwrite=True, compress=compress,
                         shard_records=shard_records, shard_bytes=shard_bytes)

    def checkpoint_dir(self) -> Path | None:
        """None: a run to a URL keeps no checkpoint."""
        return None

    def _new_store(self, name: str) -> ShardStore:
        """Shards are written at the URL itself, in ``<url>/<name>/`` (hidden: a path part
        starting with ``.``), and moved into place there."""
        return ShardStore(f"{self.root}/{name}", self._compress, self.fs)

    def _commit_shards(self, named: list[tuple[Shard, str]]) -> None:
        self._named_shards = named  # moved at the URL by finish(), before stats.json

    def finish(self, report: Report) -> None:
        """Write the outputs in the staging directory, upload them and move the shards the
        workers wrote into place (``stats.json`` last) and remove the staging directories."""
        self._named_shards: list[tuple[Shard, str]] = []
        super().finish(report)
        names = sorted(p.name for p in self._staging.iterdir() if not p.name.startswith("."))
        names.sort(key=lambda n: n == "stats.json")
        try:
            listed = None  # the earlier run's own outputs, as its stats.json lists them
            if "stats.json" in names and self.fs.exists(f"{self.root}/stats.json"):
                listed = _listed_outputs(self.fs.cat_file(f"{self.root}/stats.json"))
                self.fs.rm(f"{self.root}/stats.json")  # incomplete until the new one is up
            for shard, final in self._named_shards:
                self._store.move(shard.name, f"{self.root}/{final}")
            for name in names:
                self.fs.put_file(str(self._staging / name), f"{self.root}/{name}")
            names += [final for _, final in self._named_shards]
            stale = [p for p in self._existing
                     if (name := p.rsplit("/", 1)[-1]) not in names and _owned([name])
                     and (listed is None or name in listed)]
            for path in stale:
                self.fs.rm(path)
            self.finished = True
        except OSError as exc:
            raise OutputError(f"{self.url}: upload failed ({exc})") from None
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
            if self._store is not None:
                self._store.remove()

    def abort(self) -> None:
        """Delete the staging directories; nothing is uploaded."""
        super().abort()
        shutil.rmtree(self._staging, ignore_errors=True)


def make_writer(output: str, overwrite: bool = False, compress: str | None = None,
                shard_records: int = 0, shard_bytes: int = 0) -> OutputWriter:
    """The writer for ``output``: a directory path, or a URL (:class:`RemoteOutputWriter`)."""
    from ..reading.storage import is_url

    if is_url(output):
        return RemoteOutputWriter(output, overwrite, compress, shard_records, shard_bytes)
    return OutputWriter(Path(output), overwrite=overwrite, compress=compress,
                        shard_records=shard_records, shard_bytes=shard_bytes)
