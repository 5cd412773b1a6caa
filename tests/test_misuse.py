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
from paths import GOLDEN, ROOT, SEEDS

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean import cli as cli_module
from corpus_clean.cli import cli
from corpus_clean.executor import max_workers

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
        assert isinstance(result.exception, ZeroDivisionError)


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
