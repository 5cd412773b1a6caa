"""Golden test for seeds/: the outputs are byte-identical to tests/golden/, and the figures
that the project promises for the seed dump hold."""

from __future__ import annotations

import json
import shutil

import pytest

from corpus_clean.output.writer import OUTPUT_FILES

from support.paths import GOLDEN, SEEDS


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_outputs_match_golden(seeds_out, update_golden, name):
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        shutil.copyfile(seeds_out / name, GOLDEN / name)
    assert (seeds_out / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_seed_counts(seeds_out):
    stats = json.loads((seeds_out / "stats.json").read_text())
    assert (stats["records_in"], stats["kept"], stats["rejected"]) == (65, 53, 12)
    assert stats["languages"] == {"en": 35, "zh-cn": 18}
    assert stats["drops"] == {
        "boilerplate": {"company_footer": 1, "site_heading": 1},
        "spam": {"spam": 1},
        "dedup": {"exact_duplicate": 9},
    }
    assert stats["markers"] == {"lines_stripped": 40, "engines": {"google": 40}}


def test_seed_rejects_are_the_known_ones(seeds_out):
    rejected = {(r["source"][:3], r["line"]): (r["stage"], r["reason"], r["duplicate_of"])
                for r in _rows(seeds_out / "rejected.jsonl")}
    assert rejected[("002", 1)][:2] == ("spam", "spam")
    assert rejected[("002", 5)][:2] == ("boilerplate", "site_heading")
    assert rejected[("002", 27)][:2] == ("boilerplate", "company_footer")
    assert rejected[("003", 10)] == ("dedup", "exact_duplicate", "002_3e3487d38700c770.txt:19")
    dup_001 = sorted(line for (src, line), v in rejected.items() if src == "001")
    assert dup_001 == [5, 7, 9, 11, 13, 15, 17, 19]
    for line in dup_001:
        assert rejected[("001", line)] == (
            "dedup", "exact_duplicate", f"000_5531a001d51d5e0c.txt:{line}")
    assert len(rejected) == 12


def test_every_seed_record_is_in_exactly_one_output(seeds_out):
    ids = [r["id"] for r in _rows(seeds_out / "clean.jsonl")]
    ids += [r["id"] for r in _rows(seeds_out / "rejected.jsonl")]
    assert len(ids) == len(set(ids)) == 65
    # the records of each file start at the lines the layouts give
    starts = {p.name: set() for p in SEEDS.iterdir()}
    for i in ids:
        source, line = i.rsplit(":", 1)
        starts[source].add(int(line))
    assert starts["000_5531a001d51d5e0c.txt"] == set(range(1, 20, 2))
    assert starts["002_3e3487d38700c770.txt"] == set(range(1, 28, 2))
    assert starts["003_021855e50a64dd07.txt"] == set(range(1, 12))
    assert starts["004_ba04f5894699183e.txt"] == set(range(1, 40, 2))


def test_no_marker_line_survives_and_provenance_is_kept(seeds_out):
    clean = _rows(seeds_out / "clean.jsonl")
    for row in clean + _rows(seeds_out / "rejected.jsonl"):
        assert "translated by" not in row["text"]
        assert "谷歌翻译" not in row["text"]
    marked = [r for r in clean if r["translated_by"] is not None]
    assert len(marked) == 18
    assert {(r["translated_by"], r["mt_engine"]) for r in marked} == {("谷歌翻译", "google")}
    assert {r["source"][:3] for r in marked} == {"000", "001", "004"}
    # the Chinese translations carry the site's Chinese marker; the English originals the
    # site also put it after (14 kept) do not: they are not Google's output
    assert {r["lang"] for r in marked} == {"zh-cn"}
    assert not [r for r in clean if r["lang"] == "en" and r["translated_by"] is not None]


def test_clean_rows_have_the_documented_keys_in_order(seeds_out):
    for row in _rows(seeds_out / "clean.jsonl"):
        assert list(row) == ["id", "text", "source", "line", "lang", "lang_prob",
                             "translated_by", "mt_engine"]
        assert 0.0 <= row["lang_prob"] <= 1.0
    for row in _rows(seeds_out / "rejected.jsonl"):
        assert list(row) == ["id", "text", "source", "line", "stage", "reason", "detail",
                             "duplicate_of", "translated_by", "mt_engine"]


def test_dedup_report_lists_the_clusters(seeds_out):
    report = json.loads((seeds_out / "dedup-report.json").read_text())
    assert report["schema_version"] == 1
    assert report["totals"]["exact_duplicates"] == 9
    assert report["totals"]["clusters"] == 9
    assert report["cluster_sizes"] == {"2": 9}
    assert report["file_overlap"] == [
        {"kept_source": "000_5531a001d51d5e0c.txt",
         "removed_source": "001_fc24b4745f523173.txt", "records": 8},
        {"kept_source": "002_3e3487d38700c770.txt",
         "removed_source": "003_021855e50a64dd07.txt", "records": 1},
    ]
    by_kept = {c["kept"]["id"]: c for c in report["clusters"]}
    c = by_kept["002_3e3487d38700c770.txt:19"]
    assert c["kept"]["text"].startswith("The remarkable practical success of deep learning")
    assert len(c["kept"]["text"]) == 80
    assert c["removed"] == [{
        "id": "003_021855e50a64dd07.txt:10", "source": "003_021855e50a64dd07.txt", "line": 10,
        "text": c["kept"]["text"], "kind": "exact", "jaccard": 1.0}]
    assert c["size"] == 2
