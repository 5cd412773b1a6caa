"""The faster shingle hashing against the code it replaced (tests/support/reference_neardup.py):
the same hash arrays, and band keys that group the records as the reference's do (the key
function changed from XXH3 per band to a NumPy fold, :func:`neardup.band_keys`), one text at a
time and in batches that mix word and character shingles, texts shorter than n units and
texts with no units."""

from __future__ import annotations

import numpy as np
from support import reference_neardup as ref
from support.equivalence import real_texts, texts
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


def same_grouping(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two ``(records, bands)`` key arrays put the same records together in every
    band (equal keys in one exactly where equal keys in the other)."""
    if a.shape != b.shape:
        return False
    for j in range(a.shape[1]):
        _, first_a, groups_a = np.unique(a[:, j], return_index=True, return_inverse=True)
        _, first_b, groups_b = np.unique(b[:, j], return_index=True, return_inverse=True)
        # name each group by its first record, so that the labels compare
        if not np.array_equal(first_a[groups_a], first_b[groups_b]):
            return False
    return True


def _same_batch(batch: list[str], words: int = 5, chars: int = 5) -> None:
    got = neardup.sign_texts(batch, 21, 6, 128, 1, words, chars)
    want = ref.sign_texts(batch, 21, 6, 128, 1, words, chars)
    assert same_grouping(got[0], want[0])
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


def test_band_keys_fold_each_band_value_by_value():
    """band_keys against the fold written out per band, and grouping as XXH3 does on
    signatures where bands repeat across records."""
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint64).astype(np.uint32)
    sigs[7, :12] = sigs[3, :12]  # records 3 and 7 share bands 0 and 1
    sigs[9, 60:66] = sigs[2, 60:66]  # 2 and 9 share band 10
    keys = neardup.band_keys(sigs, 21, 6)
    mask = (1 << 64) - 1

    def fold(values):
        h = int(neardup._BAND_START)
        for v in values:
            h = (h + int(v)) & mask
            h ^= h >> 30
            h = (h * 0xBF58476D1CE4E5B9) & mask
            h ^= h >> 27
            h = (h * 0x94D049BB133111EB) & mask
            h ^= h >> 31
        return h
    assert keys.dtype == np.uint64 and keys.shape == (40, 21)
    assert [[int(k) for k in row] for row in keys] == \
        [[fold(sig[b * 6:(b + 1) * 6]) for b in range(21)] for sig in sigs]
    assert keys[3, 0] == keys[7, 0] and keys[3, 1] == keys[7, 1] and keys[3, 2] != keys[7, 2]
    assert keys[2, 10] == keys[9, 10]
    import xxhash
    want = np.array([[xxhash.xxh3_64_intdigest(sig[b * 6:(b + 1) * 6].tobytes())
                      for b in range(21)] for sig in sigs], dtype=np.uint64)
    assert same_grouping(keys, want)
    assert not same_grouping(keys, want[::-1])
