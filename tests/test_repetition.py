"""Boilerplate by repetition: short records that recur across the dump are dropped, every copy;
long duplicated records are left to dedup."""

from __future__ import annotations

import json

from support.fixtures_util import load_jsonl
from support.paths import SEEDS

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.records import Record
from corpus_clean.stages.dedup import dedup_key
from corpus_clean.stages.repetition import RepeatedLineFilter

# Real chrome from the labelled boilerplate fixture that no pattern catches (German site text).
CHROME = "Die OÖNachrichten nehmen den Schutz Ihrer Privatsphäre sehr ernst."
ABSTRACT = (SEEDS / "003_021855e50a64dd07.txt").read_text(encoding="utf-8").splitlines()[0]


def rec(text, i=1):
    r = Record(f"f.txt:{i}", text, "f.txt", i)
    r.dedup_key = dedup_key(text)
    return r


def test_counts_decide_at_the_threshold():
    f = RepeatedLineFilter(Config())
    for i in range(2):
        f.observe(rec(CHROME, i))
    assert f.apply(rec(CHROME)) is not None and f.count(rec(CHROME)) == 2
    assert not hasattr(f.apply(rec(CHROME)), "reason")  # kept at 2 < 3
    f.observe(rec(CHROME.upper().replace(".", " ."), 3))  # a variant counts with it
    drop = f.apply(rec(CHROME))
    assert (drop.stage, drop.reason) == ("boilerplate", "repeated_line")
    assert drop.detail == f"occurs 3 times in the dump (>= 3), {len(CHROME)} chars <= 100"


def test_long_records_are_not_counted():
    f = RepeatedLineFilter(Config())
    for i in range(10):
        f.observe(rec(ABSTRACT, i))
    assert f.count(rec(ABSTRACT)) == 0
    assert f.apply(rec(ABSTRACT)).text == ABSTRACT
    assert f.top() == []


def test_top_lists_the_most_repeated():
    f = RepeatedLineFilter(Config())
    for i in range(4):
        f.observe(rec(CHROME, i))
    f.observe(rec("Nach fast zwei Jahren Arbeit", 9))
    f.observe(rec("Nach fast zwei Jahren Arbeit", 10))
    assert f.top() == [{"text": CHROME, "count": 4, "dropped": True},
                       {"text": "Nach fast zwei Jahren Arbeit", "count": 2, "dropped": False}]


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_copy_of_repeated_chrome_is_boilerplate(dump, tmp_path):
    # the chrome line ends three pages (files), and a two-time line stays a duplicate
    for name in ("010.txt", "011.txt", "012.txt"):
        (dump / name).write_text(f"{ABSTRACT} {name}\n{CHROME}\n", encoding="utf-8")
    (dump / "013.txt").write_text("Nach fast zwei Jahren Arbeit bei uns\n" * 2, encoding="utf-8")
    out = tmp_path / "out"
    report = clean_dir(dump, OutputWriter(out), Config())
    assert report.records_in == report.kept + report.rejected
    chrome = [r for r in rows(out / "rejected.jsonl") if r["text"] == CHROME]
    assert [(r["source"], r["stage"], r["reason"]) for r in chrome] == [
        (n, "boilerplate", "repeated_line") for n in ("010.txt", "011.txt", "012.txt")]
    twice = [r for r in rows(out / "rejected.jsonl") if r["source"] == "013.txt"]
    assert [(r["line"], r["reason"]) for r in twice] == [(2, "exact_duplicate")]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["repeated_lines"][0] == {"text": CHROME, "count": 3, "dropped": True}
    assert stats["drops"]["boilerplate"]["repeated_line"] == 3


def test_repeated_abstracts_are_duplicates_not_boilerplate(dump, tmp_path):
    for name in ("010.txt", "011.txt", "012.txt", "013.txt"):
        (dump / name).write_text(ABSTRACT + "\n", encoding="utf-8")
    out = tmp_path / "out"
    clean_dir(dump, OutputWriter(out), Config())
    copies = [r for r in rows(out / "rejected.jsonl") if r["text"] == ABSTRACT]
    assert {r["reason"] for r in copies} == {"exact_duplicate"}
    assert len(copies) == 4  # the seed 003 original is kept


def test_threshold_from_config(dump, tmp_path):
    for name in ("010.txt", "011.txt"):
        (dump / name).write_text(f"{ABSTRACT} {name}\n{CHROME}\n", encoding="utf-8")
    out = tmp_path / "out"
    clean_dir(dump, OutputWriter(out), Config(repeat_min_count=2))
    assert [r["reason"] for r in rows(out / "rejected.jsonl") if r["text"] == CHROME] == [
        "repeated_line", "repeated_line"]


def test_boilerplate_fixture_lines_repeated_are_caught():
    """The lines that no pattern catches (repetition-only, per the fixture) are caught by
    repetition when they recur."""
    lines = [r["text"] for r in load_jsonl("boilerplate_lines") if r["n"] in (79, 80, 84, 89)]
    f = RepeatedLineFilter(Config())
    for line in lines * 3:
        f.observe(rec(line))
    assert all(f.apply(rec(line)).reason == "repeated_line" for line in lines)
