"""Scan results packed by the workers (corpus_clean/packed.py): what the run's process reads
from a packed batch is what the scan found, field for field, on the seeds; the checkpoint form
reads back to the same batch; and adding signed records in bulk to the near-dup index is
adding them one by one."""

from __future__ import annotations

import io
import uuid

import numpy as np
import orjson
import pytest
from support.paths import FIXTURES, SEEDS

from corpus_clean import Config
from corpus_clean.reading.blocks import FileReader, block_tasks
from corpus_clean.engine.wire import PackedScan, pack
from corpus_clean.reading.reader import FileInfo, list_input_files
from corpus_clean.stages.neardup import NearDupIndex
from corpus_clean.engine.work import scan
from corpus_clean.output.writer import rejected_row


def seed_results(config: Config):
    """The scan results of every block of every seed file."""
    run = uuid.uuid4().hex
    for index, file in enumerate(list_input_files(SEEDS)):
        reader = FileReader(file, FileInfo(file.source), config)
        for task in block_tasks(index, reader, config, run):
            yield scan(task)


def test_packed_batches_hold_what_the_scan_found():
    config = Config(block_bytes=4000)
    kinds = set()
    for result in seed_results(config):
        items = result[2]
        packed = pack(result, config)
        meta = orjson.loads(packed.meta)
        rows = packed.rows.split(b"\n")
        assert len(meta) == len(items) == len(rows) - 1 and rows[-1] == b""
        survivors = signed = 0
        for item, entry, row in zip(items, meta, rows):
            record = item.record
            if item.drop is not None:
                kinds.add("dropped")
                assert row + b"\n" == rejected_row(record, item.drop)
                assert entry == [0, item.drop.stage, item.drop.reason,
                                 len(record.marker_lines), record.mt_engine or "unknown"]
                continue
            kinds.add("survivor")
            assert orjson.loads(row) == [record.id, record.text, record.source, record.line,
                                         record.translated_by, record.mt_engine,
                                         record.marker_lines]
            short = record.text.strip()
            assert entry == [1, record.id, short if len(short) <= config.repeat_max_chars
                             else None, len(record.text), item.keys is not None]
            assert packed.dedup_keys[16 * survivors:16 * survivors + 16] == item.key
            survivors += 1
            if item.keys is not None:
                kinds.add("signed")
                start = int(packed.shingle_counts[:signed].sum())
                assert (packed.band_keys[signed] == item.keys).all()
                assert (packed.shingles[start:start + len(item.hashes)] == item.hashes).all()
                assert packed.shingle_counts[signed] == len(item.hashes)
                signed += 1
        assert len(packed.dedup_keys) == 16 * survivors and len(packed.shingle_counts) == signed
    assert kinds == {"dropped", "survivor", "signed"}


def test_checkpoint_form_reads_back_the_same_batches():
    config = Config(block_bytes=4000)
    packs = [pack(r, config) for r in seed_results(config)]
    f = io.BytesIO(b"".join(p.encode() for p in packs))
    for p in packs:
        back = PackedScan.decode(f, p.file_index)
        assert (back.rows, back.meta, back.dedup_keys) == (p.rows, p.meta, p.dedup_keys)
        assert back.band_keys.shape == p.band_keys.shape
        for field in ("band_keys", "shingles", "shingle_counts"):
            assert getattr(back, field).dtype == getattr(p, field).dtype
            assert (getattr(back, field) == getattr(p, field)).all()
    assert PackedScan.decode(f, 0) is None
    data = packs[0].encode()
    with pytest.raises(ValueError, match="ends early"):
        PackedScan.decode(io.BytesIO(data[:-3]), 0)
    with pytest.raises(ValueError, match="bad header"):
        PackedScan.decode(io.BytesIO(b"[1, 2]\n" + data), 0)


def test_add_many_is_add_one_by_one(tmp_path):
    from corpus_clean.stages.neardup import sign_texts

    pairs = map(orjson.loads, (FIXTURES / "near_pairs.jsonl").read_bytes().splitlines())
    texts = [t for p in pairs for t in (p["a"]["text"], p["b"]["text"])][:40]
    (tmp_path / "one").mkdir(), (tmp_path / "many").mkdir()
    one, many = NearDupIndex(tmp_path / "one"), NearDupIndex(tmp_path / "many")
    keys, hashes = sign_texts(texts, one.bands, one.rows, one.num_perm, one.seed, one.words,
                              one.chars)
    for k, h, t in zip(keys, hashes, texts):
        one.add(k, h, len(t))
    for part in (slice(0, 7), slice(7, 8), slice(8, 8), slice(8, None)):
        hs = hashes[part]
        many.add_many(keys[part], np.concatenate(hs) if hs else np.zeros(0, np.uint32),
                      np.array([len(h) for h in hs], dtype=np.int64),
                      [len(t) for t in texts[part]])
    for name in ("_keys", "_offsets", "_counts", "_lengths"):
        assert getattr(one, name) == getattr(many, name)
    one._spill.flush(), many._spill.flush()
    assert (tmp_path / "one" / "shingles.u32").read_bytes() == \
        (tmp_path / "many" / "shingles.u32").read_bytes()
    removed = one.decide()
    assert removed and removed == many.decide()


def test_damaged_batches_are_refused():
    """Fields that do not agree (a record's facts missing, a key too few, a shingle count
    wrong) are damage, not something to zip past: decode raises ValueError (the checkpoint
    turns it into ResumeError)."""
    config = Config(block_bytes=4000)
    packed = next(p for p in (pack(r, config) for r in seed_results(config))
                  if len(p.shingle_counts) > 1)
    packed.check()
    meta = orjson.loads(packed.meta)
    damaged = [
        PackedScan(0, False, packed.rows, orjson.dumps(meta[:-1]), packed.dedup_keys,
                   packed.band_keys, packed.shingles, packed.shingle_counts),
        PackedScan(0, False, packed.rows, packed.meta, packed.dedup_keys[:-16],
                   packed.band_keys, packed.shingles, packed.shingle_counts),
        PackedScan(0, False, packed.rows, packed.meta, packed.dedup_keys, packed.band_keys,
                   packed.shingles, packed.shingle_counts + 1),
        PackedScan(0, False, packed.rows, b"[[1]]", packed.dedup_keys, packed.band_keys,
                   packed.shingles, packed.shingle_counts),
    ]
    for bad in damaged:
        with pytest.raises(ValueError):
            PackedScan.decode(io.BytesIO(bad.encode()), 0)


def test_spill_lines_carry_a_tag_with_named_meanings(tmp_path):
    from corpus_clean.engine.spill import RecordSpill
    from corpus_clean.engine.wire import (duplicate_tag, is_short_survivor, parse_row,
                                          read_duplicate_tag, record_row, row_text,
                                          survivor_tag)
    from corpus_clean.records import Record

    record = Record("a.txt:3", "标题\n第二行 \"quoted\"", "a.txt", 3, "谷歌翻译", "google",
                    ["translated by 谷歌翻译"])
    spill = RecordSpill(tmp_path / "s.jsonl")
    spill.append_row(record_row(record), survivor_tag(True))
    spill.append_row(record_row(record)[:-1], duplicate_tag(17, False))  # without its "\n"
    spill.append_row(record_row(record), survivor_tag(False))
    spill.append_row(record_row(record), duplicate_tag(0, True))
    lines = list(spill.lines())
    assert [parse_row(line)[0] for line in lines] == [record] * 4
    assert [RecordSpill.parse(line) for line in lines][2] == (record, None)
    assert [is_short_survivor(line) for line in lines[:3]] == [True, False, False]
    assert [read_duplicate_tag(line) for line in lines[1::2]] == [(17, False), (0, True)]
    assert row_text(record_row(record)) == row_text(lines[0]) == record.text


def test_exact_dedup_first_and_report_counts_by_fields():
    """Counting records one by one and in batches gives the same stats, and what was
    counted."""
    from corpus_clean.output.report import Report
    from corpus_clean.reading.reader import FileInfo
    from corpus_clean.stages.dedup import ExactDedup

    dedup = ExactDedup()
    assert [dedup.first(k, n) for n, k in enumerate([b"k1", b"k2", b"k1", b"k3", b"k2"])] == \
        [0, 1, 0, 3, 1]
    drops = [("spam", "spam", 0, None), ("boilerplate", "navigation", 2, "google"),
             ("spam", "spam", 1, None)]
    one, many = Report(Config()), Report(Config())
    for report in (one, many):
        report.add_file(FileInfo("a.txt"))
        report.count_in_file("a.txt", 6)
    for facts in drops:
        one.count_dropped("a.txt", *facts)
    many.count_dropped_many({("a.txt", "spam", "spam"): 2,
                             ("a.txt", "boilerplate", "navigation"): 1},
                            {"google": 2, "unknown": 1})
    for report in (one, many):
        report.count_kept_many({"a.txt": 3}, {"en": 1, "zh-cn": 1, "und": 1}, {"google": 2})
    assert one.stats() == many.stats()
    stats = one.stats()
    assert (stats["kept"], stats["rejected"]) == (3, 3)
    assert stats["drops"] == {"boilerplate": {"navigation": 1}, "spam": {"spam": 2}}
    assert stats["markers"] == {"lines_stripped": 5, "engines": {"google": 4, "unknown": 1}}


@pytest.mark.parametrize("compress", [None, "gz"])
def test_clean_rows_written_in_one_call_shard_as_one_by_one(tmp_path, compress):
    from corpus_clean.output.writer import OutputWriter

    rows = [orjson.dumps({"id": f"a:{i}", "text": "文本 " * (i % 7)}) + b"\n" for i in range(50)]
    outs = {}
    for how in ("one", "many"):
        writer = OutputWriter(tmp_path / how, compress=compress, shard_records=0,
                              shard_bytes=400)
        if how == "one":
            for row in rows:
                writer._write("clean.jsonl", row)
        else:
            for i in range(0, 50, 13):
                writer.write_clean_rows(b"".join(rows[i:i + 13]), len(rows[i:i + 13]))
        writer._sinks["clean.jsonl"].commit()
        outs[how] = {p.name: p.read_bytes() for p in sorted((tmp_path / how).glob("clean*"))}
    assert len(outs["one"]) > 3 and outs["one"] == outs["many"]


def test_reject_rows_renders_what_the_record_level_path_renders(tmp_path):
    """work.reject_rows (exact duplicates rendered in a worker from spill lines) against
    rejected_row and Report.count_dropped record by record: the same lines, counts and
    clusters, in order; a short record dropped by the repetition rule passes its drop."""
    from corpus_clean.engine.spill import RecordSpill
    from corpus_clean.engine.wire import record_row
    from corpus_clean.engine.work import reject_rows
    from corpus_clean.output.report import Report, cluster_member
    from corpus_clean.reading.reader import FileInfo
    from corpus_clean.records import Drop, Record
    from corpus_clean.stages.dedup import exact_drop

    records = [Record(f"b.txt:{i}", t, "b.txt", i, e and "谷歌翻译", e, m) for i, (t, e, m) in
               enumerate([("第一条 重复", "google", ["translated by 谷歌翻译"]),
                          ("Second copy.", None, []), ("相关内容", None, []),
                          ("Third, of a near duplicate.", None, [])], start=1)]
    ids = {0: "a.txt:1", 4: "a.txt:9", 7: "a.txt:20"}
    roots = {"a.txt:20": ("a.txt:2", 0.912)}  # a.txt:20 is a near duplicate of a.txt:2
    repeated = Drop("boilerplate", "repeated_line", "occurs 5 times in the dump (>= 3)")
    extras = [0, 4, (repeated.stage, repeated.reason, repeated.detail), 7]
    spill = RecordSpill(tmp_path / "exact.jsonl")
    for record, extra in zip(records, extras):
        spill.append_row(record_row(record), extra if isinstance(extra, int) else -1)
    got = reject_rows((Config(), list(spill.lines()), extras, ids, roots))
    want_drops = [exact_drop(ids[0], roots), exact_drop(ids[4], roots), repeated,
                  exact_drop(ids[7], roots)]
    assert b"".join(got.reject_rows) == b"".join(rejected_row(r, d)
                                                 for r, d in zip(records, want_drops))
    by_record, by_batch = Report(Config()), Report(Config())
    for report in (by_record, by_batch):
        report.add_file(FileInfo("b.txt"))
    for record, drop in zip(records, want_drops):
        by_record.count_dropped(record.source, drop.stage, drop.reason,
                                len(record.marker_lines), record.mt_engine)
        if drop.duplicate_of is not None:
            by_record.add_cluster_member(*cluster_member(record, drop))
    by_batch.count_dropped_many(got.drops, got.marker_engines)
    for member in got.members:
        by_batch.add_cluster_member(*member)
    assert by_record.stats() == by_batch.stats()
    assert by_record.dedup_report() == by_batch.dedup_report()
    assert [m[0] for m in got.members] == ["a.txt:1", "a.txt:9", "a.txt:2"]
