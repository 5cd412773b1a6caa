"""JSON Lines input: corpus-clean chains after other tools."""

from __future__ import annotations

import gzip
import json

from support.paths import GOLDEN

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.engine.pipeline import is_jsonl

CLEAN = [json.loads(line) for line in (GOLDEN / "clean.jsonl").read_text().splitlines()]


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_names():
    assert is_jsonl("a/b.jsonl") and is_jsonl("b.JSONL.gz") and is_jsonl("c.ndjson.zst")
    assert not is_jsonl("b.txt") and not is_jsonl("b.json") and not is_jsonl("jsonl.txt")


def test_jsonl_records_and_bad_lines(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    lines = [json.dumps({"text": r["text"], "url": f"u{i}"}, ensure_ascii=False)
             for i, r in enumerate(CLEAN[:6])]
    lines += ["", "{not json", json.dumps({"body": "x"}), json.dumps(["a list"]),
              json.dumps({"text": CLEAN[0]["text"] + "\ntranslated by 谷歌翻译"}, ensure_ascii=False)]
    (d / "part.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    out = tmp_path / "out"
    report = clean_dir(d, OutputWriter(out), Config(workers=1))
    assert report.records_in == report.kept + report.rejected == 10
    kept = rows(out / "clean.jsonl")
    assert [r["text"] for r in kept] == [r["text"] for r in CLEAN[:6]]
    assert [r["line"] for r in kept] == [1, 2, 3, 4, 5, 6]
    assert [r["lang"] for r in kept] == [r["lang"] for r in CLEAN[:6]]
    rejected = {r["line"]: r for r in rows(out / "rejected.jsonl")}
    assert (rejected[8]["reason"], rejected[8]["text"]) == ("malformed_json", "{not json")
    assert rejected[8]["detail"].startswith("part.jsonl.gz line 8: ")
    assert rejected[9]["reason"] == rejected[10]["reason"] == "no_text_field"
    # the marker line inside a text is stripped, then the text is a duplicate of line 1
    assert rejected[11]["reason"] == "exact_duplicate"
    assert rejected[11]["translated_by"] == "谷歌翻译"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["files"][0]["layout"] == "jsonl"


def test_text_field_is_configurable(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"content": CLEAN[2]["text"]}) + "\n")
    out = tmp_path / "out"
    clean_dir(d, OutputWriter(out), Config(workers=1, jsonl_text_field="content"))
    assert [r["text"] for r in rows(out / "clean.jsonl")] == [CLEAN[2]["text"]]
