"""Page dumps: corpus-clean against its extractor alone, scored as trafilatura scores itself.

    python bench/eval_pages.py ../shared/data [--workers 2]

1. ``pages/trafilatura/`` (real HTML pages with labels in ``pages.jsonl``: per page, strings
   that must be kept, ``with``, and boilerplate that must be dropped, ``without``): every page
   through ``trafilatura.extract`` alone, and the folder through corpus-clean (each page one
   document; its kept text is the ``text`` of its record in ``clean.jsonl``, nothing if it was
   rejected). A ``with`` string found in a page's kept text is a true positive, missing a false
   negative; a ``without`` string found is a false positive. Prints precision, recall and F1 of
   both, pages per second, and the kept records that still hold an HTML tag or entity.
2. ``pages/shiyibihua/`` (Jekyll Markdown paper pages): corpus-clean over the folder; prints
   the documents kept and rejected, and the kept lines that are front matter, raw HTML or page
   metadata (``作者:``, ``分类:``, ``发布日期:``, ``备注:``), which a clean corpus should not hold.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus_clean import Config, OutputWriter, clean_dir  # noqa: E402

#: a tag of an HTML element (not any text in angle brackets: a motto <Nulla dies sine linea>,
#: File "<stdin>", line 3, in <module> are text) or a character entity
TAG = re.compile(
    r"</?(?:html|head|body|div|span|p|a|br|hr|img|table|tbody|thead|tr|td|th|ul|ol|li|dl|dt|dd"
    r"|script|style|meta|link|iframe|button|form|input|h[1-6]|section|article|nav|header"
    r"|footer|aside|main|strong|em|b|i|u|small|sup|sub|code|pre|blockquote|figure|figcaption"
    r"|noscript|svg|label|select|option|textarea|source|video|audio|picture)(?:\s[^<>]*)?/?>"
    r"|&(?:nbsp|amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);", re.IGNORECASE)
METADATA = re.compile(r"^(?:作者|分类|发布日期|备注|layout|title)\s*[:：]")


def score(rows: list[dict], texts: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the kept ``texts`` (by page file) against the labels."""
    tp = fn = fp = 0
    for row in rows:
        text = texts.get(row["file"], "")
        for s in row["with"]:
            if s in text:
                tp += 1
            else:
                fn += 1
        fp += sum(s in text for s in row["without"])
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def run(dump: Path, out: Path, workers: int, extractor: str = "trafilatura"
        ) -> tuple[list[dict], list[dict], float]:
    t0 = time.perf_counter()
    report = clean_dir(dump, OutputWriter(out, overwrite=True), Config(extractor=extractor),
                       workers=workers)
    seconds = time.perf_counter() - t0
    kept = [json.loads(line) for line in (out / "clean.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    pages = sum(r["source"].endswith((".html", ".htm", ".html.gz", ".htm.gz", ".md"))
                for r in kept + rejected)
    removed = {f"{stage}/{reason}": n for stage, reasons in report.line_drops.items()
               for reason, n in sorted(reasons.items())}
    print(f"  [{dump.name}, {extractor}] extract {1000 * report.seconds.get('extract', 0) / max(pages, 1):.1f} ms a page; "
          f"rejected {dict(Counter(r['stage'] + '/' + r['reason'] for r in rejected))}; "
          f"lines removed {removed}")
    return kept, rejected, seconds


def trafilatura_pages(data: Path, workers: int) -> None:
    import trafilatura

    folder = data / "pages" / "trafilatura"
    rows = [json.loads(line) for line in (folder / "pages.jsonl").read_text().splitlines()]
    t0 = time.perf_counter()
    alone = {row["file"]: trafilatura.extract(gzip.open(folder / row["file"]).read()) or ""
             for row in rows}
    alone_seconds = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "html"
        dump.mkdir()
        for row in rows:
            (dump / Path(row["file"]).name).symlink_to((folder / row["file"]).resolve())
        kept, rejected, seconds = run(dump, Path(tmp) / "out", workers)
        fast = None
        try:
            import resiliparse  # noqa: F401
            fast = run(dump, Path(tmp) / "fast", workers, "resiliparse")
        except ImportError:
            pass
    texts = {f"html/{r['source']}": r["text"] for r in kept}
    print(f"trafilatura pages: {len(rows)} pages; corpus-clean kept {len(kept)}, rejected "
          f"{len(rejected)} ({', '.join(sorted({r['stage'] + '/' + r['reason'] for r in rejected}))})")
    print("| run | precision | recall | F1 | pages/s |")
    print("|---|---|---|---|---|")
    runs = [("trafilatura.extract alone", alone, alone_seconds, 1),
            (f"corpus-clean ({workers} workers)", texts, seconds, workers)]
    if fast is not None:
        runs.append((f"corpus-clean --extractor resiliparse ({workers} workers)",
                     {f"html/{r['source']}": r["text"] for r in fast[0]}, fast[2], workers))
    for name, got, secs, cores in runs:
        p, r, f = score(rows, got)
        print(f"| {name} | {p:.4f} | {r:.4f} | {f:.4f} | {len(rows) / secs:.1f} "
              f"({len(rows) / secs / cores:.1f} per core) |")
    tagged = sum(bool(TAG.search(r["text"])) for r in kept)
    print(f"kept records holding an HTML tag or entity: {tagged}")


def markdown_pages(data: Path, workers: int) -> None:
    folder = data / "pages" / "shiyibihua"
    with tempfile.TemporaryDirectory() as tmp:
        kept, rejected, seconds = run(folder, Path(tmp) / "out", workers)
    kept = [r for r in kept if r["source"].endswith(".md")]  # the pages (not LICENSE)
    lines = [line for r in kept for line in r["text"].split("\n")]
    front = sum(line.strip() == "---" or line.startswith("layout:") for line in lines)
    html = sum(bool(TAG.search(line)) or "onclick" in line for line in lines)
    meta = sum(bool(METADATA.match(line)) for line in lines)
    print(f"\nshiyibihua Markdown pages: kept {len(kept)}, rejected {len(rejected)} "
          f"({', '.join(sorted({r['stage'] + '/' + r['reason'] for r in rejected}))}), "
          f"{seconds:.1f} s")
    print(f"kept lines: {len(lines)}; front matter {front}, raw HTML {html}, "
          f"page metadata {meta}")
    # each paper's abstracts (its two 摘要 sections), by their first 60 characters (Markdown and
    # LaTeX later in a line render differently: $\\text{l}_1$), found in how many kept
    # documents: as many as the distinct abstracts that start so (three 3DGS papers open alike)
    starts: dict[str, set[str]] = {}
    for page in sorted(folder.rglob("papers/*.md")):
        for section in ("## 📝 摘要（中文）", "## 📄 摘要（原文）"):
            body = page.read_text(encoding="utf-8").split(section, 1)
            if len(body) == 2:
                text = body[1].split("\n## ", 1)[0].strip().split("\n")[0].lstrip("> ").strip()
                if text:
                    starts.setdefault(text[:60], set()).add(text)
    abstracts = {}
    for start, texts in starts.items():
        found = sum(start in r["text"] for r in kept)
        abstracts[start] = 1 if found == len(texts) else (0 if found < len(texts) else 2)
    times = Counter(n for start, n in abstracts.items() for _ in starts[start])
    print(f"distinct abstracts (English and Chinese) on the paper pages: {sum(times.values())}; "
          f"kept once {times[1]}, never {times[0]}, more than once "
          f"{sum(n for k, n in times.items() if k > 1)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    trafilatura_pages(args.data, args.workers)
    markdown_pages(args.data, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
