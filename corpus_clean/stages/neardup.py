"""Near-duplicate detection: MinHash signatures, LSH banding, exact Jaccard verification.

Split like exact dedup (see ``shared/GUIDE.md``): :func:`shingle_hashes` and
:func:`minhash_signatures` are per-record work that can run in any worker;
:class:`NearDupIndex` collects what it needs per record and decides once all records are in.

**Shingles.** Computed on the exact-dedup normal form (:func:`.dedup.normalise_for_dedup`:
NFKC, case folded, punctuation as spaces, white space collapsed to single spaces). By default
(``Config.shingle_words`` 0) every record is shingled as character n-grams of it, spaces kept
(default 5, ``Config.shingle_chars``), whatever its script: near duplicates are records whose
character 5-gram sets have Jaccard similarity >= 0.8. A revised abstract that changes one word
in twenty loses about a quarter of its word 5-grams but a tenth of its character 5-grams: on
the 595 real pairs of ``neardup/pairs.dev.jsonl`` at character 5-gram Jaccard >= 0.8 (a
revised abstract, another crawl's version), word 5-grams at 0.8 merged 0.76, character
5-grams merge 0.99 (``bench/bench_neardup.py``). With ``shingle_words`` n > 0, the definition
of Lee et al. 2022, "Deduplicating Training Data Makes Language Models Better" (ACL), also
used by RefinedWeb and datatrove: word n-grams for space-delimited text, and character n-grams
with spaces removed for text whose letters are mostly Han, Kana or Hangul (there are no word
boundaries to count words by). A text shorter than n units is one shingle. Each shingle is hashed to 32
bits (:func:`shingle_hashes`: XXH3-64 word hashes or code points combined polynomially, then
the splitmix64 finaliser): over the few thousand shingles of a record, 32-bit collisions change
a Jaccard similarity by less than 1e-6.

**MinHash** (Broder 1997): ``Config.num_perm`` (default 128) minimum hash values per record,
computed by rensa's R-MinHash (chosen by ``bench/bench_minhash.py``: the fastest of datasketch,
rensa and vectorised NumPy, with the same estimation error), seeded by ``Config.minhash_seed``.

**LSH banding** (Leskovec, Rajaraman, Ullman, *Mining of Massive Datasets*, ch. 3): the
signature is cut into ``b`` bands of ``r`` rows; two records are candidates if all rows of at
least one band agree, which happens with probability ``1 - (1 - s**r)**b`` for Jaccard
similarity ``s``. :func:`choose_bands` picks ``(b, r)`` with ``b * r <= num_perm`` so that a
pair exactly at the threshold is a candidate with probability at least 0.99, and among those
the one with the fewest false positives: candidates are verified, so a false positive costs
only a Jaccard computation while a false negative is a missed duplicate. For the defaults
(threshold 0.8, 128 permutations) that is b=21, r=6: a pair at s=0.8 becomes a candidate with
probability 0.9984, at s=0.5 with 0.28.

**Verification.** Every candidate pair is confirmed with the exact Jaccard similarity of the
two records' shingle-hash sets (kept on disk, not in memory), so reported similarities are
exact and no pair below the threshold is ever merged.

**Clusters and keep policy.** Records are visited in keep order (``first``: input order;
``longest``: longest text first, then input order). A record is a near duplicate when one of
its verified candidates already visited and kept has Jaccard >= threshold with it; it then
names the most similar such record (earliest on ties) in ``duplicate_of``. Every removed
record is therefore at or above the threshold with the record it names; chains (A~B, B~C, A≁C)
do not merge A and C.

**Memory.** Per unique record the index holds ``b`` 8-byte band keys, an 8-byte offset, and
4-byte shingle count and text length: 184 bytes for the defaults, in ``array`` buffers. Shingle
hashes go to a spill file (4 bytes per shingle). Texts are never held.
"""

from __future__ import annotations

import array
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import xxhash

from ..records import Drop
from ..unicode_scripts import count_cjk
from .dedup import normalise_for_dedup

REASONS = ("near_duplicate", "near_seen_before")

# rensa computes MinHash on rayon's thread pool unless it has one thread. corpus-clean runs
# one worker process per core, so a pool in each would only oversubscribe the cores; and a
# pool's threads do not survive fork: a worker forked from a process that had run MinHash on
# a pool (a run with one worker, then a run with two) waited for them forever. With one
# thread rensa computes in the calling thread. Set before rensa's pool starts (its first
# use); a value the user set is kept.
os.environ.setdefault("RAYON_NUM_THREADS", "1")

__all__ = ["REASONS", "shingles", "shingle_hashes", "batch_shingle_hashes",
           "minhash_signatures", "sign_texts", "band_keys",
           "choose_bands",
           "candidate_probability", "NearDupIndex", "jaccard", "band_pairs", "unique_pairs",
           "decide_pairs", "index_parameters", "check_keep"]

#: candidate pairs per LSH bucket: all pairs up to this size, a chain and a star beyond it
MAX_BUCKET_ALL_PAIRS = 64


def _is_unspaced(norm: str) -> bool:
    cjk = count_cjk(norm)  # len(CJK_RE.findall(norm)), by table look-up
    return cjk * 2 >= len(norm.replace(" ", ""))


def shingles(text: str, words: int = 0, chars: int = 5) -> set[str]:
    """Return the shingle set of ``text``, of the dedup normal form: character ``chars``-grams
    (spaces kept) if ``words`` is 0; else character ``chars``-grams (spaces removed) for text
    that is mostly Han/Kana/Hangul, and word ``words``-grams for other text."""
    norm = normalise_for_dedup(text)
    if not words:
        n = chars
        if len(norm) <= n:
            return {norm} if norm else set()
        return {norm[i:i + n] for i in range(len(norm) - n + 1)}
    if _is_unspaced(norm):
        s = norm.replace(" ", "")
        n = chars
        if len(s) <= n:
            return {s} if s else set()
        return {s[i:i + n] for i in range(len(s) - n + 1)}
    toks = norm.split()
    n = words
    if len(toks) <= n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)}


_MULT = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio, odd (Knuth's multiplicative hash)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constants (Steele et al. 2014)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _units(text: str, chars_mode: bool, keep_spaces: bool = False) -> np.ndarray:
    norm = normalise_for_dedup(text)
    if chars_mode:
        # the code points, as UTF-32 (not one ord() per character)
        s = norm if keep_spaces else norm.replace(" ", "")
        return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    if not norm:
        return np.zeros(0, dtype=np.uint64)
    # the normal form's words are separated by single spaces, and no other white space is
    # left in it: splitting its UTF-8 at b" " gives each word's UTF-8 without a Python-level
    # encode per word (2.2x faster)
    toks = norm.encode("utf-8", "surrogatepass").split(b" ")
    return np.fromiter(map(xxhash.xxh3_64_intdigest, toks), dtype=np.uint64, count=len(toks))


def shingle_hashes(text: str, words: int = 0, chars: int = 5) -> np.ndarray:
    """Return the sorted unique 32-bit hashes of ``text``'s shingles (those of
    :func:`shingles`), as a ``numpy.uint32`` array (empty for text with no letters or digits).

    A shingle's hash combines its units (XXH3-64 of each word, or each character's code
    point) as a polynomial in a 64-bit odd multiplier, then mixes it with the splitmix64
    finaliser and keeps 32 bits: vectorised over all shingles of a record, 4x faster than
    hashing each shingle's string. One record of :func:`batch_shingle_hashes`.
    """
    flat, offsets = batch_shingle_hashes([text], words, chars)
    return flat


def _finalise(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser of 64-bit values, in place; returns ``h``."""
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(30)
        h *= _MIX1
        h ^= h >> np.uint64(27)
        h *= _MIX2
        h ^= h >> np.uint64(31)
    return h


def _polynomial(u: np.ndarray, n: int) -> np.ndarray:
    """The polynomial hash ``sum(u[i + j] * _MULT ** (n - 1 - j) for j < n)`` (mod 2^64) at
    every start ``i`` of ``u`` with ``i + n <= len(u)``."""
    m = len(u) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = u[:m].copy()
        for j in range(1, n):  # in place: no new array per unit
            np.multiply(h, _MULT, out=h)
            np.add(h, u[j:j + m], out=h)
    return h


def batch_shingle_hashes(texts: list[str], words: int = 0,
                         chars: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Return the shingle hashes of several texts at once: ``(flat, offsets)``, where
    ``flat[offsets[i]:offsets[i + 1]]`` is ``shingle_hashes(texts[i], words, chars)``
    (``flat``: ``uint32``; ``offsets``: ``int64``, length ``len(texts) + 1``).

    The units of the texts are concatenated, hashed and finalised in a few NumPy calls for
    the whole batch (the shingles that would cross from one text into the next are
    dropped), then sorted text by text. A text shorter than its n units is one shingle.
    """
    units = []
    sizes = []
    short = []  # (index, hash) of each text shorter than its n: one shingle of all units
    for i, text in enumerate(texts):
        if words:
            chars_mode = _is_unspaced(normalise_for_dedup(text))
            u = _units(text, chars_mode)
        else:  # character n-grams of every text, spaces kept
            chars_mode = True
            u = _units(text, True, keep_spaces=True)
        n = chars if chars_mode else words
        if 0 < len(u) < n:
            short.append((i, _polynomial(u, len(u))))
            u = u[:0]
        units.append(u)
        sizes.append((len(u), n))
    per_text: list[np.ndarray | None] = [None] * len(texts)
    for n in sorted({n for length, n in sizes if length}):
        # every text whose shingles have n units, concatenated: a start i is a shingle of text
        # r when it lies in r and i + n does not pass r's end
        members = [r for r, (length, k) in enumerate(sizes) if length and k == n]
        lengths = np.array([sizes[r][0] for r in members], dtype=np.int64)
        u = np.concatenate([units[r] for r in members])
        # all starts hashed at once (those that cross into the next text too: n - 1 per
        # text, left out below, cheaper than masking them out)
        h = (_finalise(_polynomial(u, n)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        # each member's shingles start at its first unit, length - n + 1 of them (a shorter
        # text is one shingle, below)
        for r, start, length in zip(members, (np.cumsum(lengths) - lengths).tolist(),
                                    lengths.tolist()):
            per_text[r] = h[start:start + length - n + 1]
    for i, h in short:
        per_text[i] = (_finalise(h) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # sorted, duplicates gone, text by text: a sort of each text's 32-bit hashes and a
    # comparison of neighbours is 3x faster than one sort of (text, hash) 64-bit keys of the
    # batch (and 5x faster than np.unique, which hashes first in NumPy 2)
    empty = np.zeros(0, dtype=np.uint32)
    out = []
    for h in per_text:
        if h is None or not len(h):
            out.append(empty)
            continue
        h = np.sort(h)
        if len(h) > 1:
            h = h[np.concatenate(([True], h[1:] != h[:-1]))]
        out.append(h)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in out], out=offsets[1:])
    flat = np.concatenate(out) if out else empty
    return flat, offsets


def minhash_signatures(hash_sets: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """Return the MinHash signatures of several shingle-hash sets, shape
    ``(len(hash_sets), num_perm)``, dtype ``uint32`` (rensa R-MinHash, seeded)."""
    lengths = [len(h) for h in hash_sets]
    flat = np.concatenate(hash_sets) if sum(lengths) else np.zeros(0, np.uint32)
    offsets = np.zeros(len(hash_sets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return _minhash_flat(flat, offsets, num_perm, seed)


def _minhash_flat(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """:func:`minhash_signatures` of the sets ``flat[offsets[i]:offsets[i + 1]]``."""
    from rensa import RMinHash

    count = len(offsets) - 1
    if count == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    rows = RMinHash.digest_matrix_from_flat_token_hashes(
        flat.astype(np.uint64), offsets.astype(np.uint64), num_perm, seed).to_rows()
    return np.asarray(rows, dtype=np.uint32).reshape(count, num_perm)


def sign_texts(texts: list[str], bands: int, rows: int, num_perm: int, seed: int, words: int,
               chars: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the LSH band keys (``uint64``, shape ``(len(texts), bands)``, see
    :func:`band_keys`) and the shingle-hash arrays of ``texts``."""
    flat, offsets = batch_shingle_hashes(texts, words, chars)
    hashes = np.split(flat, offsets[1:-1]) if texts else []
    sigs = _minhash_flat(flat, offsets, num_perm, seed)
    return band_keys(sigs, bands, rows), hashes


_BAND_START = np.uint64(0x243F6A8885A308D3)  # the first hexadecimal digits of pi


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH band keys of MinHash signatures ``sigs`` (``uint32``, ``(records, >= bands *
    rows)``): ``uint64``, ``(records, bands)``. Band b is values ``b * rows ...`` of a
    signature; its key folds them in one at a time, ``h = finaliser(h + value)`` from a
    fixed start (splitmix64's finaliser, a bijection of 64-bit values), for all bands of all
    records in ``rows`` rounds of NumPy operations (0.2 µs per record, where XXH3-64 of each
    band's bytes took 9.5). Equal bands have equal keys; two different bands share a key
    with a probability of about 2^-64, and would only make a candidate pair that the exact
    Jaccard check then rejects."""
    count = len(sigs)
    used = np.asarray(sigs)[:, :bands * rows].reshape(count, bands, rows).astype(np.uint64)
    keys = np.full((count, bands), _BAND_START, dtype=np.uint64)
    for r in range(rows):
        keys += used[:, :, r]
        _finalise(keys)
    return keys


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """Probability in [0, 1] that two records of Jaccard similarity ``s`` share a band."""
    return 1.0 - (1.0 - s ** rows) ** bands


@lru_cache(maxsize=16)
def choose_bands(threshold: float, num_perm: int, min_recall: float = 0.99) -> tuple[int, int]:
    """Return ``(bands, rows)``, ``bands * rows <= num_perm``: of the choices that make a pair
    at exactly the threshold a candidate with probability >= ``min_recall``, the one with the
    smallest false-positive area (the integral of the candidate probability over [0,
    threshold], datasketch ``MinHashLSH``'s criterion); if none reaches ``min_recall``, the one
    with the highest probability at the threshold."""
    xs = np.linspace(0.0, threshold, 201)
    best, best_key = (1, 1), (True, float("inf"))
    for r in range(1, num_perm + 1):
        b = num_perm // r
        at_t = candidate_probability(threshold, b, r)
        fp = float(np.trapezoid(1.0 - (1.0 - xs ** r) ** b, xs))
        key = (at_t < min_recall, fp if at_t >= min_recall else -at_t)
        if key < best_key:
            best, best_key = (b, r), key
    return best


def index_parameters(threshold: float, num_perm: int, seed: int, words: int,
                     chars: int) -> dict:
    """The near-dup settings as the dedup report shows them (``parameters.near``)."""
    bands, rows = choose_bands(threshold, num_perm)
    return {"threshold": threshold, "num_perm": num_perm, "bands": bands, "rows": rows,
            "seed": seed, "shingle_words": words, "shingle_chars": chars,
            "shingles": (f"character {chars}-grams of the normal form, spaces kept" if not words
                         else f"word {words}-grams; character {chars}-grams, spaces removed, "
                              "for Han/Kana/Hangul text"),
            "minhash": "rensa R-MinHash",
            "shingle_hash": "polynomial of xxh3_64 word hashes or code points, "
                            "splitmix64 finaliser, 32 bits"}


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity in [0, 1] of two sorted unique hash arrays (1.0 if both empty)."""
    if not len(a) and not len(b):
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (len(a) + len(b) - inter)


class NearDupIndex:
    """Collects per-record LSH band keys and shingle hashes, then decides the near duplicates.

    Use: :meth:`add` for each record that survives exact dedup, in input order (index 0, 1,
    ...), then :meth:`decide` once. Shingle hashes are spilled to ``spill_dir``.
    """

    def __init__(self, spill_dir: Path, threshold: float = 0.8, num_perm: int = 128,
                 seed: int = 1, words: int = 0, chars: int = 5):
        self.threshold, self.num_perm, self.seed = threshold, num_perm, seed
        self.words, self.chars = words, chars
        self.bands, self.rows = choose_bands(threshold, num_perm)
        self._keys = array.array("Q")
        self._offsets = array.array("Q")
        self._counts = array.array("I")
        self._lengths = array.array("I")
        self._spill_path = Path(spill_dir) / "shingles.u32"
        self._spill = open(self._spill_path, "wb")  # noqa: SIM115 - closed in decide()
        self._reader: int | None = None
        self._written = 0
        self.candidate_pairs = 0
        self.verified_pairs = 0

    def __len__(self) -> int:
        return len(self._counts)

    def parameters(self) -> dict:
        """The settings, for the dedup report (:func:`index_parameters`)."""
        return index_parameters(self.threshold, self.num_perm, self.seed, self.words,
                                self.chars)

    def sign(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per-record work for :meth:`add`: the LSH band keys, shape ``(len(texts), bands)``
        (``uint64``), and the shingle-hash arrays of ``texts``. Pure; runs in any worker."""
        return sign_texts(texts, self.bands, self.rows, self.num_perm, self.seed, self.words,
                          self.chars)

    def add(self, keys: np.ndarray, hashes: np.ndarray, length: int) -> None:
        """Add the next record (input order): its band keys, shingle hashes and text length
        in characters."""
        self._keys.extend(keys.tolist())
        self._offsets.append(self._written)
        self._counts.append(len(hashes))
        self._lengths.append(length)
        self._spill.write(hashes.tobytes())
        self._written += len(hashes)

    def add_many(self, keys: np.ndarray, hashes: np.ndarray, counts: np.ndarray,
                 lengths: list[int]) -> None:
        """:meth:`add` of several records at once: ``keys`` their band keys (``uint64``,
        ``(records, bands)``), ``hashes`` their shingle hashes concatenated (``uint32``),
        ``counts`` the number of hashes of each and ``lengths`` their lengths in
        characters."""
        if not len(counts):
            return
        self._keys.frombytes(np.ascontiguousarray(keys, dtype=np.uint64).tobytes())
        starts = np.cumsum(counts) - counts + self._written
        self._offsets.frombytes(starts.astype(np.uint64).tobytes())
        self._counts.frombytes(np.asarray(counts, dtype=np.uint32).tobytes())
        self._lengths.frombytes(np.asarray(lengths, dtype=np.uint32).tobytes())
        self._spill.write(np.ascontiguousarray(hashes, dtype=np.uint32).tobytes())
        self._written += int(np.sum(counts))

    def add_batch(self, texts: list[str]) -> None:
        """Sign and add the next records (their texts, in input order)."""
        keys, hashes = self.sign(texts)
        for text, k, h in zip(texts, keys, hashes):
            self.add(k, h, len(text))

    def _candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the candidate pairs ``(a, b)``, ``a < b``, of all bands, without repeats
        (:func:`band_pairs` per band, :func:`unique_pairs` over all)."""
        n = len(self)
        keys = np.frombuffer(self._keys, dtype=np.uint64).reshape(n, self.bands)
        ids = np.arange(n, dtype=np.int64)
        return unique_pairs([band_pairs(keys[:, j], ids) for j in range(self.bands)], n)

    def band_keys(self) -> np.ndarray:
        """The band keys of the records added so far, ``(records, bands)`` ``uint64``."""
        return np.frombuffer(self._keys, dtype=np.uint64).reshape(len(self), self.bands)

    def counts(self) -> np.ndarray:
        """The number of shingle hashes of each record added so far (``uint32``)."""
        return np.frombuffer(self._counts, dtype=np.uint32)

    def hashes_of(self, i: int) -> np.ndarray:
        """The shingle hashes of record ``i`` (``uint32``), read from the spill file (flushed
        first; the spill stays until :meth:`decide` with ``keep_spill`` False). A read, not a
        memory map: a look-up of many records leaves none of the file's pages mapped."""
        if not self._spill.closed:
            self._spill.flush()
        if self._reader is None:
            self._reader = os.open(self._spill_path, os.O_RDONLY)
        count = int(self._counts[i])
        data = os.pread(self._reader, 4 * count, 4 * int(self._offsets[i]))
        return np.frombuffer(data, dtype=np.uint32)

    def drop_spill(self) -> None:
        """Remove the spill file (after :meth:`decide` with ``keep_spill``)."""
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None
        try:
            os.unlink(self._spill_path)
        except OSError:
            pass

    def decide(self, keep: str = "first", excluded: set[int] | frozenset = frozenset(),
               keep_spill: bool = False) -> dict[int, tuple[int, float]]:
        """Return ``{index: (kept_index, jaccard)}`` for every record that is a near duplicate
        (:func:`decide_pairs` over the candidate pairs, verified here from the spill file).
        Records in ``excluded`` (removed already: seen in an earlier run) are neither decided
        nor kept. ``keep_spill``: leave the spill file for :meth:`hashes_of` (then
        :meth:`drop_spill`).

        Raises:
            ValueError: ``keep`` is not ``first`` or ``longest``.
        """
        check_keep(keep)
        if not self._spill.closed:
            self._spill.close()
        n = len(self)
        if n < 2:
            return {}
        a, b = self._candidates()
        self.candidate_pairs = len(a)
        if not len(a):
            return {}
        lengths = np.frombuffer(self._lengths, dtype=np.uint32).astype(np.int64)
        # shingle hashes are read (hashes_of), not memory-mapped: a map of the spill file (4
        # bytes per shingle of every survivor, 2.7 GB for a 1 GB dump) counts the pages the
        # verification touches in the process's resident memory (1.8 GB of the 1 GB --remix
        # dump's run)
        mine: list = [-1, None]  # the later record's hashes, read once for all its pairs

        def similarity(later: int, first: int, k: int) -> float:
            if mine[0] != later:
                mine[0], mine[1] = later, self.hashes_of(later)
            return jaccard(mine[1], self.hashes_of(first))

        removed, verified = decide_pairs(a, b, lengths[a], lengths[b], keep, self.threshold,
                                         similarity, excluded)
        self.verified_pairs += verified
        if not keep_spill:
            self.drop_spill()
        return removed


def check_keep(keep: str) -> None:
    """Raise ValueError unless ``keep`` is ``first`` or ``longest``."""
    if keep not in ("first", "longest"):
        raise ValueError(f"keep must be 'first' or 'longest', not {keep!r}")


def band_pairs(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Return the candidate pairs of one LSH band, shape ``(k, 2)`` (``int64`` record ids,
    not oriented, maybe repeated): the records ``ids`` (ascending) whose band ``keys`` (one
    per record) are equal form a bucket; a bucket of up to :data:`MAX_BUCKET_ALL_PAIRS`
    records gives all its pairs, a larger one (boilerplate-like text shared by many records) a
    chain of neighbours plus a star from its first record.

    Pure, and the same for any subset of a band that holds whole buckets, which is what lets
    buckets be formed by a shuffle on several machines (:mod:`corpus_clean.engine.dask_dedup`).
    """
    order = np.argsort(keys, kind="stable")  # ids ascending: ties stay in id order
    col = keys[order]
    members_all = ids[order]
    eq = col[1:] == col[:-1]
    if not eq.any():
        return np.zeros((0, 2), np.int64)
    found = [np.stack([members_all[:-1][eq], members_all[1:][eq]], axis=1)]  # the chain
    edges = np.diff(np.concatenate(([0], eq.astype(np.int8), [0])))
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        members = members_all[start:stop + 1]
        if len(members) <= 2:
            continue
        if len(members) <= MAX_BUCKET_ALL_PAIRS:
            ii, jj = np.triu_indices(len(members), 1)
            found.append(np.stack([members[ii], members[jj]], axis=1))
        else:
            found.append(np.stack([np.full(len(members) - 1, members[0]), members[1:]],
                                  axis=1))
    return np.concatenate(found).astype(np.int64)


def unique_pairs(found: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(a, b)``, ``a < b``, the distinct pairs of the ``(k, 2)`` arrays ``found``
    (record ids below ``n``), sorted by ``(a, b)``."""
    found = [f for f in found if len(f)]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = np.sort(np.concatenate(found).astype(np.int64), axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return codes // n, codes % n


def decide_pairs(a: np.ndarray, b: np.ndarray, len_a: np.ndarray, len_b: np.ndarray,
                 keep: str, threshold: float, similarity,
                 excluded: set[int] | frozenset = frozenset()
                 ) -> tuple[dict[int, tuple[int, float]], int]:
    """The near-dup decision over verified candidate pairs: ``({index: (kept_index,
    jaccard)}, verified_pairs)``.

    Records are visited in keep order (``first``: index order; ``longest``: longest text
    first (``len_a``/``len_b``: text lengths of ``a``/``b``), then index order); a record is
    removed when one of its candidates earlier in keep order, not itself removed, has
    ``similarity >= threshold``; it names the most similar (earliest on ties). ``similarity(
    later, first, k)`` gives the Jaccard similarity of the ``k``-th pair (``later`` and
    ``first``: its records in keep order); it is asked only for pairs whose earlier record
    was not removed (``verified_pairs`` counts them), in order of the later record. Records
    in ``excluded`` (removed before: seen in an earlier run) are neither decided nor kept.
    """
    check_keep(keep)
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if keep == "first":
        swap = a > b
    else:
        len_a, len_b = np.asarray(len_a, np.int64), np.asarray(len_b, np.int64)
        swap = (len_a < len_b) | ((len_a == len_b) & (a > b))
    # orient each pair (earlier in keep order, later); group by the later one
    first = np.where(swap, b, a)
    later = np.where(swap, a, b)
    if keep == "first":
        by_later = np.lexsort((first, later))
    else:
        len_first = np.where(swap, len_b, len_a)
        len_later = np.where(swap, len_a, len_b)
        by_later = np.lexsort((first, -len_first, later, -len_later))
    first, later = first[by_later], later[by_later]
    removed: dict[int, tuple[int, float]] = {}
    verified = 0
    i = 0
    while i < len(later):
        rec = int(later[i])
        best: tuple[int, float] | None = None
        skip = rec in excluded
        while i < len(later) and later[i] == rec:
            other = int(first[i])
            k = int(by_later[i])
            i += 1
            if skip or other in removed or other in excluded:
                continue
            verified += 1
            sim = similarity(rec, other, k)
            if sim >= threshold and (best is None or sim > best[1]):
                best = (other, sim)
        if best is not None:
            removed[rec] = (best[0], round(best[1], 6))
    return removed, verified


def near_drop(threshold: float, kept_id: str, sim: float) -> Drop:
    """The drop of a near duplicate of ``kept_id`` (Jaccard similarity ``sim`` in [0, 1], at
    least ``threshold``)."""
    return Drop("dedup", "near_duplicate",
                f"jaccard={sim:.3f} >= {threshold:g} with {kept_id}",
                duplicate_of=kept_id, similarity=sim)
