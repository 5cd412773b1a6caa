"""Deciding a file's encoding on evidence from the file, not only its first 64 KiB.

Each case is real text (tests/fixtures, sources in its README): English abstracts of the seeds
first, past the 64 KiB sample (ASCII, which decodes alike in every codec), then real Chinese,
Japanese or Korean lines in a legacy codec, or European lines in a Latin code page. A GBK
file whose start was mostly English used to be read as iso8859_10 mojibake, silently.
"""

from __future__ import annotations

import json

import pytest
from support.helpers_io import fixture_jsonl, read_all, seed_lines, write
from support.paths import FIXTURES

from corpus_clean.reading.reader import MIN_CJK_PLAUSIBILITY, decide_encoding, plausible_cjk

ENGLISH = [line for line in seed_lines("003") if line.strip()]  # pure ASCII abstracts


def _lang(lang: str) -> list[str]:
    """The fixture's sentences in ``lang``, less those holding C1 control characters (a
    cp1252 quote decoded as Latin-1 upstream: not text any code page would produce)."""
    return [r["text"] for r in fixture_jsonl("langid_sentences.jsonl") if r["lang"] == lang
            and not any("\x80" <= c <= "\x9f" for c in r["text"])]


def _encodable(lines: list[str], codec: str) -> list[str]:
    out = []
    for line in lines:
        try:
            line.encode(codec)
            out.append(line)
        except UnicodeEncodeError:
            pass
    return out


GBK_LINES = (FIXTURES / "gbk_abstracts.utf8.txt").read_text(encoding="utf-8").splitlines()
BIG5_LINES = _encodable([json.loads(line)["text"] for line in
                         (FIXTURES / "zh_traditional_converted.jsonl").read_text().splitlines()],
                        "big5")
CASES = {
    "gb18030": GBK_LINES,
    "big5": BIG5_LINES,
    "shift_jis": _encodable(_lang("ja"), "shift_jis"),
    "euc_kr": _encodable(_lang("ko"), "euc_kr"),
}


def _english(min_bytes: int = 70 * 1024) -> list[str]:
    lines, size = [], 0
    while size < min_bytes:
        for line in ENGLISH:
            lines.append(line)
            size += len(line) + 1
    return lines


@pytest.mark.parametrize("codec", sorted(CASES))
def test_a_legacy_cjk_file_that_starts_in_english_is_decoded_right(tmp_path, codec):
    cjk = CASES[codec]
    assert len(cjk) >= 3, f"too few real {codec} lines in the fixtures"
    lines = _english() + cjk * 3
    data = "\n".join(lines).encode(codec) + b"\n"
    assert data[:64 * 1024].isascii()
    res = read_all(write(tmp_path, f"{codec}.txt", data))
    assert res.error is None
    assert res.lines == lines  # no mojibake anywhere
    assert res.info.encoding_how in ("legacy CJK (strict decode)", "charset-normalizer")
    assert data.decode(res.info.encoding) == data.decode(codec)


def test_a_few_chinese_lines_inside_the_sample_and_more_further_on(tmp_path):
    """The held-out case: the first 64 KiB mostly English with a little Chinese in it."""
    lines = ENGLISH[:20] + GBK_LINES[:1] + _english() + GBK_LINES * 4
    data = "\n".join(lines).encode("gbk") + b"\n"
    res = read_all(write(tmp_path, "mixed.txt", data))
    assert res.lines == lines
    assert res.info.encoding in ("gb18030", "gbk", "gb2312") or \
        data.decode(res.info.encoding) == data.decode("gb18030")


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
@pytest.mark.parametrize("lang", ["fr", "de"])  # the fixture's es lines are all ASCII
def test_european_text_in_a_latin_code_page_is_never_read_as_cjk(tmp_path, codec, lang):
    european = _encodable(_lang(lang), codec)
    assert len(european) >= 5 and sum(not line.isascii() for line in european) >= 5
    for lines in (european * 40, _english() + european * 3):  # at the start, or further on
        data = "\n".join(lines).encode(codec) + b"\n"
        res = read_all(write(tmp_path, f"{lang}.txt", data))
        assert res.lines == lines, res.info.encoding
        assert res.info.encoding.replace("-", "_") not in ("gb18030", "gbk", "big5",
                                                            "shift_jis", "euc_kr")


def test_plausibility_separates_real_cjk_from_latin_read_as_gbk():
    for codec, lines in CASES.items():
        assert plausible_cjk("\n".join(lines)) >= MIN_CJK_PLAUSIBILITY, codec
    for lang in ("fr", "de"):
        raw = "\n".join(_encodable(_lang(lang), "cp1252")).encode("cp1252")
        assert not raw.isascii()
        for codec in ("gb18030", "big5", "shift_jis", "euc_kr"):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue  # the usual fate of Latin text in a CJK codec
            assert plausible_cjk(text) < MIN_CJK_PLAUSIBILITY, (lang, codec)


def test_how_the_encoding_was_decided_is_in_stats_json(tmp_path):
    from click.testing import CliRunner

    from corpus_clean.cli.command import cli

    dump = tmp_path / "dump"
    dump.mkdir()
    lines = _english() + GBK_LINES * 3
    (dump / "gbk.txt").write_bytes("\n".join(lines).encode("gbk") + b"\n")
    (dump / "ascii.txt").write_text("\n".join(ENGLISH) + "\n")
    for args, expected in (([], None), (["--encoding", "gb18030"], "forced")):
        out = tmp_path / f"out{len(args)}"
        assert CliRunner().invoke(cli, [str(dump), "-o", str(out), "-q", *args]).exit_code == 0
        files = {f["source"]: f for f in json.loads((out / "stats.json").read_text())["files"]}
        assert files["gbk.txt"]["encoding_how"] in (
            [expected] if expected else ["legacy CJK (strict decode)", "charset-normalizer"])
        assert files["gbk.txt"]["encoding"] == "gb18030"
        assert files["ascii.txt"]["encoding_how"] == (expected or "ascii")
        clean = (out / "clean.jsonl").read_text(encoding="utf-8")
        assert GBK_LINES[0][:20] in clean


def test_decide_encoding_keeps_its_old_answers_on_the_seeds_and_fixtures():
    from support.helpers_io import seed_bytes

    for key in ("000", "001", "002", "003", "004"):
        assert decide_encoding(seed_bytes(key)[:65536], key)[0] == "utf-8"
    gbk = (FIXTURES / "gbk_abstracts.txt").read_bytes()
    assert decide_encoding(gbk, "gbk")[0] in ("gb18030", "gbk")


def test_a_single_byte_guess_gives_way_to_a_strict_cjk_decode_and_only_then(monkeypatch):
    """charset-normalizer answered iso8859_10 for the held-out GBK file; the strict decode
    with plausible CJK text overrides such a guess, and does not override it for Latin text."""
    import charset_normalizer

    class Guess:
        encoding = "iso8859_10"

    class Results:
        def best(self):
            return Guess()

    real = charset_normalizer.from_bytes
    monkeypatch.setattr(charset_normalizer, "from_bytes",  # only the open guess is wrong
                        lambda data, **kw: real(data, **kw) if kw else Results())
    gbk = "\n".join(GBK_LINES).encode("gbk")
    assert decide_encoding(gbk, "x") == ("gb18030", "legacy CJK (strict decode)")
    for codec, lines in CASES.items():
        got = decide_encoding("\n".join(lines).encode(codec), "x")
        assert got[1] == "legacy CJK (strict decode)"
        assert "\n".join(lines).encode(codec).decode(got[0]) == "\n".join(lines), codec
    for lang in ("fr", "de"):
        latin = "\n".join(_encodable(_lang(lang), "cp1252")).encode("cp1252")
        assert not latin.isascii()
        assert decide_encoding(latin, "x") == ("iso8859_10", "charset-normalizer"), lang
