"""Every threshold of the pipeline, with its default and why.

A :class:`Config` is plain data: the CLI builds one from its options, the library reads it.
Changing a value changes results, so every value that shapes the output is also written to
``stats.json`` (``config``) and the dedup report (``parameters``).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from .errors import CorpusCleanError, file_kind

__all__ = ["Config", "ConfigError", "load_config"]


#: settings that change how a run executes, never its results
EXECUTION_SETTINGS = ("workers", "batch_records", "block_bytes", "repeat_cache")


#: largest seed (``minhash_seed``, ``lang_seed``): seeds are unsigned 32-bit integers, as in
#: datasketch and langdetect's Java original
SEED_MAX = 2**32 - 1
#: largest value of any integer setting without a bound of its own (C code below takes a
#: signed 32-bit int or less; a larger value is a typo, not a setting)
INT_MAX = 2**31 - 1
#: upper bounds of settings whose useful range is far smaller than :data:`INT_MAX`: sizes of
#: what is held in memory at once (a larger value exhausts memory before it helps), and the
#: MinHash and langdetect parameters (past these, each record costs seconds)
MAXIMUM = {
    "sample_bytes": 1 << 30, "chunk_bytes": 1 << 30, "block_bytes": 1 << 30,
    "encoding_scan_bytes": 1 << 30,
    "layout_sample_lines": 10_000_000, "batch_records": 1_000_000, "repeat_cache": 1 << 24,
    "workers": 1024, "num_perm": 4096, "shingle_words": 100, "shingle_chars": 100,
    "lang_trials": 100, "lang_quick_trials": 100,
}


#: the per-record stages ``skip_stages`` may name (``--skip``)
SKIPPABLE_STAGES = ("markers", "boilerplate", "spam", "quality")


class ConfigError(CorpusCleanError):
    """A configuration file or setting is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """Pipeline settings.

    Read:
        sample_bytes: bytes (decompressed) read from the start of a file to detect its encoding
            and binary content. 64 KiB holds hundreds of lines of real dump text, enough for
            charset-normalizer to tell GBK from Big5 (measured on the tests' fixtures).
        encoding: a Python codec (``gb18030``, ``cp1252``, ...) that every file is decoded
            with, instead of deciding per file; empty (default): decided per file (see
            :func:`corpus_clean.reading.reader.decide_encoding`).
        encoding_scan_bytes: bytes (decompressed) read beyond ``sample_bytes``, at most, to
            find non-ASCII text to decide a file's encoding on, when its first
            ``sample_bytes`` hold little (:data:`corpus_clean.reading.reader.EVIDENCE_MIN_BYTES`):
            ASCII decodes alike in every codec, so a file of English first and Chinese
            further on is decided on its Chinese. 16 MiB: held in memory meanwhile.
        layout_sample_lines: lines read ahead to detect a file's record layout (see
            :func:`corpus_clean.reading.split.detect_layout`). 2,000 lines is at least 500 records in
            every seed layout, and bounds the look-ahead memory.
        chunk_bytes: bytes read per chunk while streaming a file (1 MiB).
        jsonl_text_field: the field that holds the text in JSON Lines input (files named
            ``*.jsonl`` or ``*.ndjson``, compressed or not). ``text``: the field datatrove,
            dolma and NeMo Curator write.

    Execution:
        workers: processes for the per-record work; 0 means one per core this process may
            use. The outputs are byte-identical for any number.
        batch_records: records per task sent to a worker. 256: large enough that sending a
            task costs little next to its work, small enough to keep workers busy. Kept
            records are tagged in tasks four times as large (``work.TAG_BATCH_FACTOR``:
            langdetect runs a batch's texts side by side, cheaper per text in a larger
            batch). A task of
            records read whole in the run's process (pages, WARC records, files that are not
            cut into blocks) also ends once it holds ``block_bytes`` characters, so that a task
            of HTML pages stays small (256 pages of a WARC are about 37 MB).
        block_bytes: bytes (decompressed) of a file per block read by a worker. The run reads
            each file's bytes and cuts them at record boundaries into blocks of at least this
            size; workers decode, repair, split and process them (see :mod:`corpus_clean.reading.blocks`),
            so one large file is read on all cores. 1 MiB: about 1,000 abstracts, a task that
            costs far more than sending it. 0: decode and split in the run's own process, as
            files in encodings that cannot be cut at byte level (UTF-16/32) always are.
        repeat_cache: distinct raw record texts whose per-record outcome each worker remembers,
            so that a verbatim repeat skips the stages (:class:`corpus_clean.engine.work.RepeatMemo`).
            2^18 entries, about 40 MB per worker. 0 turns it off; results never depend on it.

    Boilerplate (``stages/boilerplate.py``):
        min_words: records with fewer space-delimited words than this, and fewer than
            ``min_cjk_chars`` CJK characters, are ``too_short`` fragments. 5 words: a sentence of content has more; navigation labels
            ("Read more", "Share this page") have fewer.
        min_cjk_chars: records whose CJK characters number fewer than this, with fewer than
            ``min_words`` other words, are ``too_short``. 10 characters: Chinese headings and
            menu items (相关内容, 返回顶部) are shorter; one clause of content is longer.
        chrome_max_chars: the copyright and ICP patterns are only applied to records of at
            most this many characters (company footers: 40), so that an abstract that
            mentions copyright is never dropped. 200 characters: the longest footer line in the
            labelled boilerplate data is under 200; a real abstract is longer.

    Boilerplate by repetition (``stages/repetition.py``):
        repeat_max_chars: only records of at most this many characters are counted. 100:
            real site chrome is short (median 26, 95th percentile 68 characters on the labelled
            lines of a make_dump.py dump) while content records are long (5th percentile 234).
        repeat_min_count: a short record that occurs this many times or more in the dump is
            boilerplate. 3: measured with bench/eval_filters.py (see the README).

    Spam (``stages/spam.py``):
        spam_threshold: a record whose spam score (in [0, 1]) is at least this is dropped.
            0.5: the score is built so that one strong signal alone (keyword stuffing, or dense
            strong lexicon hits) reaches it, and weak signals alone do not.

    Near dedup (``stages/neardup.py``):
        near_dedup: run near-duplicate detection (exact dedup always runs).
        near_threshold: Jaccard similarity in (0, 1] of shingle sets at or above which a record
            is a near duplicate. 0.8: Lee et al. 2022 (ACL), RefinedWeb, datatrove.
        num_perm: MinHash permutations (signature length). 128: the estimate's standard error
            is about 0.035 at s=0.8, and candidates are verified exactly anyway.
        minhash_seed: seed of the MinHash permutations (written in the dedup report).
        shingle_words: 0 (the default): every record is shingled as character
            ``shingle_chars``-grams of its normal form, spaces kept, whatever its script; near
            duplicates are then defined by the Jaccard similarity of character 5-gram sets,
            which catches revised abstracts that change a few words (word 5-grams at 0.8
            merged 0.76 of the pairs at character 5-gram Jaccard >= 0.8 of
            ``neardup/pairs.dev.jsonl``). n > 0: word n-grams for space-delimited text and
            character n-grams (spaces removed) for Han/Kana/Hangul text, the definition of Lee
            et al. 2022 with n = 5.
        shingle_chars: character n-gram length. 5.
        keep: which record of a near-duplicate cluster is kept: ``first`` (input order) or
            ``longest`` (most characters, then input order). Exact copies keep the first.

    Language (``stages/language.py``):
        lang_seed: seed of langdetect's random sampling, so that tags are deterministic.
        lang_min_letters: records with fewer letters than this (CJK characters count 2, as one
            CJK character carries about as much as a short word) are tagged ``und``.
            8: langdetect's answers on shorter strings are close to chance.
        lang_max_chars: characters of a record that language identification reads. 200:
            langdetect gave the same answer on 1,000 real abstracts as on the whole text (its
            own default is 10,000), 2.7x faster; 150 already disagreed once, 100 13 times
            (``bench/bench_language.py``).
        lang_trials: langdetect's random trials per record (its default, 7).
        lang_quick_trials: trials of a first, quick langdetect pass (0: off). 3: measured with
            ``bench/bench_language.py``, see ``stages/language.py``.
        lang_quick_accept: probability in [0, 1] at or above which the quick pass's answer is
            taken; below it the full ``lang_trials`` run. 0.9999: clear text (an abstract)
            reaches it after 3 trials; short or mixed text does not.
        lang_backend: ``langdetect`` (default), ``cld2`` (pycld2, the fastest; install the
            ``fast`` extra), ``py3langid`` (langid.py's model, more accurate than langdetect;
            the ``langid`` extra) or ``none`` (no language identification: every record
            ``und``). Measured by ``bench/bench_language.py --pipeline``: on the 100 MB
            ``--remix`` dump, a run costs 1.23-1.30x the run without identification with
            langdetect, 1.35-1.47x with py3langid, 1.06-1.13x with cld2 (all-stages
            seconds, three runs).

    Pages:
        extractor: the main-text extractor of HTML pages: ``trafilatura`` (default; the
            ``html`` extra) or ``resiliparse`` (Resiliparse's ``extract_plain_text`` with
            ``main_content``; the ``html-fast`` extra): about 6x faster to extract, lower precision
            (``bench/eval_pages.py``).
        records: what a page becomes: ``documents`` (default: one document record per page,
            cleaned line by line, with ``url``, ``title`` and ``date``) or ``paragraphs``
            (one record per paragraph of its main text, id ``<source>:<n>#<k>`` for
            paragraph ``k`` of the page's document ``<source>:<n>``, judged as the records of
            a text dump are; no ``url``, ``title`` or ``date``).

    Stages:
        skip_stages: per-record stages not to run, names separated by commas, of
            :data:`SKIPPABLE_STAGES` (``boilerplate`` includes its rule for short lines
            repeated across the dump). Empty (default): all of them run. For a dump that was
            filtered already, or to compare dedup alone with a dedup-only pipeline
            (``bench/bench_scale.py``).
    """

    sample_bytes: int = 64 * 1024
    encoding: str = ""
    encoding_scan_bytes: int = 16 << 20
    layout_sample_lines: int = 2000
    chunk_bytes: int = 1 << 20
    jsonl_text_field: str = "text"

    workers: int = 0
    batch_records: int = 256
    block_bytes: int = 1 << 20
    repeat_cache: int = 1 << 18

    min_words: int = 5
    min_cjk_chars: int = 10
    chrome_max_chars: int = 200

    repeat_max_chars: int = 100
    repeat_min_count: int = 3

    spam_threshold: float = 0.5

    near_dedup: bool = True
    near_threshold: float = 0.8
    num_perm: int = 128
    minhash_seed: int = 1
    shingle_words: int = 0
    shingle_chars: int = 5
    keep: str = "first"

    lang_seed: int = 0
    lang_min_letters: int = 8
    lang_max_chars: int = 200
    lang_trials: int = 7
    lang_quick_trials: int = 3
    lang_quick_accept: float = 0.9999
    lang_backend: str = "langdetect"
    extractor: str = "trafilatura"
    records: str = "documents"
    skip_stages: str = ""

    def skipped(self) -> frozenset[str]:
        """The names in ``skip_stages``."""
        return frozenset(n.strip() for n in self.skip_stages.split(",") if n.strip())

    def __post_init__(self) -> None:
        for name in ("spam_threshold", "lang_quick_accept"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name}={value}: must be a probability in [0, 1]")
        if not 0.0 < self.near_threshold <= 1.0:
            raise ConfigError(f"near_threshold={self.near_threshold}: must be in (0, 1]")
        minimum = {0: ("workers", "block_bytes", "repeat_cache", "min_words", "min_cjk_chars",
                       "encoding_scan_bytes", "shingle_words",
                       "chrome_max_chars",
                       "repeat_max_chars", "lang_min_letters", "lang_quick_trials"),
                   1: ("sample_bytes", "layout_sample_lines", "chunk_bytes", "num_perm",
                       "shingle_chars", "repeat_min_count", "lang_max_chars",
                       "lang_trials", "batch_records")}
        for low, names in minimum.items():
            for name in names:
                if getattr(self, name) < low:
                    raise ConfigError(f"{name}={getattr(self, name)}: must be at least {low}")
        for name in ("minhash_seed", "lang_seed"):
            if not 0 <= getattr(self, name) <= SEED_MAX:
                raise ConfigError(f"{name}={getattr(self, name)}: must be in 0..{SEED_MAX}")
        for f in fields(self):
            value = getattr(self, f.name)
            high = MAXIMUM.get(f.name, INT_MAX)
            if type(value) is int and value > high:
                raise ConfigError(f"{f.name}={value}: must be at most {high:,}")
        if self.lang_backend not in ("langdetect", "cld2", "py3langid", "none"):
            raise ConfigError(f"lang_backend={self.lang_backend!r}: must be 'langdetect', "
                              "'cld2', 'py3langid' or 'none'")
        if self.extractor not in ("trafilatura", "resiliparse"):
            raise ConfigError(f"extractor={self.extractor!r}: must be 'trafilatura' or "
                              "'resiliparse'")
        if self.records not in ("documents", "paragraphs"):
            raise ConfigError(f"records={self.records!r}: must be 'documents' or 'paragraphs'")
        unknown = sorted(self.skipped() - set(SKIPPABLE_STAGES))
        if unknown:
            raise ConfigError(f"skip_stages={self.skip_stages!r}: {', '.join(unknown)} cannot be "
                              f"skipped; the stages that can: {', '.join(SKIPPABLE_STAGES)}")
        if self.keep not in ("first", "longest"):
            raise ConfigError(f"keep={self.keep!r}: must be 'first' or 'longest'")
        if self.encoding:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ConfigError(f"encoding={self.encoding!r}: not a codec Python knows "
                                  "(gb18030, big5, shift_jis, euc_kr, cp1252, utf-8, ...)") \
                    from None

    def to_dict(self) -> dict:
        """Return the settings that shape results as a plain dict in field order (for the JSON
        outputs). Execution settings (:data:`EXECUTION_SETTINGS`) are left out: they never
        change the outputs, which must be byte-identical for any number of workers."""
        # skip_stages is left out while empty: a run of every stage records the settings it
        # recorded before the setting existed
        return {k: v for k, v in asdict(self).items()
                if k not in EXECUTION_SETTINGS and not (k == "skip_stages" and not v)}



#: the largest settings file read (bytes): a real one is under 2 KB; this refuses a log or a
#: device given by mistake before it is read whole
CONFIG_MAX_BYTES = 1 << 20


def load_config(path: Path, base: Config | None = None) -> Config:
    """Read settings from a TOML file (top-level ``key = value`` pairs named as the fields of
    :class:`Config`) over ``base`` (default: the defaults).

    Raises:
        ConfigError: the file is not a regular file (a FIFO, a device), is larger than
            :data:`CONFIG_MAX_BYTES`, cannot be read or parsed, a key is unknown, or a value
            has the wrong type or range. The message names the file and the key.
    """
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    path = Path(path)
    try:
        kind = file_kind(os.stat(path).st_mode)  # before open(), which waits on a FIFO
        if kind != "regular file":
            raise ConfigError(f"{path}: is a {kind}, not a settings file")
        with open(path, "rb") as f:
            text = f.read(CONFIG_MAX_BYTES + 1)
        if len(text) > CONFIG_MAX_BYTES:
            raise ConfigError(f"{path}: larger than {CONFIG_MAX_BYTES:,} bytes; not a "
                              "settings file")
        data = tomllib.loads(text.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = base or Config()
    known = {f.name: f for f in fields(Config)}
    values = {}
    for key, value in data.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            raise ConfigError(f"{path}: unknown setting {key!r}; {hint}")
        expected = type(getattr(base, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            raise ConfigError(f"{path}: {key} = {value!r} must be a {expected.__name__}")
        values[key] = value
    try:
        return replace(base, **values)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
