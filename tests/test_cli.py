"""The command line: exit codes, the stdout/stderr split, `-o -`, bad input end to end."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from click.testing import CliRunner
from support.paths import FIXTURES, GOLDEN, SEEDS

from corpus_clean.cli.command import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_stdout_mode_writes_clean_jsonl_only(tmp_path):
    result = run(SEEDS, "-o", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes == (GOLDEN / "clean.jsonl").read_bytes()
    assert "records in" in result.stderr and "65" in result.stderr
    assert "kept" in result.stderr and "53" in result.stderr
    assert not (tmp_path / "-").exists()


def test_quiet_silences_stderr():
    result = run(SEEDS, "-o", "-", "-q")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 53


def test_directory_output_and_nothing_on_stdout(tmp_path):
    out = tmp_path / "out"
    result = run(SEEDS, "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "clean.jsonl", "dedup-report.json", "rejected.jsonl", "stats.json"]
    for name in ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json"):
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes()


def test_two_runs_are_byte_identical(tmp_path):
    run(SEEDS, "-o", tmp_path / "a", "-q")
    run(SEEDS, "-o", tmp_path / "b", "-q")
    for name in ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_non_empty_output_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run(SEEDS, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert str(out) in result.stderr and "--overwrite" in result.stderr
    assert run(SEEDS, "-o", out, "--overwrite", "-q").exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "stats.json").exists()


def test_unwritable_output_is_exit_1_naming_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(SEEDS, "-o", blocker / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and str(blocker) in result.stderr
    result = run(SEEDS, "-o", blocker)
    assert result.exit_code == 1 and "not a directory" in result.stderr


def test_missing_directory_is_a_usage_error(tmp_path):
    result = run(tmp_path / "nope", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_output_option_is_a_usage_error():
    result = run(SEEDS)
    assert result.exit_code == 2
    assert "-o" in result.stderr


def test_empty_directory_is_exit_1(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "empty" in result.stderr
    assert not (tmp_path / "out" / "stats.json").exists()


def test_only_binary_files_is_exit_1_and_leaves_no_output(tmp_path):
    d = tmp_path / "bin"
    d.mkdir()
    (d / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run(d, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "no readable file" in result.stderr
    assert "a.png" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_binary_file_among_text_files_is_reported_and_skipped(dump, tmp_path):
    (dump / "010_image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    out = tmp_path / "out"
    result = run(dump, "-o", out)
    assert result.exit_code == 0
    assert "010_image.txt: binary file (PNG image)" in result.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["errors"] == [{"source": "010_image.txt", "reason": "binary_file",
                                "message": "010_image.txt: binary file (PNG image), skipped"}]
    assert stats["kept"] == 53 and stats["records_in"] == 66
    skipped = [r for r in rows(out / "rejected.jsonl") if r["stage"] == "read"]
    assert skipped == [{
        "id": "010_image.txt", "text": "", "source": "010_image.txt", "line": None,
        "stage": "read", "reason": "binary_file",
        "detail": "010_image.txt: binary file (PNG image), skipped",
        "duplicate_of": None, "translated_by": None, "mt_engine": None}]


def test_gbk_file_is_decoded_and_tagged_chinese(dump, tmp_path):
    shutil.copyfile(FIXTURES / "gbk_abstracts.txt", dump / "010_gbk.txt")
    out = tmp_path / "out"
    assert run(dump, "-o", out, "-q").exit_code == 0
    expected = (FIXTURES / "gbk_abstracts.utf8.txt").read_text(encoding="utf-8").splitlines()
    got = [r for r in rows(out / "clean.jsonl") if r["source"] == "010_gbk.txt"]
    assert [r["text"] for r in got] == expected
    assert {r["lang"] for r in got} == {"zh-cn"}
    stats = json.loads((out / "stats.json").read_text())
    info = [f for f in stats["files"] if f["source"] == "010_gbk.txt"][0]
    assert info["encoding"] in ("gb18030", "gbk")


def test_truncated_gzip_keeps_complete_records_and_rejects_the_cut_one(dump, tmp_path):
    data = gzip.compress((SEEDS / "003_021855e50a64dd07.txt").read_bytes())
    (dump / "010_cut.txt.gz").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0
    assert "010_cut.txt.gz" in result.stderr
    cut = [r for r in rows(out / "rejected.jsonl") if r["source"] == "010_cut.txt.gz"]
    read_drops = [r for r in cut if r["stage"] == "read"]
    assert len(read_drops) == 1 and read_drops[0]["reason"] == "truncated_file"
    assert read_drops[0]["text"]  # the incomplete text is kept in the rejects, not lost
    # the complete records before the cut are exact copies of 003 records: rejected as such
    assert {r["reason"] for r in cut if r["stage"] != "read"} == {"exact_duplicate"}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["records_in"] == stats["kept"] + stats["rejected"]


def test_empty_file_is_fine(dump, tmp_path):
    (dump / "010_empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    assert run(dump, "-o", out, "-q").exit_code == 0
    stats = json.loads((out / "stats.json").read_text())
    info = [f for f in stats["files"] if f["source"] == "010_empty.txt"][0]
    assert (info["lines"], info["records_in"], info["error"]) == (0, 0, None)
    assert stats["records_in"] == 65


def test_single_file_argument(tmp_path):
    out = tmp_path / "out"
    assert run(SEEDS / "002_3e3487d38700c770.txt", "-o", out, "-q").exit_code == 0
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["records_in"], stats["kept"]) == (14, 11)


def test_help_ends_with_an_example():
    for args in (["--help"], ["clean", "--help"]):
        result = run(*args)
        assert result.exit_code == 0
        assert "corpus-clean seeds/ -o" in result.stdout
    assert run("clean", "--help").stdout.rstrip().splitlines()[-1].strip().startswith(
        "-h, --help")
    text = run("clean", "--help").stdout
    assert text.index("Example:") < text.index("Options:")


def test_every_option_is_documented_in_the_readme_and_the_usage_docs():
    for doc in ("README.md", "docs/usage.md"):
        _assert_options_documented((SEEDS.parent / doc).read_text(encoding="utf-8"))


def _assert_options_documented(readme: str) -> None:
    command = cli.commands["clean"]
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert f"`{opt}" in readme or f"{opt}`" in readme or f", {opt}" in readme, opt


def test_failed_run_leaves_no_temporary_files(tmp_path):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    assert run(tmp_path / "empty", "-o", out).exit_code == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path):
    out = tmp_path / "out"
    (out / ".corpus-clean-abc").mkdir(parents=True)
    (out / ".corpus-clean-abc" / "survivors.jsonl").write_text("x")
    (out / ".clean.jsonl.tmp").write_text("half")
    assert run(SEEDS, "-o", out, "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "clean.jsonl", "dedup-report.json", "rejected.jsonl", "stats.json"]


def test_broken_symlink_is_reported_not_a_traceback(dump, tmp_path):
    (dump / "010_link.txt").symlink_to(tmp_path / "nowhere.txt")
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0
    assert "010_link.txt: cannot read" in result.stderr
    read = [r for r in rows(out / "rejected.jsonl") if r["stage"] == "read"]
    assert [(r["source"], r["reason"]) for r in read] == [("010_link.txt", "unreadable")]


def test_report_names_the_keep_policy(tmp_path):
    out = tmp_path / "out"
    assert run(SEEDS, "-o", out, "-q", "--keep", "longest").exit_code == 0
    report = json.loads((out / "dedup-report.json").read_text())
    assert report["parameters"]["keep"] == "longest"


def test_missing_cld2_is_reported_before_any_work(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pycld2" else real(name, *a))
    result = run(SEEDS, "-o", tmp_path / "out", "--lang-backend", "cld2")
    assert result.exit_code == 1
    assert "needs the pycld2 package" in result.stderr


def _jsonl_lines(paths):
    import gzip as gz

    import zstandard

    out = []
    for p in paths:
        data = p.read_bytes()
        if p.name.endswith(".gz"):
            data = gz.decompress(data)
        elif p.name.endswith(".zst"):
            data = zstandard.ZstdDecompressor().stream_reader(data).read()
        out += data.splitlines()
    return out


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_compressed_output_is_the_same_records_and_deterministic(tmp_path, codec):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run(SEEDS, "-o", out, "-q", "--compress", codec).exit_code == 0
    assert sorted(p.name for p in a.iterdir()) == [
        f"clean.jsonl.{codec}", "dedup-report.json", f"rejected.jsonl.{codec}", "stats.json"]
    assert _jsonl_lines([a / f"clean.jsonl.{codec}"]) == (GOLDEN / "clean.jsonl").read_bytes().splitlines()
    assert _jsonl_lines([a / f"rejected.jsonl.{codec}"]) == (
        GOLDEN / "rejected.jsonl").read_bytes().splitlines()
    for name in (f"clean.jsonl.{codec}", f"rejected.jsonl.{codec}"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_sharded_output_concatenates_to_the_whole(tmp_path):
    out = tmp_path / "out"
    assert run(SEEDS, "-o", out, "-q", "--shard-size", "20").exit_code == 0
    shards = sorted(out.glob("clean-*.jsonl"))
    assert [p.name for p in shards] == ["clean-00000.jsonl", "clean-00001.jsonl",
                                        "clean-00002.jsonl"]
    assert [len(p.read_bytes().splitlines()) for p in shards] == [20, 20, 13]
    assert _jsonl_lines(shards) == (GOLDEN / "clean.jsonl").read_bytes().splitlines()
    # by bytes, and a rerun with other shards replaces the earlier ones
    assert run(SEEDS, "-o", out, "-q", "--overwrite", "--shard-size", "30KB").exit_code == 0
    shards = sorted(out.glob("clean*.jsonl"))
    assert all(p.stat().st_size <= 30_000 or len(p.read_bytes().splitlines()) == 1
               for p in shards)
    assert _jsonl_lines(shards) == (GOLDEN / "clean.jsonl").read_bytes().splitlines()


def test_shard_size_and_compress_usage_errors(tmp_path):
    result = run(SEEDS, "-o", tmp_path / "o", "--shard-size", "lots")
    assert result.exit_code == 2 and "--shard-size" in result.stderr
    result = run(SEEDS, "-o", "-", "--compress", "gz")
    assert result.exit_code == 2 and "need an output directory" in result.stderr


def test_zstd_input_and_a_truncated_one(dump, tmp_path):
    import zstandard

    data = (SEEDS / "003_021855e50a64dd07.txt").read_bytes()
    z = zstandard.ZstdCompressor().compress(data)
    (dump / "010_copy.txt.zst").write_bytes(z)
    (dump / "011_cut.txt.zst").write_bytes(z[: len(z) // 2])
    out = tmp_path / "out"
    result = run(dump, "-o", out, "-q")
    assert result.exit_code == 0
    assert "011_cut.txt.zst" in result.stderr
    rej = rows(out / "rejected.jsonl")
    copy = [r for r in rej if r["source"] == "010_copy.txt.zst"]
    assert len(copy) == 11 and {r["reason"] for r in copy} == {"exact_duplicate"}
    cut = [r for r in rej if r["source"] == "011_cut.txt.zst"]
    assert [(r["stage"], r["line"]) for r in cut] == [("read", None)]
    assert cut[0]["reason"] in ("corrupt_compressed", "truncated_file")


def test_skip_stages_leaves_their_records_to_the_others(tmp_path):
    """--skip spam,quality on the seeds: the seeds' spam record (a porn line) is kept instead
    of rejected by spam, no stage named is run (no drop of theirs), the others drop what they
    drop in a full run, conservation holds, and the setting is in stats.json; a stage that
    cannot be skipped is an error naming those that can."""
    full, skipped = tmp_path / "full", tmp_path / "skip"
    assert run(SEEDS, "-o", full, "--lang-backend", "none").exit_code == 0
    assert run(SEEDS, "-o", skipped, "--lang-backend", "none",
               "--skip", "spam, quality").exit_code == 0
    a = json.loads((full / "stats.json").read_text())
    b = json.loads((skipped / "stats.json").read_text())
    assert a["drops"].get("spam") and "spam" not in b["drops"] and "quality" not in b["drops"]
    assert b["drops"]["boilerplate"] == a["drops"]["boilerplate"]
    assert b["records_in"] == a["records_in"] == b["kept"] + b["rejected"]
    assert b["kept"] == a["kept"] + sum(a["drops"]["spam"].values()) + sum(
        a["drops"].get("quality", {}).values())
    assert b["config"]["skip_stages"] == "spam, quality"
    spam_ids = {json.loads(line)["id"] for line in (full / "rejected.jsonl").open()
                if json.loads(line)["stage"] == "spam"}
    kept_ids = {json.loads(line)["id"] for line in (skipped / "clean.jsonl").open()}
    assert spam_ids and spam_ids <= kept_ids
    bad = run(SEEDS, "-o", tmp_path / "bad", "--skip", "dedup")
    assert bad.exit_code != 0
    assert "dedup cannot be skipped; the stages that can: markers, boilerplate, spam, quality" \
        in bad.output
