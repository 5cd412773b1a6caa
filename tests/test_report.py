"""The dedup report's bytes, written in pieces (``report.report_chunks``: by the driver, or by
the worker that holds the clusters on Dask), against one ``orjson.dumps`` of the whole report.
The entries are real: seed records and a Chinese translation from ``seeds/``."""

from __future__ import annotations

import orjson
import pytest

from corpus_clean.output.report import kept_entry, removed_entry, report_chunks

TOP = {"schema_version": 1, "totals": {"clusters": 2}, "file_overlap": []}
KEPT = [("000_5531a001d51d5e0c.txt:5", "000_5531a001d51d5e0c.txt", 5,
         "Neural networks have achieved impressive results on many technological and scien"),
        ("002_3e3487d38700c770.txt", "002_3e3487d38700c770.txt", None,
         "神经网络在许多技术和科学任务上取得了令人印象深刻的成果，\"引号\"")]
REMOVED = [[("001_fc24b4745f523173.txt", 5, KEPT[0][3], "exact", 1.0)],
           [("003_021855e50a64dd07.txt", 9, KEPT[1][3], "exact", 1.0),
            ("004_x.txt", None, KEPT[1][3][:20], "near", 0.8125)]]


def _whole(clusters: int) -> bytes:
    report = {**TOP, "clusters": [
        {"kept": dict(zip(("id", "source", "line", "text"), KEPT[k])),
         "size": len(REMOVED[k]) + 1,
         "removed": [{"id": f"{s}:{line}" if line is not None else s, "source": s, "line": line,
                      "text": t, "kind": kind, "jaccard": j}
                     for s, line, t, kind, j in REMOVED[k]]} for k in range(clusters)]}
    return orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"


@pytest.mark.parametrize("clusters", [0, 1, 2])
def test_the_pieces_are_one_dump_of_the_whole_report(clusters):
    top = orjson.dumps(TOP, option=orjson.OPT_INDENT_2)
    pieces = [(kept_entry(*KEPT[k]), [removed_entry(*r) for r in REMOVED[k]])
              for k in range(clusters)]
    assert b"".join(report_chunks(top, pieces)) == _whole(clusters)
