"""The ordered half's backend for a Dask cluster (``--executor dask``): :class:`DaskBackend`.

The driver (:func:`.ordered.run_ordered`) and the rules it applies are the local executors';
this module only decides where the records live and how their keys meet.

With the local executors the driver holds the ordered half: the exact-dedup index (a dict of
every key), the near-dup index (band keys; shingle hashes spilled to a file) and the Jaccard
verification. Here records and everything computed from them stay on the workers, and the
driver sees only small per-batch facts, candidate pairs and, when it writes, one part of
records at a time. The steps (each a set of ``distributed`` futures):

1. **Scan** (:func:`_scan_on_workers`, the only code that touches scan tasks and
   :func:`.work.scan`): the tasks are main's (:func:`.tasks.scan_tasks`: blocks of bytes
   that the workers decode, repair and split, or batches of records for files that cannot be
   cut), so the workers read and run the per-record stages exactly as with the local
   executors. When the workers read the dump, they also cut it: an uncompressed file in
   stretches (:func:`.blocks.cut_block`), any other file whole on one
   worker (:func:`.tasks.file_tasks`, whose tasks stay there), and the workers read the
   files' heads too (:func:`.tasks.file_head`, :class:`_WorkersRead`), so the driver reads
   none of the dump. Each worker settles verbatim repeats with its own memo
   (:func:`.work.worker_memo`). The driver gets a :class:`.wire.ScanSummary` of each result
   (in input order), made on the worker (:func:`_head`), and accounts it as for the local
   executors. Records that reach dedup are numbered in input order
   (their *position*: files in sorted order, records in line order), so "first seen" is the
   smallest position. Consecutive tasks of about :data:`PART_RECORDS` records are scanned on
   one worker (round-robin) and joined there into a :class:`Part`, which stays on that
   worker (its *home*: every later task on it is asked to run there).
2. **Exact dedup, a shuffle by key hash**: each part sends ``(key, position, file, locator)``
   of its records to bucket ``low 64 bits of the key % buckets``; each bucket applies
   :func:`.stages.dedup.first_seen` and sends each duplicate's first ``(position, file, locator)``
   back to the part that holds it.
3. **Near dedup, a shuffle by band key**: the exact survivors are numbered in input order
   (the same numbers as :class:`.stages.neardup.NearDupIndex` gives them); each part sends
   ``(band, band key, number)`` of its survivors to bucket ``hash(band, key) % buckets``; each
   bucket forms candidate pairs with :func:`.stages.neardup.band_pairs` (all pairs, or a chain
   and a star for a bucket of more than ``MAX_BUCKET_ALL_PAIRS``); the driver takes the pairs
   (16 bytes each) and their distinct set (:func:`.stages.neardup.unique_pairs`), and sends
   each pair to the part holding its later record, which verifies it with the exact Jaccard
   similarity (:func:`.stages.neardup.jaccard`), fetching the shingle hashes of the earlier
   record from the part holding it (only records in candidate pairs are exported). Only
   ``(similarity, two lengths)`` per pair come back; the driver decides with
   :func:`.stages.neardup.decide_pairs`, the code :class:`NearDupIndex` runs.
4. **Emit**: every part's survivors are decided on its worker with the rules of
   :mod:`.ordered` (:func:`.ordered.survivor_drop`: the repeated short records,
   :meth:`.RepeatedLineFilter.frequent`, and the near decisions), the kept ones tagged and
   rendered there with :func:`.work.tag_kept` (all parts at once), then each part's exact
   duplicates (:func:`.ordered.duplicate_drop`); with a :class:`.shards.ShardStore` the
   worker writes the rows as shards itself (:func:`_stored`: the rejects of the scan per
   group, :func:`_write_scan`, then each part's emit and duplicates). The driver fetches the
   :class:`.wire.Emitted` batches (counts, shard names; without a store, the rows and the
   report's entries) one part at a time and accounts them as for the local executors. So
   the outputs are byte-identical to ``--executor local`` (the shards joined in name order).
5. **The dedup report**, with a store: each emit task renders its report entries (the
   kept records that head clusters, the removed duplicates) and keeps them
   (:func:`_rendered`); one task gathers them all from the workers and puts the clusters in
   report order with the driver's code (:func:`_plan_report`,
   :func:`.report.cluster_heads`), the driver gets only their counts for the summary
   (:meth:`.report.Report.take_cluster_counts`) and sends the summary back, and that worker
   writes ``dedup-report.json`` as a shard (:func:`_write_report`). No snippet and no
   entry per duplicate goes through the driver.

Why hand-made shuffles over futures rather than ``dask.bag.groupby`` or ``dask.dataframe``:
``dask.dataframe`` needs pandas and pyarrow (not in the ``dask`` extra); a bag's task shuffle
tokenizes (MD5) every element and moves one Python tuple per record, while these move NumPy
columns (24-40 bytes a record), hashed with the key itself (deterministic on every worker,
never Python's salted ``hash()``); ``foldby`` gathers all keys into one partition. The
all-to-all is ``parts x buckets`` small ``getitem`` tasks, and parts are joined scan results
so that the count stays moderate (about ``records / PART_RECORDS x 2 x worker threads``).

The repetition filter's counts stay on the driver: one entry per unique short record (<= 100
characters), counted in input order from the short records each task's summary carries; a
shuffle would save little and would need the same first-text order for ``stats.json``.

Memory of the driver, per record: nothing kept (each task's summary is dropped after it is
written and counted; the verbatim-repeat memos live in the workers). Per part: two integers.
Per candidate pair: 40 bytes (two 8-byte numbers, the similarity, two lengths). Per near
duplicate: its decision and its id (about 200 bytes). Per removed record: nothing when the
workers write (the report's entries are on the worker that writes it: about the report's
size there), else its cluster entry (about 200 bytes), as with the local executor. The Dask
scheduler (in this process with a ``LocalCluster``) keeps each scan task's input for as long
as its results are in use, so that a lost worker's results can be computed again: a block's
bytes as the driver read them (about the size of the text), or the records of a batch read
here; nothing much only once a task names a block the worker reads from storage itself.

Worker failure: every part is a future computed from the scan tasks, so the scheduler re-runs
what a dead worker held; the driver never holds the only copy of anything it still needs.
"""

from __future__ import annotations

import copy
import itertools
import operator
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import numpy as np

from ..config import Config
from ..output.report import (cluster_counts, cluster_heads, cluster_member, kept_entry,
                             removed_entry, report_chunks)
from ..output.shards import ShardStore
from ..reading.blocks import cut_block
from ..output.writer import rejected_row, removed_line_row
from ..records import Drop, locator_id, record_locator
from ..stages.dedup import first_seen, key_words
from ..stages.markers import marker_engine
from ..stages.neardup import band_pairs, decide_pairs, jaccard, unique_pairs
from ..stages.repetition import RepeatedLineFilter
from .ordered import duplicate_drop, near_of_kept, survivor_drop
from .tasks import file_head, file_tasks, scan_tasks
from .wire import DroppedFacts, Emitted, ScanSummary, document_lines
from .work import Scanned, ScanTask, reject_duplicates, scan, tag_batch, tag_kept

__all__ = ["DaskBackend", "dedup_on_cluster", "Part", "exact_shuffle", "near_pairs",
           "verify_pairs", "PART_RECORDS", "TASK_PREFIXES"]

#: records per part, about: consecutive scan tasks (eight blocks of the default 1 MiB, or 32
#: batches of 256 records) are scanned on one worker and joined there; a part is also one
#: shard of each output the workers write. Larger parts mean fewer tasks, and the scheduler's
#: messages about them are most of what the driver's sockets carry (2,048 records a part:
#: 11.3 MB for the 100 MB dump; 8,192: 8.3 MB, the same wall time; both with the report's
#: entries through the driver, as before they stayed on the workers)
PART_RECORDS = 8192
#: key prefixes of the tasks this module submits (for tests reading the scheduler's log)
TASK_PREFIXES = ("scan", "_head", "_make_part",
                 "_exact_split", "_exact_reduce", "_exact_mark", "getitem", "_near_split",
                 "_near_reduce", "_export", "_verify", "_kept_ids", "_emit_part",
                 "_reject_dups", "_write_scan", "_count", "_with_s_offset", "cut_block",
                 "file_tasks", "file_head", "_made_sizes", "_nth_task")

_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads (band, key) over buckets


# --- what lives on the workers -----------------------------------------------------------

@dataclass
class Part:
    """Consecutive records that reached dedup (input order), on one worker.

    ``offset``: position of the first (records that reached dedup, numbered in input order);
    ``first``: for each exact duplicate (index in the part), its first's ``(position, file,
    locator)`` (:func:`.records.record_locator`); ``copies``: indexes of records that have exact duplicates; ``s_offset``: the
    near-dup number of the part's first exact survivor.
    """

    offset: int
    records: list
    keys: list
    bands: list
    hashes: list
    files: list
    first: dict = field(default_factory=dict)
    copies: set = field(default_factory=set)
    s_offset: int = 0

    def __sizeof__(self) -> int:
        """Bytes, roughly (Dask's ``sizeof`` reads this to place tasks near their data: an
        underestimate would let the scheduler move whole parts to where small inputs are)."""
        return _records_size(self.records) + sum(
            (0 if b is None else b.nbytes) + (0 if h is None else h.nbytes)
            for b, h in zip(self.bands, self.hashes))

    def survivors(self) -> list[int]:
        """Indexes of the exact survivors, in order."""
        return [i for i in range(len(self.records)) if i not in self.first]


def _records_size(records) -> int:
    return sum(200 + 2 * len(r.text) for r in records)


def _register_sizes() -> None:
    """Teach Dask's ``sizeof`` the size of a :class:`.work.Scanned` (its text, band keys and
    shingle hashes), so that scan results count as big as they are (done on import, so in
    the worker processes too, which import this module to run its functions)."""
    try:
        from dask.sizeof import sizeof
    except ImportError:  # Dask is optional; without it this module is only read, not run
        return

    @sizeof.register(Scanned)
    def _scanned(item: Scanned) -> int:
        return (_records_size([item.record]) + (0 if item.keys is None else item.keys.nbytes)
                + (0 if item.hashes is None else item.hashes.nbytes))


_register_sizes()


def _head(result, max_chars: int, rows: bool = True) -> ScanSummary:
    """What the driver accounts of a scan result (:data:`.work.ScanResult`), made on the
    worker: the ``rejected.jsonl`` lines of the records dropped before dedup, rendered here
    (unless ``rows`` is false: the worker writes them, :func:`_write_scan`), with their
    counts; how many reach dedup; those of them short enough for the repetition counts."""
    file_index, end, items, seconds, facts = result
    drops, shorts, line_drops = [], [], []
    for item in items:
        record, drop = item.record, item.drop
        line_drops += (removed[1:3] for removed in record.removed or ())
        if drop is not None:
            drops.append(DroppedFacts(drop.stage, drop.reason, len(record.marker_lines),
                                      marker_engine(record)))
            continue
        text = record.text.strip()
        if len(text) <= max_chars:
            shorts.append((item.key, text))  # the repetition counts key by it
        if record.is_document:  # a page's document: its short lines count too
            shorts += ((None, line) for line in document_lines(record.text, max_chars))
    reject_rows, line_rows = _scan_rows([result]) if rows else ([], [])
    return ScanSummary(file_index, end, seconds, facts, len(items), b"".join(reject_rows),
                       drops, len(items) - len(drops), shorts, b"".join(line_rows), line_drops)


def _scan_rows(results) -> tuple[list[bytes], list[bytes]]:
    """The ``rejected.jsonl`` lines of the records that scan ``results`` dropped, and the
    ``removed-lines.jsonl`` lines of the lines removed from their documents, in order."""
    reject_rows, line_rows = [], []
    for _, _, items, _, _ in results:
        for item in items:
            record = item.record
            line_rows += (removed_line_row(record, removed) for removed in record.removed or ())
            if item.drop is not None:
                reject_rows.append(rejected_row(record, item.drop))
    return reject_rows, line_rows


def _write_scan(store: ShardStore, *results) -> Emitted:
    """Write the rows of :func:`_scan_rows` of one group's scan ``results`` as shards (the
    rejects before dedup, in input order); only the shards come back."""
    reject_rows, line_rows = _scan_rows(results)
    return _stored(Emitted(reject_rows=reject_rows, line_rows=line_rows), store)


def _stored(emitted: Emitted, store: ShardStore | None) -> Emitted:
    """``emitted`` with its rows written to ``store`` as shards (clean, rejected, removed
    lines) and only the shards and counts kept; ``emitted`` as it is without a store."""
    if store is None:
        return emitted
    for stem, rows, count in (("clean", emitted.clean_rows, emitted.clean_count),
                              ("rejected", emitted.reject_rows, len(emitted.reject_rows)),
                              ("removed-lines", emitted.line_rows, len(emitted.line_rows))):
        shard = store.write(stem, rows, count)
        if shard is not None:
            emitted.shards.append(shard)
    emitted.clean_rows, emitted.reject_rows, emitted.line_rows = [], [], []
    emitted.clean_count = 0
    return emitted


def _make_part(offset: int, *results) -> Part:
    """Join scan results (:data:`.work.ScanResult`) into a :class:`Part` of the records that
    reach dedup."""
    part = Part(offset, [], [], [], [], [])
    for file_index, _, items, _, _ in results:
        for item in items:
            if item.drop is None:
                item.record.dedup_key = item.key
                part.records.append(item.record)
                part.keys.append(item.key)
                part.bands.append(item.keys)
                part.hashes.append(item.hashes)
                part.files.append(file_index)
    return part


def _count(part: Part) -> int:
    return len(part.records) - len(part.first)


def _exact_split(part: Part, buckets: int) -> list[tuple]:
    """The part's ``(hi, lo, position, file, locator)`` columns (the locator: the line, and a
    paragraph record's number, :func:`.records.record_locator`), cut by ``lo % buckets``."""
    hi, lo = key_words(part.keys)
    pos = np.arange(part.offset, part.offset + len(part.records), dtype=np.int64)
    files = np.asarray(part.files, dtype=np.int32)
    lines = np.asarray([record_locator(r) for r in part.records], dtype=np.int64)
    dest = (lo % np.uint64(buckets)).astype(np.int64)
    return [tuple(col[dest == b] for col in (hi, lo, pos, files, lines)) for b in range(buckets)]


def _exact_reduce(offsets: np.ndarray, *pieces) -> list[tuple]:
    """One bucket of the exact shuffle: first seen per key (:func:`first_seen`); per part
    (``offsets``: each part's first position), ``(positions, first positions, first files,
    first lines)`` of its duplicates and the positions of its records that have copies."""
    hi, lo, pos, files, lines = (np.concatenate([p[c] for p in pieces]) for c in range(5))
    first = first_seen(hi, lo, pos)
    dup = first != np.arange(len(pos))
    d_pos, f = pos[dup], first[dup]
    d_first = (pos[f], files[f], lines[f])
    heads = np.unique(pos[f])
    order = np.argsort(d_pos, kind="stable")
    cols = [d_pos[order]] + [c[order] for c in d_first]
    d_cut = np.searchsorted(cols[0], offsets)  # where each part's positions start
    h_cut = np.searchsorted(heads, offsets)
    d_cut, h_cut = np.append(d_cut, len(order)), np.append(h_cut, len(heads))
    return [tuple(c[d_cut[p]:d_cut[p + 1]] for c in cols) + (heads[h_cut[p]:h_cut[p + 1]],)
            for p in range(len(offsets))]


def _exact_mark(part: Part, *pieces) -> Part:
    """The part with its exact duplicates and the records that have copies marked."""
    marked = Part(part.offset, part.records, part.keys, part.bands, part.hashes, part.files)
    for d_pos, f_pos, f_file, f_line, heads in pieces:
        for p, fp, ff, fl in zip(d_pos.tolist(), f_pos.tolist(), f_file.tolist(),
                                 f_line.tolist()):
            marked.first[p - part.offset] = (fp, ff, fl)
        marked.copies.update(h - part.offset for h in heads.tolist())
    return marked


def _with_s_offset(part: Part, s_offset: int) -> Part:
    out = Part(part.offset, part.records, part.keys, part.bands, part.hashes, part.files,
               part.first, part.copies)
    out.s_offset = s_offset
    return out


def _near_split(part: Part, buckets: int) -> list[tuple]:
    """The part's survivors' ``(band, band key, number)`` columns, cut by bucket."""
    surv = part.survivors()
    if not surv:
        empty = (np.zeros(0, np.uint8), np.zeros(0, np.uint64), np.zeros(0, np.int64))
        return [empty] * buckets
    keys = np.stack([part.bands[i] for i in surv]).astype(np.uint64)  # (n, bands)
    n, bands = keys.shape
    band = np.tile(np.arange(bands, dtype=np.uint8 if bands < 256 else np.uint16), n)
    key = keys.reshape(-1)
    num = np.repeat(np.arange(part.s_offset, part.s_offset + n, dtype=np.int64), bands)
    with np.errstate(over="ignore"):
        dest = ((key ^ (band.astype(np.uint64) * _BAND_MIX)) % np.uint64(buckets)).astype(np.int64)
    return [(band[dest == b], key[dest == b], num[dest == b]) for b in range(buckets)]


def _near_reduce(total: int, *pieces) -> np.ndarray:
    """One bucket of the band-key shuffle: its candidate pairs (:func:`band_pairs` per band,
    :func:`unique_pairs`), shape ``(k, 2)``."""
    band, key, num = (np.concatenate([p[c] for p in pieces]) for c in range(3))
    found = []
    for j in np.unique(band):
        m = band == j
        k, s = key[m], num[m]
        order = np.argsort(s, kind="stable")  # band_pairs wants numbers ascending
        found.append(band_pairs(k[order], s[order]))
    a, b = unique_pairs(found, max(total, 1))
    return np.stack([a, b], axis=1)


def _export(part: Part, numbers: np.ndarray) -> dict[int, tuple]:
    """``{number: (shingle hashes, text length)}`` of the part's survivors ``numbers``."""
    surv = part.survivors()
    return {int(s): (part.hashes[surv[int(s) - part.s_offset]],
                     len(part.records[surv[int(s) - part.s_offset]].text))
            for s in numbers}


def _verify(part: Part, a: np.ndarray, b: np.ndarray, *exports) -> tuple:
    """Verify candidate pairs whose record ``b`` is in ``part``: ``(jaccard, len_a, len_b)``
    arrays (``a`` from ``exports``)."""
    surv = part.survivors()
    got: dict = {}
    for e in exports:
        got.update(e)
    sims = np.empty(len(a), np.float64)
    la = np.empty(len(a), np.int64)
    lb = np.empty(len(a), np.int64)
    for k, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        hx, la[k] = got[x]
        iy = surv[y - part.s_offset]
        sims[k] = jaccard(part.hashes[iy], hx)
        lb[k] = len(part.records[iy].text)
    return sims, la, lb


def _kept_ids(part: Part, numbers: list[int], frequent: RepeatedLineFilter) -> dict:
    """``{number: id}`` of the survivors ``numbers`` that are not dropped as repeated."""
    surv = part.survivors()
    out = {}
    for s in numbers:
        record = part.records[surv[s - part.s_offset]]
        if not isinstance(frequent.apply(record), Drop):
            out[s] = record.id
    return out


def _emit_part(part: Part, frequent: RepeatedLineFilter, near: dict, wanted: set,
               config: Config, store: ShardStore | None) -> tuple[Emitted, tuple]:
    """The part's survivors in order (:func:`.ordered.survivor_drop`; ``near``: ``{number:
    (kept id, similarity)}`` of its near duplicates), rejected or tagged and rendered here
    (:func:`.work.tag_kept`), with the snippets of the kept ones that head clusters (near
    roots ``wanted``, records with exact copies); written here as shards to ``store`` when
    there is one (:func:`_stored`), and then the report's entries are kept here
    (:func:`_rendered`)."""
    emitted, kept, heads = Emitted(), [], []
    for n, i in enumerate(part.survivors(), part.s_offset):
        record = part.records[i]
        if record.is_document:  # a document may lose lines: never change the part
            record = copy.copy(record)
        removed = len(record.removed or [])  # reported with the scan already
        drop = survivor_drop(record, frequent, near.get(n), config.near_threshold)
        if drop is None:
            emitted.add_removed_lines(record, removed)
            if n in wanted or i in part.copies:
                heads.append(len(kept))
            kept.append(record)
            continue
        emitted.add_reject(record, drop, rejected_row(record, drop))
        if drop.duplicate_of is not None:
            emitted.members.append(cluster_member(record, drop))
            emitted.near_roots.append((record.id, drop.duplicate_of, drop.similarity))
    size = tag_batch(config)
    for start in range(0, len(kept), size):
        chunk = kept[start:start + size]
        tag_kept(chunk, config, [h - start for h in heads if start <= h < start + len(chunk)],
                 emitted)
    return _rendered(_stored(emitted, store), store)


def _reject_dups(part: Part, frequent: RepeatedLineFilter, near_root: dict, sources: list,
                 store: ShardStore | None) -> tuple[Emitted, tuple]:
    """The part's exact duplicates in order, rejected by :func:`.ordered.duplicate_drop`
    (``near_root``: near duplicate id -> (kept id, similarity), of the whole run; ``sources``:
    the run's file names) and rendered here; written as shards to ``store`` when there is
    one, the report's entries kept here (:func:`_rendered`)."""
    return _rendered(_stored(reject_duplicates(
        (part.records[i], duplicate_drop(part.records[i], locator_id(sources[f_file], f_line),
                                         frequent, near_root))
        for i, (_, f_file, f_line) in sorted(part.first.items())), store), store)


def _rendered(emitted: Emitted, store: ShardStore | None) -> tuple[Emitted, tuple]:
    """``(emitted, entries)``: with a ``store``, the dedup report's entries of ``emitted``
    rendered here (:func:`.report.kept_entry` for the kept records that head clusters,
    :func:`.report.removed_entry` for the removed duplicates) and taken out of it: they stay
    on this worker for the one that writes the report (:func:`_plan_report`), and the driver
    gets no snippet. ``entries``: ``(heads, members)``, ``[(kept id, (source, line,
    rendered))]`` and ``[(kept id, (source, line, rendered, kind, similarity))]``. Without a
    store, ``emitted`` as it is and no entries (the driver writes the report)."""
    if store is None:
        return emitted, ((), ())
    heads = [(rid, (source, line, kept_entry(rid, source, line, text)))
             for rid, source, line, text in emitted.snippets]
    members = [(kept_id, (source, line, removed_entry(source, line, text, kind, similarity),
                          kind, similarity))
               for kept_id, source, line, text, kind, similarity in emitted.members]
    emitted.snippets, emitted.members = [], []
    return emitted, (heads, members)


def _plan_report(*batches: tuple[Emitted, tuple]) -> tuple[tuple, dict]:
    """The dedup report's clusters from the entries of every emit batch, in the run's emit
    order (:func:`_rendered`), put in report order as the driver would
    (:func:`.report.cluster_heads`): ``((heads, clusters), counts)``, ``counts`` the
    summary's :func:`.report.cluster_counts` (for the driver). Memory: the report's entries
    (about the size of the report)."""
    clusters: dict[str, list] = {}
    kept: dict[str, tuple] = {}
    for _, (heads, members) in batches:
        kept.update(heads)
        for kept_id, member in members:
            clusters.setdefault(kept_id, []).append(member)
    heads = cluster_heads(clusters, kept)
    return (heads, clusters), cluster_counts(heads, clusters)


def _write_report(store: ShardStore, top: bytes, plan: tuple):
    """Write ``dedup-report.json`` (its summary ``top``, from the driver:
    :meth:`.report.Report.dedup_top`; the clusters of :func:`_plan_report`) to ``store`` as a
    shard of its own, stem ``dedup-report``."""
    heads, clusters = plan[0]
    entries = ((text if isinstance(text, bytes) else kept_entry(kept_id, source, line, text),
                [r[2] for r in clusters[kept_id]]) for kept_id, source, line, text in heads)
    return store.write("dedup-report", report_chunks(top, entries), len(heads), empty=True,
                       document=True)


# --- the driver ----------------------------------------------------------------------------

class _Cluster:
    """Submitting to the executor's client, each part's tasks on the part's *home* worker.

    The scan tasks of one part are scanned on one worker (its home, chosen round-robin per
    group of tasks, see :func:`_scan_on_workers`), and every later task on the part is asked to
    run there too, so a part is never moved between workers. The wish is loose
    (``allow_other_workers``): if the home worker dies, its tasks run elsewhere and the
    scheduler computes the lost data again.
    """

    def __init__(self, executor):
        self.executor = executor
        self.client = executor.client
        self.homes: dict[str, str] = {}  # part future key -> home worker address
        self._workers: list[str] = []

    def submit(self, fn, *args, home: str | None = None, priority: int = 0,
               counted: bool = False):
        if home is None:
            return self.executor.submit(fn, *args, priority=priority, counted=counted)
        return self.executor.submit(fn, *args, workers=[home], allow_other_workers=True,
                                    priority=priority, counted=counted)

    def on(self, fn, part, *args):
        """``fn(part, *args)`` on the part's home worker; a part result stays at home."""
        home = self.homes.get(part.key)
        future = self.submit(fn, part, *args, home=home)
        if home is not None:
            self.homes[future.key] = home
        return future

    def counted(self, fn, task, home: str | None = None):
        """Submit a task the progress display counts (as DaskExecutor.map does)."""
        return self.submit(fn, task, home=home, counted=True)

    def home(self, group: int) -> str:
        """The home worker of part ``group`` (round-robin over the workers there are now)."""
        if not self._workers or group % len(self._workers) == 0:
            self._workers = sorted(self.client.nthreads())
        return self._workers[group % len(self._workers)]

    def buckets(self) -> int:
        return max(2, 2 * self.executor.workers)



def _scan_on_workers(cluster: _Cluster, files, config: Config, report, done: list,
                     rows: bool = True) -> Iterator[ScanSummary]:
    """Phase 1: scan on the workers; yield each result's summary (:func:`_head`; with the
    rows of its rejects unless ``rows`` is false) in input order, and append a
    :class:`_Scanned` of each to ``done``; the tasks of one
    group (about :data:`PART_RECORDS` records, :func:`_task_records`) are scanned on one
    worker and become one part.

    The only code that knows scan tasks and :func:`.work.scan`'s result (see
    :data:`.work.ScanResult`); tasks come from :func:`.tasks.scan_tasks` (blocks the workers
    decode and split, or batches read here) as for the local executors, and each worker
    settles verbatim repeats with its own memo (:func:`.work.worker_memo`), so the results are
    theirs whatever worker runs a task.
    """
    run = uuid.uuid4().hex  # a worker's memo of verbatim repeats serves one run only
    # in flight: the tasks of at least two groups per worker thread, so that all are busy
    groups_in_flight = 2 * cluster.executor.workers
    window = cluster.executor._window
    heads: deque = deque()  # (head future, scan future, home, group)

    def next_head() -> ScanSummary:
        head, scan_future, home, group = heads.popleft()
        summary = head.result()
        done.append(_Scanned(scan_future, summary.reached, home, group,
                             len(summary.drops) + len(summary.line_drops)))
        return summary

    remote = _WorkersRead(cluster, files, config, run) \
        if cluster.executor.workers_read(files) else None
    group, in_group, home = 0, 0, None
    for task in scan_tasks(files, config, report, run, remote=remote):
        if home is None or in_group >= PART_RECORDS:  # a new group, on the next worker
            group, in_group = (group + 1 if home is not None else 0), 0
            home = cluster.home(group)
        in_group += _task_records(task)
        scan_future = cluster.counted(
            scan, task.future if isinstance(task, _Elsewhere) else task, home)
        heads.append((cluster.submit(_head, scan_future, config.repeat_max_chars, rows,
                                     home=home), scan_future, home, group))
        # bounded: the scheduler holds the tasks in flight (waits for the oldest head)
        while heads and (len(heads) >= window if window
                         else group - heads[0][3] >= groups_in_flight):
            yield next_head()
    while heads:
        yield next_head()


#: bytes of a block counted as one record when blocks are grouped into parts (the
#: ``make_dump.py`` dumps' records average 1,150 bytes)
RECORD_BYTES = 1024


class _Scanned(NamedTuple):
    """A scan result kept on the workers: its future, how many of its records reach dedup,
    the worker it was scanned on (its group's home), its group (a part to be), and how many
    rows of rejects and removed lines it has (written by :func:`_write_scan`)."""

    future: object
    reached: int
    home: str
    group: int
    rows: int


class _WorkersRead:
    """The workers read the dump (:class:`.tasks.RemoteReading`): its tasks run ahead of the
    scan tasks queued (a higher priority), and the heads of the next few files are read
    while the driver waits for a file's cuts."""

    #: files whose heads are read ahead, per worker thread
    HEADS_AHEAD = 2

    def __init__(self, cluster: _Cluster, files: list, config: Config, run: str):
        self.cluster, self.files, self.config, self.run = cluster, files, config, run
        self._heads: dict[int, object] = {}

    def head(self, index: int):
        ahead = self.HEADS_AHEAD * self.cluster.executor.workers
        for i in range(index, min(index + ahead, len(self.files))):
            if i not in self._heads:
                self._heads[i] = self.cluster.submit(file_head, self.files[i], self.config,
                                                     priority=1)
        return self._heads.pop(index).result()

    def cut(self, tasks: list) -> list:
        return self.cluster.client.gather([self.cluster.submit(cut_block, t, priority=1)
                                           for t in tasks])

    def read(self, file, index: int) -> tuple:
        cluster = self.cluster
        made = cluster.submit(file_tasks, file, index, self.config, self.run, priority=1)
        info, sizes = cluster.submit(_made_sizes, made, priority=1).result()
        return info, [_Elsewhere(cluster.submit(_nth_task, made, k, priority=1), size)
                      for k, size in enumerate(sizes)]


@dataclass
class _Elsewhere:
    """A scan task made on a worker (:func:`.tasks.file_tasks`): the future of it, and its
    records (:func:`_task_records`)."""

    future: object
    records: int


def _made_sizes(made: tuple) -> tuple:
    """``(FileInfo, records of each task)`` of :func:`.tasks.file_tasks`' result."""
    info, tasks = made
    return info, [_task_records(t) for t in tasks]


def _nth_task(made: tuple, k: int):
    return made[1][k]


def _task_records(task) -> int:
    """Records in a scan task, estimated for a block (:data:`RECORD_BYTES`)."""
    if isinstance(task, _Elsewhere):
        return task.records
    if isinstance(task, ScanTask):
        return len(task.items)
    if task.block.span is not None and not task.block.parts:
        size = task.block.span[1]  # a block the worker reads itself
    else:
        size = sum(len(p) if isinstance(p, bytes) else 1 for p in task.block.parts)
    return max(1, size // RECORD_BYTES)


def _make_parts(cluster: _Cluster, scanned: list) -> list:
    """Join the scan results of each group (scanned on one worker) into a part, on that
    worker; returns the part futures and their first positions (the records that reach dedup
    numbered from 0 in input order). Parts with no such record are left out."""
    parts, offsets, offset = [], [], 0
    for _, run in itertools.groupby(scanned, key=operator.attrgetter("group")):
        run = list(run)
        size = sum(s.reached for s in run)
        if not size:
            continue
        home = run[0].home
        part = cluster.submit(_make_part, offset, *[s.future for s in run if s.reached],
                              home=home)
        cluster.homes[part.key] = home
        parts.append(part)
        offsets.append(offset)
        offset += size
    return parts, np.asarray(offsets, np.int64)


def _all_to_all(cluster: _Cluster, splits: list, reduce_fn, buckets: int, *args) -> list:
    """Bucket ``b`` of each split goes to reduce task ``b``: ``reduce_fn(*args, *pieces)``."""
    return [cluster.submit(reduce_fn, *args,
                           *[cluster.submit(operator.getitem, s, b) for s in splits])
            for b in range(buckets)]


def exact_shuffle(cluster: _Cluster, parts: list, offsets: np.ndarray) -> list:
    """Exact dedup as a shuffle by key hash: returns the parts with their duplicates marked."""
    buckets = cluster.buckets()
    splits = [cluster.on(_exact_split, p, buckets) for p in parts]
    reduced = _all_to_all(cluster, splits, _exact_reduce, buckets, offsets)
    return [cluster.on(_exact_mark, p, *[cluster.submit(operator.getitem, r, i) for r in reduced])
            for i, p in enumerate(parts)]


def near_pairs(cluster: _Cluster, parts: list, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(a, b)``, ``a < b``, of the ``total`` exact survivors (numbers as
    :class:`.NearDupIndex` gives them), from the band-key shuffle."""
    buckets = cluster.buckets()
    splits = [cluster.on(_near_split, p, buckets) for p in parts]
    reduced = _all_to_all(cluster, splits, _near_reduce, buckets, total)
    found = [pairs for pairs in cluster.client.gather(reduced)]
    return unique_pairs(found, max(total, 1))


def verify_pairs(cluster: _Cluster, parts: list, s_offsets: np.ndarray, a: np.ndarray,
                 b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact Jaccard of each pair on the workers: ``(similarity, len_a, len_b)`` arrays."""
    part_a = np.searchsorted(s_offsets, a, side="right") - 1
    part_b = np.searchsorted(s_offsets, b, side="right") - 1
    exports = {int(i): cluster.on(_export, parts[int(i)], np.unique(a[part_a == i]))
               for i in np.unique(part_a)}
    sims = np.empty(len(a), np.float64)
    la = np.empty(len(a), np.int64)
    lb = np.empty(len(a), np.int64)
    jobs = []
    for j in np.unique(part_b).tolist():
        m = np.flatnonzero(part_b == j)
        sources = [exports[int(i)] for i in np.unique(part_a[m])]
        jobs.append((m, cluster.on(_verify, parts[j], a[m], b[m], *sources)))
    for m, job in jobs:
        sims[m], la[m], lb[m] = job.result()
    return sims, la, lb


class DaskBackend:
    """:class:`.ordered.OrderedBackend` on ``executor``'s Dask cluster (see the module
    docstring): records stay on the workers, keys meet in shuffles. With a ``store``
    (:class:`.shards.ShardStore`) the workers write every output row there as shards and the
    driver gets only the shards' names and the counts (:func:`_stored`); without one the
    rows come to the driver, which writes them."""

    def __init__(self, executor, files: list, config: Config, report,
                 store: ShardStore | None = None):
        self.cluster = _Cluster(executor)
        self.files, self.config, self.report, self.store = files, config, report, store
        self.done: list[_Scanned] = []
        self.parts: list = []
        self.scan_rows: list = []  # futures of the scan's shards (_write_scan), in order
        self.s_offsets = np.zeros(0, np.int64)
        self.near: dict[int, tuple[str, float]] = {}  # number -> (kept id, similarity)
        self.wanted: set[int] = set()
        self.batches: list = []  # futures of the emit tasks, whose report entries stay there

    def scan(self) -> Iterator[ScanSummary]:
        return _scan_on_workers(self.cluster, self.files, self.config, self.report, self.done,
                                rows=self.store is None)

    def scanned(self, summary: ScanSummary, info) -> None:
        """Nothing to journal: scan results stay on the workers."""

    def decide(self, repetition: RepeatedLineFilter) -> tuple[int, int] | None:
        """Have the rows of the scan's rejects written (with a store), join the scan results
        into parts, dedup them on the cluster, and find which near roots are kept (not
        repeated lines), on their workers."""
        cluster = self.cluster
        if self.store is not None:
            for _, run in itertools.groupby(self.done, key=operator.attrgetter("group")):
                run = [s for s in run if s.rows]
                if run:
                    self.scan_rows.append(cluster.submit(
                        _write_scan, self.store, *[s.future for s in run], home=run[0].home))
        parts, offsets = _make_parts(cluster, self.done)
        self.done = []  # the parts hold the records now
        parts, s_offsets, removed, pairs = dedup_on_cluster(cluster, parts, offsets,
                                                            self.config)
        self.parts, self.s_offsets = parts, s_offsets
        self.frequent = cluster.client.scatter(repetition.frequent(), broadcast=True,
                                               hash=False)
        if parts:
            kept_ids: dict[int, str] = {}
            wanted = {kept for kept, _ in removed.values()}
            for found in cluster.client.gather([
                    cluster.on(_kept_ids, parts[i], numbers, self.frequent)
                    for i, numbers in _part_of(s_offsets, wanted).items()]):
                kept_ids.update(found)
            removed = near_of_kept(removed, set(kept_ids))
            self.near = {i: (kept_ids[k], sim) for i, (k, sim) in removed.items()}
            self.wanted = set(kept_ids)
        return pairs

    def emit_survivors(self, repetition: RepeatedLineFilter) -> Iterator[Emitted]:
        """The shards of the scan's rejects (with a store), then every part's survivors,
        decided, tagged and rendered (or written) on its worker (all parts at once, so all
        workers tag at the same time); the results come one part at a time, in order."""
        cluster, config = self.cluster, self.config
        by_part = _part_of(self.s_offsets, self.near)
        mine = _part_of(self.s_offsets, self.wanted)
        emitted = self._emitting([
            cluster.on(_emit_part, part, self.frequent,
                       {s: self.near[s] for s in by_part.get(i, [])},
                       set(mine.get(i, [])), config, self.store)
            for i, part in enumerate(self.parts)])
        scan_rows, self.scan_rows = deque(self.scan_rows), []
        while scan_rows:
            yield scan_rows.popleft().result()
        yield from emitted

    def emit_duplicates(self, repetition: RepeatedLineFilter,
                        near_root: dict[str, tuple[str, float]]) -> Iterator[Emitted]:
        """Every part's exact duplicates, decided and rendered (or written) on its worker
        (:func:`_reject_dups`), one part at a time, in order."""
        client = self.cluster.client
        if not self.parts:
            return
        roots, sources = client.scatter([near_root, [f.source for f in self.files]],
                                        broadcast=True, hash=False)
        yield from self._emitting([
            self.cluster.on(_reject_dups, part, self.frequent, roots, sources, self.store)
            for part in self.parts])
        if self.store is not None:  # the report's clusters are on the workers
            plan = self.cluster.submit(_plan_report, *self.batches)
            self.batches = []
            self.report.take_cluster_counts(
                self.cluster.submit(operator.getitem, plan, 1).result())
            # every batch is accounted: the summary is complete
            task = self.cluster.submit(_write_report, self.store, self.report.dedup_top(), plan)
            yield Emitted(shards=[task.result()])

    def _emitting(self, tasks: list) -> Iterator[Emitted]:
        """The :class:`.wire.Emitted` of each emit task (``(Emitted, entries)``, see
        :func:`_rendered`), in order, each let go once taken. With a store the entries stay
        on the task's worker: the task is kept for the report's writer (:attr:`batches`, in
        batch order) and only its ``Emitted`` comes here, taken out on that worker."""
        whole = self.store is None
        if not whole:
            self.batches += tasks
            tasks = [self.cluster.on(operator.getitem, task, 0) for task in tasks]
        return _one_by_one(deque(tasks), whole)


def _one_by_one(futures: deque, pairs: bool) -> Iterator:
    """The results of ``futures`` in order (the first item of each when ``pairs``), each
    future let go once its result is taken."""
    while futures:
        got = futures.popleft().result()
        yield got[0] if pairs else got


def dedup_on_cluster(cluster: _Cluster, parts: list, offsets: np.ndarray, config: Config):
    """Exact then near dedup of ``parts`` (futures of :class:`Part`, first positions
    ``offsets``): ``(parts, s_offsets, removed, near_pairs)``: the parts with duplicates
    marked and survivors numbered (the first number of each in ``s_offsets``), the near
    decisions ``{number: (kept number, jaccard)}`` as :meth:`.NearDupIndex.decide` returns
    them, and ``(candidate pairs, verified pairs)`` (None without near dedup)."""
    if not parts:
        return parts, np.zeros(0, np.int64), {}, (0, 0) if config.near_dedup else None
    parts = exact_shuffle(cluster, parts, offsets)
    counts = cluster.client.gather([cluster.on(_count, p) for p in parts])
    s_offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    total = int(sum(counts))
    parts = [cluster.on(_with_s_offset, p, int(s)) for p, s in zip(parts, s_offsets)]
    if not config.near_dedup:
        return parts, s_offsets, {}, None
    if total < 2:
        return parts, s_offsets, {}, (0, 0)
    a, b = near_pairs(cluster, parts, total)
    if not len(a):
        return parts, s_offsets, {}, (0, 0)
    sims, la, lb = verify_pairs(cluster, parts, s_offsets, a, b)
    removed, verified = decide_pairs(a, b, la, lb, config.keep, config.near_threshold,
                                     lambda later, first, k: float(sims[k]))
    return parts, s_offsets, removed, (len(a), verified)


def _part_of(s_offsets: np.ndarray, numbers) -> dict[int, list[int]]:
    """``{part index: [numbers]}``."""
    out: dict[int, list[int]] = {}
    for s in sorted(numbers):
        out.setdefault(int(np.searchsorted(s_offsets, s, side="right") - 1), []).append(s)
    return out
