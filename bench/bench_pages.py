"""Page dumps at speed: corpus-clean against datatrove's WARC pipeline, on the same WARC files.

    python bench/bench_pages.py ../shared/data --datatrove-python /path/to/venv/bin/python \
        [--workers 2] [--copies 4]

Builds WARC files (gzipped per record, with warcio) from the HTML pages of
``pages/trafilatura/`` (each page a ``response`` record, ``--copies`` times with distinct URLs,
spread over ``--workers`` files so that datatrove, which shards by file, gets one file per
task), then runs, on those files and with the same number of worker processes:

* datatrove: ``WarcReader -> Trafilatura -> JsonlWriter`` (its own defaults:
  ``favour_precision``, deduplicate, 1 s timeout), ``LocalPipelineExecutor(tasks=workers,
  workers=workers)``, gzip output, in the Python given (datatrove is not a dependency);
* corpus-clean with trafilatura and with Resiliparse (``--lang-backend cld2`` and ``none``:
  datatrove's pipeline identifies no language), gzip output.

With ``--memory 1,11``: instead of the race, one uncompressed WARC file per number of copies
(11 copies of the 96.8 MB of pages: 1.07 GB), each cleaned by corpus-clean (trafilatura, cld2,
``--workers``); prints its size, pages, wall seconds and the peak RSS of the largest process
(``/usr/bin/time -f %M``): the figure that must stay flat as the WARC grows.

Prints wall seconds, pages per second and per core, and the CPU seconds of the whole machine
over the run (from ``/proc/stat``: datatrove's workers are children of a forkserver, which
``getrusage`` misses). corpus-clean does more per page (line rules, quality, exact and near
dedup), so the ratio is of two different jobs: the price of the rest of the pipeline.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: datatrove's run, as a script file (its forkserver workers import the main module again)
DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import JsonlWriter

if __name__ == "__main__":
    warcs, out, logs, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    LocalPipelineExecutor(pipeline=[WarcReader(warcs), Trafilatura(), JsonlWriter(out)],
                          tasks=workers, workers=workers, logging_dir=logs).run()
"""


def cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (user + nice + system + irq + softirq)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


def build_warcs(data: Path, out: Path, workers: int, copies: int, gzip_records: bool = True,
                ) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    folder = data / "pages" / "trafilatura"
    rows = [json.loads(line) for line in (folder / "pages.jsonl").read_text().splitlines()]
    pages = [gzip.open(folder / row["file"]).read() for row in rows]
    out.mkdir(parents=True)
    suffix = ".warc.gz" if gzip_records else ".warc"
    files = [open(out / f"part-{i}{suffix}", "wb") for i in range(workers)]
    writers = [WARCWriter(f, gzip=gzip_records) for f in files]
    n = 0
    for copy in range(copies):
        for i, page in enumerate(pages):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                    protocol="HTTP/1.1")
            writer = writers[n % workers]
            writer.write_record(writer.create_warc_record(
                f"https://example.org/{copy}/{i}", "response", payload=io.BytesIO(page),
                http_headers=http))
            n += 1
    for f in files:
        f.close()
    return n


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    c0, t0 = cpu_seconds(), time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=tempfile.gettempdir(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, cpu_seconds() - c0


def memory(data: Path, copies: list[int], workers: int) -> None:
    """Peak RSS of corpus-clean on one uncompressed WARC file per number of ``copies``."""
    print("| WARC | pages | wall s | pages/s | peak RSS of the largest process |")
    print("|---|---|---|---|---|")
    for n in copies:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            pages = build_warcs(data, tmp / "warc", 1, n, gzip_records=False)
            size = sum(p.stat().st_size for p in (tmp / "warc").iterdir())
            t0 = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "corpus_clean",
                 str(tmp / "warc"), "-o", str(tmp / "out"), "-q", "--workers", str(workers),
                 "--lang-backend", "cld2"], capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tempfile.gettempdir())
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-2000:])
            rss = int(proc.stderr.strip().splitlines()[-1]) / 1024
            print(f"| {size / 1e9:.2f} GB ({n} copies) | {pages:,} | {wall:.1f} | "
                  f"{pages / wall:.1f} | {rss:.0f} MB |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--datatrove-python", help="a Python with datatrove[processing,io]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--memory", help="numbers of copies, comma-separated: peak RSS on one "
                        "uncompressed WARC of each (see the docstring)")
    args = parser.parse_args()
    if args.memory:
        memory(args.data, [int(n) for n in args.memory.split(",")], args.workers)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pages = build_warcs(args.data, tmp / "warc", args.workers, args.copies)
        size = sum(p.stat().st_size for p in (tmp / "warc").iterdir())
        print(f"{pages} pages in {args.workers} WARC files, {size / 1e6:.1f} MB gzipped; "
              f"{args.workers} workers")
        print("| run | wall s | pages/s | per core | machine CPU s |")
        print("|---|---|---|---|---|")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        runs = []
        if args.datatrove_python:
            script = tmp / "datatrove_run.py"
            script.write_text(DATATROVE)
            runs.append(("datatrove WarcReader + Trafilatura + JsonlWriter",
                         [args.datatrove_python, str(script), str(tmp / "warc"),
                          str(tmp / "dt-out"), str(tmp / "dt-logs"), str(args.workers)]))
        for extractor in ("trafilatura", "resiliparse"):
            for lang in ("cld2", "none"):
                runs.append((f"corpus-clean --extractor {extractor} --lang-backend {lang}",
                             [sys.executable, "-m", "corpus_clean", str(tmp / "warc"), "-o",
                              str(tmp / f"cc-{extractor}-{lang}"), "-q", "--compress", "gz",
                              "--workers", str(args.workers), "--extractor", extractor,
                              "--lang-backend", lang]))
        for name, cmd in runs:
            wall, cpu = timed(cmd, env if "corpus_clean" in cmd else None)
            print(f"| {name} | {wall:.1f} | {pages / wall:.1f} | "
                  f"{pages / wall / args.workers:.1f} | {cpu:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
