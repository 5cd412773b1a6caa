"""Per-record work on a Dask cluster: an :class:`~corpus_clean.engine.executor.Executor` over
``distributed`` futures.

The pipeline's per-record half (:func:`.work.scan`: a block of a file or a batch of records;
:func:`.work.tag_kept`) is pure: a task in, per-record results out. :class:`DaskExecutor`
submits each task as a distributed future (a unique key per submission, so nothing is shared
or cached between runs), keeps at most ``window`` futures in flight, and yields their results
**in task order**.
:func:`corpus_clean.engine.pipeline.clean_dir` does not use :meth:`DaskExecutor.map` for the
pipeline itself: a DaskExecutor says ``ordered_on_cluster``, and the run's ordered half
(:func:`corpus_clean.engine.ordered.run_ordered`) then works over
:class:`corpus_clean.engine.dask_dedup.DaskBackend`, which keeps the scan results on the
workers and meets their keys there (exact dedup and LSH band keys as shuffles), on this
executor's client, with the same byte-identical outputs.

A worker lost mid-run is survived by the Dask scheduler: it re-runs the tasks that were running
or whose results were held on that worker (up to ``distributed.scheduler.allowed-failures``
times per task, 3 by default); the driver still holds every future, so nothing is lost and the
order is unchanged.

Dask is optional (the ``dask`` extra); this module imports ``distributed`` only when
:func:`connect` is called, and raises :class:`DaskMissingError` if it is not installed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Iterator, TypeVar

from ..errors import CorpusCleanError
from .executor import STOP_SIGNALS, Executor, default_workers, stop_signals_blocked

__all__ = ["DaskExecutor", "DaskMissingError", "DaskConnectError", "DaskTaskError", "connect",
           "check_scheduler_address", "SCHEDULER_ENV"]

T = TypeVar("T")
R = TypeVar("R")

#: environment variable read for the scheduler address when none is given (Dask's own name)
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"

#: tasks in flight per worker thread: one running, two waiting (as :class:`.ProcessExecutor`)
WINDOW_PER_THREAD = 3

#: seconds :meth:`DaskExecutor.settle` waits at most for the tasks running on the workers to
#: end (a task is a block, a batch or a part: seconds at most), and between two looks
SETTLE_SECONDS = 60.0
SETTLE_POLL_SECONDS = 0.05
#: the priority of :meth:`DaskExecutor.settle`'s fence tasks: before any task of any client
FENCE_PRIORITY = 2**31


class DaskMissingError(CorpusCleanError):
    """``--executor dask`` was asked for but ``dask``/``distributed`` is not installed."""


class DaskConnectError(CorpusCleanError):
    """The Dask scheduler at the given address could not be reached."""


class DaskTaskError(CorpusCleanError):
    """The cluster gave up on a task: it was running on more workers that died than
    ``distributed.scheduler.allowed-failures`` allows (e.g. a worker killed for memory)."""


def _import_distributed():
    """Import ``distributed`` with SIGINT and SIGTERM blocked in this thread: a stop signal
    raised inside its import (0.3 s of it) left it half-imported and the process dying by
    SIGINT at exit; blocked, the signal arrives right after. Threads the import starts
    inherit the block, so none of them takes a stop signal away from this one."""
    try:
        with stop_signals_blocked():
            import distributed
    except ImportError:
        raise DaskMissingError("--executor dask needs the dask extra: "
                               "pip install 'corpus-clean[dask]'") from None
    return distributed


class DaskExecutor(Executor):
    """Runs tasks as futures on the Dask cluster of ``client``, results in task order.

    Args:
        client: a connected ``distributed.Client``.
        cluster: a cluster this executor started (a ``LocalCluster``), closed with it; None
            for a cluster that someone else runs.
        window: futures in flight at most; default :data:`WINDOW_PER_THREAD` per worker
            thread of the cluster when :meth:`map` starts (at least 2).
        read_dump: whether the workers read and cut the dump's files themselves (an
            uncompressed file cut in stretches, :func:`.blocks.cut_block`, its scan tasks
            naming a span: path, offset, length, XXH3-64; any other file read whole by one
            worker, :func:`.tasks.file_tasks`; each file's head read by a worker,
            :func:`.tasks.file_head`), rather than receive the blocks' bytes from this
            process, which then opens no file of the dump.
            None (default): for a URL dump, yes unless it is ``memory://`` (each process has
            its own); for local files, yes when ``cluster`` is a ``LocalCluster`` (workers on
            this machine), no otherwise, since workers elsewhere may not see a local path.
        write_output: whether the workers write the kept and rejected records themselves, as
            shards (:mod:`corpus_clean.output.shards`), rather than send them to this process
            to write. None (default): for an output URL, yes unless it is ``memory://``; for
            an output directory, yes when ``cluster`` is a ``LocalCluster``. Never for output
            to a stream (stdout) or cut by ``--shard-size``.

    Attributes:
        tasks_submitted, tasks_done: futures submitted and finished on the cluster, counted
            as the scheduler reports them (for progress displays; never in an output).
        dashboard: the Dask dashboard's URL, or None when the scheduler serves none (it needs
            ``bokeh``).
    """

    ordered_on_cluster = True

    def __init__(self, client: Any, cluster: Any = None, window: int | None = None,
                 read_dump: bool | None = None, write_output: bool | None = None):
        self.client, self.cluster, self._window = client, cluster, window
        self.read_dump, self.write_output = read_dump, write_output
        self.tasks_submitted = 0
        self.tasks_done = 0
        self._lock = threading.Lock()
        self._unfinished: dict = {}  # key -> future: submitted, not finished (see settle)
        try:
            self.dashboard: str | None = client.dashboard_link or None
        except (KeyError, AttributeError):  # the scheduler serves no dashboard
            self.dashboard = None

    def workers_read(self, files) -> bool:
        """Whether the workers read the blocks of ``files`` (see ``read_dump``)."""
        if self.read_dump is not None:
            return self.read_dump
        from ..reading.storage import RemotePath

        if any(isinstance(f.path, RemotePath) for f in files):
            return all(isinstance(f.path, RemotePath) and self._reach(f.path.fs) for f in files)
        return self._local()

    def workers_write(self, writer) -> bool:
        """Whether the workers write ``writer``'s records (see ``write_output``)."""
        if writer.out is None or writer.sharded:
            return False
        if self.write_output is not None:
            return self.write_output
        fs = getattr(writer, "fs", None)  # an output URL's filesystem
        return self._reach(fs) if fs is not None else self._local()

    def _local(self) -> bool:
        """Whether the workers are on this machine (a ``LocalCluster``), seeing its paths."""
        return type(self.cluster).__name__ == "LocalCluster"

    def _reach(self, fs) -> bool:
        """Whether every worker reaches the fsspec filesystem ``fs``: an object store, yes;
        ``memory://``, no (each process has its own); ``file://``, as a local path."""
        protocol = getattr(fs, "protocol", "")
        protocols = set((protocol,) if isinstance(protocol, str) else protocol)
        if not protocols or protocols & {"memory", ""}:
            return False
        return self._local() if protocols & {"file", "local"} else True

    @property
    def workers(self) -> int:  # type: ignore[override]
        """Worker threads of the cluster now (it may grow or shrink during a run)."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable, *args: Any, counted: bool = False, **kwargs: Any) -> Any:
        """``client.submit(fn, *args, pure=False, **kwargs)``: a future with a key of its
        own, followed until it has finished, so that :meth:`settle` can stop it. Every task
        of a run is submitted here (:meth:`map`, :class:`.dask_dedup.DaskBackend`);
        ``counted``: one the progress display counts (``tasks_submitted``, ``tasks_done``)."""
        future = self.client.submit(fn, *args, pure=False, **kwargs)
        with self._lock:
            self._unfinished[future.key] = future
            if counted:
                self.tasks_submitted += 1
        future.add_done_callback(self._counted_done if counted else self._done)
        return future

    def _done(self, future: Any) -> None:  # called in the client's thread
        if future.status != "cancelled":  # a cancelled task may still be running
            with self._lock:
                self._unfinished.pop(future.key, None)

    def _counted_done(self, future: Any) -> None:
        self._done(future)
        with self._lock:
            self.tasks_done += 1

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Stop the tasks of a run that failed or was interrupted, before its outputs are
        removed: cancel those not started, and wait until those running on the workers have
        ended (at most ``timeout`` seconds in all). A running task cannot be interrupted, and
        the workers may be writing shards in the output (:mod:`corpus_clean.output.shards`):
        a shard written after the staging directory was removed would be left in OUT (a
        directory removed while a file is made in it; an object store's prefix made again).

        How it knows: the cancellation goes to the scheduler on the client's message stream,
        and a *fence* task for each worker after it, so the scheduler sends each worker its
        fence after what the cancellation told it; once every fence has run, the workers'
        own lists of running tasks (``WorkerState.executing``, which keeps a cancelled task
        until it ends) are complete, and are read until none of the run's tasks is in them.
        A cluster that cannot be reached is not waited for. Never raises."""
        with self._lock:
            futures = list(self._unfinished.values())
        keys = {f.key for f in futures}
        deadline = time.monotonic() + timeout
        try:
            if keys:
                self.client.cancel(futures)
                fences = {self.client.submit(_fence, pure=False, workers=[worker],
                                             allow_other_workers=False,
                                             priority=FENCE_PRIORITY): worker
                          for worker in self.client.nthreads()}
                try:
                    while time.monotonic() < deadline and (self._unfenced(fences)
                                                           or self._running(keys)):
                        time.sleep(SETTLE_POLL_SECONDS)
                finally:
                    self.client.cancel(list(fences))
        except Exception:  # the cluster is gone or does not answer
            pass
        with self._lock:
            for future in futures:
                self._unfinished.pop(future.key, None)

    def _unfenced(self, fences: dict) -> bool:
        """Whether a fence of :meth:`settle` has yet to run on a worker that is still there
        (``fences``: future -> worker address)."""
        alive = self.client.nthreads()
        return any(not fence.done() and worker in alive for fence, worker in fences.items())

    def _running(self, keys: set) -> bool:
        """Whether a worker is running a task of ``keys``."""
        return any(self.client.run(_running_tasks, keys, on_error="ignore").values())

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Submit ``fn(task)`` for each task as a future and yield the results in task order.

        Raises:
            DaskTaskError: a task was on more dying workers than the scheduler allows.
            Exception: whatever ``fn`` raised on a worker (a bug), re-raised here.
        """
        from distributed import KilledWorker

        window = self._window or max(2, WINDOW_PER_THREAD * self.workers)
        pending: deque = deque()
        try:
            for task in tasks:
                pending.append(self.submit(fn, task, counted=True))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except KilledWorker as exc:
            raise DaskTaskError(
                f"Dask gave up on a task: {exc} Workers may be running out of memory: give "
                f"each more, or lower batch_records.") from None
        finally:  # a failed or abandoned run leaves nothing queued on the cluster
            if pending:
                self.client.cancel(list(pending))

    def abort(self) -> None:
        """Close after a stop signal or a failure: as :meth:`close`, with ``distributed``'s
        logging in this process silenced first (the scheduler of a local cluster runs here,
        and logs every stream that the shutdown cuts)."""
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        self.close()

    def close(self) -> None:
        """Disconnect; shut down the cluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _fence() -> None:
    """A task that does nothing: its end tells :meth:`DaskExecutor.settle` that its worker
    has had every message the scheduler sent it before."""


def _running_tasks(keys: set, dask_worker: Any = None) -> list:
    """On a worker (``client.run``): the tasks of ``keys`` that it is running now, including
    the ones cancelled while they ran (:attr:`distributed.worker_state_machine.WorkerState.
    executing` and ``long_running``)."""
    state = dask_worker.state
    return [ts.key for ts in state.executing | state.long_running if ts.key in keys]


#: address schemes of the Dask comm backends that reach a scheduler over a network
#: (``distributed.comm.registry.backends`` less ``inproc``, which is this process only)
NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(address: str) -> None:
    """Check that ``address`` is a Dask scheduler address, ``SCHEME://HOST:PORT`` (``tcp://``
    when no scheme is given), with a scheme of :data:`NETWORK_SCHEMES` and a port in
    1..65535, without connecting.

    Why before any ``distributed.Client`` is made: a Client given a malformed address fails
    inside its start with a ``ValueError`` and is left half-started (distributed closes a failed
    client only on ``OSError``); when the garbage collector later finalises it during another
    ``Client(...)``, its ``__del__`` waits for a lock that the new client holds (an
    ``AssertionError`` after 10 s, or a hang).

    Raises:
        DaskConnectError: the address has another scheme, no host, or no valid port.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    fix = "expected tcp://HOST:PORT"
    try:
        scheme, location = parse_address(address)
    except ValueError as exc:
        raise DaskConnectError(f"{address}: not a Dask scheduler address ({exc}); "
                               f"{fix}") from None
    if scheme not in NETWORK_SCHEMES:
        raise DaskConnectError(f"{address}: not a Dask scheduler address (unknown address "
                               f"scheme {scheme!r}); {fix}")
    try:
        host, port = parse_host_port(location)
    except ValueError as exc:
        reason = str(exc) if "missing port" in str(exc) else f"bad port in {location!r}"
        raise DaskConnectError(f"{address}: not a Dask scheduler address ({reason}); "
                               f"{fix}") from None
    if not host or not 0 < int(port) < 65536:
        what = "no host" if not host else f"port {port} is not in 1..65535"
        raise DaskConnectError(f"{address}: not a Dask scheduler address ({what}); {fix}")


#: how the processes of a local cluster are started (see :func:`_forkserver_ignoring_stops`)
LOCAL_START_METHOD = "forkserver"


def _forkserver_ignoring_stops() -> None:
    """Start multiprocessing's fork server with SIGINT and SIGTERM ignored, so that the local
    cluster's worker processes, forked from it, ignore them too.

    Ctrl-C, ``timeout`` and systemd send their signal to every process of the group or
    cgroup; a Dask worker that took it would print a traceback and die mid-task; this process
    stops the cluster itself. An ignored disposition survives fork and exec, and the fork
    server gives its children the SIGINT disposition it started with (Python installs its
    ``KeyboardInterrupt`` handler only over the default, and so does asyncio in the worker).
    Only the fork and exec of the server (7 ms) run with the signals ignored here, and with
    them blocked: Linux never discards a signal that the thread it is sent to blocks, so one
    that arrives then stays pending until the handlers are back and the block is lifted (this
    holds when every thread blocks them: the threads of ``distributed``, imported with them
    blocked, do; see :func:`_import_distributed`). Blocking alone would not reach the
    workers: multiprocessing resets the mask of the processes it spawns. A fork server
    already running is used as it is. The resource tracker is started first, as the fork
    server would start it, since starting it unblocks both signals in the calling thread."""
    from multiprocessing import forkserver, resource_tracker

    resource_tracker.ensure_running()
    with stop_signals_blocked():
        old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            forkserver.ensure_running()
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)


class _QuietCancelledGathers(logging.Filter):
    """Drop asyncio's "Task exception was never retrieved" records whose exception is
    distributed's ``AllExit``: the client raises it in its own pending gathers when it closes
    after a stop signal, and each would print a traceback on the user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[0] if record.exc_info else None
        return not (exc is not None and exc.__name__ == "AllExit")


def connect(address: str | None = None, workers: int = 0) -> DaskExecutor:
    """Connect to the Dask scheduler at ``address`` (``tcp://HOST:8786``; default the
    :data:`SCHEDULER_ENV` environment variable), or, with neither, start a ``LocalCluster`` on
    this machine: ``workers`` worker processes (0: one per core) of one thread each.

    Raises:
        DaskMissingError: the ``dask`` extra is not installed.
        DaskConnectError: ``address`` is not a scheduler address (``tcp://HOST:PORT``: see
            :func:`check_scheduler_address`), or
            no scheduler answers there within Dask's connect timeout
            (``distributed.comm.timeouts.connect``, 30 s by default; environment variable
            ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).
    """
    distributed = _import_distributed()
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, _QuietCancelledGathers) for f in asyncio_log.filters):
        asyncio_log.addFilter(_QuietCancelledGathers())
    address = address or os.environ.get(SCHEDULER_ENV) or None
    if address:
        check_scheduler_address(address)  # before any Client: see its docstring
        try:
            client = distributed.Client(address)  # Dask's connect timeout (30 s) applies
        except ValueError as exc:  # anything the check above did not foresee
            raise DaskConnectError(f"{address}: not a Dask scheduler address ({exc}); "
                                   "expected tcp://HOST:PORT") from None
        except (OSError, TimeoutError) as exc:
            raise DaskConnectError(f"{address}: cannot connect to the Dask scheduler "
                                   f"({exc}); is 'dask scheduler' running there?") from None
        return DaskExecutor(client)
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": LOCAL_START_METHOD}):
        get_mp_context()  # sets the fork server's preload (distributed): faster worker starts
        _forkserver_ignoring_stops()
        # silence_logs: what the workers log when a stopped run closes the cluster under
        # them (cancelled tasks, closed streams) is noise on the user's terminal; a task's
        # failure reaches the user as an error of the run (re-raised here, DaskTaskError)
        try:
            cluster = distributed.LocalCluster(n_workers=workers or default_workers(),
                                               threads_per_worker=1, processes=True,
                                               dashboard_address="127.0.0.1:0",  # free port
                                               silence_logs=logging.CRITICAL)
            # results straight from the workers: through the scheduler, which runs in this
            # process, every byte would cross its sockets three times
            return DaskExecutor(distributed.Client(cluster, direct_to_workers=True), cluster)
        except BaseException:  # a stop signal mid-start: the half-started cluster is closed
            logging.getLogger("distributed").setLevel(logging.CRITICAL)  # at exit, quietly
            raise
