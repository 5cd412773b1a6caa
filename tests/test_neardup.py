"""Near-duplicate detection: shingles, LSH parameters, verification, keep policies, the dedup
report and its renderings. Real pairs from tests/fixtures/near_pairs.jsonl (revised abstracts,
re-translated Chinese abstracts, other arXiv versions)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from support.fixtures_util import load_jsonl
from support.paths import SEEDS

from corpus_clean import Config, OutputWriter, clean_dir
from corpus_clean.cli.command import cli
from corpus_clean.cli.render import load_report, overlap_matrix, to_html, to_markdown
from corpus_clean.stages.neardup import (
    NearDupIndex,
    candidate_probability,
    choose_bands,
    jaccard,
    shingle_hashes,
    shingles,
)

PAIRS = load_jsonl("near_pairs")


def stage_jaccard(p):
    return jaccard(shingle_hashes(p["a"]["text"]), shingle_hashes(p["b"]["text"]))


def decide(texts, tmp_path, threshold=0.8, keep="first"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    index = NearDupIndex(tmp_path, threshold=threshold)
    index.add_batch(texts)
    return index.decide(keep)


# --- shingles and parameters ---------------------------------------------------------------

def test_every_text_is_shingled_in_character_5_grams_by_default():
    sh = shingles("Deep neural networks (DNNs) are often used for text classification tasks.")
    norm = "deep neural networks dnns are often used for text classification tasks"
    assert sh == {norm[i:i + 5] for i in range(len(norm) - 4)}
    assert "dnns " in sh and " are " in sh  # spaces kept: word boundaries count
    text = PAIRS[0]["a"]["text"]
    assert "本论文提出" in shingles(text)


def test_with_shingle_words_english_text_is_shingled_in_word_5_grams():
    sh = shingles("Deep neural networks (DNNs) are often used for text classification tasks.",
                  words=5)
    assert "deep neural networks dnns are" in sh
    assert len(sh) == 11 - 5 + 1  # 11 words after punctuation is removed


def test_with_shingle_words_chinese_text_is_shingled_in_character_5_grams():
    text = PAIRS[0]["a"]["text"]
    sh = shingles(text, words=5)
    assert all(len(s) == 5 and " " not in s for s in sh)
    assert "本论文提出" in sh


def test_short_text_is_one_shingle():
    assert shingles("Graph neural networks", words=5) == {"graph neural networks"}
    assert shingles("相關內容") == {"相關內容"}
    assert shingles("Graph") == {"graph"}
    assert shingles("!!!") == set()


def test_revised_abstracts_are_merged_at_character_5_gram_jaccard(tmp_path):
    # the fixture's pairs at jaccard_char5 >= 0.8 (0.822 ... 0.985, data set's definition): every
    # one is merged by default; word 5-grams, the old default, merge fewer of them
    pairs = [p for p in PAIRS if p["jaccard_char5"] >= 0.8]
    assert len(pairs) >= 6

    def merged(words, tmp):
        tmp.mkdir()
        index = NearDupIndex(tmp, threshold=0.8, words=words)
        index.add_batch([t for p in pairs for t in (p["a"]["text"], p["b"]["text"])])
        removed = index.decide("first")
        return sum(removed.get(2 * i + 1, (None,))[0] == 2 * i for i in range(len(pairs)))

    assert merged(0, tmp_path / "chars") == len(pairs)
    assert merged(5, tmp_path / "words") < len(pairs)
    # and below 0.75 nothing is merged: different enough to keep
    low = [p for p in PAIRS if p["jaccard_char5"] < 0.75]
    (tmp_path / "low").mkdir()
    index = NearDupIndex(tmp_path / "low", threshold=0.8)
    index.add_batch([t for p in low for t in (p["a"]["text"], p["b"]["text"])])
    assert index.decide("first") == {}


def test_case_and_punctuation_do_not_change_shingles():
    text = PAIRS[3]["a"]["text"]
    assert shingles(text) == shingles(text.upper().replace(",", " ,  "))


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_bands_make_threshold_pairs_candidates(threshold):
    b, r = choose_bands(threshold, 128)
    assert b * r <= 128
    assert candidate_probability(threshold, b, r) >= 0.99
    # and not everything is a candidate far below the threshold
    assert candidate_probability(threshold / 3, b, r) < 0.2


def test_default_bands_are_documented():
    assert choose_bands(0.8, 128) == (21, 6)


# --- verification on real pairs --------------------------------------------------------------

@pytest.mark.parametrize("p", PAIRS, ids=[f"{p['kind']}-{p['lang']}-{p['jaccard_char5']}" for p in PAIRS])
def test_pair_merged_exactly_when_jaccard_reaches_threshold(p, tmp_path):
    j = stage_jaccard(p)
    removed = decide([p["a"]["text"], p["b"]["text"]], tmp_path)
    if j >= 0.8:
        assert removed == {1: (0, round(j, 6))}
    else:
        assert removed == {}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pairs_just_above_and_below_the_threshold(lang, tmp_path):
    """Each real pair is merged with the threshold 0.01 under its exact Jaccard similarity and
    kept apart 0.01 over it: the reported similarity is exact, not a MinHash estimate."""
    tried = 0
    for i, p in enumerate(PAIRS):
        if p["lang"] != lang:
            continue
        j = stage_jaccard(p)
        if j < 0.55:
            continue  # far below any sensible threshold; LSH needs not see it
        texts = [p["a"]["text"], p["b"]["text"]]
        below = decide(texts, tmp_path / f"{i}-lo", threshold=round(j - 0.01, 3))
        above = decide(texts, tmp_path / f"{i}-hi", threshold=round(j + 0.01, 3))
        assert below == {1: (0, round(j, 6))}, (p["pair_id"], j)
        assert above == {}, (p["pair_id"], j)
        tried += 1
    assert tried >= 3


def test_keep_longest_keeps_the_longer_text(tmp_path):
    p = next(p for p in PAIRS if stage_jaccard(p) >= 0.8 and len(p["a"]["text"]) != len(p["b"]["text"]))
    a, b = p["a"]["text"], p["b"]["text"]
    longer = 0 if len(a) > len(b) else 1
    removed = decide([a, b], tmp_path, keep="longest")
    assert list(removed) == [1 - longer]
    assert removed[1 - longer][0] == longer
    assert decide([a, b], tmp_path / "f", keep="first") == {1: (0, removed[1 - longer][1])}


def test_chains_do_not_merge_records_below_the_threshold(tmp_path):
    """A~B and B~C but A≁C: with A kept, B is removed; C is kept unless it is >= threshold
    with a kept record (it names the record it is similar to, never a weaker one)."""
    p = next(p for p in PAIRS if p["lang"] == "zh" and 0.85 < stage_jaccard(p) < 0.95)
    a = p["a"]["text"]
    b = p["b"]["text"]
    removed = decide([a, b, b + "又一个句子。" * 3], tmp_path)
    for idx, (kept, sim) in removed.items():
        assert sim >= 0.8
        assert kept not in removed


def test_unknown_keep_policy_is_an_error(tmp_path):
    index = NearDupIndex(tmp_path)
    with pytest.raises(ValueError, match="keep must be"):
        index.decide("shortest")


# --- through the pipeline --------------------------------------------------------------------

@pytest.fixture
def pair_dump(tmp_path):
    """A dump of the seeds plus two files holding the near pairs' two sides, and an exact copy
    of a b-side that must name the record finally kept."""
    d = tmp_path / "dump"
    shutil.copytree(SEEDS, d)
    (d / "010_a.txt").write_text("\n".join(p["a"]["text"].replace("\n", " ") for p in PAIRS) + "\n",
                                 encoding="utf-8")
    (d / "011_b.txt").write_text("\n".join(p["b"]["text"].replace("\n", " ") for p in PAIRS) + "\n",
                                 encoding="utf-8")
    top = max(PAIRS, key=stage_jaccard)
    (d / "012_copy.txt").write_text(top["b"]["text"].replace("\n", " ") + "\n", encoding="utf-8")
    return d


def run_lib(dump, out, **cfg):
    return clean_dir(dump, OutputWriter(out, overwrite=True), dataclasses.replace(Config(), **cfg))


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_pipeline_removes_near_duplicates_across_files(pair_dump, tmp_path):
    out = tmp_path / "out"
    report = run_lib(pair_dump, out)
    assert report.records_in == report.kept + report.rejected
    near = [r for r in rows(out / "rejected.jsonl") if r["reason"] == "near_duplicate"]
    expected = {i for i, p in enumerate(PAIRS) if stage_jaccard(p) >= 0.8}
    assert {r["line"] - 1 for r in near if r["source"] == "011_b.txt"} == expected
    for r in near:
        assert r["stage"] == "dedup"
        assert r["duplicate_of"] == f"010_a.txt:{r['line']}"
        assert r["detail"].startswith("jaccard=") and ">= 0.8 with 010_a.txt:" in r["detail"]
    # the exact copy of a removed b-side names the a-side, the record finally kept
    copy = [r for r in rows(out / "rejected.jsonl") if r["source"] == "012_copy.txt"]
    top = max(range(len(PAIRS)), key=lambda i: stage_jaccard(PAIRS[i]))
    assert copy[0]["reason"] == "exact_duplicate"
    assert copy[0]["duplicate_of"] == f"010_a.txt:{top + 1}"
    assert f"same normalised text as 011_b.txt:{top + 1}, a near duplicate" in copy[0]["detail"]
    # seeds results unchanged: their duplicates are exact
    seeds_dups = [r for r in rows(out / "rejected.jsonl")
                  if r["source"][:3] in ("000", "001", "002", "003", "004") and r["stage"] == "dedup"]
    assert len(seeds_dups) == 9 and {r["reason"] for r in seeds_dups} == {"exact_duplicate"}


def test_near_dedup_can_be_turned_off(pair_dump, tmp_path):
    report = run_lib(pair_dump, tmp_path / "out", near_dedup=False)
    assert "near_duplicate" not in report.drops.get("dedup", {})
    data = json.loads((tmp_path / "out" / "dedup-report.json").read_text())
    assert data["parameters"]["near"] is None


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_outputs_are_deterministic_for_each_keep_policy(pair_dump, tmp_path, keep):
    a = tmp_path / "a"
    b = tmp_path / "b"
    run_lib(pair_dump, a, keep=keep)
    run_lib(pair_dump, b, keep=keep)
    for name in ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_keep_longest_in_the_pipeline(pair_dump, tmp_path):
    out = tmp_path / "out"
    run_lib(pair_dump, out, keep="longest")
    kept = {r["id"]: r for r in rows(out / "clean.jsonl")}
    for r in rows(out / "rejected.jsonl"):
        if r["reason"] == "near_duplicate":
            assert len(kept[r["duplicate_of"]]["text"]) >= len(r["text"])


def test_dedup_report_schema(pair_dump, tmp_path):
    out = tmp_path / "out"
    run_lib(pair_dump, out)
    data = load_report(json.loads((out / "dedup-report.json").read_text()))
    assert list(data) == ["schema_version", "parameters", "totals", "cluster_sizes",
                          "file_overlap", "clusters"]
    near = data["parameters"]["near"]
    assert near["threshold"] == 0.8 and near["seed"] == 1
    assert (near["bands"], near["rows"], near["num_perm"]) == (21, 6, 128)
    t = data["totals"]
    assert t["near_duplicates"] == sum(1 for p in PAIRS if stage_jaccard(p) >= 0.8)
    assert t["exact_duplicates"] == 10
    assert t["clusters"] == len(data["clusters"])
    assert t["verified_pairs"] >= t["near_duplicates"]
    assert sum(int(k) * v for k, v in data["cluster_sizes"].items()) == sum(
        c["size"] for c in data["clusters"])
    for c in data["clusters"]:
        assert set(c["kept"]) == {"id", "source", "line", "text"}
        assert len(c["kept"]["text"]) <= 80 and c["kept"]["text"]
        assert c["size"] == len(c["removed"]) + 1
        for r in c["removed"]:
            assert set(r) == {"id", "source", "line", "text", "kind", "jaccard"}
            assert r["kind"] in ("exact", "near")
            assert (r["jaccard"] == 1.0) if r["kind"] == "exact" and "012" not in r["id"] \
                else 0.8 <= r["jaccard"] <= 1.0
    assert {"kept_source": "010_a.txt", "removed_source": "011_b.txt",
            "records": t["near_duplicates"]} in data["file_overlap"]


# --- renderings ------------------------------------------------------------------------------

@pytest.fixture
def report_dir(pair_dump, tmp_path):
    out = tmp_path / "out"
    run_lib(pair_dump, out)
    return out


def test_report_terminal(report_dir):
    result = CliRunner().invoke(cli, ["report", str(report_dir)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Dedup report" in result.stdout
    assert "near_duplicates" in result.stdout
    assert "Which files repeat which" in result.stdout
    assert "011_b.txt" in result.stdout and "010_a.txt" in result.stdout


def test_report_markdown(report_dir):
    result = CliRunner().invoke(cli, ["report", str(report_dir), "--format", "markdown"])
    assert result.exit_code == 0
    md = (report_dir / "dedup-report.md").read_text(encoding="utf-8")
    assert md.startswith("# Dedup report\n")
    assert "| 010_a.txt | 011_b.txt |" in md
    assert "## Largest clusters" in md
    assert "## Closest calls" in md
    lowest = min(r["jaccard"] for c in json.loads((report_dir / "dedup-report.json").read_text())[
        "clusters"] for r in c["removed"] if r["kind"] == "near")
    assert f"| {lowest:.3f} |" in md.split("## Closest calls")[1].split("## Largest")[0]
    data = json.loads((report_dir / "dedup-report.json").read_text())
    assert md == to_markdown(data)


class _Checker(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.errors, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for _, v in attrs:
            if v and ("http://" in v or "https://" in v) and "w3.org/2000/svg" not in v:
                self.errors.append(f"external reference {v}")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_report_html_is_self_contained_and_well_formed(report_dir):
    result = CliRunner().invoke(cli, ["report", str(report_dir), "--format", "html"])
    assert result.exit_code == 0
    page = (report_dir / "dedup-report.html").read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert "script" not in checker.tags
    assert "svg" in checker.tags and "rect" in checker.tags  # cluster-size bar chart
    text = " ".join(checker.text)
    assert "Dedup report" in text and "011_b.txt" in text
    data = json.loads((report_dir / "dedup-report.json").read_text())
    rows_, cols, counts = overlap_matrix(data)
    assert "010_a.txt" in rows_ and "011_b.txt" in cols
    assert page == to_html(data)


def test_report_html_escapes_text():
    data = {"schema_version": 1, "parameters": {"keep": "first", "exact": {
        "normalisation": "n", "hash": "h"}, "near": None},
        "totals": {"records_in": 2}, "cluster_sizes": {"2": 1},
        "file_overlap": [{"kept_source": "<a>.txt", "removed_source": "b.txt", "records": 1}],
        "clusters": [{"kept": {"id": "<a>.txt:1", "source": "<a>.txt", "line": 1,
                               "text": "<script>alert(1)</script>"}, "size": 2,
                      "removed": [{"id": "b.txt:1", "source": "b.txt", "line": 1,
                                   "text": "x & y", "kind": "exact", "jaccard": 1.0}]}]}
    page = to_html(data)
    assert "<script>" not in page and "&lt;script&gt;" in page and "x &amp; y" in page


def test_report_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "no dedup report here" in result.stderr
    (tmp_path / "empty" / "dedup-report.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "not valid JSON" in result.stderr
    (tmp_path / "empty" / "dedup-report.json").write_text("{}")
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "not a corpus-clean dedup report" in result.stderr


@pytest.mark.skipif(not shutil.which("chromium"), reason="no headless chromium on this machine")
def test_report_html_opens_in_a_real_browser(report_dir, tmp_path):
    import subprocess

    CliRunner().invoke(cli, ["report", str(report_dir), "--format", "html"])
    page = report_dir / "dedup-report.html"
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "Dedup report" in proc.stdout and "<svg" in proc.stdout


def test_streamed_report_equals_the_dict(pair_dump, tmp_path):
    import orjson

    out = tmp_path / "out"
    report = run_lib(pair_dump, out)
    expected = orjson.dumps(report.dedup_report(), option=orjson.OPT_INDENT_2) + b"\n"
    assert (out / "dedup-report.json").read_bytes() == expected
