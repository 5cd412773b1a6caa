"""repair_text's fast path: text that FTFY_UNCHANGED_RE matches whole is returned without
calling ftfy; each admitted character is checked against what ftfy's fixes and NFC do, and
random strings of them against ftfy itself."""

from __future__ import annotations

import re
from re import _parser as sre_parse  # the regex parser (sre_parse is deprecated)
import unicodedata

import ftfy
import pytest
from support.equivalence import real_texts, texts
from ftfy import chardata
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.reading.reader import _FTFY_CONFIG, repair_text
from corpus_clean.unicode_scripts import FTFY_UNCHANGED_RE

ADMITTED = [chr(cp) for cp in range(0x110000) if FTFY_UNCHANGED_RE.fullmatch(chr(cp))]
ADMITTED_NON_ASCII = [c for c in ADMITTED if not c.isascii()]


def _reference_repair_text(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text
    return ftfy.fix_text(text, config=_FTFY_CONFIG)


def _pattern_chars(pattern: str, flags: int = 0) -> set[str]:
    """Every character a literal or a class of ``pattern`` names (ranges expanded)."""
    found: set[str] = set()

    def walk(items) -> None:
        for op, av in items:
            if op is sre_parse.LITERAL:
                found.add(chr(av))
            elif op is sre_parse.IN:
                for kind, value in av:
                    if kind is sre_parse.LITERAL:
                        found.add(chr(value))
                    elif kind is sre_parse.RANGE:
                        found.update(map(chr, range(value[0], value[1] + 1)))
            elif op in (sre_parse.SUBPATTERN,):
                walk(av[-1])
            elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT,
                        getattr(sre_parse, "POSSESSIVE_REPEAT", None)):
                walk(av[2])
            elif op is sre_parse.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
                walk(av[1])

    walk(sre_parse.parse(pattern, flags))
    return found


def test_the_alphabet():
    assert len(ADMITTED) == 95 - 1 + 41 + 16 + 86 + 5 + 96 + 6592 + 20992 + 11172 + 94
    assert "&" not in ADMITTED and "\x1b" not in ADMITTED


def test_no_admitted_character_is_in_the_mojibake_heuristic():
    # every alternative of BADNESS_RE needs a non-ASCII character of its categories or
    # literals: with none of them, no text of admitted characters is "bad"
    named = _pattern_chars(BADNESS_RE.pattern, re.VERBOSE)
    for chars in MOJIBAKE_CATEGORIES.values():
        named |= _pattern_chars(f"[{chars}]")
    assert len(named) > 300  # the categories and literals were found
    assert not named & set(ADMITTED_NON_ASCII)


def test_no_admitted_character_is_fixed_by_a_character_fix():
    admitted = "".join(ADMITTED)
    assert not chardata.C1_CONTROL_RE.search(admitted)
    assert admitted.translate(chardata.LIGATURES) == admitted
    assert admitted.translate(chardata.CONTROL_CHARS) == admitted
    assert ftfy.fixes.fix_line_breaks(admitted) == admitted
    assert ftfy.fixes.fix_surrogates(admitted) == admitted
    assert ftfy.fixes.remove_terminal_escapes(admitted) == admitted


def test_nfc_leaves_any_sequence_of_admitted_characters_alone():
    # no reordering (combining class 0), no composition (no character is the second of a
    # canonical pair or a Hangul vowel or final jamo), no decomposition
    seconds = set()
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<") and len(d.split()) == 2:
            seconds.add(chr(int(d.split()[1], 16)))
    seconds |= {chr(cp) for cp in range(0x1161, 0x11C3)}
    for c in ADMITTED:
        assert unicodedata.combining(c) == 0 and c not in seconds, hex(ord(c))
        assert unicodedata.normalize("NFC", c) == c, hex(ord(c))


def test_each_admitted_character_through_ftfy():
    for c in ADMITTED_NON_ASCII:
        text = f"a{c}{c}b {c}。"
        assert ftfy.fix_text(text, config=_FTFY_CONFIG) == text, hex(ord(c))


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from(ADMITTED), max_size=60) |
       st.text(st.sampled_from(ADMITTED_NON_ASCII[:300] + list("<>;#x0123abcAZ ～") +
                               ["\u3029", "\u3030", "\u303f", "\u3041", "\u3096", "\u309b",
                                "\u309f", "\u30a0", "\u30ff", "\u3400", "\u4dbf", "\u4e00",
                                "\u9fff", "\uac00", "\ud7a3", "\uff01", "\uff5e"]),
               max_size=60))
def test_random_admitted_strings_are_what_ftfy_returns(text):
    assert repair_text(text) == ftfy.fix_text(text, config=_FTFY_CONFIG) == \
        _reference_repair_text(text)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_random_strings_as_before(text):
    assert repair_text(text) == _reference_repair_text(text)


@pytest.mark.parametrize("text", ["&amp; ok", "a\tb", "\x1b[31mred", "中文&amp;", "中文\u302a",
                                  "か\u3099", "\uf900", "中文\r", "中\x85文", "Ã©中"])
def test_edges_as_before(text):
    assert repair_text(text) == _reference_repair_text(text)


def test_real_texts_as_before():
    for text in real_texts():
        for line in text.split("\n"):
            assert repair_text(line) == _reference_repair_text(line)
