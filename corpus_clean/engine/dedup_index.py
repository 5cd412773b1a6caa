"""A dedup index of earlier runs: records kept by runs before this one, looked up on disk.

A cron job that cleans each day's dump with ``--index INDEX_DIR`` dedups it against every
record kept by the runs the index holds, exact and near (the same normal form, shingles,
MinHash LSH bands and exact Jaccard verification as within a run,
:mod:`corpus_clean.stages.neardup`), and, once the run has completed, adds the records it
kept (not with ``--index-readonly``).

**Layout.** ``INDEX_DIR/manifest.json`` (format, settings, the segments in run order) and one
directory per segment under ``INDEX_DIR/segments/``, immutable once written:

* ``exact_hi.npy``, ``exact_lo.npy``, ``exact_rec.npy``: the 128-bit exact-dedup keys
  (:func:`corpus_clean.stages.dedup.dedup_key`) as two ``uint64`` words, sorted, and the
  record each belongs to (``int64``);
* ``bands.npy`` (``uint64``, ``(bands, records)``: each band's keys sorted) and
  ``band_rec.npy`` (``int32``, the record of each), for LSH candidates;
* ``shingles.npy`` (``uint32``: every record's shingle hashes, concatenated) and
  ``shingle_offsets.npy`` (``int64``, records + 1), for exact Jaccard verification;
* ``ids.bin`` and ``id_offsets.npy``: the records' ids, UTF-8 (with ``surrogateescape``),
  concatenated.

The key arrays are opened memory-mapped (``numpy.load(mmap_mode="r")``): a look-up reads
the pages of a binary search (``log2(records)`` per key) and the shingles of its candidates,
never the whole index. On disk a record costs 16 + 8 bytes of exact key, ``12 * bands`` bytes of
band keys (252 for the default 21 bands), 4 bytes per shingle (about 4 x its characters for
character 5-grams) and its id: 3.3 KB a record on ``make_dump.py`` dumps
(``bench/bench_index.py``). In memory: a batch of queries' band keys, and the shingles being
verified, read from the files (``pread``), not mapped.

**Atomic updates.** A new segment is written into ``INDEX_DIR/tmp-<random>/`` and renamed into
``segments/``; then the manifest is replaced (written to ``manifest.json.tmp``, flushed,
``os.replace``). A run that fails or is killed at any point leaves the manifest as it was,
so the index is the old one, whole; a segment directory the manifest does not name is
ignored (and removed by ``corpus-clean index compact``).

**Settings.** The manifest records what decides whether two texts are duplicates: the
normal form's version, ``shingle_words``, ``shingle_chars``, ``num_perm``, the bands and
rows, ``minhash_seed``, ``near_threshold`` and ``near_dedup``. A run with other settings is
refused with one line naming the ones that differ.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..config import Config
from ..errors import InputError
from ..stages.dedup import key_words
from ..stages.neardup import choose_bands, jaccard

__all__ = ["INDEX_FORMAT", "NORMAL_FORM", "DedupIndex", "Seen", "index_settings", "IndexError_"]

#: the format of ``manifest.json`` and the segments this version reads and writes
INDEX_FORMAT = 1
#: the version of the exact-dedup normal form and shingling (bump when either changes)
NORMAL_FORM = 1
MANIFEST = "manifest.json"
#: queries looked up in the band keys at once (their band keys: 168 bytes each by default)
QUERY_BATCH = 1 << 16
_ARRAYS = ("exact_hi", "exact_lo", "exact_rec", "bands", "band_rec", "shingles",
           "shingle_offsets", "id_offsets")


class IndexError_(InputError):
    """The index cannot be used: missing, corrupt, of a newer format, other settings."""


def index_settings(config: Config) -> dict:
    """The settings an index records (see the module docstring)."""
    bands, rows = choose_bands(config.near_threshold, config.num_perm)
    return {"normal_form": NORMAL_FORM, "near_dedup": config.near_dedup,
            "shingle_words": config.shingle_words, "shingle_chars": config.shingle_chars,
            "num_perm": config.num_perm, "bands": bands, "rows": rows,
            "minhash_seed": config.minhash_seed, "near_threshold": config.near_threshold}


@dataclass(frozen=True, slots=True)
class Seen:
    """A record of this run found in the index: the earlier record's ``id``, its ``run``,
    and the Jaccard similarity in [0, 1] (None for an exact duplicate)."""

    id: str
    run: str
    similarity: float | None


class _Segment:
    """One segment, its arrays memory-mapped."""

    def __init__(self, path: Path, run: str, records: int, compacted: bool = False):
        self.path, self.run, self.records, self.compacted = path, run, records, compacted
        self._fd: int | None = None
        try:
            arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                      for name in _ARRAYS}
            self.ids = np.memmap(path / "ids.bin", dtype=np.uint8, mode="r") \
                if (path / "ids.bin").stat().st_size else np.zeros(0, np.uint8)
        except (OSError, ValueError) as exc:
            raise IndexError_(f"{path}: a segment of the dedup index cannot be read ({exc}); "
                              f"restore it or remove run {run!r} from the index") from None
        for name, value in arrays.items():
            setattr(self, name, value)
        n = records
        ok = (len(self.exact_hi) == len(self.exact_lo) == len(self.exact_rec) == n
              and self.bands.ndim == 2 and self.bands.shape[1] == n
              and self.band_rec.shape == self.bands.shape
              and len(self.shingle_offsets) == n + 1 and len(self.id_offsets) == n + 1
              and (n == 0 or (int(self.shingle_offsets[-1]) == len(self.shingles)
                              and int(self.id_offsets[-1]) == len(self.ids))))
        if not ok:
            raise IndexError_(f"{path}: a segment of the dedup index is corrupt (its arrays "
                              f"do not hold {n:,} records); restore it or remove run {run!r} "
                              "from the index")

    def id(self, rec: int) -> str:
        """The stored id of record ``rec`` (``run NUL id`` in a compacted segment)."""
        start, end = int(self.id_offsets[rec]), int(self.id_offsets[rec + 1])
        return bytes(self.ids[start:end]).decode("utf-8", "surrogateescape")

    def who(self, rec: int) -> tuple[str, str]:
        """``(run, id)`` of record ``rec``."""
        stored = self.id(rec)
        if self.compacted:
            run, _, rid = stored.partition("\x00")
            return run, rid
        return self.run, stored

    def shingles_of(self, rec: int) -> np.ndarray:
        """The shingle hashes of record ``rec``: read from the file (a read, not the memory
        map: a look-up that verifies many candidates leaves none of its pages mapped)."""
        start, end = int(self.shingle_offsets[rec]), int(self.shingle_offsets[rec + 1])
        if self._fd is None:
            self._fd = os.open(self.path / "shingles.npy", os.O_RDONLY)
        data = os.pread(self._fd, 4 * (end - start), self.shingles.offset + 4 * start)
        return np.frombuffer(data, dtype=np.uint32)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def exact(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """For each key ``(hi, lo)``, the record holding it, or -1."""
        found = np.full(len(hi), -1, np.int64)
        if not self.records or not len(hi):
            return found
        pos = np.searchsorted(self.exact_hi, hi, side="left")
        inside = pos < self.records
        at = np.minimum(pos, self.records - 1)
        same_hi = inside & (np.asarray(self.exact_hi[at]) == hi)
        same = same_hi & (np.asarray(self.exact_lo[at]) == lo)
        found[same] = np.asarray(self.exact_rec[at[same]])
        for q in np.flatnonzero(same_hi & ~same):  # keys sharing a high word (rare): scan on
            p = int(pos[q]) + 1
            while p < self.records and self.exact_hi[p] == hi[q]:
                if self.exact_lo[p] == lo[q]:
                    found[q] = int(self.exact_rec[p])
                    break
                p += 1
        return found

    def candidates(self, keys: np.ndarray) -> list[np.ndarray]:
        """For each query (a row of ``keys``, ``(queries, bands)``), the records sharing at
        least one band key with it (sorted, distinct)."""
        out: list[list[np.ndarray]] = [[] for _ in range(len(keys))]
        if not self.records or not len(keys):
            return [np.zeros(0, np.int64) for _ in range(len(keys))]
        for j in range(self.bands.shape[0]):
            col = self.bands[j]
            lo = np.searchsorted(col, keys[:, j], side="left")
            hi = np.searchsorted(col, keys[:, j], side="right")
            for q in np.flatnonzero(hi > lo):
                out[q].append(np.asarray(self.band_rec[j, lo[q]:hi[q]], dtype=np.int64))
        return [np.unique(np.concatenate(c)) if c else np.zeros(0, np.int64) for c in out]


class DedupIndex:
    """The dedup index in ``path`` (see the module docstring), opened for a run with
    ``config``. ``create``: make it when missing (a run with ``--index``), else it must exist
    (``index info``, ``index compact``).

    Raises:
        IndexError_: not a dedup index, unreadable, of a newer format, or made with other
            settings (each a one-line message naming the path).
    """

    def __init__(self, path: Path, config: Config | None = None, create: bool = False):
        self.path = Path(path)
        self.settings = index_settings(config) if config is not None else None
        manifest = self.path / MANIFEST
        if not manifest.exists():
            if not create:
                raise IndexError_(f"{self.path}: not a dedup index (no {MANIFEST})")
            if self.path.exists() and not self.path.is_dir():
                raise IndexError_(f"{self.path}: not a directory, cannot hold a dedup index")
            if self.path.is_dir() and any(p.name not in ("segments", MANIFEST + ".tmp")
                                          and not p.name.startswith("tmp-")
                                          for p in self.path.iterdir()):
                raise IndexError_(f"{self.path}: a directory with other files and no "
                                  f"{MANIFEST}; give an empty or new directory for the index")
            self.manifest = {"format": INDEX_FORMAT, "settings": self.settings, "runs": []}
        else:
            try:
                self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
                fmt = self.manifest["format"]
                runs = self.manifest["runs"]
                assert isinstance(runs, list)
            except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
                raise IndexError_(f"{manifest}: not a readable dedup index manifest "
                                  f"({type(exc).__name__}: {exc})") from None
            if not isinstance(fmt, int) or fmt > INDEX_FORMAT:
                raise IndexError_(f"{manifest}: index format {fmt} is newer than this "
                                  f"corpus-clean reads ({INDEX_FORMAT}); upgrade corpus-clean")
            if self.settings is not None and self.manifest.get("settings") != self.settings:
                theirs = self.manifest.get("settings") or {}
                differ = [f"{k}={theirs.get(k)!r} in the index, {v!r} here"
                          for k, v in self.settings.items() if theirs.get(k) != v]
                raise IndexError_(f"{self.path}: the dedup index was made with other "
                                  f"settings: {'; '.join(differ)}")
        self._segments: list[_Segment] | None = None

    @property
    def runs(self) -> list[dict]:
        """The runs of the index in order: ``name``, ``segment``, ``records``, ``bytes``,
        ``added`` (UTC time)."""
        return list(self.manifest["runs"])

    def segments(self) -> list[_Segment]:
        if self._segments is None:
            self._segments = [_Segment(self.path / "segments" / r["segment"], r["name"],
                                       int(r["records"]), "runs" in r)
                              for r in self.manifest["runs"]]
        return self._segments

    def has_run(self, name: str) -> bool:
        """Whether a run of that name is in the index (a compacted segment holds several)."""
        return any(name == r["name"] or name in r.get("runs", ()) for r in self.manifest["runs"])

    # --- look-up ---------------------------------------------------------------------------
    def look_up(self, keys: bytes, bands: np.ndarray | None, shingles, threshold: float
                ) -> dict[int, Seen]:
        """The records of this run seen before: ``{i: Seen}`` for the queries ``i`` whose
        exact key (16 bytes each in ``keys``) is in the index, else (``bands``: their band
        keys, ``(queries, bands)``; ``shingles(i)``: their shingle hashes) whose Jaccard
        similarity with an indexed record is at least ``threshold`` (the most similar one,
        the earliest on ties: earlier runs first)."""
        n = len(keys) // 16
        seen: dict[int, Seen] = {}
        if not n or not self.manifest["runs"]:
            return seen
        hi, lo = key_words(keys)
        for seg in self.segments():
            found = seg.exact(hi, lo)
            for q in np.flatnonzero(found >= 0):
                if int(q) not in seen:
                    run, rid = seg.who(int(found[q]))
                    seen[int(q)] = Seen(rid, run, None)
        if bands is None:
            return seen
        best: dict[int, tuple[float, int, int]] = {}  # query -> (sim, segment, record)
        rest = np.asarray([q for q in range(n) if q not in seen], dtype=np.int64)
        if not len(rest):
            return seen
        for s, seg in enumerate(self.segments()):
            for start in range(0, len(rest), QUERY_BATCH):  # bounded memory per batch
                batch = rest[start:start + QUERY_BATCH]
                for q, cands in zip(batch.tolist(), seg.candidates(bands[batch])):
                    if not len(cands):
                        continue
                    mine = shingles(q)
                    for rec in cands.tolist():
                        sim = jaccard(mine, seg.shingles_of(rec))
                        if sim >= threshold and (q not in best or sim > best[q][0]):
                            best[q] = (sim, s, rec)
        segs = self.segments()
        for q, (sim, s, rec) in best.items():
            run, rid = segs[s].who(rec)
            seen[q] = Seen(rid, run, round(sim, 6))
        return seen

    # --- update ----------------------------------------------------------------------------
    def add_run(self, name: str, keys: bytes, bands: np.ndarray, counts: np.ndarray,
                shingles: Iterable[np.ndarray], ids: list[str], out: str | None = None
                ) -> dict:
        """Add a segment of a run's kept records (their exact keys, 16 bytes each; band keys
        ``(records, bands)``; their numbers of shingle hashes and the hashes, streamed; ids)
        and replace the manifest; return the
        run's manifest entry (``out``: the run's output directory, recorded so that
        ``corpus-clean explain`` can show an earlier record's text).

        Raises:
            IndexError_: a run of that name is in the index already.
            OSError: the disk is full or not writable (the index stays as it was).
        """
        if self.has_run(name):
            raise IndexError_(f"{self.path}: a run named {name!r} is in the index already; "
                              "give another --run-name")
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "segments").mkdir(exist_ok=True)
        tmp = self.path / f"tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            size = _write_segment(tmp, keys, bands, counts, shingles, ids,
                                  self.settings["bands"])
            segment = f"{len(self.manifest['runs']):05d}-{uuid.uuid4().hex[:8]}"
            os.rename(tmp, self.path / "segments" / segment)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        entry = {"name": name, "segment": segment, "records": len(ids), "bytes": size,
                 "added": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "outs": {name: out}}
        manifest = dict(self.manifest, runs=self.manifest["runs"] + [entry])
        self._write_manifest(manifest)
        self.manifest, self._segments = manifest, None
        return entry

    def compact(self) -> dict:
        """Merge every segment into one (runs keep their names: a record's run is kept
        per record); remove segment directories the manifest no longer names. Returns the
        new manifest."""
        segs = self.segments()
        runs = self.manifest["runs"]
        if len(segs) <= 1:
            self._remove_orphans()
            return self.manifest
        keys, bands, counts, ids = bytearray(), [], [], []
        for seg in segs:
            order = np.argsort(seg.exact_rec, kind="stable")
            hi = np.asarray(seg.exact_hi)[order]
            lo = np.asarray(seg.exact_lo)[order]
            keys += np.stack([hi, lo], axis=1).astype(">u8").tobytes()
            cols = np.zeros((seg.bands.shape[0], seg.records), np.uint64)
            for j in range(seg.bands.shape[0]):
                cols[j, np.asarray(seg.band_rec[j])] = np.asarray(seg.bands[j])
            bands.append(cols.T)
            counts.append(np.diff(np.asarray(seg.shingle_offsets)))
            ids += ["\x00".join(seg.who(r)) for r in range(seg.records)]
        # a compacted segment keeps each record's run with its id (run NUL id)
        tmp = self.path / f"tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            chunks = (np.asarray(seg.shingles[i:i + (1 << 24)]) for seg in segs  # 64 MB
                      for i in range(0, len(seg.shingles), 1 << 24))
            size = _write_segment(tmp, bytes(keys), np.concatenate(bands),
                                  np.concatenate(counts), chunks, ids,
                                  self.manifest["settings"]["bands"])
            segment = f"compact-{uuid.uuid4().hex[:8]}"
            os.rename(tmp, self.path / "segments" / segment)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        names = [name for r in runs for name in r.get("runs", [r["name"]])]
        outs = {k: v for r in runs for k, v in (r.get("outs") or {}).items()}
        entry = {"name": "+".join(names), "segment": segment, "outs": outs,
                 "records": len(ids), "bytes": size, "runs": names,
                 "added": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        manifest = dict(self.manifest, runs=[entry])
        self._write_manifest(manifest)
        self.manifest, self._segments = manifest, None
        self._remove_orphans()
        return manifest

    def _remove_orphans(self) -> None:
        named = {r["segment"] for r in self.manifest["runs"]}
        seg_dir = self.path / "segments"
        if seg_dir.is_dir():
            for p in seg_dir.iterdir():
                if p.name not in named and p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
        for p in self.path.glob("tmp-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    def _write_manifest(self, manifest: dict) -> None:
        tmp = self.path / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / MANIFEST)
        try:  # the rename itself made durable
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            pass


def _write_segment(path: Path, keys: bytes, bands: np.ndarray, counts: np.ndarray,
                   shingles: Iterable[np.ndarray], ids: list[str], n_bands: int) -> int:
    """Write a segment's files into ``path``; return their size in bytes. ``counts``: the
    number of shingle hashes of each record; ``shingles``: their arrays, in record order,
    streamed to disk (a run's shingles are 4 bytes per character of its kept text: they are
    never all in memory)."""
    n = len(ids)
    hi, lo = key_words(keys)
    order = np.lexsort((lo, hi))
    arrays = {"exact_hi": hi[order], "exact_lo": lo[order],
              "exact_rec": order.astype(np.int64)}
    bands = np.asarray(bands, dtype=np.uint64).reshape(n, n_bands) if n else \
        np.zeros((0, n_bands), np.uint64)
    b_order = np.argsort(bands, axis=0, kind="stable").T  # (bands, n)
    arrays["bands"] = np.take_along_axis(bands.T, b_order, axis=1) if n else \
        np.zeros((n_bands, 0), np.uint64)
    arrays["band_rec"] = b_order.astype(np.int32) if n else np.zeros((n_bands, 0), np.int32)
    counts = np.asarray(counts, dtype=np.int64)
    arrays["shingle_offsets"] = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    encoded = [i.encode("utf-8", "surrogateescape") for i in ids]
    arrays["id_offsets"] = np.concatenate(
        ([0], np.cumsum([len(e) for e in encoded]))).astype(np.int64)
    for name, value in arrays.items():
        with open(path / f"{name}.npy", "wb") as f:
            np.save(f, value, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
    total = int(counts.sum())
    with open(path / "shingles.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.uint32)),
            "fortran_order": False, "shape": (total,)})
        written = 0
        for chunk in shingles:
            chunk = np.ascontiguousarray(chunk, dtype=np.uint32)
            f.write(chunk.tobytes())
            written += len(chunk)
        if written != total:
            raise ValueError(f"{path}: {written} shingle hashes written, {total} counted")
        f.flush()
        os.fsync(f.fileno())
    with open(path / "ids.bin", "wb") as f:
        f.write(b"".join(encoded))
        f.flush()
        os.fsync(f.fileno())
    return sum(p.stat().st_size for p in path.iterdir())
