"""What people and machines do to a run: bad option and setting values, odd streams, internal
errors, signals to the whole process group, odd files in the dump, names that are not UTF-8,
--overwrite next to a user's files, two runs into one OUT, OUT inside the dump, a full disk
under the temporary files. Each case ends in one clear line and the documented exit code,
never a traceback, and nothing of the user's is touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.outputs import joined_outputs
from support.paths import GOLDEN, ROOT, SEEDS, default_stop_signals

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.cli import command as cli_module
from corpus_clean.cli.command import cli
from corpus_clean.engine.executor import max_workers
from corpus_clean.output.writer import OUTPUT_NAME

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def corpus_clean(*args, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    """Run the CLI in a subprocess (real file descriptors and signals)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    if kwargs["stdout"] == "closed":
        kwargs["stdout"] = None
        kwargs["preexec_fn"] = lambda: os.close(1)
    return subprocess.run([sys.executable, "-m", "corpus_clean", *map(os.fsdecode, args)],
                          cwd=ROOT, stderr=subprocess.PIPE, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1"}, **kwargs)


def one_error_line(stderr: str) -> str:
    """The single line of stderr, which must be an ``Error: ...`` with no traceback."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


# --- internal errors and the process's signal handlers -------------------------------------
def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug\nover two lines")

    monkeypatch.setattr(cli_module, "clean_dir", broken)
    result = invoke(SEEDS, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "Error: internal error: ZeroDivisionError: a bug\\nover two lines (a bug: run again "
        "with --debug for the traceback, and please report it)")
    for how in ({"args": ["--debug"]}, {"env": {"CORPUS_CLEAN_DEBUG": "1"}}):
        result = invoke(SEEDS, "-o", tmp_path / "out2", *how.get("args", []),
                        env=how.get("env"))
        assert isinstance(result.exception, ZeroDivisionError), (result.stderr, result.exception)


def test_the_signal_handlers_are_restored_when_the_command_returns(tmp_path):
    """Library callers and tests share the process: a run must not leave its handlers."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    assert invoke(SEEDS, "-o", tmp_path / "out", "-q").exit_code == 0
    assert invoke(SEEDS, "-o", tmp_path / "out").exit_code == 1  # not empty: an error path
    assert {sig: signal.getsignal(sig) for sig in before} == before


# --- bad values and odd streams ------------------------------------------------------------
@pytest.mark.parametrize("setting, message", [
    ("minhash_seed = -1", "minhash_seed=-1: must be in 0..4294967295"),
    ("lang_seed = 4294967296", "lang_seed=4294967296: must be in 0..4294967295"),
    ("sample_bytes = 99999999999999999999", "sample_bytes=99999999999999999999: must be at "
                                            "most 1,073,741,824"),
    ("num_perm = 1000000", "num_perm=1000000: must be at most 4,096"),
    ("min_words = 9223372036854775807", "min_words=9223372036854775807: must be at most "
                                        "2,147,483,647"),
    ("near_threshold = nan", "near_threshold=nan: must be in (0, 1]"),
    ("spam_threshold = inf", "spam_threshold=inf: must be a probability in [0, 1]"),
])
def test_out_of_range_settings_are_one_line_errors(tmp_path, setting, message):
    toml = tmp_path / "c.toml"
    toml.write_text(setting + "\n")
    result = corpus_clean(SEEDS, "-o", tmp_path / "out", "--config", toml, text=True)
    assert result.returncode == 1
    assert one_error_line(result.stderr) == f"Error: {toml}: {message}"
    assert not (tmp_path / "out").exists()


def test_a_device_a_fifo_or_a_huge_file_as_config_is_refused_unread(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it would wait for a writer for ever
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    for path, what in (("/dev/zero", "is a character device, not a settings file"),
                       (fifo, "is a FIFO (named pipe), not a settings file"),
                       (big, "larger than 1,048,576 bytes; not a settings file")):
        result = corpus_clean(SEEDS, "-o", tmp_path / "out", "--config", path, text=True,
                              timeout=30)
        assert result.returncode == 1
        assert one_error_line(result.stderr) == f"Error: {path}: {what}"


@pytest.mark.parametrize("args, code, message", [
    (["--near-threshold", "nan"], 2, "nan is not a number in the range 0.0<x<=1.0"),
    (["-o", ""], 2, "an empty name is not a directory"),
])
def test_bad_option_values_are_usage_errors(tmp_path, args, code, message):
    full = [SEEDS, *args] if "-o" in args else [SEEDS, "-o", tmp_path / "out", *args]
    result = invoke(*full)
    assert result.exit_code == code, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == []  # no run into the current directory either


def test_workers_beyond_the_bound_are_capped_with_a_warning(tmp_path):
    result = invoke(SEEDS, "-o", tmp_path / "out", "-q", "--workers", 1000)
    assert result.exit_code == 0
    assert result.stderr == (f"warning: --workers 1000 is more than 4 per core; using "
                             f"{max_workers()}\n")
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_stdout_closed_or_full_is_exit_1_in_one_line(tmp_path):
    closed = corpus_clean(SEEDS, "-o", "-", stdout="closed", text=True)
    assert closed.returncode == 1
    assert one_error_line(closed.stderr) == (
        "Error: <stdout>: standard output is closed; give -o OUT, or open it ('-o -' writes "
        "the clean records there)")
    with open("/dev/full", "wb") as full:
        result = corpus_clean(SEEDS, "-o", "-", stdout=full, text=False)
    assert result.returncode == 1
    assert one_error_line(result.stderr.decode()) == "Error: <stdout>: no space left on device"


def test_report_into_a_full_or_closed_stdout_and_a_report_of_null(tmp_path):
    out = tmp_path / "out"
    assert invoke(SEEDS, "-o", out, "-q").exit_code == 0
    for args in ([], ["--format", "markdown", "-o", "-"]):
        with open("/dev/full", "wb") as full:
            result = corpus_clean("report", out, *args, stdout=full)
        assert result.returncode == 1
        assert one_error_line(result.stderr.decode()) == (
            "Error: <stdout>: cannot write (No space left on device)")
    result = corpus_clean("report", out, "--format", "html", "-o", "/dev/full", text=True)
    assert result.returncode == 1
    assert one_error_line(result.stderr) == "Error: /dev/full: cannot write (No space left on device)"
    for content, what in ((b"null", "a JSON null, not an object"),
                          (b"[1]", "a JSON array, not an object"),
                          (b'{"schema_version": 1, "parameters": {}, "totals": {}, '
                           b'"cluster_sizes": {}, "file_overlap": [], "clusters": null}',
                           "'clusters' is a JSON null")):
        (out / "dedup-report.json").write_bytes(content)
        result = invoke("report", out)
        assert result.exit_code == 1
        assert one_error_line(result.stderr) == (
            f"Error: {out / 'dedup-report.json'}: not a corpus-clean dedup report ({what})")


# --- signals to the whole process group ----------------------------------------------------
STOP = {signal.SIGINT: (130, "Interrupted"), signal.SIGTERM: (143, "Terminated")}


def _group_gone(pgid: int, within: float = 10.0) -> bool:
    """Whether every process of group ``pgid`` (the run, its workers, Dask's processes) has
    exited within ``within`` seconds."""
    import time

    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _wait_for_handlers(pid: int, within: float = 30.0) -> None:
    """Wait until process ``pid`` catches SIGTERM (``SigCgt`` in ``/proc/PID/status``), which
    it does from the first line of corpus-clean's entry point: before that, Python itself is
    starting (tens of milliseconds) and no program can handle a signal its own way."""
    import time

    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return  # exited already
        caught = int(next(line for line in status.splitlines()
                          if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.001)


@pytest.fixture(scope="module")
def signal_dump(tmp_path_factory) -> Path:
    from support.dumps import build_dump

    return build_dump(tmp_path_factory.mktemp("sig") / "dump", files=24, records=120, seed=3)


@pytest.mark.parametrize("options", [["--workers", "1"], ["--workers", "2"],
                                     ["--workers", "2", "--executor", "dask"]],
                         ids=["1-worker", "2-workers", "dask"])
def test_a_signal_to_the_process_group_at_any_moment_stops_the_run_cleanly(tmp_path, options,
                                                                           signal_dump):
    """Ctrl-C in a terminal, timeout, systemd and Docker signal every process of the group.
    At every moment from its entry point on (imports, forking workers, scan, emit, commit;
    delays counted from when it catches SIGTERM) the run must exit 130 or
    143 within seconds with one line on stderr, no traceback from it or a worker, no output
    file under a final name unless all are complete, no temporary file, the checkpoint kept,
    and no process of its group left; or, signalled too late, have completed normally."""
    import time

    args = [sys.executable, "-m", "corpus_clean", str(signal_dump), "--lang-backend", "none",
            *options]
    env = {**os.environ, "NO_COLOR": "1"}
    ref = tmp_path / "ref"
    t0 = time.monotonic()
    subprocess.run([*args, "-o", str(ref), "-q"], env=env, check=True, timeout=300)
    duration = time.monotonic() - t0
    delays = [0.0, 0.1] + [duration * f for f in (0.1, 0.3, 0.5, 0.7, 0.85, 0.95)]
    for n, delay in enumerate(delays):
        sig = (signal.SIGINT, signal.SIGTERM)[n % 2]
        code, word = STOP[sig]
        out = tmp_path / f"out{n}"
        proc = subprocess.Popen([*args, "-o", str(out)], env=env, stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=default_stop_signals)
        _wait_for_handlers(proc.pid)
        time.sleep(delay)
        os.killpg(proc.pid, sig)
        try:
            stderr = proc.communicate(timeout=20)[1].decode()
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"{sig.name} after {delay:.2f} s: still running 20 s later")
        where = f"{sig.name} after {delay:.2f} s of {duration:.2f}: exit {proc.returncode}\n" \
                f"{stderr}"
        assert _group_gone(proc.pid), f"{where}: processes of the run left behind"
        assert "Traceback" not in stderr and "Error" not in stderr, where
        left = sorted(p.name for p in out.iterdir()) if out.exists() else []
        assert not [name for name in left if name.endswith(".tmp")
                    or name.startswith(".corpus-clean-")], where
        if proc.returncode == 0:  # finished before the signal
            assert "Interrupted" not in stderr and "Terminated" not in stderr, where
        else:
            assert proc.returncode == code, where
            lines = [line for line in stderr.splitlines() if not line.startswith("dask: ")]
            assert lines and lines[-1].startswith(word), where
            if "after the run completed" not in lines[-1]:  # else the summary came first
                assert len(lines) == 1, where
                assert not [name for name in left if OUTPUT_NAME.fullmatch(name)], where
                continue
        assert joined_outputs(out) == joined_outputs(ref), where  # shards joined (Dask)


def test_a_signal_while_the_outputs_are_renamed_is_held_until_all_are_in_place(tmp_path,
                                                                               monkeypatch):
    """A SIGTERM used to land between the renames and leave clean.jsonl under its final name
    beside no stats.json, with 'no output was completed' on stderr. Now the renames finish,
    and the message says the outputs are complete."""
    from corpus_clean.output import writer as writer_module

    real = writer_module._JsonlSink.commit

    def commit(self):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, mid-commit
        real(self)

    monkeypatch.setattr(writer_module._JsonlSink, "commit", commit)
    out = tmp_path / "out"
    result = invoke(SEEDS, "-o", out, "-q")
    assert result.exit_code == 143
    assert result.stderr == (f"Terminated after the run completed: the outputs in {out} are "
                             "complete.\n")
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_error_a_stop_signal_turned_into_is_reported_as_the_signal(tmp_path, monkeypatch,
                                                                      sig):
    """Code that a stop signal interrupts can turn its KeyboardInterrupt into another
    exception: once in about 300 signals to a Dask run's process group, CPython's import
    machinery raised ``TypeError: expected a message argument`` instead, and the run ended
    with 'internal error' and exit 1. It is the signal's exit now. An error with no signal
    before it is still an internal error."""
    import threading
    import time

    def interrupted(*args, **kwargs):
        try:
            signal.pthread_kill(threading.main_thread().ident, sig)
            for _ in range(1000):  # the run's handler raises the stop here (10 s at most)
                time.sleep(0.01)
        except BaseException:
            raise TypeError("expected a message argument") from None

    monkeypatch.setattr(cli_module, "clean_dir", interrupted)
    # as Python's own, not ignored: a job a non-interactive shell starts in the background
    # (as CI may be) inherits SIGINT ignored, and the run leaves an inherited ignore alone
    previous = signal.signal(sig, signal.default_int_handler)
    try:
        result = invoke(SEEDS, "-o", tmp_path / "out", "-q")
    finally:
        signal.signal(sig, previous)
    code, word = {signal.SIGINT: (130, "Interrupted"), signal.SIGTERM: (143, "Terminated")}[sig]
    assert result.exit_code == code
    assert result.stderr.startswith(f"{word}: no output was completed.")
    assert "internal error" not in result.stderr

    def broken(*args, **kwargs):
        raise TypeError("expected a message argument")

    monkeypatch.setattr(cli_module, "clean_dir", broken)
    result = invoke(SEEDS, "-o", tmp_path / "out2", "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: internal error: TypeError: expected a message "
                                    "argument")


# --- a full disk under the run's temporary files -------------------------------------------
@pytest.mark.parametrize("where", ["survivors", "shingles", "stdout_tmpdir"])
def test_a_full_disk_under_the_temporary_files_is_one_line_and_resume_continues(
        tmp_path, monkeypatch, where):
    """The survivor list, the shingle hashes, and TMPDIR with '-o -': each used to end in an
    OSError traceback with the checkpoint deleted."""
    import errno

    from corpus_clean.engine import spill
    from corpus_clean.engine.resume import CHECKPOINT_DIR
    from corpus_clean.stages import neardup

    target, after = {"survivors": ((spill.RecordSpill, "append_row"), 30),
                     "shingles": ((neardup.NearDupIndex, "add_many"), 3),
                     "stdout_tmpdir": ((spill.RecordSpill, "append_row"), 30)}[where]
    real, calls = getattr(*target), [0]

    def full(*args, **kwargs):  # the disk fills up part way through the run
        calls[0] += 1
        if calls[0] > after:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    out = tmp_path / "out"
    with monkeypatch.context() as m:
        m.setattr(*target, full)
        if where == "stdout_tmpdir":
            m.setenv("TMPDIR", str(tmp_path))
            import tempfile
            m.setattr(tempfile, "tempdir", None)  # read TMPDIR again
            result = invoke(SEEDS, "-o", "-", "--workers", 1)
        else:
            result = invoke(SEEDS, "-o", out, "-q", "--workers", 1)
    assert result.exit_code == 1
    line = one_error_line(result.stderr)
    base = tmp_path if where == "stdout_tmpdir" else out
    assert line.startswith(f"Error: {base}/.corpus-clean-"), line
    assert "no space left on device for the run's temporary files; free space there" in line
    assert not [p for p in base.iterdir() if p.name.startswith(".corpus-clean-")]
    if where == "stdout_tmpdir":
        assert "TMPDIR" in line
        return
    assert (out / CHECKPOINT_DIR / "journal.jsonl").exists()  # kept
    result = invoke(SEEDS, "-o", out, "--resume")
    assert result.exit_code == 0
    restored = int(result.stderr.split("resume: ")[1].split(" files")[0])
    assert 1 <= restored < 5, result.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


# --- file names that are not UTF-8, or hold control characters -----------------------------
def test_a_latin1_name_and_a_name_with_a_newline_are_read_and_written_reversibly(tmp_path):
    """A Latin-1 café.txt on a Linux disk used to lose the whole run to a traceback."""
    from corpus_clean.reading.reader import decode_source, encode_source

    dump = tmp_path / "dump"
    dump.mkdir()
    latin1, newline = b"caf\xe9.txt", b"new\nline.txt"
    seeds = {latin1: (SEEDS / "000_5531a001d51d5e0c.txt").read_bytes(),
             newline: (SEEDS / "003_021855e50a64dd07.txt").read_bytes()}
    for name, data in seeds.items():
        (dump / os.fsdecode(name)).write_bytes(data)
    (dump / os.fsdecode(b"bad\nname\xff.png")).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    out = tmp_path / "out"
    result = invoke(dump, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == "warning: bad%0Aname%FF.png: binary file (PNG image), skipped\n"
    rows = [json.loads(line) for line in (out / "clean.jsonl").read_text().splitlines()]
    sources = {r["source"] for r in rows}
    assert sources == {"caf%E9.txt", "new%0Aline.txt"}
    assert {decode_source(s) for s in sources} == {latin1, newline}  # reversible
    for source in sources:  # and the file opens by the decoded name
        name = decode_source(source)
        assert (dump / os.fsdecode(name)).read_bytes() == seeds[name]
    # the usual names are unchanged; '%' itself is escaped so that the form stays reversible
    assert encode_source("a/b 1.txt") == "a/b 1.txt"
    assert encode_source("50%.txt") == "50%25.txt" and decode_source("50%25.txt") == b"50%.txt"
    assert encode_source("中文.txt") == "中文.txt"


def test_messages_with_odd_names_stay_on_one_line(tmp_path):
    out = tmp_path / "o\nx"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    result = invoke(SEEDS, "-o", out)
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: {tmp_path}/o\\nx: output directory is not empty (1 entries); choose another "
        "one or pass --overwrite")


# --- FIFOs, devices and links to them --------------------------------------------------------
def test_fifos_devices_and_links_to_them_are_skipped_unopened(tmp_path):
    """Reading a FIFO waits for a writer for ever and /dev/zero never ends; the resume digest
    read them first. In a subprocess with a time limit, so that a regression fails, not hangs."""
    import socket

    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.txt").write_bytes((SEEDS / "000_5531a001d51d5e0c.txt").read_bytes())
    os.mkfifo(dump / "fifo.txt")
    os.symlink("/dev/zero", dump / "zero.txt")
    os.symlink("/dev/urandom", dump / "random.txt.gz")
    os.symlink(dump / "fifo.txt", dump / "link-to-fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(dump / "socket"))
    try:
        out = tmp_path / "out"
        for args in ([], ["--resume"], ["--workers", "2", "--overwrite"]):
            result = corpus_clean(dump, "-o", out, "-q", *args, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
            assert result.stderr.splitlines() == [
                "warning: fifo.txt: FIFO (named pipe), not a regular file; skipped",
                "warning: link-to-fifo.txt: FIFO (named pipe), not a regular file; skipped",
                "warning: random.txt.gz: character device, not a regular file; skipped",
                "warning: socket: socket, not a regular file; skipped",
                "warning: zero.txt: character device, not a regular file; skipped"]
            stats = json.loads((out / "stats.json").read_text())
            assert stats["drops"]["read"] == {"not_regular_file": 5}
            assert [e["source"] for e in stats["errors"]] == [
                "fifo.txt", "link-to-fifo.txt", "random.txt.gz", "socket", "zero.txt"]
    finally:
        sock.close()


@pytest.mark.parametrize("dump, what", [("/dev/zero", "character device"),
                                        ("fifo", "FIFO (named pipe)")])
def test_a_fifo_or_a_device_as_dump_dir_is_refused(tmp_path, dump, what):
    if dump == "fifo":
        dump = tmp_path / "fifo"
        os.mkfifo(dump)
    result = corpus_clean(dump, "-o", tmp_path / "out", text=True, timeout=30)
    assert result.returncode == 2
    assert f"'{dump}' is a {what}, not a directory or a regular file" in result.stderr


# --- --overwrite replaces only corpus-clean's own files ----------------------------------
def test_overwrite_replaces_exactly_the_earlier_runs_outputs(tmp_path):
    """--overwrite used to remove every clean.jsonl* and rejected.jsonl*: a user's
    clean.jsonl.orig, or a clean-00099.jsonl that no run of ours wrote."""
    out = tmp_path / "out"
    assert invoke(SEEDS, "-o", out, "-q", "--shard-size", 10).exit_code == 0
    shards = sorted(p.name for p in out.glob("clean-*.jsonl"))
    assert len(shards) == 6
    mine = {"clean.jsonl.orig": "my backup", "notes.txt": "my notes",
            "clean-00099.jsonl": "not from a run", "rejected.jsonl.gz.bak": "mine too"}
    for name, text in mine.items():
        (out / name).write_text(text)
    assert invoke(SEEDS, "-o", out, "-q", "--overwrite", "--shard-size", 30).exit_code == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["outputs"] == ["clean-00000.jsonl", "clean-00001.jsonl", "dedup-report.json",
                                "rejected.jsonl", "stats.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*stats["outputs"], *mine])
    for name, text in mine.items():
        assert (out / name).read_text() == text
    # unsharded and compressed now: the shards of the run before go, the user's files stay
    assert invoke(SEEDS, "-o", out, "-q", "--overwrite", "--compress", "gz").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["clean.jsonl.gz", "dedup-report.json", "rejected.jsonl.gz", "stats.json", *mine])


def test_out_equal_to_dump_dir_is_refused_and_inputs_are_never_removed(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "clean.jsonl.gz").write_bytes((SEEDS / "000_5531a001d51d5e0c.txt").read_bytes())
    for out in (dump, dump / "." , tmp_path / "link"):
        if out.name == "link":
            out.symlink_to(dump)
        result = invoke(dump, "-o", out, "--overwrite")
        assert result.exit_code == 2
        assert "OUT is DUMP_DIR" in result.stderr
    assert (dump / "clean.jsonl.gz").exists()
    from corpus_clean.errors import InputError

    with pytest.raises(InputError, match="is the output directory"):
        clean_dir(dump, OutputWriter(dump, overwrite=True), Config(), workers=1)
    assert (dump / "clean.jsonl.gz").exists()


# --- overwrite is all or nothing ---------------------------------------------------------------
def test_a_run_killed_while_renaming_leaves_no_stats_json_and_the_next_knows_its_files(
        tmp_path, monkeypatch):
    """An interrupted --overwrite over a sharded run used to leave the old stats.json beside
    new partial shards: a result that looks complete. Now the old stats.json goes before any
    rename, and the manifest lets the next run remove the old shards."""
    from corpus_clean.output import writer as writer_module

    out = tmp_path / "out"
    assert invoke(SEEDS, "-o", out, "-q", "--shard-size", 10).exit_code == 0
    real = os.replace

    def power_cut(src, dst):  # the first rename of the commit: the process dies there
        if str(dst).endswith(".jsonl"):
            raise KeyboardInterrupt  # stands for SIGKILL: no cleanup of ours runs after it
        return real(src, dst)

    with monkeypatch.context() as m:
        m.setattr(writer_module.os, "replace", power_cut)
        m.setattr(OutputWriter, "abort", lambda self: None)  # SIGKILL: nothing cleans up
        killed = OutputWriter(out, overwrite=True, shard_records=30)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, killed, Config(), workers=1)
    killed._lock.release()  # as the kernel does for a process that died
    assert not (out / "stats.json").exists()  # visibly incomplete
    manifest = (out / writer_module.MANIFEST_NAME).read_text().split()
    assert "clean-00005.jsonl" in manifest and "clean-00001.jsonl" in manifest
    assert invoke(SEEDS, "-o", out, "-q", "--overwrite").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_a_run_that_fails_before_its_commit_leaves_the_earlier_result_whole(tmp_path):
    out = tmp_path / "out"
    assert invoke(SEEDS, "-o", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert invoke(empty, "-o", out, "-q", "--overwrite").exit_code == 1  # no readable file
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# --- two runs into one OUT -------------------------------------------------------------------
def test_a_second_run_into_the_same_out_is_refused_at_once_naming_the_first(tmp_path):
    """The first of two runs into one OUT used to die with a FileNotFoundError traceback (the
    second removed its temporary files)."""
    import time

    from corpus_clean.output.writer import LOCK_NAME

    out = tmp_path / "out"
    first = OutputWriter(out)  # holds the lock, as a running run does
    try:
        result = corpus_clean(SEEDS, "-o", out, "--overwrite", text=True)
        assert result.returncode == 1
        assert one_error_line(result.stderr) == (
            f"Error: {out}: another corpus-clean run (pid {os.getpid()}) is writing here; "
            "wait for it to end, or choose another output directory")
        assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # the first's, kept
    finally:
        first.abort()
    assert not (out / LOCK_NAME).exists()
    t0 = time.monotonic()
    assert invoke(SEEDS, "-o", out, "-q", "--overwrite").exit_code == 0  # free again
    assert time.monotonic() - t0 < 60
    # a lock of a process that died (SIGKILL) is released by the kernel
    code = (f"from corpus_clean import OutputWriter; import os; "
            f"OutputWriter({str(out)!r}, overwrite=True); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT)
    assert (out / LOCK_NAME).exists()  # left behind, but not held
    assert invoke(SEEDS, "-o", out, "-q", "--overwrite").exit_code == 0
    assert not (out / LOCK_NAME).exists()


# --- OUT inside DUMP_DIR ---------------------------------------------------------------------
def test_out_inside_the_dump_is_not_read_back(tmp_path):
    """Each later run used to read the earlier outputs as input: 65 -> 480 -> 2,266."""
    dump = tmp_path / "dump"
    import shutil

    shutil.copytree(SEEDS, dump)
    for _ in range(3):
        assert invoke(dump, "-o", dump / "out", "-q", "--overwrite").exit_code == 0
        stats = json.loads((dump / "out" / "stats.json").read_text())
        assert stats["records_in"] == 65
    for name in OUTPUTS:
        assert (dump / "out" / name).read_bytes() == (GOLDEN / name).read_bytes(), name


# --- any options, any settings: exit 0, 1 or 2, never a traceback ---------------------------
def _option_values():
    from hypothesis import strategies as st

    numbers = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                        st.sampled_from(["nan", "inf", "-1", "0", "1e309", "0x10", ""]))
    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    value = st.one_of(numbers.map(str), text)
    options = {
        "--keep": st.one_of(st.sampled_from(["first", "longest"]), text),
        "--near-threshold": value, "--shard-size": value, "--workers": value,
        "--compress": st.one_of(st.sampled_from(["gz", "zst"]), text),
        "--lang-backend": st.one_of(st.sampled_from(["none", "cld2"]), text),
        "--scheduler": text, "--dask-reads": text, "--executor": st.just("local"),
    }
    flags = ["--overwrite", "--resume", "--no-near-dedup", "-q", "--debug"]
    pair = st.sampled_from(sorted(options)).flatmap(
        lambda o: options[o].map(lambda v: [o, v]))
    flag = st.sampled_from(flags).map(lambda f: [f])
    return st.lists(st.one_of(pair, flag), max_size=4).map(lambda ps: sum(ps, []))


def _settings():
    """TOML texts: known keys (and a few unknown) with values of every TOML type."""
    from dataclasses import fields

    from hypothesis import strategies as st

    from corpus_clean.config import Config

    keys = st.sampled_from([f.name for f in fields(Config)] + ["nope", "workers "])
    values = st.one_of(st.integers(-2**63, 2**63 - 1).map(str),
                       st.floats(allow_nan=True).map(
                           lambda f: "nan" if f != f else ("inf" if f == float("inf") else
                                                           "-inf" if f == float("-inf") else
                                                           repr(f))),
                       st.booleans().map(lambda b: "true" if b else "false"),
                       st.text(max_size=8).map(lambda t: json.dumps(t)),
                       st.just("[1, 2]"), st.just("{a = 1}"), st.just("= broken"))
    return st.lists(st.tuples(keys, values), max_size=4).map(
        lambda kv: "".join(f"{k} = {v}\n" for k, v in kv))


def test_any_options_and_settings_end_in_0_1_or_2_without_a_traceback(tmp_path):
    """Property over the CLI's options and the settings file: whatever the values, the run
    ends with exit 0, 1 or 2, and never with a traceback or an uncaught exception."""
    import itertools
    import shutil

    from hypothesis import HealthCheck, given, settings

    counter = itertools.count()
    codes: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(args=_option_values(), toml=_settings())
    def check(args, toml):
        work = tmp_path / str(next(counter))
        work.mkdir()
        config = work / "c.toml"
        config.write_text(toml, encoding="utf-8")
        full = [str(SEEDS), "-o", str(work / "out"), "--config", str(config),
                "--lang-backend", "none", *args]
        result = CliRunner().invoke(cli, full)
        shutil.rmtree(work, ignore_errors=True)
        assert result.exit_code in (0, 1, 2), (full, toml, result.output)
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), (full, toml, result.exception)
        assert "Traceback" not in result.output, (full, toml, result.output)

    check()
    print(codes)
    assert set(codes) == {0, 1, 2}, codes  # it reached completed runs and both errors


def test_a_signal_that_lands_in_a_finalizer_is_raised_at_the_next_safe_point():
    """A handler that runs inside a __del__ or a gc callback (distributed installs one)
    used to raise there, where Python prints 'Exception ignored' and drops the exception:
    the stop was lost. It now re-sends the signal and raises it at the next safe point."""
    import sys
    import time

    from corpus_clean.cli.command import _StopSignals, _Terminated

    with _StopSignals() as stops:
        class Dying:
            def __del__(self):
                stops._handle(signal.SIGTERM, sys._getframe())  # as if it landed here

        Dying()  # __del__ runs now: no exception may come out of it
        assert stops.first is None
        with pytest.raises(_Terminated):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # the re-sent SIGTERM arrives here
                time.sleep(0.01)
        assert stops.first == signal.SIGTERM


def test_a_sigint_the_parent_left_ignored_stays_ignored(tmp_path):
    """A background job of a non-interactive shell starts with SIGINT ignored, so that Ctrl-C
    at the terminal does not reach it; corpus-clean, as Python, leaves that alone (SIGTERM
    still stops it)."""
    import time

    def ignore_sigint():
        default_stop_signals()
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "corpus_clean", str(SEEDS), "-o", str(out),
                             "-q", "--workers", "2"], cwd=ROOT, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=ignore_sigint)
    _wait_for_handlers(proc.pid)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name
