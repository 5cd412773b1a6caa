"""The Dask executor: a 2-worker LocalCluster gives the same bytes as the local executor, a
worker killed mid-run is survived with the same bytes, the CLI end to end, and clear errors.

One LocalCluster (2 worker processes of 1 thread, started by the same code path as
``--executor dask`` without an address) is shared by the module. The dump is
``tests/fixtures/dask_dump`` (a 3 MB ``make_dump.py`` dump of 5 gzip files; see
``tests/fixtures/README.md``), whose near duplicates mostly span files.
"""

from __future__ import annotations

import dataclasses

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from support.dask_fixtures import DUMP, dask_executor, local_out, small_parts  # noqa: F401
from support.outputs import joined_outputs
from support.paths import ROOT, SEEDS

from corpus_clean import Config, OutputWriter, clean_dir

from corpus_clean.engine import dask_dedup
from corpus_clean.reading.blocks import BlockTask, block_items
from corpus_clean.cli.command import cli

distributed = pytest.importorskip("distributed")  # in the test extra: CI runs these tests

#: small batches, so that each file is several tasks spread over both workers (execution
#: only: the local reference runs with the default 256 and must give the same bytes)
CONFIG = Config(batch_records=64, block_bytes=24_000)  # dozens of tasks, so workers share


outputs = joined_outputs  # the outputs in a directory, shards joined (Dask writes shards)


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

    def recording_submit(fn, *args, **kwargs):
        future = submit(fn, *args, **kwargs)
        if getattr(fn, "__name__", "") == "scan":  # a block, or a batch read on the driver
            task = args[0]
            if isinstance(task, distributed.Future):  # a task a worker made (a .gz file)
                task = task.result()
            items = block_items(task)[0] if isinstance(task, BlockTask) else task.items
            task_of.update(((r.source, r.line), future.key) for r, _ in items)
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
    rescheduled: set[str] = set()

    def cleaned_up(dask_scheduler):
        return [str(t[0]) for t in dask_scheduler.transition_log
                if t[1] in ("processing", "memory") and t[2] == "released"
                and str(t[4]).startswith("handle-worker-cleanup")]

    def on_progress(info, file_done, report):
        calls["n"] += 1
        if calls["n"] == 3:  # tasks of both workers are in flight now
            os.kill(victim, signal.SIGKILL)
            calls["at_kill"] = calls["n"]
        elif calls["n"] > 3:  # read the scheduler's log (of 1,000 transitions) while it has it
            rescheduled.update(client.run_on_scheduler(cleaned_up))

    out = tmp_path / "out"
    clean_dir(DUMP, OutputWriter(out), CONFIG, on_progress=on_progress,
              executor=dask_executor)
    assert calls["at_kill"] == 3 and calls["n"] > 20  # killed early; the run went on
    assert outputs(out) == local_out
    assert victim not in client.run(os.getpid).values()
    # the scheduler put the tasks of the dead worker (running there, or results held there
    # that the driver had not fetched yet) back to run elsewhere
    rescheduled.update(client.run_on_scheduler(cleaned_up))
    assert rescheduled and all(k.startswith(dask_dedup.TASK_PREFIXES) for k in rescheduled)
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
    from corpus_clean.engine.dask_executor import DaskExecutor, DaskTaskError

    class Future:  # what the scheduler hands back after too many workers died under a task
        count = 0

        def __init__(self):
            Future.count += 1
            self.key = f"scan_batch-{Future.count}"

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
    ("inproc://x", "not a Dask scheduler address (unknown address scheme 'inproc'"),
    ("tcp://h:", "not a Dask scheduler address (bad port in 'h:'"),
    ("tcp://:8786", "not a Dask scheduler address (no host"),
    ("tcp://host:99999", "not a Dask scheduler address (port 99999 is not in 1..65535"),
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


def test_a_malformed_address_never_makes_a_client(monkeypatch):
    """CI failed at random here: a Client given 'localhost' was left half-started and, when
    the garbage collector finalised it during the next Client(...), deadlocked on a lock the
    new one held. The address is now checked before any Client exists."""
    import distributed

    from corpus_clean.engine.dask_executor import DaskConnectError, connect

    made = []
    monkeypatch.setattr(distributed, "Client", lambda *a, **k: made.append(a))
    for address in ("localhost", "http://127.0.0.1:8786", "tcp://h:", "tcp://:1"):
        with pytest.raises(DaskConnectError):
            connect(address)
    assert made == []


def test_scheduler_without_dask_executor_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"),
                                      "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--scheduler needs --executor dask" in result.stderr


def test_local_executor_never_imports_dask(tmp_path):
    code = ("import sys; from corpus_clean.cli.command import main; sys.argv = ['corpus-clean', "
            f"{str(SEEDS)!r}, '-o', {str(tmp_path / 'out')!r}, '-q'];\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "out" / "stats.json").exists()


# --- the ordered half on the workers (corpus_clean/engine/dask_dedup.py) --------------------------

def test_the_driver_builds_no_dedup_index_and_spills_no_record(dask_executor, local_out,
                                                               tmp_path, monkeypatch):
    """With the Dask executor the exact index, the near-dup index and the record spills of
    the local path are never made on the driver, and the bytes are the same."""
    from corpus_clean.engine.local import LocalBackend
    from corpus_clean.engine.spill import RecordSpill
    from corpus_clean.stages.dedup import ExactDedup
    from corpus_clean.stages.neardup import NearDupIndex

    def forbidden(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__} made on the driver")

    for cls in (ExactDedup, NearDupIndex, RecordSpill, LocalBackend):
        monkeypatch.setattr(cls, "__init__", forbidden)
    out = tmp_path / "out"
    clean_dir(DUMP, OutputWriter(out), CONFIG, executor=dask_executor)
    assert outputs(out) == local_out
    assert not list(out.glob(".corpus-clean*"))  # no checkpoint, no temporary folder


def test_batches_read_on_the_driver_and_default_blocks_give_the_local_bytes(
        dask_executor, local_out, tmp_path, monkeypatch):
    """The two kinds of scan task through the distributed half: batches of records read on
    the driver (``block_bytes=0``, as for UTF-16/32 files) and default 1 MiB blocks (one per
    file here, grouped into parts by their estimated records)."""
    offsets = []
    make_parts = dask_dedup._make_parts

    def spying(cluster, scanned):
        parts, first = make_parts(cluster, scanned)
        offsets.append(first.tolist())
        return parts, first

    monkeypatch.setattr(dask_dedup, "_make_parts", spying)
    for config in (Config(batch_records=64, block_bytes=0), Config()):
        out = tmp_path / f"out-{config.block_bytes}"
        clean_dir(DUMP, OutputWriter(out), config, executor=dask_executor)
        assert outputs(out) == local_out
    # parts of about PART_RECORDS (300 here) of the ~2,500 records reaching dedup
    assert [len(o) > 4 for o in offsets] == [True, True]


@pytest.fixture(scope="module")
def plain_dump(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """The dump decompressed (blocks of uncompressed files can be named by span), and the
    local executor's outputs on it."""
    import gzip

    dump = tmp_path_factory.mktemp("plain")
    for path in sorted(DUMP.glob("*.gz")):
        (dump / path.name[:-3]).write_bytes(gzip.decompress(path.read_bytes()))
    out = tmp_path_factory.mktemp("plain-local")
    clean_dir(dump, OutputWriter(out), Config(), workers=1)
    return dump, outputs(out)


@pytest.mark.parametrize("read_dump", [None, False], ids=["workers-read", "driver-sends"])
def test_who_reads_the_blocks_changes_no_byte(dask_executor, plain_dump, tmp_path,
                                             monkeypatch, read_dump):
    """On a local cluster the workers read the blocks of uncompressed files themselves: the
    scan tasks carry a span, no bytes (so the scheduler holds no copy of the dump), and the
    workers read the files' heads and cut them too (``file_head``, ``cut_block``): the driver
    opens no file of the dump. With ``read_dump=False`` (``--dask-reads driver``, for
    workers that cannot see the dump) the driver reads and cuts the files and the tasks carry
    the bytes. The outputs are the local executor's either way."""
    from corpus_clean.reading import blocks

    dump, expected = plain_dump
    carried, cuts = [], []
    submit = dask_executor.client.submit

    def recording_submit(fn, *args, **kwargs):
        if getattr(fn, "__name__", "") == "scan" and isinstance(args[0], BlockTask):
            block = args[0].block
            carried.append(bool(block.parts) or block.span is None)
        cuts.append(getattr(fn, "__name__", "") == "cut_block")
        return submit(fn, *args, **kwargs)

    from corpus_clean.engine import tasks

    streamed, opened = [], []
    real_read_blocks, real_open_reader = blocks.read_blocks, tasks.open_reader
    monkeypatch.setattr(blocks, "read_blocks",
                        lambda *a, **k: streamed.append(1) or real_read_blocks(*a, **k))
    monkeypatch.setattr(tasks, "open_reader",
                        lambda *a, **k: opened.append(1) or real_open_reader(*a, **k))
    monkeypatch.setattr(dask_executor.client, "submit", recording_submit)
    monkeypatch.setattr(dask_executor, "read_dump", read_dump)
    out = tmp_path / "out"
    clean_dir(dump, OutputWriter(out), CONFIG, executor=dask_executor)
    assert outputs(out) == expected
    assert len(carried) > 10
    if read_dump is False:
        assert all(carried) and not any(cuts) and len(streamed) == len(opened) == 5
    else:  # the driver opened no file of the dump, not even for its head
        assert not any(carried) and sum(cuts) > 10 and not streamed and not opened


def test_compressed_files_are_read_by_the_workers_not_the_driver(dask_executor, local_out,
                                                                  tmp_path, monkeypatch):
    """The dump's .gz files cannot be cut at byte offsets: a worker reads each whole
    (``tasks.file_tasks``) and its blocks stay on the cluster; the driver opens none of
    them, not even for its head (encoding, layout)."""
    from corpus_clean.engine import tasks

    streamed = []
    monkeypatch.setattr(tasks, "block_tasks", lambda *a, **k: streamed.append(a) or iter(()))
    monkeypatch.setattr(tasks, "open_reader", lambda *a, **k: streamed.append(a))
    out = tmp_path / "out"
    with distributed.get_task_stream(dask_executor.client) as stream:
        clean_dir(DUMP, OutputWriter(out), CONFIG, executor=dask_executor)
    assert outputs(out) == local_out
    assert not streamed
    assert sum(t["key"].startswith("file_tasks") for t in stream.data) == 5


def test_who_reads_the_dump_by_default(dask_executor):
    """Workers read the dump on a local cluster or from a URL; a remote cluster's workers
    get the bytes from the driver unless told otherwise."""
    from corpus_clean.engine.dask_executor import DaskExecutor
    from corpus_clean.reading.reader import InputFile
    from corpus_clean.reading.storage import RemotePath

    from types import SimpleNamespace

    local = [InputFile(DUMP / "a.txt", "a.txt")]
    s3 = SimpleNamespace(protocol=("s3", "s3a"))
    remote = [InputFile(RemotePath(s3, "bucket/a.txt", 10), "a.txt")]
    memory = [InputFile(RemotePath(SimpleNamespace(protocol="memory"), "d/a.txt", 10), "a.txt")]
    file_url = [InputFile(RemotePath(SimpleNamespace(protocol=("file", "local")), "/d/a.txt",
                                     10), "a.txt")]
    assert dask_executor.workers_read(local) and dask_executor.workers_read(remote)
    assert dask_executor.workers_read(file_url)  # a local path: seen by a local cluster
    assert not dask_executor.workers_read(memory)  # each process has its own memory://
    elsewhere = DaskExecutor(dask_executor.client)  # a cluster someone else runs
    assert not elsewhere.workers_read(local) and elsewhere.workers_read(remote)
    assert not elsewhere.workers_read(file_url)
    elsewhere.read_dump = True
    assert elsewhere.workers_read(local)


def test_dask_reads_without_dask_executor_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"),
                                      "--dask-reads", "workers"])
    assert result.exit_code == 2
    assert "--dask-reads needs --executor dask" in result.stderr


def test_scan_tasks_are_grouped_into_parts_by_their_records():
    from corpus_clean.reading.reader import RawBlock
    from corpus_clean.engine.work import ScanTask

    batch = ScanTask(0, frozenset(), [None] * 64, False, CONFIG)
    block = BlockTask(0, 0, "a.txt", "line", frozenset(), "utf-8",
                      RawBlock([b"x" * 2047 + b"\n", b"y" * 4095 + b"\n"], 1), None, False,
                      CONFIG)
    assert dask_dedup._task_records(batch) == 64
    assert dask_dedup._task_records(block) == 6  # 6,144 bytes / RECORD_BYTES
    assert dask_dedup._task_records(BlockTask(0, 0, "a.txt", "line", frozenset(), "utf-8",
                                              RawBlock([], 1, end=True), None, True,
                                              CONFIG)) == 1
    named = RawBlock([], 1, span=(0, 10_240, 0))  # read by the worker: its span's length
    assert dask_dedup._task_records(BlockTask(0, 0, "a.txt", "line", frozenset(), "utf-8",
                                              named, None, False, CONFIG, "", Path("a"))) == 10


def test_near_duplicates_between_parts_on_different_workers_are_verified_there(
        dask_executor, local_out, tmp_path, monkeypatch):
    """Pairs whose two records are in parts held by different workers are found by the band
    shuffle and verified on a worker (hashes of one fetched from the other's part)."""
    client = dask_executor.client
    seen = {}
    verify = dask_dedup.verify_pairs

    def spying_verify(cluster, parts, s_offsets, a, b):
        holder = {k: ws[0] for k, ws in client.who_has(parts).items()}
        seen["worker"] = [holder[p.key] for p in parts]
        result = verify(cluster, parts, s_offsets, a, b)
        seen.update(s_offsets=s_offsets, a=a, b=b, sims=result[0])
        return result

    monkeypatch.setattr(dask_dedup, "verify_pairs", spying_verify)
    out = tmp_path / "out"
    clean_dir(DUMP, OutputWriter(out), CONFIG, executor=dask_executor)
    assert outputs(out) == local_out
    part_a = np.searchsorted(seen["s_offsets"], seen["a"], side="right") - 1
    part_b = np.searchsorted(seen["s_offsets"], seen["b"], side="right") - 1
    worker = np.asarray(seen["worker"])
    near = seen["sims"] >= CONFIG.near_threshold
    across = near & (worker[part_a] != worker[part_b])
    assert len(set(worker)) == 2 and across.sum() >= 3
    report = json.loads(local_out["dedup-report.json"])
    assert report["totals"]["lsh_candidate_pairs"] == len(seen["a"])


def _fixture_batches():
    """The dump's records as scan results (:data:`.work.ScanResult`) of 150 records (every
    record reaching dedup), with the exact key, band keys and shingle hashes that scan
    computes."""
    from corpus_clean.engine.pipeline import iter_file_records
    from corpus_clean.reading.reader import FileInfo, list_input_files
    from corpus_clean.stages.dedup import dedup_key
    from corpus_clean.stages.neardup import choose_bands, sign_texts
    from corpus_clean.engine.work import Scanned

    config = Config()
    bands, rows = choose_bands(config.near_threshold, config.num_perm)
    files = list_input_files(DUMP)
    batches = []
    for index, file in enumerate(files):
        records = [r for r, drop in iter_file_records(file, FileInfo(file.source), config)
                   if drop is None and r.text.strip()]
        for start in range(0, len(records), 150):
            chunk = records[start:start + 150]
            keys, hashes = sign_texts([r.text for r in chunk], bands, rows, config.num_perm,
                                      config.minhash_seed, config.shingle_words,
                                      config.shingle_chars)
            batches.append((index, False, [Scanned(r, None, dedup_key(r.text), k, h)
                                           for r, k, h in zip(chunk, keys, hashes)], {}, {}))
    return files, batches


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_distributed_dedup_decides_as_exact_dedup_and_the_near_dup_index(dask_executor,
                                                                         tmp_path, keep):
    """dedup_on_cluster against ExactDedup and NearDupIndex on the same records: the same
    exact duplicates (and firsts), the same survivor numbers, near decisions, candidate and
    verified pair counts."""
    from corpus_clean.records import locator_id
    from corpus_clean.stages.dedup import ExactDedup
    from corpus_clean.stages.neardup import NearDupIndex

    config = Config(keep=keep)
    files, batches = _fixture_batches()
    # local: streaming, in input order
    exact = ExactDedup(track_clusters=False)
    near = NearDupIndex(tmp_path, config.near_threshold, config.num_perm, config.minhash_seed,
                        config.shingle_words, config.shingle_chars)
    local_dups, survivor_ids = {}, []
    for _, _, items, _, _ in batches:
        for item in items:
            result = exact.apply(item.record)
            if hasattr(result, "duplicate_of"):
                local_dups[item.record.id] = result.duplicate_of
            else:
                survivor_ids.append(item.record.id)
                near.add(item.keys, item.hashes, len(item.record.text))
    local_removed = near.decide(keep)
    assert local_dups and local_removed  # the fixture has both kinds
    # distributed: parts of two batches each, scattered over the workers
    client = dask_executor.client
    cluster = dask_dedup._Cluster(dask_executor)
    parts, offsets, offset = [], [], 0
    for i in range(0, len(batches), 2):
        group = client.scatter(batches[i:i + 2])
        parts.append(client.submit(dask_dedup._make_part, offset, *group, pure=False))
        offsets.append(offset)
        offset += sum(len(items) for _, _, items, _, _ in batches[i:i + 2])
    with client.as_current():  # wait() uses the current client; others were made since
        distributed.wait(parts)
    assert len(set(ws[0] for ws in client.who_has(parts).values())) == 2
    parts, s_offsets, removed, pairs = dask_dedup.dedup_on_cluster(
        cluster, parts, np.asarray(offsets, np.int64), config)
    dups, survivors = {}, []
    for part in client.gather(parts):
        for i, record in enumerate(part.records):
            if i in part.first:
                _, f_file, f_locator = part.first[i]
                dups[record.id] = locator_id(files[f_file].source, f_locator)
            else:
                survivors.append(record.id)
    assert dups == local_dups
    assert survivors == survivor_ids  # numbered as NearDupIndex numbers them
    assert s_offsets[0] == 0 and len(s_offsets) == len(parts)
    assert removed == local_removed
    assert pairs == (near.candidate_pairs, near.verified_pairs)


def test_resume_with_the_dask_executor_is_refused_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"), "--executor",
                                      "dask", "--resume"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: --resume is not supported with --executor dask (scan "
                             "results stay on the workers and are not checkpointed); run "
                             "without --resume\n")
    assert not (tmp_path / "out").exists()


def test_resume_with_a_dask_executor_from_the_library_is_a_resume_error(dask_executor,
                                                                        tmp_path):
    from corpus_clean.errors import ResumeError

    with pytest.raises(ResumeError, match="not supported with --executor dask"):
        clean_dir(SEEDS, OutputWriter(tmp_path / "out"), executor=dask_executor, resume=True)


def test_a_block_that_changed_before_its_worker_read_it_is_one_error(dask_executor, plain_dump,
                                                                      tmp_path, monkeypatch):
    """A worker that finds other bytes at its block's span (here: the digest of the block
    made wrong, as if the file changed after it was cut) stops the run with the InputError that
    the CLI prints as one line, naming the file; no output is left."""
    from dataclasses import replace

    from corpus_clean.engine import tasks
    from corpus_clean.errors import InputError

    dump, _ = plain_dump
    real = tasks.cut_tasks  # the workers cut the files: the digests are theirs

    def changed(*args, **kwargs):
        made = real(*args, **kwargs)
        for task in made:
            span = task.block.span
            if task.number == 2:
                task.block = replace(task.block, span=(span[0], span[1], span[2] ^ 1))
        return made

    monkeypatch.setattr(tasks, "cut_tasks", changed)
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"^0\S+\.txt: changed while the run was reading it"):
        clean_dir(dump, OutputWriter(out), CONFIG, executor=dask_executor)
    assert not (out / "stats.json").exists()


def test_a_url_dump_on_the_cluster_gives_the_bytes_of_a_local_copy(dask_executor, plain_dump,
                                                                  tmp_path):
    """A dump behind a URL (``memory://``, which each process has its own of, so the
    driver sends the blocks) gives the bytes of the local copy on the local executor."""
    import fsspec

    dump, expected = plain_dump
    fs = fsspec.filesystem("memory")
    root = f"memory://dask-dump-{os.getpid()}"
    for path in sorted(dump.iterdir()):
        fs.pipe(f"{root}/{path.name}", path.read_bytes())
    out = tmp_path / "out"
    try:
        clean_dir(root, OutputWriter(out), CONFIG, executor=dask_executor)
    finally:
        fs.rm(root, recursive=True)
    assert outputs(out) == expected


def test_page_dumps_on_the_cluster_give_the_local_bytes(dask_executor, tmp_path):
    """HTML and Markdown pages, extracted on the workers, and a text file beside them."""
    from support.pages import page_dump

    dump = page_dump(tmp_path)
    clean_dir(dump, OutputWriter(tmp_path / "local"), Config(), workers=1)
    clean_dir(dump, OutputWriter(tmp_path / "dask"), CONFIG, executor=dask_executor)
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    assert b'"title":"Scalable Recommendation Models' in outputs(tmp_path / "dask")["clean.jsonl"]
    # --records paragraphs: the pages cut into paragraphs where they are read, on the workers
    paragraphs = dataclasses.replace(CONFIG, records="paragraphs")
    clean_dir(dump, OutputWriter(tmp_path / "local-p"), Config(records="paragraphs"), workers=1)
    clean_dir(dump, OutputWriter(tmp_path / "dask-p"), paragraphs, executor=dask_executor)
    assert outputs(tmp_path / "dask-p") == outputs(tmp_path / "local-p")
    assert b'"id":"a-news.html:1#' in outputs(tmp_path / "dask-p")["clean.jsonl"]


def test_site_chrome_repeated_across_pages_is_removed_on_the_cluster_too(dask_executor,
                                                                          tmp_path):
    from support.pages import site_pages

    dump = tmp_path / "site"
    dump.mkdir()
    for name, data in site_pages().items():
        (dump / name).write_bytes(data)
    clean_dir(dump, OutputWriter(tmp_path / "local"), Config(), workers=1)
    clean_dir(dump, OutputWriter(tmp_path / "dask"), CONFIG, executor=dask_executor)
    local = outputs(tmp_path / "local")
    assert outputs(tmp_path / "dask") == local
    assert local["removed-lines.jsonl"].count(b"Mehr aus dem Ressort") == 4
    assert b"Mehr aus dem Ressort" not in local["clean.jsonl"]

