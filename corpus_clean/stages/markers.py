"""Strip machine-translation marker lines and keep the engine they name as provenance.

Sites that republish machine translations add a line such as ``translated by 谷歌翻译`` after
each record. Such a line is not content: it is removed, and the record keeps the engine as
written (``translated_by``) and a canonical id (``mt_engine``).

A line is a marker only as a whole line, short (at most :data:`MAX_MARKER_CHARS` characters)
and of one of the catalogued forms below; a sentence that talks about translation inside an
abstract is content and is never touched. The catalogue was written from the forms in the seed
dump, the dumps of ``shared/tools/make_dump.py`` and forms seen on Chinese republishing sites:

* ``translated by X`` and kin: ``machine translated by X``, ``translation by X``,
  ``(translated by X)``, ``Abstract (translated by Google)``, ``Translated with
  www.DeepL.com/Translator (free version)``, ``Translated with Google Translate``;
* Chinese: ``X翻译``, ``由X翻译``, ``本文由X翻译``, ``X翻译提供``, ``机器翻译由X提供，仅供参考``,
  ``机器翻译``, ``以下为机器翻译``, ``【机翻】``, ``警告：本文由机器翻译生成…``, and the
  traditional forms (翻譯, 機器翻譯);
* any case, spacing, full-width letters and brackets (matched after NFKC and case folding).

X is one of the engines of :data:`ENGINES`; ``translated by`` followed by anything else (a
person's name) is not a marker. An engine name alone on a line (``DeepL``, ``谷歌``) is a
marker only where it recurs after record after record in a file (:class:`MarkerMatcher`).
"""

from __future__ import annotations

import re
import unicodedata

from ..records import Drop, Record
from ..unicode_scripts import count_han_kana

REASONS = ("marker_only",)

__all__ = ["REASONS", "ENGINES", "MAX_MARKER_CHARS", "match_marker", "is_marker_line",
           "bare_engine", "MarkerMatcher", "MarkerStripper"]

MAX_MARKER_CHARS = 120

#: Canonical engine id -> names and spellings (lower case, after NFKC), longest matched first.
ENGINES: dict[str, tuple[str, ...]] = {
    "google": ("google translate", "google translator", "translate.google.com", "google",
               "谷歌翻译", "谷歌翻譯", "谷歌", "google翻译", "google翻譯"),
    "baidu": ("baidu translate", "fanyi.baidu.com", "baidu", "百度翻译", "百度翻譯", "百度"),
    "youdao": ("youdao translate", "youdao", "网易有道", "有道翻译", "有道翻譯", "有道"),
    "deepl": ("www.deepl.com/translator", "deepl.com/translator", "deepl.com",
              "deepl translator", "deepl translate", "deepl"),
    "bing": ("microsoft translator", "bing translator", "bing translate", "bing",
             "必应翻译", "必應翻譯", "必应", "必應", "微软翻译", "微軟翻譯", "微软", "微軟"),
    "tencent": ("tencent translate", "tencent", "腾讯翻译君", "騰訊翻譯君", "腾讯翻译",
                "騰訊翻譯", "腾讯", "騰訊"),
    "sogou": ("sogou translate", "sogou", "搜狗翻译", "搜狗翻譯", "搜狗"),
    "yandex": ("yandex translate", "yandex"),
    "papago": ("naver papago", "papago"),
    "caiyun": ("彩云小译", "彩雲小譯", "caiyun"),
}
_ALIAS = {alias: canon for canon, names in ENGINES.items() for alias in names}
_ENGINE_RE = "|".join(re.escape(a) for a in sorted(_ALIAS, key=len, reverse=True))

_TRANS = "(?:翻译|翻譯)"
_MACHINE = "(?:机器|機器)"
_OPEN = r"[\s(\[{【〔<《*#\-—–_]*"
_CLOSE = r"[\s)\]}】〕>》*#\-—–_.。!！:：,，]*"

# Forms with an engine. Matched on the NFKC-normalised, case-folded line.
_ENGINE_FORMS = [
    # translated by X / machine translated by X / translation by X / abstract (translated by X)
    rf"^(?:abstract|摘要)?{_OPEN}(?:machine[\s-]*)?(?:translated|translation|translate)\s*"
    rf"(?:by|with|using|via|from)\s*(?:the\s+)?(?P<e>{_ENGINE_RE})(?:\s*\(free version\))?{_CLOSE}$",
    # 由X翻译 / 本文由X翻译 / X翻译 / X 翻译提供 / 使用X翻译 / X机器翻译
    rf"^{_OPEN}(?:本文|以下|全文|此文|摘要|内容|内容由|本文内容)?(?:由|经|經|使用|通过|通過|采用|採用)?"
    rf"\s*(?P<e>{_ENGINE_RE})\s*{_MACHINE}?\s*{_TRANS}?\s*(?:君)?\s*(?:提供|生成|所译|所譯)?{_CLOSE}$",
    # 机器翻译由X提供，仅供参考
    rf"^{_OPEN}{_MACHINE}{_TRANS}(?:由|來自|来自)\s*(?P<e>{_ENGINE_RE})\s*{_TRANS}?\s*(?:提供)?"
    rf"(?:[,，]?\s*(?:仅供参考|僅供參考))?{_CLOSE}$",
]
# Generic forms without an engine: mt_engine "unknown".
_GENERIC_FORMS = [
    rf"^{_OPEN}(?:以下|本文|全文|此文|摘要)?(?:内容|內容)?(?:为|為|由|是|经|經)?{_MACHINE}{_TRANS}"
    rf"(?:生成|结果|結果|版本)?(?:[,，]?\s*(?:仅供参考|僅供參考))?{_CLOSE}$",
    rf"^{_OPEN}(?:机翻|機翻){_CLOSE}$",
    rf"^{_OPEN}(?:警告|注意|提示|说明|說明)\s*[:：]?\s*(?:本文|以下内容|以下內容|本页|本頁)"
    rf"(?:由|为|為|是|經|经){_MACHINE}{_TRANS}.{{0,60}}$",
    rf"^{_OPEN}machine[\s-]*translated(?:\s+text)?{_CLOSE}$",  # not "machine translation": a topic
]
_ENGINE_RES = [re.compile(p) for p in _ENGINE_FORMS]
_GENERIC_RES = [re.compile(p) for p in _GENERIC_FORMS]
_HINT = re.compile(r"transl|翻译|翻譯|机翻|機翻")


def _normalise(line: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", line).casefold().split())


def _as_written(line: str, norm_match: str) -> str:
    """Find the engine as written in the original line (NFKC only, case kept)."""
    nfkc = " ".join(unicodedata.normalize("NFKC", line).split())
    start = nfkc.casefold().find(norm_match)
    if start >= 0 and len(nfkc.casefold()) == len(nfkc):
        return nfkc[start:start + len(norm_match)]
    return norm_match


def match_marker(line: str) -> tuple[str, str] | None:
    """Return ``(engine_as_written, canonical_id)`` if ``line`` is a marker line, else ``None``.

    ``line`` is one line of text (characters; no line end). The canonical id is a key of
    :data:`ENGINES`, or ``"unknown"`` for a generic form such as ``机器翻译``, where the engine as
    written is the marker's text. Pure function.
    """
    if len(line) > MAX_MARKER_CHARS:
        return None
    norm = _normalise(line)
    if not norm or not _HINT.search(norm):  # an engine name alone ("Google") is no marker
        return None
    for rx in _ENGINE_RES:
        m = rx.match(norm)
        if m:
            engine = m.group("e")
            return _as_written(line, engine), _ALIAS[engine]
    for rx in _GENERIC_RES:
        if rx.match(norm):
            return line.strip(), "unknown"
    return None


_BARE_ENGINE_RE = re.compile(rf"^{_OPEN}(?P<e>{_ENGINE_RE}){_CLOSE}$")
#: a bare engine name ("DeepL", "谷歌") alone on a line is a marker only if it recurs this often
#: in a file's first lines: once, it may be content (a one-word record); after record after
#: record, it is the site's provenance line
BARE_ENGINE_MIN_REPEATS = 3


def bare_engine(line: str) -> tuple[str, str] | None:
    """Return ``(engine_as_written, canonical_id)`` if ``line`` is an engine name alone
    (``Google``, ``DeepL``, ``谷歌``, ``【百度】``), else ``None``."""
    if len(line) > 40:
        return None
    m = _BARE_ENGINE_RE.match(_normalise(line))
    return (_as_written(line, m.group("e")), _ALIAS[m.group("e")]) if m else None


class MarkerMatcher:
    """A file's marker test: the catalogued forms (:func:`match_marker`), plus the bare engine
    names that recur at least :data:`BARE_ENGINE_MIN_REPEATS` times in the file's head.

    Calling it with a line returns ``(engine_as_written, canonical_id)`` or ``None``; it is
    truthy for marker lines, so it serves as the splitter's ``is_marker``.
    """

    def __init__(self, bare_lines: frozenset[str] = frozenset()):
        self.bare_lines = bare_lines

    @classmethod
    def from_head(cls, head: list[str]) -> "MarkerMatcher":
        """Build the matcher of a file from its first lines."""
        counts: dict[str, int] = {}
        for line in head:
            text = line.strip()
            if text and len(text) <= 40 and bare_engine(text):
                counts[text] = counts.get(text, 0) + 1
        return cls(frozenset(t for t, n in counts.items() if n >= BARE_ENGINE_MIN_REPEATS))

    def __call__(self, line: str) -> tuple[str, str] | None:
        found = match_marker(line)
        if found is None and self.bare_lines and line.strip() in self.bare_lines:
            return bare_engine(line.strip())
        return found


def is_marker_line(line: str) -> bool:
    """Return whether ``line`` (one line, characters) is a machine-translation marker line."""
    return match_marker(line) is not None


def marker_engine(record: Record) -> str:
    """The engine named by ``record``'s stripped marker lines, for the count of marker lines
    per engine: its ``mt_engine``, or, when the marker was not attributed to the record (an
    original beside its translation), the engine the last marker line names; ``unknown`` for
    a generic form."""
    if record.mt_engine is not None or not record.marker_lines:
        return record.mt_engine or "unknown"
    found = match_marker(record.marker_lines[-1])
    return found[1] if found is not None else "unknown"


def _may_be_its_translation(marker: str, text: str) -> bool:
    """Whether ``text`` may be the output of the translation ``marker`` names: not when the
    marker is written in Han (a translation into Chinese or Japanese) and fewer than a quarter
    of the text's letters are Han or Kana (an English original beside its translation; a
    Chinese summary full of English terms is still Chinese)."""
    if count_han_kana(marker) == 0:
        return True  # an English marker says nothing of the target language
    letters = sum(ch.isalpha() for ch in text[:2000])
    return count_han_kana(text[:2000]) * 4 >= letters


class MarkerStripper:
    """Stage ``markers``: remove whole marker lines from a record; keep the engine.

    ``translated_by`` gets the engine as written on the last marker line of the record, and
    ``mt_engine`` its canonical id, unless the marker is written in Chinese or Japanese
    (谷歌翻译, 由百度翻译) and the record is not (under a quarter of its letters Han or Kana):
    such a marker says the site translated into
    Chinese, and a site that puts it after every record puts it after the English originals
    too (the seed dump's file 000). The marker line is stripped either way. A record made
    only of marker lines (a marker with no record before it) is dropped with reason
    ``marker_only``. ``matcher`` is the file's :class:`MarkerMatcher` (default: the
    catalogued forms only).
    """

    name = "markers"

    def __init__(self, matcher: MarkerMatcher | None = None):
        self.matcher = matcher or MarkerMatcher()

    def apply(self, record: Record) -> Record | Drop:
        """Strip ``record``'s marker lines; return it, or a :class:`Drop` if nothing is left."""
        if "\n" not in record.text and len(record.text) > MAX_MARKER_CHARS:
            return record
        kept = []
        for line in record.text.split("\n"):
            found = self.matcher(line)
            if found is None:
                kept.append(line)
            else:
                record.marker_lines.append(line)
                record.translated_by, record.mt_engine = found
        if not record.marker_lines:
            return record
        record.text = "\n".join(kept).strip("\n")
        if record.translated_by is not None and not _may_be_its_translation(
                record.marker_lines[-1], record.text):
            record.translated_by = record.mt_engine = None
        if not record.text.strip():
            return Drop(self.name, "marker_only",
                        f"only marker lines: {' | '.join(record.marker_lines)[:80]}")
        return record
