"""Quality rules (Gopher's repetition rules, adapted to Chinese): degenerate repetition is
dropped, real abstracts in every script are kept."""

from __future__ import annotations

import pytest
from support.fixtures_util import load_jsonl, seed_abstracts

from corpus_clean.records import Drop, Record
from corpus_clean.stages.quality import QualityFilter, _units, repetition_scores


def apply(text):
    return QualityFilter().apply(Record("t.txt:1", text, "t.txt", 1))


def test_failed_summary_is_dropped():
    # a real failed LLM summary from the dw-dengwei AI files, as it appears in dumps
    out = apply("Error Error Error Error Error")
    assert isinstance(out, Drop)
    assert (out.stage, out.reason) == ("quality", "repeated_ngrams")
    assert out.detail.startswith("top_2gram=1.00 > 0.45")


def test_repeated_lines_in_a_record():
    line = load_jsonl("zh_clean_abstracts")[0]["text"]
    other = load_jsonl("zh_clean_abstracts")[1]["text"]
    out = apply("\n".join([line, line, line, other]))
    assert (out.stage, out.reason) == ("quality", "repeated_lines")
    assert out.detail == "dup_lines=0.50 > 0.30"


def test_keyword_repetition_in_chinese_is_caught_with_character_units():
    text = "免费视频在线观看" * 6
    out = apply(text)
    assert isinstance(out, Drop) and out.reason == "repeated_ngrams"


def test_units_of_mixed_chinese_text():
    units, mult = _units("提出了Enrich Decoder和2024年")
    assert units == ["提", "出", "了", "enrich", "decoder", "和", "2024", "年"]
    assert mult == 2
    assert _units("Deep learning, for graphs.") == (["deep", "learning", "for", "graphs"], 1)


def _clean_texts():
    for name in ("zh_clean_abstracts", "zh_traditional_converted", "marker_hard_negatives",
                 "spam_hard_negatives", "langid_sentences"):
        for r in load_jsonl(name):
            yield pytest.param(r["text"], id=f"{name}-L{r['n']}")
    for prefix, n, text in seed_abstracts():
        yield pytest.param(text, id=f"seed{prefix}-{n}")


@pytest.mark.parametrize("text", list(_clean_texts()))
def test_clean_text_in_every_script_is_kept(text):
    out = apply(text)
    assert not isinstance(out, Drop), (out.detail, text[:60])


def test_scores_are_fractions():
    for r in load_jsonl("zh_clean_abstracts")[:10]:
        s = repetition_scores(r["text"])
        assert set(s) == {"dup_lines", "dup_line_chars", "top_2gram", "top_3gram", "top_4gram",
                          "dup_5gram", "dup_6gram", "dup_7gram", "dup_8gram", "dup_9gram",
                          "dup_10gram"}
        assert all(0.0 <= v <= 1.0 for v in s.values())
