"""Bad input and faults not covered elsewhere (test_reader.py, test_cli.py, test_jsonl.py,
test_resume.py): a full disk, unreadable files, symlink loops, deep folders, NUL bytes, a line
longer than the memory budget, files that change while being read. Each case ends in a clear
message, a meaningful exit code, and every record accounted for."""

from __future__ import annotations

import errno
import json
import os
import re
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.helpers_io import read_all, seed_bytes, write
from support.paths import SEEDS

from corpus_clean import Config
from corpus_clean.engine import pipeline
from corpus_clean.reading import reader
from corpus_clean.cli.command import cli
from corpus_clean.reading.reader import LONG_LINE_PREVIEW, MAX_LINE_CHARS, LongLine

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_accounted(out: Path) -> dict:
    """Every record once in clean + rejected, and stats.json agrees; return stats."""
    stats = json.loads((out / "stats.json").read_text())
    ids = [r["id"] for r in rows(out / "clean.jsonl") + rows(out / "rejected.jsonl")]
    assert len(ids) == len(set(ids)) == stats["records_in"] == stats["kept"] + stats["rejected"]
    return stats


# --- full disk, unwritable output ---------------------------------------------------------

def test_disk_full_while_writing_is_exit_1_naming_the_file(tmp_path, monkeypatch):
    from corpus_clean.output import writer as writer_module

    real, real_many = writer_module._JsonlSink.write, writer_module._JsonlSink.write_many
    written = [0]

    def count(records):  # the disk fills up in the middle of the clean output
        written[0] += records
        if written[0] > 30:
            raise OSError(errno.ENOSPC, "No space left on device")

    def fills_up(self, data):
        count(1)
        real(self, data)

    def fills_up_many(self, rows, records):  # the clean rows of a tagged batch
        count(records)
        real_many(self, rows, records)
    monkeypatch.setattr(writer_module._JsonlSink, "write", fills_up)
    monkeypatch.setattr(writer_module._JsonlSink, "write_many", fills_up_many)
    out = tmp_path / "out"
    result = run(SEEDS, "-o", out, "-q")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out / 'clean.jsonl'}: no space left on device\n"
    assert [p.name for p in out.iterdir()] == [".corpus-clean.resume"]  # no output, no temp


def test_disk_full_in_the_report_files_is_exit_1(tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    def opener(file, mode="r", *args, **kwargs):
        if str(file).endswith(".stats.json.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", opener)
    out = tmp_path / "out"
    result = run(SEEDS, "-o", out, "-q")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out}: no space left on device\n"
    assert not any((out / name).exists() for name in OUTPUTS)


def test_disk_full_in_the_checkpoint_is_exit_1_naming_it(tmp_path, monkeypatch):
    from corpus_clean.engine import resume

    def full(self, line):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(resume.Checkpoint, "_append", full)
    out = tmp_path / "out"
    result = run(SEEDS, "-o", out, "-q")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out / '.corpus-clean.resume'}: no space left on device\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only directory")
def test_read_only_output_directory_is_exit_1(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = run(SEEDS, "-o", out, "-q")
    finally:
        out.chmod(0o700)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}") and "cannot write" in result.stderr


# --- unreadable input ---------------------------------------------------------------------

def test_unreadable_file_is_rejected_and_the_rest_processed(dump, tmp_path, monkeypatch):
    """A file the user may not read (simulated: tests may run as root, who reads anything)."""
    (dump / "010_secret.txt").write_bytes(seed_bytes("000"))
    real = reader._open_decompressed

    def denied(path, info):
        if path.name == "010_secret.txt":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, info)
    monkeypatch.setattr(reader, "_open_decompressed", denied)
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0
    assert "warning: 010_secret.txt: cannot read (Permission denied)" in result.stderr
    stats = assert_accounted(out)
    assert stats["errors"] == [{"source": "010_secret.txt", "reason": "unreadable",
                                "message": "010_secret.txt: cannot read (Permission denied)"}]
    assert stats["kept"] == 53  # the seeds are all there
    read = [r for r in rows(out / "rejected.jsonl") if r["stage"] == "read"]
    assert [(r["id"], r["reason"], r["line"]) for r in read] == [
        ("010_secret.txt", "unreadable", None)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_permissions(dump, tmp_path):
    secret = dump / "010_secret.txt"
    secret.write_bytes(seed_bytes("000"))
    secret.chmod(0)
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0 and "010_secret.txt: cannot read" in result.stderr
    assert assert_accounted(out)["errors"][0]["reason"] == "unreadable"


# --- tree shapes --------------------------------------------------------------------------

def test_symlink_loops_end_to_end(dump, tmp_path):
    """A directory link to an ancestor is not followed; two file links pointing at each other
    are an unreadable file (ELOOP), reported, and the run completes."""
    os.symlink(dump, dump / "loop", target_is_directory=True)
    os.symlink(dump / "b.txt", dump / "a.txt")
    os.symlink(dump / "a.txt", dump / "b.txt")
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0
    stats = assert_accounted(out)
    assert [(e["source"], e["reason"]) for e in stats["errors"]] == [
        ("a.txt", "unreadable"), ("b.txt", "unreadable")]
    assert "Too many levels of symbolic links" in stats["errors"][0]["message"]
    assert stats["kept"] == 53 and len(stats["files"]) == 7  # loop/ was not entered


def test_deeply_nested_folders(tmp_path):
    dump = tmp_path / "dump"
    deep = dump.joinpath(*["d"] * 150)
    deep.mkdir(parents=True)
    (deep / "x.txt").write_bytes(seed_bytes("004"))
    (dump / "top.txt").write_bytes(seed_bytes("000"))
    out = tmp_path / "out"
    assert run(dump, "-o", out, "-q").exit_code == 0
    stats = assert_accounted(out)
    source = "d/" * 150 + "x.txt"
    assert [f["source"] for f in stats["files"]] == [source, "top.txt"]
    assert all(r["source"] == source for r in rows(out / "clean.jsonl")[:5])


# --- NUL bytes ----------------------------------------------------------------------------

def test_nul_bytes_after_the_sample_are_removed_from_text(tmp_path):
    """Decision: a NUL byte in the first 64 KiB marks a file binary (binary_file, see
    test_reader.py); further on, inside text, NULs are removed with the other control
    characters by ftfy and the record is kept."""
    body = b"\n".join([seed_bytes(k) for k in ("000", "001", "003", "004")] * 2)
    assert len(body) > 64 * 1024
    line = b"A late abstract with stray\x00 NUL\x00\x00 bytes in it, long enough to keep as text."
    dump = tmp_path / "dump"
    write(dump, "a.txt", body + b"\n" + line)
    out = tmp_path / "out"
    assert run(dump, "-o", out, "-q").exit_code == 0
    assert_accounted(out)
    texts = [r["text"] for r in rows(out / "clean.jsonl")]
    assert "A late abstract with stray NUL bytes in it, long enough to keep as text." in texts
    assert not any("\x00" in t for t in texts)


# --- one line longer than the memory budget ----------------------------------------------

def test_50_mb_line_is_streamed_past_never_held_whole(tmp_path):
    """50 MB with no newline: one LongLine (first 1,000 characters, full length counted),
    read with a peak of Python allocations far below the line's size."""
    path = tmp_path / "one-line.txt"
    unit = b"All work and no play makes Jack a dull boy. "
    n = 50 * 10**6 // len(unit)
    with open(path, "wb") as f:
        for _ in range(50):
            f.write(unit * (n // 50))
        f.write(b"THE END")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        got = read_all(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got.error is None and len(got.lines) == 1
    (line,) = got.lines
    assert isinstance(line, LongLine) and line.chars == size
    assert line == unit.decode() * (LONG_LINE_PREVIEW // len(unit)) + unit.decode()[
        : LONG_LINE_PREVIEW % len(unit)]
    # bounded by the line limit (4 Mi characters, 1 byte each here) plus a few chunks
    assert peak < MAX_LINE_CHARS + 16 * 2**20, f"peak {peak:,} bytes for a {size:,}-byte line"
    print(f"50 MB single line: peak traced memory {peak / 2**20:.1f} MiB")


def test_long_line_limit_with_small_limits_and_line_ends(tmp_path):
    """The limit is exact, other lines around an overlong one are untouched, CRLF/CR work."""
    text = "short one\r\n" + "x" * 50 + "\r\n" + "y" * 20 + "\rlast"
    path = write(tmp_path, "a.txt", text.encode())
    got = read_all(path, chunk_bytes=7, max_line_chars=20)
    assert [str(s) for s in got.lines] == ["short one", "x" * 50, "y" * 20, "last"]
    assert [getattr(s, "chars", None) for s in got.lines] == [None, 50, None, None]


def test_overlong_line_is_rejected_with_a_reason_and_the_rest_kept(dump, tmp_path):
    big = "word " * (MAX_LINE_CHARS // 5 + 1000)
    write(dump, "010_blob.txt", (seed_bytes("000").decode() + "\n" + big + "\nAn abstract "
                                 "after the blob, long enough to be kept as content.").encode())
    out = tmp_path / "out"
    assert run(dump, "-o", out, "-q", "--lang-backend", "none").exit_code == 0
    assert_accounted(out)
    blob = [r for r in rows(out / "rejected.jsonl") if r["source"] == "010_blob.txt"
            and r["stage"] == "read"]
    n_seed_lines = seed_bytes("000").count(b"\n") + 1
    assert [(r["reason"], r["line"], len(r["text"])) for r in blob] == [
        ("line_too_long", n_seed_lines + 1, LONG_LINE_PREVIEW)]
    assert f"{len(big):,} characters, over the limit of {MAX_LINE_CHARS:,}" in blob[0]["detail"]
    kept = [r["text"] for r in rows(out / "clean.jsonl") if r["source"] == "010_blob.txt"]
    assert kept[-1] == "An abstract after the blob, long enough to be kept as content."


def test_overlong_jsonl_line_is_rejected(tmp_path):
    dump = tmp_path / "dump"
    big = '{"text": "' + "z" * 200 + '"}'
    ok = '{"text": "A JSON Lines record that is fine and long enough to be kept."}'
    write(dump, "a.jsonl", (big + "\n" + ok + "\n").encode())
    info = reader.FileInfo("a.jsonl")
    items = list(pipeline.FileReader(reader.InputFile(dump / "a.jsonl", "a.jsonl"), info,
                                     Config()))
    assert [d is None for _, d in items] == [True, True]  # under the default limit
    got = read_all(dump / "a.jsonl", max_line_chars=100)
    assert isinstance(got.lines[0], LongLine) and not isinstance(got.lines[1], LongLine)


# --- a file that changes while it is read ------------------------------------------------

def _change_after_first_read(path: Path, change, opening: int = 0):
    """A reader._open_decompressed whose stream over ``path`` (its ``opening``-th: 0, the
    run reads the file's head; 1, its blocks) calls ``change()`` after its first read."""
    real = reader._open_decompressed
    done = []
    opened = []

    def open_decompressed(file_path, info):
        stream = real(file_path, info)
        if file_path != path:
            return stream
        opened.append(1)
        if len(opened) != opening + 1:
            return stream
        read = stream.read

        def read_then_change(*args):
            data = read(*args)
            if not done:
                done.append(1)
                change()
            return data
        stream.read = read_then_change
        return stream
    return open_decompressed


def _append(path: Path, data: bytes):
    def change():
        with open(path, "ab") as f:
            f.write(data)
        os.utime(path, ns=(1, 1))  # and a different mtime, as any write gives
    return change


@pytest.mark.parametrize("opening", [0, 1], ids=["head", "blocks"])
@pytest.mark.parametrize("change", ["grows", "truncated"])
def test_file_changed_while_read_is_flagged_and_not_checkpointed(dump, tmp_path, monkeypatch,
                                                                 change, opening):
    """Decision: the records are the lines actually read (nothing is lost: they are all in
    clean or rejected), the file is named on stderr and in stats.json errors
    (changed_while_read), exit 0; its results are not checkpointed, so --resume reads it
    again."""
    target = dump / "002_3e3487d38700c770.txt"
    if change == "grows":
        wrapper = _change_after_first_read(target, _append(
            target, b"\nA line appended while the file was being read, long enough to be "
                    b"content."), opening)
    else:
        wrapper = _change_after_first_read(target, lambda: os.truncate(target, 10), opening)
    monkeypatch.setattr(reader, "_open_decompressed", wrapper)
    from corpus_clean.engine import resume
    journalled = []
    real_complete = resume.Checkpoint.complete

    def complete(self, index, info):
        real_complete(self, index, info)
        journalled.append((info.source, (self.dir / "journal.jsonl").read_bytes().count(b"\n")))
    monkeypatch.setattr(resume.Checkpoint, "complete", complete)
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q", "--lang-backend", "none")
    assert result.exit_code == 0
    assert "warning: 002_3e3487d38700c770.txt: changed while being read" in result.stderr
    stats = assert_accounted(out)
    assert [(e["source"], e["reason"]) for e in stats["errors"]] == [
        ("002_3e3487d38700c770.txt", "changed_while_read")]
    counts = [n for _, n in journalled]
    assert counts == [2, 3, 3, 4, 5]  # the changed file (third) added no completion line
    if change == "grows":  # the appended line was read (the read goes to the end)
        assert any("appended while the file" in r["text"] for r in rows(out / "clean.jsonl"))


def test_every_row_of_the_fault_table_names_tests_that_exist():
    from support.paths import ROOT

    section = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    rows_ = [line for line in section.splitlines() if line.startswith("| ")
             and not line.startswith("| bad input") and not line.startswith("|---")]
    assert len(rows_) >= 25
    for row in rows_:
        named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", row)
        assert named, f"no test named in: {row[:60]}"
        for file, name in named:
            source = (ROOT / "tests" / file).read_text(encoding="utf-8")
            assert f"def {name}(" in source, f"{file}::{name}"


def test_a_stop_signal_inside_fdopen_stays_a_stop_signal(tmp_path, monkeypatch):
    """A KeyboardInterrupt inside os.fdopen (which then closes the descriptor itself, as
    io.open does) reaches the caller as it is: closing the descriptor a second time raised
    EBADF, which replaced it, so the file was reported unreadable and the run went on (seen
    once under load as 'a/004.txt: cannot read (Bad file descriptor)' after a Ctrl-C)."""
    from corpus_clean.reading import reader

    path = tmp_path / "a.txt"
    path.write_text("text\n", encoding="utf-8")
    real = os.fdopen

    def interrupted(fd, *args, **kwargs):
        os.close(fd)  # what io.open does with its descriptor when it fails part-way
        raise KeyboardInterrupt

    monkeypatch.setattr(reader.os, "fdopen", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reader.open_regular(path)
    monkeypatch.setattr(reader.os, "fdopen", real)
    with reader.open_regular(path) as f:
        assert f.read() == b"text\n"
