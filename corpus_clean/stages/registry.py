"""The stage registry: the one list of the pipeline's stages, in flow order.

Everything that needs to know the stages reads it: the stage order of ``stats.json`` and the
terminal summary (:func:`stage_order`), the per-record stages a worker builds
(:func:`build_stages`), the reasons a drop may carry (:func:`reasons`), and the README's table
of stages and reasons (:func:`reason_table`, checked by ``tests/test_registry.py``).

Stages are of four kinds (:attr:`StageInfo.kind`):

* ``read``: the reader and the splitter (``read``, ``split``), before any record exists;
* ``record``: per-record stages (``extract``, ``markers``, ``boilerplate``, ``spam``,
  ``quality``), run on
  each record independently in the workers; each is built by a factory
  ``build(config, is_marker)`` (``is_marker``: the file's
  :class:`~corpus_clean.stages.markers.MarkerMatcher`) into an object with the :class:`Stage`
  protocol;
* ``ordered``: decisions that depend on other records (exact and near ``dedup``; the
  repetition rule reports as ``boilerplate``), made by the ordered half of the engine;
* ``write``: ``language`` tags kept records, ``write`` writes them.

Adding a per-record stage is one module (a class with the :class:`Stage` protocol) plus one
:func:`register` call::

    register(StageInfo("pii", "redacts e-mail addresses", {"pii_only": "nothing left"},
                       kind="record", changes_text=True,
                       build=lambda config, is_marker: PiiRedactor()),
             before="quality")

A stage registered at run time reaches worker processes forked after it (the local
executor forks its workers on the first task); with ``--executor dask``, register it in a
module the Dask workers import.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, runtime_checkable

if TYPE_CHECKING:  # the types only: this module stays cheap to import
    from ..config import Config
    from ..records import Drop, Record
    from .markers import MarkerMatcher

__all__ = ["Stage", "StageInfo", "registered", "stage_order", "in_flow_order", "record_stages", "active_record_stages", "build_stages",
           "reasons", "register", "unregister", "temporarily_registered", "reason_table",
           "KINDS"]

#: the kinds of stage, in the order they run
KINDS = ("read", "record", "ordered", "write")


@runtime_checkable
class Stage(Protocol):
    """A per-record stage, as :func:`build_stages` returns it.

    ``name`` is the stage's registry name (a :class:`~corpus_clean.records.Drop` it returns
    carries it as ``stage``); ``apply(record)`` returns the record (its text maybe changed, if
    the stage is registered with ``changes_text``) or a ``Drop`` with one of the stage's
    registered reasons. It must depend on the record alone (its text, its marker lines), never
    on records seen before: workers run records in any grouping. A stage may also define
    ``apply_batch(records) -> list[Record | Drop]`` (same answers, in order), which the engine
    calls instead when present (``quality`` computes its n-gram statistics for a whole batch).
    """

    name: str

    def apply(self, record: "Record") -> "Record | Drop": ...


@dataclass(frozen=True)
class StageInfo:
    """One registry entry.

    Attributes:
        name: the stage name, as ``Drop.stage`` and ``stats.json`` ``drops`` give it.
        summary: what the stage does, one line (the README's table).
        reason_text: ``{reason: what it means}``, one line each, in the order documented.
        kind: one of :data:`KINDS`.
        changes_text: whether the stage may change a record's text or fields (for ``record``
            stages: a verbatim repeat of an earlier record then runs it again instead of
            taking the memorised outcome, see :class:`corpus_clean.engine.work.RepeatMemo`).
        build: for ``record`` stages, ``build(config, is_marker) -> Stage``.
    """

    name: str
    summary: str
    reason_text: dict = field(default_factory=dict)
    kind: str = "record"
    changes_text: bool = False
    build: Callable[["Config", "MarkerMatcher | None"], Any] | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        """The stage's drop reasons, in documented order."""
        return tuple(self.reason_text)


def _extract(config, is_marker):
    from .extract import PageExtractor

    return PageExtractor(config.extractor)


def _markers(config, is_marker):
    from .markers import MarkerStripper

    return MarkerStripper(is_marker)


def _boilerplate(config, is_marker):
    from .boilerplate import BoilerplateFilter

    return BoilerplateFilter(config)


def _spam(config, is_marker):
    from .spam import SpamFilter

    return SpamFilter(config)


def _quality(config, is_marker):
    from .quality import QualityFilter

    return QualityFilter()


_BUILT_IN = (
    StageInfo("read", "lists, decompresses and decodes the input files (any encoding)", {
        "unreadable": "permissions, I/O error",
        "not_regular_file": "a FIFO, device, socket or a link to one: skipped unopened",
        "binary_file": "PNG, PDF, ELF, ZIP ... or NUL bytes",
        "undecodable": "no encoding decodes it",
        "unsupported_compression": "zstd without `zstandard` installed",
        "corrupt_compressed": "a compressed file that cannot be read from its start",
        "truncated_file": "a compressed file that ends early; the records before the fault "
                          "are kept",
        "malformed_json": "a JSON Lines line that is not JSON",
        "no_text_field": "a JSON Lines line without a string in the text field",
        "line_too_long": "one line of more than 4 Mi characters (its first 1,000 kept in the "
                         "reject)",
        "page_too_large": "an HTML or Markdown page of more than 16 Mi characters",
    }, kind="read"),
    StageInfo("split", "cuts each file into records by its layout (marker, blank, line, jsonl)",
              {}, kind="read"),
    StageInfo("extract", "turns an HTML or Markdown page into its main text, url, title and "
              "date (trafilatura)", {
        "no_main_text": "a page in which the extractor found no main text",
    }, changes_text=True, build=_extract),
    StageInfo("markers", "strips machine-translation marker lines; keeps the engine", {
        "marker_only": "a record made only of marker lines",
    }, changes_text=True, build=_markers),
    StageInfo("boilerplate", "drops site chrome, and short records repeated across the dump; "
              "removes chrome lines from a page's document", {
        "site_heading": "相关内容, Related articles and other section headings",
        "navigation": "read more, pagers, breadcrumbs, share toolbars, login prompts",
        "copyright_notice": "©, All rights reserved, 版权所有, ICP numbers",
        "company_footer": "a company name alone (有限公司, Co., Ltd.)",
        "page_metadata": "a post's or page's metadata line (作者: ..., Published: ..., Tags: ...)",
        "call_to_action": "the site asks the reader to subscribe, sign up, join, donate or "
                          "install its app (Zum Newsletter anmelden, HAZTE MIEMBRO)",
        "policy_notice": "a cookie or consent notice, an ad or affiliate disclosure",
        "too_short": "fewer than 10 CJK characters and fewer than 5 words",
        "chrome_only": "a page's document whose every line is one of the above",
        "repeated_line": "a short record that occurs 3 or more times in the dump (digits "
                         "folded); a fragment repeated within a page's document, or a later "
                         "copy of one of its lines",
    }, changes_text=True, build=_boilerplate),
    StageInfo("spam", "drops SEO keyword stuffing, porn, gambling and ad spam by a score; "
              "removes spam lines from a page's document", {
        "spam": "spam score >= 0.5 (the signals are in `detail`)",
    }, changes_text=True, build=_spam),
    StageInfo("quality", "drops mojibake ftfy cannot repair and self-repeating text", {
        "garbled": "ftfy's badness >= 0.02 per character, or GBK/Big5 read as Latin-1",
        "repeated_lines": "Gopher's duplicate-line rules",
        "repeated_ngrams": "Gopher's repeated n-gram rules, adapted to Chinese",
    }, build=_quality),
    StageInfo("dedup", "drops exact duplicates, then near duplicates (MinHash LSH)", {
        "exact_duplicate": "same text after normalisation as a kept record",
        "seen_before": "with `--index`: same text after normalisation as a record an earlier "
                       "run kept (`duplicate_run` names the run)",
        "near_duplicate": "character 5-gram Jaccard similarity >= 0.8 with a kept record",
        "near_seen_before": "with `--index`: Jaccard similarity >= 0.8 with a record an "
                            "earlier run kept",
    }, kind="ordered"),
    StageInfo("language", "tags kept records with an ISO 639-1 code and its probability", {},
              kind="write"),
    StageInfo("write", "writes the outputs, renamed into place when the run completes", {},
              kind="write"),
)

_registry: list[StageInfo] = list(_BUILT_IN)


def registered() -> tuple[StageInfo, ...]:
    """Every stage, in flow order."""
    return tuple(_registry)


def stage_order() -> tuple[str, ...]:
    """The stage names in flow order (``stats.json`` and the summary list drops so)."""
    return tuple(info.name for info in _registry)


def in_flow_order(names) -> list[str]:
    """The stage ``names`` (of drops, of timings) in flow order; a name the registry does not
    know (a stage unregistered since) comes last, by name, never left out."""
    order = stage_order()
    names = set(names)
    return [s for s in order if s in names] + sorted(names - set(order))


def record_stages() -> tuple[StageInfo, ...]:
    """The per-record stages (kind ``record``), in flow order."""
    return tuple(info for info in _registry if info.kind == "record")


def reasons() -> dict[str, tuple[str, ...]]:
    """``{stage: its reasons}`` for every stage, in flow order."""
    return {info.name: info.reasons for info in _registry}


def active_record_stages(config: "Config") -> tuple[StageInfo, ...]:
    """The per-record stages a run with ``config`` runs: :func:`record_stages` but those
    ``config.skip_stages`` names."""
    skipped = config.skipped()
    return tuple(info for info in record_stages() if info.name not in skipped)


def build_stages(config: "Config", is_marker: "MarkerMatcher | None" = None) -> list:
    """The per-record stages for one file, built in flow order (see :class:`Stage`), without
    those ``config.skip_stages`` names."""
    return [info.build(config, is_marker) for info in active_record_stages(config)]


def register(info: StageInfo, before: str) -> None:
    """Add ``info`` to the registry just before the stage named ``before``.

    Raises:
        ValueError: the name is taken, ``before`` is not a stage, the kind is unknown, a
            ``record`` stage has no ``build`` or would not sit among the per-record stages
            (after ``split``, before ``dedup``).
    """
    names = stage_order()
    if info.name in names:
        raise ValueError(f"stage {info.name!r} is already registered")
    if before not in names:
        raise ValueError(f"no stage {before!r} to register {info.name!r} before")
    if info.kind not in KINDS:
        raise ValueError(f"stage {info.name!r}: kind {info.kind!r} is not one of {KINDS}")
    at = names.index(before)
    if info.kind == "record":
        if info.build is None:
            raise ValueError(f"stage {info.name!r}: a record stage needs a build function")
        if not names.index("split") < at <= names.index("dedup"):
            raise ValueError(f"stage {info.name!r}: a record stage goes after 'split' and "
                             f"before 'dedup', not before {before!r}")
    _registry.insert(at, info)


def unregister(name: str) -> None:
    """Remove the stage ``name`` (a built-in one cannot be removed).

    Raises:
        ValueError: no such stage, or it is built in.
    """
    if any(info.name == name for info in _BUILT_IN):
        raise ValueError(f"stage {name!r} is built in")
    for i, info in enumerate(_registry):
        if info.name == name:
            del _registry[i]
            return
    raise ValueError(f"no stage {name!r}")


@contextlib.contextmanager
def temporarily_registered(info: StageInfo, before: str) -> Iterator[StageInfo]:
    """:func:`register` for the duration of a ``with`` block (tests, one-off runs)."""
    register(info, before)
    try:
        yield info
    finally:
        unregister(info.name)


def reason_table() -> str:
    """The README's table of stages and drop reasons (Markdown), made from the registry."""
    rows = ["| stage | what it does | drop reasons |", "|---|---|---|"]
    for info in _registry:
        why = "; ".join(f"`{r}`: {t}" for r, t in info.reason_text.items()) or "(never drops)"
        rows.append(f"| `{info.name}` | {info.summary} | {why} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m corpus_clean.stages.registry: the README's table
    print(reason_table(), end="")
