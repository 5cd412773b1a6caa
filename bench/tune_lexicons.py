"""Find the lexicon terms that occur in clean real text, and so are weak spam evidence.

Public bad-word lexicons were made for moderation, not for cleaning scientific text: matched as
substrings, the LDNOOBW Chinese list hits most clean Chinese abstracts (性 in 性能, 逼 in 逼近).
This script counts, for every term of the bundled lexicons and of the project's vice list
(``vice_terms.txt``, the ``vice`` signal's offers), how many clean texts of the
shared data contain it (Chinese: substring; English: whole word, case-insensitive), and writes
the terms found in at least one clean text to ``corpus_clean/lexicons/weak_terms.txt``. The spam
stage gives those terms a low weight; the others are strong terms.

Clean texts: Chinese machine-translated abstracts and LLM summaries (shiyibihua pages, GPL-3.0)
and dw-dengwei AI summaries, English arXiv abstracts (dw-dengwei raw crawls), and the news
sentences in 32 languages of lingua's language-identification test data (Apache-2.0). Only the derived
term list (a subset of the MIT/CC-BY lexicons) is written into the package, never the text.

    python bench/tune_lexicons.py ../shared/data            # prints counts, writes the list
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_clean.stages.spam import LEXICON_DIR, VICE_FILE, load_lexicon_terms  # noqa: E402


def vice_terms() -> set[str]:
    """The terms of the vice list (the ``vice`` signal's offers), lower-cased."""
    terms = set()
    for line in (LEXICON_DIR / VICE_FILE).read_text(encoding="utf-8").splitlines():
        term = " ".join(line.strip().lower().split())
        if term and not term.startswith("#"):
            terms.add(term)
    return terms


def clean_texts(data: Path, max_en_files: int = 60):
    with gzip.open(data / "arxiv/shiyibihua/pages_abstracts.dev.jsonl.gz", "rt") as f:
        for line in f:
            d = json.loads(line)
            for key in ("summary_zh", "points_zh", "highlights_zh", "applications_zh", "summary_en"):
                if d.get(key):
                    yield d[key]
    for path in sorted((data / "arxiv/dw_ai_zh").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                d = json.loads(line)
                yield " ".join(str(v) for v in (d.get("AI") or {}).values())
    for path in sorted((data / "langid/lingua").glob("*.txt")):  # news sentences, 32 languages
        yield from path.read_text(encoding="utf-8").splitlines()
    for path in sorted((data / "arxiv/dw_raw").glob("*.jsonl.gz"))[:max_en_files]:
        with gzip.open(path, "rt") as f:
            for line in f:
                yield json.loads(line).get("summary") or ""


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    terms = load_lexicon_terms() | vice_terms()
    cjk_terms = sorted(t for t in terms if not t.isascii())
    ascii_terms = sorted(t for t in terms if t.isascii())
    word_re = {t: re.compile(r"(?<![^\W_])" + re.escape(t) + r"(?![^\W_])") for t in ascii_terms}
    hits = dict.fromkeys(terms, 0)
    n = 0
    for text in clean_texts(data):
        n += 1
        low = text.lower()
        for t in cjk_terms:
            if t in low:
                hits[t] += 1
        for t, rx in word_re.items():
            if t in low and rx.search(low):
                hits[t] += 1
    weak = sorted(t for t, c in hits.items() if c > 0)
    print(f"clean texts: {n}; terms: {len(terms)}; weak (in >= 1 clean text): {len(weak)}")
    for t in sorted(weak, key=lambda t: -hits[t])[:40]:
        print(f"  {hits[t]:7d}  {t}")
    out = LEXICON_DIR / "weak_terms.txt"
    out.write_text(
        "# Lexicon terms found in clean real text by bench/tune_lexicons.py (one per line).\n"
        "# The spam stage weighs them low; see corpus_clean/lexicons/SOURCES.md.\n"
        + "".join(t + "\n" for t in weak),
        encoding="utf-8",
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
