"""The pipeline as a library: conservation, determinism, architecture rules, documentation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import ROOT, SEEDS

from corpus_clean import Config, InputError, OutputWriter, clean_dir
from corpus_clean.errors import ConservationError
from corpus_clean.stages.registry import build_stages
from corpus_clean.reading.reader import REASONS as READ_REASONS
from corpus_clean.records import Drop
from corpus_clean.stages import boilerplate, dedup, markers, neardup, quality, repetition, spam

SEED_LINES = [line for p in sorted(SEEDS.iterdir())
              for line in p.read_text(encoding="utf-8").splitlines()]


def test_library_does_not_import_click_or_rich():
    code = ("import sys, corpus_clean, corpus_clean.engine.pipeline; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_stages_are_in_the_documented_order():
    assert [s.name for s in build_stages(Config())] == ["extract", "markers", "boilerplate",
                                                        "spam", "quality"]


def test_every_drop_reason_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reasons = (READ_REASONS + markers.REASONS + boilerplate.REASONS + repetition.REASONS
               + spam.REASONS + quality.REASONS + dedup.REASONS + neardup.REASONS)
    for reason in reasons:
        assert f"`{reason}`" in readme, reason


def test_stdout_writer_gets_the_same_clean_bytes(tmp_path):
    import io

    buf = io.BytesIO()
    clean_dir(SEEDS, OutputWriter(None, stream=buf))
    clean_dir(SEEDS, OutputWriter(tmp_path / "out"))
    assert buf.getvalue() == (tmp_path / "out" / "clean.jsonl").read_bytes()


def test_conservation_failure_is_loud(tmp_path, monkeypatch):
    from corpus_clean.output import report as report_module

    real = report_module.Report.count_dropped

    def forgetful(self, source, stage, *rest):  # a bug that loses a record's count
        if stage != "spam":
            real(self, source, stage, *rest)
    monkeypatch.setattr(report_module.Report, "count_dropped", forgetful)
    with pytest.raises(ConservationError, match="records were lost"):
        clean_dir(SEEDS, OutputWriter(tmp_path / "out"))
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written


def test_missing_dump_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        clean_dir(tmp_path / "nope", OutputWriter(None, stream=open("/dev/null", "wb")))


def test_drop_is_plain_data():
    d = Drop("spam", "spam", "spam_score=0.90 >= 0.50")
    assert (d.stage, d.reason, d.duplicate_of) == ("spam", "spam", None)


# Random dumps made of real seed lines, blank lines, junk and random Unicode: every record
# must be accounted for, and a second run must give the same bytes.
_line = st.one_of(
    st.sampled_from(SEED_LINES),
    st.just(""),
    st.text(max_size=80),
    st.sampled_from(["translated by 谷歌翻译", "相關內容", "北京阿比特科技有限公司", "由百度翻译"]),
)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=st.lists(st.lists(_line, max_size=12), min_size=1, max_size=3),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_every_record_is_accounted_for(tmp_path_factory, files, newline):
    dump = tmp_path_factory.mktemp("dump")
    for i, lines in enumerate(files):
        (dump / f"{i:03d}.txt").write_text(newline.join(lines), encoding="utf-8",
                                           newline="")
    outs = []
    for run in range(2):
        out = dump.parent / f"{dump.name}-out{run}"
        if all("\x00" in "".join(lines) for lines in files):
            # every file holds a NUL byte, so every file is binary: the run cannot go on
            with pytest.raises(InputError, match="no readable file"):
                clean_dir(dump, OutputWriter(out, overwrite=True))
            assert not (out / "stats.json").exists()
            return
        report = clean_dir(dump, OutputWriter(out, overwrite=True))
        assert report.records_in == report.kept + report.rejected
        n_clean = len((out / "clean.jsonl").read_bytes().splitlines())
        n_rej = len((out / "rejected.jsonl").read_bytes().splitlines())
        assert (n_clean, n_rej) == (report.kept, report.rejected)
        stats = json.loads((out / "stats.json").read_text())
        assert stats["records_in"] == sum(f["records_in"] for f in stats["files"])
        outs.append([(out / n).read_bytes() for n in ("clean.jsonl", "rejected.jsonl",
                                                      "stats.json", "dedup-report.json")])
    assert outs[0] == outs[1]


def _run_outputs(dump_dir, out, workers=1, config=Config()):
    clean_dir(dump_dir, OutputWriter(out, overwrite=True), config, workers=workers)
    return {name: (out / name).read_bytes()
            for name in ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json")}


def test_verbatim_repeats_get_the_outcome_of_their_first_copy(dump, tmp_path, monkeypatch):
    """Repeats skip the stages (RepeatMemo); the outputs equal a run where every record goes
    through every stage. The repeats are real seed records: the spam line and the site heading
    of seed 002, clean abstracts, and the same record in a file where a bare engine name is a
    marker line (``Google`` three times) and in one where it is not."""
    from corpus_clean.engine import work

    seed002 = next(p for p in sorted(dump.iterdir()) if p.name.startswith("002"))
    lines = seed002.read_text(encoding="utf-8").splitlines()
    abstracts = [ln for ln in SEED_LINES if len(ln) > 300][:4]
    (dump / "005_repeats.txt").write_text("\n".join(lines[:8] + abstracts) + "\n",
                                          encoding="utf-8")
    (dump / "006_bare_marker.txt").write_text(
        "".join(f"{a}\nGoogle\n\n" for a in abstracts[:3]), encoding="utf-8")
    (dump / "007_no_marker.txt").write_text(f"{abstracts[0]}\nGoogle\n\n{abstracts[3]}\n",
                                            encoding="utf-8")
    monkeypatch.setattr(work, "_MEMO", None)
    with_memo = _run_outputs(dump, tmp_path / "memo")  # one worker: this process's memo
    assert work._MEMO.hits >= 12  # the test exercises the repeat path
    rejected = [json.loads(ln) for ln in with_memo["rejected.jsonl"].splitlines()]
    spam_rows = [r for r in rejected if r["stage"] == "spam"]
    assert len(spam_rows) == 2 and spam_rows[0]["detail"] == spam_rows[1]["detail"]
    assert _run_outputs(dump, tmp_path / "plain", config=Config(repeat_cache=0)) == with_memo
    # two workers, each with its own memo; a memo that forgets (2 entries) changes nothing
    assert _run_outputs(dump, tmp_path / "two", workers=2) == with_memo
    assert _run_outputs(dump, tmp_path / "tiny", config=Config(repeat_cache=2)) == with_memo


def test_repeat_memo_forgets_its_oldest_half_when_full():
    """The memo is bounded: at capacity the oldest half of its entries goes."""
    from corpus_clean.engine.work import RepeatMemo

    memo = RepeatMemo(capacity=4)
    keys = [memo.key(f"text {i}", frozenset()) for i in range(6)]
    for i, key in enumerate(keys):
        memo.put(key, None, ((0, 0), i))
    assert len(memo) <= 4
    assert memo.get(keys[0]) is None and memo.get(keys[5]) == (None, ((0, 0), 5))
    # a context with bare marker lines gives other keys for the same text
    assert memo.key("text 0", frozenset({"google"})) != keys[0]
    memo.learn(np.array([[1, 2, 3, 0, 0, i] for i in range(9)], dtype=np.uint64))
    assert len(memo) <= 4  # what is learned from other workers is bounded too


def test_repeat_memos_share_what_passed_the_stages():
    """What one worker's memo learned (the texts that passed the stages, with positions)
    another takes (RepeatMemo.learned / learn): keys are the same in every process, a drop is
    not shared, a text the memo knows keeps its entry, and learning ends with learned()."""
    from corpus_clean.records import Drop
    from corpus_clean.engine.work import RepeatMemo

    context = frozenset({"谷歌翻译", "DeepL"})
    a = RepeatMemo()
    a.start_learning()
    kept, spam = a.key("A kept abstract.", context), a.key("casino bonus", context)
    a.put(kept, None, ((3, 1), 5))
    a.put(spam, Drop("spam", "spam"), ((3, 1), 6))
    rows = a.learned()
    assert rows.dtype == np.uint64 and rows.tolist() == [
        [kept & (2**64 - 1), (kept >> 64) & (2**64 - 1), kept >> 128, 3, 1, 5]]
    b = RepeatMemo()
    b.learn(rows)
    assert b.get(kept) == (None, ((3, 1), 5)) and b.get(spam) is None
    known = RepeatMemo()
    known.put(kept, None, ((0, 0), 1))
    known.learn(rows)
    assert known.get(kept) == (None, ((0, 0), 1))
    a.put(a.key("later", context), None, ((3, 2), 0))
    assert a.learned().shape == (0, 6)
    code = ("from corpus_clean.engine.work import RepeatMemo; "
            "print(RepeatMemo().key('A kept abstract.', frozenset({'DeepL', '谷歌翻译'})))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "7"}, check=True)
    assert int(other.stdout) == kept


def test_a_record_locator_gives_back_the_id_of_a_paragraph_record():
    """The Dask exact shuffle names a duplicate's first by its file and one integer: the
    locator of a paragraph record (``--records paragraphs``) keeps its paragraph number."""
    from corpus_clean.records import Record, locator_id, record_locator

    for rid, line in (("crawl.warc.gz:7#12", 7), ("a#b.html:1#3", 1), ("a#b.html:1", 1),
                      ("x.txt:123456789", 123456789)):
        record = Record(rid, "text", rid.split(":")[0], line)
        assert locator_id(record.source, record_locator(record)) == rid
