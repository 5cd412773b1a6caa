"""Terminal rendering with rich, for the CLI: the run summary and the dedup report.

Part of the CLI layer (the library proper knows no rich). Everything here prints to the
console it is given; the CLI passes a stderr console for summaries and a stdout console for
the ``report`` command's output.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..output.report import Report
from ..stages.registry import in_flow_order
from .render import TOP_CLUSTERS, closest_calls, largest_clusters

__all__ = ["render_summary", "render_dedup_report", "render_resume", "start_dask",
           "dask_progress"]



def render_resume(console: Console, summary) -> None:
    """Say what ``--resume`` did (``summary``: a :class:`.resume.ResumeSummary` or None)."""
    if summary is None or not summary.resumed:
        return
    if not summary.found:
        console.print("resume: no checkpoint in the output directory; ran from the beginning",
                      highlight=False)
        return
    console.print(f"resume: {len(summary.restored)} files ({summary.bytes_restored:,} bytes) "
                  "taken from the checkpoint, the others read", highlight=False)
    if summary.changed:
        console.print(f"resume: changed since the interrupted run, read again: "
                      f"{', '.join(summary.changed)}", highlight=False, markup=False)
    if summary.damaged:
        console.print(f"resume: saved results damaged (checksum), read again: "
                      f"{', '.join(summary.damaged)}", highlight=False, markup=False)


def render_summary(console: Console, report: Report) -> None:
    """Print the table of records in, drops per stage and reason, kept and rejected."""
    table = Table(title="corpus-clean", title_justify="left", show_edge=False)
    table.add_column("stage")
    table.add_column("reason")
    table.add_column("records", justify="right")
    table.add_row("read", "records in", str(report.records_in))
    for stage in in_flow_order(report.drops):
        for reason, n in sorted(report.drops[stage].items()):
            table.add_row(stage, reason, str(n))
    table.add_row("write", "kept", str(report.kept), style="bold")
    table.add_row("write", "rejected", str(report.rejected))
    langs = ", ".join(f"{k} {v}" for k, v in report.stats()["languages"].items())
    console.print(table)
    console.print(f"languages: {langs or '-'}", highlight=False)
    console.print(f"duplicate clusters: {report.duplicate_clusters}; "
                  f"marker lines stripped: {report.marker_lines}", highlight=False)
    if report.line_drops:  # page dumps: lines removed from the documents kept
        removed = [(f"{stage}/{reason}", n) for stage in in_flow_order(report.line_drops)
                   for reason, n in sorted(report.line_drops[stage].items())]
        console.print(f"lines removed from documents: {sum(n for _, n in removed)} ("
                      + ", ".join(f"{k} {n}" for k, n in removed) + ")", highlight=False)
    total = sum(report.seconds.values())
    if total > 0:
        times = Table(title="time per stage, all workers", title_justify="left",
                      show_edge=False)
        times.add_column("stage")
        times.add_column("seconds", justify="right")
        times.add_column("share", justify="right")
        for stage in in_flow_order(report.seconds):
            secs = report.seconds[stage]
            times.add_row(stage, f"{secs:.2f}", f"{100 * secs / total:.0f}%")
        console.print(times)


def render_dedup_report(console: Console, data: dict, top: int = TOP_CLUSTERS) -> None:
    """Print a dedup report: totals, the largest clusters with kept and removed snippets side
    by side, and the file-overlap table."""
    t = data["totals"]
    totals = Table(title="Dedup report", title_justify="left", show_header=False, show_edge=False)
    totals.add_column("total")
    totals.add_column("value", justify="right")
    for key in ("records_in", "exact_duplicates", "near_duplicates", "clusters",
                "duplicate_rate"):
        totals.add_row(key, str(t.get(key)))
    console.print(totals)
    near = data["parameters"].get("near")
    if near:
        console.print("near: " + ", ".join(f"{k}={v}" for k, v in near.items()),
                      highlight=False, markup=False)
    sizes = ", ".join(f"{k}: {v}" for k, v in data["cluster_sizes"].items())
    console.print(f"cluster sizes (size: clusters): {sizes or '-'}", highlight=False)
    calls = Table(title=f"Closest calls: near duplicates with the lowest Jaccard (up to {top})",
                  title_justify="left", show_lines=True)
    calls.add_column("jaccard", justify="right")
    calls.add_column("kept", ratio=1, overflow="fold")
    calls.add_column("removed", ratio=1, overflow="fold")
    for k, r in closest_calls(data, top):
        calls.add_row(f"{r['jaccard']:.3f}", f"{k['id']}\n{k['text']}", f"{r['id']}\n{r['text']}")
    if calls.row_count:
        console.print(calls)
    clusters = Table(title=f"Largest clusters (up to {top})", title_justify="left",
                     show_lines=True)
    clusters.add_column("kept", ratio=1, overflow="fold")
    clusters.add_column("removed", ratio=1, overflow="fold")
    clusters.add_column("kind")
    clusters.add_column("jaccard", justify="right")
    for c in largest_clusters(data, top):
        k = c["kept"]
        for i, r in enumerate(c["removed"]):
            kept_cell = f"{k['id']}\n{k['text']}" if i == 0 else ""
            clusters.add_row(kept_cell, f"{r['id']}\n{r['text']}", r["kind"], f"{r['jaccard']:.3f}")
    console.print(clusters)
    overlap = Table(title="Which files repeat which", title_justify="left")
    overlap.add_column("kept in")
    overlap.add_column("removed from")
    overlap.add_column("records", justify="right")
    for row in data["file_overlap"]:
        overlap.add_row(row["kept_source"], row["removed_source"], str(row["records"]))
    console.print(overlap)


def start_dask(console: Console, address: str | None, workers: int):
    """Connect to the Dask scheduler at ``address`` (or start a local cluster of ``workers``
    processes, see :func:`corpus_clean.engine.dask_executor.connect`) and print where it runs and its
    dashboard's address. Returns the :class:`~corpus_clean.engine.dask_executor.DaskExecutor`.

    Raises:
        DaskMissingError, DaskConnectError: as :func:`~corpus_clean.engine.dask_executor.connect`.
    """
    from ..engine.dask_executor import (
        connect,  # imports distributed: only for --executor dask
    )

    executor = connect(address, workers)
    where = address or "a local cluster"
    console.print(f"dask: {where}, {executor.workers} worker threads"
                  + (f"; dashboard {executor.dashboard}" if executor.dashboard else ""),
                  highlight=False, markup=False, soft_wrap=True)
    return executor


def dask_progress(executor) -> str:
    """`` tasks 12/40``: the executor's tasks done on the cluster / submitted, as the scheduler
    reports them; empty for an executor that counts no tasks (the local ones)."""
    if executor is None or not hasattr(executor, "tasks_done"):
        return ""
    return f" tasks {executor.tasks_done}/{executor.tasks_submitted}"
