# Frozen copy of corpus_clean/stages/quality.py at b753bba (imports made absolute): the reference
# implementation that the equivalence tests compare the faster code with. Do not edit.
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

Reasons: ``repeated_lines`` and ``repeated_ngrams``; the measured fraction and the threshold
are in the drop's detail.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

from corpus_clean.records import Drop, Record
from corpus_clean.stages.dedup import normalise_for_dedup
from corpus_clean.unicode_scripts import HAN_KANA_CLASS, HAN_KANA_RE

REASONS = ("repeated_lines", "repeated_ngrams")

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
    unspaced = len(HAN_KANA_RE.findall(norm))
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


class _Grams:
    """The units of a text as integer ids, with their lengths, for n-gram statistics."""

    def __init__(self, text: str):
        units, self.mult = _units(text)
        ids: dict[str, int] = {}
        # the same id for the same unit (ids need not be consecutive)
        self.ids = list(map(ids.setdefault, units, itertools.count()))
        self.lengths = list(map(len, units))
        self.total = sum(self.lengths) or 1
        self._units = units

    def bounds(self) -> tuple[float, float]:
        """``(mass, repeated)``: the largest share of characters held by all copies of one
        repeated unit, and the share held by all repeated units (units that occur twice or
        more), each in [0, 1].

        They bound the n-gram scores without counting n-grams: a unit inside a repeated
        n-gram is itself repeated, so ``dup_share(n) <= repeated``; and the most frequent
        k-unit gram occurs at most as often as each of its units, so
        ``top_share(n) <= k * mass`` (k = n times the unit multiplier).
        """
        mass = repeated = 0
        for unit, count in Counter(self._units).items():
            if count > 1:
                weight = count * len(unit)
                repeated += weight
                mass = max(mass, weight)
        return mass / self.total, repeated / self.total

    def grams(self, k: int) -> list[tuple]:
        return list(zip(*(self.ids[i:] for i in range(k))))

    def top_share(self, n: int) -> float:
        """Characters covered by the most frequent n-gram, as a share (Gopher)."""
        k = n * self.mult
        if len(self.ids) < k + 1:
            return 0.0
        grams = self.grams(k)
        (gram, count), = Counter(grams).most_common(1)
        if count < 2:
            return 0.0
        start = grams.index(gram)
        chars = sum(self.lengths[start:start + k])
        return min(1.0, count * chars / self.total)  # overlapping repeats can exceed 1

    def dup_share(self, n: int) -> float:
        """Characters covered by every occurrence of a repeated n-gram, as a share (Gopher)."""
        k = n * self.mult
        if len(self.ids) < k + 1:
            return 0.0
        grams = self.grams(k)
        counts = Counter(grams)
        if len(counts) == len(grams):
            return 0.0
        depth = [0] * (len(self.ids) + 1)  # coverage as a difference array
        for i, gram in enumerate(grams):
            if counts[gram] > 1:
                depth[i] += 1
                depth[i + k] -= 1
        covered = run = 0
        for length, d in zip(self.lengths, depth):
            run += d
            if run:
                covered += length
        return covered / self.total


def repetition_scores(text: str) -> dict[str, float]:
    """Return Gopher's repetition measures of ``text`` (fractions in [0, 1]).

    Keys: ``dup_lines`` and ``dup_line_chars`` (over non-blank lines), ``top_{n}gram`` for
    n = 2, 3, 4 and ``dup_{n}gram`` for n = 5..10 (n in Gopher's word units; see the module
    docstring for unspaced scripts). Records too short for an n-gram score 0 for it.
    """
    scores: dict[str, float] = {}
    scores["dup_lines"], scores["dup_line_chars"] = _line_scores(text)
    grams = _Grams(text)
    for n, _ in TOP_NGRAM:
        scores[f"top_{n}gram"] = grams.top_share(n)
    for n, _ in DUP_NGRAM:
        scores[f"dup_{n}gram"] = grams.dup_share(n)
    return {k: round(v, 4) for k, v in scores.items()}


class QualityFilter:
    """Stage ``quality``: drop records that repeat themselves (Gopher's repetition rules,
    adapted to unspaced scripts; see the module docstring)."""

    name = "quality"

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record``, or a :class:`Drop` naming the first rule that fired."""
        dup_lines, dup_line_chars = _line_scores(record.text)
        if dup_lines > LINE_DUP_FRACTION:
            return Drop(self.name, "repeated_lines",
                        f"dup_lines={dup_lines:.2f} > {LINE_DUP_FRACTION:.2f}")
        if dup_line_chars > LINE_DUP_CHAR_FRACTION:
            return Drop(self.name, "repeated_lines",
                        f"dup_line_chars={dup_line_chars:.2f} > {LINE_DUP_CHAR_FRACTION:.2f}")
        grams = _Grams(record.text)
        mass, repeated = grams.bounds()  # most records are far below every limit
        for n, limit in TOP_NGRAM:
            if n * grams.mult * mass <= limit:
                continue  # top_share(n) cannot exceed the limit (see _Grams.bounds)
            share = round(grams.top_share(n), 4)
            if share > limit:
                return Drop(self.name, "repeated_ngrams", f"top_{n}gram={share:.2f} > {limit:.2f}")
        if repeated <= _LOWEST_DUP_LIMIT:
            return record  # no dup_share(n) can exceed its limit
        for n, limit in DUP_NGRAM:
            share = round(grams.dup_share(n), 4)
            if share > limit:
                return Drop(self.name, "repeated_ngrams", f"dup_{n}gram={share:.2f} > {limit:.2f}")
            if share <= _LOWEST_DUP_LIMIT:
                break  # coverage only shrinks as n grows: no later rule can fire
        return record
