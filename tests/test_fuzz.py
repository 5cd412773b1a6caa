"""Fuzz: random bytes, random Unicode in random encodings, and mutated real files (byte flips,
truncations, inserted NULs, mixed encodings, random compression, cut compressed streams) go
through the whole pipeline and the CLI. Never an uncaught exception; every record accounted
for (records in == kept + rejected, every id exactly once in clean + rejected, every file
that could not be read has its ``read`` reject); the same bytes for 1 and 2 workers.

Bounded and deterministic for CI: ``derandomize=True`` (a fixed seed) and no example
database, about 250 examples in all, about 12 s. For a longer hunt, raise
``FUZZ_EXAMPLES`` (environment variable), or run the atheris harness ``fuzz/atheris_pipeline.py``.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import textwrap

import zstandard
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fuzz_checks import check_run, write_dump
from support.paths import FIXTURES, SEEDS

from corpus_clean import Config
from corpus_clean.cli.command import cli

SCALE = int(os.environ.get("FUZZ_EXAMPLES", "1"))
FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

#: real files to mutate: the seeds, legacy-encoded fixtures, a JSON Lines fixture
ORIGINALS = {
    **{p.name: p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))},
    "gbk.txt": (FIXTURES / "gbk_abstracts.txt").read_bytes(),
    "big5.txt": (FIXTURES / "big5_sentences.txt").read_bytes(),
    "spam.jsonl": (FIXTURES / "spam_lines.jsonl").read_bytes()[:6000],
}
# seed 002 (blank-line layout) with its records wrapped at 60 characters: records of several
# lines, so that a cut between two lines of one paragraph would show
ORIGINALS["wrapped.txt"] = "\n".join(
    "\n".join(textwrap.wrap(line, 60)) for line in
    ORIGINALS[next(n for n in ORIGINALS if n.startswith("002"))].decode().split("\n")
).encode()
GBK_BYTES = ORIGINALS["gbk.txt"][:400]
COMPRESS = {
    "gz": lambda b: gzip.compress(b, mtime=0),
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": lambda b: zstandard.ZstdCompressor().compress(b),
}


# --- strategies ---------------------------------------------------------------------------

@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A real file, mutated, maybe compressed, maybe cut."""
    name = draw(st.sampled_from(sorted(ORIGINALS)))
    data = bytearray(ORIGINALS[name])
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "nul", "gbk", "crlf", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "nul":
            data[pos:pos] = b"\x00" * draw(st.integers(1, 3))
        elif kind == "gbk":  # a legacy-encoded stretch inside UTF-8 text
            data[pos:pos] = GBK_BYTES[: draw(st.integers(1, len(GBK_BYTES)))]
        elif kind == "crlf":
            data = bytearray(bytes(data).replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"]))))
        elif kind == "delete":
            del data[pos: pos + draw(st.integers(1, 200))]
    codec = draw(st.sampled_from([None, None, "gz", "bz2", "xz", "zst"]))
    if codec:
        data = bytearray(COMPRESS[codec](bytes(data)))
        if draw(st.booleans()):  # a cut or damaged archive
            del data[draw(st.integers(0, len(data))):]
        name += f".{codec}"
    return name, bytes(data)


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030",
             "big5", "latin-1", "cp1252", "shift_jis"]


@st.composite
def unicode_file(draw) -> tuple[str, bytes]:
    """Random Unicode text (any code point but surrogates) in a random encoding."""
    lines = draw(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
                          max_size=15))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    name = draw(st.sampled_from(["u.txt", "u.jsonl"]))
    return name, newline.join(lines).encode(encoding, errors="replace")


bytes_file = st.tuples(st.sampled_from(["b.txt", "b.jsonl", "b.gz"]), st.binary(max_size=3000))


# --- properties ---------------------------------------------------------------------------

@settings(FUZZ, max_examples=60 * SCALE)
@given(files=st.lists(bytes_file, min_size=1, max_size=3))
def test_random_bytes(tmp_path, files):
    check_run(write_dump(tmp_path / "dump", files), tmp_path / "out",
              Config(lang_backend="none"))


@settings(FUZZ, max_examples=60 * SCALE)
@given(files=st.lists(unicode_file(), min_size=1, max_size=3))
def test_random_unicode_in_random_encodings(tmp_path, files):
    check_run(write_dump(tmp_path / "dump", files), tmp_path / "out")


@settings(FUZZ, max_examples=100 * SCALE)
@given(files=st.lists(mutated(), min_size=1, max_size=4))
def test_mutated_real_files(tmp_path, files):
    check_run(write_dump(tmp_path / "dump", files), tmp_path / "out",
              Config(lang_backend="none"))


@settings(FUZZ, max_examples=10 * SCALE)
@given(files=st.lists(st.one_of(mutated(), unicode_file(), bytes_file), min_size=2,
                      max_size=5))
def test_mutated_files_same_bytes_for_one_and_two_workers(tmp_path, files):
    dump = write_dump(tmp_path / "dump", files)
    config = Config(batch_records=7, lang_backend="none")  # many batches, so that workers really interleave
    one = check_run(dump, tmp_path / "one", config, workers=1)
    two = check_run(dump, tmp_path / "two", config, workers=2)
    assert one == two


@settings(FUZZ, max_examples=25 * SCALE)
@given(files=st.lists(st.one_of(mutated(), unicode_file(), bytes_file), min_size=1,
                      max_size=3))
def test_cli_never_shows_a_traceback(tmp_path, files):
    dump = write_dump(tmp_path / "dump", files)
    result = CliRunner().invoke(cli, [str(dump), "-o", str(tmp_path / "out"), "--overwrite",
                                      "--lang-backend", "none", "--workers", "1", "-q"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.stderr
    *warnings, last = result.stderr.splitlines() or [""]
    assert all(w.startswith("warning: ") for w in warnings), result.stderr
    if result.exit_code == 1:  # one line, naming the dump
        assert last == f"Error: {dump}: no readable file ({len(files)} skipped; see messages " \
                       "above)"


def test_atheris_harness_runs_clean():
    """The optional coverage-guided harness, for 150 inputs (skipped without atheris)."""
    import importlib.util
    import subprocess
    import sys

    import pytest
    from support.paths import ROOT

    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed (pip install 'corpus-clean[fuzz]')")
    proc = subprocess.run([sys.executable, str(ROOT / "fuzz" / "atheris_pipeline.py"),
                           "-runs=150", "-seed=1", "-max_len=2048", "-len_control=0"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 150 runs" in proc.stderr


@settings(FUZZ, max_examples=40 * SCALE)
@given(files=st.lists(st.one_of(mutated(), unicode_file(), bytes_file), min_size=1,
                      max_size=4),
       block=st.integers(1, 3000), chunk=st.sampled_from([1, 2, 3, 7, 64, 1000, 1 << 20]))
def test_reading_in_blocks_equals_reading_in_one_piece(tmp_path, files, block, chunk):
    """Workers decode and split blocks cut at record boundaries (corpus_clean.reading.blocks); the
    outputs are those of reading each file in one piece in the run's process (block_bytes=0),
    for tiny blocks (a cut before nearly every record) and tiny chunks (a \\r\\n or a
    multi-byte character across reads)."""
    dump = write_dump(tmp_path / "dump", files)
    whole = check_run(dump, tmp_path / "whole",
                      Config(block_bytes=0, chunk_bytes=chunk, lang_backend="none"))
    blocks = check_run(dump, tmp_path / "blocks",
                       Config(block_bytes=block, chunk_bytes=chunk, batch_records=5,
                              lang_backend="none"), workers=2)
    assert blocks == whole
