"""Render a dedup report (``dedup-report.json``) as Markdown or self-contained HTML.

Pure functions from the report dict to a string; the terminal rendering (rich) is the CLI's.
The HTML needs no network: inline CSS, an inline SVG bar chart of cluster sizes, and the
file-overlap matrix as a heat map (cell shade proportional to the count).
"""

from __future__ import annotations

import html
from collections import defaultdict

from ..errors import CorpusCleanError

__all__ = ["load_report", "largest_clusters", "closest_calls", "overlap_matrix", "to_markdown",
           "to_html"]

#: clusters shown in full by the renderings (the largest first)
TOP_CLUSTERS = 20


def _json_type(value) -> str:
    """The JSON name of the type of a parsed JSON ``value`` (``null``, ``array``, ...)."""
    names = {type(None): "null", bool: "boolean", int: "number", float: "number",
             str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def load_report(data: dict, source: str = "dedup-report.json") -> dict:
    """Check that ``data`` is a dedup report this version can render and return it.

    Raises:
        CorpusCleanError: a key the renderers need is missing, or the schema is newer.
    """
    from ..output.report import DEDUP_SCHEMA_VERSION

    if not isinstance(data, dict):
        raise CorpusCleanError(f"{source}: not a corpus-clean dedup report (a JSON "
                               f"{_json_type(data)}, not an object)")
    shapes = {"schema_version": int, "parameters": dict, "totals": dict, "cluster_sizes": dict,
              "file_overlap": list, "clusters": list}
    for key, shape in shapes.items():
        if key not in data:
            raise CorpusCleanError(f"{source}: not a corpus-clean dedup report (no '{key}')")
        if not isinstance(data[key], shape) or isinstance(data[key], bool):
            raise CorpusCleanError(f"{source}: not a corpus-clean dedup report ('{key}' is "
                                   f"a JSON {_json_type(data[key])})")
    if data["schema_version"] > DEDUP_SCHEMA_VERSION:
        raise CorpusCleanError(
            f"{source}: schema_version {data['schema_version']} is newer than this corpus-clean "
            f"understands ({DEDUP_SCHEMA_VERSION}); upgrade corpus-clean")
    return data


def largest_clusters(report: dict, n: int = TOP_CLUSTERS) -> list[dict]:
    """The ``n`` largest clusters, larger first, then in report order."""
    order = sorted(range(len(report["clusters"])), key=lambda i: (-report["clusters"][i]["size"], i))
    return [report["clusters"][i] for i in order[:n]]


def closest_calls(report: dict, n: int = TOP_CLUSTERS) -> list[tuple[dict, dict]]:
    """The ``n`` near duplicates with the lowest Jaccard similarity, as ``(kept, removed)``:
    the borderline decisions a user checks to tune the threshold."""
    near = [(c["kept"], r) for c in report["clusters"] for r in c["removed"] if r["kind"] == "near"]
    near.sort(key=lambda kr: (kr[1]["jaccard"], kr[1]["id"]))
    return near[:n]


def overlap_matrix(report: dict) -> tuple[list[str], list[str], list[list[int]]]:
    """Return ``(kept_sources, removed_sources, counts)``: ``counts[i][j]`` records of
    ``removed_sources[j]`` removed as duplicates of records of ``kept_sources[i]``."""
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for row in report["file_overlap"]:
        cells[(row["kept_source"], row["removed_source"])] += row["records"]
    rows = sorted({k for k, _ in cells})
    cols = sorted({r for _, r in cells})
    return rows, cols, [[cells.get((r, c), 0) for c in cols] for r in rows]


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict) -> str:
    """Render the report as GitHub-flavoured Markdown."""
    t, p = report["totals"], report["parameters"]
    out = ["# Dedup report", "", "| total | value |", "|---|---:|"]
    for key in ("records_in", "exact_duplicates", "near_duplicates", "clusters",
                "duplicate_rate"):
        out.append(f"| {key} | {t.get(key)} |")
    near = p.get("near") or {}
    out += ["", "## Parameters", "",
            f"- keep: `{p.get('keep')}`",
            f"- exact: {p['exact']['normalisation']}; hash `{p['exact']['hash']}`"]
    if near:
        out.append("- near: " + ", ".join(f"{k}={v}" for k, v in near.items()))
    out += ["", "## Cluster sizes", "", "| size | clusters |", "|---:|---:|"]
    out += [f"| {k} | {v} |" for k, v in report["cluster_sizes"].items()]
    out += ["", "## Which files repeat which", "",
            "| kept in | removed from | records |", "|---|---|---:|"]
    out += [f"| {_md(r['kept_source'])} | {_md(r['removed_source'])} | {r['records']} |"
            for r in report["file_overlap"]]
    out += ["", f"## Closest calls: near duplicates with the lowest Jaccard (up to {TOP_CLUSTERS})",
            "", "| jaccard | kept | removed |", "|---:|---|---|"]
    out += [f"| {r['jaccard']:.3f} | {_md(k['id'])}: {_md(k['text'])} | {_md(r['id'])}: "
            f"{_md(r['text'])} |" for k, r in closest_calls(report)]
    out += ["", f"## Largest clusters (up to {TOP_CLUSTERS})", ""]
    for c in largest_clusters(report):
        k = c["kept"]
        out += [f"### {_md(k['id'])} ({c['size']} records)", "",
                f"kept: {_md(k['text'])}", "",
                "| removed | kind | jaccard | text |", "|---|---|---:|---|"]
        out += [f"| {_md(r['id'])} | {r['kind']} | {r['jaccard']:.3f} | {_md(r['text'])} |"
                for r in c["removed"]]
        out.append("")
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222;max-width:72rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
vertical-align:top;text-align:left}th{background:#f3f3f3}td.n{text-align:right}
.snip{font-size:.9em;color:#333}.scroll{overflow-x:auto}.kind-near{color:#9a3412}.kind-exact{color:#1e40af}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _bar_chart(sizes: dict[str, int]) -> str:
    if not sizes:
        return "<p>No clusters.</p>"
    items = list(sizes.items())
    top = max(v for _, v in items)
    bar_w, gap, height, top_pad = 36, 12, 160, 18
    width = len(items) * (bar_w + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40 + top_pad}" '
             f'role="img" aria-label="cluster sizes">']
    for i, (size, count) in enumerate(items):
        h = max(1, round(height * count / top))
        x = gap + i * (bar_w + gap)
        parts.append(f'<rect x="{x}" y="{height - h + 10 + top_pad}" width="{bar_w}" height="{h}" '
                     f'fill="#3b82f6"><title>size {_e(size)}: {count} clusters</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2}" y="{height - h + 5 + top_pad}" font-size="11" '
                     f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar_w / 2}" y="{height + 25 + top_pad}" font-size="11" '
                     f'text-anchor="middle">{_e(size)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_map(report: dict) -> str:
    rows, cols, counts = overlap_matrix(report)
    if not rows:
        return "<p>No duplicates across or within files.</p>"
    top = max(max(r) for r in counts) or 1
    out = ["<table class='heat'><tr><th>kept in \\ removed from</th>"]
    out += [f"<th>{_e(c)}</th>" for c in cols]
    out.append("</tr>")
    for name, row in zip(rows, counts):
        out.append(f"<tr><th>{_e(name)}</th>")
        for v in row:
            alpha = 0.08 + 0.82 * v / top if v else 0
            out.append(f"<td class='n' style='background:rgba(220,38,38,{alpha:.2f})'>"
                       f"{v or ''}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def to_html(report: dict) -> str:
    """Render the report as one self-contained HTML page (no scripts, no network)."""
    t, p = report["totals"], report["parameters"]
    near = p.get("near") or {}
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           "<title>corpus-clean dedup report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Dedup report</h1><table>"]
    for key in ("records_in", "exact_duplicates", "near_duplicates", "clusters",
                "duplicate_rate"):
        out.append(f"<tr><th>{_e(key)}</th><td class='n'>{_e(t.get(key))}</td></tr>")
    out.append("</table><h2>Parameters</h2><ul>")
    out.append(f"<li>keep: <code>{_e(p.get('keep'))}</code></li>")
    out.append(f"<li>exact: {_e(p['exact']['normalisation'])}; hash "
               f"<code>{_e(p['exact']['hash'])}</code></li>")
    if near:
        out.append("<li>near: " + ", ".join(f"{_e(k)}={_e(v)}" for k, v in near.items())
                   + "</li>")
    out.append("</ul><h2>Cluster sizes</h2>")
    out.append(_bar_chart(report["cluster_sizes"]))
    out.append("<h2>Which files repeat which</h2>")
    out.append(f"<div class='scroll'>{_heat_map(report)}</div>")
    out.append(f"<h2>Closest calls: near duplicates with the lowest Jaccard (up to {TOP_CLUSTERS})"
               "</h2><table><tr><th>jaccard</th><th>kept</th><th>removed</th></tr>")
    for k, r in closest_calls(report):
        out.append(f"<tr><td class='n'>{r['jaccard']:.3f}</td><td class='snip'><b>{_e(k['id'])}"
                   f"</b><br>{_e(k['text'])}</td><td class='snip'><b>{_e(r['id'])}</b><br>"
                   f"{_e(r['text'])}</td></tr>")
    out.append("</table>")
    out.append(f"<h2>Largest clusters (up to {TOP_CLUSTERS})</h2>")
    for c in largest_clusters(report):
        k = c["kept"]
        out.append(f"<h3>{_e(k['id'])} ({c['size']} records)</h3>")
        out.append("<table><tr><th>kept</th><th>removed</th><th>kind</th><th>jaccard</th></tr>")
        for i, r in enumerate(c["removed"]):
            kept_cell = (f"<td rowspan='{len(c['removed'])}' class='snip'>{_e(k['text'])}</td>"
                         if i == 0 else "")
            out.append(f"<tr>{kept_cell}<td class='snip'><b>{_e(r['id'])}</b><br>"
                       f"{_e(r['text'])}</td><td class='kind-{_e(r['kind'])}'>{_e(r['kind'])}"
                       f"</td><td class='n'>{r['jaccard']:.3f}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_explanation(console, result: dict) -> None:
    """Print an explanation (:func:`corpus_clean.output.explain.explain`) with rich: the
    outcome, the duplicate side by side, the checks as a table, the language decision."""
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    where = f"{result['source']} line {result['line']}"
    if result["outcome"] == "kept":
        head = Text.assemble(("KEPT ", "bold green"), result["id"], f"  ({where})")
    else:
        head = Text.assemble(("REJECTED ", "bold red"), result["id"], f"  ({where})\n",
                             ("stage ", "dim"), result["stage"], ("  reason ", "dim"),
                             result["reason"], "\n", ("detail ", "dim"), result["detail"])
    console.print(head)
    dup = result.get("duplicate")
    if dup is not None:
        title = f"{dup['of']}" + (f" (seen in run {dup['run']!r})" if dup.get("run") else "")
        other = dup["text"] if dup["text"] is not None else (
            f"[not available: {dup['where'] or 'an earlier run'}; give --index INDEX_DIR if "
            "its output directory still exists]")
        console.print(Columns([Panel(result["text"], title=result["id"], width=60),
                               Panel(other, title=title, width=60)]))
        if "jaccard" in dup:
            console.print(f"character-shingle Jaccard similarity {dup['jaccard']:.3f}; shared "
                          f"shingles {dup['shared_shingles']:,} of {dup['shingles'][0]:,} and "
                          f"{dup['shingles'][1]:,}", highlight=False)
    else:
        console.print(Panel(result["text"][:2000], title="text"))
    table = Table(title="measures, recomputed with the run's settings")
    for col in ("stage", "measure", "value", "threshold", "passes"):
        table.add_column(col)
    for c in result["checks"]:
        passes = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[c["passes"]]
        table.add_row(c["stage"], c["measure"], "" if c["value"] is None else str(c["value"]),
                      c["threshold"] or "", passes)
    console.print(table)
    lang = result.get("language")
    if lang is not None:
        console.print(f"language: {lang['lang']} (probability {lang['prob']}), backend "
                      f"{lang['backend']}: {lang['rule']}", highlight=False)
