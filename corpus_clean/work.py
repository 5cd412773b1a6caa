"""The per-record half of the pipeline: pure functions over batches of records, run by an
executor (:mod:`.executor`) in this process or in worker processes.

:func:`scan_batch` runs the per-record stages (markers, boilerplate, spam, quality) and
computes what the ordered half needs (exact-dedup key; near-dup band keys and shingle hashes);
:func:`tag_batch` runs language identification. Neither decides anything that depends on
other records, so the results do not depend on how records are batched or on the number of
workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .config import Config
from .records import Drop, Record
from .stages.boilerplate import BoilerplateFilter
from .stages.dedup import dedup_key
from .stages.language import identify_language
from .stages.markers import MarkerMatcher, MarkerStripper
from .stages.neardup import choose_bands, sign_texts
from .stages.quality import QualityFilter
from .stages.spam import SpamFilter

__all__ = ["build_stages", "ScanTask", "Scanned", "scan_batch", "tag_batch"]


def build_stages(config: Config, is_marker: MarkerMatcher | None = None) -> list:
    """Return the per-record stages in order, for one file (``is_marker``: the file's marker
    matcher, see :class:`.pipeline.FileReader`). Each has ``name`` and ``apply(record)``,
    returning the record (maybe changed) or a :class:`Drop`. Adding a stage is one line here."""
    return [MarkerStripper(is_marker), BoilerplateFilter(config), SpamFilter(config),
            QualityFilter()]


@dataclass
class ScanTask:
    """A batch of one file's records: ``items`` are ``(record, drop)`` pairs from the reader
    (``drop`` set for text lost at read time); ``end`` marks the file's last batch."""

    file_index: int
    bare_markers: frozenset
    items: list
    end: bool
    config: Config


@dataclass
class Scanned:
    """One record after the per-record stages: a ``drop``, or the exact-dedup ``key`` and,
    with near dedup on, its LSH band ``keys`` and shingle ``hashes``."""

    record: Record
    drop: Drop | None
    key: bytes | None = None
    keys: np.ndarray | None = None
    hashes: np.ndarray | None = None


def scan_batch(task: ScanTask) -> tuple[int, bool, list[Scanned], dict[str, float]]:
    """Run the per-record stages over a batch; return ``(file_index, end, results, seconds)``,
    ``seconds`` the time spent per stage (for the summary; never in an output file)."""
    config = task.config
    stages = build_stages(config, MarkerMatcher(task.bare_markers))
    seconds = dict.fromkeys([s.name for s in stages] + ["dedup"], 0.0)
    clock = time.perf_counter
    out: list[Scanned] = []
    to_sign: list[Scanned] = []
    for record, drop in task.items:
        if drop is None:
            for stage in stages:
                t0 = clock()
                result = stage.apply(record)
                seconds[stage.name] += clock() - t0
                if isinstance(result, Drop):
                    drop = result
                    break
                record = result
        item = Scanned(record, drop)
        if drop is None:
            t0 = clock()
            item.key = dedup_key(record.text)
            seconds["dedup"] += clock() - t0
            if config.near_dedup:
                to_sign.append(item)
        out.append(item)
    t0 = clock()
    if to_sign:
        bands, rows = choose_bands(config.near_threshold, config.num_perm)
        keys, hashes = sign_texts([i.record.text for i in to_sign], bands, rows, config.num_perm,
                                  config.minhash_seed, config.shingle_words, config.shingle_chars)
        for item, k, h in zip(to_sign, keys, hashes):
            item.keys, item.hashes = k, h
    seconds["dedup"] += clock() - t0
    return task.file_index, task.end, out, seconds


def tag_batch(task: tuple[Config, list[str]]) -> tuple[list[tuple[str, float]], float]:
    """Identify the language of each text: ``([(lang, lang_prob), ...], seconds)``."""
    config, texts = task
    t0 = time.perf_counter()
    tags = [identify_language(t, config) for t in texts]
    return tags, time.perf_counter() - t0
