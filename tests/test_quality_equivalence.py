"""The faster quality rules against the code they replaced (tests/reference_quality.py): the
same drops (reason and detail) and the same repetition scores and bounds."""

from __future__ import annotations

import reference_quality as ref
from equivalence import real_texts, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.records import Record
from corpus_clean.stages import quality

# repetitive text: a few pieces repeated, so that every rule can fire or come close
repetitive = st.tuples(st.lists(st.one_of(texts, st.sampled_from(
    ["模型", "方法", "the model", "Error", "数据 ", "こんにちは", "한국어 ", " ", "\n"])),
    min_size=1, max_size=5), st.lists(st.integers(0, 4), max_size=40)).map(
    lambda t: "".join(t[0][i % len(t[0])] for i in t[1]))


def _same(text: str) -> None:
    record = Record("t.txt:1", text, "t.txt", 1)
    assert quality.QualityFilter().apply(record) == ref.QualityFilter().apply(record)
    assert quality.repetition_scores(text) == ref.repetition_scores(text)
    assert quality._Grams(text).bounds() == ref._Grams(text).bounds()


def test_real_texts():
    for text in real_texts():
        _same(text)
        _same(" ".join([text[:200]] * 3))


@settings(max_examples=1000, deadline=None)
@given(st.one_of(texts, repetitive))
def test_random_strings(text):
    _same(text)
