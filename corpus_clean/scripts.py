"""Unicode script counts shared by the stages (length rules, spam signals, language by script).

Ranges are the Unicode blocks of the scripts (Unicode 15, Blocks.txt): Han (CJK Unified
Ideographs and Extension A, Compatibility Ideographs, Extensions B+ in plane 2), Kana
(Hiragana, Katakana, half-width Katakana), Hangul (Syllables, Jamo, Compatibility Jamo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ScriptCounts", "count_scripts", "HAN_RE", "KANA_RE", "HANGUL_RE", "CJK_RE",
           "HAN_KANA_CLASS", "HAN_KANA_RE", "SENTENCE_END_RE"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
HAN_RE = re.compile(f"[{_HAN}]")
KANA_RE = re.compile(f"[{_KANA}]")
HANGUL_RE = re.compile(f"[{_HANGUL}]")
CJK_RE = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
#: a character class of the scripts written without spaces between words (Han, Kana)
HAN_KANA_CLASS = f"[{_HAN}{_KANA}]"
HAN_KANA_RE = re.compile(HAN_KANA_CLASS)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
#: Unicode sentence-ending punctuation: ASCII .!? and the CJK full-width 。！？ and ．｡
SENTENCE_END_RE = re.compile(r"[.!?。！？．｡]")


@dataclass(frozen=True, slots=True)
class ScriptCounts:
    """Character counts of a text by script, in characters (code points).

    Attributes:
        han: Han (Chinese) characters.
        kana: Japanese Hiragana and Katakana.
        hangul: Korean Hangul.
        letters: all letters, CJK included.
        words: space-delimited words of letters outside CJK text (``don't`` is one word).
    """

    han: int
    kana: int
    hangul: int
    letters: int
    words: int

    @property
    def cjk(self) -> int:
        """Han + Kana + Hangul characters."""
        return self.han + self.kana + self.hangul


def count_scripts(text: str) -> ScriptCounts:
    """Count the characters of ``text`` by script (see :class:`ScriptCounts`)."""
    letters = sum(map(str.isalpha, text))  # categories L*, as [^\W\d_] but 3x faster
    if text.isascii():
        words = len(_WORD_RE.findall(text))
        return ScriptCounts(0, 0, 0, letters, words)
    han = len(HAN_RE.findall(text))
    kana = len(KANA_RE.findall(text))
    hangul = len(HANGUL_RE.findall(text))
    words = len(_WORD_RE.findall(CJK_RE.sub(" ", text)))
    return ScriptCounts(han, kana, hangul, letters, words)
