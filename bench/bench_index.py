"""Day after day with a dedup index: ten daily dumps cleaned one after another with --index.

    python bench/bench_index.py ../shared/data [--days 10] [--size-mb 100] [--workers 2]
        [--lang-backend cld2] [--keep-dumps DIR]

Builds ``--days`` dumps of ``--size-mb`` MB with ``shared/tools/make_dump.py`` (seeds 101,
102, ...: the same pools of real text, so later days republish earlier days' abstracts, as
the seed site does), then for each day, in order:

* cleans it with ``--index INDEX`` (the index growing by a segment per day), and
* cleans the same dump without an index,

each in a fresh process (``/usr/bin/time -f %M``: the peak RSS of the largest process).
Prints per day: wall seconds and seconds per MB with and without the index, their ratio, the
records seen before (exact, near), the index's size on disk after the run and its records.
The targets (issue 19): the tenth run with the index at most 1.5x the first's time per MB,
and the peak RSS flat across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB of the largest process)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return wall, int(proc.stderr.strip().splitlines()[-1]) / 1024


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder (make_dump.py's)")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lang-backend", default="cld2")
    parser.add_argument("--keep-dumps", type=Path, help="build (or reuse) the dumps here")
    args = parser.parse_args()
    make_dump = args.data.parent / "tools" / "make_dump.py"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dumps = args.keep_dumps or tmp / "dumps"
        days = []
        for d in range(args.days):
            dump = dumps / f"day{d + 1:02d}"
            if not dump.exists():
                subprocess.run([sys.executable, str(make_dump), "--out", str(dump),
                                "--size-mb", str(args.size_mb), "--seed", str(101 + d)],
                               check=True, stdout=subprocess.DEVNULL)
            days.append(dump)
        cli = [sys.executable, "-m", "corpus_clean", "-q", "--workers", str(args.workers),
               "--lang-backend", args.lang_backend]
        index = tmp / "index"
        print(f"{args.days} daily dumps of {args.size_mb} MB (make_dump.py, seeds 101..), "
              f"{args.workers} workers, --lang-backend {args.lang_backend}")
        print("| day | MB | with index s | s/MB | without s | s/MB | ratio | seen exact | "
              "seen near | kept | index MB | index records | peak RSS with / without |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        first = None
        for d, dump in enumerate(days, 1):
            mb = du(dump) / 1e6
            out = tmp / f"out{d}"
            wall_i, rss_i = run([*cli[:3], str(dump), "-o", str(out), *cli[3:],
                                 "--index", str(index), "--run-name", f"day{d:02d}"])
            stats = json.loads((out / "stats.json").read_text())
            dedup = stats["drops"].get("dedup", {})
            plain = tmp / f"plain{d}"
            wall_p, rss_p = run([*cli[:3], str(dump), "-o", str(plain), *cli[3:]])
            manifest = json.loads((index / "manifest.json").read_text())
            records = sum(r["records"] for r in manifest["runs"])
            first = first or wall_i / mb
            print(f"| {d} | {mb:.0f} | {wall_i:.1f} | {wall_i / mb:.3f} | {wall_p:.1f} | "
                  f"{wall_p / mb:.3f} | {wall_i / wall_p:.2f} | "
                  f"{dedup.get('seen_before', 0):,} | {dedup.get('near_seen_before', 0):,} | "
                  f"{stats['kept']:,} | {du(index) / 1e6:.0f} | {records:,} | "
                  f"{rss_i:.0f} / {rss_p:.0f} MB |", flush=True)
            shutil.rmtree(out)
            shutil.rmtree(plain)
        print(f"last run with the index: {wall_i / mb / first:.2f}x the first's time per MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
