"""Tests of corpus_clean.reading.reader on real text: the seed dump and the fixtures.

Encoded, compressed and binary inputs are built in tmp_path from that text.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import random
import struct
import zlib

import pytest

from corpus_clean.errors import FileReadError, InputError
from corpus_clean.reading.reader import (
    FileInfo,
    InputFile,
    list_input_files,
    open_lines,
    repair_text,
)

from support.helpers_io import (
    FIXTURES,
    SEEDS,
    big_seed_bytes,
    fixture_jsonl,
    gzip_prefix_text,
    read_all,
    seed_bytes,
    seed_lines,
    seed_text,
    write,
)

SEED_KEYS = sorted(SEEDS)
# Small read sizes so that multi-byte characters, \r\n pairs and BOM-less UTF-16 code units
# are cut by chunk boundaries (sample >= 4 KiB so encoding detection still has enough text).
SMALL_READS = dict(sample_bytes=4096, chunk_bytes=7)


# --------------------------------------------------------------------------- list_input_files


def _make_tree(root, files):
    for rel in files:
        write(root, rel, seed_bytes("003"))


def test_list_input_files_recursive_sorted_by_posix_path(tmp_path):
    dump = tmp_path / "dump"
    # '-' (0x2d) < '.' (0x2e) < '/' (0x2f): os.walk order and naive per-directory sorting both
    # differ from sorting by the full relative path.
    files = ["b.txt", "a/x.txt", "a.txt", "a-b.txt", "a/b/c.txt", "A.txt", "z/y/x/w.gz"]
    _make_tree(dump, files)
    found = list_input_files(dump)
    assert [f.source for f in found] == sorted(files)
    assert [f.source for f in found] == [
        "A.txt", "a-b.txt", "a.txt", "a/b/c.txt", "a/x.txt", "b.txt", "z/y/x/w.gz"]
    for f in found:
        assert f.path == dump / f.source
        assert f.path.read_bytes() == seed_bytes("003")


def test_list_input_files_skips_hidden_files_and_dirs(tmp_path):
    dump = tmp_path / "dump"
    _make_tree(dump, [
        "keep.txt", ".hidden.txt", ".git/config.txt", "sub/.cache/x.txt",
        "sub/.cache/deeper/y.txt", "sub/keep2.txt", "sub/.DS_Store",
    ])
    assert [f.source for f in list_input_files(dump)] == ["keep.txt", "sub/keep2.txt"]


def test_list_input_files_single_file(tmp_path):
    path = write(tmp_path / "d", "one.txt", seed_bytes("000"))
    found = list_input_files(path)
    assert len(found) == 1
    assert found[0].path == path
    assert found[0].source == "one.txt"


def test_list_input_files_nonexistent_raises_input_error(tmp_path):
    missing = tmp_path / "no_such_dump"
    with pytest.raises(InputError, match="no_such_dump"):
        list_input_files(missing)


def test_list_input_files_empty_dir(tmp_path):
    (tmp_path / "empty").mkdir()
    assert list_input_files(tmp_path / "empty") == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs os.symlink")
def test_list_input_files_symlink_loop_does_not_hang(tmp_path):
    dump = tmp_path / "dump"
    _make_tree(dump, ["top.txt", "a/inner.txt"])
    try:
        os.symlink(dump, dump / "a" / "loop", target_is_directory=True)  # a/loop -> dump
        os.symlink(dump / "a", dump / "a" / "self", target_is_directory=True)  # a/self -> a
    except (OSError, NotImplementedError) as exc:  # pragma: no cover - e.g. Windows w/o rights
        pytest.skip(f"cannot create symlinks: {exc}")
    assert [f.source for f in list_input_files(dump)] == ["a/inner.txt", "top.txt"]


# --------------------------------------------------------------------------- open_lines: UTF-8


@pytest.mark.parametrize("key", SEED_KEYS)
def test_open_lines_plain_utf8_seed(tmp_path, key):
    res = read_all(write(tmp_path, SEEDS[key].name, seed_bytes(key)))
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert res.info.encoding == "utf-8"
    assert res.info.compression is None
    assert res.info.bytes == len(seed_bytes(key))
    assert res.info.lines == len(seed_lines(key))
    assert res.info.replaced_bytes == 0


def test_open_lines_reads_seed_in_place():
    """The real seed files, read where they are (sources as list_input_files gives them)."""
    files = list_input_files(SEEDS["000"].parent)
    assert [f.source for f in files] == [SEEDS[k].name for k in SEED_KEYS]
    for f, key in zip(files, SEED_KEYS):
        info = FileInfo(f.source)
        assert list(open_lines(f, info)) == seed_lines(key)
        assert info.lines == {"000": 20, "001": 20, "002": 27, "003": 11, "004": 40}[key]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_open_lines_utf8_bom_not_in_text(tmp_path, key):
    res = read_all(write(tmp_path, "bom.txt", codecs.BOM_UTF8 + seed_bytes(key)))
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert "\ufeff" not in res.lines[0]
    assert res.info.encoding == "utf-8-sig"


@pytest.mark.parametrize("key", SEED_KEYS)
def test_open_lines_small_chunks_same_lines(tmp_path, key):
    """Multi-byte UTF-8 characters cut by the chunk boundaries are decoded correctly."""
    res = read_all(write(tmp_path, "s.txt", seed_bytes(key)), **SMALL_READS)
    assert res.error is None
    assert res.lines == seed_lines(key)


def test_open_lines_zh_clean_abstracts_unchanged(tmp_path):
    texts = [o["text"] for o in fixture_jsonl("zh_clean_abstracts.jsonl")]
    res = read_all(write(tmp_path, "zh.txt", ("\n".join(texts) + "\n").encode("utf-8")))
    assert res.error is None
    assert res.lines == texts


# ----------------------------------------------------------------------- open_lines: GBK, Big5


def test_open_lines_gbk_fixture_decodes_to_utf8_fixture(tmp_path):
    raw = (FIXTURES / "gbk_abstracts.txt").read_bytes()
    expected = (FIXTURES / "gbk_abstracts.utf8.txt").read_text(encoding="utf-8").splitlines()
    assert len(expected) == 5
    res = read_all(write(tmp_path, "gbk_abstracts.txt", raw))
    assert res.error is None
    assert res.lines == expected
    assert "\u2014" in res.lines[4]  # GBK A1AA is — (U+2014); gb2312 would give ― (U+2015)
    assert "\u2015" not in "".join(res.lines)
    assert codecs.lookup(res.info.encoding).name in ("gbk", "gb18030")
    assert res.info.replaced_bytes == 0
    assert res.info.lines == 5


def test_open_lines_big5_fixture(tmp_path):
    raw = (FIXTURES / "big5_sentences.txt").read_bytes()
    assert len(raw) == 40
    expected = (FIXTURES / "big5_sentences.utf8.txt").read_text(encoding="utf-8").splitlines()
    res = read_all(write(tmp_path, "big5.txt", raw))
    assert res.error is None
    assert res.lines == expected == ["相關內容", "北京阿比特科技有限公司", "☆ 收藏"]
    assert codecs.lookup(res.info.encoding).name in ("big5", "big5hkscs", "cp950")


# ------------------------------------------------------------------------- open_lines: UTF-16


@pytest.mark.parametrize("key", SEED_KEYS)
@pytest.mark.parametrize("codec,bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE),
])
def test_open_lines_utf16_32_with_bom(tmp_path, key, codec, bom):
    res = read_all(write(tmp_path, "u.txt", bom + seed_text(key).encode(codec)))
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert "\ufeff" not in res.lines[0]
    assert res.info.encoding == codec


@pytest.mark.parametrize("key", SEED_KEYS)
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_open_lines_utf16_without_bom(tmp_path, key, codec):
    res = read_all(write(tmp_path, "u.txt", seed_text(key).encode(codec)))
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert res.info.encoding == codec


@pytest.mark.parametrize("key", SEED_KEYS)
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_open_lines_utf16_crlf_small_chunks(tmp_path, key, codec):
    """\\r\\n as UTF-16 code units, cut at odd byte offsets by 7-byte chunks."""
    data = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    data += seed_text(key).replace("\n", "\r\n").encode(codec)
    res = read_all(write(tmp_path, "u.txt", data), **SMALL_READS)
    assert res.error is None
    assert res.lines == seed_lines(key)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_open_lines_utf16_without_bom_chinese_fixture(tmp_path, codec):
    text = (FIXTURES / "gbk_abstracts.utf8.txt").read_text(encoding="utf-8")
    res = read_all(write(tmp_path, "u.txt", text.encode(codec)))
    assert res.error is None, res.error.reason
    assert res.lines == text.splitlines()


# ---------------------------------------------------------------------- open_lines: line ends


@pytest.mark.parametrize("key", SEED_KEYS)
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("reads", [{}, SMALL_READS, dict(sample_bytes=4096, chunk_bytes=1)],
                         ids=["default", "chunk7", "chunk1"])
def test_open_lines_crlf_and_cr_same_as_lf(tmp_path, key, newline, reads):
    data = seed_text(key).replace("\n", newline).encode("utf-8")
    assert data.count(newline.encode()) == seed_text(key).count("\n") > 0
    res = read_all(write(tmp_path, "nl.txt", data), **reads)
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert not any("\r" in line for line in res.lines)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_open_lines_trailing_newline_adds_no_line(tmp_path, newline):
    lines = seed_lines("002")  # has blank lines: they are kept as ""
    data = (newline.join(lines) + newline).encode("utf-8")
    res = read_all(write(tmp_path, "t.txt", data))
    assert res.lines == lines
    assert res.lines.count("") == 13


def test_open_lines_no_trailing_newline_keeps_last_line(tmp_path):
    data = seed_bytes("003")
    assert not data.endswith(b"\n")
    res = read_all(write(tmp_path, "t.txt", data))
    assert res.lines[-1] == seed_lines("003")[-1]
    assert res.lines[-1].startswith("Deep learning constitutes a recent, modern technique")
    assert len(res.lines) == 11


# ---------------------------------------------------------------------- open_lines: compressed


COMPRESSORS = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize("key", SEED_KEYS)
@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("name", ["seed.txt.{ext}", "seed.txt", "noext"])
def test_open_lines_compressed_same_as_plain(tmp_path, key, kind, name):
    ext = {"gzip": "gz", "bzip2": "bz2", "xz": "xz"}[kind]
    compressed = COMPRESSORS[kind](seed_bytes(key))
    path = write(tmp_path, name.format(ext=ext), compressed)
    res = read_all(path)
    assert res.error is None
    assert res.lines == seed_lines(key)
    assert res.info.compression == kind
    assert res.info.bytes == len(compressed)
    assert res.info.encoding == "utf-8"
    assert res.info.lines == len(seed_lines(key))


def test_open_lines_compressed_gbk(tmp_path):
    """Decompression then encoding detection: a gzipped GBK file without a .gz name."""
    raw = (FIXTURES / "gbk_abstracts.txt").read_bytes()
    res = read_all(write(tmp_path, "gbk.dat", gzip.compress(raw, mtime=0)))
    assert res.error is None
    assert res.info.compression == "gzip"
    assert res.lines == (FIXTURES / "gbk_abstracts.utf8.txt").read_text("utf-8").splitlines()


def test_open_lines_gz_suffix_on_plain_file_is_read_as_plain(tmp_path):
    res = read_all(write(tmp_path, "lies.txt.gz", seed_bytes("001")))
    assert res.error is None
    assert res.info.compression is None
    assert res.lines == seed_lines("001")


def _truncated_big_gz():
    data = big_seed_bytes()
    compressed = gzip.compress(data, mtime=0)
    return data, compressed[: len(compressed) // 2]


@pytest.mark.parametrize("reads", [{}, dict(sample_bytes=4096, chunk_bytes=4096)],
                         ids=["default", "4k"])
def test_open_lines_truncated_gz_raises_after_lines(tmp_path, reads):
    data, cut = _truncated_big_gz()
    full_lines = data.decode("utf-8").split("\n")
    prefix = gzip_prefix_text(cut)
    assert len(prefix.encode()) > 64 * 1024  # past the default sample

    res = read_all(write(tmp_path, "big.txt.gz", cut), **reads)
    assert isinstance(res.error, FileReadError)
    assert res.error.reason == "truncated_file"
    assert "big.txt.gz" in str(res.error)
    # Some lines came first, and they are exactly the file's first lines.
    assert len(res.lines) > 10
    assert res.lines == full_lines[: len(res.lines)]
    assert res.info.lines == len(res.lines)
    assert res.info.compression == "gzip"
    # The incomplete line the stream stopped in: the beginning of the next real line.
    partial = res.error.partial_text
    assert partial
    assert full_lines[len(res.lines)].startswith(partial)
    assert partial != full_lines[len(res.lines)]
    assert prefix.startswith("\n".join(res.lines + [partial]))


@pytest.mark.parametrize("reads", [{}, dict(sample_bytes=4096, chunk_bytes=4096), SMALL_READS],
                         ids=["default", "4k", "chunk7"])
def test_open_lines_truncated_gz_yields_all_recoverable_text(tmp_path, reads):
    """No recoverable text is lost: the complete lines, then the incomplete one."""
    _, cut = _truncated_big_gz()
    prefix_lines = gzip_prefix_text(cut).split("\n")
    res = read_all(write(tmp_path, "big.txt.gz", cut), **reads)
    assert res.error is not None and res.error.reason == "truncated_file"
    assert res.lines == prefix_lines[:-1]
    assert res.error.partial_text == prefix_lines[-1]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_open_lines_truncated_small_gz_yields_lines(tmp_path, key):
    """Recoverable text shorter than the 64 KiB sample: still 'truncated_file' after the
    complete lines, and the incomplete line is in partial_text."""
    compressed = gzip.compress(seed_bytes(key), mtime=0)
    cut = compressed[: len(compressed) // 2]
    prefix_lines = gzip_prefix_text(cut).split("\n")
    assert len(prefix_lines) >= 3
    res = read_all(write(tmp_path, "half.gz", cut))
    assert res.error is not None and res.error.reason == "truncated_file"
    assert res.lines == prefix_lines[:-1]
    assert res.error.partial_text == prefix_lines[-1]


def test_open_lines_truncated_xz_yields_recoverable_lines(tmp_path):
    data = big_seed_bytes()
    compressed = lzma.compress(data)
    cut = compressed[: len(compressed) // 2]
    recovered = lzma.LZMADecompressor().decompress(cut)
    prefix_lines = codecs.getincrementaldecoder("utf-8")().decode(recovered).split("\n")
    assert len(prefix_lines) > 10
    res = read_all(write(tmp_path, "big.xz", cut))
    assert res.info.compression == "xz"
    assert res.error is not None and res.error.reason == "truncated_file"
    assert res.lines == prefix_lines[:-1]
    assert res.error.partial_text == prefix_lines[-1]


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_open_lines_concatenated_streams_read_whole(tmp_path, kind):
    """`cat a.gz b.gz > ab.gz` (and the bzip2 / xz equivalents) is one text."""
    first, second = seed_bytes("000") + b"\n", seed_bytes("003")
    data = COMPRESSORS[kind](first) + COMPRESSORS[kind](second)
    res = read_all(write(tmp_path, "ab", data))
    assert res.error is None
    assert res.lines == seed_lines("000") + seed_lines("003")


def test_open_lines_gzip_trailing_nul_padding_ignored(tmp_path):
    data = gzip.compress(seed_bytes("002"), mtime=0) + bytes(512)
    res = read_all(write(tmp_path, "padded.gz", data))
    assert res.error is None
    assert res.lines == seed_lines("002")


@pytest.mark.parametrize("data", [
    b"\x1f\x8b" + seed_bytes("003")[:2000],                      # text right after the magic
    b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8,                 # header start, then garbage
    b"BZh9" + seed_bytes("001")[:2000],
    b"\xfd7zXZ\x00" + seed_bytes("002")[:2000],
], ids=["gzip-text", "gzip-garbage", "bzip2-text", "xz-text"])
def test_open_lines_corrupt_compressed(tmp_path, data):
    res = read_all(write(tmp_path, "bad.gz", data))
    assert res.lines == []
    assert res.error is not None
    assert res.error.reason in ("corrupt_compressed", "truncated_file")


def test_open_lines_gzip_corrupted_in_the_middle(tmp_path):
    data = big_seed_bytes()
    compressed = bytearray(gzip.compress(data, mtime=0))
    mid = len(compressed) // 2
    compressed[mid: mid + 64] = bytes(64)  # zeroed deflate data
    res = read_all(write(tmp_path, "mid.gz", bytes(compressed)), **SMALL_READS)
    assert res.error is not None
    assert res.error.reason in ("corrupt_compressed", "truncated_file")
    full_lines = data.decode("utf-8").split("\n")
    assert len(res.lines) < len(full_lines)


# -------------------------------------------------------------------------- open_lines: binary


def _png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + zlib.compress(seed_bytes("003")[:500])


def _random_with_nuls() -> bytes:
    data = bytearray(random.Random(1234).randbytes(8192))
    data[0] = 0x41  # not a compression / binary magic by accident
    for i in range(1, len(data), 97):
        data[i] = 0
    return bytes(data)


BINARIES = {
    "png": _png,
    "pdf": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + seed_bytes("003"),
    "elf": lambda: b"\x7fELF\x02\x01\x01\x00" + bytes(8) + seed_bytes("000")[:1000],
    "random-nul": _random_with_nuls,
    "utf8-text-with-nuls": lambda: seed_bytes("003").replace(b". ", b".\x00 "),
}


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_open_lines_binary_file(tmp_path, kind):
    data = BINARIES[kind]()
    assert b"\x00" in data or kind in ("pdf",)
    res = read_all(write(tmp_path, f"file.{kind}.txt", data))
    assert res.lines == []
    assert res.error is not None
    assert res.error.reason == "binary_file"
    assert f"file.{kind}.txt" in str(res.error)
    assert res.info.bytes == len(data)


@pytest.mark.parametrize("kind", ["png", "random-nul"])
def test_open_lines_gzipped_binary_file(tmp_path, kind):
    res = read_all(write(tmp_path, "b.gz", gzip.compress(BINARIES[kind](), mtime=0)))
    assert res.lines == []
    assert res.error is not None and res.error.reason == "binary_file"
    assert res.info.compression == "gzip"


def test_open_lines_binary_error_is_raised_before_first_line(tmp_path):
    path = write(tmp_path, "x.pdf", BINARIES["pdf"]())
    gen = open_lines(InputFile(path, "x.pdf"), FileInfo("x.pdf"))
    with pytest.raises(FileReadError) as exc_info:
        next(gen)
    assert exc_info.value.reason == "binary_file"
    assert exc_info.value.partial_text == ""


# --------------------------------------------------------------------------- open_lines: misc


@pytest.mark.parametrize("data", [b"", gzip.compress(b"", mtime=0)], ids=["plain", "gzip"])
def test_open_lines_empty_file(tmp_path, data):
    res = read_all(write(tmp_path, "empty.txt", data))
    assert res.error is None
    assert res.lines == []
    assert res.info.lines == 0
    assert res.info.bytes == len(data)


def test_open_lines_unreadable_path(tmp_path):
    res = read_all(tmp_path / "gone.txt")
    assert res.error is not None and res.error.reason == "unreadable"
    assert res.lines == []


def _insert_bad_bytes(data: bytes, positions: list[int], bad: bytes) -> bytes:
    out = bytearray(data)
    for pos in sorted(positions, reverse=True):
        out[pos:pos] = bad
    return bytes(out)


def test_open_lines_invalid_utf8_after_sample_replaced_and_counted(tmp_path):
    """Bad bytes after the detection sample: U+FFFD, counted in replaced_bytes."""
    text = seed_text("003")  # English, ASCII apart from a few characters
    raw = text.encode("utf-8")
    line0 = text.split("\n")[0]
    positions = [2000 + raw[2000:].index(b" the "), 9000 + raw[9000:].index(b" and ")]
    data = _insert_bad_bytes(raw, positions, b"\xff")
    data = _insert_bad_bytes(data, [data.rindex(b" of ")], b"\x80\x80")
    res = read_all(write(tmp_path, "bad.txt", data), sample_bytes=1024, chunk_bytes=4096)
    assert res.error is None
    assert res.info.encoding == "utf-8"
    assert res.info.replaced_bytes == 4
    expected = data.decode("utf-8", errors="replace").split("\n")
    assert res.lines == expected
    assert sum(line.count("\ufffd") for line in res.lines) == 4
    assert [line.replace("\ufffd", "") for line in res.lines] == seed_lines("003")
    assert res.lines[0] == line0


@pytest.mark.parametrize("key", SEED_KEYS)
def test_open_lines_invalid_utf8_in_sample_replaced_and_counted(tmp_path, key):
    raw = seed_bytes(key)
    pos = raw.index(b"\n")  # end of the first line: between two whole characters
    data = raw[:pos] + b"\xff" + raw[pos:]
    res = read_all(write(tmp_path, "bad.txt", data))
    assert res.error is None, res.error.reason
    assert res.info.encoding == "utf-8"
    assert res.info.replaced_bytes == 1
    expected = seed_lines(key)
    expected[0] += "\ufffd"
    assert res.lines == expected


def test_open_lines_replaced_bytes_per_file_when_interleaved(tmp_path):
    raw = seed_bytes("003")
    bad = _insert_bad_bytes(raw, [raw.index(b"\n"), raw.rindex(b"\n")], b"\xff")
    path_a = write(tmp_path, "a.txt", bad)
    path_b = write(tmp_path, "b.txt", seed_bytes("002"))
    info_a, info_b = FileInfo("a.txt"), FileInfo("b.txt")
    gen_a = open_lines(InputFile(path_a, "a.txt"), info_a, sample_bytes=1024, chunk_bytes=1024)
    first = next(gen_a)
    assert list(open_lines(InputFile(path_b, "b.txt"), info_b)) == seed_lines("002")
    rest = list(gen_a)
    assert len([first] + rest) == 11
    assert info_b.replaced_bytes == 0
    assert info_a.replaced_bytes == 2


# --------------------------------------------------------------------------------- repair_text


def test_repair_text_keeps_clean_chinese_abstracts():
    texts = [o["text"] for o in fixture_jsonl("zh_clean_abstracts.jsonl")]
    assert len(texts) == 40
    joined = "".join(texts)
    for ch in "，：（）！？“”":  # what ftfy's defaults would rewrite
        assert ch in joined, ch
    for text in texts:
        assert repair_text(text) == text


def test_repair_text_keeps_seed_and_fixture_lines():
    for key in SEED_KEYS:
        for line in seed_lines(key):
            assert repair_text(line) == line
    for name in ("gbk_abstracts.utf8.txt", "big5_sentences.utf8.txt"):
        for line in (FIXTURES / name).read_text("utf-8").splitlines():
            assert repair_text(line) == line
    for o in fixture_jsonl("spam_hard_negatives.jsonl") + fixture_jsonl("near_pairs.jsonl"):
        for value in o.values():
            if isinstance(value, str):
                assert repair_text(value) == value


def _real_texts_with_accents_and_quotes():
    """A French langid sentence (accents and ’ after ftfy repairs its cp1252 C1 quote) and
    Chinese abstracts with “” and full-width punctuation."""
    fr = [o["text"] for o in fixture_jsonl("langid_sentences.jsonl") if o["lang"] == "fr"]
    fr = [repair_text(t) for t in fr if "\x92" in t]
    zh = [o["text"] for o in fixture_jsonl("zh_clean_abstracts.jsonl") if "“" in o["text"]]
    assert fr and zh
    return fr[:2] + zh[:5]


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_repair_text_fixes_mojibake(codec):
    repaired = 0
    for original in _real_texts_with_accents_and_quotes():
        assert not original.isascii()
        try:
            mojibake = original.encode("utf-8").decode(codec)
        except UnicodeDecodeError:
            continue  # cp1252 has no character for bytes 81 8D 8F 90 9D
        assert mojibake != original
        assert repair_text(mojibake) == original
        repaired += 1
    assert repaired >= 2


def test_repair_text_mojibake_through_open_lines(tmp_path):
    """A file saved after a UTF-8 -> cp1252 mix-up is repaired line by line."""
    originals = [t for t in _real_texts_with_accents_and_quotes()
                 if _cp1252_roundtrips(t)]
    assert originals
    mojibake = "\n".join(t.encode("utf-8").decode("cp1252") for t in originals)
    res = read_all(write(tmp_path, "m.txt", mojibake.encode("utf-8")))
    assert res.error is None
    assert res.lines == originals


def _cp1252_roundtrips(text: str) -> bool:
    try:
        text.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True



def test_a_cut_search_leaves_the_buffer_resizable_when_its_frame_lives_on():
    """Dask's sampling profiler can hold a frame of ``_find_cut`` after the call returned (a
    ``BufferError`` in ``read_blocks`` on a worker, seen once in the suite): the frame must not
    keep the buffer exported, so that ``read_blocks`` can cut and extend it."""
    import sys

    from corpus_clean.reading import reader

    frames = []

    def keep(frame, event, arg):
        if frame.f_code is reader._find_cut.__code__:
            frames.append(frame)

    lines = (b"Neural networks have achieved impressive results on many tasks.\n"
             b"translated by \xe8\xb0\xb7\xe6\xad\x8c\xe7\xbf\xbb\xe8\xaf\x91\n") * 20
    for start, starts_record in ((10, lambda a, b: True), (10, lambda a, b: False)):
        buf = bytearray(lines)
        sys.setprofile(keep)
        try:
            cut, _ = reader._find_cut(buf, start, "utf-8", starts_record)
        finally:
            sys.setprofile(None)
        assert frames
        assert (cut is not None) == starts_record(None, None)
        buf += b"more bytes\n"
        del buf[:cut or 1]
