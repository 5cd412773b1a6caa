"""Byte comparison of two versions of corpus-clean: the same dump and options through both, every
output file compared (``clean*.jsonl*`` shards included). For refactors that must not change a
byte: run it against the commit before them.

    git worktree add /tmp/base 047f770
    python bench/compare_versions.py --base /tmp/base --dump DUMP \\
        --variant "--workers 1" --variant "--workers 2 --lang-backend cld2 --keep longest"

Each version runs as ``python -m corpus_clean`` from a neutral directory with ``PYTHONPATH`` at
its checkout. Prints one line per variant (the files compared, equal or not, and the two wall
times); exits 1 if any output differs.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(source: Path, dump: Path, out: Path, options: list[str]) -> float:
    """Run the corpus-clean in ``source``; return its wall time in seconds."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(source)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corpus_clean", str(dump), "-o", str(out), "-q",
                    *options], check=True, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout of the other version")
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--variant", action="append", default=[],
                        help="options for both runs (repeatable; default: none)")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variant or [""]:
            options = shlex.split(variant)
            a, b = Path(tmp) / "base", Path(tmp) / "head"
            ta = run(args.base.resolve(), args.dump, a, options)
            tb = run(ROOT, args.dump, b, options)
            names = sorted(p.name for p in a.iterdir() if not p.name.startswith("."))
            other = sorted(p.name for p in b.iterdir() if not p.name.startswith("."))
            differ = sorted(set(names) ^ set(other)) + [
                n for n in names if n in other and (a / n).read_bytes() != (b / n).read_bytes()]
            failed |= bool(differ)
            print(f"{'DIFFERENT (' + ', '.join(differ) + ')' if differ else 'same'}  "
                  f"{variant or '(defaults)'}: {len(names)} files; base {ta:.1f} s, "
                  f"head {tb:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
