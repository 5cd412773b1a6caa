"""The store of the dedup index, chosen by measurement: sorted memory-mapped NumPy arrays
against SQLite (the embedded store in Python's standard library).

    python bench/bench_index_store.py [--records 1000000] [--queries 100000]

Both hold what a look-up needs: each record's 128-bit exact key (two ``uint64`` words) and its
21 LSH band keys (``uint64``), with the record's number. Half of the queries are keys that are
in the store. Prints, for each store: build seconds, bytes on disk per record, the seconds of
an exact look-up of every query and of a band look-up (all 21 bands) of every query, and the
RSS growth of the look-ups (the store is opened fresh: memory-mapped arrays bring in only the
pages a binary search touches; SQLite its page cache).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BANDS = 21


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def numpy_store(tmp: Path, hi, lo, bands, q_hi, q_lo, q_bands) -> tuple:
    t0 = time.perf_counter()
    order = np.lexsort((lo, hi))
    np.save(tmp / "hi.npy", hi[order])
    np.save(tmp / "lo.npy", lo[order])
    np.save(tmp / "rec.npy", order.astype(np.int64))
    b_order = np.argsort(bands, axis=0, kind="stable").T
    np.save(tmp / "bands.npy", np.take_along_axis(bands.T, b_order, axis=1))
    np.save(tmp / "band_rec.npy", b_order.astype(np.int32))
    build = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in tmp.glob("*.npy"))
    r0 = rss_mb()
    t0 = time.perf_counter()
    s_hi = np.load(tmp / "hi.npy", mmap_mode="r")
    s_lo = np.load(tmp / "lo.npy", mmap_mode="r")
    pos = np.searchsorted(s_hi, q_hi)
    at = np.minimum(pos, len(s_hi) - 1)
    found = int(((np.asarray(s_hi[at]) == q_hi) & (np.asarray(s_lo[at]) == q_lo)).sum())
    exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    s_bands = np.load(tmp / "bands.npy", mmap_mode="r")
    hits = 0
    for j in range(BANDS):
        left = np.searchsorted(s_bands[j], q_bands[:, j], side="left")
        right = np.searchsorted(s_bands[j], q_bands[:, j], side="right")
        hits += int((right > left).sum())
    band = time.perf_counter() - t0
    return build, size, exact, band, rss_mb() - r0, found, hits


def sqlite_store(tmp: Path, hi, lo, bands, q_hi, q_lo, q_bands) -> tuple:
    t0 = time.perf_counter()
    db = sqlite3.connect(tmp / "index.sqlite")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE exact (hi INTEGER, lo INTEGER, rec INTEGER, PRIMARY KEY (hi, lo))"
               " WITHOUT ROWID")
    db.execute("CREATE TABLE band (b INTEGER, key INTEGER, rec INTEGER, PRIMARY KEY (b, key, "
               "rec)) WITHOUT ROWID")
    signed = lambda a: a.astype(np.int64).tolist()  # noqa: E731 - SQLite integers are signed
    db.executemany("INSERT INTO exact VALUES (?, ?, ?)",
                   zip(signed(hi), signed(lo), range(len(hi))))
    for j in range(BANDS):
        db.executemany("INSERT INTO band VALUES (?, ?, ?)",
                       ((j, k, r) for r, k in enumerate(signed(bands[:, j]))))
    db.commit()
    db.close()
    build = time.perf_counter() - t0
    size = (tmp / "index.sqlite").stat().st_size
    r0 = rss_mb()
    db = sqlite3.connect(tmp / "index.sqlite")
    t0 = time.perf_counter()
    found = 0
    for h, lw in zip(signed(q_hi), signed(q_lo)):
        found += db.execute("SELECT rec FROM exact WHERE hi=? AND lo=?", (h, lw)).fetchone() \
            is not None
    exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    hits = 0
    rows = q_bands.astype(np.int64).tolist()
    for row in rows:
        for j, k in enumerate(row):
            hits += db.execute("SELECT 1 FROM band WHERE b=? AND key=? LIMIT 1",
                               (j, k)).fetchone() is not None
    band = time.perf_counter() - t0
    return build, size, exact, band, rss_mb() - r0, found, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n, q = args.records, args.queries
    hi = rng.integers(0, 2**63, n, dtype=np.uint64)
    lo = rng.integers(0, 2**63, n, dtype=np.uint64)
    bands = rng.integers(0, 2**63, (n, BANDS), dtype=np.uint64)
    pick = rng.choice(n, q // 2, replace=False)
    q_hi = np.concatenate([hi[pick], rng.integers(0, 2**63, q - q // 2, dtype=np.uint64)])
    q_lo = np.concatenate([lo[pick], rng.integers(0, 2**63, q - q // 2, dtype=np.uint64)])
    q_bands = np.concatenate([bands[pick],
                              rng.integers(0, 2**63, (q - q // 2, BANDS), dtype=np.uint64)])
    print(f"{n:,} records, {q:,} queries (half of them in the store), {BANDS} bands")
    print("| store | build s | bytes/record on disk | exact look-ups s | band look-ups s | "
          "RSS growth MB | found |")
    print("|---|---|---|---|---|---|---|")
    for name, fn in (("NumPy sorted arrays, memory-mapped", numpy_store),
                     ("SQLite (WITHOUT ROWID, primary keys)", sqlite_store)):
        with tempfile.TemporaryDirectory() as tmp:
            build, size, exact, band, rss, found, hits = fn(Path(tmp), hi, lo, bands, q_hi,
                                                            q_lo, q_bands)
        print(f"| {name} | {build:.1f} | {size / n:.0f} | {exact:.3f} | {band:.3f} | "
              f"{rss:.0f} | {found:,} exact, {hits:,} band hits |", flush=True)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
