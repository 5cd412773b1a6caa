"""Stage ``markers``: machine-translation marker lines on real dump text and real hard negatives."""

from __future__ import annotations

import json

import pytest
from support.paths import SEEDS as SEEDS_DIR
from support.fixtures_util import MARKER, has_han, load_jsonl, seed_line, seed_lines

from corpus_clean.records import Drop, Record
from corpus_clean.stages.markers import (
    MAX_MARKER_CHARS,
    MarkerStripper,
    is_marker_line,
    match_marker,
)

MARKERS_IN_DUMP = load_jsonl("markers_in_dump")
HARD_NEGATIVES = load_jsonl("marker_hard_negatives")


def rec(text: str, rid: str = "t.txt:1") -> Record:
    return Record(id=rid, text=text, source=rid.split(":")[0], line=1)


# --- match_marker -------------------------------------------------------------------------

def test_seed_marker_line():
    line = seed_line("000", 2)
    assert line == MARKER
    assert match_marker(line) == ("谷歌翻译", "google")
    assert is_marker_line(line)


def test_every_seed_marker_line_is_google():
    found = [(p, n) for p in ("000", "001", "004") for n, t in seed_lines(p) if t == MARKER]
    assert len(found) == 10 + 10 + 20
    for p, n in found:
        assert match_marker(seed_line(p, n)) == ("谷歌翻译", "google"), (p, n)


@pytest.mark.parametrize("row", MARKERS_IN_DUMP, ids=lambda r: r["engine_canonical"])
def test_markers_in_generated_dump(row):
    assert match_marker(row["text"]) == (row["engine"], row["engine_canonical"])


@pytest.mark.parametrize(
    "line, expected",
    [
        # Chinese forms with an engine
        ("由谷歌翻译", ("谷歌翻译", "google")),
        ("谷歌翻译提供", ("谷歌翻译", "google")),
        ("谷歌翻译", ("谷歌翻译", "google")),
        ("本文由百度翻译", ("百度翻译", "baidu")),
        ("机器翻译由谷歌翻译提供，仅供参考", ("谷歌翻译", "google")),
        ("机器翻译由谷歌翻译提供,仅供参考", ("谷歌翻译", "google")),
        # generic forms: no engine named
        ("机器翻译", ("机器翻译", "unknown")),
        ("以下为机器翻译", ("以下为机器翻译", "unknown")),
        ("【机翻】", ("【机翻】", "unknown")),
        ("Machine translated", ("Machine translated", "unknown")),
        ("警告：本文由机器翻译生成，可能有误", ("警告：本文由机器翻译生成，可能有误", "unknown")),
        # English forms
        ("Abstract (translated by Google)", ("Google", "google")),
        ("(translated by Google)", ("Google", "google")),
        ("Translated with www.DeepL.com/Translator (free version)",
         ("www.DeepL.com/Translator", "deepl")),
        ("Translated with Google Translate", ("Google Translate", "google")),
        ("machine translated by Baidu", ("Baidu", "baidu")),
        ("translation by DeepL", ("DeepL", "deepl")),
        ("translated by DeepL.", ("DeepL", "deepl")),
        ("translated by 有道翻译", ("有道翻译", "youdao")),
        # case, spacing, full-width letters and brackets
        ("TRANSLATED  BY  GOOGLE", ("GOOGLE", "google")),
        ("translated by google", ("google", "google")),
        ("（translated by 谷歌翻译）", ("谷歌翻译", "google")),
        ("ｔｒａｎｓｌａｔｅｄ ｂｙ Ｇｏｏｇｌｅ", ("Google", "google")),
        ("  translated by 谷歌翻译  ", ("谷歌翻译", "google")),
        ("translated by 谷歌翻译。", ("谷歌翻译", "google")),
        ("translated by 谷歌翻译\r", ("谷歌翻译", "google")),
        # Traditional script
        ("機器翻譯", ("機器翻譯", "unknown")),
        ("由谷歌翻譯", ("谷歌翻譯", "google")),
        ("以下为機器翻譯", ("以下为機器翻譯", "unknown")),
    ],
)
def test_marker_family(line, expected):
    assert match_marker(line) == expected
    assert is_marker_line(line)


@pytest.mark.parametrize(
    "line",
    ["Google", "DeepL", "谷歌", "translated by John Smith", "machine translation",
     "Translated by the authors", "翻译", ""],
)
def test_not_markers(line):
    assert match_marker(line) is None
    assert not is_marker_line(line)


def test_marker_form_longer_than_max_is_not_a_marker():
    # the seed marker padded with the seed's own abstract text past the limit: not a whole
    # short line, so content
    line = MARKER + " " + seed_line("000", 3)
    assert len(line) > MAX_MARKER_CHARS
    assert match_marker(line) is None


def test_hard_negative_fixture_shape():
    # the README's promise that makes the line-by-line test meaningful
    starts = [line for r in HARD_NEGATIVES for line in r["text"].split("\n")
              if line.lower().startswith("translated")]
    assert len(starts) >= 8
    assert any(r["text"].startswith("翻译") for r in HARD_NEGATIVES)


@pytest.mark.parametrize("row", HARD_NEGATIVES, ids=lambda r: f"L{r['n']}")
def test_hard_negative_lines_are_not_markers(row):
    lines = row["text"].split("\n")
    hits = [(j, line, match_marker(line)) for j, line in enumerate(lines, 1)
            if match_marker(line) is not None]
    assert hits == []


@pytest.mark.parametrize("row", HARD_NEGATIVES, ids=lambda r: f"L{r['n']}")
def test_stripper_leaves_hard_negatives_unchanged(row):
    record = rec(row["text"])
    out = MarkerStripper().apply(record)
    assert out is record
    assert out.text == row["text"]
    assert out.translated_by is None
    assert out.mt_engine is None
    assert out.marker_lines == []


# --- MarkerStripper -----------------------------------------------------------------------

def test_stripper_removes_seed_marker():
    abstract = seed_line("004", 1)
    out = MarkerStripper().apply(rec(abstract + "\n" + seed_line("004", 2)))
    assert isinstance(out, Record)
    assert out.text == abstract
    assert out.translated_by == "谷歌翻译"
    assert out.mt_engine == "google"
    assert out.marker_lines == [MARKER]


def test_stripper_on_every_seed_record_pair():
    stripper = MarkerStripper()
    for prefix in ("000", "001", "004"):
        lines = seed_lines(prefix)
        for (n, abstract), (_, marker) in zip(lines[0::2], lines[1::2]):
            assert marker == MARKER
            out = stripper.apply(rec(abstract + "\n" + marker, f"{prefix}:{n}"))
            assert isinstance(out, Record)
            # the site writes its Chinese marker after the English originals too: an original
            # is not Google's output, the Chinese translation is
            engine = "google" if has_han(abstract) else None
            assert (out.text, out.mt_engine, out.marker_lines) == (abstract, engine, [MARKER])


def test_stripper_keeps_last_engine_and_all_marker_lines():
    abstract = seed_line("000", 1)  # a Chinese translation
    text = "\n".join([abstract, "机器翻译", "", "translated by 百度翻译"])
    out = MarkerStripper().apply(rec(text))
    assert isinstance(out, Record)
    assert out.text == abstract
    assert (out.translated_by, out.mt_engine) == ("百度翻译", "baidu")
    assert out.marker_lines == ["机器翻译", "translated by 百度翻译"]


def test_stripper_marker_in_the_middle():
    a, b = seed_line("004", 1), seed_line("004", 3)
    out = MarkerStripper().apply(rec(f"{a}\n{MARKER}\n{b}"))
    assert isinstance(out, Record)
    assert out.text == f"{a}\n{b}"
    assert out.mt_engine == "google"


def test_marker_only_record_is_dropped():
    out = MarkerStripper().apply(rec(MARKER))
    assert isinstance(out, Drop)
    assert (out.stage, out.reason) == ("markers", "marker_only")
    assert MARKER in out.detail
    assert out.duplicate_of is None


def test_several_marker_lines_only_are_dropped():
    out = MarkerStripper().apply(rec("translated by 谷歌翻译\n\n机器翻译\n"))
    assert isinstance(out, Drop)
    assert (out.stage, out.reason) == ("markers", "marker_only")


def test_stripper_name():
    assert MarkerStripper.name == "markers"


def test_long_single_line_record_untouched():
    text = seed_line("000", 3)
    assert len(text) > MAX_MARKER_CHARS
    record = rec(text)
    out = MarkerStripper().apply(record)
    assert out is record and out.text == text and out.marker_lines == []


# --- bare engine names: markers only when they recur ---------------------------------------

def test_bare_engine_line_that_recurs_is_a_marker(tmp_path):
    from corpus_clean import Config, OutputWriter, clean_dir

    abstracts = (SEEDS_DIR / "003_021855e50a64dd07.txt").read_text(encoding="utf-8").splitlines()
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(
        "".join(f"{a}\nDeepL\n" for a in abstracts[:5]), encoding="utf-8")
    (tmp_path / "d" / "b.txt").write_text(f"{abstracts[6]}\nGoogle\n{abstracts[7]}\n",
                                          encoding="utf-8")
    out = tmp_path / "out"
    clean_dir(tmp_path / "d", OutputWriter(out), Config())
    rows = [json.loads(x) for x in (out / "clean.jsonl").read_text().splitlines()]
    a = [r for r in rows if r["source"] == "a.txt"]
    assert len(a) == 5
    assert {(r["translated_by"], r["mt_engine"]) for r in a} == {("DeepL", "deepl")}
    assert all("DeepL" not in r["text"] for r in a)
    b = [r for r in rows if r["source"] == "b.txt"]
    assert [r["translated_by"] for r in b] == [None, None]  # one "Google" line is no marker
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    assert [(r["text"], r["reason"]) for r in rejected if r["source"] == "b.txt"] == [
        ("Google", "too_short")]


def test_marker_matcher_from_head():
    from corpus_clean.stages.markers import MarkerMatcher, bare_engine

    assert bare_engine("【百度】") == ("百度", "baidu")
    assert bare_engine("DeepLab") is None
    m = MarkerMatcher.from_head(["x", "谷歌", "y", "谷歌", "z", "谷歌", "DeepL"])
    assert m("谷歌") == ("谷歌", "google")
    assert m("DeepL") is None
    assert m("translated by 谷歌翻译") == ("谷歌翻译", "google")


def test_a_chinese_marker_after_an_english_original_names_no_engine():
    """Seed file 000 puts `translated by 谷歌翻译` after every record, the English originals
    included: the marker line is stripped from each, but only the Chinese translation is
    Google's output. An English marker says nothing of the target language: it stays."""
    english = seed_line("000", 3)
    out = MarkerStripper().apply(rec(english + "\n" + MARKER))
    assert (out.text, out.translated_by, out.mt_engine, out.marker_lines) == \
        (english, None, None, [MARKER])
    out = MarkerStripper().apply(rec(english + "\nTranslated by Google Translate"))
    assert (out.translated_by, out.mt_engine) == ("Google Translate", "google")
