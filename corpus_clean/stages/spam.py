"""Drop spam: SEO keyword stuffing, porn and gambling ads, contact-me lines.

A spam score in [0, 1] is the clipped sum of weighted signals; the record is dropped with reason
``spam`` when the score reaches ``Config.spam_threshold``. Every signal is in the drop's detail.

Signals:

``stuffing`` (weight 0.4)
    the record is a run of at least 4 segments, 80% of them short (at most 16 characters, a
    keyword; clauses of Chinese prose are longer), with no sentence punctuation anywhere (one
    sentence of prose with commas ends in 。 or .), separated by
    commas, 、, |, /, ;, underscores, middle dots and bullets, guillemets, dashes, a hyphen
    between spaces or (in Chinese and Japanese text) spaces: SEO keyword stuffing,
    like the first line of seed 002. A paper's keyword list is not stuffing: it sits in a record
    that has sentences.
``lexicon`` (up to 0.6)
    hits of bundled public lexicons: LDNOOBW ``en`` and ``zh`` (the lists C4 uses, CC-BY-4.0),
    better_profanity's English word list (MIT) and konsheng's Chinese ads and porn lists (MIT);
    see ``lexicons/SOURCES.md``. Lexicons alone
    would be wrong on clean text (性 in 性能, 逼 in 逼近), so a term found in clean real text
    (``lexicons/weak_terms.txt``, derived by ``bench/tune_lexicons.py``), a single CJK character
    or an ASCII term whose words have at most 2 letters counts 1/5 of a strong term, and weak
    terms add at most :data:`WEAK_CAP` (so that weak terms and stuffing together, as in a Chinese
    LLM summary of an abstract on networks, stay below the threshold). The signal is hits per 200 characters, so that one hit in a long abstract
    is little and three in a short line is much.
    Chinese terms match as substrings, other terms as whole Unicode words (so ``cialis`` is not
    found in ``spécialisée``), case-insensitively.
``seo`` (up to 0.4)
    patterns of SEO and porn-site spam: a year next to "av" (2018av), 免费视频, 在线观看, 成人网站,
    点击进入, 加微信/QQ with a number.
``contact`` (up to 0.3)
    phone numbers, URLs and e-mail addresses, per 100 characters: ads ask to be contacted.
``ad_cues`` (up to 0.5)
    the wording of ads and SMS spam per 100 characters ("call 0800...", "send STOP to 80488",
    txt, msg, urgent, prize, claim, £100, 150p/min, T&C), read off the spam class of the UCI
    SMS Spam Collection (CC BY 4.0; no text of it is bundled).``vice`` (up to 0.6)
    offer terms of :data:`VICE_FILE` (``lexicons/vice_terms.txt``, written for this project,
    Apache-2.0): gambling offers in 20 languages (online casino, free spins, no deposit bonus,
    xổ số, soi cầu, nhà cái, 토토사이트, オンラインカジノ, บาคาร่า, deneme bonusu, фриспины ...),
    adult-service and porn-site title words, payday loans, pills, replicas, essay mills, and
    the labels and opt-outs of ad mail ((광고), 【広告】, 配信停止, 退订, a leading ``ADV:``).
    An offer, not a topic: "casino", "lottery", 博彩 and パチンコ are left out, as news and
    abstracts discuss them. Hits per :data:`VICE_CHARS` characters: one term in a title of up
    to 100 characters reaches the default threshold, two in an abstract do not. A term found
    in clean real text (``weak_terms.txt``) does not count.
``cjk_ad_cues`` (up to 0.5)
    the wording of ad mails and ad posts in Chinese, Japanese and Korean per 100 characters:
    free offers, limited time, welcome to call, hotlines, WeChat, invoices for a fee,
    part-time pay (1 each); words prose also uses (免费, 价格, 無料, 무료, 문의: 1/2 each,
    counted only beside a strong cue).
``homoglyphs`` (up to 0.6)
    words that mix Latin letters with Cyrillic look-alikes (Аdvеrtіѕе, Веlіzе: а, е, і, о, р,
    с, ѕ written for a, e, i, o, p, c, s), the disguise spam uses to slip past word filters
    (Unicode Technical Standard #39, "mixed-script confusables"). The signal is 1 from 3 such
    words making at least a fifth of the words; a stray letter of the other keyboard layout in
    Russian text is one word, not three. Greek is left out: science writes μP, γILP, αβ-T.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import Config
from ..records import Drop, Record
from ..unicode_scripts import SENTENCE_END_RE, count_han_kana

REASONS = ("spam",)

__all__ = ["REASONS", "SpamFilter", "spam_signals", "spam_score", "load_lexicon_terms", "LEXICON_DIR"]

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicons"
LEXICON_FILES = ("ldnoobw_en.txt", "ldnoobw_zh.txt", "ldnoobw_ja.txt", "ldnoobw_ko.txt",
                 "better_profanity_en.txt", "konsheng_ads.txt", "konsheng_porn_types.txt",
                 "konsheng_porn.txt")
#: the project's own list of offers (gambling, adult services, loans, counterfeits) and
#: ad-mail labels, read by the ``vice`` signal (not by ``lexicon``)
VICE_FILE = "vice_terms.txt"
WEIGHTS = {"stuffing": 0.4, "lexicon": 0.6, "seo": 0.4, "contact": 0.3, "ad_cues": 0.5,
           "vice": 0.6, "cjk_ad_cues": 0.5, "homoglyphs": 0.6}
#: characters per unit of the ``vice`` signal's length normalisation: one offer term in a line
#: of up to 100 characters (a title) reaches the default threshold alone, two in 500 do not
VICE_CHARS = 500
#: a keyword of SEO stuffing is short; clauses of prose separated by commas are longer
MAX_KEYWORD_CHARS = 16
#: the most that weak lexicon terms add to the lexicon signal: weak terms alone (代理, 网络 in
#: an abstract about agents or networks) can never reach the threshold.
WEAK_CAP = 0.15

#: separators of keywords in SEO titles: commas, 、, bars, slashes, semicolons, underscores
#: (澳门赌场_官网_app), middle dots and bullets, guillemets, dashes, and a hyphen between spaces
#: ("casino - slots - bonus"); a hyphen inside a word (well-known) separates nothing
_SEPARATORS = r"[,，、|｜/;；_·•・»«–—]"
_SEGMENT_SPLIT = re.compile(rf"(?:{_SEPARATORS}|\s+-+(?=\s))+")
_SEGMENT_SPLIT_CJK = re.compile(rf"(?:{_SEPARATORS}|\s)+")
_SEO_RE = re.compile(
    r"(?:19|20)\d\d\s*av\b|\bav\s*(?:19|20)\d\d|免费视频|免費視頻|在线观看|在線觀看|在线看|在線看"
    r"|成人(?:网站|網站|视频|視頻|电影|電影|影院|小说|小說)|点击进入|點擊進入|黄色网站|黃色網站"
    r"|(?:加|\+)\s*(?:微信|qq|vx|wx|v信)\s*[:：]?\s*\w{5,}|(?:微信|qq|vx)\s*[:：]\s*\d{5,}"
    r"|无码|無碼|一本道|东京热|東京熱|真人(?:娱乐|娛樂|百家乐|百家樂)|百家乐|百家樂|老虎机|老虎機"
    r"|博彩|菠菜|彩票(?:网|平台)|澳门赌场|澳門賭場|online casino|sex ?cam|xxx videos?",
    re.IGNORECASE,
)
# literals of which every alternative of _SEO_RE needs one: where none occurs, it cannot match
# (substring tests are 20x faster than a regex alternation here)
_SEO_HINTS = ("免费视", "免費視", "在线", "在線", "成人", "点击进入", "點擊進入", "黄色网站", "黃色網站",
              "微信", "qq", "vx", "wx", "v信", "无码", "無碼", "一本道", "东京热", "東京熱", "真人", "百家",
              "老虎机", "老虎機", "博彩", "菠菜", "彩票", "澳门赌场", "澳門賭場", "casino", "sex", "xxx")
_SEO_AV_RE = re.compile(r"\d\s*av|av\s*\d")


# whether any hint is a substring: one search of their alternation (any() over ``in`` tests
# scanned the text once per hint)
_SEO_HINTS_RE = re.compile("|".join(map(re.escape, _SEO_HINTS)))


_SEO_HINTS_ASCII = tuple(h for h in _SEO_HINTS if h.isascii())
# the ASCII hints with an "x" (vx, wx, sex, xxx) as one search that skips in C to each "x";
# the others (qq, casino) as ``in`` tests: 2.4x faster than an ``in`` test per hint
_SEO_X_HINTS_RE = re.compile(r"x(?:(?<=[vw]x)|(?<=sex)|xx)")
_SEO_OTHER_ASCII_HINTS = tuple(h for h in _SEO_HINTS_ASCII if "x" not in h)
assert {h for h in _SEO_HINTS_ASCII if "x" in h} == {"vx", "wx", "sex", "xxx"}
# \d\s*av read backwards (both classes are of one character): a search of the reversed text
# skips in C to the literal "va" instead of testing for a digit at each character
_SEO_VA_DIGIT_RE = re.compile(r"va\s*\d")
_SEO_AV_DIGIT_RE = re.compile(r"av\s*\d")


def _seo_possible(low: str) -> bool:
    # a few ``in`` tests and one search are faster on ASCII text; _SEO_AV_RE searched as its
    # two alternatives, each with a literal the search can skip to (one in the reversed text)
    if low.isascii():
        if _SEO_X_HINTS_RE.search(low) or any(h in low for h in _SEO_OTHER_ASCII_HINTS):
            return True
    elif _SEO_HINTS_RE.search(low):
        return True
    return "av" in low and bool(_SEO_AV_DIGIT_RE.search(low) or _SEO_VA_DIGIT_RE.search(low[::-1]))


_SEVEN_DIGITS_RE = re.compile(r"\d(?:[\d\- ]*\d){6}")
# whether _SEVEN_DIGITS_RE matches, faster: a run of [\d\- ] with 7 digits has 7 digits with
# only "-" and " " between them (no nested repeat to backtrack over), and the digits of ASCII
# text are 0-9 (a range test instead of a Unicode category look-up)
_SEVEN_DIGITS_FAST_RE = re.compile(r"\d(?:[\- ]*\d){6}")
_SEVEN_ASCII_DIGITS_RE = re.compile(r"[0-9](?:[\- ]*[0-9]){6}")


def _seven_digits(text: str) -> bool:
    """Whether ``_SEVEN_DIGITS_RE.search(text)`` finds a match. ASCII text with fewer than 7
    digits (6 in 10 English records) has none: counted by deleting the digits from its bytes,
    faster than the search."""
    if not text.isascii():
        return _SEVEN_DIGITS_FAST_RE.search(text) is not None
    data = text.encode("ascii")
    if len(data) - len(data.translate(None, b"0123456789")) < 7:
        return False
    return _SEVEN_ASCII_DIGITS_RE.search(text) is not None


_CONTACT_ALTERNATIVES = (r"https?://\S+", r"www\.\S+", r"[\w.+-]+@[\w-]+\.[\w.]+",
                         r"(?<!\d)(?:\+?\d[\d\- ]{6,}\d)(?!\d)")
_CONTACT_RE = re.compile("|".join(_CONTACT_ALTERNATIVES))


# The phone number alternative written to start with a character class ("+" or a digit), so
# that a search of it alone skips in C to the next such character instead of trying the
# look-behind at every position: it consumes the "+" (not after a digit) and a digit, or a digit
# not after a digit, then the same rest; the same matches at the same positions.
_PHONE_FAST = r"[+\d](?:(?<=\+)(?<!\d\+)\d|(?<=\d)(?<!\d\d))[\d\- ]{6,}\d(?!\d)"
_CONTACT_FAST_ALTERNATIVES = _CONTACT_ALTERNATIVES[:3] + (_PHONE_FAST,)


@lru_cache(maxsize=16)
def _contact_subset(used: tuple[bool, ...]) -> re.Pattern:
    return re.compile("|".join(a for a, u in zip(_CONTACT_FAST_ALTERNATIVES, used) if u))


def _contacts(text: str) -> list[str]:
    """``_CONTACT_RE.findall(text)``, searching with only the alternatives whose literal
    ("http", "www.", "@") occurs in ``text`` (the pattern is case-sensitive) and the phone
    number: an alternative that cannot match anywhere changes no match of the alternation,
    and the e-mail address (a run of word characters tried at each of its positions, in
    search of an "@") is the slow one."""
    return _contact_subset(("http" in text, "www." in text, "@" in text, True)).findall(text)


# Wording of ads and SMS spam, read off the spam class of the UCI SMS Spam Collection: the
# text-speak of premium-rate services (txt, msg, 150p, £, reply STOP to 80488) and the pitch
# (urgent, prize, claim). Words that scientific text also uses (free, call, update, chance) are
# weak cues, half a cue each. Cues are looked up per word, not by one large regex (10x faster).
_AD_WORDS = frozenset("""
urgent winner won prize claim cash awarded guaranteed bonus ringtone ringtones tone tones
unsubscribe txt txts msg msgs rcv rcvd poly polys subs mob landline shortcode stdtxtrate entitled
discount voucher jackpot casino auction horny sexy sexiest dirtiest singles dating babe 2nite
2day wap sms quiz texting holiday holidays redeem redeemed un-redeemed unredeemed expires
""".split())
# text-speak pronouns "u", "ur", "r" count only as words between spaces: in "(r,δ)", "F_2[u]"
# or "R&B" they are mathematics or names
_TEXT_SPEAK = frozenset(("u", "ur", "r"))


_TEXT_SPEAK_CASES = frozenset(v for w in _TEXT_SPEAK for v in (w, w.upper(), w.title(), w[0] + w[1:].upper()))


def _text_speak(text: str) -> int:
    """Words "u", "ur", "r" (any case) with white space before (or the start) and after."""
    tokens = text.split()
    if tokens and not text[-1:].isspace():
        tokens.pop()  # the last word has no space after it
    present = _TEXT_SPEAK_CASES.intersection(tokens)
    if not present:
        return 0
    counts = Counter(tokens)
    return sum(counts[t] for t in present)
_AD_PHRASES = frozenset(tuple(p.split()) for p in (
    "free msg", "freemsg", "free entry", "std txt rate", "customer services", "line rental",
    "video phone", "limited time", "act now", "click here", "buy now", "order now",
    "account statement", "identifier code", "4 chance", "2 win", "opt out", "opt-out"))
_WEAK_AD_WORDS = frozenset("""
free win mobile mobiles call reply offer click latest update video videos game games camera
nokia login premium chance now
""".split())
_CALL_WORDS = frozenset(("call", "txt", "text", "reply", "send", "ring"))
_ANSWERS = frozenset(("stop", "yes", "no", "help"))
# cues that need digits or symbols: £5, $100 cash, 150p/min, T&C, 18+, www.x.com
_AD_SYMBOL_ALTERNATIVES = (r"£\s?\d", r"\$\d+\s?(?:cash|prize)",
                           r"\b\d+p(?:/| per | a )?(?:min|msg|wk|week)?\b", r"t&cs?\b", r"\b18\+",
                           r"www\.\S+", r"\b\w+\.(?:com|net|co\.uk)\b")
_AD_SYMBOL_RE = re.compile("|".join(_AD_SYMBOL_ALTERNATIVES), re.IGNORECASE)
_DIGIT_P_RE = re.compile(r"\d[pP]\b")
_DIGIT_THEN_P_RE = re.compile(r"\d[pP]")
# the same searched as "p" and "P" after a digit (a look-behind): a search for one literal
# skips in C, five times faster than testing each character for a digit
_DIGIT_LOWER_P_RE = re.compile(r"p(?<=\dp)\b")
_DIGIT_UPPER_P_RE = re.compile(r"P(?<=\dP)\b")
_DIGIT_THEN_LOWER_P_RE = re.compile(r"p(?<=\dp)")
_DIGIT_THEN_UPPER_P_RE = re.compile(r"P(?<=\dP)")


def _digit_p(text: str) -> bool:
    """Whether ``_DIGIT_P_RE.search(text)`` finds a match."""
    return bool(_DIGIT_LOWER_P_RE.search(text) or _DIGIT_UPPER_P_RE.search(text))


def _digit_then_p(text: str) -> bool:
    """Whether ``_DIGIT_THEN_P_RE.search(text)`` finds a match."""
    return bool(_DIGIT_THEN_LOWER_P_RE.search(text) or _DIGIT_THEN_UPPER_P_RE.search(text))


def _ad_symbol_possible(text: str, low: str | None = None) -> bool:
    """Whether _AD_SYMBOL_RE can match: a symbol, a URL part or a digit before "p"
    (``low``: ``text.lower()``, if the caller has it)."""
    if "£" in text or "$" in text or "&" in text or "+" in text:
        return True
    if low is None:
        low = text.lower()
    return "www" in low or ".com" in low or ".net" in low or ".co.uk" in low or \
        _digit_p(text)


_DOT_COM_USED = (False,) * 6 + (True,)  # only the last alternative: a word before .com
_DOT_COM_END_RE = re.compile(r"\.(?:com|net|co\.uk)\b", re.IGNORECASE)
_WORD_RUN_RE = re.compile(r"\w+")


def _dot_com_words(text: str) -> list[str]:
    r"""``re.findall(r"\b\w+\.(?:com|net|co\.uk)\b", text, re.IGNORECASE)``, found from
    the ".com" ends (a search that skips in C to each "."): the greedy ``\w+`` after ``\b``
    is a whole run of word characters, so a match is the run that ends at such a "." (read
    backwards from it in the reversed text) with its end, unless it starts inside the
    previous match. The regex tries its ``\b\w+`` at every character, 10x slower."""
    out = []
    last_end = 0
    rev = None
    for m in _DOT_COM_END_RE.finditer(text):
        dot = m.start()
        if rev is None:
            rev = text[::-1]
        run = _WORD_RUN_RE.match(rev, len(text) - dot)
        if run is None:
            continue
        start = dot - (run.end() - run.start())
        if start >= last_end:
            out.append(text[start:m.end()])
            last_end = m.end()
    return out


# \b18\+ as the literal "18" (that the search skips to in C) not after a word character: the
# same matches at the same positions ("1" is a word character, so \b before it is that)
_AD_SYMBOL_FAST_ALTERNATIVES = tuple(r"18(?<!\w18)\+" if a == r"\b18\+" else a
                                     for a in _AD_SYMBOL_ALTERNATIVES)
assert _AD_SYMBOL_FAST_ALTERNATIVES != _AD_SYMBOL_ALTERNATIVES


@lru_cache(maxsize=128)
def _ad_symbol_subset(used: tuple[bool, ...]) -> re.Pattern:
    return re.compile("|".join(a for a, u in zip(_AD_SYMBOL_FAST_ALTERNATIVES, used) if u),
                      re.IGNORECASE)


def _ad_symbols(text: str, low: str) -> list[str]:
    """``_AD_SYMBOL_RE.findall(text)``, searching with only the alternatives whose literal
    occurs in ``text`` (``low`` is ``text.lower()``): an alternative that cannot match
    anywhere changes no match of the alternation, and the last one (a word before .com) is
    the slow one. Under IGNORECASE the letters of "www", "com", "net", "co.uk" and "p" match
    only characters that lower-case to them (K, the Kelvin sign, is k)."""
    used = ("£" in text, "$" in text, _digit_then_p(text), "&" in text,
            "+" in text, "www." in low, ".com" in low or ".net" in low or ".co.uk" in low)
    if not any(used):
        return []
    if used == _DOT_COM_USED:
        return _dot_com_words(text)
    return _ad_symbol_subset(used).findall(text)


_PHRASE_FIRST = frozenset(p[0] for p in _AD_PHRASES)
_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(_AD_PHRASES, key=len):
    _PHRASES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)
_STOP_TO = frozenset(("to", "2"))
_STOP_END = frozenset(("end", "stop", "cancel", "cnl"))
_CONTEXT_WORDS = _PHRASE_FIRST | _CALL_WORDS | {"stop"}  # cues that depend on the next words
_ALL_AD_WORDS = _AD_WORDS | _WEAK_AD_WORDS | _CONTEXT_WORDS
#: the words whose presence _ad_cues looks up in one intersection with the text's words: the
#: cue words, the text-speak words, the words of the phrases and of "stop to end"
_AD_LOOKUP = _ALL_AD_WORDS | _TEXT_SPEAK | {w for p in _AD_PHRASES for w in p} | _STOP_TO | \
    _STOP_END


# ".com", ".net" or ".co.uk" as one search that skips in C to each "." (3x faster than three
# ``in`` tests)
_DOT_COM_RE = re.compile(r"\.(?:com|net|co\.uk)")


def _symbol_cues(text: str, low: str, www: bool) -> float:
    """The symbol cues of ``text``: 1 per match of _AD_SYMBOL_RE, 1/2 per URL (``low`` is
    ``text.lower()``, ``www``: whether "www" is in it). The same as ``_ad_symbols(text, low)``
    where ``_ad_symbol_possible(text, low)``, with each literal looked for once (and "£",
    not ASCII, not in ASCII text)."""
    pound = not text.isascii() and "£" in text
    dollar = "$" in text
    amp = "&" in text
    plus = "+" in text
    www_dot = www and "www." in low
    com = _DOT_COM_RE.search(low) is not None
    if not (pound or dollar or amp or plus or www or com or _digit_p(text)):
        return 0.0
    used = (pound, dollar, _digit_then_p(text), amp, plus, www_dot, com)
    if not any(used):
        return 0.0
    cues = 0.0
    matches = _dot_com_words(text) if used == _DOT_COM_USED else \
        _ad_symbol_subset(used).findall(text)
    for m in matches:
        cues += 0.5 if ("." in m and not m[0].isdigit()) else 1
    return cues


def _occurrences(words: list[str], w: str):
    """The indexes of ``w`` in ``words``, in order (``list.index`` from each one on: a C
    search between occurrences)."""
    i = -1
    while True:
        try:
            i = words.index(w, i + 1)
        except ValueError:
            return
        yield i


def _ad_cues(words: list[str], text: str, low: str | None = None,
             www: bool | None = None, looked_up: frozenset[str] | None = None) -> float:
    """Count ad cues in ``text`` given its lower-cased ``words``: strong words and phrases
    (1 each), weak words (1/2), "call/text/reply ... <number of 4+ digits>" and "reply STOP"
    (1 each), and symbol cues (£5, 150p/min, T&C, URLs: 1 each, URLs 1/2); ``low``:
    ``text.lower()``, ``www``: whether "www" is in it, and ``looked_up``: the words of
    ``words`` that are in :data:`_AD_LOOKUP` (or more of its words), if the caller has them.

    Cue values are multiples of 1/2 far below 2**52, so their float sum is exact in any
    order: the words are counted with ``list.count`` and the context cues are visited word by
    word (``list.index``) rather than in text order."""
    if low is None:
        low = text.lower()
    if www is None:
        www = "www" in low
    if looked_up is None:
        looked_up = _AD_LOOKUP.intersection(words)
    cues = 0.0
    present = looked_up & _ALL_AD_WORDS
    if present:
        cues += sum(words.count(w) for w in present & _AD_WORDS)
        cues += sum(words.count(w) for w in present & _WEAK_AD_WORDS) / 2
        for w in present & _CONTEXT_WORDS:
            # the phrases that start with w and of which every word is in the text: no other
            # can match
            phrases = [p for p in _PHRASES_BY_FIRST.get(w, ()) if looked_up.issuperset(p)]
            if not phrases and w not in _CALL_WORDS and (
                    w != "stop" or looked_up.isdisjoint(_STOP_TO) or
                    looked_up.isdisjoint(_STOP_END)):
                continue  # no cue can start at any w ("2" of "2 win" in a text without "win")
            for i in _occurrences(words, w):
                for p in phrases:
                    if tuple(words[i:i + len(p)]) == p:
                        # the slices of 1, 2 and 3 words that were looked up in _AD_PHRASES:
                        # one equals the phrase, or, where it ends the text, each slice as
                        # long or longer (cut short at the end) does
                        cues += 1 if i + len(p) < len(words) else 4 - len(p)
                if w in _CALL_WORDS:
                    nxt = words[i + 1:i + 5]
                    if nxt and nxt[0] in _ANSWERS:
                        cues += 1
                    elif any(t.isdigit() and len(t) >= 4 for t in nxt):
                        cues += 1
                elif w == "stop" and i + 2 < len(words) and words[i + 1] in _STOP_TO and \
                        words[i + 2] in _STOP_END:
                    cues += 1
    # a text-speak token (u, ur, r between white space, any case) is a word of ``words`` too
    # (lower-casing maps only U and R to u and r, and white space to itself), so where none of
    # them is a word there is none to count
    if not looked_up.isdisjoint(_TEXT_SPEAK):
        cues += _text_speak(text)
    return cues + _symbol_cues(text, low, www)


_WORD_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")  # Unicode words: "spécialisée" is one
# ASCII text: the characters of no word and no joiner become spaces, and so do the joiners
# (' and -) that are not between two letters or digits; the words are then what split() finds
# (the ASCII word characters of _WORD_RE are letters and digits, "_" is none)
_ASCII_NON_WORD = str.maketrans({i: " " for i in range(128)
                                 if not (chr(i).isalnum() or chr(i) in "'-")})
# one substitution per joiner: a search for one literal skips in C (5x faster than for a
# class of two); a lone joiner stays lone when another becomes a space (neither is a letter)
_ASCII_LONE_QUOTE_RE = re.compile(r"'(?:(?![a-zA-Z0-9])|(?<![a-zA-Z0-9]'))")
_ASCII_LONE_HYPHEN_RE = re.compile(r"-(?:(?![a-zA-Z0-9])|(?<![a-zA-Z0-9]-))")


def _words(low: str) -> list[str]:
    """``_WORD_RE.findall(low)``; for ASCII text by ``str.translate``, one substitution and
    ``str.split`` (a third faster)."""
    if not low.isascii():
        return _WORD_RE.findall(low)
    spaced = low.translate(_ASCII_NON_WORD)
    if "'" in spaced:
        spaced = _ASCII_LONE_QUOTE_RE.sub(" ", spaced)
    if "-" in spaced:
        spaced = _ASCII_LONE_HYPHEN_RE.sub(" ", spaced)
    return spaced.split()


@lru_cache(maxsize=1)
def load_lexicon_terms() -> frozenset[str]:
    """Return all terms of the bundled lexicons, lower-cased and stripped (a frozenset)."""
    terms = set()
    for name in LEXICON_FILES:
        for line in (LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
            term = " ".join(line.strip().lower().split())
            if term and not term.startswith("#"):
                terms.add(term)
    return frozenset(terms)


@lru_cache(maxsize=1)
def _weak_terms() -> frozenset[str]:
    """The terms of ``lexicons/weak_terms.txt``: found in clean real text."""
    weak_file = LEXICON_DIR / "weak_terms.txt"
    if not weak_file.exists():
        return frozenset()
    return frozenset(t for t in weak_file.read_text(encoding="utf-8").splitlines()
                     if t and not t.startswith("#"))


@lru_cache(maxsize=1)
def _lexicon_index() -> tuple[dict, dict]:
    """Index the terms: CJK terms by their first two characters (longest first, then the
    one-character term of the first character) and one-character terms by that character;
    ASCII terms by first word."""
    weak = _weak_terms()
    by_char: dict[str, list[tuple[str, bool]]] = {}
    by_word: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    for term in sorted(load_lexicon_terms()):
        if term.isascii():
            words = tuple(_WORD_RE.findall(term))
            if not words:
                continue
            is_weak = term in weak or max(len(w) for w in words) <= 2  # "s&m" -> "s", "m"
            by_word.setdefault(words[0], []).append((words, is_weak))
        else:
            is_weak = term in weak or len(term) == 1
            by_char.setdefault(term[0], []).append((term, is_weak))
    for lst in by_char.values():
        lst.sort(key=lambda t: -len(t[0]))
    # the candidates at a position are the terms that start with its two characters, then
    # the one-character term of its first: keyed by those two characters
    by_pair: dict[str, list[tuple[str, bool]]] = {}
    for first, lst in by_char.items():
        single = [t for t in lst if len(t[0]) == 1]
        for term, is_weak in lst:
            if len(term) > 1:
                by_pair.setdefault(term[:2], []).append((term, is_weak))
        for pair in [p for p in by_pair if p[0] == first]:
            by_pair[pair] += single
        by_char[first] = single
    by_char.update(by_pair)
    return by_char, by_word


@lru_cache(maxsize=1)
def _term_start_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables for :func:`_term_starts`, indexed by code point up to the largest of the terms'
    characters, plus one entry (0) that every larger code point reads (``take(mode="clip")``):
    the offset of a character's row in the flattened matrix (row 0 for a character that starts
    no term), the column of a character (0 for one that is no second character of a
    two-character key of :func:`_lexicon_index`), and the flattened boolean matrix whose cell
    (row of c, column of d) says whether a term can match at c followed by d: c is a
    one-character term (the whole row), or c + d is a two-character key."""
    by_char = _lexicon_index()[0]
    singles = sorted(k for k, terms in by_char.items() if len(k) == 1 and terms)
    pairs = sorted(k for k in by_char if len(k) == 2)
    firsts = sorted(set(singles) | {k[0] for k in pairs})
    seconds = sorted({k[1] for k in pairs})
    size = max(map(ord, firsts + seconds)) + 2  # the last entry: every larger code point
    row = np.zeros(size, np.uint32)
    row[[ord(c) for c in firsts]] = np.arange(1, len(firsts) + 1)
    col = np.zeros(size, np.uint32)
    col[[ord(c) for c in seconds]] = np.arange(1, len(seconds) + 1)
    matrix = np.zeros((len(firsts) + 1, len(seconds) + 1), bool)
    matrix[row[[ord(c) for c in singles]]] = True
    matrix[row[[ord(k[0]) for k in pairs]], col[[ord(k[1]) for k in pairs]]] = True
    return row * matrix.shape[1], col, matrix.ravel()


def _term_starts(low: str) -> list[int]:
    """The positions in ``low`` (not ASCII) where a non-ASCII lexicon term can match, in
    order: a one-character term's character, or the first of two characters that are a
    two-character key of :func:`_lexicon_index`. At any other position the scan of
    :func:`_lexicon_hits` finds no candidate that matches (its candidates there are the
    one-character terms of the character, none). Found with numpy table look-ups over the
    code points instead of a regex search and a Python step at each character that starts
    some term: in the Chinese records of the benchmark, 42 positions per record where a
    character that starts a two-character key is followed by a character that ends one,
    6 of them positions found here."""
    row_offset, col, matrix = _term_start_tables()
    # a NUL after the last character: no column, so the last character starts no pair
    cps = np.frombuffer((low + "\0").encode("utf-32-le", "surrogatepass"), np.uint32)
    cells = row_offset.take(cps[:-1], mode="clip") + col.take(cps[1:], mode="clip")
    return matrix.take(cells).nonzero()[0].tolist()


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    """The first words of the ASCII lexicon terms (the keys of :func:`_lexicon_index`)."""
    return frozenset(_lexicon_index()[1])


@lru_cache(maxsize=1)
def _term_words() -> frozenset[str]:
    """The words of the ASCII lexicon terms (of the word sequences of :func:`_lexicon_index`)."""
    return frozenset(w for terms in _lexicon_index()[1].values() for seq, _ in terms for w in seq)


@lru_cache(maxsize=1)
def _lookup_words() -> frozenset[str]:
    """The words whose presence :func:`spam_signals` looks up in one intersection with the
    words of a text: those of the ASCII lexicon terms and :data:`_AD_LOOKUP`."""
    return _term_words() | _AD_LOOKUP


def _lexicon_hits(text: str, words: list[str] | None = None, low: str | None = None,
                  looked_up: frozenset[str] | None = None) -> tuple[int, int, list[str]]:
    """Return (strong hits, weak hits, matched terms) of the lexicons in ``text`` (``words``:
    its lower-cased Unicode words, ``low``: ``text.lower()``, and ``looked_up``: the words of
    ``words`` that are words of a term (or more of its words), if the caller has them)."""
    by_char, by_word = _lexicon_index()
    strong = weak = 0
    found = []
    if low is None:
        low = text.lower()
    if not low.isascii():
        skip_to = 0  # a matched term is consumed whole (longest first), as a scan would
        for i in _term_starts(low):
            if i < skip_to:
                continue
            # the terms that start with the two characters here, longest first, then the
            # one-character term; where no longer term starts so, the one-character term
            for term, is_weak in by_char.get(low[i:i + 2]) or by_char[low[i]]:
                if low.startswith(term, i):
                    if is_weak:
                        weak += 1
                    else:
                        strong += 1
                    found.append(term)
                    skip_to = i + len(term)
                    break
    if words is None:
        words = _words(low)
    # the words of the text that are words of a term; a term with a word not among them
    # cannot match, so only the others are tried (in the same order: the same first match)
    present = _term_words().intersection(words) if looked_up is None \
        else looked_up & _term_words()
    hits = []  # (position, term, weak): at most one term per word, the first that matches
    for w in present & _first_words():  # each occurrence of a first word, by list.index
        candidates = [(seq, is_weak) for seq, is_weak in by_word[w]
                      if len(seq) == 1 or present.issuperset(seq)]
        if not candidates:  # "two" of "two girls one cup" in a text without "girls"
            continue
        for j in _occurrences(words, w):
            for seq, is_weak in candidates:
                if tuple(words[j:j + len(seq)]) == seq:
                    hits.append((j, seq, is_weak))
                    break
    hits.sort()  # in text order, as a scan of the words finds them
    for _, seq, is_weak in hits:
        if is_weak:
            weak += 1
        else:
            strong += 1
        found.append(" ".join(seq))
    return strong, weak, found


# The wording of advertising mail and ad posts in Chinese (simplified and traditional),
# Japanese and Korean: the offer (free, discount, limited time), the call to contact
# (welcome to call, hotline, add WeChat), and the trades of ad mail (invoices issued for a fee,
# part-time jobs, loans). Words that ordinary prose also uses (免费 free, 价格 price, 点击
# click, 무료 free, 문의 inquiry) are weak cues, half a cue each. Written for this project from
# the common vocabulary of such ads; matched as substrings, counted per 100 characters.
_CJK_AD_STRONG = (
    "免费领取", "免費領取", "欢迎来电", "歡迎來電", "欢迎咨询", "歡迎諮詢",
    "详情请", "詳情請", "限时优惠", "限時優惠", "限时抢购", "特价", "特價", "优惠价", "優惠價",
    "代开发票", "代開發票", "税点", "稅點", "立即领取", "点击领取", "热线", "熱線", "联系电话",
    "聯繫電話", "聯絡電話", "加微信", "加v", "诚招", "誠招", "招商加盟", "日赚", "日賺", "月入过万",
    "无抵押", "無抵押", "办证", "辦證", "刷单", "刷單", "高薪诚聘", "包邮", "包郵", "厂家直销",
    "廠家直銷", "完全無料", "今すぐ", "期間限定", "登録はこちら", "お申し込みはこちら", "激安",
    "副業", "稼げる", "高収入", "今だけ", "特別価格", "無料プレゼント", "최저가", "특가", "지금 바로",
    "무료 상담", "무료상담", "대출 상담", "즉시 대출", "당일 대출", "회원가입", "가입 즉시",
)
_CJK_AD_WEAK = (
    "免费", "免費", "免费试用", "免費試用", "优惠", "優惠", "促销", "促銷", "折扣", "咨询", "諮詢", "价格", "價格",
    "赠送", "贈送", "兼职", "兼職", "贷款", "貸款", "发票", "發票", "联系人", "聯繫人",
    "無料", "限定", "特典", "割引", "プレゼント", "お得", "무료", "할인", "이벤트", "혜택",
    "신청", "문의", "상담", "대출",
)
_CJK_AD_RE = re.compile("|".join(map(re.escape, sorted(_CJK_AD_STRONG + _CJK_AD_WEAK,
                                                       key=len, reverse=True))))
_CJK_AD_WEAK_SET = frozenset(_CJK_AD_WEAK)


@lru_cache(maxsize=1)
def load_vice_terms() -> tuple[dict[str, list[tuple[str, ...]]], re.Pattern | None,
                               dict[str, list[tuple[str, int]]]]:
    """Read :data:`VICE_FILE`: return its ASCII terms as word sequences by first word
    (longest first), one regex of its terms that start with a character beyond ASCII
    (longest first), and the other terms (an ASCII start, then letters beyond ASCII: xổ số)
    by their first character beyond ASCII, with its offset; all lower-cased. Terms
    found in clean real text (``weak_terms.txt``, by ``bench/tune_lexicons.py``) are left out:
    an offer term that clean text uses (娱乐平台, entertainment platform) is no evidence."""
    by_word: dict[str, list[tuple[str, ...]]] = {}
    other = set()
    weak = _weak_terms()
    for line in (LEXICON_DIR / VICE_FILE).read_text(encoding="utf-8").splitlines():
        term = " ".join(line.strip().lower().split())
        if not term or term.startswith("#") or term in weak:
            continue
        if term.isascii() and all(_WORD_RE.fullmatch(w) for w in term.split()):
            # ASCII words (free spins, online casino): whole words, as a word sequence
            words = tuple(term.split())
            by_word.setdefault(words[0], []).append(words)
        else:
            # a term of a script without spaces (オンカジ, 彩金), with punctuation ((광고),
            # 【广告】) or with letters beyond ASCII (xổ số, casinò online, glued to the next
            # word in SEO spam: "miền bắcxổ số"): a substring, searched in non-ASCII text
            # only. An ASCII start is written as a look-behind, so that the pattern starts at
            # the first non-ASCII character: English text is scanned at its rare non-ASCII
            # characters only, not at every letter
            other.add(term)
    for seqs in by_word.values():
        seqs.sort(key=len, reverse=True)
    plain = sorted((t for t in other if not t[0].isascii() or not t[0].isalnum()),
                   key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, plain))) if plain else None
    # a term with an ASCII start and letters beyond ASCII later (xổ số, casinò online), by the
    # first of those: its look-up character, and its offset in the term
    anchored: dict[str, list[tuple[str, int]]] = {}
    for term in sorted(other - set(plain), key=len, reverse=True):
        cut = next(i for i, c in enumerate(term) if not c.isascii())
        anchored.setdefault(term[cut], []).append((term, cut))
    return by_word, pattern, anchored


@lru_cache(maxsize=1)
def _vice_anchor_re() -> re.Pattern:
    """One character class of the look-up characters of :func:`load_vice_terms`."""
    return re.compile("[" + "".join(map(re.escape, sorted(load_vice_terms()[2]))) + "]")


@lru_cache(maxsize=1)
def _vice_first_words() -> frozenset[str]:
    """The first words of the vice list's word-sequence terms."""
    return frozenset(load_vice_terms()[0])


def vice_hits(low: str, words: list[str]) -> list[str]:
    """The offer terms of :data:`VICE_FILE` in ``low`` (a lower-cased record) given its
    Unicode words: ASCII terms as whole words (at most one per word position, longest
    first), other terms as substrings (non-overlapping, longest first)."""
    by_word, pattern, anchored = load_vice_terms()
    found = []
    for w in _vice_first_words().intersection(words):
        for i in _occurrences(words, w):
            for seq in by_word[w]:
                if tuple(words[i:i + len(seq)]) == seq:
                    found.append(" ".join(seq))
                    break
    if not low.isascii():
        if pattern is not None:
            found += pattern.findall(low)
        # the look-up characters (ổ, ò, ç ...) are rare in English text: one search of their
        # class, then each term that has it there is tried where it would start
        end = 0
        for m in _vice_anchor_re().finditer(low):
            i = m.start()
            for term, cut in anchored[low[i]]:
                if i - cut >= end and low.startswith(term, i - cut):
                    found.append(term)
                    end = i - cut + len(term)
                    break
    if ":" in low[:20] and _AD_LABEL_RE.match(low):
        found.append("adv:")
    return found


#: the label that laws ask advertising mail to carry in its subject: "ADV:" (several US
#: states, and the CAN-SPAM debate of 2003), at the start of a record
_AD_LABEL_RE = re.compile(r"\W{0,3}(?:adv|advert|advertisement)\s*:")


def cjk_ad_cues(low: str) -> float:
    """The ad cues of ``low`` (a lower-cased record that is not all ASCII) in Chinese,
    Japanese and Korean: 1 per strong cue, and 1/2 per weak cue where a strong one is present
    (news about a public consultation, 公眾諮詢, is no ad); non-overlapping, longest first."""
    found = _CJK_AD_RE.findall(low)
    weak = sum(m in _CJK_AD_WEAK_SET for m in found)
    strong = len(found) - weak
    return strong + weak / 2 if strong else 0.0


# a word of letters with a Latin and a Cyrillic or Greek letter in it
_MIXED_WORD_RE = re.compile(r"[^\W\d_]*(?:[a-zA-Z][^\W\d_]*[\u0400-\u04ff]"
                            r"|[\u0400-\u04ff][^\W\d_]*[a-zA-Z])[^\W\d_]*")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
#: words mixing scripts from which ``homoglyphs`` is 1 (with a fifth of the words at least)
HOMOGLYPH_WORDS = 3


def homoglyph_words(text: str) -> int:
    """Number of words of ``text`` that mix Latin and Cyrillic letters (0 at once for ASCII
    text or text without Cyrillic)."""
    if text.isascii() or _CYRILLIC_RE.search(text) is None:
        return 0
    return len(_MIXED_WORD_RE.findall(text))


def spam_signals(text: str) -> dict[str, float]:
    """Return each spam signal of ``text`` (one record) as a value in [0, 1].

    Keys: ``stuffing``, ``lexicon``, ``seo``, ``contact``, ``ad_cues``, ``vice``,
    ``cjk_ad_cues``, ``homoglyphs`` (see the module docstring).
    """
    n = max(len(text), 1)
    stuffing = 0.0
    if not SENTENCE_END_RE.search(text):  # prose ends sentences: no need to split it
        # Chinese and Japanese write no spaces between words, so a space separates keywords
        # there; in Korean and space-delimited text it separates words.
        han_kana = count_han_kana(text)
        unspaced = han_kana * 2 >= len(text.replace(" ", ""))
        splitter = _SEGMENT_SPLIT_CJK if unspaced else _SEGMENT_SPLIT
        segments = [s for s in (p.strip() for p in splitter.split(text)) if s]
        if len(segments) >= 4 and \
                sum(len(s) <= MAX_KEYWORD_CHARS for s in segments) >= 0.8 * len(segments):
            stuffing = 1.0
    low = text.lower()
    words = _words(low)
    looked_up = _lookup_words().intersection(words)  # one pass: the lexicon and the ad cues
    strong, weak, _ = _lexicon_hits(text, words, low, looked_up)
    per_200 = 1 + n / 200
    lexicon = min(1.0, strong / per_200 + min(WEAK_CAP, weak / 5 / per_200))
    # the regexes run only where a cheap test says they can match
    seo = 0.0
    if _seo_possible(low):
        seo = min(1.0, len(_SEO_RE.findall(text)) / 2)
    per_100 = 1 + n / 100
    contact = 0.0
    www = "www" in low
    if "@" in text or "http" in low or (www and "www." in low) or _seven_digits(text):
        contact = min(1.0, len(_contacts(text)) / per_100)
    ad_cues = min(1.0, _ad_cues(words, text, low, www, looked_up) / per_100)
    vice = len(vice_hits(low, words))
    vice = min(1.0, vice / (1 + n / VICE_CHARS)) if vice else 0.0
    cjk_ad = 0.0
    if not low.isascii():
        cjk_ad = min(1.0, cjk_ad_cues(low) / per_100)
    homoglyphs = 0.0
    if not low.isascii():
        mixed = homoglyph_words(text)
        if mixed >= HOMOGLYPH_WORDS and mixed * 5 >= len(words):
            homoglyphs = 1.0
    # round(0.0, 4) is 0.0: most signals are 0, and round() is not free
    return {"stuffing": stuffing, "lexicon": round(lexicon, 4) if lexicon else 0.0, "seo": seo,
            "contact": round(contact, 4) if contact else 0.0,
            "ad_cues": round(ad_cues, 4) if ad_cues else 0.0,
            "vice": round(vice, 4) if vice else 0.0,
            "cjk_ad_cues": round(cjk_ad, 4) if cjk_ad else 0.0, "homoglyphs": homoglyphs}


def spam_score(signals: dict[str, float]) -> float:
    """Combine signals into a score in [0, 1]: weighted sum (weights :data:`WEIGHTS`), clipped."""
    return min(1.0, sum(WEIGHTS[k] * v for k, v in signals.items()))


#: share of a document's characters in spam lines from which the whole document is spam
SPAM_DOCUMENT_SHARE = 0.5


class SpamFilter:
    """Stage ``spam``: drop records whose spam score is at least ``Config.spam_threshold``.

    A page's document is scored line by line first: its spam lines (an injected keyword title,
    a casino link line) are removed from it and kept in ``Record.removed``; a document whose
    spam lines hold at least :data:`SPAM_DOCUMENT_SHARE` of its characters is spam as a whole.
    Then the document is scored as any record."""

    name = "spam"

    def __init__(self, config: Config):
        self.threshold = config.spam_threshold

    def changes(self, record: Record) -> bool:
        """Whether this stage may change ``record``: a page's document only."""
        return record.is_document

    def _drop(self, signals: dict[str, float], score: float, extra: str = "") -> Drop:
        shown = ", ".join(f"{k}={v:.2f}" for k, v in signals.items() if v)
        return Drop(self.name, "spam",
                    f"spam_score={score:.2f} >= {self.threshold:.2f} ({shown}){extra}")

    def apply(self, record: Record) -> Record | Drop:
        """Return ``record``, or a :class:`Drop` (reason ``spam``) with the score and signals."""
        if record.is_document and "\n" in record.text:
            lines = record.text.split("\n")
            drops, spam_chars, worst = {}, 0, None
            for i, line in enumerate(lines):
                signals = spam_signals(line)
                score = spam_score(signals)
                if score >= self.threshold:
                    drops[i] = (self.name, "spam", self._drop(signals, score).detail)
                    spam_chars += len(line)
                    if worst is None or score > worst[1]:
                        worst = (signals, score)
            if drops and spam_chars >= SPAM_DOCUMENT_SHARE * sum(map(len, lines)):
                return self._drop(*worst, f"; {len(drops)} of {len(lines)} lines spam, "
                                          f"{spam_chars} of {sum(map(len, lines))} characters")
            if drops:
                record.remove_lines(drops)
        signals = spam_signals(record.text)
        score = spam_score(signals)
        if score < self.threshold:
            return record
        return self._drop(signals, score)
