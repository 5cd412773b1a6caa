"""Dumps behind a URL, read through fsspec: ``memory://`` stands in for an object store (the
same fsspec calls list and open an ``s3://`` or ``gs://`` prefix)."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from support.paths import GOLDEN, SEEDS

from corpus_clean import Config, InputError, OutputWriter, clean_dir
from corpus_clean.cli.command import cli
from corpus_clean.reading.reader import list_input_files
from corpus_clean.output.writer import OUTPUT_FILES

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


# --- outputs at a URL -----------------------------------------------------------------------

@pytest.fixture
def memory_out(request):
    """An empty ``memory://`` output location; removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/out-{request.node.name}"
    yield f"memory://{root}", fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _remote_files(fs, root) -> dict[str, bytes]:
    return {p[len(root) + 1:]: fs.cat_file(p) for p in fs.find(root)}


def test_cli_writes_outputs_to_a_url(memory_out, tmp_path):
    """-o s3://... (memory:// here): the four outputs land there with the golden bytes, and
    nothing is left in the staging directory."""
    url, fs, root = memory_out
    staged = set(tmp_path.parent.glob("corpus-clean-out-*"))
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", url + "/", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _remote_files(fs, root) == {n: (GOLDEN / n).read_bytes() for n in OUTPUT_FILES}
    assert set(tmp_path.parent.glob("corpus-clean-out-*")) == staged


def test_a_url_output_is_refused_when_not_empty_and_overwritten_on_request(memory_out):
    """Not empty: exit 1 naming the URL. --overwrite with fewer shards: the stale shards of
    the earlier run are deleted, stats.json is the new run's."""
    url, fs, root = memory_out
    fs.pipe(f"{root}/notes.txt", b"someone else's file")
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", url, "-q"])
    assert result.exit_code == 1
    assert f"{url}: output location is not empty (1 files)" in result.output
    run = [str(SEEDS), "-o", url, "-q", "--overwrite", "--lang-backend", "none"]
    assert CliRunner().invoke(cli, run + ["--shard-size", "10"]).exit_code == 0
    kept = json.loads(fs.cat_file(f"{root}/stats.json"))["kept"]
    assert 30 < kept <= 60
    assert sum(n.startswith("clean-") for n in _remote_files(fs, root)) == -(-kept // 10)
    assert CliRunner().invoke(cli, run + ["--shard-size", "30"]).exit_code == 0
    names = sorted(_remote_files(fs, root))
    assert names == ["clean-00000.jsonl", "clean-00001.jsonl", "dedup-report.json",
                     "notes.txt", "rejected.jsonl", "stats.json"]


def test_a_failed_upload_leaves_no_stats_json(memory_out, monkeypatch):
    """stats.json goes up last: if an upload fails the run exits 1 and the URL has no
    stats.json, the mark of a complete output."""
    url, fs, root = memory_out
    real_put = type(fs).put_file

    def put_file(self, lpath, rpath, **kwargs):
        if rpath.endswith("rejected.jsonl"):
            raise OSError("connection reset")
        return real_put(self, lpath, rpath, **kwargs)

    monkeypatch.setattr(type(fs), "put_file", put_file)
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", url, "-q"])
    assert result.exit_code == 1
    assert f"{url}: upload failed (connection reset)" in result.output
    assert "stats.json" not in _remote_files(fs, root)


def test_resume_needs_a_local_output_directory(memory_out):
    url, _, _ = memory_out
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", url, "--resume"])
    assert result.exit_code == 2
    assert "--resume needs a local output directory, not a URL" in result.output
