"""The faster quality rules against the code they replaced (tests/support/reference_quality.py): the
same drops (reason and detail) and the same repetition scores and bounds."""

from __future__ import annotations

from support import reference_quality as ref
from support.equivalence import real_texts, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.records import Drop, Record
from corpus_clean.stages import quality
from corpus_clean.stages.garbled import GARBLED_SHARE, garbled_share

# repetitive text: a few pieces repeated, so that every rule can fire or come close
repetitive = st.tuples(st.lists(st.one_of(texts, st.sampled_from(
    ["模型", "方法", "the model", "Error", "数据 ", "こんにちは", "한국어 ", " ", "\n"])),
    min_size=1, max_size=5), st.lists(st.integers(0, 4), max_size=40)).map(
    lambda t: "".join(t[0][i % len(t[0])] for i in t[1]))


def _bounds_hold(batch: list[str]) -> None:
    """The window bounds are at least the exact shares: top_share(n) for n = 2, 3, 4 and
    dup_share(m) for m = 5 ... 10, of every text."""
    grams = quality._BatchGrams(batch)
    grams.bounds()
    top_ns = tuple(n for n, _ in quality.TOP_NGRAM)
    top, dup = grams.window_bounds(top_ns, 5)
    every = list(range(len(batch)))
    for n in top_ns:
        for j, share in grams.shares("top", n, every).items():
            assert share <= top[n][j] + 1e-12, (n, batch[j][:80])
    for m in range(5, 11):
        for j, share in grams.shares("dup", m, every).items():
            assert share <= dup[j] + 1e-12, (m, batch[j][:80])


def _reference(record: Record):
    """The reference's outcome, after the ``garbled`` rule that was added before the
    repetition rules once the reference was frozen (tests/test_garbled.py tests it)."""
    if garbled_share(record.text) >= GARBLED_SHARE:
        return Drop("quality", "garbled",
                    f"ftfy_badness_per_char={garbled_share(record.text):.3f} >= "
                    f"{GARBLED_SHARE:.3f}")
    return ref.QualityFilter().apply(record)


def _same(text: str) -> None:
    record = Record("t.txt:1", text, "t.txt", 1)
    assert quality.QualityFilter().apply(record) == _reference(record)
    assert quality.repetition_scores(text) == ref.repetition_scores(text)
    assert quality._BatchGrams([text]).bounds() == [ref._Grams(text).bounds()]
    _bounds_hold([text])


def test_real_texts():
    for text in real_texts():
        _same(text)
        _same(" ".join([text[:200]] * 3))


@settings(max_examples=1000, deadline=None)
@given(st.one_of(texts, repetitive))
def test_random_strings(text):
    _same(text)


def _same_batch(batch: list[str]) -> None:
    records = [Record(f"t.txt:{i}", t, "t.txt", i) for i, t in enumerate(batch)]
    want = [_reference(r) for r in records]
    assert quality.QualityFilter().apply_batch(records) == want
    assert quality._BatchGrams(batch).bounds() == [ref._Grams(t).bounds() for t in batch]
    _bounds_hold(batch)


def test_real_texts_in_one_batch():
    """The seeds and fixtures as one batch (a word in several texts gets one id), and with
    repetitive texts among them, give each record its own outcome and bounds."""
    real = list(real_texts())
    _same_batch(real)
    _same_batch([t for text in real[:40] for t in (text, " ".join([text[:120]] * 4))])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(texts, repetitive), max_size=10))
def test_random_batches(batch):
    _same_batch(batch)


def test_texts_whose_grams_share_a_hash_are_scored_exactly(monkeypatch):
    """With a multiplier of 0 a gram's hash is its last unit, so different grams share
    hashes everywhere: those texts must be found and scored by the exact code."""
    import numpy as np

    monkeypatch.setattr(quality, "_MULT", np.uint64(0))
    real = list(real_texts())[:60]
    _same_batch(real + [" ".join([text[:150]] * 3) for text in real[:20]])
    for text in real[:20] + ["Error Error Error Error Error Error", "模型" * 30]:
        assert quality.repetition_scores(text) == ref.repetition_scores(text)


def test_pairs_of_grams_are_compared_a_bounded_number_at_a_time(monkeypatch):
    """The unit-by-unit check of equal gram hashes runs in steps (here of 7 pairs), with
    the same result, on a text whose every gram repeats."""
    monkeypatch.setattr(quality, "_CHECK_ROWS", 7)
    text = "".join("模型方法数据网络训练结果" for _ in range(30)) + " " + \
        "the model " * 40
    _same_batch([text, "Error Error Error Error Error", text[:97]])
