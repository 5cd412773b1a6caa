"""Language identification: how far langdetect can be capped, and which fast backend to offer.

1. Cap: on real abstracts (English arXiv abstracts, Chinese machine translations), langdetect's
   answer on the first N characters against its answer on the whole text (agreement), and its
   speed, for several N.
2. Backends: accuracy on lingua's 32-language test sentences (``langid/lingua``) and records/s
   for langdetect (the tagger as configured: script rules, then langdetect), pycld2 and lingua,
   when installed.

    python bench/bench_language.py ../shared/data [--records 1500]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_clean.config import Config  # noqa: E402
from corpus_clean.stages.language import identify_language  # noqa: E402


def abstracts(data: Path, n: int) -> list[str]:
    texts = []
    for path in sorted((data / "arxiv/dw_raw").glob("*.jsonl.gz"))[100:]:
        with gzip.open(path, "rt") as f:
            texts += [json.loads(line)["summary"] for line in f]
        if len(texts) >= n:
            break
    return texts[:n]


def sentences(data: Path, per_lang: int) -> list[tuple[str, str]]:
    out = []
    for path in sorted((data / "langid/lingua").glob("*.txt")):
        if path.stem == "LICENSE":
            continue
        lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        out += [(path.stem, x) for x in lines[:per_lang]]
    return out


def same(code: str, truth: str) -> bool:
    code = code.lower()
    if truth == "zh":
        return code.startswith("zh")
    if truth == "nb":
        return code in ("no", "nb", "nn")
    return code == truth or code.split("-")[0] == truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--records", type=int, default=1500)
    ap.add_argument("--per-lang", type=int, default=60)
    args = ap.parse_args()
    texts = abstracts(args.data, args.records)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    base = Config()
    whole = dataclasses.replace(base, lang_max_chars=10_000)
    full = []
    t0 = time.perf_counter()
    for t in texts:
        full.append(identify_language(t, whole)[0])
    dt = time.perf_counter() - t0
    print(f"{len(texts)} English arXiv abstracts, {mb:.2f} MB")
    print(f"  langdetect, whole text (<= 10,000 chars): {len(texts) / dt:7.0f} rec/s "
          f"{mb / dt:5.2f} MB/s  agreement 1.0000")
    for cap in (100, 150, 200, 250, 300, 500, 1000):
        cfg = dataclasses.replace(base, lang_max_chars=cap)
        t0 = time.perf_counter()
        got = [identify_language(t, cfg)[0] for t in texts]
        dt = time.perf_counter() - t0
        agree = sum(a == b for a, b in zip(got, full)) / len(texts)
        print(f"  langdetect, first {cap:5d} chars:          {len(texts) / dt:7.0f} rec/s "
              f"{mb / dt:5.2f} MB/s  agreement {agree:.4f}")
    sents = sentences(args.data, args.per_lang)
    print(f"\n{len(sents)} test sentences of {len({lang for lang, _ in sents})} languages "
          f"(lingua's language-testdata): accuracy and speed")
    backends = {"corpus-clean tagger (script rules + langdetect)":
                lambda x: identify_language(x, base)[0]}
    try:
        import py3langid  # noqa: F401

        fast = dataclasses.replace(base, lang_backend="py3langid")
        identify_language("warm up the model", fast)
        backends["corpus-clean tagger (script rules + py3langid 0.4)"] = \
            lambda x: identify_language(x, fast)[0]
    except ImportError:
        print("  (py3langid not installed)")
    try:
        import pycld2

        def cld2(x):
            try:
                return pycld2.detect(x)[2][0][1]
            except pycld2.error:
                return "und"
        backends["pycld2 0.42 (CLD2)"] = cld2
    except ImportError:
        print("  (pycld2 not installed)")
    try:
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

        def lingua_(x):
            lang = detector.detect_language_of(x)
            return lang.iso_code_639_1.name.lower() if lang else "und"
        backends["lingua 2.x (high accuracy)"] = lingua_
    except ImportError:
        print("  (lingua not installed)")
    for name, fn in backends.items():
        t0 = time.perf_counter()
        got = [fn(x) for _, x in sents]
        dt = time.perf_counter() - t0
        acc = sum(same(g, truth) for g, (truth, _) in zip(got, sents)) / len(sents)
        langs = sorted({truth for truth, _ in sents})
        per = {lang: [same(g, t) for g, (t, _) in zip(got, sents) if t == lang]
               for lang in langs}
        macro = sum(sum(v) / len(v) for v in per.values()) / len(per)
        t0 = time.perf_counter()
        abs_got = [fn(x) for x in texts]
        dta = time.perf_counter() - t0
        agree = sum(same(g, "en") == same(f, "en") for g, f in zip(abs_got, full)) / len(texts)
        print(f"  {name:48s} accuracy {acc:.4f} (macro {macro:.4f})  "
              f"sentences {len(sents) / dt:7.0f}/s  "
              f"abstracts {mb / dta:6.2f} MB/s (agrees with langdetect on en: {agree:.4f})")


if __name__ == "__main__":
    main()
