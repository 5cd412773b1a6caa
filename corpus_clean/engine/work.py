"""The per-record half of the pipeline: pure functions over batches of records, run by an
executor (:mod:`.executor`) in this process or in worker processes.

:func:`scan` (on a block of a file, or a batch of records) runs the per-record stages
(markers, boilerplate, spam, quality) and computes what the ordered half needs (exact-dedup
key; near-dup band keys and shingle hashes); :func:`scan_packed` packs its results for the
run's process (:mod:`.wire`). :func:`tag_kept` identifies the language of kept records and
renders their clean lines (:func:`tag_rows`: of survivors given as spill lines), and
:func:`reject_duplicates` renders the rejects of exact duplicates (:func:`reject_rows`: from
spill lines), both into a :class:`.wire.Emitted` batch, for every executor. None decides anything that depends on other records, so the results do not depend on how
records are batched or on the number of workers.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import xxhash

from ..config import Config
from ..output.report import cluster_member, snippet
from ..output.writer import clean_row, rejected_row
from ..reading.blocks import block_items
from ..records import Drop, Record
from ..stages.dedup import dedup_key, exact_drop
from ..stages.language import identify_languages
from ..stages.markers import MarkerMatcher
from ..stages.neardup import choose_bands, sign_texts
from ..stages.registry import active_record_stages, build_stages
from .wire import Emitted, PackedScan, count_markers, pack, parse_row

__all__ = ["build_stages", "ScanTask", "Scanned", "ScanResult", "scan", "scan_packed",
           "scan_batch", "tag_kept", "tag_rows", "tag_batch", "reject_duplicates",
           "reject_rows", "RepeatMemo", "worker_memo"]

#: kept records per tagging batch (:func:`tag_kept`), as a multiple of ``batch_records``: the
#: language identifier runs a batch's langdetect trials side by side, so a text costs less in
#: a larger batch, and a batch of a mixed dump's kept records holds fewer langdetect texts
#: than records (256 records of the 100 MB ``--remix`` dump: about 140 English ones; the
#: Chinese ones are decided by script). ``bench/bench_language.py --pipeline`` measures the
#: cost in a run (docs/performance.md); ``--table`` prints the cost per abstract at both sizes
TAG_BATCH_FACTOR = 4


def tag_batch(config: Config) -> int:
    """Kept records per tagging batch: :data:`TAG_BATCH_FACTOR` x ``batch_records``."""
    return TAG_BATCH_FACTOR * config.batch_records


class RepeatMemo:
    """The per-record stages' outcome for each distinct raw text, so that a verbatim repeat
    (a record whose text, as read, equals an earlier record's in a file with the same marker
    lines) is not run through the stages again: it gets the earlier record's drop, or, if that
    one survived, only its marker lines stripped and its exact-dedup key computed (it is then
    an exact duplicate, so it needs no MinHash signature). Outcomes depend on the text alone,
    so the output is the same as running every record through every stage; web dumps repeat
    records verbatim often (23% of the records of a 100 MB ``make_dump.py`` dump, 76% at 1 GB).

    One memo lives in each worker process (:func:`worker_memo`); it remembers at most
    ``capacity`` texts (the oldest half is forgotten when it is full). Each entry keeps the
    position (block, record) of the copy it came from: a repeat skips its signature only if
    that copy comes earlier in the input, which holds for any order in which tasks run.
    Memory: about 150 bytes per entry (a 128-bit XXH3 key and the outcome).

    Workers share what they learn: the texts that passed the stages, with their positions
    (:meth:`learned`, :meth:`learn`), travel from a worker's results through the run's process
    to the tasks of the other workers (see :func:`scan_packed`). With two workers each memo
    alone caught 5,803 repeats on the 100 MB benchmark dump, one memo for all 13,201: the
    7,398 others ran the stages and MinHash twice. Keys are the same in every process.
    """

    def __init__(self, capacity: int = 1 << 18) -> None:
        self.capacity = capacity
        self._outcome: dict[int, tuple] = {}
        self._contexts: dict[frozenset, int] = {}
        self.hits = 0
        self.run = ""
        self._fresh: list | None = None  # survivors' (key, position) since learned() began

    def key(self, text: str, bare_markers: frozenset) -> int:
        """The memo key of a raw ``text`` read in a file whose bare marker lines are
        ``bare_markers``: XXH3-128 of the UTF-8 text, plus 2^128 times an XXH3-64 of the
        marker lines (the same in every process), so that each marker context has its own."""
        context = self._contexts.get(bare_markers)
        if context is None:
            context = self._contexts[bare_markers] = xxhash.xxh3_64_intdigest(
                "\n".join(sorted(bare_markers)).encode("utf-8", "surrogatepass"))
        digest = xxhash.xxh3_128_intdigest(text.encode("utf-8", "surrogatepass"))
        return digest + (context << 128)

    def get(self, key: int) -> tuple[Drop | None, tuple] | None:
        """``(drop, position)`` of the copy remembered for ``key``, or None."""
        found = self._outcome.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: int, drop: Drop | None, position: tuple) -> None:
        """Remember the outcome of the record at ``position`` whose key is ``key``."""
        self._make_room()
        self._outcome[key] = (drop, position)
        if drop is None and self._fresh is not None:
            self._fresh.append((key, position))

    def _make_room(self) -> None:
        if len(self._outcome) >= self.capacity:
            for old in list(itertools.islice(self._outcome, len(self._outcome) // 2 + 1)):
                del self._outcome[old]

    def start_learning(self) -> None:
        """From now on, keep the texts that pass the stages for :meth:`learned`."""
        self._fresh = []

    def learned(self) -> np.ndarray:
        """The survivors put since :meth:`start_learning` (which it ends), as a ``uint64``
        array of rows ``(key bits 0-63, 64-127, 128-191, file index, block number, record
        index)``: for :meth:`learn` in another process."""
        fresh, self._fresh = self._fresh or [], None
        mask = (1 << 64) - 1
        return np.array([(k & mask, (k >> 64) & mask, k >> 128, f, b, i)
                         for k, ((f, b), i) in fresh], dtype=np.uint64).reshape(-1, 6)

    def learn(self, rows: np.ndarray | None) -> None:
        """Take survivors another process learned (rows of :meth:`learned`); a text this
        memo knows keeps its entry (an outcome depends on the text alone, and any earlier
        copy's position serves the signature rule)."""
        if rows is None or not len(rows):
            return
        outcome = self._outcome
        for lo, mid, hi, f, b, i in rows.tolist():
            key = lo | mid << 64 | hi << 128
            if key not in outcome:
                self._make_room()
                outcome[key] = (None, ((f, b), i))

    def __len__(self) -> int:
        return len(self._outcome)


_MEMO: RepeatMemo | None = None


def worker_memo(config: Config, run: str) -> RepeatMemo | None:
    """This process's :class:`RepeatMemo` for the run ``run`` (a new one when a task of
    another run comes: positions of different runs cannot be compared); None when
    ``config.repeat_cache`` is 0."""
    global _MEMO
    if not config.repeat_cache:
        return None
    if _MEMO is None or _MEMO.capacity != config.repeat_cache or _MEMO.run != run:
        _MEMO = RepeatMemo(config.repeat_cache)
        _MEMO.run = run
    return _MEMO


@dataclass
class ScanTask:
    """A batch of one file's records read in the run's process (files that are not read in
    blocks, see :mod:`.blocks`): ``items`` are ``(record, drop)`` pairs from the reader
    (``drop`` set for text lost at read time); ``end`` marks the file's last batch and
    ``number`` counts the file's batches from 0; ``run`` names the run (see
    :func:`worker_memo`); ``learned``: what other workers' memos learned (see
    :meth:`RepeatMemo.learn`)."""

    file_index: int
    bare_markers: frozenset
    items: list
    end: bool
    config: Config
    number: int = 0
    run: str = ""
    learned: np.ndarray | None = None  # see RepeatMemo.learn


@dataclass
class Scanned:
    """One record after the per-record stages: a ``drop``, or the exact-dedup ``key`` and,
    with near dedup on, its LSH band ``keys`` and shingle ``hashes`` (None for a verbatim
    repeat of an earlier record that survived: it is an exact duplicate)."""

    record: Record
    drop: Drop | None
    key: bytes | None = None
    keys: np.ndarray | None = None
    hashes: np.ndarray | None = None


#: what a scan task returns: ``(file_index, end, results, seconds, facts)``; ``seconds`` the
#: time per stage (for the summary; never in an output file), ``facts`` what the worker read
#: (``lines`` and ``replaced_bytes`` of a block; empty for a :class:`ScanTask`)
ScanResult = tuple[int, bool, list[Scanned], dict[str, float], dict[str, int]]


def scan(task) -> ScanResult:
    """Run one scan task: a :class:`.blocks.BlockTask` (decode, repair and split the block,
    then the stages) or a :class:`ScanTask` (the stages). Pure up to the worker's
    :class:`RepeatMemo`, which never changes a result."""
    if isinstance(task, ScanTask):
        return scan_batch(task)
    t0 = time.perf_counter()
    items, lines, replaced = block_items(task)
    read = time.perf_counter() - t0
    file_index, end, out, seconds, _ = _scan_items(items, task.bare_markers, task.config,
                                                   (task.file_index, task.number),
                                                   task.file_index, task.end, task.run)
    seconds["read"] = read
    return file_index, end, out, seconds, {"lines": lines, "replaced_bytes": replaced}


def scan_packed(task) -> PackedScan:
    """:func:`scan`, its results packed for the run's process (:func:`.packed.pack`: the
    reject and spill lines rendered here, in the worker). The packing time counts as the
    ``write`` stage's. The worker's memo first learns what other workers learned
    (``task.learned``, see :class:`RepeatMemo`), and the texts that pass the stages here go
    back in ``packed.learned``."""
    memo = worker_memo(task.config, task.run)
    if memo is not None:
        memo.learn(task.learned)
        memo.start_learning()
    result = scan(task)
    t0 = time.perf_counter()
    packed = pack(result, task.config)
    if memo is not None:
        packed.learned = memo.learned()
    packed.seconds["write"] = packed.seconds.get("write", 0.0) + time.perf_counter() - t0
    return packed


def scan_batch(task: ScanTask) -> ScanResult:
    """Run the per-record stages over a batch of records read in the run's process."""
    return _scan_items(task.items, task.bare_markers, task.config,
                       (task.file_index, task.number), task.file_index, task.end, task.run)


def _scan_items(items: list, bare_markers: frozenset, config: Config, where: tuple,
                file_index: int, end: bool, run: str) -> ScanResult:
    """The per-record stages over one batch, stage by stage (each on the records the earlier
    ones kept, with its ``apply_batch`` when it has one), then the exact-dedup keys and the
    MinHash signatures of the survivors.

    A verbatim repeat (see :class:`RepeatMemo`) of a text whose outcome is known takes that
    outcome; only the stages registered with ``changes_text`` run on it again (those before
    the stage that dropped it, or all of them if it survived), so its record is the one a
    full run gives: the other stages return a record unchanged."""
    stages = build_stages(config, MarkerMatcher(bare_markers))
    infos = active_record_stages(config)
    order = {stage.name: i for i, stage in enumerate(stages)}
    changers = [i for i, info in enumerate(infos) if info.changes_text]
    seconds = dict.fromkeys([s.name for s in stages] + ["dedup"], 0.0)
    clock = time.perf_counter
    memo = worker_memo(config, run)
    out = [Scanned(record, drop) for record, drop in items]
    signs = [True] * len(out)  # whether each record needs a MinHash signature
    fresh: list[tuple[int, int | None, tuple]] = []  # (index, memo key, position): all stages
    repeats: list[tuple[int, Drop | None, int | None]] = []  # (index, known drop, first copy)
    first_copy: dict[int, int] = {}  # memo key -> index of its first fresh copy in the batch
    for index, item in enumerate(out):
        if item.drop is not None:
            continue
        position = (where, index)
        key = memo.key(item.record.text, bare_markers) if memo is not None else None
        found = memo.get(key) if memo is not None else None
        copy = first_copy.get(key) if key is not None else None
        if found is not None:
            known, first = found
            signs[index] = first >= position  # a copy that comes later is no exact duplicate
            repeats.append((index, known, None))
        elif copy is not None:
            signs[index] = False  # its first copy is earlier in this batch
            repeats.append((index, None, copy))
        else:
            fresh.append((index, key, position))
            if key is not None:
                first_copy[key] = index
    live = [index for index, _, _ in fresh]
    for stage in stages:
        if not live:
            break
        t0 = clock()
        batch = getattr(stage, "apply_batch", None)
        records = [out[i].record for i in live]
        results = batch(records) if batch is not None else [stage.apply(r) for r in records]
        seconds[stage.name] += clock() - t0
        still = []
        for i, result in zip(live, results, strict=True):
            if isinstance(result, Drop):
                out[i].drop = result
            else:
                out[i].record = result
                still.append(i)
        live = still
    if memo is not None:
        for index, key, position in fresh:
            memo.put(key, out[index].drop, position)
    for index, known, copy in repeats:
        if copy is not None:
            known = out[copy].drop
        # replay the text-changing stages the first copy went through
        last = order.get(known.stage, len(stages)) if known is not None else len(stages)
        record = out[index].record
        for i in changers:
            if i > last:
                break
            changes = getattr(stages[i], "changes", None)
            if changes is not None and not changes(record):
                continue
            t0 = clock()
            result = stages[i].apply(record)
            seconds[stages[i].name] += clock() - t0
            if isinstance(result, Drop):
                break
            record = result
        out[index].record, out[index].drop = record, known
    to_sign: list[Scanned] = []
    for item, sign in zip(out, signs):
        if item.drop is None:
            t0 = clock()
            item.key = dedup_key(item.record.text)
            seconds["dedup"] += clock() - t0
            if config.near_dedup and sign:
                to_sign.append(item)
    t0 = clock()
    if to_sign:
        bands, rows = choose_bands(config.near_threshold, config.num_perm)
        keys, hashes = sign_texts([i.record.text for i in to_sign], bands, rows, config.num_perm,
                                  config.minhash_seed, config.shingle_words, config.shingle_chars)
        for item, k, h in zip(to_sign, keys, hashes):
            item.keys, item.hashes = k, h
    seconds["dedup"] += clock() - t0
    return file_index, end, out, seconds, {}


def tag_kept(records: list[Record], config: Config, wanted: list[int],
             emitted: Emitted | None = None) -> Emitted:
    """Identify the language of kept ``records`` and render their ``clean.jsonl`` lines into
    ``emitted`` (a new :class:`.wire.Emitted` if None), with their counts, and the snippets
    of the records at positions ``wanted`` (they head duplicate clusters). Pure; runs in any
    worker, for every executor."""
    emitted = Emitted() if emitted is None else emitted
    t0 = time.perf_counter()
    tags = identify_languages([r.text for r in records], config)
    emitted.seconds += time.perf_counter() - t0
    rows: list[bytes] = []
    per_source, languages = emitted.kept_per_source, emitted.languages
    for record, (record.lang, record.lang_prob) in zip(records, tags):
        rows.append(clean_row(record))
        per_source[record.source] = per_source.get(record.source, 0) + 1
        lang = record.lang or "und"
        languages[lang] = languages.get(lang, 0) + 1
        count_markers(emitted.marker_engines, record)
    emitted.clean_rows.append(b"".join(rows))
    emitted.clean_count += len(rows)
    emitted.snippets += [(r.id, r.source, r.line, snippet(r.text))
                         for r in map(records.__getitem__, wanted)]
    return emitted


def tag_rows(task: tuple[Config, list[bytes], list[int]]) -> Emitted:
    """:func:`tag_kept` of survivors stored as spill lines (:class:`.spill.RecordSpill`).
    ``task``: ``(config, lines, wanted)``, ``wanted`` the positions in ``lines`` whose
    snippets the dedup report shows. Pure; runs in any worker."""
    config, lines, wanted = task
    return tag_kept([parse_row(line)[0] for line in lines], config, wanted)


def reject_duplicates(items, emitted: Emitted | None = None) -> Emitted:
    """Render the rejects of exact duplicates into ``emitted`` (a new one if None): ``items``
    are ``(record, drop)`` pairs, in order; each duplicate's cluster entry is kept
    (:func:`.report.cluster_member`). Pure."""
    emitted = Emitted() if emitted is None else emitted
    for record, drop in items:
        emitted.add_reject(record, drop, rejected_row(record, drop))
        if drop.duplicate_of is not None:
            emitted.members.append(cluster_member(record, drop))
    return emitted


def reject_rows(task: tuple) -> Emitted:
    """Render the rejects of exact duplicates stored as spill lines. ``task``: ``(config,
    lines, extras, ids, roots)``; an extra per line: the survivor number of the record it
    duplicates (its id in ``ids``; ``roots``: the near roots of those ids, see
    :func:`.stages.dedup.exact_drop`), or the fields of the :class:`~corpus_clean.records.Drop`
    the run's process decided for it (:func:`.ordered.duplicate_drop`). Pure; runs in any
    worker."""
    _, lines, extras, ids, roots = task
    items = []
    for line, extra in zip(lines, extras):
        record, _ = parse_row(line)
        items.append((record, Drop(*extra) if isinstance(extra, tuple)
                      else exact_drop(ids[extra], roots)))
    return reject_duplicates(items)
