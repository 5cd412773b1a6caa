"""The Dask executor against the local one, in the same run: wall time, and what goes through
the driver.

It runs corpus-clean on a dump three times, each in a fresh process: with the local executor
(``--workers N``), and with ``--executor dask`` on a LocalCluster of N worker processes (started
by the run itself), the workers writing their parts of the output as shards (the default) and
the driver writing every record (``--dask-writes driver``). For each Dask run it reports the
bytes the driver process read and wrote: files (``rchar`` + ``wchar`` of ``/proc/self/io`` when
the process exits; these count ``read``/``write`` calls, not a socket's ``recv``/``send``) and
sockets (bytes received and sent, counted at Python's socket methods: the client's and the
scheduler's traffic with the workers, and with each other, since a LocalCluster's scheduler
runs in the driver), each net of the same run on a small dump (start-up, imports, the
cluster's own chatter), as a share of the dump's bytes, and the size of ``dedup-report.json``
(written by a worker when the workers write, else by the driver). It checks that the outputs
are byte-identical to the local run's (shards joined in name order; ``stats.json`` but for
its list of outputs).

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

#: run corpus-clean's CLI and print, on exit, this process's /proc/self/io counters (its file
#: reads and writes: rchar and wchar count read() and write() calls, not a socket's recv and
#: send) and the bytes it received and sent on sockets, counted at Python's socket methods
#: (tornado, which distributed's TCP comms use, and asyncio call recv_into/recv/send/sendall)
WRAPPER = (
    "import atexit, runpy, socket, sys\n"
    "sock = {'in': 0, 'out': 0}\n"
    "def counted(name, key, size):\n"
    "    real = getattr(socket.socket, name)\n"
    "    def method(self, *args, **kwargs):\n"
    "        result = real(self, *args, **kwargs)\n"
    "        sock[key] += size(result, args)\n"
    "        return result\n"
    "    setattr(socket.socket, name, method)\n"
    "counted('recv_into', 'in', lambda n, a: n)\n"
    "counted('recv', 'in', lambda data, a: len(data))\n"
    "counted('send', 'out', lambda n, a: n)\n"
    "counted('sendall', 'out', lambda r, a: len(a[0]))\n"
    "def report():\n"
    "    with open('/proc/self/io') as f:\n"
    "        sys.stderr.write('PROC_IO ' + ' '.join(f.read().split()) + '\\n')\n"
    "    sys.stderr.write(f\"PROC_IO sock_in: {sock['in']} sock_out: {sock['out']}\\n\")\n"
    "atexit.register(report)\n"
    "sys.argv = ['corpus-clean'] + sys.argv[1:]\n"
    "runpy.run_module('corpus_clean', run_name='__main__')\n"
)


def outputs(out: Path) -> dict[str, bytes]:
    """The outputs in ``out`` as the local executor names them: shards (``clean-00000.jsonl``
    ...) joined in name order; ``stats.json`` without its list of outputs."""
    stats = json.loads((out / "stats.json").read_bytes())
    stats.pop("outputs")
    got = {"stats.json": json.dumps(stats).encode(),
           "dedup-report.json": (out / "dedup-report.json").read_bytes()}
    for stem in ("clean", "rejected", "removed-lines"):
        files = sorted(out.glob(f"{stem}.jsonl")) + sorted(out.glob(f"{stem}-*.jsonl"))
        got[stem] = b"".join(p.read_bytes() for p in files)
    return got


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


def run(dump: Path, out: Path, args: list[str]) -> tuple[float, dict[str, int]]:
    """Run corpus-clean on ``dump`` into ``out``; return (wall seconds, its process's I/O:
    ``files`` (rchar + wchar) and ``sockets`` (bytes received and sent))."""
    env = {**os.environ, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(dump), "-o", str(out), "-q",
                           *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed: {args}\n{proc.stderr[-2000:]}")
    io = {}
    for line in proc.stderr.splitlines():
        if line.startswith("PROC_IO "):
            fields = line.split()[1:]
            io.update({fields[k].rstrip(":"): int(fields[k + 1])
                       for k in range(0, len(fields), 2)})
    return wall, {"files": io["rchar"] + io["wchar"], "sockets": io["sock_in"] + io["sock_out"]}


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
        dump = sizes[args.size]
        total = dump_bytes(dump)
        local_wall, local_io = run(dump, tmp / "local", common)
        expected = outputs(tmp / "local")
        report = (tmp / "local" / "dedup-report.json").stat().st_size
        print(f"{dump} ({total / 1e6:.1f} MB), {args.workers} workers, "
              f"--lang-backend {args.lang_backend}")
        print(f"  local executor: {local_wall:7.1f} s; its process read and wrote "
              f"{local_io['files'] / 1e6:.1f} MB of files, {local_io['sockets'] / 1e6:.1f} MB "
              "on sockets")
        for writes in ("workers", "driver"):
            how = [*dask, "--dask-writes", writes]
            _, small_io = run(sizes[args.small], tmp / f"small-{writes}", how)
            small = dump_bytes(sizes[args.small])
            wall, io = run(dump, tmp / f"dask-{writes}", how)
            same = outputs(tmp / f"dask-{writes}") == expected
            net = {k: io[k] - small_io[k] for k in io}
            print(f"  Dask LocalCluster, --dask-writes {writes}: {wall:7.1f} s "
                  f"({wall / local_wall:.2f}x the local executor); outputs byte-identical: "
                  f"{'yes' if same else 'NO'}")
            print(f"    the driver read and wrote {io['files'] / 1e6:.1f} MB of files and "
                  f"{io['sockets'] / 1e6:.1f} MB on sockets; net of a run on the "
                  f"{small / 1e6:.1f} MB dump ({small_io['files'] / 1e6:.1f} MB, "
                  f"{small_io['sockets'] / 1e6:.1f} MB): files {net['files'] / 1e6:.1f} MB "
                  f"({100 * net['files'] / total:.1f}% of the dump), sockets "
                  f"{net['sockets'] / 1e6:.1f} MB ({100 * net['sockets'] / total:.1f}%), "
                  f"together {100 * sum(net.values()) / total:.1f}%")
        print(f"  dedup-report.json (a worker writes it, or the driver with --dask-writes "
              f"driver): {report / 1e6:.1f} MB, "
              f"{100 * report / total:.1f}% of the dump")

if __name__ == "__main__":
    main()
