"""Dask workers write their own output (:mod:`corpus_clean.output.shards`): the shards of a
2-worker LocalCluster, joined in name order, are the local executor's files byte for byte;
no record text goes through the driver; an object store (a real S3-compatible server, moto,
on 127.0.0.1) round trip for input and output; a worker killed while it writes a shard.

The dump is ``tests/fixtures/dask_dump`` (a 3 MB ``make_dump.py`` dump of 5 gzip files, see
``tests/fixtures/README.md``), cut into small tasks and parts so that both workers write
several shards.
"""

from __future__ import annotations

import gzip
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.dask_fixtures import DUMP, dask_executor, local_out, small_parts  # noqa: F401
from support.outputs import joined_outputs, joined_remote_outputs

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.cli.command import cli
from corpus_clean.engine import dask_dedup
from corpus_clean.output.shards import ShardStore

distributed = pytest.importorskip("distributed")  # in the test extra: CI runs these tests

CONFIG = Config(batch_records=64, block_bytes=24_000)  # dozens of tasks, so workers share


class _RowsSeen(OutputWriter):
    """An output writer that counts the bytes of rows it is given to write itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_bytes = 0

    def write_clean_rows(self, rows, count):
        self.row_bytes += len(rows)
        super().write_clean_rows(rows, count)

    def write_rejected_rows(self, rows):
        self.row_bytes += len(rows)
        super().write_rejected_rows(rows)

    def write_removed_lines(self, rows):
        self.row_bytes += len(rows)
        super().write_removed_lines(rows)


def test_workers_write_numbered_shards_and_the_driver_no_record(dask_executor, local_out,
                                                                 tmp_path):
    """The shards joined in name order are the local files; the driver was given no row to
    write; both workers wrote shards."""
    writer = _RowsSeen(tmp_path / "out")
    with distributed.get_task_stream(dask_executor.client) as stream:
        clean_dir(DUMP, writer, CONFIG, executor=dask_executor)
    assert joined_outputs(tmp_path / "out") == local_out
    assert writer.row_bytes == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    clean = [n for n in names if n.startswith("clean-")]
    rejected = [n for n in names if n.startswith("rejected-")]
    assert clean[0] == "clean-00000.jsonl" and len(clean) >= 4
    assert rejected[0] == "rejected-00000.jsonl" and len(rejected) >= 8
    assert "clean.jsonl" not in names and "rejected.jsonl" not in names
    writers = {t["worker"] for t in stream.data
               if t["key"].startswith(("_emit_part", "_reject_dups", "_write_scan"))}
    assert len(writers) == 2


def test_a_worker_writes_the_dedup_report_and_the_driver_gets_no_snippet(
        dask_executor, local_out, tmp_path, monkeypatch):
    """The report's clusters stay on the workers: the batches the driver accounts carry no
    snippet or cluster entry, the driver never renders the report, and the report a worker
    wrote is the local run's, clusters and summary (as is ``duplicate_clusters`` in
    stats.json)."""
    import json

    from corpus_clean.engine import ordered
    from corpus_clean.output.report import Report

    local = json.loads(local_out["dedup-report.json"])
    assert local["totals"]["clusters"] >= 20 and local["totals"]["near_duplicates"]

    def refuse(self, f):
        raise AssertionError("the driver rendered the dedup report")

    seen = []

    def account(emitted, report, writer, real=ordered._account):
        seen.append(len(emitted.snippets) + len(emitted.members))
        return real(emitted, report, writer)

    monkeypatch.setattr(Report, "write_dedup_report", refuse)
    monkeypatch.setattr(ordered, "_account", account)
    with distributed.get_task_stream(dask_executor.client) as stream:
        report = clean_dir(DUMP, OutputWriter(tmp_path / "out"), CONFIG,
                           executor=dask_executor)
    assert joined_outputs(tmp_path / "out") == local_out
    assert len(seen) > 10 and not any(seen)
    assert report.duplicate_clusters == local["totals"]["clusters"]
    assert [t["key"].split("-")[0] for t in stream.data].count("_write_report") == 1


def test_the_driver_writes_when_asked_with_the_local_names(dask_executor, local_out, tmp_path):
    """``--dask-writes driver`` (``write_output=False``): clean.jsonl and rejected.jsonl, the
    local bytes, every row written by the driver."""
    dask_executor.write_output = False
    try:
        writer = _RowsSeen(tmp_path / "out")
        clean_dir(DUMP, writer, CONFIG, executor=dask_executor)
    finally:
        dask_executor.write_output = None
    assert joined_outputs(tmp_path / "out") == local_out
    assert (tmp_path / "out" / "clean.jsonl").read_bytes() == local_out["clean.jsonl"]
    assert writer.row_bytes == len(local_out["clean.jsonl"]) + len(local_out["rejected.jsonl"])


def test_compressed_shards_decompress_to_the_local_files(dask_executor, local_out, tmp_path):
    """--compress gz: each shard a gzip file of its own; decompressed and joined in name
    order, the local bytes."""
    clean_dir(DUMP, OutputWriter(tmp_path / "out", compress="gz"), CONFIG,
              executor=dask_executor)
    for stem in ("clean", "rejected"):
        shards = sorted((tmp_path / "out").glob(f"{stem}-*.jsonl.gz"))
        assert len(shards) >= 2
        assert b"".join(gzip.decompress(p.read_bytes()) for p in shards) == \
            local_out[f"{stem}.jsonl"]


def test_a_dask_run_over_a_local_run_replaces_its_outputs_only(dask_executor, local_out,
                                                                tmp_path):
    """--overwrite of an OUT holding a local run's outputs and a user's file: the earlier
    clean.jsonl and rejected.jsonl (listed by its stats.json) are gone, the user's file is
    untouched."""
    out = tmp_path / "out"
    clean_dir(DUMP, OutputWriter(out), Config(), workers=1)
    (out / "notes.txt").write_bytes(b"mine")
    clean_dir(DUMP, OutputWriter(out, overwrite=True), CONFIG, executor=dask_executor)
    assert (out / "notes.txt").read_bytes() == b"mine"
    (out / "notes.txt").unlink()
    assert not (out / "clean.jsonl").exists() and not (out / "rejected.jsonl").exists()
    assert joined_outputs(out) == local_out


class _DyingStore(ShardStore):
    """A shard store whose first write of a clean shard stops half-way: it writes the first
    row, flushes it, leaves its pid and the partial file's path in ``signal_dir`` and waits
    to be killed (60 s at most). Every other write is the real one."""

    def __init__(self, store: ShardStore, signal_dir: str):
        super().__init__(store.root, store.compress, store.fs)
        self.signal_dir = signal_dir

    def _write_rows(self, raw, rows, compress):
        rows = list(rows)
        if not rows or b'"lang"' not in rows[0]:  # not a clean shard
            return super()._write_rows(raw, rows, compress)
        try:  # the first clean shard of the run claims the kill
            os.close(os.open(f"{self.signal_dir}/claimed", os.O_CREAT | os.O_EXCL))
        except FileExistsError:  # the retry, or another part
            return super()._write_rows(raw, rows, compress)
        raw.write(rows[0][:100])
        raw.flush()
        with open(f"{self.signal_dir}/ready.tmp", "w") as f:
            f.write(f"{os.getpid()} {raw.name}")
        os.rename(f"{self.signal_dir}/ready.tmp", f"{self.signal_dir}/ready")
        time.sleep(60)
        return super()._write_rows(raw, rows, compress)


def test_a_worker_killed_while_writing_a_shard(dask_executor, local_out, tmp_path):
    """A worker killed (SIGKILL, by the test) with a clean shard half-written: the part is
    computed and written again elsewhere, the half-written file is not an output, and the
    outputs are the local bytes (no shard missing or counted twice)."""
    signal_dir = tmp_path / "signals"
    signal_dir.mkdir()

    class Writer(OutputWriter):
        def _new_store(self, name):
            return _DyingStore(super()._new_store(name), str(signal_dir))

    killed = {}

    def killer():
        for _ in range(1200):
            if (signal_dir / "ready").exists():
                pid, path = (signal_dir / "ready").read_text().split(" ", 1)
                killed.update(pid=int(pid), path=path,
                              partial=Path(path).stat().st_size)
                os.kill(int(pid), signal.SIGKILL)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    out = tmp_path / "out"
    try:
        clean_dir(DUMP, Writer(out), CONFIG, executor=dask_executor)
    finally:
        thread.join()
    assert killed and killed["partial"] == 100  # it was killed mid-write
    assert killed["pid"] not in dask_executor.client.run(os.getpid).values()
    assert not Path(killed["path"]).exists()
    assert joined_outputs(out) == local_out
    dask_executor.client.wait_for_workers(2, timeout=60)  # the nanny starts a new worker


class _FullStore(ShardStore):
    """A shard store on a disk that is full."""

    def _write_rows(self, raw, rows, compress):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_under_a_worker_is_one_error_and_leaves_nothing(dask_executor, tmp_path):
    from corpus_clean.errors import OutputError

    class Writer(OutputWriter):
        def _new_store(self, name):
            store = super()._new_store(name)
            return _FullStore(store.root, store.compress, store.fs)

    out = tmp_path / "out"
    with pytest.raises(OutputError, match=r"/\.corpus-clean-shards-\w+/\S+: no space left on "
                                          r"device$"):
        clean_dir(DUMP, Writer(out), CONFIG, executor=dask_executor)
    assert [p.name for p in out.iterdir()] == []


class _FullWhileOthersWrite(ShardStore):
    """A shard store whose disk fills up while the workers write the kept records: a clean
    shard's write leaves ``started-*`` in ``signal_dir``, takes 2 s, and leaves ``ended-*``
    when it is over, written or not; every other write fails (no space), the run's first one
    only once a clean shard's write has begun (60 s at most)."""

    def __init__(self, store: ShardStore, signal_dir: str):
        super().__init__(store.root, store.compress, store.fs)
        self.signal_dir = signal_dir

    def write(self, stem, rows, records, empty=False, document=False):
        import errno
        import uuid

        from corpus_clean.errors import output_error

        signals = Path(self.signal_dir)
        if stem == "clean":
            mark = uuid.uuid4().hex
            (signals / f"started-{mark}").touch()
            try:
                time.sleep(2)
                return super().write(stem, rows, records, empty, document)
            finally:
                (signals / f"ended-{mark}").touch()
        try:
            os.close(os.open(signals / "first", os.O_CREAT | os.O_EXCL))
            for _ in range(600):
                if any(signals.glob("started-*")):
                    break
                time.sleep(0.1)
        except FileExistsError:
            pass
        raise output_error(self._path(f"{stem}-{uuid.uuid4().hex}.jsonl"),
                           OSError(errno.ENOSPC, "No space left on device"))


def test_a_failed_write_is_raised_once_no_write_of_the_run_is_running(dask_executor,
                                                                       tmp_path):
    """A worker's write fails while the other worker is writing: the error is raised, and
    the staging directory removed, only once that write is over and the tasks not started
    are cancelled. Removed sooner, a write still running could put its shard back in OUT (a
    local directory removed as a file is created in it; an object store's prefix)."""
    from corpus_clean.errors import OutputError

    signal_dir = tmp_path / "signals"
    signal_dir.mkdir()

    class Writer(OutputWriter):
        def _new_store(self, name):
            return _FullWhileOthersWrite(super()._new_store(name), str(signal_dir))

    out = tmp_path / "out"
    with pytest.raises(OutputError, match="no space left on device$"):
        clean_dir(DUMP, Writer(out), CONFIG, executor=dask_executor)

    def marks(kind):
        return {p.name.split("-", 1)[1] for p in signal_dir.glob(f"{kind}-*")}

    started, ended = marks("started"), marks("ended")
    assert started and started == ended  # the other write had begun, and was over
    assert [p.name for p in out.iterdir()] == []
    time.sleep(1)
    assert marks("started") == started  # no task of the run started after the error


# --- a real S3-compatible server on 127.0.0.1 ------------------------------------------------

@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on 127.0.0.1 (a free port), and fsspec's s3 settings pointing at it
    (credentials and endpoint are carried by the filesystem objects sent to the workers);
    yields the s3fs filesystem."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    import logging

    import fsspec
    import fsspec.config

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = fsspec.config.conf.get("s3")
    fsspec.config.conf["s3"] = {"endpoint_url": f"http://{host}:{port}", "key": "test",
                                "secret": "test"}
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.mkdir("corpus")
    try:
        yield fs
    finally:
        if saved is None:
            fsspec.config.conf.pop("s3", None)
        else:
            fsspec.config.conf["s3"] = saved
        server.stop()


def test_an_s3_round_trip_on_the_cluster(dask_executor, local_out, s3, monkeypatch):
    """Dump and output on ``s3://`` (a moto server), the CLI with ``--executor dask``: the
    workers read the blocks and write the shards there (the driver is given no row); the
    outputs joined are the local bytes; nothing else is left at the URL (no staging
    prefix)."""
    def no_rows(self, rows, count=0):
        assert not rows, "the driver was given rows to write"

    for method in ("write_clean_rows", "write_rejected_rows", "write_removed_lines"):
        monkeypatch.setattr(OutputWriter, method, no_rows)
    for path in sorted(DUMP.iterdir()):
        s3.pipe_file(f"corpus/dump/{path.name}", path.read_bytes())
    address = dask_executor.client.scheduler.address
    with distributed.get_task_stream(dask_executor.client) as stream:
        result = CliRunner().invoke(cli, ["s3://corpus/dump", "-o", "s3://corpus/out/", "-q",
                                          "--executor", "dask", "--scheduler", address],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    s3.invalidate_cache()
    got = joined_remote_outputs(s3, "corpus/out")
    names = sorted(s3.find("corpus/out"))
    assert sum(n.startswith("corpus/out/clean-") for n in names) >= 2
    # the CLI ran with default settings: parts of 300 records here, the local bytes still
    assert got == local_out
    assert any(t["key"].startswith("_emit_part") for t in stream.data)


def test_who_writes_by_default(dask_executor):
    """The workers write to a directory on a local cluster and to an object store; never to
    memory:// (each process has its own), a stream, or output cut by --shard-size; a remote
    cluster's workers write to a local directory only when told to."""
    from types import SimpleNamespace

    from corpus_clean.engine.dask_executor import DaskExecutor

    def writer(out="out", sharded=False, protocol=None):
        fs = None if protocol is None else SimpleNamespace(protocol=protocol)
        return SimpleNamespace(out=out, sharded=sharded, fs=fs)

    local, s3, memory = writer(), writer(protocol=("s3", "s3a")), writer(protocol="memory")
    assert dask_executor.workers_write(local) and dask_executor.workers_write(s3)
    assert not dask_executor.workers_write(memory)
    assert not dask_executor.workers_write(writer(out=None))
    assert not dask_executor.workers_write(writer(sharded=True))
    elsewhere = DaskExecutor(dask_executor.client)  # a cluster someone else runs
    assert not elsewhere.workers_write(local) and elsewhere.workers_write(s3)
    elsewhere.write_output = True  # --dask-writes workers: OUT is shared
    assert elsewhere.workers_write(local) and not elsewhere.workers_write(writer(out=None))


def test_dask_writes_usage_errors(tmp_path):
    """--dask-writes needs --executor dask; workers cannot write to stdout nor cut
    --shard-size shards."""
    run = CliRunner().invoke
    result = run(cli, [str(DUMP), "-o", str(tmp_path / "o"), "--dask-writes", "workers"])
    assert result.exit_code == 2 and "--dask-writes needs --executor dask" in result.output
    for extra in (["-o", "-"], ["-o", str(tmp_path / "o"), "--shard-size", "100"]):
        result = run(cli, [str(DUMP), *extra, "--executor", "dask", "--dask-writes", "workers"])
        assert result.exit_code == 2, result.output
        assert "--dask-writes workers writes a shard per part" in result.output


# --- the writer's side, without a cluster --------------------------------------------------

def test_a_run_whose_workers_wrote_nothing_has_empty_clean_and_rejected_shards(tmp_path):
    from corpus_clean.output.report import Report

    writer = OutputWriter(tmp_path / "out")
    assert writer.shard_store() is writer.shard_store()  # one staging directory per run
    writer.finish(Report(Config()))
    got = joined_outputs(tmp_path / "out")
    assert got["clean.jsonl"] == got["rejected.jsonl"] == b""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "clean-00000.jsonl", "dedup-report.json", "rejected-00000.jsonl", "stats.json"]


def test_an_aborted_run_leaves_no_shard_and_keeps_the_users_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".hidden-notes").write_bytes(b"mine")
    writer = OutputWriter(out)
    store = writer.shard_store()
    shard = store.write("clean", [b'{"id":"a"}\n'], 1)
    assert shard.records == 1 and (Path(store.root) / shard.name).exists()
    writer.abort()
    assert sorted(p.name for p in out.iterdir()) == [".hidden-notes"]


def test_shard_names_stay_in_run_order_past_99999():
    from corpus_clean.output.shards import Shard, shard_names
    from corpus_clean.output.writer import OUTPUT_NAME

    names = shard_names([Shard("clean", "x", 1, 1)] * 100_001, "gz")
    assert names[0] == "clean-000000.jsonl.gz" and names[-1] == "clean-100000.jsonl.gz"
    assert sorted(names) == names and OUTPUT_NAME.fullmatch(names[-1])
    assert shard_names([Shard("rejected", "x", 1, 1)] * 3, None) == [
        "rejected-00000.jsonl", "rejected-00001.jsonl", "rejected-00002.jsonl"]


def test_shards_written_at_a_url_are_moved_into_place_before_stats_json(tmp_path):
    """A writer to a URL (``memory://`` here, written and committed in this one process):
    the shard lands under its final name, stats.json lists it, the staging prefix is gone."""
    fsspec = pytest.importorskip("fsspec")
    from corpus_clean.output.report import Report
    from corpus_clean.output.writer import make_writer

    fs = fsspec.filesystem("memory")
    writer = make_writer("memory://shards-at-a-url/out")
    try:
        store = writer.shard_store()
        assert store.root.startswith("/shards-at-a-url/out/.corpus-clean-shards-")
        writer.adopt(store.write("clean", [b'{"id":"a"}\n', b'{"id":"b"}\n'], 2))
        writer.finish(Report(Config()))
        got = joined_remote_outputs(fs, "/shards-at-a-url/out")
        assert got["clean.jsonl"] == b'{"id":"a"}\n{"id":"b"}\n' and got["rejected.jsonl"] == b""
        assert fs.exists("/shards-at-a-url/out/clean-00000.jsonl")
    finally:
        fs.rm("/shards-at-a-url", recursive=True)
