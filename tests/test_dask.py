"""The Dask executor: a 2-worker LocalCluster gives the same bytes as the local executor, a
worker killed mid-run is survived with the same bytes, the CLI end to end, and clear errors.

One LocalCluster (2 worker processes of 1 thread, started by the same code path as
``--executor dask`` without an address) is shared by the module. The dump is
``tests/fixtures/dask_dump`` (a 3 MB ``make_dump.py`` dump of 5 gzip files; see
``tests/fixtures/README.md``), whose near duplicates mostly span files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from paths import FIXTURES, ROOT, SEEDS

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.blocks import block_items
from corpus_clean.cli import cli
from corpus_clean.writer import OUTPUT_FILES

distributed = pytest.importorskip("distributed")  # in the test extra: CI runs these tests

DUMP = FIXTURES / "dask_dump"
#: small batches, so that each file is several tasks spread over both workers (execution
#: only: the local reference runs with the default 256 and must give the same bytes)
CONFIG = Config(batch_records=64, block_bytes=24_000)  # dozens of tasks, so workers share


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUT_FILES}


@pytest.fixture(scope="module")
def local_out(tmp_path_factory) -> dict[str, bytes]:
    """The four outputs of the in-process local executor on the dump (default settings)."""
    out = tmp_path_factory.mktemp("local")
    clean_dir(DUMP, OutputWriter(out), Config(), workers=1)
    return outputs(out)


@pytest.fixture(scope="module")
def dask_executor():
    from corpus_clean.dask_executor import connect

    executor = connect(None, workers=2)
    yield executor
    executor.close()


def test_the_dump_has_near_duplicates_across_files(local_out):
    """What the identity tests rely on: near duplicates whose kept record is in another file."""
    report = json.loads(local_out["dedup-report.json"])
    pairs = [(c["kept"]["source"], r["source"]) for c in report["clusters"]
             for r in c["removed"] if r["kind"] == "near"]
    assert sum(kept != removed for kept, removed in pairs) >= 10
    assert report["totals"]["exact_duplicates"] > 0


def test_two_worker_cluster_gives_the_local_bytes(dask_executor, local_out, tmp_path,
                                                  monkeypatch):
    client = dask_executor.client
    assert len(client.nthreads()) == 2
    task_of = {}  # (source, line) of each scanned record -> key of its task
    submit = client.submit

    def recording_submit(fn, task, **kwargs):
        future = submit(fn, task, **kwargs)
        if fn.__name__ == "scan":  # a block of a file: the records it splits into
            task_of.update(((r.source, r.line), future.key) for r, _ in block_items(task)[0])
        return future

    monkeypatch.setattr(client, "submit", recording_submit)
    out = tmp_path / "out"
    with distributed.get_task_stream(client) as stream:
        report = clean_dir(DUMP, OutputWriter(out), CONFIG, executor=dask_executor)
    assert outputs(out) == local_out
    assert report.records_in == report.kept + report.rejected
    # near duplicates whose two records were scanned in different files on different workers
    worker_of = {t["key"]: t["worker"] for t in stream.data}
    clusters = json.loads(local_out["dedup-report.json"])["clusters"]
    spanning = [r["id"] for c in clusters for r in c["removed"]
                if r["kind"] == "near" and r["source"] != c["kept"]["source"]
                and worker_of[task_of[r["source"], r["line"]]]
                != worker_of[task_of[c["kept"]["source"], c["kept"]["line"]]]]
    assert len(spanning) >= 3
    assert dask_executor.tasks_submitted > 40
    for _ in range(100):  # the scheduler's "done" messages may trail the last result a little
        if dask_executor.tasks_done == dask_executor.tasks_submitted:
            break
        time.sleep(0.05)
    assert dask_executor.tasks_done == dask_executor.tasks_submitted


def test_a_worker_killed_mid_run_is_survived_with_the_same_bytes(dask_executor, local_out,
                                                                  tmp_path):
    client = dask_executor.client
    pids = client.run(os.getpid)  # {worker address: pid}
    victim = min(pids.values())
    calls = {"n": 0, "at_kill": 0}

    def on_progress(info, file_done, report):
        calls["n"] += 1
        if calls["n"] == 3:  # tasks of both workers are in flight now
            os.kill(victim, signal.SIGKILL)
            calls["at_kill"] = calls["n"]

    out = tmp_path / "out"
    clean_dir(DUMP, OutputWriter(out), CONFIG, on_progress=on_progress,
              executor=dask_executor)
    assert calls["at_kill"] == 3 and calls["n"] > 20  # killed early; the run went on
    assert outputs(out) == local_out
    assert victim not in client.run(os.getpid).values()
    # the scheduler put the tasks of the dead worker (running there, or results held there
    # that the driver had not fetched yet) back to run elsewhere
    rescheduled = client.run_on_scheduler(lambda dask_scheduler: [
        str(t[0]) for t in dask_scheduler.transition_log
        if t[1] in ("processing", "memory") and t[2] == "released"
        and str(t[4]).startswith("handle-worker-cleanup")])
    assert rescheduled and all(k.startswith(("scan", "tag_batch")) for k in rescheduled)
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new worker for the next tests


def test_cli_dask_executor_end_to_end(dask_executor, local_out, tmp_path, monkeypatch):
    address = dask_executor.client.scheduler.address
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [str(DUMP), "-o", str(out), "--executor", "dask",
                                      "--scheduler", address], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert outputs(out) == local_out
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"dask: {address}, 2 worker threads; dashboard http://")
    assert "kept" in result.stderr and result.stdout == ""
    # the address may come from the environment, as Dask's own tools read it
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", "-", "-q", "--executor", "dask"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (ROOT / "tests" / "golden" / "clean.jsonl").read_bytes()


def test_a_task_the_cluster_gives_up_on_is_one_error_line():
    from corpus_clean.dask_executor import DaskExecutor, DaskTaskError

    class Future:  # what the scheduler hands back after too many workers died under a task
        def add_done_callback(self, fn):
            pass

        def result(self):
            worker = SimpleNamespace(address="tcp://10.0.0.7:4000")
            raise distributed.KilledWorker("scan_batch-1", worker, 3)

    class Client:
        dashboard_link = ""
        cancelled: list = []

        def submit(self, fn, task, pure):
            return Future()

        def cancel(self, futures):
            self.cancelled += futures

    client = Client()
    executor = DaskExecutor(client, window=2)
    with pytest.raises(DaskTaskError, match=r"^Dask gave up on a task: .*scan_batch-1.* out of memory"):
        list(executor.map(len, [[1], [2], [3]]))
    assert len(client.cancelled) == 1  # the other future in flight is not left queued
    assert executor.dashboard is None


def test_missing_dask_extra_is_one_error_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"),
                                      "--executor", "dask"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: --executor dask needs the dask extra: "
                             "pip install 'corpus-clean[dask]'\n")
    assert not (tmp_path / "out").exists()  # stopped before the writer made anything


@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1:9", "cannot connect to the Dask scheduler (Timed out"),
    ("localhost", "not a Dask scheduler address (missing port number"),
    ("http://127.0.0.1:8786", "not a Dask scheduler address (unknown address scheme 'http'"),
])
def test_bad_or_unreachable_scheduler_is_one_error_line(tmp_path, address, message):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):  # no 30 s wait
        result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"),
                                          "--executor", "dask", "--scheduler", address])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {address}: {message}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_scheduler_without_dask_executor_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"),
                                      "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--scheduler needs --executor dask" in result.stderr


def test_local_executor_never_imports_dask(tmp_path):
    code = ("import sys; from corpus_clean.cli import main; sys.argv = ['corpus-clean', "
            f"{str(SEEDS)!r}, '-o', {str(tmp_path / 'out')!r}, '-q'];\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "out" / "stats.json").exists()
