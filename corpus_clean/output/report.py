"""The run's report as plain data: counts per stage, reason, file and language; duplicate
clusters. A by-product of the flow: the pipeline tells it what happened, it never decides.

``Report.stats()`` is ``stats.json`` and ``Report.dedup_report()`` is ``dedup-report.json``;
both schemas are documented in the README ("Output files") and versioned by
:data:`STATS_SCHEMA_VERSION` and :data:`DEDUP_SCHEMA_VERSION`.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

import orjson

from ..config import Config
from ..reading.reader import FileInfo
from ..records import Drop, Record, record_id
from ..stages.registry import in_flow_order

__all__ = ["Report", "FileCounts", "STATS_SCHEMA_VERSION", "DEDUP_SCHEMA_VERSION",
           "SNIPPET_CHARS", "kept_entry", "removed_entry", "report_chunks", "cluster_heads",
           "cluster_counts"]

STATS_SCHEMA_VERSION = 1
DEDUP_SCHEMA_VERSION = 1
#: characters of a record's text shown in the dedup report
SNIPPET_CHARS = 80

DEDUP_NORMALISATION = (
    "Unicode NFKC, case folded, punctuation (category P*) replaced by spaces, "
    "whitespace collapsed and trimmed"
)


#: the share of a file's records rejected as garbled from which the file is named on stderr:
#: a few mis-decoded lines come from upstream; many mean the file's encoding is wrong
MOJIBAKE_FILE_SHARE = 0.05


@dataclass
class FileCounts:
    """Per-file counts: ``info`` from the reader; records in, kept, drops per stage, and the
    records rejected as ``garbled`` (mojibake: a sign that the file's encoding was wrong)."""

    info: FileInfo
    records_in: int = 0
    kept: int = 0
    drops: Counter = field(default_factory=Counter)
    garbled: int = 0
    lines_removed: int = 0  # lines removed from its page documents


def _kept_row(record_id: str, source: str, line: int | None, text: str) -> dict:
    return {"id": record_id, "source": source, "line": line, "text": text}


def _removed_row(source: str, line: int | None, text: str, kind: str, jaccard: float) -> dict:
    return {"id": record_id(source, line), "source": source, "line": line, "text": text,
            "kind": kind, "jaccard": jaccard}


def kept_entry(record_id: str, source: str, line: int | None, text: str) -> bytes:
    """A cluster's ``kept`` object as ``dedup-report.json`` shows it (orjson, indented by 2,
    not yet nested): its record's id, source, line and snippet ``text``."""
    return orjson.dumps(_kept_row(record_id, source, line, text), option=orjson.OPT_INDENT_2)


def removed_entry(source: str, line: int | None, text: str, kind: str, jaccard: float) -> bytes:
    """A removed duplicate's object in its cluster's ``removed`` list, rendered as
    :func:`kept_entry` (the fields of :func:`cluster_member` but the kept id)."""
    return orjson.dumps(_removed_row(source, line, text, kind, jaccard),
                        option=orjson.OPT_INDENT_2)


def _nested(entry: bytes, depth: int) -> bytes:
    """``entry`` (orjson, indented by 2) as it is indented ``depth`` spaces deep."""
    return entry.replace(b"\n", b"\n" + b" " * depth)


def report_chunks(top: bytes, clusters: Iterable[tuple[bytes, list[bytes]]]) -> Iterator[bytes]:
    """``dedup-report.json``'s bytes, in chunks: ``top`` is the summary (orjson, indented by
    2, with no ``clusters``), ``clusters`` each cluster's kept entry and removed entries
    (:func:`kept_entry`, :func:`removed_entry`) in report order. The same bytes as
    ``orjson.dumps(report, option=OPT_INDENT_2)`` and a newline, one cluster at a time."""
    first = True
    for kept, removed in clusters:
        yield top[:-2] + b',\n  "clusters": [\n' if first else b",\n"
        first = False
        yield b"".join((b'    {\n      "kept": ', _nested(kept, 6), b',\n      "size": ',
                        str(len(removed) + 1).encode(), b',\n      "removed": [\n',
                        b",\n".join(b"        " + _nested(r, 8) for r in removed),
                        b"\n      ]\n    }"))
    yield top[:-2] + b',\n  "clusters": []\n}\n' if first else b"\n  ]\n}\n"


def cluster_heads(clusters: dict[str, list], kept: dict[str, tuple]) -> list[tuple]:
    """``(kept_id, source, line, snippet)`` of every cluster in report order: by the kept
    record's source and line, ties in the order of the clusters' first removals.
    ``clusters``: kept id -> its removed members (:meth:`Report.add_cluster_member`'s
    fields but the kept id, in removal order); ``kept``: kept id -> ``(source, line,
    snippet)`` (:meth:`Report.remember_snippet`; a kept id missing there shows its source and
    no snippet)."""
    heads = []
    for kept_id in clusters:
        source, line, text = kept.get(kept_id, (kept_id.rsplit(":", 1)[0], None, ""))
        heads.append((kept_id, source, line, text))
    heads.sort(key=lambda h: (h[1], h[2] or 0))
    return heads


def cluster_counts(heads: list[tuple], clusters: dict[str, list]) -> dict:
    """What the dedup report's summary counts of its clusters (:func:`cluster_heads`'
    ``heads`` of ``clusters``): ``clusters``, ``exact`` and ``near`` (removed records of each
    kind), ``sizes`` (cluster size -> clusters) and ``overlap`` ((kept source, removed
    source) -> removed records)."""
    overlap: Counter = Counter()
    sizes: Counter = Counter()
    exact = near = 0
    for kept_id, source, _, _ in heads:
        removed = clusters[kept_id]
        sizes[len(removed) + 1] += 1
        for r_source, _, _, r_kind, _ in removed:
            overlap[(source, r_source)] += 1
            exact += r_kind == "exact"
            near += r_kind == "near"
    return {"clusters": len(heads), "exact": exact, "near": near, "sizes": sizes,
            "overlap": overlap}


def cluster_member(record: Record, drop: Drop) -> tuple:
    """A removed duplicate's entry in its cluster: ``(kept id, source, line, snippet, kind,
    similarity)``, ``kind`` ``exact`` or ``near`` (arguments of
    :meth:`Report.add_cluster_member`)."""
    kind = "exact" if drop.reason == "exact_duplicate" else "near"
    return (drop.duplicate_of, record.source, record.line, snippet(record.text), kind,
            1.0 if drop.similarity is None else drop.similarity)


def snippet(text: str) -> str:
    """Return the first :data:`SNIPPET_CHARS` characters of ``text``, line breaks as spaces."""
    return " ".join(text[: SNIPPET_CHARS + 20].split())[:SNIPPET_CHARS]


class Report:
    """Counts of one run. Filled by the pipeline through the ``count_*`` methods."""

    def __init__(self, config: Config):
        self.config = config
        self.records_in = 0
        self.kept = 0
        self.rejected = 0
        self.drops: dict[str, Counter] = defaultdict(Counter)
        #: lines removed from page documents, per stage and reason (``stats.json`` lists them
        #: only when there are some)
        self.line_drops: dict[str, Counter] = defaultdict(Counter)
        self.languages: Counter = Counter()
        self.marker_lines = 0
        self.marker_engines: Counter = Counter()
        self.files: dict[str, FileCounts] = {}
        self.errors: list[dict] = []
        self.reached_dedup = 0
        self.repeated_lines: list[dict] = []
        #: seconds spent per stage, summed over workers: for the terminal summary only (a
        #: timing would make outputs differ from run to run)
        self.seconds: dict[str, float] = {}
        self.near_parameters: dict | None = None
        self.near_pairs = (0, 0)  # candidate pairs from LSH, pairs verified
        #: with ``--index``: the runs looked up (names), the records seen per earlier run,
        #: and this run's entry in the index once added (None: not added)
        self.index_runs: list[str] | None = None
        self.seen_runs: Counter = Counter()
        self.index_entry: dict | None = None
        #: what the run did with its checkpoint (a :class:`.resume.ResumeSummary`, or None
        #: without an output directory); for messages only, never in an output file
        self.resume = None
        # kept id -> removed members as compact tuples (source interned, line, snippet, kind,
        # jaccard): the report's cluster list is O(duplicates), so each entry is kept small
        self._clusters: dict[str, list[tuple]] = {}
        self._kept_snippets: dict[str, tuple[str, int | None, str]] = {}
        #: :func:`cluster_counts` as the worker that wrote the report counted them, when the
        #: clusters stayed on the workers (then ``_clusters`` is empty)
        self._worker_counts: dict | None = None

    # --- filled by the pipeline -------------------------------------------------------------
    def add_file(self, info: FileInfo) -> FileCounts:
        """Start counting a file; return its :class:`FileCounts`."""
        counts = FileCounts(info)
        self.files[info.source] = counts
        return counts

    def file_error(self, source: str, reason: str, message: str) -> None:
        """Record a read error of ``source`` (shown on stderr and in ``stats.json``)."""
        self.files[source].info.error = message
        self.errors.append({"source": source, "reason": reason, "message": message})

    def count_in_file(self, source: str, n: int) -> None:
        """Count ``n`` records of ``source`` entering the pipeline."""
        self.records_in += n
        self.files[source].records_in += n

    def add_cluster_member(self, kept_id: str, source: str, line: int | None,
                           snippet_text: str, kind: str, similarity: float) -> None:
        """Remember a removed duplicate of ``kept_id`` for the dedup report (as
        :meth:`count_drop` does; see :func:`cluster_member`), in removal order."""
        self._clusters.setdefault(kept_id, []).append((sys.intern(source), line, snippet_text,
                                                       kind, similarity))

    def count_dropped_many(self, drops: dict[tuple[str, str, str], int],
                           marker_engines: dict[str, int]) -> None:
        """:meth:`count_dropped` of many records: ``drops`` counts them per ``(source,
        stage, reason)``, ``marker_engines`` their stripped marker lines per engine."""
        for (source, stage, reason), n in drops.items():
            self.rejected += n
            self.drops[stage][reason] += n
            self.files[source].drops[stage] += n
            if reason == "garbled":
                self.files[source].garbled += n
        for engine, n in marker_engines.items():
            self._add_markers(n, engine)

    def count_line_drop(self, source: str, stage: str, reason: str) -> None:
        """Count one line removed from a document of ``source`` by ``stage`` for ``reason``
        (the document itself is counted where it ends)."""
        self.line_drops[stage][reason] += 1
        self.files[source].lines_removed += 1

    def count_dropped(self, source: str, stage: str, reason: str, marker_lines: int = 0,
                      mt_engine: str | None = None) -> None:
        """Count one rejected record of ``source`` that is no duplicate, by its fields: its
        drop's ``stage`` and ``reason``, and the number of ``marker_lines`` stripped from it
        (their engine ``mt_engine``)."""
        self.rejected += 1
        self.drops[stage][reason] += 1
        self.files[source].drops[stage] += 1
        if reason == "garbled":
            self.files[source].garbled += 1
        self._add_markers(marker_lines, mt_engine)

    def mojibake_files(self) -> list[str]:
        """One line for each file whose records were rejected as ``garbled`` (mojibake) at
        least :data:`MOJIBAKE_FILE_SHARE` of the time: its name, the count, and how its
        encoding was decided, for a warning on stderr."""
        lines = []
        for fc in self.files.values():
            if fc.garbled and fc.garbled >= MOJIBAKE_FILE_SHARE * fc.records_in:
                info = fc.info
                lines.append(f"{info.source}: {fc.garbled} of {fc.records_in} records look "
                             f"like mojibake (rejected as quality/garbled); it was read as "
                             f"{info.encoding} ({info.encoding_how}); if that is wrong, run "
                             f"again with --encoding CODEC")
        return lines

    def add_seconds(self, stage: str, seconds: float) -> None:
        """Add time spent in ``stage`` (seconds, summed over workers)."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def add_scan(self, source: str, seconds: dict[str, float], facts: dict[str, int]):
        """Take one scan task's summary for file ``source``: its time per stage (seconds,
        summed over workers) and the ``lines`` and ``replaced_bytes`` the worker read (see
        :data:`.work.ScanResult`). Returns the file's :class:`~.reader.FileInfo`."""
        for stage, dt in seconds.items():
            self.add_seconds(stage, dt)
        info = self.files[source].info
        info.lines += facts.get("lines", 0)
        info.replaced_bytes += facts.get("replaced_bytes", 0)
        return info

    def count_kept_many(self, per_source: dict[str, int], languages: dict[str, int],
                        marker_engines: dict[str, int]) -> None:
        """Count records written to the clean output, by their fields: the records of each
        source, of each language (``und`` for none), and their stripped marker lines per
        engine (as :meth:`count_kept` of each)."""
        for source, n in per_source.items():
            self.kept += n
            self.files[source].kept += n
        self.languages.update(languages)
        for engine, n in marker_engines.items():
            self._add_markers(n, engine)

    def remember_snippet(self, record_id: str, source: str, line: int | None,
                         snippet_text: str) -> None:
        """Keep the snippet of a kept record that heads a duplicate cluster (``snippet_text``:
        :func:`snippet` of its text), for the dedup report; texts are never held."""
        self._kept_snippets[record_id] = (source, line, snippet_text)

    def _add_markers(self, lines: int, mt_engine: str | None) -> None:
        """Count ``lines`` stripped marker lines of engine ``mt_engine`` (None: unknown)."""
        if lines:
            self.marker_lines += lines
            self.marker_engines[mt_engine or "unknown"] += lines

    # --- read by the writer and the CLI -----------------------------------------------------
    @property
    def duplicate_clusters(self) -> int:
        """Number of clusters (kept records with at least one duplicate removed)."""
        if self._worker_counts is not None:
            return self._worker_counts["clusters"]
        return len(self._clusters)

    def stats(self) -> dict:
        """Return ``stats.json`` as a dict (key order fixed, no timestamps or absolute paths).
        ``line_drops`` (after ``drops``), and a file's ``lines_removed``, are there only when
        lines were removed from page documents."""
        stats = {
            "schema_version": STATS_SCHEMA_VERSION,
            "records_in": self.records_in,
            "kept": self.kept,
            "rejected": self.rejected,
            "bytes_in": sum(fc.info.bytes for fc in self.files.values()),
            "drops": {stage: dict(sorted(self.drops[stage].items()))
                      for stage in in_flow_order(self.drops)},
        }
        if self.line_drops:
            stats["line_drops"] = {stage: dict(sorted(self.line_drops[stage].items()))
                                   for stage in in_flow_order(self.line_drops)}
        stats.update({
            "languages": dict(sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))),
            "markers": {
                "lines_stripped": self.marker_lines,
                "engines": dict(sorted(self.marker_engines.items())),
            },
            "duplicate_clusters": self.duplicate_clusters,
            "repeated_lines": self.repeated_lines,
            "files": [self._file_stats(fc) for fc in self.files.values()],
            "errors": self.errors,
            "config": self.config.to_dict(),
        })
        return stats

    @staticmethod
    def _file_stats(fc: FileCounts) -> dict:
        row = {
            **{k: v for k, v in asdict(fc.info).items() if k != "extra"},
            "records_in": fc.records_in,
            "kept": fc.kept,
            "drops": {s: fc.drops[s] for s in in_flow_order(fc.drops)},
        }
        if fc.lines_removed:
            row["lines_removed"] = fc.lines_removed
        if fc.info.extra.get("warc_records_skipped"):
            row["warc_records_skipped"] = fc.info.extra["warc_records_skipped"]
        return row

    def _cluster_heads(self) -> list[tuple[str, str, int | None, str]]:
        """``(kept_id, source, line, snippet)`` of every cluster, in report order."""
        return cluster_heads(self._clusters, self._kept_snippets)

    def take_cluster_counts(self, counts: dict) -> None:
        """Take the clusters' :func:`cluster_counts` from the worker that writes
        ``dedup-report.json`` (the clusters' entries stayed on the workers): the summary
        (:meth:`dedup_top`) and ``stats.json`` use them."""
        self._worker_counts = counts

    def dedup_top(self) -> bytes:
        """The summary of ``dedup-report.json`` (all but its clusters), as
        :func:`report_chunks` takes it."""
        return orjson.dumps(self._dedup_summary(self._cluster_heads()),
                            option=orjson.OPT_INDENT_2)

    def _cluster(self, head: tuple[str, str, int | None, str]) -> dict:
        removed = self._clusters[head[0]]
        return {
            "kept": _kept_row(*head),
            "size": len(removed) + 1,
            "removed": [_removed_row(*r) for r in removed],
        }

    def _dedup_summary(self, heads: list) -> dict:
        counts = self._worker_counts or cluster_counts(heads, self._clusters)
        overlap, sizes = counts["overlap"], counts["sizes"]
        exact, near = counts["exact"], counts["near"]
        removed_total = exact + near
        return {
            "schema_version": DEDUP_SCHEMA_VERSION,
            "parameters": {
                "keep": self.config.keep,
                "exact": {"normalisation": DEDUP_NORMALISATION, "hash": "xxh3_128"},
                "near": self.near_parameters,
            },
            "totals": {
                "records_in": self.reached_dedup,
                "exact_duplicates": exact,
                "near_duplicates": near,
                "clusters": counts["clusters"],
                "lsh_candidate_pairs": self.near_pairs[0],
                "verified_pairs": self.near_pairs[1],
                "duplicate_rate": round(removed_total / self.reached_dedup, 6)
                if self.reached_dedup else 0.0,
            },
            **({} if self.index_runs is None else {"seen_before": {
                "runs_looked_up": self.index_runs,
                "exact": self.drops["dedup"]["seen_before"],
                "near": self.drops["dedup"]["near_seen_before"],
                "by_run": dict(sorted(self.seen_runs.items())),
            }}),
            "cluster_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "file_overlap": [
                {"kept_source": a, "removed_source": b, "records": n}
                for (a, b), n in sorted(overlap.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
            ],
        }

    def dedup_report(self) -> dict:
        """Return ``dedup-report.json`` as a dict (see the README for the schema)."""
        heads = self._cluster_heads()
        return {**self._dedup_summary(heads), "clusters": [self._cluster(h) for h in heads]}

    def write_dedup_report(self, f) -> None:
        """Write ``dedup-report.json`` to binary file ``f``, one cluster at a time (the same
        bytes as ``orjson.dumps(self.dedup_report(), option=OPT_INDENT_2)`` plus a newline,
        without building the whole report in memory)."""
        heads = self._cluster_heads()
        top = orjson.dumps(self._dedup_summary(heads), option=orjson.OPT_INDENT_2)
        clusters = ((kept_entry(*head), [removed_entry(*r) for r in self._clusters[head[0]]])
                    for head in heads)
        for chunk in report_chunks(top, clusters):
            f.write(chunk)
