"""The faster spam signals against the code they replaced (tests/support/reference_spam.py): the same
signal values, lexicon hits (in the same order), ad cues and drop details."""

from __future__ import annotations

import re

from support import reference_spam as ref
from support.equivalence import real_texts, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_clean.config import Config
from corpus_clean.records import Record
from corpus_clean.stages import spam

# fragments that fire the signals (lexicon terms, ad words, SEO patterns, contacts)
_TERMS = sorted(spam.load_lexicon_terms())
_CUES = sorted(spam._ALL_AD_WORDS | spam._TEXT_SPEAK | spam._ANSWERS) + \
    [" ".join(p) for p in sorted(spam._AD_PHRASES)] + list(spam._SEO_HINTS) + \
    ["to", "2", "end", "cnl", "08001234567", "2018 av", "av2019", "£5", "$100 cash", "18+",
     "10p/min", "3p per wk", "t&cs", "www.example.co.uk", "win.COM", "x.ne\u212at", "ſex",
     "shop.co.uk", "mail.CO.U\u212a",
     # contacts, digit gates (Unicode digits too), "18+" and ".com" edges
     "+", "++4", "1+", "-", "0", "12345", "+44 20-7946 0958", "1-------2", "a@b.c", "http://x",
     "https://", "www.", "x+y@z.org", "5p", "5P", "5pm", "5 p", "p5", "١p", "٣P ", "av 2",
     "2 \u3000av", "2\tav", "av\n3", "1 2 3-4-5 6 7", "1 2 3 4 5 6 x 7", "１２３４５６７",
     "123 456-7", "a.com.net", "x.co.uk.com", "é.NET", "_a.com", "a_.com", "3.com", ".com",
     "a..com", "a.comb", "18+", "a18+", "118+", "_18+", " 18+", "中18+", "18++", "a.co.ukx",
     "Ⅻ.com", "中文.com", "a.cOm!", "a .com"]
spammy = st.lists(st.one_of(st.sampled_from(_TERMS), st.sampled_from(_CUES), texts,
                            st.sampled_from([" ", ", ", "，", "、", "|", "\n", "。", ". "])),
                  max_size=30).map("".join)


def _same(text: str) -> None:
    low = text.lower()
    words = spam._WORD_RE.findall(low)
    assert spam._words(low) == words
    assert spam._words(text) == spam._WORD_RE.findall(text)
    signals = spam.spam_signals(text)
    # signals added after the reference was frozen
    added = {k: signals.pop(k) for k in ("vice", "cjk_ad_cues", "homoglyphs")}
    assert signals == ref.spam_signals(text)
    assert spam._lexicon_hits(text) == ref._lexicon_hits(text)
    assert spam._lexicon_hits(text, words, low) == ref._lexicon_hits(text, words)
    assert spam._ad_cues(words, text) == ref._ad_cues(words, text)
    found = spam._lookup_words().intersection(words)
    assert spam._ad_cues(words, text, low, "www" in low, found) == ref._ad_cues(words, text)
    assert spam._lexicon_hits(text, words, low, found) == ref._lexicon_hits(text, words)
    assert spam._seo_possible(low) == ref._seo_possible(low)
    assert spam._contacts(text) == ref._CONTACT_RE.findall(text)
    assert spam._seven_digits(text) == bool(ref._SEVEN_DIGITS_RE.search(text))
    assert spam._digit_p(text) == bool(ref._DIGIT_P_RE.search(text))
    assert spam._digit_then_p(text) == bool(spam._DIGIT_THEN_P_RE.search(text))
    assert spam._seo_possible(text) == ref._seo_possible(text)
    assert spam._ad_symbol_possible(text) == ref._ad_symbol_possible(text)
    if ref._ad_symbol_possible(text):
        assert spam._ad_symbols(text, low) == ref._AD_SYMBOL_RE.findall(text)
    assert spam._dot_com_words(text) == \
        re.findall(spam._AD_SYMBOL_ALTERNATIVES[-1], text, re.IGNORECASE)
    symbols = ref._AD_SYMBOL_RE.findall(text) if ref._ad_symbol_possible(text) else []
    assert spam._symbol_cues(text, low, "www" in low) == \
        sum(0.5 if ("." in m and not m[0].isdigit()) else 1 for m in symbols)
    record = Record("t.txt:1", text, "t.txt", 1)
    for threshold in (0.5, 0.1):
        config = Config(spam_threshold=threshold)
        if not any(added.values()):
            assert spam.SpamFilter(config).apply(record) == ref.SpamFilter(config).apply(record)


def test_patterns_are_the_reference_patterns():
    assert spam._AD_SYMBOL_RE.pattern == ref._AD_SYMBOL_RE.pattern
    assert spam._SEO_RE.pattern == ref._SEO_RE.pattern
    assert spam._CONTACT_RE.pattern == ref._CONTACT_RE.pattern


def test_real_texts():
    for text in real_texts():
        _same(text)


def test_every_lexicon_term_and_cue_in_context():
    for term in _TERMS + _CUES:
        for text in (term, f"这是{term}的", f"a {term} b", f"{term}{term}", term.upper()):
            _same(text)


@settings(max_examples=1500, deadline=None)
@given(spammy)
def test_random_spammy_strings(text):
    _same(text)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_random_strings(text):
    _same(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(st.sampled_from("aZ09_'- -\t\n.,!x'-y\x1c\x0b\x00"), max_size=40) |
       st.text(st.characters(max_codepoint=127), max_size=40))
def test_ascii_words(text):
    # the ASCII path of _words (translate, substitution, split) against the regex
    assert spam._words(text) == spam._WORD_RE.findall(text)
    assert spam._words(text.lower()) == spam._WORD_RE.findall(text.lower())


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["a", "Z", "3", "_", ".", "com", "COM", "net", "co", "uk",
                                 "u\u212a", " ", "中", "é", "-", "www", "+", "Ⅻ", "'"]),
                max_size=20).map("".join))
def test_dot_com_words(text):
    # the ".com" alternative of the symbol cues found from the "." ends, against the regex
    assert spam._dot_com_words(text) == \
        re.findall(spam._AD_SYMBOL_ALTERNATIVES[-1], text, re.IGNORECASE)
