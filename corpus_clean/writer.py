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
import shutil
from pathlib import Path
from typing import BinaryIO

import orjson

from .errors import OutputError
from .records import Drop, Record
from .report import Report

__all__ = ["OutputWriter", "CLEAN_FIELDS", "REJECTED_FIELDS", "OUTPUT_FILES"]

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


class OutputWriter:
    """Writes one run's outputs to directory ``out``, or clean records only to ``stream``.

    Raises:
        OutputError: the directory cannot be created or written, is not empty (and
            ``overwrite`` is false), or the disk is full.
    """

    def __init__(self, out: Path | None, stream: BinaryIO | None = None, overwrite: bool = False):
        self.out = Path(out) if out is not None else None
        self.stream = stream
        self._files: dict[str, BinaryIO] = {}
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
            for name in ("clean.jsonl", "rejected.jsonl"):
                self._files[name] = open(self._tmp(name), "wb")  # noqa: SIM115
        except OSError as exc:
            self.abort()
            raise _output_error(self.out, exc) from None

    def _remove_stale(self) -> None:
        """Remove what a run killed before its cleanup (SIGKILL, power loss) left here: our
        temporary files and spill directories. Never touches other files."""
        for name in OUTPUT_FILES:
            self._tmp(name).unlink(missing_ok=True)
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
                self._files[name].write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(self.out / name if self.out else Path("<stdout>"), exc) from None

    def write_clean(self, record: Record) -> None:
        """Append a kept record to the clean output."""
        self._write("clean.jsonl", clean_row(record))

    def write_rejected(self, record: Record, drop: Drop) -> None:
        """Append a dropped record to the rejects (not written in stdout mode)."""
        if self.out is not None:
            self._write("rejected.jsonl", rejected_row(record, drop))

    def spill_dir(self) -> Path | None:
        """Directory for the run's temporary files: the output directory, or ``None`` (the
        system temporary directory) when writing to a stream."""
        return self.out

    def finish(self, report: Report) -> None:
        """Write the report files and rename everything to its final name (``stats.json`` last)."""
        if self.out is None:
            self.stream.flush()
            return
        try:
            for f in self._files.values():
                f.flush()
                os.fsync(f.fileno())
                f.close()
            dedup = report.dedup_report()
            for name, data in (("dedup-report.json", dedup), ("stats.json", report.stats())):
                with open(self._tmp(name), "wb") as f:
                    f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
            for name in OUTPUT_FILES:
                os.replace(self._tmp(name), self.out / name)
        except OSError as exc:
            self.abort()
            raise _output_error(self.out, exc) from None

    def abort(self) -> None:
        """Close and delete the temporary files; final names are left untouched."""
        for f in self._files.values():
            try:
                f.close()
            except OSError:
                pass
        if self.out is not None:
            for name in OUTPUT_FILES:
                try:
                    self._tmp(name).unlink()
                except OSError:
                    pass
