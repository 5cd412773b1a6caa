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
from dataclasses import dataclass, field

import numpy as np
import xxhash

from .config import Config
from .records import Drop, Record
from .stages.boilerplate import BoilerplateFilter
from .stages.dedup import dedup_key
from .stages.language import identify_language
from .stages.markers import MarkerMatcher, MarkerStripper
from .stages.neardup import choose_bands, sign_texts
from .stages.quality import QualityFilter
from .stages.spam import SpamFilter

__all__ = ["build_stages", "ScanTask", "Scanned", "scan_batch", "tag_batch", "RepeatMemo"]


def build_stages(config: Config, is_marker: MarkerMatcher | None = None) -> list:
    """Return the per-record stages in order, for one file (``is_marker``: the file's marker
    matcher, see :class:`.pipeline.FileReader`). Each has ``name`` and ``apply(record)``,
    returning the record (maybe changed) or a :class:`Drop`. Adding a stage is one line here."""
    return [MarkerStripper(is_marker), BoilerplateFilter(config), SpamFilter(config),
            QualityFilter()]


class RepeatMemo:
    """The per-record stages' outcome for each distinct raw text, so that a verbatim repeat
    (a record whose text, as read, equals an earlier record's in a file with the same marker
    lines) is not run through the stages again: it gets the earlier record's drop, or, if that
    one survived, only its marker lines stripped and its exact-dedup key computed (it is then
    an exact duplicate). Outcomes depend on the text alone, so the output is the same as
    running every record through every stage; web dumps repeat records verbatim often (23% of
    the records of a 100 MB ``make_dump.py`` dump, 76% at 1 GB).

    Part of the ordered half: :meth:`dispatch` is called in input order when records are
    batched, :meth:`settle` in input order as results come back. Memory: one dict entry per
    distinct raw text (a 128-bit XXH3 key, about 100 bytes with the entry).
    """

    _PENDING = object()

    def __init__(self) -> None:
        self._outcome: dict[int, object] = {}
        self._contexts: dict[frozenset, int] = {}

    def key(self, text: str, bare_markers: frozenset) -> int:
        """The memo key of a raw ``text`` read in a file whose bare marker lines are
        ``bare_markers``: XXH3-128 of the UTF-8 text, made distinct per marker context."""
        context = self._contexts.setdefault(bare_markers, len(self._contexts))
        digest = xxhash.xxh3_128_intdigest(text.encode("utf-8", "surrogatepass"))
        return digest + (context << 128)

    def dispatch(self, key: int) -> bool:
        """Whether the record with ``key`` repeats an earlier one (else it is remembered)."""
        if key in self._outcome:
            return True
        self._outcome[key] = self._PENDING
        return False

    def settle(self, key: int, drop: Drop | None) -> None:
        """Record the outcome of the first record with ``key``: its drop, or None."""
        self._outcome[key] = drop

    def outcome(self, key: int) -> Drop | None:
        """The outcome of the first record with ``key`` (settled before its repeats are)."""
        found = self._outcome[key]
        assert found is not self._PENDING, "a repeat was settled before its first copy"
        return found  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._outcome)


@dataclass
class ScanTask:
    """A batch of one file's records: ``items`` are ``(record, drop)`` pairs from the reader
    (``drop`` set for text lost at read time); ``end`` marks the file's last batch;
    ``raw_keys`` the :class:`RepeatMemo` key of each item (None for a drop) and ``repeats``
    the indexes of the items that repeat an earlier record verbatim."""

    file_index: int
    bare_markers: frozenset
    items: list
    end: bool
    config: Config
    raw_keys: list = field(default_factory=list)
    repeats: set = field(default_factory=set)


@dataclass
class Scanned:
    """One record after the per-record stages: a ``drop``, or the exact-dedup ``key`` and,
    with near dedup on, its LSH band ``keys`` and shingle ``hashes``."""

    record: Record
    drop: Drop | None
    key: bytes | None = None
    keys: np.ndarray | None = None
    hashes: np.ndarray | None = None
    raw_key: int | None = None
    repeat: bool = False


def scan_batch(task: ScanTask) -> tuple[int, bool, list[Scanned], dict[str, float]]:
    """Run the per-record stages over a batch; return ``(file_index, end, results, seconds)``,
    ``seconds`` the time spent per stage (for the summary; never in an output file)."""
    config = task.config
    stages = build_stages(config, MarkerMatcher(task.bare_markers))
    seconds = dict.fromkeys([s.name for s in stages] + ["dedup"], 0.0)
    clock = time.perf_counter
    out: list[Scanned] = []
    to_sign: list[Scanned] = []
    raw_keys = task.raw_keys or [None] * len(task.items)
    for index, (record, drop) in enumerate(task.items):
        repeat = index in task.repeats
        if drop is None:
            # a verbatim repeat takes its first copy's outcome (see RepeatMemo): only the
            # marker lines, which the record keeps as provenance, are stripped again
            for stage in stages[:1] if repeat else stages:
                t0 = clock()
                result = stage.apply(record)
                seconds[stage.name] += clock() - t0
                if isinstance(result, Drop):
                    drop = result
                    break
                record = result
        item = Scanned(record, drop, raw_key=raw_keys[index], repeat=repeat)
        if drop is None:
            t0 = clock()
            item.key = dedup_key(record.text)
            seconds["dedup"] += clock() - t0
            if config.near_dedup and not repeat:
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
