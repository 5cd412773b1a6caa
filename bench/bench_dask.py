"""The Dask executor against the local one: 1 and 2 workers, wall time and MB/s, overhead.

Usage (the 100 MB figures of the README; a quiet machine, about 5 minutes with cld2)::

    .venv/bin/python bench/bench_dask.py ../shared --size-mb 100 --seed 5 --lang-backend cld2

DATA_OR_DUMP is either a dump directory (used as it is), or the shared folder (``tools/`` and
``data/``) or its ``data/`` folder: then a dump of ``--size-mb`` MB is built with
``tools/make_dump.py --seed SEED`` into ``--dumps`` (``/tmp/cc-bench-dumps/d100-s5``; an existing
one is reused).

Each run is ``corpus-clean DUMP -o OUT -q`` in a fresh process, as a user runs it:
``--executor local --workers N`` and ``--executor dask --workers N`` (a ``LocalCluster`` of N
worker processes, started and shut down inside the timed run) for N in ``--workers`` (1 2).
It prints wall time and MB/s per run, the Dask executor's overhead against the local one at
the same worker count (``dask wall / local wall - 1``) and the part of it that is starting and
stopping the cluster (timed alone, in a fresh process), checks that all runs wrote the same
bytes, and prints the sizes the Dask executor moves per record (pickled ``ScanTask`` input
and ``work.scan`` result, measured in this process on the dump's first tasks), the figures
behind the README's shuffle and driver-memory table. MB are 10**6 bytes of uncompressed text
(the dump's manifest), or bytes on disk for a dump without one.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "dedup-report.json", "stats.json")


def find_dump(arg: Path, size_mb: float, seed: int, dumps: Path) -> Path:
    """``arg`` itself if it is a dump, else a ``make_dump.py`` dump built from the shared
    folder ``arg`` (or its ``data/``), cached under ``dumps``."""
    shared = arg.parent if (arg.parent / "tools" / "make_dump.py").exists() else arg
    tool = shared / "tools" / "make_dump.py"
    if not tool.exists():
        return arg
    dump = dumps / f"d{size_mb:g}-s{seed}"
    if not (dump.is_dir() and any(dump.iterdir())):
        print(f"building {dump} with {tool} ...", flush=True)
        subprocess.run([sys.executable, str(tool), "--out", str(dump), "--size-mb",
                        str(size_mb), "--seed", str(seed), "--data", str(shared / "data")],
                       check=True, capture_output=True)
    return dump


def dump_mb(dump: Path) -> float:
    manifest = dump.parent / f"{dump.name}.manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text())["bytes_total"] / 1e6
    return sum(p.stat().st_size for p in dump.rglob("*") if p.is_file()) / 1e6


def task_sizes(dump: Path, batches: int = 40) -> dict[str, float]:
    """Pickled bytes per record of what the Dask executor sends (scan tasks: blocks of a
    file's bytes) and receives (``work.scan`` results), and record text bytes, over the
    first ``batches`` tasks."""
    from corpus_clean import Config
    from corpus_clean.engine.tasks import scan_tasks
    from corpus_clean.engine.work import scan
    from corpus_clean.output.report import Report
    from corpus_clean.reading.reader import list_input_files

    config = Config()
    sent = got = records = text = survivors = 0
    tasks = scan_tasks(list_input_files(dump), config, Report(config), "sizes")
    for i, task in enumerate(tasks):
        if i >= batches:
            break
        sent += len(pickle.dumps(task, protocol=5))
        result = scan(task)
        got += len(pickle.dumps(result, protocol=5))
        records += len(result[2])
        text += sum(len(s.record.text.encode()) for s in result[2])
        survivors += sum(1 for s in result[2] if s.drop is None)
    return {"records": records, "text": text / records, "sent": sent / records,
            "got": got / records, "survivors": survivors / records}


def shuffle_sizes(dump: Path, batches: int = 40) -> dict[str, float]:
    """Bytes per record of what the distributed ordered half (``corpus_clean.engine.dask_dedup``)
    moves, measured by running its worker functions in this process on the results of the
    dump's first ``batches`` scan tasks: the exact-key shuffle (per record reaching dedup,
    there and back), the band-key shuffle (per exact survivor), and per candidate pair the
    exported shingle hashes (per distinct earlier record) and the verification result."""
    from corpus_clean import Config
    from corpus_clean.engine import dask_dedup as dd
    from corpus_clean.engine.tasks import scan_tasks
    from corpus_clean.engine.work import scan
    from corpus_clean.output.report import Report
    from corpus_clean.reading.reader import list_input_files

    config = Config()
    results = []
    tasks = scan_tasks(list_input_files(dump), config, Report(config), "shuffle")
    for i, task in enumerate(tasks):
        if i >= batches:
            break
        results.append(scan(task))  # verbatim repeats settled by this process's memo
    size = lambda obj: len(pickle.dumps(obj, protocol=5))  # noqa: E731
    part = dd._make_part(0, *results)
    reached = len(part.records)
    pieces = dd._exact_split(part, 4)
    back = dd._exact_reduce(np.zeros(1, np.int64), *pieces)
    part = dd._with_s_offset(dd._exact_mark(part, *(b[0] for b in [back])), 0)
    survivors = len(part.survivors())
    bands = dd._near_split(part, 4)
    pairs = dd._near_reduce(survivors, *bands)
    a, b = pairs[:, 0], pairs[:, 1]
    export = dd._export(part, np.unique(a))
    result = dd._verify(part, a, b, export)
    return {"reached": reached, "survivors": survivors, "pairs": len(a),
            "exact_out": sum(size(p) for p in pieces) / reached,
            "exact_back": size(back) / reached, "dups": reached - survivors,
            "bands": sum(size(p) for p in bands) / max(survivors, 1),
            "export": size(export) / max(len(export), 1), "exported": len(export),
            "verify": size(result) / max(len(a), 1)}


#: run the CLI and write this process's own peak RSS (KiB; with a LocalCluster it includes
#: the scheduler, which runs in the driver process, but not the workers) to the file in argv[1]
_DRIVER = ("import atexit, resource, sys; path = sys.argv.pop(1); atexit.register(lambda: "
           "open(path, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))); "
           "from corpus_clean.cli.command import main; main()")


def timed_run(dump: Path, out: Path, executor: str, workers: int,
              extra: list[str]) -> tuple[float, float]:
    """``(wall seconds, driver peak RSS in MB)`` of one ``corpus-clean`` run."""
    rss = out.parent / f"{out.name}.rss"
    cmd = [sys.executable, "-c", _DRIVER, str(rss), str(dump), "-o", str(out), "-q",
           "--executor", executor, "--workers", str(workers), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return wall, int(rss.read_text()) / 1024


def cluster_start_stop(workers: int) -> float:
    """Seconds to start and shut down a LocalCluster of ``workers`` processes, as
    ``--executor dask`` does, in a fresh process (the fixed part of the Dask overhead)."""
    code = ("import time; t = time.perf_counter(); from corpus_clean.engine.dask_executor import "
            f"connect; connect(None, {workers}).close(); print(time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_or_dump", type=Path, metavar="DATA_OR_DUMP")
    ap.add_argument("--size-mb", type=float, default=100)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--dumps", type=Path, default=Path(tempfile.gettempdir()) / "cc-bench-dumps")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--lang-backend", choices=["langdetect", "cld2", "none"], default="cld2")
    args = ap.parse_args()
    dump = find_dump(args.data_or_dump, args.size_mb, args.seed, args.dumps)
    mb = dump_mb(dump)
    extra = ["--lang-backend", args.lang_backend]
    print(f"dump {dump} ({mb:.1f} MB), --lang-backend {args.lang_backend}")
    with tempfile.TemporaryDirectory(dir=args.dumps if args.dumps.is_dir() else None) as tmp:
        outs, walls = [], {}
        for n in args.workers:
            for executor in ("local", "dask"):
                out = Path(tmp) / f"{executor}-{n}"
                wall, rss = timed_run(dump, out, executor, n, extra)
                walls[executor, n] = wall
                outs.append(out)
                print(f"  --executor {executor:5s} --workers {n}: {wall:7.1f} s  "
                      f"{mb / wall:6.2f} MB/s  driver peak RSS {rss:5.0f} MB", flush=True)
            overhead = walls["dask", n] / walls["local", n] - 1
            fixed = cluster_start_stop(n)
            print(f"  dask overhead at {n} worker(s): {100 * overhead:+.0f}% "
                  f"({walls['dask', n] - walls['local', n]:+.1f} s, of which {fixed:.1f} s "
                  "starting and stopping the LocalCluster alone)")
        same = all(filecmp.cmp(outs[0] / f, o / f, shallow=False)
                   for o in outs[1:] for f in OUTPUTS)
        print(f"  all runs wrote the same bytes: {same}")
    s = task_sizes(dump)
    print(f"per record, first {s['records']} records: text {s['text']:.0f} B, ScanTask sent "
          f"{s['sent']:.0f} B, scan result {s['got']:.0f} B (pickled); "
          f"{100 * s['survivors']:.0f}% reach dedup")
    z = shuffle_sizes(dump)
    print(f"distributed ordered half, first {z['reached']} records reaching dedup (pickled): "
          f"exact-key shuffle {z['exact_out']:.1f} B out + {z['exact_back']:.1f} B back per "
          f"record ({z['dups']} duplicates); band-key shuffle {z['bands']:.0f} B per exact "
          f"survivor ({z['survivors']}); {z['pairs']} candidate pairs "
          f"({z['pairs'] / max(z['survivors'], 1):.3f} per survivor): shingle-hash export "
          f"{z['export']:.0f} B per exported record ({z['exported']}), verification result "
          f"{z['verify']:.0f} B per pair")
    if not same:
        raise SystemExit("outputs differ between runs")


if __name__ == "__main__":
    main()
