"""A run's outputs as the local executor names them, whoever wrote them."""

from __future__ import annotations

import json
import re
from pathlib import Path


def joined_outputs(out: Path) -> dict[str, bytes]:
    """The outputs in directory ``out`` keyed as the local executor names them: the shards a
    cluster's workers wrote (``clean-00000.jsonl`` ...) joined in name order into
    ``clean.jsonl``, ``rejected.jsonl`` and ``removed-lines.jsonl`` (when there is one), and
    ``stats.json`` without its list of outputs (which names the shards), once that list is
    checked to be every file there is. Also checks that no staging directory is left."""
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert not list(out.glob(".corpus-clean-*"))
    return _joined(files, lambda name: (out / name).read_bytes())


def joined_remote_outputs(fs, root: str) -> dict[str, bytes]:
    """:func:`joined_outputs` of an output URL (``fs``: its fsspec filesystem, ``root`` its
    path); checks that nothing else, hidden or not, is left there."""
    found = sorted(p[len(root) + 1:] for p in fs.find(root))
    assert all("/" not in name and not name.startswith(".") for name in found), found
    return _joined(found, lambda name: fs.cat_file(f"{root}/{name}"))


def _joined(files: list[str], read) -> dict[str, bytes]:
    stats = json.loads(read("stats.json"))
    assert stats.pop("outputs") == files
    got = {"stats.json": json.dumps(stats).encode(), "dedup-report.json": read("dedup-report.json")}
    for stem in ("clean", "rejected", "removed-lines"):
        shards = [n for n in files if re.fullmatch(rf"{stem}(-\d{{5,}})?\.jsonl", n)]
        if shards or stem != "removed-lines":
            got[f"{stem}.jsonl"] = b"".join(read(n) for n in shards)
    return got
