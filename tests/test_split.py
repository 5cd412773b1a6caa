"""Tests of corpus_clean.reading.split (layout detection, record boundaries) and of
corpus_clean.engine.pipeline.iter_file_records (read + split of one file), on the real seed dump."""

from __future__ import annotations

import gzip
import textwrap

import pytest

from corpus_clean.config import Config
from corpus_clean.engine.pipeline import iter_file_records
from corpus_clean.reading.reader import FileInfo, InputFile
from corpus_clean.records import Drop, Record
from corpus_clean.reading.split import LAYOUTS, RawRecord, RecordSplitter, detect_layout
from corpus_clean.stages.markers import is_marker_line

from support.helpers_io import (
    MARKER,
    SEEDS,
    big_seed_bytes,
    gzip_prefix_text,
    seed_bytes,
    seed_lines,
    write,
)

SEED_KEYS = sorted(SEEDS)
EXPECTED_LAYOUT = {"000": "marker", "001": "marker", "002": "blank", "003": "line",
                   "004": "marker"}
EXPECTED_RECORDS = {"000": 10, "001": 10, "002": 14, "003": 11, "004": 20}


def split_lines(lines, layout=None):
    layout = layout or detect_layout(lines, is_marker_line)
    return list(RecordSplitter(layout, is_marker_line).split(enumerate(lines, start=1)))


def wrapped_abstracts(width=70):
    """The real English abstracts of seed 003, hard-wrapped at ``width`` characters."""
    abstracts = seed_lines("003")
    assert len(abstracts) == 11 and all(len(a) > 3 * width for a in abstracts)
    wrapped = [textwrap.wrap(a, width, break_on_hyphens=False, break_long_words=False)
               for a in abstracts]
    return abstracts, wrapped


def blank_separated(paragraphs):
    """Lines of a file with the paragraphs' lines, one blank line between paragraphs, and the
    1-based first line number of each paragraph."""
    lines, starts = [], []
    for para in paragraphs:
        if lines:
            lines.append("")
        starts.append(len(lines) + 1)
        lines.extend(para)
    return lines, starts


def items_of(path, source=None, config=Config()):
    source = source or path.name
    info = FileInfo(source)
    return list(iter_file_records(InputFile(path, source), info, config)), info


# ------------------------------------------------------------------------------ detect_layout


def test_seed_markers_are_the_expected_line():
    """Sanity of the is_marker used below: the seed's marker lines are exactly these."""
    for key in SEED_KEYS:
        for line in seed_lines(key):
            assert bool(is_marker_line(line)) == (line == MARKER), line[:60]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_detect_layout_seeds(key):
    assert detect_layout(seed_lines(key), is_marker_line) == EXPECTED_LAYOUT[key]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_detect_layout_seeds_from_an_iterator(key):
    """detect_layout takes any iterable (the pipeline passes its look-ahead list; a generator
    must give the same answer)."""
    assert detect_layout(iter(seed_lines(key)), is_marker_line) == EXPECTED_LAYOUT[key]


def test_detect_layout_wrapped_paragraphs_is_blank():
    _, wrapped = wrapped_abstracts()
    lines, _ = blank_separated(wrapped)
    assert detect_layout(lines, is_marker_line) == "blank"


def test_detect_layout_same_abstracts_unwrapped_is_line():
    """The same text, one abstract per line and no blank lines: not 'blank'."""
    abstracts, _ = wrapped_abstracts()
    assert detect_layout(abstracts, is_marker_line) == "line"


# ---------------------------------------------------------------------------- RecordSplitter


@pytest.mark.parametrize("key", SEED_KEYS)
def test_splitter_record_count_per_seed(key):
    records = split_lines(seed_lines(key))
    assert len(records) == EXPECTED_RECORDS[key]
    assert all(isinstance(r, RawRecord) for r in records)


@pytest.mark.parametrize("key", ["000", "001", "004"])
def test_splitter_marker_seeds(key):
    lines = seed_lines(key)
    records = split_lines(lines)
    assert [r.line for r in records] == list(range(1, len(lines) + 1, 2))
    for r in records:
        assert r.lines == [lines[r.line - 1], MARKER]  # the marker joins the record before it
        assert not is_marker_line(r.lines[0])


def test_splitter_seed_000_exact():
    records = split_lines(seed_lines("000"))
    assert [r.line for r in records] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert all(len(r.lines) == 2 and r.lines[1] == "translated by 谷歌翻译" for r in records)
    assert records[0].lines[0].startswith("深度学习推荐模型(DLRM)是广泛的")
    assert records[-1].lines[0].startswith("We introduce an architecture for processing signals")


def test_splitter_blank_seed_002():
    lines = seed_lines("002")
    records = split_lines(lines)
    assert [r.line for r in records] == list(range(1, 28, 2))
    assert [r.lines for r in records] == [[line] for line in lines if line]
    assert records[2].lines == ["相關內容"]
    assert records[-1].lines == ["北京阿比特科技有限公司"]


def test_splitter_line_seed_003():
    lines = seed_lines("003")
    records = split_lines(lines)
    assert [r.line for r in records] == list(range(1, 12))
    assert [r.lines for r in records] == [[line] for line in lines]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_splitter_keeps_every_non_blank_line_once(key):
    lines = seed_lines(key)
    records = split_lines(lines)
    assert [line for r in records for line in r.lines] == [line for line in lines if line]


@pytest.mark.parametrize("key", SEED_KEYS)
def test_splitter_feed_finish_pending(key):
    """Streaming API: feed returns a record when the next one starts; pending shows the one
    under construction; finish returns the last and resets."""
    lines = seed_lines(key)
    splitter = RecordSplitter(EXPECTED_LAYOUT[key], is_marker_line)
    assert splitter.pending() is None
    done = []
    for lineno, line in enumerate(lines, start=1):
        done += splitter.feed(lineno, line)
    assert len(done) == EXPECTED_RECORDS[key] - 1
    last = splitter.pending()
    assert last is not None and last.lines[0] == [x for x in lines if x and x != MARKER][-1]
    assert splitter.finish() == [last]
    assert splitter.pending() is None
    assert splitter.finish() == []
    assert done + [last] == split_lines(lines)


def test_splitter_wrapped_paragraph_is_one_record():
    abstracts, wrapped = wrapped_abstracts()
    lines, starts = blank_separated(wrapped)
    records = split_lines(lines)
    assert len(records) == 11
    assert [r.line for r in records] == starts
    for record, para, abstract in zip(records, wrapped, abstracts):
        assert len(para) > 3
        assert record.lines == para
        assert " ".join(record.lines).split() == abstract.split()


def test_splitter_wrapped_paragraphs_with_markers():
    """Wrapped paragraphs each followed by a marker line, blank-separated."""
    _, wrapped = wrapped_abstracts()
    lines, starts = blank_separated([para + [MARKER] for para in wrapped])
    assert detect_layout(lines, is_marker_line) == "blank"
    records = split_lines(lines)
    assert [r.line for r in records] == starts
    assert [r.lines for r in records] == [para + [MARKER] for para in wrapped]


def test_splitter_wrapped_paragraph_in_line_layout_is_split_per_line():
    """Only the 'blank' layout joins consecutive content lines."""
    _, wrapped = wrapped_abstracts()
    lines, _ = blank_separated(wrapped)
    records = split_lines(lines, layout="line")
    assert len(records) == sum(len(p) for p in wrapped)
    assert all(len(r.lines) == 1 for r in records)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_splitter_marker_at_start_of_file_is_its_own_record(layout):
    first, second = seed_lines("000")[0], seed_lines("000")[2]
    lines = [MARKER, first, MARKER, second, MARKER]
    records = split_lines(lines, layout=layout)
    assert [(r.line, r.lines) for r in records] == [
        (1, [MARKER]), (2, [first, MARKER]), (4, [second, MARKER])]


def test_splitter_marker_at_start_after_blank_lines():
    first = seed_lines("004")[0]
    lines = ["", "", MARKER, "", first, MARKER]
    records = split_lines(lines)
    assert [(r.line, r.lines) for r in records] == [(3, [MARKER]), (5, [first, MARKER])]


def test_splitter_blank_lines_and_whitespace_lines_never_in_a_record():
    lines = seed_lines("002")
    lines = [line if line else "  \t" for line in lines]  # whitespace-only separators
    records = split_lines(lines, layout="blank")
    assert len(records) == 14
    assert all(line.strip() for r in records for line in r.lines)


def test_splitter_unknown_layout():
    with pytest.raises(ValueError, match="paragraph"):
        RecordSplitter("paragraph", is_marker_line)


# ------------------------------------------------------------------------- iter_file_records


@pytest.mark.parametrize("key", SEED_KEYS)
def test_iter_file_records_seed(tmp_path, key):
    path = write(tmp_path, SEEDS[key].name, seed_bytes(key))
    items, info = items_of(path)
    expected = split_lines(seed_lines(key))
    assert info.layout == EXPECTED_LAYOUT[key]
    assert info.error is None
    assert all(drop is None for _, drop in items)
    assert [(r.line, r.text) for r, _ in items] == [(e.line, "\n".join(e.lines)) for e in expected]
    assert [r.id for r, _ in items] == [f"{path.name}:{e.line}" for e in expected]
    assert all(r.source == path.name for r, _ in items)


def test_iter_file_records_wrapped_gzip_crlf(tmp_path):
    """A gzipped, CRLF, blank-separated file of wrapped abstracts: one record per abstract."""
    _, wrapped = wrapped_abstracts()
    lines, starts = blank_separated(wrapped)
    data = gzip.compress("\r\n".join(lines).encode("utf-8"), mtime=0)
    items, info = items_of(write(tmp_path, "wrapped.txt.gz", data), source="sub/wrapped.txt.gz")
    assert info.layout == "blank" and info.compression == "gzip"
    assert [d for _, d in items] == [None] * 11
    assert [r.line for r, _ in items] == starts
    assert [r.text for r, _ in items] == ["\n".join(p) for p in wrapped]
    assert items[0][0].id == "sub/wrapped.txt.gz:1"


def _truncated(data: bytes) -> bytes:
    compressed = gzip.compress(data, mtime=0)
    return compressed[: len(compressed) // 2]


def _reference_records(tmp_path, data):
    items, _ = items_of(write(tmp_path, "intact.gz", gzip.compress(data, mtime=0)))
    assert all(d is None for _, d in items)
    return [r for r, _ in items]


@pytest.mark.parametrize("data", [big_seed_bytes(), seed_bytes("000"), seed_bytes("004")],
                         ids=["big", "seed000", "seed004"])
def test_iter_file_records_truncated_gzip(tmp_path, data):
    cut = _truncated(data)
    prefix_lines = gzip_prefix_text(cut).split("\n")
    n_complete = len(prefix_lines) - 1
    assert n_complete > 4 and prefix_lines[-1]
    reference = _reference_records(tmp_path, data)

    items, info = items_of(write(tmp_path, "cut.txt.gz", cut))
    *clean, (last, drop) = items
    # Every record read before the fault is yielded, clean.
    assert clean and all(d is None for _, d in clean)
    # Every record whose lines are all complete is there, identical to the intact file's.
    complete = [r for r in reference if r.line + r.text.count("\n") <= n_complete]
    assert complete
    assert [(r.id, r.text) for r, _ in clean[: len(complete)]] == \
        [(r.id.replace("intact.gz", "cut.txt.gz"), r.text) for r in complete]
    # At most one more clean record: the one the fault cut short (a prefix of the real one).
    assert len(clean) - len(complete) <= 1
    for r, _ in clean[len(complete):]:
        ref = reference[len(complete)]
        assert r.line == ref.line and ref.text.startswith(r.text)
    # The final item rejects the incomplete line; nothing is lost.
    assert isinstance(drop, Drop)
    assert (drop.stage, drop.reason) == ("read", "truncated_file")
    assert last.text and last.text == prefix_lines[-1]
    assert last.line == n_complete + 1
    assert last.id == f"cut.txt.gz:{n_complete + 1}"
    full_lines = data.decode("utf-8").split("\n")
    assert full_lines[last.line - 1].startswith(last.text)
    assert info.error and info.extra.get("reason") == "truncated_file"
    read_back = [line for r, _ in items for line in r.text.split("\n")]
    assert read_back == [line for line in prefix_lines if line]


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n" + seed_bytes("003"),
    b"\x7fELF\x02\x01\x01\x00" + bytes(8) + seed_bytes("000"),
    seed_bytes("002").replace(b"\n\n", b"\n\x00\n"),
], ids=["pdf", "elf", "nul"])
def test_iter_file_records_binary_file(tmp_path, data):
    items, info = items_of(write(tmp_path, "bin/file.dat", data), source="bin/file.dat")
    assert len(items) == 1
    record, drop = items[0]
    assert isinstance(record, Record)
    assert record.line is None
    assert record.id == "bin/file.dat"
    assert record.source == "bin/file.dat"
    assert record.text == ""
    assert isinstance(drop, Drop)
    assert (drop.stage, drop.reason) == ("read", "binary_file")
    assert info.error and "bin/file.dat" in info.error
    assert info.extra.get("reason") == "binary_file"


def test_iter_file_records_empty_file(tmp_path):
    items, info = items_of(write(tmp_path, "empty.txt", b""))
    assert items == []
    assert info.error is None
