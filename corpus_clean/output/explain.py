"""Why a record is where it is: ``corpus-clean explain OUT RECORD_ID``.

Finds the record in the outputs of a completed run (the files ``stats.json`` lists:
``clean.jsonl`` or its shards, ``rejected.jsonl``, compressed or not), and recomputes, with
the run's settings (``stats.json`` ``config``), what each stage measures on its text:

* ``boilerplate``: the rule that matches (its reason and detail), and the words and CJK
  characters against ``min_words`` and ``min_cjk_chars``;
* ``spam``: every signal with its weight, and the score against ``spam_threshold``;
* ``quality``: the share of characters ftfy's heuristic calls mojibake against its limit, and
  each of Gopher's repetition measures against its limit;
* ``language`` (a kept record): the code and probability the run wrote, and what decided
  them: the Chinese script rule (Han text: Simplified or Traditional by character sets), too
  few letters (``und``), or the backend;
* a duplicate: the record it duplicates, both texts, their character-shingle Jaccard
  similarity and the number of shingles they share; for a record seen in an earlier run
  (``--index``), that run's name, and the earlier text when the run's output directory
  (recorded in the index) still holds it.

A record that a dump-wide rule decided (``repeated_line``: a short line that recurs across
the dump) is explained by its count, which only the run knew: the detail says it.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import fields
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson

from ..config import Config
from ..errors import InputError
from ..stages.boilerplate import classify_boilerplate
from ..stages.dedup import normalise_for_dedup
from ..stages.garbled import GARBLED_SHARE, garbled_share
from ..stages.neardup import shingle_hashes
from ..stages.quality import DUP_NGRAM, LINE_DUP_CHAR_FRACTION, LINE_DUP_FRACTION, TOP_NGRAM
from ..stages.quality import repetition_scores
from ..stages.spam import WEIGHTS, spam_score, spam_signals
from ..stages.language import RULES, language_decision
from ..unicode_scripts import count_scripts

__all__ = ["explain", "find_record", "run_config"]


def _open_lines(path: Path) -> Iterator[bytes]:
    """The lines of an output file, decompressed (``.gz``, ``.zst``)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as f:
            yield from f
    elif path.suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{path}: reading .zst outputs needs the zstandard package: "
                             "pip install zstandard") from None

        with open(path, "rb") as raw:
            yield from io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw))
    else:
        with open(path, "rb") as f:
            yield from f


def _stats(out: Path) -> dict:
    path = out / "stats.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no stats.json here: not the output directory of a "
                         "completed run") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not readable ({exc})") from None


def run_config(stats: dict) -> Config:
    """The run's :class:`Config`, from ``stats.json`` (keys this version does not know are
    left out)."""
    known = {f.name for f in fields(Config)}
    return Config(**{k: v for k, v in (stats.get("config") or {}).items() if k in known})


def find_record(out: Path, record_id: str, stats: dict | None = None
                ) -> tuple[str, dict] | None:
    """``("kept" | "rejected", row)`` of the record ``record_id`` in the outputs of the run in
    ``out``, or None when it is in neither."""
    stats = stats if stats is not None else _stats(out)
    needle = b'"id":' + orjson.dumps(record_id) + b","
    names = stats.get("outputs") or []
    for kind, prefix in (("kept", "clean"), ("rejected", "rejected")):
        for name in sorted(n for n in names if n.startswith(prefix) and ".jsonl" in n):
            path = out / name
            if not path.exists():
                continue
            try:
                for line in _open_lines(path):
                    if line.startswith(b"{" + needle):
                        return kind, orjson.loads(line)
            except (OSError, EOFError, orjson.JSONDecodeError) as exc:
                raise InputError(f"{path}: cannot be read to the end ({exc}); is it the "
                                 "output of a completed run?") from None
    return None


def _shingles(text: str, config: Config) -> np.ndarray:
    return np.unique(shingle_hashes(normalise_for_dedup(text), config.shingle_words,
                                    config.shingle_chars))


def _duplicate(out: Path, row: dict, stats: dict, config: Config,
               index: Path | None) -> dict:
    """What a duplicate's explanation says of the record it duplicates."""
    other_id, run = row.get("duplicate_of"), row.get("duplicate_run")
    other = None
    where = None
    if run is None:
        found = find_record(out, other_id, stats)
        if found is not None:
            other, where = found[1]["text"], "this run"
    else:
        where = f"run {run!r}"
        earlier = _earlier_out(index, run) if index is not None else None
        if earlier is not None and (earlier / "stats.json").exists():
            found = find_record(earlier, other_id)
            if found is not None:
                other = found[1]["text"]
                where = f"run {run!r} ({earlier})"
    info = {"of": other_id, "run": run, "where": where, "text": other}
    if other is not None:
        a, b = _shingles(row["text"], config), _shingles(other, config)
        shared = int(len(np.intersect1d(a, b, assume_unique=True)))
        union = len(a) + len(b) - shared
        info.update({"jaccard": round(shared / union, 6) if union else 1.0,
                     "shared_shingles": shared, "shingles": [int(len(a)), int(len(b))]})
    return info


def _earlier_out(index: Path, run: str) -> Path | None:
    """The output directory the index recorded for ``run``, if any."""
    try:
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for entry in manifest.get("runs", []):
        outs = entry.get("outs") or {}
        if run in outs and outs[run]:
            return Path(outs[run])
    return None


def _language(row: dict, text: str, config: Config) -> dict:
    """The language the run wrote, and what decided it (recomputed)."""
    _, _, rule = language_decision(text, config)
    return {"lang": row.get("lang"), "prob": row.get("lang_prob"),
            "backend": config.lang_backend, "rule": RULES[rule]}


def _checks(text: str, config: Config) -> list[dict]:
    """What each stage measures on ``text``, against its threshold."""
    checks: list[dict] = []
    found = classify_boilerplate(text, config)
    counts = count_scripts(text)
    checks.append({"stage": "boilerplate", "measure": "rule",
                   "value": found[0] if found else None,
                   "threshold": None, "passes": found is None,
                   "detail": found[1] if found else "no boilerplate rule matches"})
    checks.append({"stage": "boilerplate", "measure": "words / cjk_chars",
                   "value": f"{counts.words} / {counts.cjk}",
                   "threshold": f">= {config.min_words} / >= {config.min_cjk_chars} (either)",
                   "passes": counts.words >= config.min_words
                   or counts.cjk >= config.min_cjk_chars, "detail": ""})
    signals = spam_signals(text)
    score = spam_score(signals)
    for name, value in signals.items():
        checks.append({"stage": "spam", "measure": f"signal {name} (weight {WEIGHTS[name]})",
                       "value": value, "threshold": None, "passes": None, "detail": ""})
    checks.append({"stage": "spam", "measure": "spam_score", "value": round(score, 4),
                   "threshold": f"< {config.spam_threshold}",
                   "passes": score < config.spam_threshold, "detail": ""})
    share = garbled_share(text)
    checks.append({"stage": "quality", "measure": "garbled share (ftfy badness)",
                   "value": round(share, 4), "threshold": f"< {GARBLED_SHARE}",
                   "passes": share < GARBLED_SHARE, "detail": ""})
    scores = repetition_scores(text)
    limits = {"dup_lines": LINE_DUP_FRACTION, "dup_line_chars": LINE_DUP_CHAR_FRACTION,
              **{f"top_{n}gram": lim for n, lim in TOP_NGRAM},
              **{f"dup_{n}gram": lim for n, lim in DUP_NGRAM}}
    for name, value in scores.items():
        limit = limits[name]
        checks.append({"stage": "quality", "measure": name, "value": value,
                       "threshold": f"<= {limit}", "passes": value <= limit, "detail": ""})
    return checks


def explain(out: Path, record_id: str, index: Path | None = None) -> dict:
    """The explanation of record ``record_id`` of the run in ``out`` (see the module
    docstring): ``id``, ``outcome`` (``kept`` or ``rejected``), ``source``, ``line``,
    ``text``; for a rejected record ``stage``, ``reason``, ``detail``; ``duplicate`` for a
    duplicate; ``checks`` (each stage's measures against the run's thresholds, recomputed);
    ``language`` for a kept record; ``config`` (the settings used).

    Raises:
        InputError: ``out`` is not the output of a completed run, or holds no record
            ``record_id``.
    """
    out = Path(out)
    stats = _stats(out)
    found = find_record(out, record_id, stats)
    if found is None:
        raise InputError(f"{out}: no record {record_id!r} in the outputs of this run")
    outcome, row = found
    config = run_config(stats)
    result = {"id": row["id"], "outcome": outcome, "source": row.get("source"),
              "line": row.get("line"), "text": row["text"],
              "translated_by": row.get("translated_by"), "mt_engine": row.get("mt_engine")}
    if outcome == "rejected":
        result.update({"stage": row["stage"], "reason": row["reason"],
                       "detail": row["detail"]})
        if row.get("duplicate_of"):
            result["duplicate"] = _duplicate(out, row, stats, config, index)
    else:
        result["language"] = _language(row, row["text"], config)
    result["checks"] = _checks(row["text"], config) if row["text"] else []
    result["config"] = {k: getattr(config, k) for k in (
        "min_words", "min_cjk_chars", "chrome_max_chars", "spam_threshold",
        "near_threshold", "shingle_words", "shingle_chars", "keep", "lang_backend")}
    return result
