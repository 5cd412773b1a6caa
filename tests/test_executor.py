"""Executors: results in task order for any number of workers; no worker outlives its run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from support.paths import ROOT

from corpus_clean.engine.executor import LocalExecutor, ProcessExecutor, make_executor


def _square(x: int) -> int:
    return x * x


def test_results_come_back_in_task_order():
    tasks = list(range(50))
    with ProcessExecutor(2, window=3) as pool:
        assert list(pool.map(_square, tasks)) == [x * x for x in tasks]
    assert list(LocalExecutor().map(_square, tasks)) == [x * x for x in tasks]
    assert isinstance(make_executor(1), LocalExecutor)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, waiting to be reaped, does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_exit_when_the_run_is_killed():
    """SIGKILL gives the run no chance to shut its pool down (the --resume case): the
    workers notice that their parent is gone and exit instead of waiting for ever."""
    code = (
        "import os, sys, time\n"
        "from corpus_clean.engine.executor import ProcessExecutor\n"
        "pool = ProcessExecutor(2)\n"
        "futs = [pool._pool.submit(os.getpid) for _ in range(40)]\n"
        "print(' '.join(str(p) for p in sorted({f.result() for f in futs})), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(100):  # the watch checks twice a second; allow 10 s on a busy machine
        if not any(_alive(p) for p in workers):
            break
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


def test_one_large_file_is_read_by_every_worker(tmp_path, monkeypatch):
    """A dump of one file is cut into blocks that both workers decode, split and scan (issue
    5: one large file is not read by one worker), and the outputs are those of one worker."""
    from support.paths import SEEDS

    from corpus_clean import Config, OutputWriter, clean_dir


    from corpus_clean.engine import work

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "all.txt").write_bytes(b"".join(p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))
                                            if not p.name.startswith("002")))
    log = tmp_path / "pids"
    real_scan = work.scan

    def scan(task):  # runs in the worker processes (forked after this patch)
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {type(task).__name__}\n")
        return real_scan(task)

    scan.__module__, scan.__qualname__ = work.__name__, "scan"  # pickled by name
    monkeypatch.setattr(work, "scan", scan)
    config = Config(block_bytes=2000, lang_backend="none")
    outs, pids = {}, {}
    for workers in (1, 2):
        clean_dir(dump, OutputWriter(tmp_path / f"out{workers}"), config, workers=workers)
        outs[workers] = [(tmp_path / f"out{workers}" / name).read_bytes()
                         for name in ("clean.jsonl", "rejected.jsonl", "stats.json")]
        rows = [line.split() for line in log.read_text().splitlines()]
        log.unlink()
        assert {kind for _, kind in rows} == {"BlockTask"} and len(rows) >= 10
        pids[workers] = {int(pid) for pid, _ in rows}
    assert outs[1] == outs[2]
    assert pids[1] == {os.getpid()}
    assert len(pids[2]) == 2 and os.getpid() not in pids[2]
