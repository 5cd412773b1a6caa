"""Stage ``dedup``: the exact-dedup normal form and first-seen-wins on real seed text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fixtures_util import load_jsonl, seed_abstracts, seed_line, seed_path

from corpus_clean.records import Drop, Record, record_id
from corpus_clean.stages.dedup import ExactDedup, dedup_key, normalise_for_dedup

EN = seed_line("000", 3)  # "The stochastic gradient descent (SGD) method and its variants ..."
ZH_ASCII = seed_line("000", 1)  # Chinese abstract written with ASCII , ( ) in the seed
ZH_FULL = load_jsonl("zh_clean_abstracts")[0]["text"]  # Chinese abstract with ，（）


def to_fullwidth(text: str) -> str:
    """ASCII printable characters -> their full-width forms (U+FF01..U+FF5E), spaces kept."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


_ASCII_TO_FULL = {",": "，", "(": "（", ")": "）", ":": "：", ";": "；", "?": "？", "!": "！"}
ZH_PUNCT_TO_FULL = str.maketrans(_ASCII_TO_FULL)
ZH_PUNCT_TO_ASCII = str.maketrans({v: k for k, v in _ASCII_TO_FULL.items()})


# --- normalise_for_dedup ------------------------------------------------------------------

def test_normal_form_of_real_text():
    norm = normalise_for_dedup(EN)
    assert norm.startswith("the stochastic gradient descent sgd method and its variants ")
    assert norm == norm.strip() and "  " not in norm
    assert not any(c in norm for c in ",.()'\"")


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.upper(), id="upper"),
        pytest.param(lambda t: t.swapcase(), id="swapcase"),
        pytest.param(lambda t: "  " + t.replace(" ", "   ") + " \n", id="extra-spaces"),
        pytest.param(lambda t: t.replace(". ", ".\n"), id="line-wrapped"),
        pytest.param(lambda t: t.replace(" ", "\t"), id="tabs"),
        pytest.param(to_fullwidth, id="fullwidth-letters-and-punct"),
        pytest.param(lambda t: t.replace(",", "，").replace(".", "。"), id="cjk-punct"),
        pytest.param(lambda t: t.replace("(", "[").replace(")", "]"), id="other-brackets"),
        pytest.param(lambda t: t.replace(" ", "\u3000"), id="ideographic-space"),
    ],
)
def test_english_seed_variants_share_key(variant):
    v = variant(EN)
    assert v != EN
    assert normalise_for_dedup(v) == normalise_for_dedup(EN)
    assert dedup_key(v) == dedup_key(EN)


def test_chinese_ascii_vs_fullwidth_punctuation_seed():
    full = ZH_ASCII.translate(ZH_PUNCT_TO_FULL)
    assert full != ZH_ASCII and "，" in full and "（" in full
    assert normalise_for_dedup(full) == normalise_for_dedup(ZH_ASCII)
    assert dedup_key(full) == dedup_key(ZH_ASCII)


@pytest.mark.parametrize("r", load_jsonl("zh_clean_abstracts")[:10], ids=lambda r: f"L{r['n']}")
def test_chinese_fullwidth_vs_ascii_punctuation_fixture(r):
    text = r["text"]
    ascii_ = text.translate(ZH_PUNCT_TO_ASCII)
    assert ascii_ != text
    assert dedup_key(ascii_) == dedup_key(text)
    assert dedup_key(ascii_.replace(",", ", ")) == dedup_key(text)


def test_key_is_16_bytes_and_stable():
    assert len(dedup_key(ZH_FULL)) == 16
    assert dedup_key(ZH_FULL) == dedup_key(ZH_FULL)


def test_different_abstracts_have_different_keys():
    texts = [t for _, _, t in seed_abstracts()] + [r["text"] for r in
                                                   load_jsonl("zh_clean_abstracts")]
    distinct = set(texts)
    keys = {dedup_key(t) for t in distinct}
    assert len(keys) == len(distinct)
    norms = {normalise_for_dedup(t) for t in distinct}
    assert len(norms) == len(distinct)


def test_content_change_changes_key():
    # one word of a real abstract changed: not an exact duplicate
    changed = EN.replace("small-batch", "large-batch", 1)
    assert changed != EN
    assert dedup_key(changed) != dedup_key(EN)


@pytest.mark.parametrize("r", load_jsonl("near_pairs"), ids=lambda r: r["pair_id"])
def test_near_pairs_are_not_exact_duplicates(r):
    assert r["jaccard_char5"] < 1.0
    a, b = r["a"]["text"], r["b"]["text"]
    assert normalise_for_dedup(a) != normalise_for_dedup(b)
    assert dedup_key(a) != dedup_key(b)


# --- ExactDedup ---------------------------------------------------------------------------

def _seed_records(prefixes):
    """The seed's abstract lines as records, in input order (sorted files, line order)."""
    out = []
    for prefix, n, text in seed_abstracts():
        if prefix in prefixes:
            out.append(Record(id=record_id(seed_path(prefix).name, n), text=text,
                              source=seed_path(prefix).name, line=n))
    return out


def test_exact_dedup_on_seeds():
    records = _seed_records({"000", "001", "002", "003"})
    stage = ExactDedup()
    results = [(r, stage.apply(r)) for r in records]
    kept = [r.id for r, out in results if out is r]
    drops = {r.id: out for r, out in results if isinstance(out, Drop)}

    s0, s1 = seed_path("000").name, seed_path("001").name
    s2, s3 = seed_path("002").name, seed_path("003").name
    expected_pairs = {f"{s1}:{n}": f"{s0}:{n}" for n in (5, 7, 9, 11, 13, 15, 17, 19)}
    expected_pairs[f"{s3}:10"] = f"{s2}:19"
    assert {k: d.duplicate_of for k, d in drops.items()} == expected_pairs
    for d in drops.values():
        assert (d.stage, d.reason, d.similarity) == ("dedup", "exact_duplicate", 1.0)
        assert d.duplicate_of in d.detail
    assert len(kept) + len(drops) == len(records)
    assert set(kept).isdisjoint(drops)
    assert set(expected_pairs.values()) <= set(kept)
    assert stage.clusters == {v: [k] for k, v in expected_pairs.items()}
    assert len(stage) == len(kept)
    for r, _ in results:
        assert r.dedup_key == dedup_key(r.text)


def test_exact_dedup_first_id_wins_and_variants_join_cluster():
    stage = ExactDedup()
    first = Record(id="a.txt:1", text=EN, source="a.txt", line=1)
    upper = Record(id="b.txt:3", text=EN.upper(), source="b.txt", line=3)
    spaced = Record(id="c.txt:9", text="  " + EN.replace(" ", "  "), source="c.txt", line=9)
    other = Record(id="c.txt:11", text=ZH_ASCII, source="c.txt", line=11)
    assert stage.apply(first) is first
    d1 = stage.apply(upper)
    assert stage.apply(other) is other
    d2 = stage.apply(spaced)
    for d in (d1, d2):
        assert isinstance(d, Drop)
        assert (d.stage, d.reason, d.duplicate_of, d.similarity) == \
            ("dedup", "exact_duplicate", "a.txt:1", 1.0)
    assert stage.clusters == {"a.txt:1": ["b.txt:3", "c.txt:9"]}
    assert len(stage) == 2
    # the kept record's text is never changed by dedup
    assert first.text == EN


def test_exact_dedup_uses_precomputed_key():
    stage = ExactDedup()
    a = Record(id="a.txt:1", text=EN, source="a.txt", line=1)
    b = Record(id="b.txt:1", text=ZH_ASCII, source="b.txt", line=1, dedup_key=dedup_key(EN))
    assert stage.apply(a) is a
    out = stage.apply(b)
    assert isinstance(out, Drop) and out.duplicate_of == "a.txt:1"


def test_near_pairs_through_exact_dedup_all_kept():
    stage = ExactDedup()
    for r in load_jsonl("near_pairs"):
        for side in ("a", "b"):
            rec = Record(id=f"{r['pair_id']}:{side}", text=r[side]["text"], source="x", line=1)
            assert stage.apply(rec) is rec
    assert stage.clusters == {}


def test_stage_name():
    assert ExactDedup().name == "dedup"


def _normal_form_by_definition(text: str) -> str:
    """The normal form as the module docstring defines it, written the slow, obvious way."""
    import re
    import unicodedata

    norm = "".join(" " if unicodedata.category(c).startswith("P") else c
                   for c in unicodedata.normalize("NFKC", text).casefold())
    return re.sub(r"\s+", " ", norm).strip()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_normal_form_matches_its_definition(text):
    """The ASCII fast path (bytes.translate, str.split) and the general path give the
    definition's result, control characters and Unicode white space included."""
    assert normalise_for_dedup(text) == _normal_form_by_definition(text)


def test_normal_form_of_ascii_controls_and_separators():
    text = "A\x1cB\x1fC\x0bD\x0cE\x85F\u2028G  H\t\r\n"
    assert normalise_for_dedup(text) == _normal_form_by_definition(text) == "a b c d e f g h"


# --- the BMP table path of the normal form -----------------------------------------------

from corpus_clean.stages import dedup as dedup_module  # noqa: E402

_BMP = [chr(cp) for cp in range(0x80, 0x10000) if not 0xD800 <= cp <= 0xDFFF]


@pytest.mark.parametrize("before, after", [("", ""), ("e", ""), ("", "\u0301"), ("\u1100", "")],
                         ids=["alone", "after-a-starter", "before-a-combining-mark",
                              "after-a-hangul-lead"])
def test_normal_form_of_every_bmp_character_matches_its_definition(before, after):
    """Every non-ASCII BMP character, alone and where composition or reordering with a
    neighbour changes NFKC (e + U+0301 -> é, a Hangul lead jamo + vowel -> a syllable):
    the table path, or its fallback, gives the definition's result."""
    wrong = [c for c in _BMP
             if normalise_for_dedup(before + c + after) !=
             _normal_form_by_definition(before + c + after)]
    assert wrong == []


def test_table_path_decides_real_chinese_text():
    """Chinese abstracts with full-width punctuation are decided by the tables (the fast
    path is taken) and give the definition's result."""
    for text in (ZH_FULL, ZH_ASCII, to_fullwidth(EN) + ZH_FULL):
        got = dedup_module._nfkc_fold_bmp(text)
        assert got is not None
        assert " ".join(got.split()) == _normal_form_by_definition(text)


@pytest.mark.parametrize("text", ["stra\u00dfe \u4e2d\u6587", "\U0001d400bc \u4e2d",
                                  "\ud800 \u4e2d", "A\u030a\u0323 \u4e2d"],
                         ids=["folds-to-two", "astral", "lone-surrogate", "needs-composition"])
def test_table_path_leaves_what_it_cannot_decide_to_unicodedata(text):
    assert dedup_module._nfkc_fold_bmp(text) is None
    assert normalise_for_dedup(text) == _normal_form_by_definition(text)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)),
               max_size=40))
def test_bmp_text_normal_form_matches_its_definition(text):
    assert normalise_for_dedup(text) == _normal_form_by_definition(text)
