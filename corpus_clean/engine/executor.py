"""Where per-record work runs: in this process, or in a pool of worker processes (or on a
Dask cluster: :class:`corpus_clean.engine.dask_executor.DaskExecutor`, the same interface).

The pipeline hands an executor a pure function and an iterable of tasks (batches of records)
and gets the results back **in task order**, so that the ordered decisions (first seen wins)
and the outputs are the same for any number of workers. At most ``window`` tasks are in
flight, so memory stays bounded however large the input is.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

__all__ = ["Executor", "LocalExecutor", "ProcessExecutor", "make_executor", "default_workers",
           "max_workers", "WORKERS_PER_CORE", "STOP_SIGNALS", "stop_signals_blocked"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may use (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: worker processes per core at most (:func:`max_workers`): the per-record work is CPU-bound,
#: so more processes than cores only add memory (about 100 MB each with the lexicons and
#: language profiles) and task switching; 4 leaves room for runs that wait on a slow disk
WORKERS_PER_CORE = 4


def max_workers() -> int:
    """The most worker processes a run starts: :data:`WORKERS_PER_CORE` per core this process
    may use (:func:`default_workers`). More are capped to it (the CLI warns)."""
    return WORKERS_PER_CORE * default_workers()


#: the signals that stop a run: its own process handles them; its workers ignore them
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def stop_signals_blocked():
    """Block :data:`STOP_SIGNALS` in this thread for the ``with`` block, then restore the
    thread's mask. A signal sent meanwhile stays pending and is delivered (to the handler in
    force then) when the block ends; processes forked and threads started inside inherit the
    block."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Executor:
    """Runs ``fn`` over tasks and yields the results in task order."""

    workers = 1
    #: whether the ordered half (dedup, emit) runs on the executor's cluster too
    #: (:mod:`.dask_dedup`) rather than in the run's process
    ordered_on_cluster = False

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers."""

    def abort(self) -> None:
        """Stop the workers promptly, dropping the tasks not yet started (the run was
        interrupted or failed); by default as :meth:`close`."""
        self.close()

    def settle(self) -> None:
        """Stop the tasks of a run that failed or was interrupted, and keep the workers (an
        executor the caller gave the run): by default nothing, since only a cluster's
        workers write into the output (:meth:`.dask_executor.DaskExecutor.settle`)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor(Executor):
    """Runs every task in this process, one after the other (``--workers 1``)."""

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


def _worker_init(parent: int) -> None:
    """Worker initializer: ignore SIGINT and SIGTERM, then exit with the parent
    (:func:`_exit_with_parent`).

    Ctrl-C in a terminal, ``timeout``, systemd and Docker send their signal to every process
    of the group or container; a worker that took it would die with a traceback mid-task and
    break the pool. The run's process handles the signal and stops its workers itself
    (:meth:`ProcessExecutor.abort`). The parent blocks both signals while it starts workers
    (:meth:`ProcessExecutor._submit`), so one that arrives before this runs stays pending, and
    is discarded when the disposition becomes ``SIG_IGN`` here, before they are unblocked."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Exit when the parent process ``parent`` (a pid) is gone, checked every ``interval``
    seconds by a daemon thread. A run killed with SIGKILL cannot shut its pool down; without
    this its idle workers would wait on their task queue for ever."""
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
    else spawned; each loads the lexicons and language profiles it needs once. (A native
    thread pool does not survive a fork: rensa's is kept to its calling thread, see
    :mod:`corpus_clean.stages.neardup`.)"""

    def __init__(self, workers: int, window: int | None = None):
        self.workers = workers
        self.window = window or 3 * workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                         initializer=_worker_init,
                                         initargs=(os.getpid(),))

    def _submit(self, fn: Callable[[T], R], task: T) -> Future:
        """Submit one task, with SIGINT and SIGTERM blocked in this thread meanwhile: a submit
        may start worker processes (all of them at the first, under fork), and a worker
        started so holds both signals pending until :func:`_worker_init` ignores them."""
        with stop_signals_blocked():
            return self._pool.submit(fn, task)

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pending: deque[Future] = deque()
        for task in tasks:
            pending.append(self._submit(fn, task))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """Cancel the tasks not yet started and wait for the workers to finish the ones they
        hold (a block or a batch each: well under a second), then end them. They are not
        killed: a worker killed while it writes its result leaves the pool's manager thread
        waiting for ever on half a message (and the interpreter's exit waiting on it)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(workers: int) -> Executor:
    """A :class:`LocalExecutor` for one worker, else a :class:`ProcessExecutor` of
    ``workers`` processes, at most :func:`max_workers`."""
    workers = min(workers, max_workers())
    return LocalExecutor() if workers <= 1 else ProcessExecutor(workers)
