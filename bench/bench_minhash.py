"""Choose the MinHash implementation by measurement: datasketch, rensa, or vectorised NumPy.

On real abstracts (English dw-dengwei crawls and Chinese machine translations from the shared
data), shingled as the near-dup stage does, it times signature computation (records/s) for each
candidate and checks that each estimates Jaccard similarity as well as the others (mean absolute
error of the estimate against the exact Jaccard of the shingle sets, over the near-duplicate
pairs of ``neardup/pairs.dev.jsonl``).

    python bench/bench_minhash.py ../shared/data [--records 4000] [--num-perm 128]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_clean.stages.neardup import shingle_hashes, shingles  # noqa: E402


def load_texts(data: Path, n: int) -> list[str]:
    texts = []
    for path in sorted((data / "arxiv/dw_raw").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                texts.append(json.loads(line)["summary"])
                if len(texts) >= n * 3 // 4:
                    break
        if len(texts) >= n * 3 // 4:
            break
    with gzip.open(data / "arxiv/shiyibihua/pages_abstracts.dev.jsonl.gz", "rt") as f:
        for line in f:
            texts.append(json.loads(line)["summary_zh"])
            if len(texts) >= n:
                break
    return texts


def sig_datasketch(sets, num_perm, seed):
    from datasketch import MinHash

    out = []
    for s in sets:
        m = MinHash(num_perm=num_perm, seed=seed)
        m.update_batch([t.encode("utf-8") for t in s])
        out.append(m.hashvalues)
    return out


def sig_rensa(sets, num_perm, seed):
    from rensa import RMinHash

    return RMinHash.digests_from_token_sets([list(s) for s in sets], num_perm, seed)


def sig_rensa_hashes(hash_arrays, num_perm, seed):
    from rensa import RMinHash

    flat = np.concatenate(hash_arrays).astype(np.uint64) if hash_arrays else np.zeros(0, np.uint64)
    offsets = np.zeros(len(hash_arrays) + 1, dtype=np.uint64)
    np.cumsum([len(h) for h in hash_arrays], out=offsets[1:])
    return RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed).to_rows()


def sig_numpy(hash_arrays, num_perm, seed):
    """Multiply-shift hashing (Dietzfelbinger et al. 1997): (a*h + b) mod 2^64 >> 32."""
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
    out = []
    with np.errstate(over="ignore"):
        for h in hash_arrays:
            hv = h.astype(np.uint64)[:, None]
            out.append(((hv * a + b) >> np.uint64(32)).min(axis=0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--records", type=int, default=4000)
    ap.add_argument("--num-perm", type=int, default=128)
    args = ap.parse_args()
    texts = load_texts(args.data, args.records)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    t0 = time.perf_counter()
    sets = [shingles(t) for t in texts]
    t_sh = time.perf_counter() - t0
    t0 = time.perf_counter()
    hashes = [shingle_hashes(t) for t in texts]
    t_hash = time.perf_counter() - t0
    print(f"{len(texts)} records, {mb:.1f} MB; shingling {len(texts) / t_sh:,.0f} rec/s, "
          f"shingling+xxh3 hashing {len(texts) / t_hash:,.0f} rec/s")
    cands = {
        "datasketch 2.x MinHash.update_batch": lambda: sig_datasketch(sets, args.num_perm, 1),
        "rensa RMinHash (strings)": lambda: sig_rensa(sets, args.num_perm, 1),
        "rensa RMinHash (xxh3 hashes, matrix)": lambda: sig_rensa_hashes(hashes, args.num_perm, 1),
        "numpy vectorised (multiply-shift)": lambda: sig_numpy(hashes, args.num_perm, 1),
    }
    pairs = [json.loads(line) for line in open(args.data / "neardup/pairs.dev.jsonl")][:300]
    pa = [p["a"]["text"] for p in pairs]
    pb = [p["b"]["text"] for p in pairs]
    exact = []
    for a, b in zip(pa, pb):
        sa, sb = shingles(a), shingles(b)
        exact.append(len(sa & sb) / len(sa | sb) if sa | sb else 1.0)
    for name, fn in cands.items():
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        # estimate error on the pairs, with the same implementation
        saved = (sets, hashes)
        globals_sets = [shingles(t) for t in pa + pb]
        globals_hash = [shingle_hashes(t) for t in pa + pb]
        if "hashes" in name or "numpy" in name:
            sigs = (sig_rensa_hashes if "rensa" in name else sig_numpy)(
                globals_hash, args.num_perm, 1)
        elif "datasketch" in name:
            sigs = sig_datasketch(globals_sets, args.num_perm, 1)
        else:
            sigs = sig_rensa(globals_sets, args.num_perm, 1)
        sigs = [np.asarray(s) for s in sigs]
        n = len(pa)
        err = np.mean([abs(float(np.mean(sigs[i] == sigs[n + i])) - exact[i]) for i in range(n)])
        sets, hashes = saved
        print(f"  {name:42s} {len(texts) / dt:10,.0f} rec/s  {mb / dt:7.2f} MB/s  "
              f"mean |J_est - J| = {err:.3f}")


if __name__ == "__main__":
    main()
