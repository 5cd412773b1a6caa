"""The faster shingle hashing against the code it replaced (tests/reference_neardup.py):
the same hash arrays, signatures and band keys."""

from __future__ import annotations

import numpy as np
import reference_neardup as ref
from equivalence import real_texts, texts
from hypothesis import given, settings

from corpus_clean.stages import neardup


def _same(text: str) -> None:
    assert neardup._is_unspaced(text) == ref._is_unspaced(text)
    for words, chars in ((5, 5), (3, 2), (1, 1)):
        got = neardup.shingle_hashes(text, words, chars)
        want = ref.shingle_hashes(text, words, chars)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_real_texts():
    for text in real_texts():
        _same(text)
    batch = list(real_texts())
    got = neardup.sign_texts(batch, 21, 6, 128, 1, 5, 5)
    want = ref.sign_texts(batch, 21, 6, 128, 1, 5, 5)
    assert np.array_equal(got[0], want[0])
    assert all(np.array_equal(a, b) for a, b in zip(got[1], want[1]))


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_random_strings(text):
    _same(text)
