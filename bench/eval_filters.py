"""Labelled evaluation of the marker, boilerplate and spam stages (and dedup) on real dumps.

Runs the pipeline on dumps built by ``shared/tools/make_dump.py`` (every non-blank line is
labelled in ``<dump>.labels.jsonl`` beside the dump) and on the labelled case files of
``tests/fixtures`` (hard negatives: content about translation, abstracts that list keywords,
lexicon words inside clean words), and prints precision and recall per kind and the share of
content records wrongly dropped.

    python bench/eval_filters.py --data ../shared/data --make 20 --seed 1 [--make 20 --seed 2]
    python bench/eval_filters.py --dump /path/to/dump          # a dump with labels beside it

Targets (issue 4): marker lines 100% stripped, their engine attributed as the markers stage
documents; spam and boilerplate recall >= 0.95; content wrongly dropped <= 0.2%; no hard negative dropped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from corpus_clean import Config, OutputWriter, clean_dir  # noqa: E402
from corpus_clean.engine.pipeline import build_stages  # noqa: E402
from corpus_clean.records import Drop, Record  # noqa: E402


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _expected_engine(marker: dict, rec: dict, content: dict) -> tuple:
    """What the record a marker line follows should say of it: the marker's engine, except
    that a marker written in Chinese (谷歌翻译) names no engine on a record that is not
    Chinese (the English originals a site puts its marker after too)."""
    written = marker["engine"] or ""
    own = content.get((rec["source"], rec["line"]), {})
    if any("\u4e00" <= ch <= "\u9fff" for ch in written) and own.get("lang") not in ("zh", None):
        return None, None
    return marker["engine"], marker["engine_canonical"]


def evaluate_dump(dump: Path, config: Config, show: int = 8) -> dict:
    labels_path = dump.parent / f"{dump.name}.labels.jsonl"
    labels = read_rows(labels_path)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        # language identification is not evaluated here, and slow
        clean_dir(dump, OutputWriter(out), dataclasses.replace(config, lang_backend="none"))
        rows = {}
        for name in ("clean", "rejected"):
            for r in read_rows(out / f"{name}.jsonl"):
                r["_out"] = name
                rows[(r["source"], r["line"])] = r
    # the record that starts at each line, and the record each marker line belongs to
    starts = sorted(rows)
    by_file: dict[str, list[int]] = {}
    for source, line in starts:
        by_file.setdefault(source, []).append(line)
    res = Counter()
    examples: dict[str, list[str]] = {}

    def example(key, text):
        examples.setdefault(key, [])
        if len(examples[key]) < show:
            examples[key].append(text[:150])

    def owner(source, line):
        lines = by_file.get(source, [])
        lo, hi = 0, len(lines)
        while lo < hi:
            mid = (lo + hi) // 2
            if lines[mid] <= line:
                lo = mid + 1
            else:
                hi = mid
        return rows.get((source, lines[lo - 1])) if lo else None

    content = {(lab["file"], lab["line"]): lab for lab in labels if lab["kind"] != "marker"}
    for lab in labels:
        kind = lab["kind"]
        if kind == "marker":
            res["marker"] += 1
            rec = owner(lab["file"], lab["line"])
            if rec is None:
                res["marker_lost"] += 1
                continue
            if rec["line"] == lab["line"]:
                res["marker_as_record"] += 1  # a marker line was not attached to a record
                example("marker_as_record", rec["text"])
            elif (rec["translated_by"], rec["mt_engine"]) == _expected_engine(lab, rec, content):
                res["marker_ok"] += 1
            else:
                res["marker_wrong_engine"] += 1
                example("marker_wrong_engine", f"{lab['engine']} -> {rec['translated_by']}")
            continue
        rec = rows.get((lab["file"], lab["line"]))
        if rec is None:
            res[f"{kind}_inside_record"] += 1  # e.g. a line joined into a paragraph
            continue
        stage = rec.get("stage") or "kept"
        res[(kind, stage)] += 1
        if kind == "content":
            if stage not in ("kept", "dedup"):
                example(f"content dropped by {stage}", f"{rec['reason']}: {rec['text']}")
            if stage == "dedup":
                res[("content_dedup", lab.get("dup"), rec["reason"])] += 1
            else:
                res[("content_dedup", lab.get("dup"), "kept" if stage == "kept" else stage)] += 1
        elif stage == "kept":
            example(f"{kind} kept", f"[{lab.get('origin')}/{lab.get('role')}] {rec['text']}")
        elif stage != kind and stage != "dedup":
            example(f"{kind} dropped as {stage}", rec["text"])
    return {"counts": res, "examples": examples}


def hard_negatives(config: Config) -> tuple[int, list[str]]:
    fixtures = ROOT / "tests" / "fixtures"
    stages = build_stages(config)
    total, dropped = 0, []
    for name in ("marker_hard_negatives", "spam_hard_negatives", "zh_clean_abstracts",
                 "zh_traditional_converted"):
        for i, r in enumerate(read_rows(fixtures / f"{name}.jsonl"), start=1):
            total += 1
            rec = Record(f"{name}:{i}", r["text"], name, i)
            original = rec.text
            for stage in stages:
                out = stage.apply(rec)
                if isinstance(out, Drop):
                    dropped.append(f"{name}:{i} {out.stage}/{out.reason}: {original[:80]}")
                    break
                rec = out
            else:
                if rec.text != original:
                    dropped.append(f"{name}:{i} text changed by a stage: {original[:80]}")
    return total, dropped


def _outcome(stages, rec: Record) -> str:
    """The stage that drops ``rec`` ("stage/reason"), or "kept"."""
    for stage in stages:
        out = stage.apply(rec)
        if isinstance(out, Drop):
            return f"{out.stage}/{out.reason}"
        rec = out
    return "kept"


def real_lines(data: Path) -> list[tuple[str, str, str, str]]:
    """(file, label, category, text) of the labelled real lines of ``data/spam``: web lines
    (spam, chrome, ham), SpamAssassin subjects (spam, ham) and UCI SMS spam."""
    spam_dir = data / "spam"
    rows = []
    for r in read_rows(spam_dir / "web_spam.dev.jsonl"):
        rows.append(("web_spam", r["label"], r["category"], r["text"]))
    for r in read_rows(spam_dir / "spamassassin_subjects.dev.jsonl"):
        rows.append(("spamassassin", r["label"], r["source"].split("/")[0], r["text"]))
    for line in (spam_dir / "sms_spam.dev.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(("sms", "spam", "sms", line.strip()))
    return rows


#: what a line of each label should become: spam and chrome removed, ham kept
_WANTED = {"spam": "removed", "chrome": "removed", "ham": "kept"}


def evaluate_real(data: Path, config: Config, show: int = 8) -> None:
    """Print, per file, label and category, the share of real lines each filter removes
    (each line run through the stages as one record), and precision of the spam stage."""
    stages = [s for s in build_stages(config) if s.name in ("markers", "boilerplate", "spam",
                                                             "quality")]
    by: dict[tuple[str, str], Counter] = {}
    by_cat: dict[tuple[str, str, str], Counter] = {}
    misses: dict[tuple[str, str], list[str]] = {}
    for i, (file, label, cat, text) in enumerate(real_lines(data)):
        outcome = _outcome(stages, Record(f"{file}:{i}", text, file, i))
        removed = outcome != "kept"
        for table, key in ((by, (file, label)), (by_cat, (file, label, cat))):
            table.setdefault(key, Counter())[outcome.split("/")[0]] += 1
        if removed != (_WANTED[label] == "removed"):
            misses.setdefault((file, label), []).append(f"[{cat}] {outcome}: {text[:100]}")
    print("\n== real lines (../shared/data/spam): share removed by any filter; ham should stay")
    for (file, label), c in sorted(by.items()):
        total = sum(c.values())
        removed = total - c["kept"]
        stages_seen = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k != "kept")
        print(f"{file:13s} {label:7s} {total:4d} lines: removed {removed / total:.3f} ({stages_seen})")
    print("\nper category (removed / lines):")
    for (file, label, cat), c in sorted(by_cat.items()):
        total = sum(c.values())
        print(f"  {file} {label} {cat}: {total - c['kept']}/{total}")
    for key, texts in sorted(misses.items()):
        print(f"  wrong ({' '.join(key)}): {len(texts)}")
        for t in texts[:show]:
            print(f"      {t}")


def print_report(name: str, result: dict) -> None:
    c = result["counts"]
    print(f"\n== {name}")
    m = c["marker"]
    print(f"markers: {m} lines; stripped, engine attributed right {c['marker_ok']} "
          f"({c['marker_ok'] / max(m, 1):.4f}); wrong engine {c['marker_wrong_engine']}; "
          f"left as a record {c['marker_as_record']}; lost {c['marker_lost']}")
    for kind in ("boilerplate", "spam"):
        total = sum(v for k, v in c.items() if isinstance(k, tuple) and len(k) == 2 and k[0] == kind)
        hit = c[(kind, kind)]
        removed = total - c[(kind, "kept")]
        predicted = sum(v for k, v in c.items() if isinstance(k, tuple) and len(k) == 2 and k[1] == kind)
        print(f"{kind}: {total} records; recall {hit / max(total, 1):.4f} (dropped by the "
              f"{kind} stage), {removed / max(total, 1):.4f} removed by any stage; precision "
              f"{hit / max(predicted, 1):.4f} ({predicted} dropped as {kind})")
    content = sum(v for k, v in c.items() if isinstance(k, tuple) and len(k) == 2 and k[0] == "content")
    wrong = sum(v for k, v in c.items() if isinstance(k, tuple) and len(k) == 2
                and k[0] == "content" and k[1] not in ("kept", "dedup"))
    print(f"content: {content} records; wrongly dropped by a filter {wrong} "
          f"({100 * wrong / max(content, 1):.3f}%)")
    dd = {k[1:]: v for k, v in c.items() if isinstance(k, tuple) and k[0] == "content_dedup"}
    print("content dedup (label dup, outcome): " + ", ".join(
        f"{a}/{b}={v}" for (a, b), v in sorted(dd.items(), key=str)))
    for key, texts in sorted(result["examples"].items()):
        print(f"  e.g. {key}:")
        for t in texts:
            print(f"      {t}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, action="append", default=[],
                    help="a dump directory with <name>.labels.jsonl beside it")
    ap.add_argument("--make", type=float, action="append", default=[],
                    help="build a dump of this many MB with make_dump.py (repeatable)")
    ap.add_argument("--seed", type=int, action="append", default=[],
                    help="seed for each --make (default 1, 2, ...)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--show", type=int, default=6, help="examples shown per error kind")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a Config setting, e.g. --set repeat_min_count=4")
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        kind = type(getattr(Config(), key))
        overrides[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    config = dataclasses.replace(Config(), **overrides)
    if overrides:
        print("config overrides:", overrides)
    with tempfile.TemporaryDirectory() as tmp:
        dumps = list(args.dump)
        for i, mb in enumerate(args.make):
            seed = args.seed[i] if i < len(args.seed) else i + 1
            out = Path(tmp) / f"d{mb:g}-s{seed}"
            subprocess.run([sys.executable, str(args.data.parent / "tools" / "make_dump.py"),
                            "--out", str(out), "--size-mb", str(mb), "--seed", str(seed),
                            "--data", str(args.data)], check=True, capture_output=True)
            dumps.append(out)
        for dump in dumps:
            print_report(str(dump.name), evaluate_dump(dump, config, args.show))
    if (args.data / "spam" / "web_spam.dev.jsonl").exists():
        evaluate_real(args.data, config, args.show)
    total, dropped = hard_negatives(config)
    print(f"\n== hard negatives (tests/fixtures): {total} records, {len(dropped)} dropped or changed")
    for d in dropped:
        print(f"  {d}")


if __name__ == "__main__":
    main()
