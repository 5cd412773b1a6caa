"""Output shards written by the workers of a cluster, renamed into place by the driver.

With ``--executor dask`` the worker that holds a part of the dump writes that part's kept and
rejected records itself (:class:`ShardStore`), so that no record text goes through the driver.
Each write goes to a name of its own in a hidden staging directory of the output
(``OUT/.corpus-clean-shards-<run>/`` or the same under an output URL): ``<stem>-<uuid>.jsonl``
(``.gz``/``.zst`` when compressed), fsync'd (a local directory) or uploaded on close (an object
store). The task returns a :class:`Shard`, and only the driver, which receives it, knows the
name; a write cut short (a worker killed mid-write) or made twice (a task run again after its
result was lost) leaves a file no result names, removed with the staging directory. When the
run completes the driver renames the named shards, in the order of the run, to
``clean-00000.jsonl``, ``rejected-00000.jsonl`` ... (:meth:`ShardStore.move`; a server-side
copy on an object store), so that concatenating each output's shards in name order gives the
local executor's file byte for byte.
"""

from __future__ import annotations

import gzip
import os
import shutil
import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable

from ..errors import output_error

__all__ = ["Shard", "ShardStore", "COMPRESSIONS", "compressed_writer", "shard_name",
           "shard_names"]

#: file name suffix after ``.jsonl`` per ``--compress`` value
COMPRESSIONS = {None: "", "gz": ".gz", "zst": ".zst"}

#: the directory name prefix of a run's staging directory (``.corpus-clean-`` marks what a
#: killed run leaves in OUT, removed by the next run there)
STAGING_PREFIX = ".corpus-clean-shards-"


def compressed_writer(raw: BinaryIO, compress: str | None) -> BinaryIO:
    """A writer over the binary file ``raw`` that compresses with ``compress`` (None: ``raw``
    itself). gzip output has no name or time in its header and zstd output (level 3) is
    single-threaded, so the same rows give the same bytes on every run and machine. Closing
    it leaves ``raw`` open.

    Raises:
        ImportError: ``zst`` without the zstandard package.
    """
    if compress == "gz":
        return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
    if compress == "zst":
        import zstandard

        return zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
    return raw


@dataclass(frozen=True)
class Shard:
    """One shard a worker wrote: the output it belongs to (``stem``: ``clean``, ``rejected``,
    ``removed-lines``, or ``dedup-report``, the whole report), its name in the staging
    directory, its lines (``records``; a report's clusters) and its uncompressed size in
    bytes."""

    stem: str
    name: str
    records: int
    size: int


def shard_name(stem: str, number: int, compress: str | None, width: int = 5) -> str:
    """The name of shard ``number`` of output ``stem``: ``clean-00000.jsonl[.gz|.zst]``."""
    return f"{stem}-{number:0{width}d}.jsonl{COMPRESSIONS[compress]}"


def shard_names(shards: list[Shard], compress: str | None) -> list[str]:
    """The final names of an output's ``shards``, in order (:func:`shard_name`), with as many
    digits as the last number needs (at least 5), so that name order is run order."""
    width = max(5, len(str(len(shards) - 1)))
    return [shard_name(s.stem, n, compress, width) for n, s in enumerate(shards)]


class ShardStore:
    """A run's staging directory for shards, at ``root``: a local directory path, or a path of
    the fsspec filesystem ``fs`` (an object store every worker reaches). Picklable: the
    driver makes it and sends it with the tasks; :meth:`write` runs on the workers,
    :meth:`move` and :meth:`remove` on the driver.

    ``compress``: ``gz``, ``zst`` or None, as ``--compress``.
    """

    def __init__(self, root: str, compress: str | None, fs: Any = None):
        self.root, self.compress, self.fs = root.rstrip("/"), compress, fs

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def write(self, stem: str, rows: Iterable[bytes], records: int,
              empty: bool = False, document: bool = False) -> Shard | None:
        """Write ``rows`` (``records`` JSON lines, in chunks) as a new shard of output
        ``stem`` under a name of its own; None when there is no row (unless ``empty``: an
        empty shard, for an output that must exist). With ``document`` the chunks are one
        JSON document (``dedup-report.json``, ``records`` its clusters), never compressed,
        named ``<stem>-<uuid>.json``.

        Raises:
            OutputError: the shard cannot be written (the message names it; a full disk says
                so).
        """
        if not records and not empty:
            return None
        compress = None if document else self.compress
        name = (f"{stem}-{uuid.uuid4().hex}.json" if document
                else f"{stem}-{uuid.uuid4().hex}.jsonl{COMPRESSIONS[compress]}")
        path = self._path(name)
        size = 0
        try:
            if self.fs is None:
                with open(path, "xb") as raw:
                    size = self._write_rows(raw, rows, compress)
                    raw.flush()
                    os.fsync(raw.fileno())
            else:
                with self.fs.open(path, "wb") as raw:  # uploaded when closed
                    size = self._write_rows(raw, rows, compress)
        except OSError as exc:
            raise output_error(path, exc) from None
        return Shard(stem, name, records, size)

    def _write_rows(self, raw: BinaryIO, rows: Iterable[bytes], compress: str | None) -> int:
        out = compressed_writer(raw, compress)
        size = 0
        for chunk in rows:
            out.write(chunk)
            size += len(chunk)
        if out is not raw:
            out.close()
        return size

    def move(self, name: str, final: str) -> None:
        """Rename the shard ``name`` to the path ``final`` (same filesystem; replaces a file
        of that name; on an object store a server-side copy and a delete).

        Raises:
            OSError: the rename failed.
        """
        if self.fs is None:
            os.replace(self._path(name), final)
        else:
            self.fs.mv(self._path(name), final)

    def remove(self) -> None:
        """Remove the staging directory and what is left in it (writes no result named);
        errors are ignored (a killed run's directory is removed by the next run in OUT)."""
        try:
            if self.fs is None:
                shutil.rmtree(self.root, ignore_errors=True)
            elif self.fs.exists(self.root):
                self.fs.rm(self.root, recursive=True)
        except OSError:
            pass
