"""What checkpointing costs, and what ``--resume`` saves.

On one dump (``--dump DIR``, e.g. built by ``shared/tools/make_dump.py``), in this process:

1. a full run, timing the checkpoint's own work (writing each file's scan results, fsync,
   hashing the file, journalling) and measuring the checkpoint folder's size at its largest
   (just before the completed run removes it);
2. a run interrupted (KeyboardInterrupt, as Ctrl-C) once half of the files are journalled;
3. ``resume=True`` on it: its wall time, and whether the four outputs equal run 1's.

Prints the figures; asserts nothing about time. Example::

    python bench/bench_resume.py --dump /tmp/dump10 --workers 2 --lang-backend none
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus_clean import Config, OutputWriter, clean_dir  # noqa: E402
from corpus_clean.engine.resume import Checkpoint  # noqa: E402
from corpus_clean.reading.reader import list_input_files  # noqa: E402

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lang-backend", default="none")
    args = ap.parse_args()
    config = Config(lang_backend=args.lang_backend)
    files = list_input_files(args.dump)
    size = sum(f.path.stat().st_size for f in files)
    work = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    spent = {"add": 0.0, "complete": 0.0}
    largest = [0]
    add, complete, close = Checkpoint.add, Checkpoint.complete, Checkpoint.close

    def timed(name, fn):
        def wrapper(self, *a):
            t0 = time.perf_counter()
            try:
                return fn(self, *a)
            finally:
                spent[name] += time.perf_counter() - t0
        return wrapper

    def measuring_close(self, keep):
        largest[0] = max(largest[0], folder_bytes(self.dir))
        close(self, keep)

    Checkpoint.add, Checkpoint.complete = timed("add", add), timed("complete", complete)
    Checkpoint.close = measuring_close
    try:
        t0 = time.perf_counter()
        full = clean_dir(args.dump, OutputWriter(work / "full"), config, workers=args.workers)
        t_full = time.perf_counter() - t0
        ck = sum(spent.values())
        print(f"dump: {len(files)} files, {size / 1e6:.1f} MB, {full.records_in:,} records")
        print(f"full run: {t_full:.1f} s; checkpoint work {ck:.2f} s "
              f"({100 * ck / t_full:.1f}% of the run: write {spent['add']:.2f} s, "
              f"fsync+hash+journal {spent['complete']:.2f} s)")
        print(f"checkpoint folder at its largest: {largest[0] / 1e6:.1f} MB "
              f"({largest[0] / size:.2f}x the dump; {largest[0] / full.records_in:,.0f} "
              "bytes per record)")

        half = len(files) // 2
        done = [0]

        def interrupting(self, index, info):
            complete(self, index, info)
            done[0] += 1
            if done[0] == half:
                raise KeyboardInterrupt

        Checkpoint.complete = interrupting
        t0 = time.perf_counter()
        try:
            clean_dir(args.dump, OutputWriter(work / "cut"), config, workers=args.workers)
        except KeyboardInterrupt:
            pass
        t_cut = time.perf_counter() - t0
        Checkpoint.complete = complete
        t0 = time.perf_counter()
        resumed = clean_dir(args.dump, OutputWriter(work / "cut", overwrite=True), config,
                            workers=args.workers, resume=True)
        t_resume = time.perf_counter() - t0
        same = all((work / "full" / n).read_bytes() == (work / "cut" / n).read_bytes()
                   for n in OUTPUTS)
        print(f"interrupted after {half} of {len(files)} files: {t_cut:.1f} s; resumed run "
              f"{t_resume:.1f} s ({len(resumed.resume.restored)} files restored, "
              f"{resumed.resume.bytes_restored / 1e6:.1f} MB not read again); "
              f"interrupted + resumed = {100 * (t_cut + t_resume) / t_full:.0f}% of a full run")
        print(f"outputs identical to the full run: {same}")
    finally:
        Checkpoint.add, Checkpoint.complete, Checkpoint.close = add, complete, close
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
