"""Dumps and outputs behind a URL (``s3://bucket/dump/``, ``gs://...``, ``memory://dump``),
through fsspec: listing and opening input files, and the filesystem of an output URL
(:func:`output_url`, used by :class:`~corpus_clean.output.writer.RemoteOutputWriter`).

:func:`list_url_files` returns the same :class:`~corpus_clean.reading.reader.InputFile` entries as a
local directory gives (sorted ``/``-separated relative paths, hidden files and directories
skipped), whose ``path`` is a :class:`RemotePath`: it has the two methods the reader uses on a
local :class:`pathlib.Path` (``stat().st_size`` and ``open("rb")``), so decompression, encoding
detection and everything after are the same code for both. The outputs name files by their
relative path only, so a dump gives the same bytes from a local copy and from a URL.

fsspec is optional (it comes with the ``dask`` extra); each protocol needs its own package
(``s3fs``, ``gcsfs``, ``adlfs``), whose absence is an :class:`~corpus_clean.errors.InputError`
naming the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, BinaryIO

from ..errors import InputError


@dataclass(frozen=True)
class InputFile:
    """A file of the dump: ``path`` on disk and ``source``, its ``/``-separated path relative
    to the dump directory (the name used in every output)."""

    path: Any  # pathlib.Path, or RemotePath for a URL
    source: str


__all__ = ["InputFile", "is_url", "list_url_files", "output_url", "RemotePath"]


def is_url(root: object) -> bool:
    """Whether ``root`` is a URL with a protocol (``s3://...``), not a local path."""
    return isinstance(root, str) and "://" in root


@dataclass(frozen=True)
class RemotePath:
    """One file of a filesystem ``fs`` (an ``fsspec.AbstractFileSystem``) at ``path``."""

    fs: Any
    path: str
    size: int

    def stat(self) -> SimpleNamespace:
        """``st_size``: the size in bytes, as listed; ``st_mtime_ns``: 0 (object stores have
        no portable modification time, so a file changing while read is not detected)."""
        return SimpleNamespace(st_size=self.size, st_mtime_ns=0)

    def open(self, mode: str = "rb") -> BinaryIO:
        """A binary file object (seekable where the filesystem allows it)."""
        return self.fs.open(self.path, mode)

    def __str__(self) -> str:
        return self.fs.unstrip_protocol(self.path)


def list_url_files(url: str) -> list:
    """Return the files under ``url`` (a directory-like prefix, or one file) as
    :class:`~corpus_clean.reading.reader.InputFile` entries, in sorted relative-path order, hidden
    files and directories (a path part starting with ``.``) skipped.

    Raises:
        InputError: fsspec, or the package of the URL's protocol, is not installed; or nothing
            exists at ``url``.
    """
    try:
        import fsspec
        fs, root = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise InputError(f"{url}: reading URLs needs fsspec and the package of its protocol "
                         f"({exc}); pip install 'corpus-clean[dask]'") from None
    except ValueError as exc:  # an unknown protocol
        raise InputError(f"{url}: {exc}") from None
    root = root.rstrip("/")
    try:
        if fs.isfile(root):
            return [InputFile(RemotePath(fs, root, fs.size(root)), root.rsplit("/", 1)[-1])]
        if not fs.isdir(root):
            raise InputError(f"{url}: no such file or directory")
        listing = fs.find(root, detail=True)
    except OSError as exc:
        raise InputError(f"{url}: cannot list ({exc})") from None
    found = []
    for path, entry in listing.items():
        source = path[len(root):].lstrip("/")
        if entry.get("type") != "file" or any(p.startswith(".") for p in source.split("/")):
            continue
        found.append(InputFile(RemotePath(fs, path, int(entry.get("size") or 0)), source))
    found.sort(key=lambda f: f.source)
    return found


def output_url(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and root path of an output URL (``s3://bucket/run1/``).

    Raises:
        OutputError: fsspec or the protocol's package is not installed, or the URL is invalid.
    """
    from ..errors import OutputError

    try:
        import fsspec
        fs, root = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        raise OutputError(f"{url}: writing to URLs needs fsspec and the package of its "
                          f"protocol ({exc}); pip install 'corpus-clean[dask]'") from None
    except ValueError as exc:
        raise OutputError(f"{url}: {exc}") from None
    return fs, root.rstrip("/")
