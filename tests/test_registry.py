"""The stage registry: one list for the order, the built stages, the reasons and the docs; a
stage added by one registry entry is run, counted, documented and respected by the memo."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from support.paths import ROOT, SEEDS

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.reading.reader import REASONS as READ_REASONS
from corpus_clean.records import Drop, Record
from corpus_clean.stages import (boilerplate, dedup, extract, markers, neardup, quality,
                                 registry, repetition, spam)
from corpus_clean.stages.registry import StageInfo, temporarily_registered


def test_built_in_reasons_are_the_modules_reasons():
    got = registry.reasons()
    assert got["read"] == READ_REASONS
    assert got["markers"] == markers.REASONS
    assert got["boilerplate"] == boilerplate.REASONS + repetition.REASONS
    assert got["spam"] == spam.REASONS
    assert got["quality"] == quality.REASONS
    assert got["dedup"] == dedup.REASONS + neardup.REASONS
    assert got["extract"] == extract.REASONS
    assert registry.stage_order() == ("read", "split", "extract", "markers", "boilerplate",
                                      "spam", "quality", "dedup", "language", "write")


def test_built_stages_follow_the_registry():
    stages = registry.build_stages(Config())
    assert [s.name for s in stages] == [i.name for i in registry.record_stages()]
    assert all(isinstance(s, registry.Stage) for s in stages)
    assert [i.name for i in registry.record_stages() if i.changes_text] == [
        "extract", "markers", "boilerplate", "spam"]  # the last two: page documents only


def test_register_refuses_what_would_break_the_flow():
    info = StageInfo("x", "x", {"x": "x"}, build=lambda c, m: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(StageInfo("spam", "again"), before="quality")
    with pytest.raises(ValueError, match="no stage"):
        registry.register(info, before="nowhere")
    with pytest.raises(ValueError, match="after 'split' and before 'dedup'"):
        registry.register(info, before="language")
    with pytest.raises(ValueError, match="needs a build function"):
        registry.register(StageInfo("y", "y"), before="quality")
    with pytest.raises(ValueError, match="built in"):
        registry.unregister("spam")
    assert "x" not in registry.stage_order()


def test_the_readme_table_is_the_registrys():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert registry.reason_table() in readme
    for reasons in registry.reasons().values():
        for reason in reasons:
            assert f"`{reason}`" in readme, reason


# --- a throwaway drop stage ------------------------------------------------------------------

class _WordFilter:
    """Drops records that mention a word (a real stage would be a module of its own)."""

    name = "wordfilter"

    def __init__(self, word: str):
        self.word = word

    def apply(self, record: Record) -> Record | Drop:
        if self.word in record.text.lower():
            return Drop(self.name, "mentions_word", f"mentions {self.word!r}")
        return record


def _outputs(out):
    return {name: (out / name).read_bytes() for name in
            ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_registered_drop_stage_is_run_counted_and_conserved(tmp_path, workers):
    plain = clean_dir(SEEDS, OutputWriter(tmp_path / "plain"), Config(), workers=1)
    info = StageInfo("wordfilter", "drops records that mention a word",
                     {"mentions_word": "the record mentions the word"},
                     build=lambda config, is_marker: _WordFilter("transformer"))
    with temporarily_registered(info, before="spam"):
        report = clean_dir(SEEDS, OutputWriter(tmp_path / "out"), Config(), workers=workers)
        assert "`wordfilter`" in registry.reason_table()
    assert "wordfilter" not in registry.stage_order()
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    dropped = stats["drops"]["wordfilter"]["mentions_word"]
    mentioning = [json.loads(line) for line in
                  (tmp_path / "plain" / "clean.jsonl").read_text().splitlines()]
    # every record the plain run kept that mentions the word is now dropped by the new stage
    # (or, being a copy of such a record, counted as its exact duplicate)
    assert dropped >= sum("transformer" in r["text"].lower() for r in mentioning) > 0
    assert list(stats["drops"]) == [s for s in ("read", "extract", "markers", "boilerplate",
                                                "wordfilter", "spam", "quality", "dedup")
                                    if s in stats["drops"]]
    assert stats["records_in"] == stats["kept"] + stats["rejected"] == plain.records_in
    assert stats["rejected"] == sum(n for r in stats["drops"].values() for n in r.values())
    rejects = [json.loads(line) for line in
               (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert sum(r["stage"] == "wordfilter" for r in rejects) == dropped
    kept = (tmp_path / "out" / "clean.jsonl").read_text().lower()
    assert "transformer" not in kept
    assert report.kept == plain.kept - sum("transformer" in r["text"].lower()
                                           for r in mentioning)


# --- a throwaway text-changing stage, and the memo of verbatim repeats ------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Redactor:
    """Replaces e-mail addresses with ``<email>`` (the PII stage the issue tried)."""

    name = "pii"

    def apply(self, record: Record) -> Record | Drop:
        record.text = _EMAIL.sub("<email>", record.text)
        return record


def _dump_with_repeats(tmp_path):
    """Two seed files, then a file holding abstracts of the first with an address added, each
    twice verbatim, and once more in another file: repeats the memo recognises."""
    dump = tmp_path / "dump"
    dump.mkdir()
    for p in sorted(SEEDS.iterdir())[3:5]:
        shutil.copy(p, dump / p.name)
    lines = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[3]).read_text().splitlines()[:3]
    with_address = [f"{line} Contact: first.author@example.org" for line in lines]
    (dump / "y_contact.txt").write_text("\n".join(with_address * 2) + "\n", encoding="utf-8")
    (dump / "z_contact.txt").write_text("\n".join(with_address) + "\n", encoding="utf-8")
    return dump


@pytest.mark.parametrize("workers", [1, 2])
def test_a_text_changing_stage_is_applied_to_verbatim_repeats(tmp_path, workers):
    dump = _dump_with_repeats(tmp_path)
    info = StageInfo("pii", "redacts e-mail addresses", {}, changes_text=True,
                     build=lambda config, is_marker: _Redactor())
    with temporarily_registered(info, before="quality"):
        clean_dir(dump, OutputWriter(tmp_path / "memo"), Config(), workers=workers)
        clean_dir(dump, OutputWriter(tmp_path / "nomemo"), Config(repeat_cache=0),
                  workers=workers)
    memo, nomemo = _outputs(tmp_path / "memo"), _outputs(tmp_path / "nomemo")
    assert memo == nomemo  # results never depend on the memo
    for data in memo.values():
        assert b"first.author@example.org" not in data
    rejects = [json.loads(line) for line in memo["rejected.jsonl"].splitlines()]
    copies = [r for r in rejects if "<email>" in r["text"]]
    # the first copy of each text is a near duplicate of the seed abstract it extends (the
    # address is all it adds); the later copies, the memo's repeats, are exact duplicates of
    # that first copy: with the address unredacted they would not be
    assert sorted(r["reason"] for r in copies) == ["exact_duplicate"] * 6 + ["near_duplicate"] * 3
    firsts = {r["id"] for r in copies if r["reason"] == "near_duplicate"}
    assert firsts == {"y_contact.txt:1", "y_contact.txt:2", "y_contact.txt:3"}
    assert all(r["duplicate_of"] not in firsts for r in copies)  # named: the record kept
