"""Split a file's lines into records. This module decides record boundaries only.

Dumps come in three layouts (all three are in ``seeds/``):

``marker``
    one record per line, each followed by a machine-translation marker line
    (``translated by 谷歌翻译``): seeds 000, 001, 004.
``blank``
    records separated by blank lines; a record may span several lines (a wrapped paragraph):
    seed 002.
``line``
    one record per line: seed 003.

In every layout a marker line belongs to the record before it (the marker stage strips it and
keeps the engine), so ``marker`` and ``line`` split the same way; the name says what was seen.
The layout is detected per file from its first lines (:func:`detect_layout`), so a file is
streamed with a bounded look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

__all__ = ["RawRecord", "detect_layout", "RecordSplitter", "starts_record", "LAYOUTS"]

LAYOUTS = ("marker", "blank", "line")

# Unicode sentence-ending punctuation (ASCII, CJK full-width, ideographic full stop, ellipsis).
_SENTENCE_END = tuple(".!?。！？…;；:：\"'”’)）]】")


@dataclass
class RawRecord:
    """A record's lines before any stage: ``line`` is the 1-based number of its first line,
    ``lines`` its non-blank lines in order (marker lines included)."""

    line: int
    lines: list[str] = field(default_factory=list)


def detect_layout(lines: Iterable[str], is_marker: Callable[[str], object]) -> str:
    """Return the layout (``marker``, ``blank`` or ``line``) of a file from its first lines.

    Rules, on the sample (C content lines, M marker lines, S blank runs between non-blank lines):
    ``blank`` if S >= (C - 1) / 2 (blank lines separate most lines), or if S >= 2 and most lines
    that are followed by another non-blank line do not end a sentence (wrapped paragraphs);
    otherwise ``marker`` if M >= C / 4, else ``line``.
    """
    content = markers = separators = 0
    wrapped = continued = 0
    prev: str | None = None  # previous non-blank line, None after a blank run
    seen_text = False
    for raw in lines:
        text = raw.strip()
        if not text:
            if seen_text and prev is not None:
                separators += 1
            prev = None
            continue
        seen_text = True
        if is_marker(text):
            markers += 1
        else:
            content += 1
            if prev is not None and not is_marker(prev):
                continued += 1
                if not prev.endswith(_SENTENCE_END):
                    wrapped += 1
        prev = text
    if content >= 2 and separators >= (content - 1) / 2:
        return "blank"
    if separators >= 2 and continued and wrapped > continued / 2:
        return "blank"
    if content and markers >= content / 4:
        return "marker"
    return "line"


def starts_record(layout: str, is_marker: Callable[[str], object], prev: str, line: str) -> bool:
    """Whether a record starts at ``line`` whatever came before ``prev``, the line before it
    (both repaired, line ends removed), in a file of ``layout``: ``line`` is content (not
    blank, not a marker line), and in the ``blank`` layout ``prev`` is blank or a marker line
    (else ``line`` may continue a wrapped paragraph). This is :class:`RecordSplitter`'s rule
    read backwards, so a file cut before such a line splits into the same records piece by
    piece (:mod:`corpus_clean.reading.blocks`)."""
    text = line.strip()
    if not text or is_marker(text):
        return False
    if layout != "blank":
        return True
    before = prev.strip()
    return not before or bool(is_marker(before))


class RecordSplitter:
    """Group numbered lines into :class:`RawRecord` objects for one layout.

    Feed lines in order with :meth:`feed`; it returns the records that the line completed.
    Call :meth:`finish` at the end of the file for the last one; :meth:`pending` gives the
    record under construction (for a file that ends early).

    Rules: blank lines never belong to a record. A marker line joins the current record. A
    content line after a marker line starts a new record. In the ``blank`` layout, a content
    line directly after another content line continues the record (a wrapped paragraph);
    otherwise each content line starts a record.
    """

    def __init__(self, layout: str, is_marker: Callable[[str], object]):
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
        self.layout = layout
        self._is_marker = is_marker
        self._current: RawRecord | None = None
        self._after_blank = True
        self._after_marker = False

    def feed(self, lineno: int, line: str) -> list[RawRecord]:
        """Take line ``lineno`` (1-based, line end removed); return the records it completed."""
        if not line.strip():
            self._after_blank = True
            return []
        done = []
        if self._is_marker(line.strip()):
            if self._current is None:
                self._current = RawRecord(lineno)
            self._current.lines.append(line)
            self._after_marker = True
        else:
            continues = (
                self.layout == "blank"
                and self._current is not None
                and not self._after_blank
                and not self._after_marker
            )
            if continues:
                self._current.lines.append(line)
            else:
                if self._current is not None:
                    done.append(self._current)
                self._current = RawRecord(lineno, [line])
            self._after_marker = False
        self._after_blank = False
        return done

    def pending(self) -> RawRecord | None:
        """Return the record under construction, if any (it may still grow)."""
        return self._current

    def finish(self) -> list[RawRecord]:
        """End the file: return the last record, if any, and reset."""
        done = [self._current] if self._current is not None else []
        self._current = None
        self._after_blank = True
        self._after_marker = False
        return done

    def split(self, numbered: Iterable[tuple[int, str]]) -> Iterator[RawRecord]:
        """Split a whole sequence of ``(lineno, line)`` pairs (a convenience for tests)."""
        for lineno, line in numbered:
            yield from self.feed(lineno, line)
        yield from self.finish()
