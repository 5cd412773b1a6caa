"""Unicode repair of text with ftfy, the way every record is repaired (reading, and the text
extracted from pages).

ftfy's defaults rewrite Chinese text (full-width punctuation ，：（）！？ to ASCII by
``fix_character_width``, curly quotes “” to straight ones by ``uncurl_quotes``); both are turned
off and NFC is used, so clean Chinese text passes through unchanged. Text is never
NFKC-normalised.
"""

from __future__ import annotations

import ftfy

from .unicode_scripts import FTFY_UNCHANGED_RE

__all__ = ["repair_text", "repair_lines"]

_FTFY_CONFIG = ftfy.TextFixerConfig(
    fix_character_width=False, uncurl_quotes=False, normalization="NFC", explain=False
)


def repair_text(text: str) -> str:
    """Repair mojibake and stray control characters with ftfy, keeping CJK punctuation.

    ftfy runs with ``fix_character_width`` and ``uncurl_quotes`` off and NFC normalisation (see
    the module docstring). Pure ``str -> str``; clean text is returned unchanged.
    """
    if text.isascii():
        if text.isprintable():
            return text
    elif FTFY_UNCHANGED_RE.fullmatch(text):  # 91% of the non-ASCII lines of a dump
        return text
    return ftfy.fix_text(text, config=_FTFY_CONFIG)


def repair_lines(text: str) -> str:
    """``text`` with each line repaired (:func:`repair_text`) and blank lines left out: a
    page's text as a document holds it (one paragraph a line)."""
    return "\n".join(line for line in map(repair_text, text.split("\n")) if line.strip())
