"""Unicode script counts shared by the stages (length rules, spam signals, language by script).

Ranges are the Unicode blocks of the scripts (Unicode 15, Blocks.txt): Han (CJK Unified
Ideographs and Extension A, Compatibility Ideographs, Extensions B+ in plane 2), Kana
(Hiragana, Katakana, half-width Katakana), Hangul (Syllables, Jamo, Compatibility Jamo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["ScriptCounts", "count_scripts", "count_scripts_batch", "count_han_kana", "count_cjk", "han_kana_mask", "HAN_RE", "KANA_RE", "HANGUL_RE", "CJK_RE",
           "HAN_KANA_CLASS", "HAN_KANA_RE", "SENTENCE_END_RE", "plausible_cjk",
           "MIN_CJK_PLAUSIBILITY"]

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
#: Text made only of these characters is returned by ftfy (as ``reader.repair_text`` runs it)
#: unchanged, so it need not be called: printable ASCII but "&" (HTML entities), CJK symbols
#: and punctuation U+3001-3029 and U+3030-303F (not the combining tone marks U+302A-302F,
#: which NFC reorders), Hiragana U+3041-3096 and U+309B-309F (not the combining voiced marks
#: U+3099-309A, which NFC composes), Katakana U+30A0-30FF, CJK Unified Ideographs and
#: Extension A (not the Compatibility Ideographs, which NFC replaces), Hangul syllables
#: U+AC00-D7A3 and the full-width forms U+FF01-FF5E (ftfy's fix_character_width is off). None
#: of them is in ftfy's mojibake heuristic, a control character, a ligature, a line break or
#: changed by NFC (tests/test_repair_fast_path.py checks each against ftfy).
FTFY_UNCHANGED_RE = re.compile(
    "[\x20-\x25\x27-\x7e\u3001-\u3029\u3030-\u303f\u3041-\u3096\u309b-\u309f"
    "\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff5e]*"
)
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


# Character classes for count_scripts, one byte per code point: bit 0 a letter
# (str.isalpha), bits 1-2 the script (1 Han, 2 Kana, 3 Hangul: the ranges of HAN_RE, KANA_RE,
# HANGUL_RE), bit 3 a word character of _WORD_RE outside CJK ([^\W\d_]: str.isalnum, not a
# decimal digit, not "_"), bit 4 a word joiner of _WORD_RE (' ’ -).
_ALPHA, _WORD, _JOINER = 1, 8, 16
_JOINERS = "'’-"


def _char_class(c: str) -> int:
    script = 1 if HAN_RE.match(c) else 2 if KANA_RE.match(c) else 3 if HANGUL_RE.match(c) else 0
    word = script == 0 and c.isalnum() and not c.isdecimal() and c != "_"
    return (_ALPHA if c.isalpha() else 0) | script << 1 | (_WORD if word else 0) | \
        (_JOINER if c in _JOINERS else 0)


@lru_cache(maxsize=1)
def _bmp_classes() -> np.ndarray:
    """The class byte of every code point of the Basic Multilingual Plane (U+0000-U+FFFF),
    built with str methods over all of them at once (about 30 ms, once per process)."""
    chars = [chr(cp) for cp in range(0x10000)]
    n = len(chars)
    alpha = np.fromiter(map(str.isalpha, chars), bool, n)
    word = np.fromiter(map(str.isalnum, chars), bool, n) & \
        ~np.fromiter(map(str.isdecimal, chars), bool, n)
    word[ord("_")] = False
    script = np.zeros(n, np.uint8)
    for value, pattern in ((1, _HAN), (2, _KANA), (3, _HANGUL)):
        for first, last in re.findall(r"(.)-(.)", pattern):
            if ord(first) < n:
                script[ord(first):min(ord(last), n - 1) + 1] = value
    word &= script == 0
    joiner = np.zeros(n, bool)
    joiner[[ord(c) for c in _JOINERS]] = True
    return (alpha.astype(np.uint8) | script << 1 | word.astype(np.uint8) << 3 |
            joiner.astype(np.uint8) << 4)


@lru_cache(maxsize=4096)
def _astral_class(cp: int) -> int:
    return _char_class(chr(cp))


def _classes(text: str, cps: np.ndarray | None = None) -> np.ndarray:
    """The class byte of each character of ``text`` (a numpy ``uint8`` array); ``cps``: its
    code points (``uint32``, UTF-32), if the caller has them."""
    table = _bmp_classes()
    if cps is None:
        if text.isascii():
            return table[np.frombuffer(text.encode("ascii"), np.uint8)]
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    astral = cps > 0xFFFF
    if not astral.any():
        return table[cps]
    cls = table[np.where(astral, 0, cps)]
    where = np.flatnonzero(astral)
    cls[where] = [_astral_class(cp) for cp in cps[where].tolist()]
    return cls


def han_kana_mask(text: str, cps: np.ndarray | None = None) -> np.ndarray:
    """One ``bool`` per character (code point) of ``text``: whether it is Han or Kana
    (``HAN_KANA_RE``), by the same table look-up as :func:`count_scripts`; ``cps``: the
    text's code points (``uint32``), if the caller has them."""
    script = (_classes(text, cps) >> 1) & 3
    return (script == 1) | (script == 2)


def count_han_kana(text: str) -> int:
    """The number of Han and Kana characters in ``text`` (``len(HAN_KANA_RE.findall(text))``)."""
    if text.isascii():
        return 0
    script = _classes(text) & 6
    return int(np.count_nonzero((script == 2) | (script == 4)))


def count_cjk(text: str) -> int:
    """The number of Han, Kana and Hangul characters in ``text`` (``len(CJK_RE.findall(text))``)."""
    if text.isascii():
        return 0
    return int(np.count_nonzero(_classes(text) & 6))


def count_scripts(text: str) -> ScriptCounts:
    """Count the characters of ``text`` by script (see :class:`ScriptCounts`).

    One table look-up per character (numpy, over the text's code points) instead of a regex
    pass per script: the same counts as the definitions (``str.isalpha``; ``HAN_RE``,
    ``KANA_RE``, ``HANGUL_RE``; ``_WORD_RE`` matches after ``CJK_RE`` characters are replaced by
    spaces), tested against them. Words are counted as runs of word characters, less the
    single joiners (' ’ -) between two runs, which ``_WORD_RE`` takes into one word.
    """
    cls = _classes(text)
    if not len(cls):
        return ScriptCounts(0, 0, 0, 0, 0)
    han = kana = hangul = 0
    if not text.isascii():
        han, kana, hangul = np.bincount((cls >> 1) & 3, minlength=4)[1:].tolist()
    letters = int(np.count_nonzero(cls & _ALPHA))
    word = (cls & _WORD).astype(bool)
    runs = int(word[0]) + int(np.count_nonzero(word[1:] > word[:-1]))
    joins = int(np.count_nonzero((cls[1:-1] & _JOINER).astype(bool) & word[:-2] & word[2:]))
    return ScriptCounts(han, kana, hangul, letters, runs - joins)


def count_scripts_batch(texts: list[str]) -> list[ScriptCounts]:
    """:func:`count_scripts` of each of ``texts``, computed for all of them in a few NumPy calls
    over the joined texts (one encoding, one table look-up, one histogram of the class bytes
    per text) rather than a dozen calls per text. The texts are joined by ``\\n``, which is
    neither a letter, a word character nor a joiner, so no word run or joiner spans two
    texts. Tested equal to :func:`count_scripts`."""
    count = len(texts)
    if not count:
        return []
    cls = _classes("\n".join(texts))
    sizes = np.fromiter(map(len, texts), np.int64, count) + 1  # each text and its separator
    # (text number * 32 + class byte) of each character, for one histogram per text
    slot = np.repeat(np.arange(0, 32 * count, 32, dtype=np.int64), sizes)[:len(cls)]
    slot += cls
    hist = np.bincount(slot, minlength=32 * count).reshape(count, 32)
    han, kana, hangul, letters = (hist @ _CLASS_SUMS).T.tolist()
    word = (cls & _WORD).astype(bool)
    starts = np.flatnonzero(word[1:] & ~word[:-1]) + 1
    if len(word) and word[0]:
        starts = np.concatenate(([0], starts))
    joiners = np.flatnonzero(cls[1:-1] & _JOINER) + 1
    joins = joiners[word[joiners - 1] & word[joiners + 1]]
    runs = np.bincount(slot[starts] >> 5, minlength=count) - \
        np.bincount(slot[joins] >> 5, minlength=count)
    return [ScriptCounts(*c) for c in zip(han, kana, hangul, letters, runs.tolist())]


def _class_sums() -> np.ndarray:
    """Which class bytes (rows, 0-31) count as Han, Kana, Hangul and letter (columns)."""
    values = np.arange(32)
    script = (values >> 1) & 3
    return np.stack([script == 1, script == 2, script == 3, (values & _ALPHA) > 0],
                    axis=1).astype(np.int64)


_CLASS_SUMS = _class_sums()


def _common_cjk(ch: str) -> bool:
    """Whether ``ch`` is a character that real CJK text is made of: a Han character among
    the most frequent (GB 2312 level 1, 3,755 characters, or Big5's frequent characters,
    5,401), kana, a Hangul syllable of KS X 1001 (2,350), CJK punctuation or full-width
    ASCII. A pair of Latin-1 bytes read as GBK gives rare Han characters, not these."""
    code = ord(ch)
    if 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E:  # punctuation, kana, full width
        return True
    if 0xAC00 <= code <= 0xD7A3:
        try:
            ch.encode("euc_kr")
            return True
        except UnicodeEncodeError:
            return False
    if 0x4E00 <= code <= 0x9FFF:
        try:
            gb = ch.encode("gb2312")
            if 0xB0 <= gb[0] <= 0xD7:
                return True
        except UnicodeEncodeError:
            pass
        try:
            big5 = ch.encode("big5")
            return 0xA4 <= big5[0] <= 0xC6
        except UnicodeEncodeError:
            return False
    return False


def plausible_cjk(text: str, min_chars: int = 8) -> float:
    """How much ``text`` (a strict decode of a file's non-ASCII lines) reads as CJK text, in
    [0, 1]: the share of its non-ASCII characters that are common CJK characters
    (:func:`_common_cjk`). 0.0 with fewer than ``min_chars`` non-ASCII characters (too little
    to say)."""
    non_ascii = [c for c in text if ord(c) >= 0x80]
    if len(non_ascii) < min_chars:
        return 0.0
    return sum(map(_common_cjk, non_ascii)) / len(non_ascii)


#: plausibility (:func:`plausible_cjk`) at or above which a legacy CJK codec is taken: real
#: Chinese, Japanese and Korean text scores 0.95 or more (the tests' fixtures); Latin-1
#: European text that happens to decode strictly as GBK scores far lower
MIN_CJK_PLAUSIBILITY = 0.85
