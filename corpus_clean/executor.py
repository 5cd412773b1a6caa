"""Where per-record work runs: in this process, or in a pool of worker processes (or on a
Dask cluster: :class:`corpus_clean.dask_executor.DaskExecutor`, the same interface).

The pipeline hands an executor a pure function and an iterable of tasks (batches of records)
and gets the results back **in task order**, so that the ordered decisions (first seen wins)
and the outputs are the same for any number of workers. At most ``window`` tasks are in
flight, so memory stays bounded however large the input is.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

__all__ = ["Executor", "LocalExecutor", "ProcessExecutor", "make_executor", "default_workers"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may use (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    """Runs ``fn`` over tasks and yields the results in task order."""

    workers = 1

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor(Executor):
    """Runs every task in this process, one after the other (``--workers 1``)."""

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Worker initializer: exit when the parent process ``parent`` (a pid) is gone, checked
    every ``interval`` seconds by a daemon thread. A run killed with SIGKILL cannot shut its
    pool down; without this its idle workers would wait on their task queue for ever."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class ProcessExecutor(Executor):
    """Runs tasks in ``workers`` worker processes, at most ``window`` in flight, results in
    task order. Worker processes are forked where the platform allows it (cheap to start),
    else spawned; each loads the lexicons and language profiles it needs once."""

    def __init__(self, workers: int, window: int | None = None):
        self.workers = workers
        self.window = window or 3 * workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                         initializer=_exit_with_parent,
                                         initargs=(os.getpid(),))

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pending: deque[Future] = deque()
        for task in tasks:
            pending.append(self._pool.submit(fn, task))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(workers: int) -> Executor:
    """A :class:`LocalExecutor` for one worker, else a :class:`ProcessExecutor`."""
    return LocalExecutor() if workers <= 1 else ProcessExecutor(workers)
