"""Checkpoints of a run, so that ``--resume`` continues an interrupted run where it stopped.

What is saved, and why: the expensive part of a run is the per-record work
(:func:`.work.scan_packed`: stages, hashing, MinHash), and its results for one input file
depend on that file alone (but one thing: a verbatim repeat of a record of an earlier file
skips its MinHash signature; if that earlier file changed, the run's process signs it, see
:meth:`.local.LocalBackend.scan`). The ordered decisions (first seen wins), near dedup and writing are
cheap and deterministic. So while a run writes to an output directory, the results of each
input file's scan (its packed batches, in order) are appended to a data file under
``OUT/.corpus-clean.resume/``; when the file's last batch is in, the data file is fsync'd and
renamed, and a completion line is appended to ``journal.jsonl`` and fsync'd. The line names
the file (relative source, size in bytes, mtime, XXH3-64 of its bytes), the data file with its
size and XXH3-64, and the per-file read facts (:class:`.reader.FileInfo`) that ``stats.json``
reports, and ends with the XXH3-64 of the line itself. Both checksums are checked on resume, so
a flipped bit or a zeroed block in a data file or a journal line means that one file is read
again, never a silently different output.

A resumed run (:meth:`Checkpoint.plan`) takes the stored results of every journalled file
whose size and hash still match, in place of reading and scanning it again, scans the other
files as usual, and reruns the ordered half, near dedup and writing on everything. The final
outputs are therefore byte-identical to an uninterrupted run's by construction. A file that
changed since is scanned again (and named in :attr:`Checkpoint.summary`). The journal's first
line holds the settings that shape results (``Config.to_dict()``) and the corpus-clean
version; resuming with other settings is refused (:class:`~corpus_clean.errors.ResumeError`).

Data file format (one per input file, never unpickled, only parsed): the file's scan results
as the workers packed them (:class:`.packed.PackedScan`), one batch after another, each a JSON
header line of field lengths followed by the fields' bytes (:meth:`.packed.PackedScan.encode`):
the rendered reject and spill lines, the per-record facts, the exact-dedup keys, the band keys
and the shingle hashes. So checkpointing costs the run's process a write of bytes it already
holds.

Disk use: about the size of the input text plus 170 bytes per record for band keys and
4 bytes per shingle (measured in the README). The folder is removed when the run completes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import orjson
import xxhash

from ..config import Config
from ..errors import OutputError, ResumeError, output_error
from ..reading.reader import FileInfo, InputFile
from .wire import PackedScan

__all__ = ["Checkpoint", "CHECKPOINT_DIR", "CHECKPOINT_FORMAT", "file_digest"]

#: hidden folder in the output directory (not matched by the writer's stale-file cleanup,
#: which removes ``.corpus-clean-*``)
CHECKPOINT_DIR = ".corpus-clean.resume"
#: version of the journal and data file layout; a checkpoint of another format is refused
CHECKPOINT_FORMAT = 5  # 2: packed batches; 3: band keys folded in NumPy (neardup.band_keys);
#                        4: XXH3-64 of each data file and of each journal line;
#                        5: the lines removed from page documents
_JOURNAL = "journal.jsonl"
_READ_BYTES = 1 << 20  # bytes per read while hashing an input file


def file_digest(path: Path) -> str:
    """Return the XXH3-64 hex digest (16 characters) of the bytes of ``path`` (a ``Path`` or
    a :class:`.storage.RemotePath`), read in 1 MiB chunks.

    Raises:
        OSError: the file cannot be read, or is not a regular file (``reader.NotRegularFile``).
    """
    from ..reading.reader import open_regular

    h = xxhash.xxh3_64()
    with open_regular(path) as f:  # a local Path or a storage.RemotePath; no FIFO, no device
        while chunk := f.read(_READ_BYTES):
            h.update(chunk)
    return h.hexdigest()


def _data_intact(path: Path, entry: dict) -> bool:
    """Whether the data file ``path`` has the size and XXH3-64 that journal line ``entry``
    gives for it (a flipped bit, a zeroed block, a cut: not intact)."""
    now = _stat(path)
    if now is None or now[0] != entry["data_bytes"]:
        return False
    try:
        return file_digest(path) == entry["data_xxh3_64"]
    except OSError:
        return False


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _fingerprint(config: Config) -> dict:
    from .. import __version__  # at call time: the package is imported by then

    return {"format": CHECKPOINT_FORMAT, "version": __version__, "config": config.to_dict()}


#: the fields of a journal completion line and their JSON types (see :meth:`Checkpoint.complete`)
_ENTRY_FIELDS = {"source": str, "size": int, "xxh3_64": str, "data": str, "data_bytes": int,
                 "data_xxh3_64": str, "info": dict, "line_xxh3_64": str}


def _sealed(entry: dict) -> bytes:
    """The journal line of ``entry``: its JSON with ``line_xxh3_64``, the XXH3-64 of the JSON
    of the other fields, added last, so that a flipped bit anywhere in the line is seen."""
    body = orjson.dumps(entry)
    return body[:-1] + b',"line_xxh3_64":"' + xxhash.xxh3_64_hexdigest(body).encode() + b'"}'


def _valid_entry(entry) -> bool:
    """Whether a parsed journal line is a completion line this version wrote, undamaged: an
    object with each of :data:`_ENTRY_FIELDS` of its type, whose ``line_xxh3_64`` matches
    (:func:`_sealed`), naming a data file without a path in it, with read facts that make a
    :class:`.reader.FileInfo`."""
    if not (isinstance(entry, dict)
            and all(isinstance(entry.get(k), t) for k, t in _ENTRY_FIELDS.items())):
        return False
    body = {k: v for k, v in entry.items() if k != "line_xxh3_64"}
    if _sealed(body) != orjson.dumps(entry):
        return False
    try:
        FileInfo(**entry["info"])
    except TypeError:
        return False
    return "/" not in entry["data"] and entry["data"] not in ("", ".", "..")


@dataclass
class _Open:
    """A file whose scan results are being written (its completion line not yet journalled)."""

    file: InputFile
    partial: Path
    f: BinaryIO
    digest: "xxhash.xxh3_64" = field(default_factory=xxhash.xxh3_64)  # of the bytes written


@dataclass
class ResumeSummary:
    """What a run did with its checkpoint (for messages; never written to an output file).

    Attributes:
        resumed: ``--resume`` was asked for.
        found: a checkpoint of an earlier run was found (``resumed`` and not ``found``: the
            run started from the beginning).
        restored: sources whose stored scan results were used.
        changed: journalled sources that changed since (size or hash) and were scanned again.
        damaged: journalled sources whose saved results failed their checksum (a flipped
            bit, a zeroed block, a cut file) and were scanned again.
        bytes_restored: input bytes (on disk) not read again.
    """

    resumed: bool = False
    found: bool = False
    restored: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    bytes_restored: int = 0


class Checkpoint:
    """The checkpoint folder of one run in output directory ``out``.

    Fresh (``resume=False``): an earlier checkpoint there is removed and a new one started.
    Resumed: the journal is read; :meth:`plan` then says which files can be restored.

    Raises:
        ResumeError: ``resume`` and the checkpoint was made with other settings, another
            corpus-clean version or another checkpoint format.
        OutputError: the folder cannot be created or written (disk full, permissions).
    """

    def __init__(self, out: Path, config: Config, resume: bool = False):
        self.dir = Path(out) / CHECKPOINT_DIR
        self.fingerprint = _fingerprint(config)
        self.summary = ResumeSummary(resumed=resume)
        self._entries: dict[str, dict] = {}  # journalled source -> its completion line
        self._restore: dict[str, dict] = {}  # source -> completion line, for plan()'s files
        self._open: dict[int, _Open] = {}
        try:
            if resume and (self.dir / _JOURNAL).is_file():
                self._load()
                self.summary.found = True
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir.mkdir(parents=True)
                self._append(orjson.dumps(self.fingerprint))
        except OSError as exc:
            raise self._error(self.dir, exc) from None

    @staticmethod
    def _error(path: Path, exc: OSError) -> OutputError:
        return output_error(path, exc)

    def _load(self) -> None:
        lines = (self.dir / _JOURNAL).read_bytes().split(b"\n")
        try:
            head = orjson.loads(lines[0])
        except orjson.JSONDecodeError:
            head = None
        if head != self.fingerprint:
            raise ResumeError(self._mismatch(head))
        for line in lines[1:]:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:  # a line torn by a kill: that file is redone
                continue
            if _valid_entry(entry):  # else damaged: that file is redone too
                self._entries[entry["source"]] = entry  # a later line for a source wins

    def _mismatch(self, head: dict | None) -> str:
        where = f"{self.dir}: the checkpoint"
        fix = "; run without --resume (and with --overwrite) to start over"
        if not isinstance(head, dict) or head.get("format") != CHECKPOINT_FORMAT:
            return f"{where} is unreadable or of another format{fix}"
        if head.get("version") != self.fingerprint["version"]:
            return (f"{where} was made by corpus-clean {head.get('version')}, this is "
                    f"{self.fingerprint['version']}{fix}")
        old, new = head.get("config") or {}, self.fingerprint["config"]
        diff = [f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new))
                if old.get(k) != new.get(k)]
        return f"{where} was made with other settings ({', '.join(diff)}){fix}"

    def _append(self, line: bytes) -> None:
        with open(self.dir / _JOURNAL, "ab") as j:
            j.write(line + b"\n")
            j.flush()
            os.fsync(j.fileno())

    # --- resuming ---------------------------------------------------------------------------
    def plan(self, files: list[InputFile]) -> set[str]:
        """Decide which of ``files`` are restored: those journalled whose size and XXH3-64
        still match and whose data file is intact (its size and XXH3-64 those journalled).
        Journalled files that changed go to :attr:`summary` ``changed``, those whose data file
        is damaged to ``damaged``; both are read again. Returns the sources to restore."""
        for file in files:
            entry = self._entries.get(file.source)
            if entry is None:
                continue
            now = _stat(file.path)
            data = self.dir / entry["data"]
            ok = now is not None and now[0] == entry["size"]
            if ok:
                try:
                    ok = file_digest(file.path) == entry["xxh3_64"]
                except OSError:
                    ok = False
            if not ok:
                self.summary.changed.append(file.source)
            elif _data_intact(data, entry):
                self._restore[file.source] = entry
                self.summary.restored.append(file.source)
                self.summary.bytes_restored += entry["size"]
            else:
                self.summary.damaged.append(file.source)
        return set(self._restore)

    def restore(self, source: str, file_index: int) -> tuple[FileInfo, Iterator[PackedScan]]:
        """Return the stored :class:`FileInfo` of ``source`` (a file :meth:`plan` chose) and an
        iterator over its scan results, batch by batch, as file number ``file_index`` of
        this run.

        Raises:
            ResumeError: while iterating, if the data file is damaged.
        """
        entry = self._restore[source]
        info = FileInfo(**entry["info"])
        if entry.get("reason"):
            info.extra["reason"] = entry["reason"]
        if entry.get("warc_records_skipped"):
            info.extra["warc_records_skipped"] = entry["warc_records_skipped"]
        return info, self._batches(self.dir / entry["data"], file_index)

    def _batches(self, path: Path, file_index: int) -> Iterator[PackedScan]:
        try:
            with open(path, "rb") as f:
                while (packed := PackedScan.decode(f, file_index)) is not None:
                    yield packed
        except (OSError, ValueError, TypeError) as exc:
            raise ResumeError(f"{path}: damaged checkpoint data ({exc}); run without "
                              "--resume (and with --overwrite) to start over") from None

    # --- recording --------------------------------------------------------------------------
    def add(self, file_index: int, file: InputFile, packed: PackedScan) -> None:
        """Append the scan results of one batch of ``file`` (number ``file_index`` in the
        run's order). Restored files are not written again.

        Raises:
            OutputError: the checkpoint cannot be written.
        """
        if file.source in self._restore:
            return
        try:
            current = self._open.get(file_index)
            if current is None:
                name = f"{xxhash.xxh3_64_hexdigest(file.source.encode())}.bin"
                partial = self.dir / f"{name}.partial"
                current = self._open[file_index] = _Open(file, partial, open(partial, "wb"))
            data = packed.encode()
            current.f.write(data)
            current.digest.update(data)
        except OSError as exc:
            raise self._error(self.dir, exc) from None

    def complete(self, file_index: int, info: FileInfo) -> None:
        """The last batch of file ``file_index`` is in: make its data durable and journal it.

        Not journalled (so scanned again on resume): a file whose size or mtime differ from
        what the reader saw when it opened it (it changed while or after being read).

        Raises:
            OutputError: the checkpoint cannot be written.
        """
        current = self._open.pop(file_index, None)
        if current is None:
            return
        path = current.file.path
        try:
            current.f.flush()
            os.fsync(current.f.fileno())
            size = current.f.tell()
            current.f.close()
            seen = (info.bytes, info.extra.get("mtime_ns"))
            if info.extra.get("changed") or _stat(path) != seen:
                current.partial.unlink()
                return
            try:
                digest = file_digest(path)
            except OSError:
                current.partial.unlink()
                return
            final = current.partial.with_suffix("")  # drop ".partial"
            final = final.with_name(final.name.replace(".bin", f"-{digest}.bin"))
            os.replace(current.partial, final)
            info_dict = {k: v for k, v in asdict(info).items() if k != "extra"}
            self._append(_sealed({
                "source": info.source, "size": info.bytes, "mtime_ns": seen[1],
                "xxh3_64": digest, "data": final.name, "data_bytes": size,
                "data_xxh3_64": current.digest.hexdigest(),
                "info": info_dict, "reason": info.extra.get("reason"),
                **({"warc_records_skipped": info.extra["warc_records_skipped"]}
                   if info.extra.get("warc_records_skipped") else {}),
            }))
        except OSError as exc:
            raise self._error(self.dir, exc) from None

    def close(self, keep: bool) -> None:
        """End of the run: remove the folder (the run completed, or failed in a way no resume
        helps), or, with ``keep``, only close open data files (interrupted: resume later)."""
        for current in self._open.values():
            try:
                current.f.close()
                current.partial.unlink(missing_ok=True)
            except OSError:
                pass
        self._open.clear()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
