"""The fuzz tests' checks, shared by tests/test_fuzz.py (hypothesis) and the atheris harness
fuzz/atheris_pipeline.py: run the pipeline on a dump and assert that every record is
accounted for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from corpus_clean import Config, InputError, OutputWriter, clean_dir

OUTPUTS = ("clean.jsonl", "rejected.jsonl", "stats.json", "dedup-report.json")


def check_run(dump: Path, out: Path, config: Config = Config(), workers: int = 1):
    """Run the pipeline; assert the run either completes with every record accounted for, or
    stops with the documented InputError and no output. Return the outputs' bytes or None."""
    shutil.rmtree(out, ignore_errors=True)
    try:
        report = clean_dir(dump, OutputWriter(out, overwrite=True), config, workers=workers)
    except InputError as exc:
        assert "no readable file" in str(exc) or "no input files" in str(exc), exc
        assert not any((out / name).exists() for name in OUTPUTS)
        return None
    assert report.records_in == report.kept + report.rejected
    clean = [json.loads(x) for x in (out / "clean.jsonl").read_bytes().splitlines()]
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_bytes().splitlines()]
    ids = [r["id"] for r in clean + rejected]
    assert len(ids) == len(set(ids)) == report.records_in
    stats = json.loads((out / "stats.json").read_bytes())
    assert stats["records_in"] == sum(f["records_in"] for f in stats["files"])
    read_rejects = {r["source"] for r in rejected if r["stage"] == "read"}
    for error in stats["errors"]:
        if error["reason"] != "changed_while_read":
            assert error["source"] in read_rejects, error
    return [(out / name).read_bytes() for name in OUTPUTS]


def write_dump(root: Path, files: list[tuple[str, bytes]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        old.unlink()
    for i, (name, data) in enumerate(files):
        (root / f"{i:02d}_{name}").write_bytes(data)
    return root
