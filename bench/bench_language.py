"""Language identification: how far langdetect can be capped, and which fast backend to offer.

1. Cap: on real abstracts (English arXiv abstracts, Chinese machine translations), langdetect's
   answer on the first N characters against its answer on the whole text (agreement), and its
   speed, for several N.
2. Backends: accuracy on lingua's 32-language test sentences (``langid/lingua``) and records/s
   for langdetect (the tagger as configured: script rules, then langdetect), pycld2 and lingua,
   when installed.
3. ``--table``: accuracy per language of the tagger with langdetect, stock langdetect's answers
   against the project's (:mod:`corpus_clean.stages.langdetect_fast`: how many are identical,
   language and probability), and the cost per English abstract of each; then the engine's,
   warm, in batches of ``batch_records`` and of the run's tagging batches (``tag_batch``).
4. ``--pipeline DUMP``: the cost of language identification in a run: corpus-clean on ``DUMP``
   with ``--lang-backend none`` and with each backend, in fresh processes, ``--rounds`` times;
   the median of the all-stages seconds (the sum of the run's "time per stage" table) and of
   the wall time, and each backend's ratio to ``none``.

    python bench/bench_language.py ../shared/data [--records 1500]
    python bench/bench_language.py ../shared/data --table --per-lang 1000
    python bench/bench_language.py ../shared/data --pipeline /tmp/cc-bench-dumps/r100-s5 \
        --rounds 3 --workers 2
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


def stock_langdetect(text: str, config: Config) -> list[tuple[str, float]]:
    """langdetect's own ranked answer, its Detector untouched, as the tagger configures it
    (the quick trials first, then the full ones when unsure)."""
    from langdetect.lang_detect_exception import LangDetectException

    from corpus_clean.stages import langdetect_fast

    def run(trials):
        detector = langdetect_fast.factory(config.lang_seed).create()
        detector.set_max_text_length(config.lang_max_chars)
        detector.n_trial = trials
        detector.append(text)
        try:
            return [(g.lang, float(g.prob)) for g in detector.get_probabilities()]
        except LangDetectException:
            return []
    quick = run(config.lang_quick_trials)
    if quick and round(quick[0][1], 4) >= config.lang_quick_accept:
        return quick
    return run(config.lang_trials)


def stock_and_engine(texts: list[str], config: Config) -> tuple[list, float, list, float]:
    """``(stock answers, seconds, the engine's answers, seconds)`` for ``texts``: stock
    langdetect one text at a time, the engine in batches of ``batch_records`` from an empty
    memo, one process."""
    t0 = time.perf_counter()
    stock = [stock_langdetect(x, config) for x in texts]
    t_stock = time.perf_counter() - t0
    ours, t_ours = engine(texts, config, config.batch_records)
    return stock, t_stock, ours, t_ours


def engine(texts: list[str], config: Config, batch: int) -> tuple[list, float]:
    """The engine's answers for ``texts`` in batches of ``batch``, from an empty memo, and
    the seconds they took."""
    from corpus_clean.stages import language

    language._MEMO.clear()
    t0 = time.perf_counter()
    ours = []
    for k in range(0, len(texts), batch):
        ours += language._langdetect_ranked_many(texts[k:k + batch], config)
    return ours, time.perf_counter() - t0


def table(data: Path, per_lang: int, records: int) -> None:
    """Accuracy per language, stock langdetect against the project's engine, and the cost per
    abstract of each (see the module docstring, 3)."""
    from corpus_clean.stages import language

    config = Config()
    sents = sentences(data, per_lang)
    texts = [x for _, x in sents]
    stock, t_stock, ours, t_ours = stock_and_engine(texts, config)
    tagged = []
    for k in range(0, len(texts), config.batch_records):
        tagged += language.identify_languages(texts[k:k + config.batch_records], config)
    same_answers = sum(a == b for a, b in zip(stock, ours))
    print(f"{len(sents)} test sentences of {len({t for t, _ in sents})} languages: "
          f"the engine's ranked answers (languages and probabilities) are stock langdetect's "
          f"for {same_answers} of {len(sents)}")
    print(f"  langdetect alone: stock {len(texts) / t_stock:7.0f} sentences/s, "
          f"the engine {len(texts) / t_ours:7.0f}/s ({t_stock / t_ours:.1f}x)")
    print("\n  | language | sentences | tagger accuracy (script rules + langdetect) | "
          "stock langdetect's first answer |")
    print("  |---|---|---|---|")
    for lang in sorted({t for t, _ in sents}):
        picks = [k for k, (t, _) in enumerate(sents) if t == lang]
        acc = sum(same(tagged[k][0], lang) for k in picks) / len(picks)
        raw = sum(bool(stock[k]) and same(stock[k][0][0], lang) for k in picks) / len(picks)
        print(f"  | {lang} | {len(picks)} | {100 * acc:.1f}% | {100 * raw:.1f}% |")
    texts = abstracts(data, records)
    stock, t_stock, ours, t_ours = stock_and_engine(texts, config)
    print(f"\n{len(texts)} English arXiv abstracts: identical answers "
          f"{sum(a == b for a, b in zip(stock, ours))} of {len(texts)}; cost per abstract: "
          f"stock langdetect {1e6 * t_stock / len(texts):.0f} us, the engine "
          f"{1e6 * t_ours / len(texts):.0f} us ({t_stock / t_ours:.1f}x), batches of "
          f"{config.batch_records}, one process")
    from corpus_clean.engine.work import tag_batch

    # as a run tags its kept records (tag_batch), against batch_records: three rounds each,
    # interleaved, warm (the words' n-grams learnt), medians
    sizes = (config.batch_records, tag_batch(config))
    runs: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(3):
        for size in sizes:
            got, seconds = engine(texts, config, size)
            assert got == ours
            runs[size].append(seconds)
    print("  the engine, warm, median of 3: " + ", ".join(
        f"{1e6 * statistics.median(runs[size]) / len(texts):.0f} us per abstract in batches of "
        f"{size}" for size in sizes) + " (the same answers)")


def stage_seconds(stderr: str) -> float:
    """The sum of the run's "time per stage" table (corpus-clean's standard error)."""
    total, on = 0.0, False
    for line in stderr.splitlines():
        if line.startswith("time per stage"):
            on = True
        elif on and "│" in line:
            total += float(line.split("│")[1])
    return total


def pipeline(dump: Path, rounds: int, workers: int) -> None:
    """The cost of language identification in whole runs (see the module docstring, 4)."""
    backends = ["none", "langdetect"]
    for name, module in (("cld2", "pycld2"), ("py3langid", "py3langid")):
        try:
            __import__(module)
            backends.append(name)
        except ImportError:
            print(f"  ({module} not installed)")
    got: dict[str, list[tuple[float, float]]] = {b: [] for b in backends}
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for backend in backends:  # interleaved, so that drift hits every backend alike
                out = Path(tmp) / backend
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "corpus_clean", str(dump), "-o",
                                       str(out), "--overwrite", "--workers", str(workers),
                                       "--lang-backend", backend], capture_output=True,
                                      text=True, env=env)
                wall = time.perf_counter() - t0
                if proc.returncode:
                    raise SystemExit(proc.stderr[-2000:])
                got[backend].append((stage_seconds(proc.stderr), wall))
    base = statistics.median(s for s, _ in got["none"])
    base_wall = statistics.median(w for _, w in got["none"])
    print(f"{dump}: {rounds} rounds, {workers} workers, medians")
    print("  | --lang-backend | all stages (s) | ratio to none | wall (s) | ratio to none |")
    print("  |---|---|---|---|---|")
    for backend, runs in got.items():
        stages = statistics.median(s for s, _ in runs)
        wall = statistics.median(w for _, w in runs)
        print(f"  | {backend} | {stages:.2f} | {stages / base:.2f}x | {wall:.2f} | "
              f"{wall / base_wall:.2f}x |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--records", type=int, default=1500)
    ap.add_argument("--per-lang", type=int, default=60)
    ap.add_argument("--table", action="store_true",
                    help="accuracy per language, stock langdetect against the engine")
    ap.add_argument("--pipeline", type=Path, metavar="DUMP",
                    help="the cost of language identification in runs on DUMP")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.table:
        table(args.data, args.per_lang, args.records)
        return
    if args.pipeline:
        pipeline(args.pipeline, args.rounds, args.workers)
        return
    from corpus_clean.stages import language

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
        language._MEMO.clear()
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
    from corpus_clean.stages import language

    for name, fn in backends.items():
        language._MEMO.clear()  # langdetect's answers are remembered: time each text's first
        t0 = time.perf_counter()
        got = [fn(x) for _, x in sents]
        dt = time.perf_counter() - t0
        acc = sum(same(g, truth) for g, (truth, _) in zip(got, sents)) / len(sents)
        langs = sorted({truth for truth, _ in sents})
        per = {lang: [same(g, t) for g, (t, _) in zip(got, sents) if t == lang]
               for lang in langs}
        macro = sum(sum(v) / len(v) for v in per.values()) / len(per)
        language._MEMO.clear()
        t0 = time.perf_counter()
        abs_got = [fn(x) for x in texts]
        dta = time.perf_counter() - t0
        agree = sum(same(g, "en") == same(f, "en") for g, f in zip(abs_got, full)) / len(texts)
        print(f"  {name:48s} accuracy {acc:.4f} (macro {macro:.4f})  "
              f"sentences {len(sents) / dt:7.0f}/s  "
              f"abstracts {mb / dta:6.2f} MB/s (agrees with langdetect on en: {agree:.4f})")


if __name__ == "__main__":
    main()
