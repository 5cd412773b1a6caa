"""Mojibake (issue 16, item 2): what ftfy repairs is repaired on read; what it cannot repair is
rejected as ``quality/garbled``; a file read with the wrong codec is named on stderr.

Every case is made by encoding real text with one codec and decoding it with another: the
Chinese abstracts of ``tests/fixtures/gbk_abstracts.utf8.txt`` and ``zh_clean_abstracts``, and
the news sentences in nine languages of ``langid_sentences`` (hard negatives: Vietnamese,
French, German diacritics are no mojibake).
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from support.fixtures_util import load_jsonl, seed_abstracts
from support.paths import FIXTURES

from corpus_clean.cli.command import cli
from corpus_clean.reading.reader import repair_text
from corpus_clean.records import Drop, Record
from corpus_clean.stages.garbled import GARBLED_SHARE, garbled_share
from corpus_clean.stages.quality import QualityFilter

ZH = [r["text"] for r in load_jsonl("zh_clean_abstracts")]
GBK_UTF8 = (FIXTURES / "gbk_abstracts.utf8.txt").read_text(encoding="utf-8").splitlines()


def quality(text: str):
    return QualityFilter().apply(Record("t.txt:1", text, "t.txt", 1))


def test_gbk_read_as_latin1_is_garbled_and_rejected():
    for text in ZH[:20]:
        for wrong in ("latin-1", "cp1252"):
            garbled = text.encode("gbk").decode(wrong, errors="replace")
            assert garbled_share(repair_text(garbled)) >= GARBLED_SHARE
            out = quality(repair_text(garbled))
            assert isinstance(out, Drop) and (out.stage, out.reason) == ("quality", "garbled")
            assert out.detail.startswith("ftfy_badness_per_char=")


def test_short_chrome_label_mis_decoded_is_garbled():
    # two-word labels of a Chinese site, GBK read as Latin-1 (as left in old crawls)
    for label in ("添加书签", "温馨提示", "下载本书", "上一页 下一页"):
        garbled = label.encode("gbk").decode("latin-1")
        assert garbled_share(garbled) >= GARBLED_SHARE, garbled


def test_utf8_read_as_cp1252_is_repaired_on_read_not_rejected():
    for text in ZH[:20]:
        mojibake = text.encode("utf-8").decode("latin-1")
        repaired = repair_text(mojibake)
        assert repaired == text
        assert garbled_share(repaired) == 0.0
        assert quality(repaired).text == text


def test_real_text_in_many_scripts_is_not_garbled():
    texts = [r["text"] for r in load_jsonl("langid_sentences")] + ZH + GBK_UTF8
    texts += [text for _, _, text in seed_abstracts()]
    for text in texts:
        assert garbled_share(text) < GARBLED_SHARE, text[:60]


def test_a_file_read_with_the_wrong_codec_is_named_on_stderr(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "gbk.txt").write_bytes((FIXTURES / "gbk_abstracts.txt").read_bytes())
    (dump / "good.txt").write_text("\n".join(GBK_UTF8) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [str(dump), "-o", str(out), "-q", "--encoding", "latin-1"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "mojibake" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: gbk.txt: 5 of 5 records look like mojibake")
    assert "latin-1 (forced)" in warnings[0] and "--encoding" in warnings[0]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["drops"]["quality"]["garbled"] == 5
    # decided by the reader, the same file is read right and nothing is garbled
    out2 = tmp_path / "out2"
    result = CliRunner().invoke(cli, [str(dump), "-o", str(out2), "-q"])
    assert result.exit_code == 0 and "mojibake" not in result.stderr
