"""The dedup index of earlier runs (``--index``): day after day against everything cleaned
before, on a real generated dump (tests/fixtures/dask_dump, split by file into days)."""

from __future__ import annotations

import gzip as gz
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from support.paths import FIXTURES, SEEDS

from corpus_clean import Config, InputError, OutputWriter, clean_dir
from corpus_clean.cli.command import cli
from corpus_clean.engine.dedup_index import INDEX_FORMAT, DedupIndex, IndexError_
from corpus_clean.engine.resume import CHECKPOINT_DIR
from corpus_clean.stages.language import RULES

DUMP = FIXTURES / "dask_dump"
DAYS = {"day1": ["000_629521dea5937686.txt.gz", "001_a7fa2c5d118ba2d5.txt.gz"],
        "day2": ["002_369c5939977e716e.txt.gz"],
        "day3": ["003_283035e7685fbccd.txt.gz", "004_c44f4c49c8887f0d.txt.gz"]}
CONFIG = Config(lang_backend="none")


def _days(tmp_path):
    """The dump split into three days, and the whole dump (the days' files together)."""
    whole = tmp_path / "all"
    whole.mkdir()
    for day, names in DAYS.items():
        (tmp_path / day).mkdir()
        for name in names:
            shutil.copy(DUMP / name, tmp_path / day / name)
            shutil.copy(DUMP / name, whole / name)
    return whole


def _kept(out):
    return [(r["id"], r["text"]) for r in map(json.loads, (out / "clean.jsonl").open())]


def _rejected(out):
    return [json.loads(line) for line in (out / "rejected.jsonl").open()]


@pytest.mark.parametrize("workers", [1, 2])
def test_day_by_day_with_the_index_keeps_what_one_run_over_all_days_keeps(tmp_path, workers):
    whole = _days(tmp_path)
    clean_dir(whole, OutputWriter(tmp_path / "out-all"), CONFIG, workers=workers)
    index = tmp_path / "index"
    for day in DAYS:
        clean_dir(tmp_path / day, OutputWriter(tmp_path / f"out-{day}"), CONFIG,
                  workers=workers, index=DedupIndex(index, CONFIG, create=True), run_name=day)
    by_day = [kept for day in DAYS for kept in _kept(tmp_path / f"out-{day}")]
    assert by_day == _kept(tmp_path / "out-all")
    # what the later days dropped as seen before: exact and near, naming the day that kept it
    seen = [r for day in ("day2", "day3") for r in _rejected(tmp_path / f"out-{day}")
            if r["reason"] in ("seen_before", "near_seen_before")]
    reasons = {r["reason"] for r in seen}
    assert reasons == {"seen_before", "near_seen_before"}
    kept_by = {day: {i for i, _ in _kept(tmp_path / f"out-{day}")} for day in DAYS}
    for r in seen:
        assert r["duplicate_of"] in kept_by[r["duplicate_run"]]
        assert r["stage"] == "dedup"
    assert not any("duplicate_run" in r for r in _rejected(tmp_path / "out-day1"))
    # the dedup report counts them apart from in-dump duplicates
    report = json.loads((tmp_path / "out-day3" / "dedup-report.json").read_text())
    stats = json.loads((tmp_path / "out-day3" / "stats.json").read_text())
    assert report["seen_before"]["runs_looked_up"] == ["day1", "day2"]
    assert report["seen_before"]["exact"] == stats["drops"]["dedup"]["seen_before"] > 0
    assert report["seen_before"]["near"] == stats["drops"]["dedup"]["near_seen_before"] > 0
    assert sum(report["seen_before"]["by_run"].values()) == \
        report["seen_before"]["exact"] + report["seen_before"]["near"]
    assert DedupIndex(index).runs[-1]["records"] == len(kept_by["day3"])
    # a run without an index writes the report it always wrote
    assert "seen_before" not in json.loads((tmp_path / "out-all" / "dedup-report.json"
                                            ).read_text())


def test_readonly_looks_up_without_adding_and_a_run_name_is_used_once(tmp_path):
    _days(tmp_path)
    index = tmp_path / "index"
    clean_dir(tmp_path / "day1", OutputWriter(tmp_path / "a"), CONFIG,
              index=DedupIndex(index, CONFIG, create=True), run_name="day1")
    manifest = (index / "manifest.json").read_bytes()
    clean_dir(tmp_path / "day1", OutputWriter(tmp_path / "b"), CONFIG,
              index=DedupIndex(index, CONFIG), run_name=None)
    assert (index / "manifest.json").read_bytes() == manifest
    assert _kept(tmp_path / "b") == []  # everything was kept by day1 already
    assert {r["reason"] for r in _rejected(tmp_path / "b")} >= {"seen_before"}
    with pytest.raises(InputError, match="'day1' is in the dedup index already"):
        clean_dir(tmp_path / "day2", OutputWriter(tmp_path / "c"), CONFIG,
                  index=DedupIndex(index, CONFIG), run_name="day1")
    assert (index / "manifest.json").read_bytes() == manifest


def _cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_index_info_compact_and_errors(tmp_path):
    _days(tmp_path)
    index = tmp_path / "index"
    for day in DAYS:
        result = _cli(tmp_path / day, "-o", tmp_path / f"out-{day}", "--index", index, "-q",
                      "--lang-backend", "none")
        assert result.exit_code == 0, result.output
    runs = DedupIndex(index).runs
    assert [r["name"] for r in runs] == ["out-day1", "out-day2", "out-day3"]
    result = _cli("index", "info", index, "--json")
    assert result.exit_code == 0 and json.loads(result.output)["runs"] == runs
    assert "out-day2" in _cli("index", "info", index).output
    # compaction: one segment, every run and record still found
    assert _cli("index", "compact", index).exit_code == 0
    [merged] = DedupIndex(index).runs
    assert merged["runs"] == ["out-day1", "out-day2", "out-day3"]
    assert merged["records"] == sum(r["records"] for r in runs)
    assert len(list((index / "segments").iterdir())) == 1
    result = _cli(tmp_path / "day2", "-o", tmp_path / "again", "--index", index,
                  "--index-readonly", "-q", "--lang-backend", "none")
    assert result.exit_code == 0, result.output
    assert _kept(tmp_path / "again") == []
    # each record named with the run that kept it, through the compacted segment
    assert {r["duplicate_run"] for r in _rejected(tmp_path / "again")
            if "duplicate_run" in r} == {"out-day1", "out-day2"}
    # settings of another index: one line naming them, exit 1
    result = _cli(tmp_path / "day1", "-o", tmp_path / "other", "--index", index,
                  "--near-threshold", "0.7")
    assert result.exit_code == 1
    assert "near_threshold=0.8 in the index, 0.7 here" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    # usage errors
    assert _cli(tmp_path / "day1", "-o", tmp_path / "x", "--run-name", "x").exit_code == 2
    result = _cli(tmp_path / "day1", "-o", tmp_path / "y", "--index", index,
                  "--executor", "dask")
    assert result.exit_code == 1 and "--index works with the local executor only" in \
        result.output
    result = _cli("index", "info", tmp_path / "nothing")
    assert result.exit_code == 1 and "not a dedup index" in result.output


def test_an_index_of_a_newer_format_and_a_corrupt_segment_are_one_line_errors(tmp_path):
    _days(tmp_path)
    index = tmp_path / "index"
    clean_dir(tmp_path / "day1", OutputWriter(tmp_path / "a"), CONFIG,
              index=DedupIndex(index, CONFIG, create=True), run_name="day1")
    manifest = json.loads((index / "manifest.json").read_text())
    segment = index / "segments" / manifest["runs"][0]["segment"]
    # a corrupt segment: its shingles cut short
    shingles = segment / "shingles.npy"
    saved = shingles.read_bytes()
    shingles.write_bytes(saved[:len(saved) // 2])
    result = _cli(tmp_path / "day2", "-o", tmp_path / "b", "--index", index, "-q")
    assert result.exit_code == 1
    assert str(segment) in result.output and "cannot be read" in result.output
    assert "Traceback" not in result.output
    arr = np.load(shingles.with_name("exact_rec.npy"))
    np.save(shingles.with_name("exact_rec.npy"), arr[:-1])  # arrays that disagree
    shingles.write_bytes(saved)
    result = _cli(tmp_path / "day2", "-o", tmp_path / "c", "--index", index, "-q")
    assert result.exit_code == 1 and "is corrupt" in result.output
    np.save(shingles.with_name("exact_rec.npy"), arr)
    # a newer format
    manifest["format"] = INDEX_FORMAT + 1
    (index / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match=f"index format {INDEX_FORMAT + 1} is newer"):
        DedupIndex(index, CONFIG)
    result = _cli("index", "info", index)
    assert result.exit_code == 1 and "is newer than this corpus-clean reads" in result.output
    # a directory of other files is not taken for an index
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(IndexError_, match="a directory with other files"):
        DedupIndex(tmp_path / "mine", CONFIG, create=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


_KILL_BETWEEN = """
import os, signal, sys
from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.engine import dedup_index
from corpus_clean.engine.dedup_index import DedupIndex

real = dedup_index.DedupIndex._write_manifest
def killed(self, manifest):  # the new segment is in place; the manifest not yet replaced
    os.kill(os.getpid(), signal.SIGKILL)
dedup_index.DedupIndex._write_manifest = killed
config = Config(lang_backend="none")
clean_dir(sys.argv[1], OutputWriter(sys.argv[2]), config,
          index=DedupIndex(sys.argv[3], config, create=True), run_name="day2")
"""


def test_sigkill_between_segment_and_manifest_leaves_the_old_index_whole(tmp_path):
    _days(tmp_path)
    index = tmp_path / "index"
    clean_dir(tmp_path / "day1", OutputWriter(tmp_path / "out-day1"), CONFIG,
              index=DedupIndex(index, CONFIG, create=True), run_name="day1")
    manifest = (index / "manifest.json").read_bytes()
    proc = subprocess.run([sys.executable, "-c", _KILL_BETWEEN, str(tmp_path / "day2"),
                           str(tmp_path / "killed"), str(index)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert (index / "manifest.json").read_bytes() == manifest
    assert len(list((index / "segments").iterdir())) == 2  # the orphan, not in the manifest
    # the old index is usable: day 2 again, as if the killed run had never been
    clean_dir(tmp_path / "day2", OutputWriter(tmp_path / "out-day2"), CONFIG,
              index=DedupIndex(index, CONFIG), run_name="day2")
    assert [r["name"] for r in DedupIndex(index).runs] == ["day1", "day2"]
    # compaction removes the orphan
    DedupIndex(index).compact()
    assert len(list((index / "segments").iterdir())) == 1


def test_resume_after_sigkill_during_the_second_day_keeps_what_one_run_keeps(tmp_path):
    """The second day's run is killed (SIGKILL) in the middle of its scan; --resume
    completes it and adds it to the index; then the third day: the same records as one run
    over all days."""
    whole = _days(tmp_path)
    clean_dir(whole, OutputWriter(tmp_path / "out-all"), CONFIG)
    index = tmp_path / "index"
    base = [sys.executable, "-m", "corpus_clean"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for day in ("day1",):
        subprocess.run([*base, tmp_path / day, "-o", tmp_path / f"out-{day}", "--index",
                        index, "-q", "--lang-backend", "none"], check=True, env=env)
    big = tmp_path / "day2"  # the second day, large enough to be killed in the middle
    for k in range(6):
        shutil.copy(DUMP / DAYS["day2"][0], big / f"002_{k}_copy.txt.gz")
    cmd = [*base, big, "-o", tmp_path / "out-day2", "--index", index, "-q",
           "--lang-backend", "none", "--workers", "1"]
    proc = subprocess.Popen(cmd, env=env)
    journal = tmp_path / "out-day2" / CHECKPOINT_DIR / "journal.jsonl"
    while proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 2:  # a file journalled
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert [r["name"] for r in DedupIndex(index).runs] == ["out-day1"]  # unchanged
    subprocess.run([*cmd, "--resume"], check=True, env=env)
    subprocess.run([*base, tmp_path / "day3", "-o", tmp_path / "out-day3", "--index", index,
                    "-q", "--lang-backend", "none"], check=True, env=env)
    assert [r["name"] for r in DedupIndex(index).runs] == ["out-day1", "out-day2", "out-day3"]
    # one run over the same files (the second day's copies are exact duplicates of its file)
    whole2 = tmp_path / "all2"
    whole2.mkdir()
    for day in DAYS:
        for p in (tmp_path / day).iterdir():
            shutil.copy(p, whole2 / p.name)
    clean_dir(whole2, OutputWriter(tmp_path / "out-all2"), CONFIG)
    by_day = [kept for day in DAYS for kept in _kept(tmp_path / f"out-{day}")]
    assert by_day == _kept(tmp_path / "out-all2")


def test_a_seed_record_seen_before_names_the_run_that_kept_it(tmp_path):
    dump = tmp_path / "seeds"
    shutil.copytree(SEEDS, dump)
    index = tmp_path / "index"
    clean_dir(dump, OutputWriter(tmp_path / "first"), CONFIG,
              index=DedupIndex(index, CONFIG, create=True), run_name="monday")
    clean_dir(dump, OutputWriter(tmp_path / "second"), CONFIG,
              index=DedupIndex(index, CONFIG, create=True), run_name="tuesday")
    first = _kept(tmp_path / "first")
    assert len(first) == 53 and _kept(tmp_path / "second") == []
    seen = [r for r in _rejected(tmp_path / "second") if r["reason"] == "seen_before"]
    assert sorted(r["duplicate_of"] for r in seen) == sorted(i for i, _ in first)
    assert {r["duplicate_run"] for r in seen} == {"monday"}
    assert all(r["detail"].endswith("kept by run 'monday'") for r in seen)


# --- corpus-clean explain ------------------------------------------------------------------

def _explain(out, rid, *extra):
    result = _cli("explain", out, rid, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_explain_each_kind_of_outcome_on_the_seeds(tmp_path):
    out = tmp_path / "out"
    clean_dir(SEEDS, OutputWriter(out), Config())
    rows = {r["id"]: r for r in _rejected(out)}
    # spam: every signal, the score against the threshold
    spam = _explain(out, "002_3e3487d38700c770.txt:1")
    assert (spam["outcome"], spam["stage"], spam["reason"]) == ("rejected", "spam", "spam")
    [score] = [c for c in spam["checks"] if c["measure"] == "spam_score"]
    assert score["value"] >= 0.5 and score["threshold"] == "< 0.5" and score["passes"] is False
    assert {c["measure"].split()[1] for c in spam["checks"] if c["measure"].startswith("signal")
            } >= {"stuffing", "lexicon", "seo", "homoglyphs"}
    # boilerplate: the rule that matched
    boiler = next(r for r in rows.values() if r["stage"] == "boilerplate")
    got = _explain(out, boiler["id"])
    [rule] = [c for c in got["checks"] if c["measure"] == "rule"]
    assert rule["value"] == boiler["reason"] and rule["passes"] is False
    # an exact duplicate: the record it duplicates, both texts, similarity 1
    dup = next(r for r in rows.values() if r["reason"] == "exact_duplicate")
    got = _explain(out, dup["id"])
    assert got["duplicate"]["of"] == dup["duplicate_of"]
    assert got["duplicate"]["text"] == next(r["text"] for r in map(
        json.loads, (out / "clean.jsonl").open()) if r["id"] == dup["duplicate_of"])
    assert got["duplicate"]["jaccard"] == 1.0
    assert got["duplicate"]["shared_shingles"] == got["duplicate"]["shingles"][0] > 0
    # a kept record: every measure passes, and the language decision
    kept = _explain(out, "000_5531a001d51d5e0c.txt:1")
    assert kept["outcome"] == "kept" and all(c["passes"] is not False for c in kept["checks"])
    assert kept["language"]["lang"] == "zh-cn" and "script rule" in kept["language"]["rule"]
    english = _explain(out, "000_5531a001d51d5e0c.txt:3")
    assert (english["language"]["lang"], english["language"]["backend"],
            english["language"]["rule"]) == ("en", "langdetect", RULES["backend"])
    # the terminal rendering
    result = _cli("explain", out, dup["id"])
    assert result.exit_code == 0 and "exact_duplicate" in result.output
    assert "Jaccard similarity 1.000" in result.output
    # an id that is not there: one line, exit 1
    result = _cli("explain", out, "no-such-file.txt:1")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out}: no record 'no-such-file.txt:1' in the " \
                                    "outputs of this run"


def test_explain_a_near_duplicate_and_a_record_seen_in_an_earlier_run(tmp_path):
    _days(tmp_path)
    index = tmp_path / "index"
    for day in ("day1", "day2"):
        clean_dir(tmp_path / day, OutputWriter(tmp_path / f"out-{day}"), CONFIG,
                  index=DedupIndex(index, CONFIG, create=True), run_name=day)
    rejected = _rejected(tmp_path / "out-day2")
    near = next(r for r in rejected if r["reason"] == "near_seen_before")
    got = _explain(tmp_path / "out-day2", near["id"], "--index", index)
    dup = got["duplicate"]
    assert (dup["of"], dup["run"]) == (near["duplicate_of"], "day1")
    assert dup["text"] is not None  # read from day1's output, which the index names
    assert dup["jaccard"] >= 0.8 and abs(dup["jaccard"] - float(
        near["detail"].split("=")[1].split()[0])) < 0.001
    assert 0 < dup["shared_shingles"] <= min(dup["shingles"])
    # without the index, the earlier text is not at hand: said, not guessed
    got = _explain(tmp_path / "out-day2", near["id"])
    assert got["duplicate"]["text"] is None and got["duplicate"]["run"] == "day1"
    in_run = next((r for r in rejected if r["reason"] == "near_duplicate"), None)
    if in_run is not None:
        got = _explain(tmp_path / "out-day2", in_run["id"])
        assert got["duplicate"]["jaccard"] >= 0.8 and got["duplicate"]["run"] is None


def test_explain_reads_compressed_and_sharded_outputs_and_names_a_damaged_one(tmp_path):
    out = tmp_path / "out"
    clean_dir(SEEDS, OutputWriter(out, compress="gz", shard_records=20),
              Config(lang_backend="none"))
    assert (out / "clean-00001.jsonl.gz").exists()
    kept = _explain(out, "004_ba04f5894699183e.txt:1")
    assert kept["outcome"] in ("kept", "rejected") and kept["text"]
    rejected = out / "rejected.jsonl.gz"
    data = gz.decompress(rejected.read_bytes())
    rejected.write_bytes(gz.compress(data)[: len(gz.compress(data)) // 2])  # cut short
    result = _cli("explain", out, "no-such:1")
    assert result.exit_code == 1 and "rejected.jsonl.gz: cannot be read to the end" in \
        result.output and "Traceback" not in result.output
