"""The faster shingle hashing against the code it replaced (tests/reference_neardup.py):
the same hash arrays, signatures and band keys, one text at a time and in batches that mix
word and character shingles, texts shorter than n units and texts with no units."""

from __future__ import annotations

import numpy as np
import reference_neardup as ref
from equivalence import real_texts, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.stages import neardup

SIZES = ((5, 5), (3, 2), (1, 1), (2, 7))


def _same(text: str) -> None:
    assert neardup._is_unspaced(text) == ref._is_unspaced(text)
    for words, chars in SIZES:
        got = neardup.shingle_hashes(text, words, chars)
        want = ref.shingle_hashes(text, words, chars)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def _same_batch(batch: list[str], words: int = 5, chars: int = 5) -> None:
    got = neardup.sign_texts(batch, 21, 6, 128, 1, words, chars)
    want = ref.sign_texts(batch, 21, 6, 128, 1, words, chars)
    assert got[0].shape == want[0].shape and np.array_equal(got[0], want[0])
    assert len(got[1]) == len(want[1])
    assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(got[1], want[1]))


def test_real_texts():
    for text in real_texts():
        _same(text)
    batch = list(real_texts())
    for words, chars in SIZES:
        _same_batch(batch, words, chars)


def test_batches_with_short_and_empty_texts():
    real = list(real_texts())
    _same_batch(["", "... !!", "一", "two words", real[0], "", "中文", real[1], "a b c d e"])
    _same_batch(["", ""])
    _same_batch([])


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_random_strings(text):
    _same(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=8), st.sampled_from(SIZES))
def test_random_batches(batch, sizes):
    _same_batch(batch, *sizes)
