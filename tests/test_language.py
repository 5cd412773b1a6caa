"""Stage ``language``: langdetect codes on real sentences, Chinese decided by script."""

from __future__ import annotations

import dataclasses

import pytest
from support.fixtures_util import has_han, load_jsonl, row, seed_abstracts, seed_line

from corpus_clean.config import Config
from corpus_clean.records import Record
from corpus_clean.stages import language
from corpus_clean.stages.language import LanguageTagger, chinese_variant, identify_language

CFG = Config()
SENTENCES = load_jsonl("langid_sentences")
ZH_CLEAN = load_jsonl("zh_clean_abstracts")


@pytest.fixture
def no_langdetect(monkeypatch):
    """Make any call into langdetect fail: the answer must come from the script rule."""

    def boom(seed):
        raise AssertionError("langdetect must not be called for this text")

    monkeypatch.setattr(language, "_factory", boom)


def test_sentence_fixture_covers_nine_languages():
    langs = {r["lang"] for r in SENTENCES}
    assert langs == {"en", "de", "fr", "es", "ru", "ja", "ko", "vi", "ar"}


@pytest.mark.parametrize("r", SENTENCES, ids=lambda r: f"{r['lang']}-L{r['n']}")
def test_langid_sentences(r):
    lang, prob = identify_language(r["text"])
    assert lang == r["lang"]
    assert 0.5 <= prob <= 1.0


@pytest.mark.parametrize("r", ZH_CLEAN, ids=lambda r: f"L{r['n']}")
def test_zh_clean_abstracts_are_zh_cn(r, no_langdetect):
    lang, prob = identify_language(r["text"])
    assert lang == "zh-cn"
    assert 0.5 < prob <= 1.0


@pytest.mark.parametrize("r", load_jsonl("zh_traditional"), ids=lambda r: f"L{r['n']}")
def test_zh_traditional_fixture(r):
    assert identify_language(r["text"])[0] == r["expected"]


def test_seed_heading_is_zh_tw_without_langdetect(no_langdetect):
    text = seed_line("002", 5)
    assert text == "相關內容"
    lang, prob = identify_language(text)
    assert lang == "zh-tw"
    # 關 and 內 are Traditional-only, 相 and 容 shared: (2 + 1) / (2 + 0 + 2)
    assert prob == 0.75
    assert chinese_variant(text) == ("zh-tw", 0.75)


def test_langdetect_alone_calls_the_seed_heading_korean():
    """Why the script rule exists: seeded langdetect answers ``ko`` for 相關內容."""
    detector = language._factory(CFG.lang_seed).create()
    detector.append("相關內容")
    assert detector.get_probabilities()[0].lang == "ko"


def test_simplified_heading_is_zh_cn(no_langdetect):
    assert identify_language("相关内容")[0] == "zh-cn"


@pytest.mark.parametrize("prefix, n", [("004", 13), ("004", 37), ("004", 27), ("004", 1)])
def test_seed_chinese_with_latin_acronyms(prefix, n, no_langdetect):
    text = seed_line(prefix, n)
    assert any("A" <= c <= "Z" for c in text)  # GNN, CPU, GPU, MLP, ...
    lang, prob = identify_language(text)
    assert lang == "zh-cn"
    assert 0.5 < prob <= 1.0


@pytest.mark.parametrize("prefix, n, text", seed_abstracts(),
                         ids=[f"{p}:{n}" for p, n, _ in seed_abstracts()])
def test_seed_abstracts(prefix, n, text):
    assert identify_language(text)[0] == ("zh-cn" if has_han(text) else "en")


@pytest.mark.parametrize("text", ["Hi", "", "   ", "2508.21622", "纠错", "Drucken"])
def test_too_short_is_und(text):
    assert identify_language(text) == ("und", 0.0)


def test_min_letters_boundary_with_cjk_weight():
    # CJK characters count 2 (letter + cjk): 网友印象 has 4 -> 8 = lang_min_letters
    assert CFG.lang_min_letters == 8
    assert identify_language("网友印象")[0] == "zh-cn"
    assert identify_language("网友印象", dataclasses.replace(CFG, lang_min_letters=9)) == \
        ("und", 0.0)
    # 'Sponsoren' has 9 letters
    assert identify_language("Sponsoren", dataclasses.replace(CFG, lang_min_letters=10)) == \
        ("und", 0.0)
    assert identify_language("Sponsoren", dataclasses.replace(CFG, lang_min_letters=9))[0] != "und"


def test_deterministic():
    text = seed_line("003", 1)
    first = identify_language(text)
    assert first[0] == "en"
    assert identify_language(text) == first
    # a fresh detector factory with the same seed gives the same answer
    language._factory.cache_clear()
    assert identify_language(text) == first


def test_deterministic_on_short_ambiguous_text():
    # short fragments are where langdetect's sampling varies; the seed fixes it
    texts = [r["text"] for r in load_jsonl("boilerplate_lines") if r["origin"] == "trafilatura"]
    first = [identify_language(t) for t in texts]
    assert [identify_language(t) for t in texts] == first


def test_lang_prob_in_unit_interval():
    texts = [r["text"] for r in SENTENCES] + [r["text"] for r in ZH_CLEAN]
    texts += [r["text"] for r in load_jsonl("boilerplate_lines")]
    for text in texts:
        lang, prob = identify_language(text)
        assert isinstance(lang, str) and lang
        assert 0.0 <= prob <= 1.0
        assert prob == round(prob, 4)


def test_tagger_sets_fields_and_never_drops():
    tagger = LanguageTagger(CFG)
    assert tagger.name == "language"
    for text, lang in [(seed_line("003", 1), "en"), (row("zh_clean_abstracts", 1)["text"], "zh-cn"),
                       ("相關內容", "zh-tw"), ("Hi", "und")]:
        record = Record(id="t.txt:1", text=text, source="t.txt", line=1)
        out = tagger.apply(record)
        assert out is record
        assert out.text == text
        assert out.lang == lang
        assert out.lang_prob == identify_language(text)[1]


def test_derived_traditional_abstracts_are_zh_tw(no_langdetect):
    """Traditional versions of real abstracts (fixture converted with OpenCC s2twp): decided
    by script, langdetect not called (no_langdetect), all zh-tw with a high probability."""
    rows = load_jsonl("zh_traditional_converted")
    assert len(rows) == 20
    for r in rows:
        lang, prob = identify_language(r["text"])
        assert lang == "zh-tw", (r["n"], r["text"][:40])
        assert prob > 0.9


def test_langdetect_alone_calls_traditional_abstracts_korean():
    """The reason for the script rule: langdetect (seeded) tags most of them ko."""
    from langdetect import DetectorFactory
    from langdetect.detector_factory import PROFILES_DIRECTORY

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    answers = []
    for r in load_jsonl("zh_traditional_converted"):
        detector = factory.create()
        detector.append(r["text"])
        answers.append(detector.detect())
    assert answers.count("ko") >= 10


def test_fast_detector_gives_langdetect_answers_bit_for_bit():
    """The numpy probability update returns langdetect's ranked (language, probability)
    lists exactly, on the sentences of 9 languages and the seed abstracts."""
    from langdetect.lang_detect_exception import LangDetectException

    config = Config()
    texts = [r["text"] for r in SENTENCES] + [t for _, _, t in seed_abstracts()]

    def ranked(detector, text):
        detector.set_max_text_length(config.lang_max_chars)
        detector.n_trial = config.lang_trials
        detector.append(text)
        try:
            return [(g.lang, float(g.prob)) for g in detector.get_probabilities()]
        except LangDetectException:
            return []

    factory = language._factory(config.lang_seed)
    fast = language._fast_detector_class()
    for text in texts:
        assert ranked(fast(factory), text) == ranked(factory.create(), text), text


@pytest.mark.parametrize("backend", ["langdetect", "cld2", "none"])
def test_identify_languages_is_identify_language_of_each(backend):
    """The batch form (script counts of the whole batch at once) gives each text's answer:
    sentences of nine languages, Chinese abstracts (the script rule), Traditional Chinese,
    seed lines and texts too short to tag, in one batch."""
    if backend == "cld2":
        pytest.importorskip("pycld2")
    config = Config(lang_backend=backend)
    texts = [r["text"] for r in SENTENCES + ZH_CLEAN + load_jsonl("zh_traditional")]
    texts += ["", "ok", "中", "Das ist gut.", seed_line("003", 1)]
    got = language.identify_languages(texts, config)
    assert got == [identify_language(t, config) for t in texts]
    if backend != "none":
        assert {lang for lang, _ in got} >= {"en", "de", "ja", "zh-cn", "zh-tw", "und"}


# --- the py3langid backend (issue 20) ------------------------------------------------------

def test_py3langid_backend_on_real_sentences_and_the_seed_abstracts():
    """lingua's test sentences in 9 languages (tests/fixtures, 10 each) and the seed
    abstracts: py3langid behind the script rules gets every sentence's language (langdetect
    gets 88 of 90), and the seeds' Chinese abstracts keep their zh-cn script rule."""
    pytest.importorskip("py3langid")
    fast = Config(lang_backend="py3langid")
    rows = load_jsonl("langid_sentences")
    got = [identify_language(r["text"], fast) for r in rows]
    assert sum(lang == r["lang"] for (lang, _), r in zip(got, rows)) >= 88
    assert all(0.0 < prob <= 1.0 for _, prob in got)
    for _, _, text in seed_abstracts():
        lang, _ = identify_language(text, fast)
        assert lang == ("zh-cn" if has_han(text) else "en"), text[:60]


def test_py3langid_codes_are_the_outputs_codes():
    pytest.importorskip("py3langid")
    fast = Config(lang_backend="py3langid")
    # Norwegian stays langdetect's code; a text of no language is und, not py3langid's zxx
    assert identify_language("Dette er en norsk setning om været i dag, og det regner i "
                             "Bergen som vanlig.", fast)[0] == "no"
    assert language.PY3LANGID_CODES["zxx"] == "und" and language.PY3LANGID_CODES["arz"] == "ar"
    assert identify_language("1234 5678 !!!", fast) == ("und", 0.0)


def test_py3langid_missing_is_one_line_naming_the_extra(monkeypatch):
    import importlib.util

    from corpus_clean.config import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "py3langid" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'corpus-clean\[langid\]'"):
        language.check_backend(Config(lang_backend="py3langid"))
