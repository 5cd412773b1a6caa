# Shingle hashing of corpus_clean/stages/neardup.py as it was before the faster code replaced
# it: _is_unspaced and _units as at b753bba, shingle_hashes and sign_texts (one record at a
# time, before batch_shingle_hashes) as at 55814f9. The reference the equivalence tests
# compare the new code with; the MinHash and band-key code it calls is rensa's and xxhash's.
# Do not edit.
from __future__ import annotations

import numpy as np
import xxhash

from corpus_clean.unicode_scripts import CJK_RE
from corpus_clean.stages.dedup import normalise_for_dedup

_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _is_unspaced(norm: str) -> bool:
    cjk = len(CJK_RE.findall(norm))
    return cjk * 2 >= len(norm.replace(" ", ""))


def _units(text: str, chars_mode: bool) -> np.ndarray:
    norm = normalise_for_dedup(text)
    if chars_mode:
        s = norm.replace(" ", "")
        return np.fromiter(map(ord, s), dtype=np.uint64, count=len(s))
    digest = xxhash.xxh3_64_intdigest
    toks = norm.split()
    return np.fromiter((digest(t.encode("utf-8")) for t in toks), dtype=np.uint64,
                       count=len(toks))


def shingle_hashes(text: str, words: int = 5, chars: int = 5) -> np.ndarray:
    chars_mode = _is_unspaced(normalise_for_dedup(text))
    u = _units(text, chars_mode)
    n = chars if chars_mode else words
    if len(u) == 0:
        return np.zeros(0, dtype=np.uint32)
    n = min(n, len(u))
    m = len(u) - n + 1
    with np.errstate(over="ignore"):
        h = np.zeros(m, dtype=np.uint64)
        for j in range(n):
            h = h * _MULT + u[j:j + m]
        h ^= h >> np.uint64(30)
        h *= _MIX1
        h ^= h >> np.uint64(27)
        h *= _MIX2
        h ^= h >> np.uint64(31)
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def minhash_signatures(hash_sets: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    from rensa import RMinHash

    if not hash_sets:
        return np.zeros((0, num_perm), dtype=np.uint32)
    lengths = [len(h) for h in hash_sets]
    flat = np.concatenate(hash_sets).astype(np.uint64) if sum(lengths) else np.zeros(0, np.uint64)
    offsets = np.zeros(len(hash_sets) + 1, dtype=np.uint64)
    np.cumsum(lengths, out=offsets[1:])
    rows = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed).to_rows()
    return np.asarray(rows, dtype=np.uint32).reshape(len(hash_sets), num_perm)


def sign_texts(texts: list[str], bands: int, rows: int, num_perm: int, seed: int, words: int,
               chars: int) -> tuple[np.ndarray, list[np.ndarray]]:
    hashes = [shingle_hashes(t, words, chars) for t in texts]
    sigs = minhash_signatures(hashes, num_perm, seed)
    used = np.ascontiguousarray(sigs[:, : bands * rows]).reshape(len(texts), bands, rows)
    digest = xxhash.xxh3_64_intdigest
    keys = np.array([[digest(band.tobytes()) for band in rec] for rec in used],
                    dtype=np.uint64).reshape(len(texts), bands)
    return keys, hashes
