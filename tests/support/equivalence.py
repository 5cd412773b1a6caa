"""Inputs for the equivalence tests of rewritten (faster) functions against their reference
implementations: real texts (every text of the labelled fixtures and every seed line) and a
hypothesis strategy for strings that mix the scripts and characters the fast paths treat
specially (CJK, Latin accents, emoji, control characters, punctuation, joiners)."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import strategies as st

from support.fixtures_util import load_jsonl, seed_lines, seed_prefixes
from support.paths import FIXTURES

_FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.jsonl"))


@lru_cache(maxsize=1)
def real_texts() -> tuple[str, ...]:
    """Every text of tests/fixtures/*.jsonl (``text``, and ``a``/``b`` of the near pairs) and
    every non-blank seed line, and each seed file's records joined as one text."""
    out: list[str] = []
    for name in _FIXTURE_NAMES:
        for row in load_jsonl(name):
            for value in (row.get("text"), (row.get("a") or {}).get("text"),
                          (row.get("b") or {}).get("text")):
                if isinstance(value, str):
                    out.append(value)
    for prefix in seed_prefixes():
        lines = [text for _, text in seed_lines(prefix)]
        out += [t for t in lines if t.strip()]
        out.append("\n".join(lines))
    return tuple(dict.fromkeys(out))


# characters the fast paths treat specially, alone or in runs
_SPECIAL = (
    "abcXYZ019 _-'’.,;:!?&$£+@/|()\t\n\r\x0b\x0c\x1c\x85\u2028\u3000\xa0"
    "éèàçñüößøåÆŒĳﬁﬀ"                                 # Latin accents, ligatures
    "中文字詞語漢汉國国體体學学說说這这個个們们會会"            # Han, Traditional and Simplified
    "々〆〇〻㐀䶿鿿豈鶴\ufa6e\ufaff"                    # Han edges, Compatibility Ideographs
    "あいうゝゞアイウヽヾｦｱﾝﾞﾟ゛゜ㇰ"                   # Kana, half-width Kana
    "한국어가힣각ㄱㅏ"                              # Hangul syllables, Jamo
    "，。、；：！？「」『』（）【】《》〈〉ー・…—“”‘’"       # CJK and typographic punctuation
    "０１２ＡＢＣａｂｃ！＂＃＆～￥"                       # full-width forms
    "²³½⅓Ⅻ①٣७᠐"                                     # numbers that are not ASCII digits
    "\x00\x01\x07\x1b\x7f\x80\x81\x9b\x9f\u200b\u200d\ufeff\ufffd"  # controls, format chars
    "ÃÂâ€™©¨"                                        # pieces of mojibake
)
#: multi-character pieces: mojibake, HTML entities, line ends, words of the rules
_FRAGMENTS = ("Ã©", "â€™", "Ã¨", "Â\xa0", "ï¬\x81", "&amp;", "&lt;", "&#39;", "&#x4e2d;",
              "&eacute;", "\r\n", "don't", "e-mail", "free msg", "call 08001234567",
              "reply STOP", "www.x.com", "£100", "150p/min", "T&C", "u r", "在线观看", "加微信",
              "性能", "相关内容", "http://a.cn", "a@b.com", "2018av", "有限公司")
_ASTRAL = "😀👍🏽🇨🇳𠀀𠀁𪚥𝔘𝟘🀄\U000e0001"

special_chars = st.sampled_from(_SPECIAL + _ASTRAL)
#: strings of the special characters, of any other code point, and of both
texts = st.one_of(
    st.text(special_chars, max_size=80),
    st.text(max_size=40),
    st.lists(st.one_of(st.text(special_chars, min_size=1, max_size=12),
                       st.text(min_size=1, max_size=4), st.sampled_from(_FRAGMENTS),
                       st.sampled_from(real_texts()).map(lambda t: t[:60])),
             max_size=12).map("".join),
)
