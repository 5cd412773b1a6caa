"""Dumps behind a URL, read through fsspec: ``memory://`` stands in for an object store (the
same fsspec calls list and open an ``s3://`` or ``gs://`` prefix)."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner
from paths import GOLDEN, SEEDS

from corpus_clean import Config, InputError, OutputWriter, clean_dir
from corpus_clean.cli import cli
from corpus_clean.reader import list_input_files
from corpus_clean.writer import OUTPUT_FILES

fsspec = pytest.importorskip("fsspec")  # in the test extra (with dask): CI runs these tests


@pytest.fixture
def memory_dump(request):
    """The seed files under ``memory://<test name>/seeds/``, plus a hidden file and a hidden
    directory that must be skipped; removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/{request.node.name}"
    for path in sorted(SEEDS.iterdir()):
        fs.pipe(f"{root}/seeds/{path.name}", path.read_bytes())
    fs.pipe(f"{root}/seeds/.hidden.txt", b"never read\n")
    fs.pipe(f"{root}/seeds/.cache/x.txt", b"never read\n")
    yield f"memory://{root}/seeds"
    fs.rm(root, recursive=True)


def test_a_url_dump_gives_the_golden_bytes(memory_dump, tmp_path):
    out = tmp_path / "out"
    report = clean_dir(memory_dump, OutputWriter(out), Config(), workers=1)
    assert report.records_in == 65
    for name in OUTPUT_FILES:
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_url_listing_is_sorted_relative_and_skips_hidden(memory_dump):
    files = list_input_files(memory_dump)
    assert [f.source for f in files] == sorted(p.name for p in SEEDS.iterdir())
    assert [f.path.stat().st_size for f in files] == [p.stat().st_size
                                                      for p in sorted(SEEDS.iterdir())]
    one = list_input_files(memory_dump + "/" + files[0].source)
    assert [f.source for f in one] == [files[0].source]
    assert str(one[0].path) == f"{memory_dump}/{files[0].source}"


def test_cli_reads_a_url_dump(memory_dump, tmp_path):
    result = CliRunner().invoke(cli, [memory_dump, "-o", "-", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (GOLDEN / "clean.jsonl").read_bytes()


@pytest.mark.parametrize("url, message", [
    ("memory://no/such/dump", "memory://no/such/dump: no such file or directory"),
    ("nosuchprotocol://dump", "nosuchprotocol://dump: Protocol not known: nosuchprotocol"),
])
def test_bad_urls_are_one_error_line(url, message, tmp_path):
    result = CliRunner().invoke(cli, [url, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"


def test_missing_fsspec_is_an_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(InputError, match=r"^memory://dump: reading URLs needs fsspec .*"
                                         r"pip install 'corpus-clean\[dask\]'$"):
        list_input_files("memory://dump")
