"""The scan tasks of a run: the input files read in order and cut into the units the workers
scan, for every executor (:mod:`.pipeline` locally, :mod:`.dask_dedup` on a cluster)."""

from __future__ import annotations

import time

from ..errors import InputError
from ..reading.blocks import block_tasks, open_reader
from ..reading.reader import FileInfo
from .work import ScanTask

__all__ = ["scan_tasks", "check_readable"]


def scan_tasks(files, config, report, run, start=0, by_span=False):
    """Read the files in order and cut them into scan tasks: blocks of bytes that the workers
    decode and split (:func:`.blocks.block_tasks`), or, for files that cannot be read so,
    batches of records read here (:class:`.work.ScanTask`; at most ``batch_records`` records
    and about ``block_bytes`` characters, so that a batch of pages stays small; the last batch
    of a file has ``end`` set). ``run``: a name unique to this run; ``start``: the run's
    number of the first file; ``by_span``: blocks of uncompressed files name their bytes
    instead of carrying them (see :func:`.blocks.block_tasks`)."""
    clock = time.perf_counter
    for index, file in enumerate(files, start):
        t0 = clock()
        info = FileInfo(file.source)
        report.add_file(info)
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


def check_readable(dump, files, report) -> None:
    """Raise InputError when no file could be read (after the scan)."""
    if all(fc.info.lines == 0 and fc.info.error for fc in report.files.values()):
        raise InputError(f"{dump}: no readable file ({len(files)} skipped; see messages above)")
