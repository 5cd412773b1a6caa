"""Exact deduplication: the first record of each normalised text is kept, later copies dropped.

Split in two halves (see ``shared/GUIDE.md``): :func:`dedup_key` is per-record work that can
run in any worker; :class:`ExactDedup` is the small ordered part that decides, first seen wins.

The key is the 128-bit xxHash (XXH3, seed 0) of the normalised text: Unicode NFKC, case
folded, every punctuation character (Unicode category P*) replaced by a space, whitespace runs
collapsed to one space and trimmed. So copies that differ only in case, full/half-width forms,
punctuation or spacing are exact duplicates. With 2^128 keys, a false collision in 10^12 records
has a probability below 10^-14.

Memory: the index holds one 16-byte key and one id per unique record; measured at about
190 bytes per unique record with CPython 3.11 (dict entry, bytes object, id string).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
import xxhash

from ..records import Drop, Record

REASONS = ("exact_duplicate", "seen_before")

__all__ = ["REASONS", "normalise_for_dedup", "dedup_key", "ExactDedup", "exact_drop", "key_words",
           "first_seen"]



class _PunctuationToSpace(dict):
    """``str.translate`` table: punctuation (category P*) -> space, filled lazily per code point."""

    def __missing__(self, cp: int) -> str | int:
        value = " " if unicodedata.category(chr(cp)).startswith("P") else cp
        self[cp] = value
        return value


_PUNCT_TABLE = _PunctuationToSpace()
#: the same for ASCII text as a ``bytes.translate`` table (bytes 128-255 never occur there)
_ASCII_PUNCT_TABLE = bytes(32 if _PUNCT_TABLE[b] == " " else b for b in range(128)) + \
    bytes(range(128, 256))


@lru_cache(maxsize=1)
def _bmp_tables() -> tuple[np.ndarray, np.ndarray]:
    """Two look-up tables over the Basic Multilingual Plane (65,536 ``uint32`` entries each,
    built from this Python's ``unicodedata``, about 0.1 s once per process):

    * ``decompose[c]``: the code point of ``c``'s full compatibility decomposition (NFKD) when
      that is one code point of the BMP (the full-width forms, most CJK compatibility
      ideographs, ...), else ``c``;
    * ``fold[c]``: ``c`` case folded, or a space if the folded character is punctuation
      (category P*), when the folding is one code point; :data:`_NO_FOLD` where it is more
      (ß -> ss), and for the surrogates, which never occur in decoded text.
    """
    decompose = np.arange(0x10000, dtype=np.uint32)
    fold = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            fold[cp] = _NO_FOLD
            continue
        c = chr(cp)
        d = unicodedata.normalize("NFKD", c)
        if len(d) == 1 and ord(d) <= 0xFFFF:  # a few CJK compatibility ideographs go beyond
            decompose[cp] = ord(d)
        f = c.casefold()
        if len(f) != 1:
            fold[cp] = _NO_FOLD
        else:
            fold[cp] = 32 if unicodedata.category(f).startswith("P") else ord(f)
    return decompose, fold


_NO_FOLD = 0xFFFFFFFF  # not a code point: "fold this text the slow way"


def _nfkc_fold_bmp(text: str) -> str | None:
    """NFKC, case folding and punctuation as spaces by table look-up (:func:`_bmp_tables`),
    or None where the tables do not decide (a character beyond the BMP, a folding into
    several characters, text that is still not NFKC after the one-character decompositions).

    Exact: NFKC(s) is the canonical composition of NFKD(s), and NFKD(s) is the canonical
    reordering of the concatenated full decompositions of s's characters; replacing a
    character by its full decomposition changes neither, so NFKC(s2) = NFKC(s) for s2 = the
    text with its one-character decompositions applied; when s2 is already NFKC
    (``unicodedata.is_normalized``, exact) it is NFKC(s). Case folding is per character."""
    try:
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate
        return None
    if cps.size and int(cps.max()) > 0xFFFF:
        return None
    decompose, fold = _bmp_tables()
    decomposed = decompose[cps]
    if not unicodedata.is_normalized("NFKC", decomposed.tobytes().decode("utf-32-le")):
        return None
    folded = fold[decomposed]
    if folded.size and int(folded.max()) == _NO_FOLD:
        return None
    return folded.tobytes().decode("utf-32-le")


@lru_cache(maxsize=4096)  # quality, dedup and near dedup normalise the same text in turn
def normalise_for_dedup(text: str) -> str:
    """Return the dedup normal form of ``text``: NFKC, case-folded, punctuation as spaces,
    whitespace collapsed and trimmed. Pure ``str -> str``; also the input of near-dup shingles.

    Three paths with the same result (tested against the definition): ASCII text by
    ``bytes.translate`` (NFKC leaves ASCII alone and casefold is lower: 3.5x faster); other
    text of the BMP by two table look-ups on its code points (:func:`_nfkc_fold_bmp`, 4x
    faster on Chinese abstracts); the rest by ``unicodedata.normalize``, ``str.casefold`` and
    ``str.translate``."""
    if text.isascii():
        norm = text.lower().encode("ascii").translate(_ASCII_PUNCT_TABLE).decode("ascii")
    else:
        norm = _nfkc_fold_bmp(text)
        if norm is None:
            norm = unicodedata.normalize("NFKC", text).casefold().translate(_PUNCT_TABLE)
    return " ".join(norm.split())  # str.split's white space is re's \s: runs to one space


def dedup_key(text: str) -> bytes:
    """Return the 16-byte exact-dedup key of ``text`` (XXH3-128 of its normal form, UTF-8)."""
    return xxhash.xxh3_128_digest(normalise_for_dedup(text).encode("utf-8"))


class ExactDedup:
    """Stage ``dedup``: drop a record whose key was seen before (reason ``exact_duplicate``).

    ``duplicate_of`` names the first record with that key, in input order (files in sorted
    path order, records in line order). :attr:`clusters` maps each kept id that has copies to
    the ids of its copies, in input order (unless ``track_clusters`` is false, as in the
    pipeline, whose report keeps the clusters itself).
    """

    name = "dedup"

    def __init__(self, track_clusters: bool = True) -> None:
        self._first: dict[bytes, str] = {}
        self.track_clusters = track_clusters
        self.clusters: dict[str, list[str]] = {}

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record`` if its text is new, else a :class:`Drop` naming the kept record."""
        key = record.dedup_key if record.dedup_key is not None else dedup_key(record.text)
        record.dedup_key = key
        first = self._first.setdefault(key, record.id)
        if first == record.id:
            return record
        if self.track_clusters:
            self.clusters.setdefault(first, []).append(record.id)
        return Drop(self.name, "exact_duplicate", f"same normalised text as {first}",
                    duplicate_of=first, similarity=1.0)

    def first(self, key: bytes, record: str | int) -> str | int:
        """What stands for the first record seen with ``key`` (its id, or a number the caller
        gives it): ``record`` if the key is new (then remembered for it). :meth:`apply` by
        the fields, for a record the run's process holds as a rendered line (see
        :mod:`corpus_clean.engine.wire`; the pipeline passes survivor numbers). Use either this or
        :meth:`apply` on one index, not both."""
        return self._first.setdefault(key, record)

    def __len__(self) -> int:
        """Number of unique keys seen."""
        return len(self._first)


def exact_drop(first_id: str, near_root: dict[str, tuple[str, float]]) -> Drop:
    """The drop of an exact duplicate of ``first_id``; it names the record finally kept:
    ``first_id``, or the record ``first_id`` is a near duplicate of (``near_root``: id ->
    ``(kept id, Jaccard similarity)``)."""
    root, sim = near_root.get(first_id, (first_id, 1.0))
    detail = f"same normalised text as {first_id}"
    if root != first_id:
        detail += f", a near duplicate (jaccard={sim:.3f}) of {root}"
    return Drop("dedup", "exact_duplicate", detail, duplicate_of=root, similarity=sim)


def key_words(keys: list[bytes] | bytes | bytearray) -> tuple[np.ndarray, np.ndarray]:
    """The 16-byte keys (a list of them, or their concatenation) as two ``uint64`` arrays
    (high and low 8 bytes, big-endian), so that many keys can be sorted, compared and hashed
    to buckets without Python objects."""
    data = keys if isinstance(keys, (bytes, bytearray)) else b"".join(keys)
    if not data:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    words = np.frombuffer(data, dtype=">u8").reshape(len(data) // 16, 2).astype(np.uint64)
    return words[:, 0].copy(), words[:, 1].copy()


def first_seen(hi: np.ndarray, lo: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Exact dedup's rule over a batch of keys: for each entry, the index (into the arrays) of
    the entry with the same key (``hi``, ``lo``: :func:`key_words`) and the smallest
    ``position``. An entry is kept when it is its own first; :class:`ExactDedup` gives the
    same answer streaming, when ``positions`` are the input order. Pure; the same on any set
    of entries that holds all entries of each of its keys (so keys can be shuffled by hash)."""
    n = len(positions)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((positions, lo, hi))
    h, l = hi[order], lo[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = (h[1:] != h[:-1]) | (l[1:] != l[:-1])
    group = np.cumsum(starts) - 1
    heads = order[np.flatnonzero(starts)]
    first = np.empty(n, np.int64)
    first[order] = heads[group]
    return first
