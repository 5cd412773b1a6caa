"""--resume: an interrupted run continues from the files it finished, and its outputs equal an
uninterrupted run's, byte for byte (corpus_clean/resume.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.dumps import build_dump
from support.paths import GOLDEN, ROOT, SEEDS, default_stop_signals

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.cli.command import cli
from corpus_clean.errors import ResumeError
from corpus_clean.engine.resume import CHECKPOINT_DIR, Checkpoint

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def journalled(out: Path) -> list[str]:
    """Sources with a completion line in the checkpoint's journal."""
    lines = (out / CHECKPOINT_DIR / "journal.jsonl").read_bytes().splitlines()[1:]
    return [json.loads(line)["source"] for line in lines]


def interrupt_after(monkeypatch, n_files: int) -> None:
    """Make the next run raise KeyboardInterrupt (as Ctrl-C does) right after the n-th file is
    journalled."""
    real = Checkpoint.complete
    done = [0]

    def complete(self, file_index, info):
        real(self, file_index, info)
        done[0] += 1
        if done[0] == n_files:
            raise KeyboardInterrupt
    monkeypatch.setattr(Checkpoint, "complete", complete)


def test_sigkill_at_a_random_point_then_resume_gives_identical_outputs(tmp_path):
    """The issue's acceptance test: SIGKILL a CLI run on a 2 MB dump once a seeded random
    number of its 40 files are journalled, resume, and compare all four outputs with an
    uninterrupted run's."""
    dump = build_dump(tmp_path / "dump", files=40, records=60, seed=1)
    assert 1_500_000 < sum(p.stat().st_size for p in dump.rglob("*") if p.is_file())
    options = ["--lang-backend", "none", "--workers", "2", "-q"]
    ref = tmp_path / "ref"
    assert run(dump, "-o", ref, *options).exit_code == 0

    out = tmp_path / "out"
    target = random.Random(6).randint(5, 30)  # files journalled before the kill
    proc = subprocess.Popen([sys.executable, "-m", "corpus_clean", str(dump), "-o", str(out),
                             *options], cwd=ROOT, stderr=subprocess.PIPE)
    journal = out / CHECKPOINT_DIR / "journal.jsonl"
    while proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") - 1 >= target:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    proc.stderr.close()
    assert not any((out / name).exists() for name in OUTPUTS)  # nothing looks complete
    done = journalled(out)
    assert target <= len(done) < 40

    result = run(dump, "-o", out, "--resume", *options[:-1])
    assert result.exit_code == 0, result.stderr
    assert f"resume: {len(done)} files" in result.stderr
    assert outputs(out) == outputs(ref)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # checkpoint removed


def test_interrupted_library_run_resumes_to_the_golden_outputs(tmp_path, monkeypatch):
    """Default settings (langdetect): Ctrl-C after 2 of the 5 seed files; the resumed run
    restores those 2, reads the other 3, and writes the golden outputs."""
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    assert not any((out / name).exists() for name in OUTPUTS)
    assert journalled(out) == sorted(p.name for p in SEEDS.iterdir())[:2]
    report = clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(), workers=1,
                       resume=True)
    assert report.resume.restored == journalled_names()[:2]
    assert report.resume.changed == []
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name
    assert not (out / CHECKPOINT_DIR).exists()


def journalled_names() -> list[str]:
    return sorted(p.name for p in SEEDS.iterdir())


def test_a_file_changed_since_the_interruption_is_read_again(tmp_path, monkeypatch, dump):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 3)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(dump, OutputWriter(out), Config(lang_backend="none"), workers=1)
    first = journalled_names()[0]
    (dump / first).write_bytes((dump / first).read_bytes() + b"\nA new abstract line added "
                               b"after the interruption, long enough to be kept as content.")
    report = clean_dir(dump, OutputWriter(out, overwrite=True), Config(lang_backend="none"),
                       workers=1, resume=True)
    assert report.resume.changed == [first]
    assert report.resume.restored == journalled_names()[1:3]
    fresh = tmp_path / "fresh"
    clean_dir(dump, OutputWriter(fresh), Config(lang_backend="none"), workers=1)
    assert outputs(out) == outputs(fresh)
    assert b"A new abstract line added" in (out / "clean.jsonl").read_bytes()


def test_torn_journal_line_and_truncated_data_file_are_redone(tmp_path, monkeypatch):
    """A kill can tear the journal's last line; a damaged data file fails its size check.
    Both files are read again and the outputs are still the golden ones."""
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 4)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    journal = out / CHECKPOINT_DIR / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    entry = json.loads(lines[1])
    data = out / CHECKPOINT_DIR / entry["data"]
    data.write_bytes(data.read_bytes()[:-10])
    report = clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(), workers=1,
                       resume=True)
    assert report.resume.restored == journalled_names()[1:3]
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_resume_without_a_checkpoint_runs_from_the_beginning(tmp_path):
    out = tmp_path / "out"
    result = run(SEEDS, "-o", out, "--resume")
    assert result.exit_code == 0
    assert "no checkpoint in the output directory; ran from the beginning" in result.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name
    # a completed OUT is not refused with --resume (nothing to resume: a full run again)
    (out / "notes.txt").write_text("mine")
    assert run(SEEDS, "-o", out, "--resume", "-q").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_resume_with_other_settings_is_refused_and_keeps_the_checkpoint(tmp_path,
                                                                          monkeypatch):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    result = run(SEEDS, "-o", out, "--resume", "--near-threshold", "0.7")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out / CHECKPOINT_DIR}: the checkpoint was made "
                                    "with other settings (near_threshold 0.8 -> 0.7)")
    assert "run without --resume" in result.stderr
    assert journalled(out) == journalled_names()[:2]
    with pytest.raises(ResumeError, match="lang_backend 'langdetect' -> 'none'"):
        clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(lang_backend="none"),
                  resume=True)
    # the same settings resume; the number of workers is not a setting that shapes results
    result = run(SEEDS, "-o", out, "--resume", "--workers", "2")
    assert result.exit_code == 0 and "resume: 2 files" in result.stderr


def test_a_run_without_resume_starts_a_new_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    with monkeypatch.context() as m:
        interrupt_after(m, 1)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    assert journalled(out) == journalled_names()[:1]


def test_stdout_output_has_no_checkpoint_and_resume_needs_a_directory(tmp_path):
    result = run(SEEDS, "-o", "-", "--resume")
    assert result.exit_code == 2 and "need an output directory" in result.stderr


def test_failed_run_removes_the_checkpoint_an_output_error_keeps_it(tmp_path, monkeypatch):
    """Nothing to resume after a run that cannot go on (no readable file); a full disk is
    worth resuming once space is freed."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert run(d, "-o", tmp_path / "o1").exit_code == 1
    assert list((tmp_path / "o1").iterdir()) == []

    import errno

    from corpus_clean.output import writer as writer_module

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(writer_module._JsonlSink, "write", full)
    out = tmp_path / "o2"
    result = run(SEEDS, "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out / 'rejected.jsonl'}: no space left on device\n"
    assert not any((out / name).exists() for name in OUTPUTS)
    assert (out / CHECKPOINT_DIR / "journal.jsonl").exists()
    monkeypatch.undo()
    result = run(SEEDS, "-o", out, "--resume")
    assert result.exit_code == 0
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "Interrupted"),
                                             (signal.SIGTERM, 143, "Terminated")])
def test_ctrl_c_and_sigterm_exit_codes_leave_no_output_and_a_checkpoint(tmp_path, sig, code,
                                                                         word):
    # 40 files at one worker: seconds of run after the second file is journalled, so that a
    # poller starved on a loaded machine still signals it mid-run
    dump = build_dump(tmp_path / "dump", files=40, records=60, seed=2)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "corpus_clean", str(dump), "-o", str(out),
                             "--lang-backend", "none", "--workers", "1"], cwd=ROOT,
                            stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
                            preexec_fn=default_stop_signals)
    journal = out / CHECKPOINT_DIR / "journal.jsonl"
    sent = False
    while proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 3:
            proc.send_signal(sig)
            sent = True
            break
        time.sleep(0.005)
    stderr = proc.communicate()[1].decode()
    assert sent, "the run ended before the test could signal it (machine too loaded?)"
    assert proc.returncode == code, stderr
    assert stderr.splitlines() == [f"{word}: no output was completed. Run again with --resume "
                                   "to continue from the files done."]
    assert sorted(p.name for p in out.iterdir()) == [CHECKPOINT_DIR]
    assert len(journalled(out)) >= 2


def test_a_resumed_run_interrupted_again_resumes_again(tmp_path, monkeypatch):
    """Restored files keep their journal lines, so a second interruption loses nothing."""
    out = tmp_path / "out"
    for n, resume in ((1, False), (3, True)):  # 1 file done; then 1 restored + 2 more done
        with monkeypatch.context() as m:
            interrupt_after(m, n)
            with pytest.raises(KeyboardInterrupt):
                clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(), workers=1,
                          resume=resume)
    assert sorted(set(journalled(out))) == journalled_names()[:3]
    report = clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(), workers=1,
                       resume=True)
    assert report.resume.restored == journalled_names()[:3]
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_restored_files_keep_their_read_facts_and_errors(tmp_path, monkeypatch, dump):
    """stats.json is identical after a resume even when the restored files had read errors,
    a legacy encoding, replaced bytes, a cut archive and an overlong line."""
    import gzip

    from support.paths import FIXTURES

    (dump / "0-a_image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (dump / "0-b_gbk.txt").write_bytes((FIXTURES / "gbk_abstracts.txt").read_bytes())
    seed = (SEEDS / "003_021855e50a64dd07.txt").read_bytes()
    (dump / "0-c_bad_utf8.txt").write_bytes(seed.replace(b"the ", b"the \xff", 3))
    z = gzip.compress(seed * 8, mtime=0)
    (dump / "0-d_cut.txt.gz").write_bytes(z[: len(z) * 2 // 3])
    (dump / "0-e_long.txt").write_bytes(b"x" * (4 * 2**20 + 10) + b"\n" + seed)
    config = Config(lang_backend="none")
    fresh = tmp_path / "fresh"
    clean_dir(dump, OutputWriter(fresh), config, workers=1)
    stats = json.loads((fresh / "stats.json").read_bytes())
    assert {e["reason"] for e in stats["errors"]} == {"binary_file", "truncated_file"}
    files = {f["source"]: f for f in stats["files"]}
    assert files["0-b_gbk.txt"]["encoding"] == "gb18030"
    assert files["0-c_bad_utf8.txt"]["replaced_bytes"] == 3
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        interrupt_after(m, 6)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(dump, OutputWriter(out), config, workers=1)
    report = clean_dir(dump, OutputWriter(out, overwrite=True), config, workers=1, resume=True)
    assert report.resume.restored[:5] == ["0-a_image.txt", "0-b_gbk.txt", "0-c_bad_utf8.txt",
                                          "0-d_cut.txt.gz", "0-e_long.txt"]
    assert outputs(out) == outputs(fresh)


def test_verbatim_repeats_across_restored_and_rescanned_files(tmp_path, monkeypatch, dump):
    """A restored file's records carry their outcomes, not memo keys (work.RepeatMemo): a
    spam line, a site heading and abstracts repeated verbatim in files before and after the
    interruption still end as in an uninterrupted run."""
    seed002 = next(p for p in sorted(dump.iterdir()) if p.name.startswith("002"))
    repeats = "\n".join(seed002.read_text(encoding="utf-8").splitlines()[:8]) + "\n"
    for name in ("000a_repeats.txt", "000b_repeats.txt", "009_repeats.txt"):
        (dump / name).write_text(repeats, encoding="utf-8")
    ref = tmp_path / "ref"
    clean_dir(dump, OutputWriter(ref), Config(), workers=1)
    out = tmp_path / "out"
    interrupt_after(monkeypatch, 3)  # 000, 000a and 000b restored; 001.. read again
    with pytest.raises(KeyboardInterrupt):
        clean_dir(dump, OutputWriter(out), Config(), workers=1)
    monkeypatch.undo()
    report = clean_dir(dump, OutputWriter(out, overwrite=True), Config(), workers=2, resume=True)
    assert len(report.resume.restored) == 3
    assert outputs(out) == outputs(ref)
    spam = [json.loads(ln) for ln in (out / "rejected.jsonl").read_bytes().splitlines()
            if json.loads(ln)["stage"] == "spam"]
    assert len(spam) == 4  # seed 002's spam line and its three verbatim copies


def test_a_restored_repeat_whose_first_copy_changed_is_signed_by_the_run(tmp_path, monkeypatch):
    """A verbatim repeat of a record of an earlier file skips its MinHash signature
    (work.RepeatMemo: it is an exact duplicate). When that earlier file changes before
    --resume and loses the record, the restored repeat is the first of its key: the run's
    process signs it, so its near duplicate in a later file is still found and the outputs are
    those of a fresh run on the files as they are now (it stopped with an AssertionError)."""
    seed003 = next(SEEDS.glob("003_*.txt"))
    abstracts = [ln for ln in seed003.read_text(encoding="utf-8").splitlines()
                 if len(ln) > 400][:4]
    first, others = abstracts[0], abstracts[1:]
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.txt").write_text(f"{first}\n{others[0]}\n", encoding="utf-8")
    (dump / "b.txt").write_text(f"{others[1]}\n{first}\n", encoding="utf-8")
    near = first.replace(first.split()[3], "modified", 1) + " We also release our code."
    (dump / "c.txt").write_text(f"{others[2]}\n{near}\n", encoding="utf-8")
    out = tmp_path / "out"
    interrupt_after(monkeypatch, 2)  # a.txt and b.txt journalled; b.txt's copy unsigned
    with pytest.raises(KeyboardInterrupt):
        clean_dir(dump, OutputWriter(out), Config(lang_backend="none"), workers=1)
    monkeypatch.undo()
    (dump / "a.txt").write_text(f"{others[0]}\n", encoding="utf-8")  # loses the first copy
    report = clean_dir(dump, OutputWriter(out, overwrite=True), Config(lang_backend="none"),
                       workers=1, resume=True)
    assert report.resume.restored == ["b.txt"] and report.resume.changed == ["a.txt"]
    fresh = tmp_path / "fresh"
    clean_dir(dump, OutputWriter(fresh), Config(lang_backend="none"), workers=1)
    assert outputs(out) == outputs(fresh)
    near_dups = [json.loads(ln) for ln in (out / "rejected.jsonl").read_bytes().splitlines()]
    assert [(r["id"], r["duplicate_of"]) for r in near_dups
            if r["reason"] == "near_duplicate"] == [("c.txt:2", "b.txt:2")]


# --- checkpoint checksums (issue: flipped bits) ---------------------------------------------
def _checkpoint_of_three_files(out: Path, monkeypatch) -> list[dict]:
    """Interrupt a library run on seeds/ after 3 files are journalled; return their lines."""
    with monkeypatch.context() as m:
        interrupt_after(m, 3)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(SEEDS, OutputWriter(out), Config(), workers=1)
    lines = (out / CHECKPOINT_DIR / "journal.jsonl").read_bytes().splitlines()[1:]
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("damage", ["flip_one_bit", "zero_a_block"])
def test_damaged_checkpoint_data_is_redone_and_the_rest_reused(tmp_path, monkeypatch, damage):
    """A flipped bit in a data file used to change clean.jsonl silently after --resume, and a
    zeroed block threw the whole checkpoint away: now that one file is read again, the others
    are restored, the outputs are the golden ones, and the message names the file."""
    out = tmp_path / "out"
    entries = _checkpoint_of_three_files(out, monkeypatch)
    victim = entries[1]
    data = out / CHECKPOINT_DIR / victim["data"]
    raw = bytearray(data.read_bytes())
    if damage == "flip_one_bit":
        at = raw.index(b"Google") if b"Google" in raw else len(raw) // 2
        raw[at] ^= 0x01  # 'G' -> 'F': still valid JSON text, a different record
    else:
        raw[len(raw) // 3: len(raw) // 3 + 512] = bytes(len(raw[len(raw) // 3: len(raw) // 3 + 512]))
    data.write_bytes(bytes(raw))
    result = run(SEEDS, "-o", out, "--resume")
    assert result.exit_code == 0, result.stderr
    assert (f"resume: saved results damaged (checksum), read again: {victim['source']}"
            in result.stderr)
    assert "2 files" in result.stderr  # the other two restored
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_a_damaged_journal_line_is_redone(tmp_path, monkeypatch):
    """A flipped bit inside a journal line (here its read facts: lines 40 -> 41) would change
    stats.json; the line's own checksum catches it, and that file is read again."""
    out = tmp_path / "out"
    entries = _checkpoint_of_three_files(out, monkeypatch)
    journal = out / CHECKPOINT_DIR / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"lines":%d' % entries[0]["info"]["lines"],
                                b'"lines":%d' % (entries[0]["info"]["lines"] + 1))
    journal.write_bytes(b"".join(lines))
    report = clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config(), workers=1,
                       resume=True)
    assert report.resume.restored == [e["source"] for e in entries[1:]]
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


@pytest.mark.parametrize("line", [b"null", b"[1, 2]", b'"text"', b"42",
                                  b'{"source": "000_5531a001d51d5e0c.txt"}'])
def test_a_journal_line_that_is_not_a_completion_object_is_redone(tmp_path, monkeypatch, line):
    """A journal line that is JSON but not a completion object (used to be a TypeError or
    KeyError traceback) counts as torn: the files journalled before it are restored."""
    out = tmp_path / "out"
    entries = _checkpoint_of_three_files(out, monkeypatch)
    journal = out / CHECKPOINT_DIR / "journal.jsonl"
    journal.write_bytes(journal.read_bytes() + line + b"\n")
    result = run(SEEDS, "-o", out, "--resume")
    assert result.exit_code == 0, result.stderr
    assert "3 files" in result.stderr, result.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name
    assert len(entries) == 3
