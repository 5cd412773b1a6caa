"""Quality rules that are right for CJK as well as for space-delimited text: repetition.

Gopher's repetition rules (Rae et al. 2021, "Scaling Language Models: Methods, Analysis &
Insights from Training Gopher", appendix A, table A1) drop a document when

* duplicate lines make up more than 30% of its lines, or their characters more than 20%;
* the most frequent 2-, 3-, 4-gram covers more than 20%, 18%, 16% of the characters;
* duplicated 5- to 10-grams cover more than 15%, 14%, 13%, 12%, 11%, 10% of the characters.

The line rules use Gopher's thresholds; the n-gram thresholds are raised for records as short as
one abstract (see :data:`TOP_NGRAM`, :data:`DUP_NGRAM`).

Adapted for scripts without spaces: Gopher counts n-grams of words; Chinese and Japanese have
no spaces to count words by, and a Chinese word is about two characters, so text that is
mostly Han/Kana uses n-grams of ``2 * n`` characters where Gopher uses n words (Korean, written
with spaces, uses words). Gopher's English-only rules (stop words, mean word length, ASCII
end-of-line punctuation) are not used: they would drop Chinese records.

Reasons: ``garbled`` (mojibake that ftfy cannot repair, checked first: see
:mod:`corpus_clean.stages.garbled`), ``repeated_lines`` and ``repeated_ngrams``; the measured
fraction and the threshold are in the drop's detail.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np

from ..records import Drop, Record
from ..unicode_scripts import HAN_KANA_CLASS, count_han_kana, han_kana_mask
from .dedup import normalise_for_dedup
from .garbled import GARBLED_SHARE, garbled_share

REASONS = ("garbled", "repeated_lines", "repeated_ngrams")

__all__ = ["REASONS", "QualityFilter", "repetition_scores"]

#: Gopher's line thresholds (table A1)
LINE_DUP_FRACTION = 0.30
LINE_DUP_CHAR_FRACTION = 0.20
#: (n, maximum fraction). Gopher's n-gram thresholds (0.20/0.18/0.16 and 0.15 ... 0.10) are for
#: web pages; on records of one abstract, which name their method again and again, they dropped
#: 3.6% of 12,000 clean abstracts and LLM summaries (measured on a make_dump.py dump). Shifted
#: up by 0.25 (top) and 0.45 (duplicate), keeping Gopher's slope, they drop none of them but
#: a failed summary ("Error Error Error Error Error"), and still catch degenerate repetition.
TOP_NGRAM = ((2, 0.45), (3, 0.43), (4, 0.41))
DUP_NGRAM = ((5, 0.60), (6, 0.59), (7, 0.58), (8, 0.57), (9, 0.56), (10, 0.55))
# a Han/Kana character, or a run of other non-space characters (the normal form has no
# punctuation left): a word or an embedded English term
_UNIT_RE = re.compile(f"{HAN_KANA_CLASS}|[^\\s{HAN_KANA_CLASS[1:-1]}]+")
_LOWEST_DUP_LIMIT = min(limit for _, limit in DUP_NGRAM)


def _units(text: str) -> tuple[list[str], int]:
    """Split normalised text into units (each Han/Kana character; each run of other letters or
    digits, i.e. a word or an embedded English term) and return them with the multiplier of n:
    2 when most units are Han/Kana characters, else 1."""
    norm = normalise_for_dedup(text)
    if norm.isascii():
        return norm.split(), 1
    units = _UNIT_RE.findall(norm)
    unspaced = count_han_kana(norm)
    return units, (2 if unspaced * 2 >= len(units) else 1)


def _line_scores(text: str) -> tuple[float, float]:
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) < 2:
        return 0.0, 0.0
    counts = Counter(lines)
    # copies beyond the first occurrence of each line
    extra = sum(c - 1 for c in counts.values() if c > 1)
    extra_chars = sum(len(ln) * (c - 1) for ln, c in counts.items() if c > 1)
    return extra / len(lines), extra_chars / max(sum(len(ln) for ln in lines), 1)


#: a run of characters that are neither white space nor Han/Kana: a word unit (in the normal
#: form, where the only white space left is single spaces)
_WORD_UNIT_RE = re.compile(f"[^\\s{HAN_KANA_CLASS[1:-1]}]+")
_MULT = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier for gram hashes
_TEXT_MULT = np.uint64(0xD6E8FEB86659FD93)  # another, to mix the text's number in
#: gram pairs compared per step (at most 2 x this x k ids copied: 40 MB for k = 20)
_CHECK_ROWS = 1 << 17
_WORD_ID = 0x110000  # word units get ids from here up; a Han/Kana unit's id is its code point


class _BatchGrams:
    """The units (see :func:`_units`) of several texts, for the repetition scores of all of
    them in a few NumPy calls per batch rather than Counters of tuples per record (4x faster
    per record on the 100 MB benchmark dump; tested equal to the per-record code it replaced,
    ``tests/support/reference_quality.py``).

    The normal forms are joined by spaces and classified per character with the script
    table of :mod:`..scripts`: each Han/Kana character is a unit whose id is its code point,
    each run of other non-space characters a word unit, whose id comes from a dict of the
    words (found by ``str.split`` or one regex per text, in C). ``units[j]`` is the slice
    ``offsets[j]:offsets[j + 1]`` of ``ids`` and ``lengths`` (characters per unit);
    ``mult[j]`` is text j's unit multiplier and ``total[j]`` its characters in units (at
    least 1).

    A k-unit gram is hashed (a polynomial in an odd 64-bit multiplier); grams with equal
    hashes in one text are compared unit by unit, and a text where two different grams
    share a hash is scored by :func:`_exact_share` instead, so the scores are exact.
    """

    def __init__(self, texts: list[str]):
        norms = [normalise_for_dedup(t) for t in texts]
        count = len(norms)
        words = list(itertools.chain.from_iterable(
            n.split() if n.isascii() else _WORD_UNIT_RE.findall(n) for n in norms))
        word_ids: dict[str, int] = {}
        word_id = np.fromiter(map(word_ids.setdefault, words, itertools.count(_WORD_ID)),
                              dtype=np.int64, count=len(words))
        joined = " ".join(norms)  # the space keeps units from running into the next text
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        han_kana = han_kana_mask(joined, cps)  # one UTF-32 encoding of the batch for both
        wordy = (cps != 32) & ~han_kana
        word_start = wordy.copy()
        word_start[1:] &= ~wordy[:-1]
        word_last = wordy.copy()
        word_last[:-1] &= ~wordy[1:]
        starts = np.flatnonzero(word_start | han_kana)  # each unit's first character
        first_chars = np.zeros(count + 1, dtype=np.int64)  # each text's first character
        np.cumsum([len(n) + 1 for n in norms], out=first_chars[1:])
        owner = np.searchsorted(first_chars, starts, side="right") - 1
        self.sizes = np.bincount(owner, minlength=count).astype(np.int64)
        self.offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.offsets[1:])
        is_word = word_start[starts]
        if int(is_word.sum()) != len(words):  # the table and the regex disagree: a bug
            raise AssertionError("quality: word units counted two ways differ")
        self.ids = cps[starts].astype(np.int64)
        self.ids[is_word] = word_id
        self.lengths = np.ones(len(starts), dtype=np.int64)
        self.lengths[is_word] = np.flatnonzero(word_last) - np.flatnonzero(word_start) + 1
        han_kana_units = np.bincount(owner[~is_word], minlength=count)
        chars = np.bincount(owner, weights=self.lengths, minlength=count)
        self.mult = [2 if units and hk * 2 >= units else 1
                     for hk, units in zip(han_kana_units.tolist(), self.sizes.tolist())]
        self.total = [int(c) or 1 for c in chars.tolist()]

    def _unit_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(text, key, first, counts)``: the text number of each unit; the sorted
        ``text * span + id`` of the units; where each (text, unit) group starts in that
        order, and how many units it has. Then ``self.unit_count``: how often each unit
        occurs in its text, in unit order."""
        count = len(self.total)
        span = int(self.ids.max()) + 1
        text = np.repeat(np.arange(count, dtype=np.int64), self.sizes)
        key = text * span + self.ids
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        counts = np.diff(np.append(first, len(key)))
        self.unit_count = np.empty(len(key), dtype=np.int64)
        self.unit_count[order] = np.repeat(counts, counts)
        self._order, self._span = order, span
        return text, key, first, counts

    def bounds(self) -> list[tuple[float, float]]:
        """Per text, ``(mass, repeated)``: the largest share of characters held by all copies
        of one repeated unit, and the share held by all repeated units (units that occur
        twice or more), each in [0, 1].

        They bound the n-gram scores without counting n-grams: a unit inside a repeated
        n-gram is itself repeated, so ``dup_share(n) <= repeated``; and the most frequent
        k-unit gram occurs at most as often as each of its units, so
        ``top_share(n) <= k * mass`` (k = n times the unit multiplier).
        """
        count = len(self.total)
        if not len(self.ids):
            return [(0.0, 0.0)] * count
        _, key, first, counts = self._unit_counts()
        span = self._span
        # one group per (text, unit), with its count and the unit's length
        repeats = counts > 1
        owner = key[first][repeats] // span
        weight = counts[repeats] * self.lengths[self._order[first][repeats]]
        mass = np.zeros(count, dtype=np.int64)
        np.maximum.at(mass, owner, weight)
        summed = np.bincount(owner, weights=weight, minlength=count)
        has = np.bincount(owner, minlength=count)
        return [(m / t, int(r) / t) if c else (0.0, 0.0)
                for m, r, t, c in zip(mass.tolist(), summed.tolist(), self.total, has.tolist())]

    def window_bounds(self, top_ns: tuple[int, ...], dup_n: int) -> tuple[dict, list[float]]:
        """Tighter bounds than :meth:`bounds` (call that first), from the count of each unit
        in its text, still without counting n-grams: ``({n: [bound of top_share(n) per
        text]}, [bound of dup_share(m) for every m >= dup_n, per text])``, in [0, 1] (not
        capped).

        * ``top_share(n)``: the most frequent k-unit gram g (k = n times the text's unit
          multiplier), if it occurs c >= 2 times, has each of its units c times or more, so
          any window of k units where g occurs has a least unit count >= c and the
          characters of g: ``top_share(n) <= max`` over windows of k units (with a least
          count of 2 or more) of ``least count * characters / total``.
        * ``dup_share(m)``: every unit of a repeated k-unit gram is repeated, so the units it
          covers lie in runs of at least k consecutive repeated units: ``dup_share(m) <=``
          the characters in such runs for k = ``dup_n`` times the multiplier, over the
          total (coverage only shrinks as m grows).

        On the 100 MB benchmark dump they leave 3 of 20,000 abstracts to count top n-grams
        for (7,500 by ``k * mass``) and 338 to count duplicated n-grams for (8,090 by
        ``repeated``)."""
        count = len(self.total)
        size = len(self.ids)
        totals = np.array(self.total, dtype=np.float64)
        if not size:
            return {n: [0.0] * count for n in top_ns}, [0.0] * count
        text = np.repeat(np.arange(count, dtype=np.int64), self.sizes)
        mult = np.array(self.mult, dtype=np.int64)
        unit_count = self.unit_count
        prefix = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=prefix[1:])
        wanted: dict[int, list[int]] = {}  # k -> the n with k = n * a multiplier
        for n in top_ns:
            for m in set(self.mult):
                wanted.setdefault(n * m, []).append(n)
        top = {n: np.zeros(count, dtype=np.float64) for n in top_ns}
        least = unit_count  # least count over the window of k units starting at i
        for k in range(1, max(wanted) + 1):
            m = size - k + 1
            if m <= 0:
                break
            if k > 1:
                least = np.minimum(least[:m], unit_count[k - 1:k - 1 + m])
            for n in wanted.get(k, ()):
                inside = (text[:m] == text[k - 1:k - 1 + m]) & (mult[text[:m]] * n == k) & \
                    (least >= 2)
                starts = np.flatnonzero(inside)
                value = least[starts] * (prefix[starts + k] - prefix[starts])
                best = np.zeros(count, dtype=np.int64)
                np.maximum.at(best, text[starts], value)
                top[n] = np.maximum(top[n], best / totals)
        repeated = unit_count > 1
        edge = np.ones(size, dtype=bool)  # where a run of repeated units (or not) begins
        edge[1:] = (repeated[1:] != repeated[:-1]) | (text[1:] != text[:-1])
        run = np.cumsum(edge) - 1
        run_length = np.bincount(run)[run]
        in_long = repeated & (run_length >= dup_n * mult[text])
        dup = np.bincount(text[in_long], weights=self.lengths[in_long], minlength=count) / totals
        return {n: b.tolist() for n, b in top.items()}, dup.tolist()

    def shares(self, kind: str, n: int, texts: list[int]) -> dict[int, float]:
        """``top_share(n)`` (``kind`` "top": characters covered by the most frequent n-gram)
        or ``dup_share(n)`` ("dup": characters covered by every occurrence of a repeated
        n-gram), as a share in [0, 1] (Gopher), for each text index in ``texts``; a text too
        short for one n-gram more than n units scores 0."""
        out: dict[int, float] = {}
        by_k: dict[int, list[int]] = {}
        for j in texts:
            k = n * self.mult[j]
            if self.sizes[j] < k + 1:
                out[j] = 0.0
            else:
                by_k.setdefault(k, []).append(j)
        for k, members in by_k.items():
            out.update(self._shares(kind, k, members))
        return out

    def _shares(self, kind: str, k: int, members: list[int]) -> dict[int, float]:
        sizes = self.sizes[members]
        u = np.concatenate([self.ids[self.offsets[j]:self.offsets[j + 1]] for j in members])
        lengths = np.concatenate([self.lengths[self.offsets[j]:self.offsets[j + 1]]
                                  for j in members])
        starts = np.zeros(len(members) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        m = len(u) - k + 1
        h = _gram_hashes(u.astype(np.uint64), k)
        owner = np.repeat(np.arange(len(members), dtype=np.int64), sizes)[:m]
        pos = np.flatnonzero(np.arange(m) - starts[owner] <= (sizes - k)[owner])  # gram starts
        # the text is mixed into the hash, so that one stable sort (positions in order within
        # a hash) puts each text's equal grams next to each other
        with np.errstate(over="ignore"):
            keyed = h[pos] + owner[pos].astype(np.uint64) * _TEXT_MULT
        order = np.argsort(keyed, kind="stable")
        pos_sorted = pos[order]
        ks, own = keyed[order], owner[pos_sorted]
        equal = ks[1:] == ks[:-1]
        # equal keys must be equal grams of one text: compare them unit by unit; where they
        # are not, both texts are scored by the exact code
        windows = np.lib.stride_tricks.sliding_window_view(u, k)
        a, b = pos_sorted[:-1][equal], pos_sorted[1:][equal]
        clash = own[:-1][equal] != own[1:][equal]
        for i in range(0, len(a), _CHECK_ROWS):  # a bounded copy of the grams at a time
            rows = slice(i, i + _CHECK_ROWS)
            clash[rows] |= ~(windows[a[rows]] == windows[b[rows]]).all(axis=1)
        clashed = set(own[:-1][equal][clash].tolist()) | set(own[1:][equal][clash].tolist())
        same = equal.copy()
        same[equal] = ~clash
        new_group = np.concatenate(([True], ~same))
        group = np.cumsum(new_group) - 1
        counts = np.bincount(group)
        out: dict[int, float] = {}
        if kind == "top":
            prefix = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=prefix[1:])
            head = pos_sorted[new_group]  # each gram's first position (lexsort is stable)
            g_owner = own[new_group]
            best = np.lexsort((head, -counts, g_owner))  # most frequent, then earliest
            firsts = best[np.concatenate(([True], g_owner[best][1:] != g_owner[best][:-1]))]
            for g, i, c, start in zip(firsts.tolist(), g_owner[firsts].tolist(),
                                      counts[firsts].tolist(), head[firsts].tolist()):
                j = members[i]
                chars = int(prefix[start + k] - prefix[start])
                out[j] = 0.0 if c < 2 else min(1.0, c * chars / self.total[j])
        else:
            repeated = np.zeros(m, dtype=bool)
            repeated[pos_sorted] = counts[group] > 1
            depth = np.zeros(len(u) + 1, dtype=np.int64)  # coverage, as differences
            depth[:m] += repeated
            depth[k:k + m] -= repeated
            covered = np.cumsum(depth[:-1]) > 0
            chars = np.add.reduceat(np.where(covered, lengths, 0), starts[:-1])
            for i, j in enumerate(members):
                out[j] = int(chars[i]) / self.total[j]
        for i in clashed:
            j = members[i]
            a, b = self.offsets[j], self.offsets[j + 1]
            out[j] = _exact_share(self.ids[a:b].tolist(), self.lengths[a:b].tolist(),
                                  self.total[j], kind, k)
        return out


def _gram_hashes(u: np.ndarray, k: int) -> np.ndarray:
    """The hash of the k-unit gram at every start of ``u`` (``uint64``, length
    ``len(u) - k + 1``): ``sum(u[i + j] * _MULT ** (k - 1 - j))`` mod 2^64, from the hashes
    of grams of 1, 2, 4, ... units (h[a + b][i] = h[a][i] * _MULT ** b + h[b][i + a]), so
    about 2 log2(k) array operations instead of 2k."""
    size_u = len(u)
    with np.errstate(over="ignore"):
        levels = [(1, u)]
        while levels[-1][0] * 2 <= k:
            size, h = levels[-1]
            levels.append((2 * size, h[:len(h) - size] * (_MULT ** np.uint64(size)) + h[size:]))
        acc, out = 0, None
        for size, h in reversed(levels):
            if not k & size:
                continue
            if out is None:
                acc, out = size, h
                continue
            length = size_u - acc - size + 1
            out = out[:length] * (_MULT ** np.uint64(size)) + h[acc:acc + length]
            acc += size
    return out[:size_u - k + 1]


def _exact_share(ids: list[int], lengths: list[int], total: int, kind: str, k: int) -> float:
    """``top_share`` or ``dup_share`` of one text's units for k-unit grams, by Counters of
    tuples (the definition), for a text where two different grams share a hash."""
    grams = list(zip(*(ids[i:] for i in range(k))))
    counts = Counter(grams)
    if kind == "top":
        (gram, count), = counts.most_common(1)  # the first of the most frequent
        if count < 2:
            return 0.0
        start = grams.index(gram)
        return min(1.0, count * sum(lengths[start:start + k]) / total)
    depth = [0] * (len(ids) + 1)
    for i, gram in enumerate(grams):
        if counts[gram] > 1:
            depth[i] += 1
            depth[i + k] -= 1
    covered = run = 0
    for length, d in zip(lengths, depth):
        run += d
        if run:
            covered += length
    return covered / total


def repetition_scores(text: str) -> dict[str, float]:
    """Return Gopher's repetition measures of ``text`` (fractions in [0, 1]).

    Keys: ``dup_lines`` and ``dup_line_chars`` (over non-blank lines), ``top_{n}gram`` for
    n = 2, 3, 4 and ``dup_{n}gram`` for n = 5..10 (n in Gopher's word units; see the module
    docstring for unspaced scripts). Records too short for an n-gram score 0 for it.
    """
    scores: dict[str, float] = {}
    scores["dup_lines"], scores["dup_line_chars"] = _line_scores(text)
    grams = _BatchGrams([text])
    for n, _ in TOP_NGRAM:
        scores[f"top_{n}gram"] = grams.shares("top", n, [0])[0]
    for n, _ in DUP_NGRAM:
        scores[f"dup_{n}gram"] = grams.shares("dup", n, [0])[0]
    return {k: round(v, 4) for k, v in scores.items()}


class QualityFilter:
    """Stage ``quality``: drop garbled records (mojibake ftfy cannot repair) and records that
    repeat themselves (Gopher's repetition rules, adapted to unspaced scripts; see the module
    docstring). Works on batches
    (:meth:`apply_batch`); :meth:`apply` is a batch of one."""

    name = "quality"

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record``, or a :class:`Drop` naming the first rule that fired."""
        return self.apply_batch([record])[0]

    def apply_batch(self, records: list[Record]) -> list[Record | Drop]:
        """:meth:`apply` of each record (in order), with the n-gram statistics of the whole
        batch computed at once (:class:`_BatchGrams`)."""
        out: list[Record | Drop | None] = [None] * len(records)
        pending = []
        for i, record in enumerate(records):
            garbled = garbled_share(record.text)
            if garbled >= GARBLED_SHARE:
                out[i] = Drop(self.name, "garbled",
                              f"ftfy_badness_per_char={garbled:.3f} >= {GARBLED_SHARE:.3f}")
                continue
            dup_lines, dup_line_chars = _line_scores(record.text)
            if dup_lines > LINE_DUP_FRACTION:
                out[i] = Drop(self.name, "repeated_lines",
                              f"dup_lines={dup_lines:.2f} > {LINE_DUP_FRACTION:.2f}")
            elif dup_line_chars > LINE_DUP_CHAR_FRACTION:
                out[i] = Drop(self.name, "repeated_lines",
                              f"dup_line_chars={dup_line_chars:.2f} > {LINE_DUP_CHAR_FRACTION:.2f}")
            else:
                pending.append(i)
        if pending:
            self._ngram_rules([records[i] for i in pending], pending, out)
        return [records[i] if o is None else o for i, o in enumerate(out)]

    def _ngram_rules(self, records: list[Record], where: list[int], out: list) -> None:
        """The n-gram rules, in order, for ``records`` (at ``where`` in ``out``): each record
        leaves at the first rule that fires, as in a loop over the rules per record; most
        are decided by :meth:`_BatchGrams.bounds` alone."""
        grams = _BatchGrams([r.text for r in records])
        bounds = grams.bounds()
        top_bound, dup_bound = grams.window_bounds(tuple(n for n, _ in TOP_NGRAM),
                                                   DUP_NGRAM[0][0])
        live = list(range(len(records)))
        for n, limit in TOP_NGRAM:
            # top_share(n) cannot exceed the limit where n * mult * mass <= limit, or where
            # its window bound is
            asked = [j for j in live if n * grams.mult[j] * bounds[j][0] > limit
                     and top_bound[n][j] > limit]
            fired = set()
            for j, share in grams.shares("top", n, asked).items():
                share = round(share, 4)
                if share > limit:
                    out[where[j]] = Drop(self.name, "repeated_ngrams",
                                         f"top_{n}gram={share:.2f} > {limit:.2f}")
                    fired.add(j)
            live = [j for j in live if j not in fired]
        # no dup_share(n) can exceed its limit where repeated <= the lowest limit
        live = [j for j in live if bounds[j][1] > _LOWEST_DUP_LIMIT
                and dup_bound[j] > _LOWEST_DUP_LIMIT]
        for n, limit in DUP_NGRAM:
            if not live:
                break
            still = []
            for j, share in grams.shares("dup", n, live).items():
                share = round(share, 4)
                if share > limit:
                    out[where[j]] = Drop(self.name, "repeated_ngrams",
                                         f"dup_{n}gram={share:.2f} > {limit:.2f}")
                elif share > _LOWEST_DUP_LIMIT:
                    still.append(j)  # coverage only shrinks as n grows: the rest are done
            live = still
