"""count_scripts and chinese_variant (table look-ups) against their definitions (regex passes
and set membership, the implementations they replaced)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.unicode_scripts import (CJK_RE, HAN_KANA_RE, HAN_RE, HANGUL_RE, KANA_RE,
                                  ScriptCounts, count_cjk, count_han_kana,
                                  _WORD_RE, _astral_class, _bmp_classes, _char_class,
                                  count_scripts, count_scripts_batch)
from corpus_clean.stages.language import _variant_sets, chinese_variant
from support.equivalence import real_texts, texts


def _reference_count_scripts(text: str) -> ScriptCounts:
    """The definition (the implementation before the table look-ups)."""
    letters = sum(map(str.isalpha, text))
    if text.isascii():
        return ScriptCounts(0, 0, 0, letters, len(_WORD_RE.findall(text)))
    return ScriptCounts(len(HAN_RE.findall(text)), len(KANA_RE.findall(text)),
                        len(HANGUL_RE.findall(text)), letters,
                        len(_WORD_RE.findall(CJK_RE.sub(" ", text))))


def _reference_chinese_variant(text: str) -> tuple[str, float]:
    trad_only, simp_only = _variant_sets()
    han = HAN_RE.findall(text)
    trad = sum(1 for c in han if c in trad_only)
    simp = sum(1 for c in han if c in simp_only)
    lang = "zh-tw" if trad > simp else "zh-cn"
    return lang, round((max(trad, simp) + 1) / (trad + simp + 2), 4)


def test_class_table_is_the_definition_for_every_code_point():
    table = _bmp_classes()
    assert table.tolist() == [_char_class(chr(cp)) for cp in range(0x10000)]
    for cp in range(0x110000):
        c = chr(cp)
        script = 1 if HAN_RE.match(c) else 2 if KANA_RE.match(c) else \
            3 if HANGUL_RE.match(c) else 0
        word = bool(_WORD_RE.match(c)) and not CJK_RE.match(c)
        expected = int(c.isalpha()) | script << 1 | word << 3 | (c in "'’-") << 4
        got = int(table[cp]) if cp < 0x10000 else _astral_class(cp)
        assert got == expected, hex(cp)


def test_real_texts_and_prefixes():
    for text in real_texts():
        for t in (text, text[:300], text.strip()[:300]):
            assert count_scripts(t) == _reference_count_scripts(t), t[:80]
            assert chinese_variant(t) == _reference_chinese_variant(t), t[:80]
            assert count_han_kana(t) == len(HAN_KANA_RE.findall(t))
            assert count_cjk(t) == len(CJK_RE.findall(t))


@pytest.mark.parametrize("text", ["", "a", "-", "a-", "-a", "a-b", "a--b", "a-b-c", "a'b’c",
                                  "don't stop", "x😀y", "a\ud800b", "𠀀𠀁abc-d", "中-文",
                                  "a-中-b", "²-a", "a_b", "1a2b", "ﬁne", "Ⅻ-x"])
def test_edges(text):
    assert count_scripts(text) == _reference_count_scripts(text)
    assert chinese_variant(text) == _reference_chinese_variant(text)
    assert count_han_kana(text) == len(HAN_KANA_RE.findall(text))
    assert count_cjk(text) == len(CJK_RE.findall(text))


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_random_strings(text):
    assert count_scripts(text) == _reference_count_scripts(text)
    assert chinese_variant(text) == _reference_chinese_variant(text)
    assert count_han_kana(text) == len(HAN_KANA_RE.findall(text))
    assert count_cjk(text) == len(CJK_RE.findall(text))


EDGES = ["", "a", "-", "a-", "-a", "a-b", "a--b", "a-b-c", "a'b’c", "don't stop", "x😀y",
         "a\ud800b", "𠀀𠀁abc-d", "中-文", "a-中-b", "²-a", "a_b", "1a2b", "ﬁne", "Ⅻ-x"]


def test_batch_counts_are_count_scripts_of_each():
    """count_scripts_batch (one histogram per text over the joined batch) against
    count_scripts on real texts in batches of 256, and on the edge cases, where a joiner or a
    word run at a text's edge must not reach into the next text."""
    real = list(real_texts())
    for i in range(0, len(real), 256):
        batch = real[i:i + 256]
        assert count_scripts_batch(batch) == [count_scripts(t) for t in batch]
    batch = EDGES + [e + f for e in EDGES for f in ("-", "a", "'")]
    assert count_scripts_batch(batch) == [count_scripts(t) for t in batch]
    assert count_scripts_batch(["-", "a", "-", "b-", "-c"]) == [
        ScriptCounts(0, 0, 0, 0, 0), ScriptCounts(0, 0, 0, 1, 1), ScriptCounts(0, 0, 0, 0, 0),
        ScriptCounts(0, 0, 0, 1, 1), ScriptCounts(0, 0, 0, 1, 1)]
    assert count_scripts_batch([]) == []


@settings(max_examples=500, deadline=None)
@given(st.lists(texts, max_size=12))
def test_batch_counts_on_random_batches(batch):
    assert count_scripts_batch(batch) == [count_scripts(t) for t in batch]
