"""The scan tasks of a run: the input files read in order and cut into the units the workers
scan, for every executor (:mod:`.pipeline` locally, :mod:`.dask_dedup` on a cluster)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from ..errors import InputError
from ..reading.blocks import block_tasks, cut_tasks, open_reader
from ..reading.reader import FileInfo
from .work import ScanTask

__all__ = ["scan_tasks", "file_tasks", "file_head", "FileHead", "RemoteReading",
           "check_readable"]


def scan_tasks(files, config, report, run, start=0, by_span=False, remote=None):
    """Read the files in order and cut them into scan tasks: blocks of bytes that the workers
    decode and split (:func:`.blocks.block_tasks`), or, for files that cannot be read so,
    batches of records read here (:class:`.work.ScanTask`; at most ``batch_records`` records
    and about ``block_bytes`` characters, so that a batch of pages stays small; the last batch
    of a file has ``end`` set). ``run``: a name unique to this run; ``start``: the run's
    number of the first file; ``by_span``: blocks of uncompressed files name their bytes
    instead of carrying them (see :func:`.blocks.block_tasks`).

    ``remote`` (a :class:`RemoteReading`): the workers read the dump, and this process reads
    none of it: each file's head is read by a worker (:func:`file_head`), an uncompressed
    file that can be cut in blocks is cut by the workers (``remote.cut``, see
    :func:`.blocks.cut_tasks`), and any other file is read and cut whole by a worker
    (:func:`file_tasks`), whose tasks stay there (in its memory, spilled to its disk by Dask
    beyond its memory target, until they are scanned): a handle on each is yielded in its
    place.
    """
    clock = time.perf_counter
    for index, file in enumerate(files, start):
        t0 = clock()
        info = FileInfo(file.source)
        report.add_file(info)
        if remote is not None:
            head = remote.head(index)
            _take_facts(info, head.info)
            tasks = None
            if info.compression is None and head.blocks:  # cut by the workers
                tasks = cut_tasks(index, FileHead(file, info, head.is_marker, True), config,
                                  remote.cut, run)
            if tasks is None:  # read and cut whole by a worker
                read, tasks = remote.read(file, index)
                _take_facts(info, read)
            report.add_seconds("read", clock() - t0)
            yield from tasks
            continue
        reader = open_reader(file, info, config)
        if config.block_bytes and reader.splittable():
            for task in block_tasks(index, reader, config, run, by_span):
                report.add_seconds("read", clock() - t0)
                yield task
                t0 = clock()
            continue
        bare = reader.is_marker.bare_lines
        task = ScanTask(index, bare, [], False, config, 0, run)
        chars = 0
        for item in reader:
            task.items.append(item)
            chars += len(item[0].text)
            # a batch is bounded in records and in characters: 256 HTML pages of a WARC are
            # 37 MB, and a window of such batches in flight held 750 MB at 1 GB of WARC
            if len(task.items) >= config.batch_records or 0 < config.block_bytes <= chars:
                report.add_seconds("read", clock() - t0)
                yield task
                t0 = clock()
                task = ScanTask(index, bare, [], False, config, task.number + 1, run)
                chars = 0
        report.add_seconds("read", clock() - t0)
        task.end = True
        yield task


class RemoteReading(Protocol):
    """How the workers read the dump for :func:`scan_tasks` (see there)."""

    def head(self, index: int) -> "FileHead":
        """:func:`file_head` of file ``index`` of the run, read by a worker."""

    def cut(self, tasks: list) -> list:
        """:func:`.blocks.cut_block` of each task on the workers; the results in order."""

    def read(self, file, index: int) -> tuple[FileInfo, list]:
        """:func:`file_tasks` of ``file`` on a worker: its FileInfo and a handle on each of
        its tasks, which stay there."""


@dataclass
class FileHead:
    """A file's head as :func:`file_head` read it: the file, its facts so far, its marker
    lines, and whether it can be read in blocks (:meth:`.blocks.FileReader.splittable` and
    ``block_bytes`` set). Has what :func:`.blocks.block_tasks` uses of a reader."""

    file: object
    info: FileInfo
    is_marker: object
    blocks: bool

    def splittable(self) -> bool:
        return self.blocks

    def close(self) -> None:
        """Nothing is open."""


def file_head(file, config) -> FileHead:
    """Read the head of ``file`` (encoding, layout, marker lines: as :func:`.blocks.open_reader`
    does) and close it. Pure; runs in any worker."""
    info = FileInfo(file.source)
    reader = open_reader(file, info, config)
    blocks = bool(config.block_bytes) and reader.splittable()
    reader.close()
    return FileHead(file, info, reader.is_marker, blocks)


def _take_facts(info: FileInfo, read: FileInfo) -> None:
    """Set ``info`` (the run's, in the report) to the facts of ``read`` (read elsewhere)."""
    for name, value in vars(read).items():
        setattr(info, name, value)


class _OneFile:
    """What :func:`scan_tasks` needs of a report, for one file read by a worker."""

    def __init__(self):
        self.info = None

    def add_file(self, info: FileInfo) -> None:
        self.info = info

    def add_seconds(self, stage: str, seconds: float) -> None:
        pass


def file_tasks(file, index: int, config, run: str) -> tuple[FileInfo, list]:
    """The scan tasks of one ``file`` (the run's file number ``index``), read and cut where
    this runs (a worker), as :func:`scan_tasks` makes them, carrying their bytes or records:
    ``(its FileInfo, the tasks)``. Pure; runs in any worker."""
    one = _OneFile()
    tasks = list(scan_tasks([file], config, one, run, start=index))
    return one.info, tasks


def check_readable(dump, files, report) -> None:
    """Raise InputError when no file could be read (after the scan)."""
    if all(fc.info.lines == 0 and fc.info.error for fc in report.files.values()):
        raise InputError(f"{dump}: no readable file ({len(files)} skipped; see messages above)")
