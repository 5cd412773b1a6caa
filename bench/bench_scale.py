"""Throughput at scale, and side by side with datatrove on the same records.

For each size it builds a dump with ``shared/tools/make_dump.py`` (or reuses one), then
measures, each in a fresh process, wall time, MB/s, records/s and peak RSS of:

1. ``corpus-clean`` on the raw dump, all stages on, default langdetect tagger;
2. the same with the fast tagger (``--lang-backend cld2``, if pycld2 is installed);
3. the datatrove-equivalent pipeline of corpus-clean on the dump's records as JSONL: read,
   exact dedup, MinHash dedup, write (``--lang-backend none``; the filters run too, so this
   is corpus-clean doing more than datatrove);
4. datatrove (``--datatrove-python``, a Python with datatrove installed, e.g. from the
   ``bench`` extra): JsonlReader, exact dedup (ExactDedupSignature/FindDedups/Filter), the
   four MinHash dedup stages (signature, buckets, cluster, filter) and a JsonlWriter, 2 tasks
   on 2 workers; no language model (its fastText model cannot be downloaded here).

It prints the throughput ratio (3) / (4) from the same run. MB are 10**6 bytes of the dump's
uncompressed text. At the end it prints, per size, the time per MB of run (2) (or (1)
without pycld2), also net of the fixed start-up (a run on a dump of a few records:
imports, worker pool, outputs), and per 1,000 distinct record texts, since larger
``make_dump.py`` dumps repeat more of their records verbatim. Example::

    python bench/bench_scale.py --data ../shared/data --sizes 10 100 --workers 2 \\
        --datatrove-python /path/to/venv-with-datatrove/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATATROVE_SCRIPT = textwrap.dedent('''
    import sys
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.pipeline.dedup.exact_dedup import (ExactDedupConfig, ExactDedupSignature,
        ExactFindDedups, ExactDedupFilter)
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupSignature,
        MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter)


    def text_of(doc):
        return doc.text


    def main(src, work, tasks):
        def run(pipeline, n=tasks, name="s"):
            LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=min(n, tasks),
                                  logging_dir=f"{work}/logs/{name}").run()
        exact = ExactDedupConfig(content_getter=text_of)
        run([JsonlReader(src), ExactDedupSignature(output_folder=f"{work}/esig", config=exact)],
            name="e1")
        run([ExactFindDedups(data_folder=f"{work}/esig", output_folder=f"{work}/edup",
                             config=exact)], n=1, name="e2")
        run([JsonlReader(src), ExactDedupFilter(data_folder=f"{work}/edup", config=exact),
             JsonlWriter(f"{work}/exact")], name="e3")
        mh = MinhashConfig()
        run([JsonlReader(f"{work}/exact"), MinhashDedupSignature(output_folder=f"{work}/msig",
                                                                 config=mh)], name="m1")
        run([MinhashDedupBuckets(input_folder=f"{work}/msig", output_folder=f"{work}/mbuck",
                                 config=mh)], n=mh.num_buckets, name="m2")
        run([MinhashDedupCluster(input_folder=f"{work}/mbuck", output_folder=f"{work}/mrem",
                                 config=mh)], n=1, name="m3")
        run([JsonlReader(f"{work}/exact"), MinhashDedupFilter(input_folder=f"{work}/mrem"),
             JsonlWriter(f"{work}/out")], name="m4")


    if __name__ == "__main__":  # datatrove's workers import this file again
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
''')


def make_dump(data: Path, out: Path, size_mb: float, seed: int) -> None:
    if out.is_dir() and any(out.iterdir()):
        return
    subprocess.run([sys.executable, str(data.parent / "tools" / "make_dump.py"), "--out",
                    str(out), "--size-mb", str(size_mb), "--seed", str(seed), "--data", str(data)],
                   check=True, capture_output=True)


def dump_to_jsonl(dump: Path, out: Path) -> tuple[int, int]:
    """Write the dump's records (read, split, markers stripped) as JSONL; return the count of
    records and of distinct texts."""
    import orjson
    import xxhash

    from corpus_clean import Config
    from corpus_clean.engine.pipeline import FileReader
    from corpus_clean.reading.reader import FileInfo, list_input_files
    from corpus_clean.stages.markers import MarkerStripper

    out.mkdir(parents=True, exist_ok=True)
    n = 0
    distinct = set()
    with open(out / "records.jsonl", "wb") as f:
        for file in list_input_files(dump):
            reader = FileReader(file, FileInfo(file.source), Config())
            stripper = MarkerStripper(reader.is_marker)
            for record, drop in reader:
                if drop is None:
                    r = stripper.apply(record)
                    if hasattr(r, "text"):
                        f.write(orjson.dumps({"text": r.text, "id": r.id}) + b"\n")
                        n += 1
                        distinct.add(xxhash.xxh3_128_intdigest(r.text.encode("utf-8",
                                                                             "surrogatepass")))
    return n, len(distinct)


def startup_seconds(cli: list[str], dump: Path, workers: int, extra: list[str],
                    runs: int = 3) -> float:
    """The fixed cost of a run: the least wall time of ``runs`` runs on a dump of the first
    40 lines of ``dump``'s first uncompressed file (imports, the worker pool, the outputs)."""
    first = next(p for p in sorted(dump.iterdir()) if p.suffix == ".txt")
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "dump"
        tiny.mkdir()
        with open(first, "rb") as f:
            (tiny / first.name).write_bytes(b"".join(f.readline() for _ in range(40)))
        return min(timed([*cli, str(tiny), "-o", str(Path(tmp) / "out"), "--overwrite",
                          "--workers", str(workers), *extra])[0] for _ in range(runs))


LAST_STDERR = [""]


def timed(cmd: list[str], env=None) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB of the largest process of its tree).
    Its standard error is kept in ``LAST_STDERR[0]``."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    LAST_STDERR[0] = proc.stderr
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    return wall, rss_kb / 1024


def stage_times(stderr: str) -> str:
    """The summary's "time per stage" table (corpus-clean's standard error) on one line."""
    parts, on = [], False
    for line in stderr.splitlines():
        if line.startswith("time per stage"):
            on = True
        elif on and "│" in line:
            stage, seconds, share = (c.strip() for c in line.split("│"))
            parts.append(f"{stage} {float(seconds):.1f} s ({share})")
    return ", ".join(parts)


def dump_mb(dump: Path) -> float:
    manifest = dump.parent / f"{dump.name}.manifest.json"
    return json.loads(manifest.read_text())["bytes_total"] / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sizes", type=float, nargs="+", default=[10, 100])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dumps", type=Path, default=Path(tempfile.gettempdir()) / "cc-bench-dumps")
    ap.add_argument("--datatrove-python", help="a Python interpreter with datatrove installed")
    ap.add_argument("--skip-langdetect", action="store_true",
                    help="skip the (slow) run with the default langdetect tagger")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "corpus_clean"]
    try:
        import pycld2  # noqa: F401
        have_cld2 = True
    except ImportError:
        have_cld2 = False
    per_mb = []  # (size, MB, wall, distinct records) of the run with the fast tagger
    main_extra = ["--lang-backend", "cld2"] if have_cld2 else []
    for size in args.sizes:
        dump = args.dumps / f"d{size:g}-s{args.seed}"
        make_dump(args.data, dump, size, args.seed)
        mb = dump_mb(dump)
        print(f"\n== dump {dump} ({mb:.1f} MB), {args.workers} workers")
        with tempfile.TemporaryDirectory(dir=args.dumps) as tmp:
            tmp = Path(tmp)
            runs = []
            if not args.skip_langdetect:
                runs.append(("corpus-clean, all stages, langdetect", dump, []))
            if have_cld2:
                runs.append(("corpus-clean, all stages, cld2", dump, ["--lang-backend", "cld2"]))
            for name, src, extra in runs:
                out = tmp / f"out-{len(extra)}"
                wall, rss = timed([*cli, str(src), "-o", str(out), "--workers",
                                   str(args.workers), *extra])
                stats = json.loads((out / "stats.json").read_text())
                print(f"  {name:44s} {wall:7.1f} s  {mb / wall:6.2f} MB/s "
                      f"({mb / wall / args.workers:5.2f} per core)  "
                      f"{stats['records_in'] / wall:7.0f} rec/s  peak RSS {rss:6.0f} MB")
                print(f"      time per stage, all workers: {stage_times(LAST_STDERR[0])}")
                if extra == main_extra:
                    per_mb.append([size, mb, wall, 0])
            n, distinct = dump_to_jsonl(dump, tmp / "jsonl")
            if per_mb and per_mb[-1][0] == size:
                per_mb[-1][3] = distinct
            jmb = (tmp / "jsonl" / "records.jsonl").stat().st_size / 1e6
            out = tmp / "out-eq"
            wall_cc, rss = timed([*cli, str(tmp / "jsonl"), "-o", str(out), "--workers",
                                  str(args.workers), "--lang-backend", "none"])
            print(f"  {'corpus-clean, datatrove-equivalent (JSONL)':44s} {wall_cc:7.1f} s  "
                  f"{jmb / wall_cc:6.2f} MB/s  {n / wall_cc:7.0f} rec/s  peak RSS {rss:6.0f} MB "
                  f"({n} records, {jmb:.1f} MB JSONL)")
            print(f"      time per stage, all workers: {stage_times(LAST_STDERR[0])}")
            if args.datatrove_python:
                script = tmp / "dt.py"
                script.write_text(DATATROVE_SCRIPT)
                wall_dt, rss = timed([args.datatrove_python, str(script), str(tmp / "jsonl"),
                                      str(tmp / "dt"), str(args.workers)])
                print(f"  {'datatrove: exact + MinHash dedup (JSONL)':44s} {wall_dt:7.1f} s  "
                      f"{jmb / wall_dt:6.2f} MB/s  {n / wall_dt:7.0f} rec/s  peak RSS {rss:6.0f} MB")
                print(f"  throughput ratio corpus-clean / datatrove: {wall_dt / wall_cc:.2f}x")
    if per_mb:
        start = startup_seconds(cli, args.dumps / f"d{args.sizes[0]:g}-s{args.seed}",
                                args.workers, main_extra)
        name = "cld2" if have_cld2 else "langdetect"
        print(f"\n== time per MB, all stages, {name}, {args.workers} workers "
              f"(start-up: {start:.2f} s, a run on 40 lines)")
        for size, mb, wall, distinct in per_mb:
            print(f"  {size:g} MB: {wall / mb:.3f} s/MB, {(wall - start) / mb:.3f} s/MB net of "
                  f"start-up, {1000 * (wall - start) / distinct:.3f} s per 1,000 distinct "
                  f"records ({distinct:,})")


if __name__ == "__main__":
    main()
