"""The scan tasks of a run: the input files read in order and cut into the units the workers
scan, for every executor (:mod:`.pipeline` locally, :mod:`.dask_dedup` on a cluster)."""

from __future__ import annotations

import time

from ..errors import InputError
from ..reading.blocks import block_tasks, open_reader
from ..reading.reader import FileInfo
from .work import ScanTask

__all__ = ["scan_tasks", "file_tasks", "check_readable"]


def scan_tasks(files, config, report, run, start=0, by_span=False, cut=None, elsewhere=None):
    """Read the files in order and cut them into scan tasks: blocks of bytes that the workers
    decode and split (:func:`.blocks.block_tasks`), or, for files that cannot be read so,
    batches of records read here (:class:`.work.ScanTask`; at most ``batch_records`` records
    and about ``block_bytes`` characters, so that a batch of pages stays small; the last batch
    of a file has ``end`` set). ``run``: a name unique to this run; ``start``: the run's
    number of the first file; ``by_span``: blocks of uncompressed files name their bytes
    instead of carrying them, and with ``cut`` the workers cut them too, so that only the
    files' heads are read here (see :func:`.blocks.block_tasks`). ``elsewhere(file, index)``:
    the other files (compressed, or that cannot be cut in blocks) are read by a worker too
    (:func:`file_tasks` there): it returns the file's :class:`~.reader.FileInfo` as read
    there and a handle on each of its tasks, yielded in their place."""
    clock = time.perf_counter
    for index, file in enumerate(files, start):
        t0 = clock()
        info = FileInfo(file.source)
        report.add_file(info)
        reader = open_reader(file, info, config)
        cuttable = cut is not None and by_span and info.compression is None
        if elsewhere is not None and not (cuttable and config.block_bytes and
                                          reader.splittable()):
            reader.close()
            read, handles = elsewhere(file, index)
            for name, value in vars(read).items():  # the facts as the worker read them
                setattr(info, name, value)
            report.add_seconds("read", clock() - t0)
            yield from handles
            continue
        if config.block_bytes and reader.splittable():
            for task in block_tasks(index, reader, config, run, by_span, cut):
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
