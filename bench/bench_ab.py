"""A/B throughput of two versions of corpus-clean on one dump: interleaved runs, wall and CPU.

Changes that add work to every run (a lock, checksums, signal masks around task submission)
are judged against the version before them on the same machine in the same minutes, since
this machine's speed drifts between sessions more than the changes cost. Each round runs the
base version, then this checkout, each in a fresh process (``python -m corpus_clean``, from a
neutral directory so that ``PYTHONPATH`` picks the version), and records wall time and the CPU
time (user + sys) of the run and its workers. It prints the medians and checks that the two
versions wrote byte-identical ``clean.jsonl``, ``rejected.jsonl`` and ``dedup-report.json``.

The base is a checkout of another commit, for example::

    git worktree add /tmp/base 4493c5c
    python bench/bench_ab.py --base /tmp/base --dump /tmp/cc-bench-dumps/d100-s5 --rounds 5

(the dump from ``../shared/tools/make_dump.py --out DIR --size-mb 100 --seed 5``). MB are
10**6 bytes of the dump on disk; MB/s per core divides by ``--workers``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(source: Path, dump: Path, out: Path, options: list[str]) -> tuple[float, float]:
    """Run the corpus-clean in ``source`` on ``dump``; return (wall s, CPU s of all processes)."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(source)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corpus_clean", str(dump), "-o", str(out), "-q",
                    *options], cwd=tempfile.gettempdir(), env=env, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout of the base version")
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lang-backend", default="cld2")
    args = parser.parse_args()
    options = ["--lang-backend", args.lang_backend, "--workers", str(args.workers)]
    size_mb = sum(p.stat().st_size for p in args.dump.rglob("*") if p.is_file()) / 1e6
    versions = {"base": args.base.resolve(), "this": ROOT}
    results: dict[str, list[tuple[float, float]]] = {v: [] for v in versions}
    with tempfile.TemporaryDirectory(prefix="cc-ab-") as tmp:
        for i in range(args.rounds):
            for name, source in versions.items():
                wall, cpu = run_once(source, args.dump, Path(tmp) / name, options)
                results[name].append((wall, cpu))
                print(f"round {i + 1} {name}: wall {wall:.2f} s, cpu {cpu:.2f} s", flush=True)
        same = all((Path(tmp) / "base" / f).read_bytes() == (Path(tmp) / "this" / f).read_bytes()
                   for f in ("clean.jsonl", "rejected.jsonl", "dedup-report.json"))
    print(f"\n{args.dump} ({size_mb:.1f} MB), {' '.join(options)}, {args.rounds} rounds")
    medians = {}
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        medians[name] = (wall, cpu)
        print(f"{name:5} wall median {wall:6.2f} s (min {min(r[0] for r in rows):.2f}), "
              f"cpu median {cpu:6.2f} s, {size_mb / wall / args.workers:.2f} MB/s per core")
    dw = medians["this"][0] / medians["base"][0] - 1
    dc = medians["this"][1] / medians["base"][1] - 1
    print(f"this vs base: wall {dw:+.1%}, cpu {dc:+.1%}; outputs "
          f"{'byte-identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
