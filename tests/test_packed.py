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
from paths import FIXTURES, SEEDS

from corpus_clean import Config
from corpus_clean.blocks import FileReader, block_tasks
from corpus_clean.packed import PackedScan, pack
from corpus_clean.reader import FileInfo, list_input_files
from corpus_clean.stages.neardup import NearDupIndex
from corpus_clean.work import scan
from corpus_clean.writer import rejected_row


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
