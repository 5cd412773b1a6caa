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
import gzip
import os
import shutil
from pathlib import Path
from typing import BinaryIO

import orjson

from .errors import OutputError
from .records import Drop, Record
from .report import Report

__all__ = ["OutputWriter", "RemoteOutputWriter", "make_writer", "CLEAN_FIELDS",
           "REJECTED_FIELDS", "OUTPUT_FILES"]

CLEAN_FIELDS = ("id", "text", "source", "line", "lang", "lang_prob", "translated_by", "mt_engine")
REJECTED_FIELDS = ("id", "text", "source", "line", "stage", "reason", "detail", "duplicate_of",
                   "translated_by", "mt_engine")
OUTPUT_FILES = ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json")


def clean_row(record: Record) -> bytes:
    """Return the ``clean.jsonl`` line (with ``\\n``) of a kept record."""
    return orjson.dumps({
        "id": record.id, "text": record.text, "source": record.source, "line": record.line,
        "lang": record.lang, "lang_prob": record.lang_prob,
        "translated_by": record.translated_by, "mt_engine": record.mt_engine,
    }) + b"\n"


def rejected_row(record: Record, drop: Drop) -> bytes:
    """Return the ``rejected.jsonl`` line (with ``\\n``) of a dropped record."""
    return orjson.dumps({
        "id": record.id, "text": record.text, "source": record.source, "line": record.line,
        "stage": drop.stage, "reason": drop.reason, "detail": drop.detail,
        "duplicate_of": drop.duplicate_of,
        "translated_by": record.translated_by, "mt_engine": record.mt_engine,
    }) + b"\n"


def _output_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(f"{path}: no space left on device")
    return OutputError(f"{path}: cannot write ({exc.strerror or exc})")


COMPRESSIONS = {None: "", "gz": ".gz", "zst": ".zst"}


class _JsonlSink:
    """One JSON Lines output (``clean`` or ``rejected``), maybe compressed and sharded, written
    under temporary names and renamed by :meth:`commit`.

    A new shard starts once the current one holds ``shard_records`` records or
    ``shard_bytes`` uncompressed bytes; shards are named ``<stem>-00000.jsonl[.gz]`` ...,
    an unsharded output ``<stem>.jsonl[.gz]``. gzip output has no name or time in its header
    and zstd output is single-threaded, so the bytes are the same on every run.
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
        ext = ".jsonl" + COMPRESSIONS[self.compress]
        name = f"{self.stem}-{len(self.parts):05d}{ext}" if self.sharded else f"{self.stem}{ext}"
        tmp = self.out / f".{name}.tmp"
        self.parts.append((tmp, self.out / name))
        self._raw = open(tmp, "wb")  # noqa: SIM115 - closed by _close()
        if self.compress == "gz":
            self._f = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0,
                                    compresslevel=6)
        elif self.compress == "zst":
            import zstandard

            self._f = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
        else:
            self._f = self._raw
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

    def commit(self) -> None:
        """Close, remove this output's files of an earlier run, and rename the new ones."""
        self._close()
        for old in list(self.out.glob(f"{self.stem}.jsonl*")) + \
                list(self.out.glob(f"{self.stem}-[0-9][0-9][0-9][0-9][0-9].jsonl*")):
            old.unlink()
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

    Raises:
        OutputError: the directory cannot be created or written, is not empty (and
            ``overwrite`` is false), or the disk is full.
    """

    def __init__(self, out: Path | None, stream: BinaryIO | None = None, overwrite: bool = False,
                 compress: str | None = None, shard_records: int = 0, shard_bytes: int = 0):
        self.out = Path(out) if out is not None else None
        self.stream = stream
        self._sinks: dict[str, _JsonlSink] = {}
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
            self._remove_stale()
            self._sinks["clean.jsonl"] = _JsonlSink(self.out, "clean", compress, shard_records,
                                                    shard_bytes)
            self._sinks["rejected.jsonl"] = _JsonlSink(self.out, "rejected", compress, 0, 0)
        except ImportError:
            self.abort()
            raise OutputError("compress=zst needs the zstandard package: "
                              "pip install 'corpus-clean[zstd]'") from None
        except OSError as exc:
            self.abort()
            raise _output_error(self.out, exc) from None

    def _remove_stale(self) -> None:
        """Remove what a run killed before its cleanup (SIGKILL, power loss) left here: our
        temporary files and spill directories. Never touches other files."""
        for pattern in (".clean*.tmp", ".rejected*.tmp", ".dedup-report.json.tmp",
                        ".stats.json.tmp"):
            for path in self.out.glob(pattern):
                path.unlink(missing_ok=True)
        for path in self.out.glob(".corpus-clean-*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    def _tmp(self, name: str) -> Path:
        return self.out / f".{name}.tmp"

    def _write(self, name: str, data: bytes) -> None:
        try:
            if self.out is None:
                self.stream.write(data)
            else:
                self._sinks[name].write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(self.out / name if self.out else Path("<stdout>"), exc) from None

    def write_clean(self, record: Record) -> None:
        """Append a kept record to the clean output."""
        self._write("clean.jsonl", clean_row(record))

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
            raise _output_error(self.out / "clean.jsonl", exc) from None

    def write_rejected(self, record: Record, drop: Drop) -> None:
        """Append a dropped record to the rejects (not written in stdout mode)."""
        if self.out is not None:
            self._write("rejected.jsonl", rejected_row(record, drop))

    def write_rejected_rows(self, rows: bytes) -> None:
        """Append lines rendered by :func:`rejected_row`, joined, to the rejects (not written
        in stdout mode)."""
        if self.out is not None:
            self._write("rejected.jsonl", rows)

    def write_rejected_row(self, row: bytes) -> None:
        """Append a line rendered by :func:`rejected_row` (with or without its ``\\n``) to the
        rejects (not written in stdout mode)."""
        if self.out is not None:
            self._write("rejected.jsonl", row if row.endswith(b"\n") else row + b"\n")

    def spill_dir(self) -> Path | None:
        """Directory for the run's temporary files: the output directory, or ``None`` (the
        system temporary directory) when writing to a stream."""
        return self.out

    def checkpoint_dir(self) -> Path | None:
        """Directory for the run's checkpoint (:mod:`.resume`): the output directory; None
        (no checkpoint) when writing to a stream."""
        return self.out

    def finish(self, report: Report) -> None:
        """Write the report files and rename everything to its final name (``stats.json`` last)."""
        if self.out is None:
            self.stream.flush()
            return
        try:
            for name in ("dedup-report.json", "stats.json"):
                with open(self._tmp(name), "wb") as f:
                    if name == "dedup-report.json":
                        report.write_dedup_report(f)  # streamed: it can be very large
                    else:
                        f.write(orjson.dumps(report.stats(), option=orjson.OPT_INDENT_2) + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
            for sink in self._sinks.values():
                sink.commit()
            for name in ("dedup-report.json", "stats.json"):
                os.replace(self._tmp(name), self.out / name)
        except OSError as exc:
            self.abort()
            raise _output_error(self.out, exc) from None

    def abort(self) -> None:
        """Close and delete the temporary files; final names are left untouched."""
        for sink in self._sinks.values():
            sink.abort()
        if self.out is not None:
            for name in ("dedup-report.json", "stats.json"):
                try:
                    self._tmp(name).unlink()
                except OSError:
                    pass


class RemoteOutputWriter(OutputWriter):
    """Writes one run's outputs to an object-store URL (``s3://bucket/run1/``, any fsspec
    protocol whose package is installed; ``memory://`` in the tests).

    The outputs are written as for a local directory into a staging directory (under
    ``staging``, default the system temporary directory), which also holds the run's
    temporary files; when the run completes they are uploaded, ``stats.json`` last, so a
    ``stats.json`` at the URL means every other output there is complete (object stores have
    no atomic rename). Outputs of an earlier run at the URL that this run did not write (a
    shard beyond the new last one) are then deleted. An interrupted or failed run uploads
    nothing. No checkpoint is kept (``--resume`` needs a local output directory).

    Raises:
        OutputError: fsspec or the protocol's package is missing; the URL holds files and
            ``overwrite`` is false; the staging directory cannot be written; an upload fails.
    """

    def __init__(self, url: str, overwrite: bool = False, compress: str | None = None,
                 shard_records: int = 0, shard_bytes: int = 0, staging: Path | None = None):
        import tempfile

        from .storage import output_url

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
            raise _output_error(Path(staging or tempfile.gettempdir()), exc) from None
        super().__init__(self._staging, overwrite=True, compress=compress,
                         shard_records=shard_records, shard_bytes=shard_bytes)

    def checkpoint_dir(self) -> Path | None:
        """None: a run to a URL keeps no checkpoint."""
        return None

    def finish(self, report: Report) -> None:
        """Write the outputs in the staging directory, upload them (``stats.json`` last) and
        remove the staging directory."""
        super().finish(report)
        names = sorted(p.name for p in self._staging.iterdir() if not p.name.startswith("."))
        names.sort(key=lambda n: n == "stats.json")
        try:
            if "stats.json" in names and self.fs.exists(f"{self.root}/stats.json"):
                self.fs.rm(f"{self.root}/stats.json")  # incomplete until the new one is up
            for name in names:
                self.fs.put_file(str(self._staging / name), f"{self.root}/{name}")
            stale = [p for p in self._existing if p.rsplit("/", 1)[-1] not in names and
                     p.rsplit("/", 1)[-1].startswith(("clean", "rejected"))]
            for path in stale:
                self.fs.rm(path)
        except OSError as exc:
            raise OutputError(f"{self.url}: upload failed ({exc})") from None
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def abort(self) -> None:
        """Delete the staging directory; nothing is uploaded."""
        super().abort()
        shutil.rmtree(self._staging, ignore_errors=True)


def make_writer(output: str, overwrite: bool = False, compress: str | None = None,
                shard_records: int = 0, shard_bytes: int = 0) -> OutputWriter:
    """The writer for ``output``: a directory path, or a URL (:class:`RemoteOutputWriter`)."""
    from .storage import is_url

    if is_url(output):
        return RemoteOutputWriter(output, overwrite, compress, shard_records, shard_bytes)
    return OutputWriter(Path(output), overwrite=overwrite, compress=compress,
                        shard_records=shard_records, shard_bytes=shard_bytes)
