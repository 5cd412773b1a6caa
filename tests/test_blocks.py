"""corpus_clean.reading.blocks: a file read in blocks by workers gives exactly the records, rejects and
read facts of the file read in one piece (FileReader), on the seeds and fixtures, with line
ends of every kind, for every place a read can fail, and for lines too long to hold."""

from __future__ import annotations

import io
import textwrap

import pytest
from support.paths import FIXTURES, SEEDS

from corpus_clean import Config
from corpus_clean.reading import reader as reader_mod
from corpus_clean.reading.blocks import (FileReader, block_items, block_tasks, cut_block,
                                         cut_tasks)
from corpus_clean.reading.reader import FileInfo, InputFile, splits_at_line_ends
from corpus_clean.reading.split import starts_record
from corpus_clean.stages.markers import MarkerMatcher

SEED_FILES = sorted(SEEDS.glob("*.txt"))
# seed 002 (blank-line layout) with its records wrapped at 60 characters: paragraphs of
# several lines, where a cut between two lines of one record would show
WRAPPED = "\n".join("\n".join(textwrap.wrap(line, 60)) for line in
                    SEED_FILES[2].read_text(encoding="utf-8").split("\n")).encode()
ORIGINALS = {
    **{p.name[:3]: p.read_bytes() for p in SEED_FILES},
    "wrapped": WRAPPED,
    "gbk": (FIXTURES / "gbk_abstracts.txt").read_bytes(),
    "big5": (FIXTURES / "big5_sentences.txt").read_bytes(),
    "jsonl": (FIXTURES / "spam_lines.jsonl").read_bytes()[:8000],
}
LINE_ENDS = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


def _facts(info: FileInfo) -> tuple:
    return (info.lines, info.replaced_bytes, info.layout, info.encoding, info.error,
            info.extra.get("reason"))


def whole(file: InputFile, config: Config) -> tuple[list, tuple]:
    """The file read in one piece, in this process."""
    info = FileInfo(file.source)
    items = list(FileReader(file, info, config))
    return items, _facts(info)


def _cut_here(tasks: list) -> list:
    """Run :func:`cut_block` on each task, as the workers of a cluster would."""
    return [cut_block(t) for t in tasks]


def in_blocks(file: InputFile, config: Config, by_span: bool | str = False,
              cut_here: bool = True) -> tuple[list, tuple, int]:
    """The file cut into blocks, each decoded and split on its own (as a worker does); with
    ``by_span``, the tasks of an uncompressed file carry no bytes and the worker reads them;
    ``by_span="cut"``: the workers also cut the file (:func:`cut_block`), every block named
    by its span (unless ``cut_here`` is false: the file may have to be cut here)."""
    info = FileInfo(file.source)
    reader = FileReader(file, info, config)
    assert reader.splittable()
    items, blocks = [], 0
    tasks = cut_tasks(0, reader, config, _cut_here) if by_span == "cut" else None
    if by_span == "cut" and cut_here:  # cut by the workers: every block names its span
        assert tasks is not None and all(t.block.span is not None for t in tasks)
    if tasks is None:
        tasks = block_tasks(0, reader, config, by_span=bool(by_span))
    for task in tasks:
        if by_span and task.block.span is not None:
            assert task.block.parts == [] and task.path == file.path
        got, lines, replaced = block_items(task)
        items += got
        info.lines += lines
        info.replaced_bytes += replaced
        blocks += 1
    return items, _facts(info), blocks


def _file(tmp_path, name: str, data: bytes) -> InputFile:
    path = tmp_path / name
    path.write_bytes(data)
    return InputFile(path, name)


@pytest.mark.parametrize("end", sorted(LINE_ENDS))
@pytest.mark.parametrize("name", sorted(ORIGINALS))
@pytest.mark.parametrize("block_bytes", [1, 700, 5000])
@pytest.mark.parametrize("by_span", [False, True], ids=["bytes", "span"])
def test_blocks_give_the_records_of_the_whole_file(tmp_path, name, end, block_bytes, by_span):
    data = ORIGINALS[name].replace(b"\n", LINE_ENDS[end])
    suffix = ".jsonl" if name == "jsonl" else ".txt"
    file = _file(tmp_path, name + suffix, data)
    config = Config(block_bytes=block_bytes, chunk_bytes=997)
    expected, facts = whole(file, config)
    items, block_facts, blocks = in_blocks(file, config, by_span)
    assert items == expected
    assert block_facts == facts
    if block_bytes == 1:  # a cut before (nearly) every record
        assert blocks >= len(expected) // 2


@pytest.mark.parametrize("end", sorted(LINE_ENDS))
@pytest.mark.parametrize("name", sorted(ORIGINALS))
@pytest.mark.parametrize("block_bytes", [37, 700, 5000])
def test_blocks_the_workers_cut_give_the_records_of_the_whole_file(tmp_path, name, end,
                                                                    block_bytes):
    """The workers find the cuts of their own stretches (cut_block): the same records, ids
    and facts, every block named by its span (37 bytes: a stretch per record or less, so
    many stretches hold no cut and one record spans several)."""
    data = ORIGINALS[name].replace(b"\n", LINE_ENDS[end])
    file = _file(tmp_path, name + (".jsonl" if name == "jsonl" else ".txt"), data)
    config = Config(block_bytes=block_bytes, chunk_bytes=997)
    expected, facts = whole(file, config)
    items, block_facts, blocks = in_blocks(file, config, "cut")
    assert items == expected
    assert block_facts == facts
    if block_bytes == 37:
        assert blocks >= len(expected) // 2


def test_blank_layout_cuts_only_between_paragraphs():
    """In the blank-line layout a content line after a content line continues a wrapped
    paragraph: no block may start there."""
    is_marker = MarkerMatcher.from_head([])
    assert starts_record("blank", is_marker, "", "Deep learning")
    assert not starts_record("blank", is_marker, "We study the", "dynamics of SGD.")
    assert starts_record("blank", is_marker, "translated by 谷歌翻译", "深度学习")
    assert starts_record("line", is_marker, "We study the", "dynamics of SGD.")
    assert not starts_record("line", is_marker, "深度学习", "translated by 谷歌翻译")
    assert not starts_record("marker", is_marker, "深度学习", "   ")


class _FailingStream(io.BytesIO):
    """The decompressed stream of a file whose compressed data is cut: its bytes, then
    EOFError (as reader._Decompressed gives it)."""

    def read(self, n=-1):
        data = super().read(n)
        if not data:
            raise EOFError("compressed data ends early")
        return data


@pytest.mark.parametrize("end", ["lf", "crlf", "cr"])
def test_a_read_that_fails_anywhere_gives_the_same_rejects(tmp_path, monkeypatch, end):
    """Every place the data can stop: after a line end, inside a \\r\\n, inside a UTF-8
    character, inside a line; the records before, the incomplete line's reject (its text
    and number) and the error message are those of the file read in one piece."""
    data = SEED_FILES[0].read_bytes()[:5000].replace(b"\n", LINE_ENDS[end])
    file = _file(tmp_path, "cut.txt.gz", b"\x1f\x8b")
    cut_at = [0]

    def fake_open(path, info):
        info.compression = "gzip"
        return _FailingStream(data[:cut_at[0]])

    monkeypatch.setattr(reader_mod, "_open_decompressed", fake_open)
    config = Config(block_bytes=100, chunk_bytes=61, sample_bytes=300, layout_sample_lines=1)
    checked = 0
    near_ends = {i + d for i, byte in enumerate(data) if byte in b"\r\n" for d in (-1, 0, 1, 2)}
    for cut in sorted(set(range(0, len(data), 7)) | near_ends):
        cut_at[0] = cut
        expected, facts = whole(file, config)
        info = FileInfo(file.source)
        reader = FileReader(file, info, config)
        if not reader.splittable():  # the fault came within the head: read in one piece
            continue
        items, block_facts, _ = in_blocks(file, config)
        assert (cut, items) == (cut, expected)
        assert block_facts == facts
        assert expected[-1][1].reason == "truncated_file"
        checked += 1
    assert checked > 100


def test_a_line_too_long_to_hold_is_streamed_past(tmp_path, monkeypatch):
    """A line longer than 4 x MAX_LINE_CHARS bytes never enters a block: the reader streams
    past it and the worker gets its preview and length (shrunk limits; the real ones are
    4 Mi characters and 16 MiB)."""
    monkeypatch.setattr(reader_mod, "MAX_LINE_CHARS", 50)
    skipped = []
    real_skip = reader_mod._skip_long_line
    monkeypatch.setattr(reader_mod, "_skip_long_line",
                        lambda *a: skipped.append(1) or real_skip(*a))
    seed = SEED_FILES[3].read_bytes()  # its abstracts are over 50 characters too
    long_ascii = b"x" * 1000
    long_cjk = "深度学习".encode() * 300
    cases = {"ascii": (seed[:3000] + long_ascii + b"\n" + seed[3000:6000], 1000),
             "cjk_crlf": ((long_cjk + b"\n" + seed[:4000]).replace(b"\n", b"\r\n"), 1200),
             "at_end": (seed[:seed.rindex(b"\n", 0, 2000) + 1] + long_cjk, 1200),
             "mid_size": (seed[:seed.rindex(b"\n", 0, 2000) + 1] + b"y" * 120 + b"\n" +
                          seed[2000:4000], 120)}
    for name, (data, chars) in cases.items():
        file = _file(tmp_path, name + ".txt", data)
        config = Config(block_bytes=500, chunk_bytes=64)
        expected, facts = whole(file, config)
        # no span once an overlong line was skipped; the workers never cut around one
        for by_span in (False, True, "cut"):
            items, block_facts, _ = in_blocks(file, config, by_span, cut_here=False)
            assert items == expected, name
            assert block_facts == facts, name
        skipped.clear()
        items, block_facts, _ = in_blocks(file, config)
        assert items == expected, name
        assert block_facts == facts, name
        assert any(d is not None and d.reason == "line_too_long" and
                   f"{chars:,} characters" in d.detail for _, d in items), name
        assert skipped or chars <= 4 * 50 + 4, name  # that line was streamed past


def test_splittable_encodings():
    """Files are cut at the bytes of line ends only where those bytes mean nothing else."""
    for enc in ("utf-8", "utf-8-sig", "gb18030", "GBK", "big5", "shift_jis", "euc_kr",
                "cp1252", "latin-1", "koi8-r", "mac_cyrillic", "ascii"):
        assert splits_at_line_ends(enc), enc
    for enc in ("utf-16", "utf-16-le", "utf-32", "utf-7", "iso2022_jp", "hz", "cp037",
                "no-such-codec"):
        assert not splits_at_line_ends(enc), enc


def test_utf16_files_are_read_in_one_piece(tmp_path):
    """UTF-16 cannot be cut at byte level: FileReader reads it (the run's process)."""
    text = SEED_FILES[0].read_text(encoding="utf-8")
    file = _file(tmp_path, "u16.txt", text.encode("utf-16"))
    reader = FileReader(file, FileInfo(file.source), Config())
    assert not reader.splittable()


# --- blocks named by span, read by the worker ----------------------------------------------

def _spans(file: InputFile, config: Config) -> list:
    reader = FileReader(file, FileInfo(file.source), config)
    return [t.block.span for t in block_tasks(0, reader, config, by_span=True)]


def test_spans_name_the_blocks_bytes_in_the_file(tmp_path):
    """Spans tile the file from its first byte after a BOM to its end, each with the XXH3-64
    of its bytes; a compressed file's blocks carry their bytes (no span)."""
    import gzip

    import xxhash

    data = SEED_FILES[0].read_bytes()
    for name, raw, start in (("plain.txt", data, 0), ("bom.txt", b"\xef\xbb\xbf" + data, 3)):
        file = _file(tmp_path, name, raw)
        spans = _spans(file, Config(block_bytes=2000))
        assert len(spans) > 3 and all(s is not None for s in spans)
        assert spans[0][0] == start
        assert [o for o, _, _ in spans[1:]] == [o + n for o, n, _ in spans[:-1]]
        assert spans[-1][0] + spans[-1][1] == len(raw)
        assert all(xxhash.xxh3_64_intdigest(raw[o:o + n]) == d for o, n, d in spans)
    gz = _file(tmp_path, "plain.txt.gz", gzip.compress(data))
    reader = FileReader(gz, FileInfo(gz.source), Config(block_bytes=2000))
    tasks = list(block_tasks(0, reader, Config(block_bytes=2000), by_span=True))
    assert len(tasks) > 3 and all(t.block.span is None and t.block.parts for t in tasks[:-1])


def test_a_file_changed_before_a_worker_reads_its_span_stops_the_run(tmp_path):
    """A worker that finds other bytes at a span than were read first raises InputError
    naming the file (the records' numbering would no longer hold); a file it cannot open,
    too."""
    from corpus_clean.errors import InputError

    data = SEED_FILES[0].read_bytes()
    file = _file(tmp_path, "f.txt", data)
    config = Config(block_bytes=2000)
    reader = FileReader(file, FileInfo(file.source), config)
    tasks = list(block_tasks(0, reader, config, by_span=True))
    block_items(tasks[1])  # unchanged: fine
    file.path.write_bytes(data.replace(b"the", b"The"))
    with pytest.raises(InputError, match=r"^f\.txt: changed while the run was reading it"):
        block_items(tasks[1])
    file.path.unlink()
    with pytest.raises(InputError, match=r"^f\.txt: a worker cannot read bytes"):
        block_items(tasks[1])


def test_the_workers_cut_around_long_lines_or_leave_the_file_to_the_reader(tmp_path,
                                                                          monkeypatch):
    """A line of more than MAX_LINE_CHARS bytes (shrunk to 400 here) in a stretch: cut_block
    says so and the file is cut here, with the same records; shorter lines are cut around."""
    monkeypatch.setattr(reader_mod, "MAX_LINE_CHARS", 400)
    seed = SEED_FILES[3].read_bytes()
    config = Config(block_bytes=300, chunk_bytes=64)
    short = _file(tmp_path, "short.txt", b"\n".join(x[:390] for x in seed.split(b"\n")))
    assert whole(short, config)[0] == in_blocks(short, config, "cut")[0]
    long = _file(tmp_path, "long.txt", seed[:2000] + b"z" * 450 + b"\n" + seed[2000:4000])
    info = FileInfo(long.source)
    assert cut_tasks(0, FileReader(long, info, config), config, _cut_here) is None
    assert whole(long, config)[0] == in_blocks(long, config, "cut", cut_here=False)[0]


def test_a_bom_file_is_not_cut_by_the_workers(tmp_path):
    data = b"\xef\xbb\xbf" + SEED_FILES[0].read_bytes()
    file = _file(tmp_path, "bom.txt", data)
    config = Config(block_bytes=500)
    assert cut_tasks(0, FileReader(file, FileInfo(file.source), config), config,
                     _cut_here) is None
    assert whole(file, config)[0] == in_blocks(file, config, "cut", cut_here=False)[0]


def test_a_worker_that_cannot_read_its_stretch_stops_the_run_in_one_line(tmp_path):
    from corpus_clean.errors import InputError
    from corpus_clean.reading.blocks import CutTask

    task = CutTask(tmp_path / "gone.txt", "gone.txt", 5000, (1000, 2000), False, "utf-8",
                   "line", frozenset(), 997)
    with pytest.raises(InputError, match=r"^gone\.txt: a worker cannot read bytes 1,000-2,000 "
                                         r"\(No such file or directory\); the workers must "
                                         r"see the dump"):
        cut_block(task)
