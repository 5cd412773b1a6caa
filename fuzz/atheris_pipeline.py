"""Coverage-guided fuzzing of the whole pipeline with atheris (optional: ``pip install
'corpus-clean[fuzz]'``; needs a CPython that atheris supports).

Each input is cut into up to three files (a name suffix chosen from the input: ``.txt``,
``.jsonl``, ``.gz``, ``.zst``, ...; the rest raw bytes), written to a temporary dump, and
cleaned; the run must complete with every record accounted for or stop with the documented
``InputError`` (the same check as tests/test_fuzz.py). Any other exception is a finding.

    python fuzz/atheris_pipeline.py -runs=100000 -max_len=4096 [CORPUS_DIR]

tests/test_fuzz.py runs it for a few hundred inputs when atheris is installed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

with atheris.instrument_imports(include=["corpus_clean", "support.fuzz_checks"]):
    from support.fuzz_checks import check_run, write_dump

    from corpus_clean import Config

SUFFIXES = [".txt", ".jsonl", ".gz", ".bz2", ".xz", ".zst", ".txt", ".ndjson.gz"]
CONFIG = Config(lang_backend="none")
WORK = Path(tempfile.mkdtemp(prefix="corpus-clean-atheris-"))


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    files = []
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        suffix = SUFFIXES[fdp.ConsumeIntInRange(0, len(SUFFIXES) - 1)]
        files.append((f"f{suffix}", fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))))
    check_run(write_dump(WORK / "dump", files), WORK / "out", CONFIG)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
