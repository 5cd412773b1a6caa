"""Throughput at scale, and a fair race with datatrove on the same records.

For each size it builds a dump with ``shared/tools/make_dump.py`` (``--remix``: texts kept
distinct past 40 MB; or reuses one), then measures, each in a fresh process, wall time, CPU
seconds, MB/s, records/s and peak RSS of:

1. ``corpus-clean`` on the raw dump, all stages on, default langdetect tagger;
2. the same with the fast tagger (``--lang-backend cld2``, if pycld2 is installed);
3. the dump's records as JSONL, split into as many files as there are workers (datatrove's
   readers shard by file, so one file would leave all but one of its tasks idle), the same
   files for both tools, outputs uncompressed on both sides:

   a. corpus-clean doing what datatrove does: read, exact dedup, MinHash LSH near dedup,
      write (``--skip markers,boilerplate,spam,quality --lang-backend none``);
   b. corpus-clean with its filters as well (``--lang-backend none``): more work than
      datatrove's;
   c. datatrove (``--datatrove-python``, a Python with datatrove installed): JsonlReader, exact
      dedup (ExactDedupSignature/FindDedups/Filter), the four MinHash dedup stages
      (signature, buckets, cluster, filter) and a JsonlWriter, one task per file on as many
      workers, its default MinHash settings; no language model (its fastText model cannot be
      downloaded here).

CPU seconds are the machine's (``/proc/stat``: all CPU time but idle and I/O wait, over the
run), so that they include processes that ``getrusage`` misses (datatrove's workers are
children of a fork server); run it on an otherwise idle machine. Each side's MinHash settings
are printed. It prints the ratios (c) / (a) and (c) / (b) from the same run. MB are 10**6
bytes of the dump's uncompressed text. At the end it prints, per size, the time per MB of run
(2) (or (1) without pycld2), also net of the fixed start-up (a run on a dump of a few
records: imports, worker pool, outputs), and per 1,000 distinct record texts. Example::

    python bench/bench_scale.py --data ../shared/data --sizes 10 100 --workers 2 --remix \\
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
        import json
        mh = MinhashConfig()
        print(json.dumps({"shingles": f"word {mh.n_grams}-grams",
                          "num_perm": mh.num_buckets * mh.hashes_per_bucket,
                          "bands": mh.num_buckets, "rows": mh.hashes_per_bucket,
                          "threshold": round((1 / mh.num_buckets) ** (1 / mh.hashes_per_bucket),
                                             3),
                          "seed": mh.seed, "hash": str(mh.hash_config)}), flush=True)
        def run(pipeline, n=tasks, name="s"):
            LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=min(n, tasks),
                                  logging_dir=f"{work}/logs/{name}").run()
        exact = ExactDedupConfig(content_getter=text_of)
        run([JsonlReader(src), ExactDedupSignature(output_folder=f"{work}/esig", config=exact)],
            name="e1")
        run([ExactFindDedups(data_folder=f"{work}/esig", output_folder=f"{work}/edup",
                             config=exact)], n=1, name="e2")
        run([JsonlReader(src), ExactDedupFilter(data_folder=f"{work}/edup", config=exact),
             JsonlWriter(f"{work}/exact", compression=None)], name="e3")
        run([JsonlReader(f"{work}/exact"), MinhashDedupSignature(output_folder=f"{work}/msig",
                                                                 config=mh)], name="m1")
        run([MinhashDedupBuckets(input_folder=f"{work}/msig", output_folder=f"{work}/mbuck",
                                 config=mh)], n=mh.num_buckets, name="m2")
        run([MinhashDedupCluster(input_folder=f"{work}/mbuck", output_folder=f"{work}/mrem",
                                 config=mh)], n=1, name="m3")
        run([JsonlReader(f"{work}/exact"), MinhashDedupFilter(input_folder=f"{work}/mrem"),
             JsonlWriter(f"{work}/out", compression=None)], name="m4")


    if __name__ == "__main__":  # datatrove's workers import this file again
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
''')


def make_dump(data: Path, out: Path, size_mb: float, seed: int, remix: bool = False) -> None:
    if out.is_dir() and any(out.iterdir()):
        return
    subprocess.run([sys.executable, str(data.parent / "tools" / "make_dump.py"), "--out",
                    str(out), "--size-mb", str(size_mb), "--seed", str(seed), "--data", str(data),
                    *(["--remix"] if remix else [])], check=True, capture_output=True)


def dump_to_jsonl(dump: Path, out: Path, parts: int) -> tuple[int, int]:
    """Write the dump's records (read, split, markers stripped) as JSONL, in ``parts`` files
    of about equal size in input order (``records-00000.jsonl``, ...); return the count of
    records and of distinct texts."""
    import orjson
    import xxhash

    from corpus_clean import Config
    from corpus_clean.engine.pipeline import FileReader
    from corpus_clean.reading.reader import FileInfo, list_input_files
    from corpus_clean.stages.markers import MarkerStripper

    out.mkdir(parents=True, exist_ok=True)
    distinct = set()
    n = 0
    whole = out.parent / f"{out.name}.all"  # all records first, then cut into parts
    with open(whole, "wb") as f:
        for file in list_input_files(dump):
            reader = FileReader(file, FileInfo(file.source), Config())
            stripper = MarkerStripper(reader.is_marker)
            for record, drop in reader:
                if drop is None:
                    r = stripper.apply(record)
                    if hasattr(r, "text"):
                        f.write(orjson.dumps({"text": r.text, "id": r.id}) + b"\n")
                        n += 1
                        distinct.add(xxhash.xxh3_128_intdigest(
                            r.text.encode("utf-8", "surrogatepass")))
    total, size, part = whole.stat().st_size, 0, 0
    with open(whole, "rb") as src:
        f = open(out / f"records-{part:05d}.jsonl", "wb")
        for line in src:
            if size >= total * (part + 1) / parts and part + 1 < parts:
                f.close()
                part += 1
                f = open(out / f"records-{part:05d}.jsonl", "wb")
            f.write(line)
            size += len(line)
        f.close()
    whole.unlink()
    return n, len(distinct)


def cpu_seconds() -> float:
    """The machine's CPU seconds so far, all CPUs, but idle and I/O wait (``/proc/stat``)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


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
LAST_STDOUT = [""]
LAST_CPU = [0.0]
#: corpus-clean doing what datatrove's pipeline does: no filter, no language identification
DEDUP_ONLY = ["--skip", "markers,boilerplate,spam,quality", "--lang-backend", "none"]


def timed(cmd: list[str], env=None) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB of the largest process of its tree).
    Its standard error is kept in ``LAST_STDERR[0]``, its standard output in
    ``LAST_STDOUT[0]``, the machine's CPU seconds over the run in ``LAST_CPU[0]``."""
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})})
    wall = time.perf_counter() - t0
    LAST_CPU[0] = cpu_seconds() - c0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    LAST_STDERR[0] = proc.stderr
    LAST_STDOUT[0] = proc.stdout
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


def near_settings() -> dict:
    """corpus-clean's MinHash settings, as its dedup report gives them."""
    from corpus_clean import Config
    from corpus_clean.stages.neardup import index_parameters

    c = Config()
    p = index_parameters(c.near_threshold, c.num_perm, c.minhash_seed, c.shingle_words,
                         c.shingle_chars)
    return {"shingles": p["shingles"], "num_perm": p["num_perm"], "bands": p["bands"],
            "rows": p["rows"], "threshold": p["threshold"], "seed": p["seed"],
            "hash": p["minhash"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sizes", type=float, nargs="+", default=[10, 100])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--remix", action="store_true",
                    help="make_dump.py --remix dumps (texts distinct past 40 MB; r<size>-s<seed>)")
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
    prefix = "r" if args.remix else "d"
    print(f"cores: {os.cpu_count()}, workers: {args.workers}; CPU seconds: the machine's "
          "(/proc/stat), over each run")
    for size in args.sizes:
        dump = args.dumps / f"{prefix}{size:g}-s{args.seed}"
        make_dump(args.data, dump, size, args.seed, args.remix)
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
                print(f"  {name:44s} {wall:7.1f} s  CPU {LAST_CPU[0]:6.1f} s  "
                      f"{mb / wall:6.2f} MB/s ({mb / wall / args.workers:5.2f} per core)  "
                      f"{stats['records_in'] / wall:7.0f} rec/s  peak RSS {rss:6.0f} MB")
                print(f"      time per stage, all workers: {stage_times(LAST_STDERR[0])}")
                if extra == main_extra:
                    per_mb.append([size, mb, wall, 0])
            n, distinct = dump_to_jsonl(dump, tmp / "jsonl", args.workers)
            if per_mb and per_mb[-1][0] == size:
                per_mb[-1][3] = distinct
            jmb = sum(p.stat().st_size for p in (tmp / "jsonl").iterdir()) / 1e6
            print(f"  -- the same records as JSONL: {n:,} records, {jmb:.1f} MB in "
                  f"{args.workers} files; outputs uncompressed on both sides")
            print(f"     corpus-clean MinHash: {json.dumps(near_settings())}")
            walls = {}
            for key, name, extra in (
                    ("same", "corpus-clean, what datatrove does", DEDUP_ONLY),
                    ("more", "corpus-clean, + its filters", ["--lang-backend", "none"])):
                out = tmp / f"out-{key}"
                wall, rss = timed([*cli, str(tmp / "jsonl"), "-o", str(out), "--workers",
                                   str(args.workers), *extra])
                walls[key] = wall
                print(f"  {name:44s} {wall:7.1f} s  CPU {LAST_CPU[0]:6.1f} s  "
                      f"{jmb / wall:6.2f} MB/s  {n / wall:7.0f} rec/s  peak RSS {rss:6.0f} MB")
                print(f"      time per stage, all workers: {stage_times(LAST_STDERR[0])}")
            if args.datatrove_python:
                script = tmp / "dt.py"
                script.write_text(DATATROVE_SCRIPT)
                wall_dt, rss = timed([args.datatrove_python, str(script), str(tmp / "jsonl"),
                                      str(tmp / "dt"), str(args.workers)])
                settings = LAST_STDOUT[0].strip().splitlines()[0]
                print(f"  {'datatrove: exact + MinHash dedup':44s} {wall_dt:7.1f} s  "
                      f"CPU {LAST_CPU[0]:6.1f} s  {jmb / wall_dt:6.2f} MB/s  "
                      f"{n / wall_dt:7.0f} rec/s  peak RSS {rss:6.0f} MB")
                print(f"     datatrove MinHash: {settings}")
                print(f"  throughput ratio corpus-clean / datatrove, the same work: "
                      f"{wall_dt / walls['same']:.2f}x; with corpus-clean's filters as well: "
                      f"{wall_dt / walls['more']:.2f}x")
    if per_mb:
        start = startup_seconds(cli, args.dumps / f"{prefix}{args.sizes[0]:g}-s{args.seed}",
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
