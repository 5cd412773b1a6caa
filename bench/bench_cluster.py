"""The Dask executor against the local one, in the same run: wall time, and what goes through
the driver.

It runs corpus-clean on a dump twice, each in a fresh process: with the local executor
(``--workers N``) and with ``--executor dask`` on a LocalCluster of N worker processes (started
by the run itself). For the Dask run it reports the bytes the driver process read and wrote,
files and sockets together (``rchar`` + ``wchar`` of ``/proc/self/io`` when the process exits:
every ``read``/``write`` system call, the scheduler's and the client's traffic with the workers
included, since a LocalCluster's scheduler runs in the driver), net of the same run on a small
dump (start-up, imports, the cluster's own chatter), as a share of the dump's bytes. It checks
that the two runs' four outputs are byte-identical.

    python bench/bench_cluster.py --data ../shared/data --size 100 --remix --workers 2

Dumps are made with ``shared/tools/make_dump.py`` (or reused) in ``--dumps``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: run corpus-clean's CLI and print this process's /proc/self/io counters on exit
WRAPPER = (
    "import atexit, runpy, sys\n"
    "def report():\n"
    "    with open('/proc/self/io') as f:\n"
    "        sys.stderr.write('PROC_IO ' + ' '.join(f.read().split()) + '\\n')\n"
    "atexit.register(report)\n"
    "sys.argv = ['corpus-clean'] + sys.argv[1:]\n"
    "runpy.run_module('corpus_clean', run_name='__main__')\n"
)

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json")


def make_dump(data: Path, out: Path, size_mb: float, seed: int, remix: bool) -> None:
    if out.is_dir() and any(out.iterdir()):
        return
    subprocess.run([sys.executable, str(data.parent / "tools" / "make_dump.py"), "--out",
                    str(out), "--size-mb", str(size_mb), "--seed", str(seed), "--data",
                    str(data), *(["--remix"] if remix else [])], check=True,
                   capture_output=True)


def dump_bytes(dump: Path) -> int:
    manifest = dump.parent / f"{dump.name}.manifest.json"
    return json.loads(manifest.read_text())["bytes_total"]


def run(dump: Path, out: Path, args: list[str]) -> tuple[float, int]:
    """Run corpus-clean on ``dump`` into ``out``; return (wall seconds, rchar + wchar of its
    process)."""
    env = {**os.environ, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(dump), "-o", str(out), "-q",
                           *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed: {args}\n{proc.stderr[-2000:]}")
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PROC_IO "))
    fields = line.split()[1:]
    io = {fields[k].rstrip(":"): int(fields[k + 1]) for k in range(0, len(fields), 2)}
    return wall, io["rchar"] + io["wchar"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--size", type=float, default=100)
    ap.add_argument("--small", type=float, default=5, help="the small dump's size, MB")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--remix", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lang-backend", default="cld2")
    ap.add_argument("--dumps", type=Path, default=Path(tempfile.gettempdir()) / "cc-bench-dumps")
    args = ap.parse_args()
    prefix = "r" if args.remix else "d"
    common = ["--workers", str(args.workers), "--lang-backend", args.lang_backend]
    dask = [*common, "--executor", "dask"]
    sizes = {}
    for size in (args.small, args.size):
        dump = args.dumps / f"{prefix}{size:g}-s{args.seed}"
        make_dump(args.data, dump, size, args.seed, args.remix)
        sizes[size] = dump
    with tempfile.TemporaryDirectory(dir=args.dumps) as tmp:
        tmp = Path(tmp)
        _, small_io = run(sizes[args.small], tmp / "small", dask)
        small = dump_bytes(sizes[args.small])
        dump = sizes[args.size]
        total = dump_bytes(dump)
        local_wall, local_io = run(dump, tmp / "local", common)
        dask_wall, dask_io = run(dump, tmp / "dask", dask)
        same = all((tmp / "local" / name).read_bytes() == (tmp / "dask" / name).read_bytes()
                   for name in OUTPUTS)
    net = dask_io - small_io
    print(f"{dump} ({total / 1e6:.1f} MB), {args.workers} workers, "
          f"--lang-backend {args.lang_backend}")
    print(f"  local executor: {local_wall:7.1f} s; its process read and wrote "
          f"{local_io / 1e6:8.1f} MB ({100 * local_io / total:.0f}% of the dump)")
    print(f"  Dask LocalCluster: {dask_wall:7.1f} s ({dask_wall / local_wall:.2f}x the local "
          f"executor); the driver read and wrote {dask_io / 1e6:8.1f} MB, "
          f"{net / 1e6:.1f} MB net of a run on the {small / 1e6:.1f} MB dump "
          f"({small_io / 1e6:.1f} MB): {100 * net / total:.0f}% of the dump")
    print(f"  outputs byte-identical: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
