"""Boilerplate by repetition: short records that recur across the dump (cc_net's idea).

Site chrome that no pattern knows ("Das könnte dich auch interessieren", a site's slogan, a
newsletter blurb in any language) gives itself away by recurring on page after page. This
stage counts, over the whole dump, how often each short record occurs (by its exact-dedup key
with digits folded to 0, :func:`repeat_key`, so case, width and punctuation variants and lines
that differ only in a date or a count count together) and drops every occurrence of a record
of at most ``Config.repeat_max_chars`` characters that occurs at least ``Config.repeat_min_count``
times, with reason ``repeated_line`` (Wenzek et al. 2020, "CCNet", which removes paragraphs
whose hash recurs across a shard).

Only short records are counted: duplicated content records (a paper crawled on three days)
are long, and counting the lines of long records would take a duplicated abstract for repeated
boilerplate. Like dedup, the work has two halves: :meth:`RepeatedLineFilter.observe` counts
during the scan (records in input order, every copy), :meth:`RepeatedLineFilter.apply`
decides once the whole dump was seen. Memory: one entry per unique short record (a 16-byte key,
a count and the text of at most ``repeat_max_chars`` characters, for the report).
"""

from __future__ import annotations

import re

from ..config import INT_MAX, Config
from ..records import Drop, Record
from .dedup import dedup_key

REASONS = ("repeated_line",)

__all__ = ["REASONS", "RepeatedLineFilter", "repeat_key"]

_DIGIT = re.compile(r"\d")


def repeat_key(text: str, exact_key: bytes | None = None) -> bytes:
    """The key a short record is counted by: its exact-dedup key (:func:`.dedup.dedup_key`)
    with every digit folded to ``0`` first, as cc_net does (Wenzek et al. 2020), so that
    chrome that differs only in digits counts as one line: a footer with a date
    (``Generated on 2025-12-06``), a heading with a count (``Comments (5)``, ``(1 篇)``), a
    pager (``Page 2 of 7``). ``exact_key``, the text's exact-dedup key when already known, is
    the answer for a text without a digit (``\\d``: any Unicode decimal digit)."""
    if _DIGIT.search(text) is None:
        return exact_key if exact_key is not None else dedup_key(text)
    return dedup_key(_DIGIT.sub("0", text))


class RepeatedLineFilter:
    """Stage ``boilerplate`` (global half): drop short records repeated across the dump."""

    name = "boilerplate"

    def __init__(self, config: Config):
        self.max_chars = config.repeat_max_chars
        # with the boilerplate stage skipped, lines are counted (for stats.json) but none is
        # ever frequent enough to be dropped
        self.min_count = (config.repeat_min_count if "boilerplate" not in config.skipped()
                          else INT_MAX + 1)
        self._counts: dict[bytes, list] = {}  # key -> [count, first text]

    def observe(self, record: Record) -> None:
        """Count one occurrence of ``record`` (every copy, in input order)."""
        text = record.text.strip()
        if len(text) > self.max_chars:
            return
        self.observe_short(record.dedup_key, text)

    def observe_short(self, key: bytes | None, text: str) -> None:
        """:meth:`observe` by the fields: ``text`` is a record's stripped text, at most
        ``repeat_max_chars`` characters long, and ``key`` its exact-dedup key (or None)."""
        key = repeat_key(text, key)
        entry = self._counts.get(key)
        if entry is None:
            self._counts[key] = [1, text]
        else:
            entry[0] += 1

    def count(self, record: Record) -> int:
        """Occurrences of ``record``'s text in the dump (0 if it is too long to be counted)."""
        return self.line_count(record.text)

    def line_count(self, line: str) -> int:
        """Occurrences of a short text (stripped, at most ``repeat_max_chars``) in the dump,
        as a record or as a line of a page's document (0 for a longer one)."""
        text = line.strip()
        if len(text) > self.max_chars:
            return 0
        entry = self._counts.get(repeat_key(text))
        return entry[0] if entry else 0

    def remove_lines(self, record: Record) -> Drop | None:
        """For a page's document: remove its lines that recur at least ``repeat_min_count``
        times in the dump (as records, or as lines of other documents: a site's toolbar on
        every page), keeping each in ``record.removed``; a document left with no line is
        returned as a :class:`Drop` (``chrome_only``). Other records: nothing, None."""
        if not record.is_document:
            return None
        lines = record.text.split("\n")
        drops = {}
        for i, line in enumerate(lines):
            n = self.line_count(line)
            if n >= self.min_count:
                drops[i] = (self.name, "repeated_line",
                            f"occurs {n} times in the dump (>= {self.min_count}), "
                            f"{len(line.strip())} chars <= {self.max_chars}")
        if not drops:
            return None
        if len(drops) == len(lines):
            return Drop(self.name, "chrome_only",
                        f"all {len(lines)} lines recur across the dump (repeated_line)")
        record.remove_lines(drops)
        return None

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record``, or a :class:`Drop` (``repeated_line``) if it is short and recurs
        at least ``repeat_min_count`` times."""
        n = self.count(record)
        if n < self.min_count:
            return record
        return Drop(self.name, "repeated_line",
                    f"occurs {n} times in the dump (>= {self.min_count}), "
                    f"{len(record.text.strip())} chars <= {self.max_chars}")

    def frequent(self) -> "RepeatedLineFilter":
        """A copy that knows only the records repeated often enough to be dropped: its
        :meth:`apply` gives the same answers, in less memory (for workers that decide while
        the counts were made elsewhere)."""
        copy = RepeatedLineFilter.__new__(RepeatedLineFilter)
        copy.max_chars, copy.min_count = self.max_chars, self.min_count
        copy._counts = {k: v for k, v in self._counts.items() if v[0] >= self.min_count}
        return copy

    def top(self, n: int = 20) -> list[dict]:
        """The ``n`` most repeated short records: ``{"text", "count", "dropped"}``, most
        frequent first (ties: text order), for ``stats.json``."""
        rows = [(c, t) for c, t in self._counts.values() if c >= 2]
        rows.sort(key=lambda ct: (-ct[0], ct[1]))
        return [{"text": t, "count": c, "dropped": c >= self.min_count} for c, t in rows[:n]]
