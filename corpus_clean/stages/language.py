"""Language identification: ``lang`` (ISO 639-1 code) and ``lang_prob`` in [0, 1].

langdetect (a port of Nakatani Shuyo's language-detection, Apache-2.0) gives the answer, seeded
so that it is deterministic, with its codes (``en``, ``zh-cn``, ``zh-tw`` ...). Two things are
decided by Unicode script instead, where the answer is certain and langdetect is measurably
wrong (it tags short Chinese strings such as 相關內容 as Korean, and most Traditional Chinese
abstracts as ``ko``):

* Chinese: a text with Han characters, no Kana and no Hangul, where Han characters are at
  least half of its letters, is Chinese, and langdetect is not called. ``zh-tw`` if it has
  more Traditional-only than Simplified-only characters, else ``zh-cn`` (the character sets
  of the hanzidentifier package, from CC-CEDICT). ``lang_prob`` is the Laplace-smoothed share
  of the winning variant among the distinguishing characters, ``(max + 1) / (trad + simp + 2)``.
* Japanese and Korean need their own scripts: an answer ``ja`` for text without Kana, or
  ``ko`` without Hangul, is replaced by the script decision (``zh-*`` if it has Han, else
  langdetect's next best language).

Text with fewer than ``Config.lang_min_letters`` letters (CJK characters count 2) is ``und``
with ``lang_prob`` 0.0.

langdetect reads only the first 200 characters (``Config.lang_max_chars``): measured by
``bench/bench_language.py`` on 1,000 real English abstracts, the same answer for every one of
them as on the whole text (150 characters: one answer differs). langdetect averages 7 random
trials (``Config.lang_trials``); most text is clear after 3, so 3 are run first
(``lang_quick_trials``) and their answer is taken when it is at least 0.9999 sure
(``lang_quick_accept``), else the full 7 are run. Measured: the same language on 935 of 935
real abstracts and 1,979 of 1,980 test sentences of 33 languages. langdetect itself runs in
:mod:`.langdetect_fast`, which gives its answers bit for bit (language and probability) for
a batch of texts at once, at about a seventh of its cost per abstract; its answers are
remembered per process by prepared text (:data:`_MEMO`). Other backends
(``Config.lang_backend``): ``cld2`` (pycld2: Google's CLD2, the ``fast`` extra) and
``py3langid`` (the ``langid`` extra); the script rules above apply to every backend.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import numpy as np

from ..config import Config, ConfigError
from ..records import Record
from . import langdetect_fast
from ..unicode_scripts import HAN_RE, ScriptCounts, count_scripts, count_scripts_batch

__all__ = ["LanguageTagger", "identify_language", "identify_languages", "chinese_variant"]


@lru_cache(maxsize=1)
def _variant_sets() -> tuple[frozenset[str], frozenset[str]]:
    from hanzidentifier import helpers

    shared = helpers.SHARED_CHARACTERS
    trad_only = frozenset(helpers.TRADITIONAL_CHARACTERS) - frozenset(shared)
    simp_only = frozenset(helpers.SIMPLIFIED_CHARACTERS) - frozenset(shared)
    return trad_only, simp_only


@lru_cache(maxsize=1)
def _variant_marks() -> tuple[np.ndarray, dict[int, int]]:
    """Per code point, 1 for a Traditional-only and 2 for a Simplified-only Han character
    (both bits if a character were in both sets): a table of the Basic Multilingual Plane and
    a dict for the code points above it."""
    table = np.zeros(0x10000, np.uint8)
    astral: dict[int, int] = {}
    for chars, bit in zip(_variant_sets(), (1, 2)):
        for c in chars:
            if len(c) != 1 or not HAN_RE.match(c):
                continue  # chinese_variant counts Han characters only
            if ord(c) < 0x10000:
                table[ord(c)] |= bit
            else:
                astral[ord(c)] = astral.get(ord(c), 0) | bit
    return table, astral


def chinese_variant(text: str) -> tuple[str, float]:
    """Return ``("zh-tw" | "zh-cn", probability in [0, 1])`` for Chinese ``text``, by its
    Traditional-only and Simplified-only characters (ties and none: ``zh-cn``).

    One table look-up per character (numpy), the same counts as testing each Han character
    for membership in the two sets (tested)."""
    table, astral = _variant_marks()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    big = cps > 0xFFFF
    marks = table[np.where(big, 0, cps)]  # U+0000 is in neither set
    if astral and big.any():
        where = np.flatnonzero(big)
        marks[where] = [astral.get(cp, 0) for cp in cps[where].tolist()]
    trad = int(np.count_nonzero(marks & 1))
    simp = int(np.count_nonzero(marks & 2))
    lang = "zh-tw" if trad > simp else "zh-cn"
    return lang, round((max(trad, simp) + 1) / (trad + simp + 2), 4)


#: the answers of :func:`_langdetect_many` by (prepared text, trials, seed), per process: a
#: record whose first ``lang_max_chars`` characters another record had (a template, a near
#: duplicate below the threshold) gets the answer at the cost of a dictionary look-up. The
#: answer is a function of those alone (the detector is seeded), so this changes no output;
#: bounded to :data:`_MEMO_SIZE` entries, then cleared.
_MEMO: dict[tuple[str, int, int], list[tuple[str, float]]] = {}
_MEMO_SIZE = 50_000


def _langdetect_many(texts: list[str], config: Config,
                     trials: int) -> list[list[tuple[str, float]]]:
    """langdetect's ranked answers for ``texts`` with ``trials`` trials
    (:func:`.langdetect_fast.detect_many`, its answers bit for bit), from the memo where it
    has them."""
    seed = config.lang_seed
    keys = [(langdetect_fast.prepare(t, config.lang_max_chars), trials, seed) for t in texts]
    found = [_MEMO.get(key) for key in keys]
    missing = list(dict.fromkeys(key for key, f in zip(keys, found) if f is None))
    if missing:
        answers = dict(zip(missing, langdetect_fast.detect_many(
            [key[0] for key in missing], seed, trials)))
        if len(_MEMO) + len(answers) > _MEMO_SIZE:
            _MEMO.clear()
        _MEMO.update(answers)
        found = [answers[key] if f is None else f for key, f in zip(keys, found)]
    return found


def _langdetect_ranked_many(texts: list[str], config: Config) -> list[list[tuple[str, float]]]:
    """langdetect, first with ``lang_quick_trials`` trials: an answer at least
    ``lang_quick_accept`` sure is taken; any other text gets the full ``lang_trials``."""
    if not 0 < config.lang_quick_trials < config.lang_trials:
        return _langdetect_many(texts, config, config.lang_trials)
    ranked = _langdetect_many(texts, config, config.lang_quick_trials)
    unsure = [k for k, quick in enumerate(ranked)
              if not (quick and round(quick[0][1], 4) >= config.lang_quick_accept)]
    if unsure:
        for k, full in zip(unsure, _langdetect_many([texts[k] for k in unsure], config,
                                                    config.lang_trials)):
            ranked[k] = full
    return ranked


def _cld2_ranked(text: str, config: Config) -> list[tuple[str, float]]:
    try:
        import pycld2
    except ImportError:
        raise ConfigError("lang_backend 'cld2' needs the pycld2 package: "
                          "pip install 'corpus-clean[fast]'") from None
    try:
        reliable, _, found = pycld2.detect(text[: config.lang_max_chars])
    except pycld2.error:
        return []
    ranked = []
    for _, code, percent, _ in found:
        if code == "un" or not percent:
            continue
        code = {"zh": "zh-cn", "zh-Hant": "zh-tw", "nb": "no"}.get(code, code).lower()
        ranked.append((code, percent / 100))
    return ranked


#: py3langid codes -> the codes of the output: varieties and dialects of a language with an
#: ISO 639-1 code are given that code; ``zxx`` (no linguistic content) is ``und``. Codes of
#: languages without an ISO 639-1 code (ace, crh, kab, nso, pcm ...) stay ISO 639-3. ``no``
#: (Norwegian, langdetect's code) and ``nn`` (Nynorsk) stay as they are.
PY3LANGID_CODES = {"ary": "ar", "arz": "ar", "uzs": "uz", "gug": "gn", "wuu": "zh-cn",
                   "yue": "zh-tw", "zh": "zh-cn", "zxx": "und"}
_IDENTIFIER: list = []


def _py3langid_ranked(text: str, config: Config) -> list[tuple[str, float]]:
    """py3langid (Lui and Baldwin 2012, "langid.py: An Off-the-shelf Language Identification
    Tool", ACL demo; py3langid 0.4 by Adrien Barbaresi, BSD-3-Clause, its model in the wheel):
    its three most probable languages, probabilities normalised over its 142 languages."""
    if not _IDENTIFIER:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError:
            raise ConfigError("lang_backend 'py3langid' needs the py3langid package: "
                              "pip install 'corpus-clean[langid]'") from None
        _IDENTIFIER.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    ranked = _IDENTIFIER[0].rank(text[: config.lang_max_chars])[:3]
    return [(PY3LANGID_CODES.get(code, code), float(prob)) for code, prob in ranked
            if PY3LANGID_CODES.get(code, code) != "und"]


def check_backend(config: Config) -> None:
    """Fail early if ``config.lang_backend`` cannot run.

    Raises:
        ConfigError: the backend's package is not installed (pycld2 for ``cld2``).
    """
    if config.lang_backend == "cld2" and importlib.util.find_spec("pycld2") is None:
        raise ConfigError("lang_backend 'cld2' needs the pycld2 package: "
                          "pip install 'corpus-clean[fast]'")
    if config.lang_backend == "py3langid" and importlib.util.find_spec("py3langid") is None:
        raise ConfigError("lang_backend 'py3langid' needs the py3langid package: "
                          "pip install 'corpus-clean[langid]'")


def _each(ranked):
    """A backend of one text at a time as one of a batch."""
    return lambda texts, config: [ranked(text, config) for text in texts]


#: language identification backends: name -> function(texts, config) -> for each text
#: [(code, prob), ...], most probable first; ``none`` skips identification (every record
#: ``und``), for pipelines and benchmarks without it
BACKENDS = {"langdetect": _langdetect_ranked_many, "cld2": _each(_cld2_ranked),
            "py3langid": _each(_py3langid_ranked), "none": lambda texts, config: [[]] * len(texts)}


def identify_language(text: str, config: Config = Config()) -> tuple[str, float]:
    """Return ``(lang, lang_prob)`` for ``text`` (characters); see the module docstring.

    ``lang`` is the backend's code (langdetect's by default) or ``und``; ``lang_prob`` is a
    probability in [0, 1], rounded to 4 decimals so that outputs are stable.

    Raises:
        ConfigError: ``config.lang_backend`` is unknown or its package is not installed.
    """
    if config.lang_backend == "none":
        return "und", 0.0
    lang, prob, _ = _decide(text, count_scripts(text), config)
    return lang, prob


def identify_languages(texts: list[str], config: Config = Config()) -> list[tuple[str, float]]:
    """:func:`identify_language` of each of ``texts``, their script counts taken for the whole
    batch at once (:func:`..scripts.count_scripts_batch`).

    Raises:
        ConfigError: as :func:`identify_language`.
    """
    if config.lang_backend == "none":
        return [("und", 0.0)] * len(texts)
    counts = count_scripts_batch(texts)
    found: list = [_by_script(t, c, config) for t, c in zip(texts, counts)]
    asked = [k for k, f in enumerate(found) if f is None]
    if asked:
        for k, ranked in zip(asked, _ranked_many([texts[k] for k in asked], config)):
            found[k] = _by_backend(texts[k], counts[k], ranked)
    return [(lang, prob) for lang, prob, _ in found]


#: what decided a language (:func:`language_decision`)
RULES = {"few_letters": "fewer letters than lang_min_letters: und",
         "han_script": "script rule: Han characters at least half the letters, no Kana or "
                       "Hangul: Chinese, Simplified or Traditional by character sets",
         "backend": "the backend",
         "backend_han": "the backend said ja, ko or zh of Han text without Kana or Hangul: the "
                        "script rule's Chinese variant",
         "none": "the backend found no language: und",
         "off": "no language identification (lang_backend none): und"}


def language_decision(text: str, config: Config = Config()) -> tuple[str, float, str]:
    """``(lang, lang_prob, rule)``: :func:`identify_language` and what decided it, a key of
    :data:`RULES`.

    Raises:
        ConfigError: as :func:`identify_language`.
    """
    if config.lang_backend == "none":
        return "und", 0.0, "off"
    return _decide(text, count_scripts(text), config)


def _decide(text: str, counts: ScriptCounts, config: Config) -> tuple[str, float, str]:
    found = _by_script(text, counts, config)
    if found is None:
        found = _by_backend(text, counts, _ranked_many([text], config)[0])
    return found


def _by_script(text: str, counts: ScriptCounts,
               config: Config) -> tuple[str, float, str] | None:
    """The decision of the rules that come before the backend, or None: the backend
    decides."""
    if counts.letters + counts.cjk < config.lang_min_letters:
        return "und", 0.0, "few_letters"
    if counts.han and not counts.kana and not counts.hangul and counts.han * 2 >= counts.letters:
        return (*chinese_variant(text), "han_script")
    if config.lang_backend not in BACKENDS:
        raise ConfigError(f"lang_backend={config.lang_backend!r}: must be one of {sorted(BACKENDS)}")
    return None


def _ranked_many(texts: list[str], config: Config) -> list[list[tuple[str, float]]]:
    """The backend's ranked answers for ``texts``."""
    return BACKENDS[config.lang_backend](texts, config)


def _by_backend(text: str, counts: ScriptCounts,
                ranked: list[tuple[str, float]]) -> tuple[str, float, str]:
    """The decision from the backend's ``ranked`` answer, with the script rules that
    overrule it."""
    for lang, prob in ranked:
        if lang == "ja" and not counts.kana:
            if counts.han:
                return (*chinese_variant(text), "backend_han")
            continue
        if lang == "ko" and not counts.hangul:
            if counts.han:
                return (*chinese_variant(text), "backend_han")
            continue
        if lang.startswith("zh") and counts.han:
            return (*chinese_variant(text), "backend_han")
        return lang, round(prob, 4), "backend"
    return "und", 0.0, "none"


class LanguageTagger:
    """Stage ``language``: set ``lang`` and ``lang_prob`` on every record; never drops."""

    name = "language"

    def __init__(self, config: Config):
        self.config = config

    def apply(self, record: Record) -> Record:
        """Return ``record`` with ``lang`` and ``lang_prob`` set."""
        record.lang, record.lang_prob = identify_language(record.text, self.config)
        return record
