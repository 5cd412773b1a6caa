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

import re
from collections import Counter

from ..records import Drop, Record
from .dedup import normalise_for_dedup
from ..scripts import HAN_KANA_CLASS, HAN_KANA_RE

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
# a Han/Kana character, or a run of other letters and digits (a word, an embedded English term)
_UNIT_RE = re.compile(rf"{HAN_KANA_CLASS}|(?:(?!{HAN_KANA_CLASS})[^\W_])+")


def _units(text: str) -> tuple[list[str], int]:
    """Split normalised text into units (each Han/Kana character; each run of other letters or
    digits, i.e. a word or an embedded English term) and return them with the multiplier of n:
    2 when most units are Han/Kana characters, else 1."""
    units = _UNIT_RE.findall(normalise_for_dedup(text))
    unspaced = sum(1 for u in units if len(u) == 1 and HAN_KANA_RE.match(u))
    return units, (2 if unspaced * 2 >= len(units) else 1)


def repetition_scores(text: str) -> dict[str, float]:
    """Return Gopher's repetition measures of ``text`` (fractions in [0, 1]).

    Keys: ``dup_lines`` and ``dup_line_chars`` (over non-blank lines), ``top_{n}gram`` for
    n = 2, 3, 4 and ``dup_{n}gram`` for n = 5..10 (n in Gopher's word units; see the module
    docstring for unspaced scripts). Records too short for an n-gram score 0 for it.
    """
    scores: dict[str, float] = {}
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) > 1:
        counts = Counter(lines)
        # copies beyond the first occurrence of each line
        extra = sum(c - 1 for c in counts.values() if c > 1)
        extra_chars = sum(len(ln) * (c - 1) for ln, c in counts.items() if c > 1)
        scores["dup_lines"] = extra / len(lines)
        scores["dup_line_chars"] = extra_chars / max(sum(len(ln) for ln in lines), 1)
    else:
        scores["dup_lines"] = scores["dup_line_chars"] = 0.0
    units, mult = _units(text)
    total_chars = sum(len(u) for u in units) or 1
    for n, _ in TOP_NGRAM:
        k = n * mult
        if len(units) < k + 1:
            scores[f"top_{n}gram"] = 0.0
            continue
        grams = Counter(tuple(units[i:i + k]) for i in range(len(units) - k + 1))
        gram, count = grams.most_common(1)[0]
        share = (count * sum(len(u) for u in gram)) / total_chars if count > 1 else 0.0
        scores[f"top_{n}gram"] = min(1.0, share)  # overlapping repeats ("a a a a") can exceed 1
    for n, _ in DUP_NGRAM:
        k = n * mult
        if len(units) < k + 1:
            scores[f"dup_{n}gram"] = 0.0
            continue
        grams = [tuple(units[i:i + k]) for i in range(len(units) - k + 1)]
        counts = Counter(grams)
        covered = [False] * len(units)
        for i, gram in enumerate(grams):  # every occurrence of a repeated n-gram (Gopher)
            if counts[gram] > 1:
                covered[i:i + k] = [True] * k
        scores[f"dup_{n}gram"] = sum(len(u) for u, c in zip(units, covered) if c) / total_chars
    return {k: round(v, 4) for k, v in scores.items()}


class QualityFilter:
    """Stage ``quality``: drop records that repeat themselves (Gopher's repetition rules,
    adapted to unspaced scripts; see the module docstring)."""

    name = "quality"

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record``, or a :class:`Drop` naming the first rule that fired."""
        s = repetition_scores(record.text)
        if s["dup_lines"] > LINE_DUP_FRACTION:
            return Drop(self.name, "repeated_lines",
                        f"dup_lines={s['dup_lines']:.2f} > {LINE_DUP_FRACTION:.2f}")
        if s["dup_line_chars"] > LINE_DUP_CHAR_FRACTION:
            return Drop(self.name, "repeated_lines",
                        f"dup_line_chars={s['dup_line_chars']:.2f} > {LINE_DUP_CHAR_FRACTION:.2f}")
        for n, limit in TOP_NGRAM:
            if s[f"top_{n}gram"] > limit:
                return Drop(self.name, "repeated_ngrams",
                            f"top_{n}gram={s[f'top_{n}gram']:.2f} > {limit:.2f}")
        for n, limit in DUP_NGRAM:
            if s[f"dup_{n}gram"] > limit:
                return Drop(self.name, "repeated_ngrams",
                            f"dup_{n}gram={s[f'dup_{n}gram']:.2f} > {limit:.2f}")
        return record
