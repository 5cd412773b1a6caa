"""Page dumps: HTML and Markdown pages read whole, their main text extracted into one document
(the pages: ``tests/support/pages.py``)."""

from __future__ import annotations

import gzip
import json
import sys

import pytest
from support.pages import EN, EN2, NEWS_PAGE, OTHER, PAPER_PAGE, ZH, page_dump

from corpus_clean import Config, InputError, OutputWriter, clean_dir
from corpus_clean.reading.pages import declared_charset, looks_like_html, page_kind

def _run(tmp_path, files: dict[str, bytes], **kwargs):
    dump = tmp_path / "dump"
    dump.mkdir(parents=True)
    for name, data in files.items():
        (dump / name).write_bytes(data)
    out = tmp_path / "out"
    report = clean_dir(dump, OutputWriter(out), Config(lang_backend="none"), **kwargs)
    kept = [json.loads(line) for line in (out / "clean.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    stats = json.loads((out / "stats.json").read_text())
    return report, kept, rejected, stats


def test_page_formats_by_name_and_content():
    assert [page_kind(n) for n in ("a.html", "b/c.HTM", "d.xhtml.gz", "e.md", "f.markdown.zst",
                                   "g.txt", "h.jsonl", "htmlnotes.txt", "i")] == \
        ["html", "html", "html", "markdown", "markdown", None, None, None, None]
    assert looks_like_html(["<!DOCTYPE html>", "<html>"])
    assert looks_like_html(["<?xml version='1.0'?>", "<!-- x -->", "<html lang='en'>"])
    assert not looks_like_html([EN, "<html> appears in this abstract"])
    assert declared_charset(b'<meta charset="GB2312">') == "gb18030"
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; '
                            b'charset=Shift_JIS">') == "shift_jis"
    assert declared_charset(b'<meta charset="no-such-codec">') is None


@pytest.mark.parametrize("workers", [1, 2])
def test_an_html_page_in_gbk_becomes_one_document_of_its_main_text(tmp_path, workers):
    page = NEWS_PAGE.encode("gbk")
    _, kept, rejected, stats = _run(tmp_path, {"news.html.gz": gzip.compress(page, mtime=0)},
                                    workers=workers)
    assert rejected == []
    [doc] = kept
    assert doc["id"] == "news.html.gz:1" and doc["line"] == 1
    assert ZH in doc["text"] and EN in doc["text"]
    for chrome in ("首页", "科技频道", "分享到", "版权所有", "<p>", "&lt;"):
        assert chrome not in doc["text"], chrome
    assert doc["title"] == "深度学习推荐模型的存储层级"
    assert list(doc)[-3:] == ["url", "title", "date"]
    [info] = stats["files"]
    assert (info["encoding"], info["encoding_how"], info["layout"]) == \
        ("gb18030", "declared", "html")


def test_a_markdown_page_loses_its_front_matter_and_toolbar(tmp_path):
    _, kept, _, _ = _run(tmp_path, {"paper.md": PAPER_PAGE.encode()})
    [doc] = kept
    assert ZH in doc["text"] and EN2 in doc["text"]
    for chrome in ("layout:", "---", "onclick", "toolbar", "<div", "> "):
        assert chrome not in doc["text"], chrome
    assert (doc["title"], doc["date"]) == ("Scalable Recommendation Models on Storage-Class "
                                           "Memory", "2025-10-12")


def test_html_without_a_page_name_is_found_by_its_first_lines_and_text_stays_text(tmp_path):
    _, kept, _, stats = _run(tmp_path, {
        "crawled-page": NEWS_PAGE.replace('charset="gbk"', 'charset="utf-8"').encode(),
        "abstracts.txt": "".join(f"{line}\n" for line in OTHER).encode()})
    docs = {r["source"]: r for r in kept}
    assert ZH in docs["crawled-page"]["text"] and "title" in docs["crawled-page"]
    assert [r["text"] for r in kept if r["source"] == "abstracts.txt"] == OTHER
    assert all("url" not in r for r in kept if r["source"] == "abstracts.txt")
    assert [f["layout"] for f in stats["files"]] == ["line", "html"]


def test_a_page_of_navigation_only_is_rejected_as_a_whole_with_its_reason(tmp_path):
    nav = "".join(f'<li><a href="/c/{i}">栏目{i}</a></li>' for i in range(40))
    page = f"<!DOCTYPE html><html><head><title>导航</title></head><body><nav><ul>{nav}</ul>" \
           "</nav></body></html>"
    report, kept, rejected, stats = _run(tmp_path, {"nav.html": page.encode(),
                                                    "paper.md": PAPER_PAGE.encode()})
    assert [r["source"] for r in kept] == ["paper.md"]
    [reject] = rejected
    assert reject["source"] == "nav.html" and reject["url"] is None
    assert (reject["stage"], reject["reason"]) == ("boilerplate", "chrome_only")
    assert reject["detail"] == "all 40 lines are site chrome (too_short 40)"
    assert stats["records_in"] == 2 == stats["kept"] + stats["rejected"]


def test_the_same_page_twice_is_one_document_and_one_exact_duplicate(tmp_path):
    _, kept, rejected, _ = _run(tmp_path, {"a.md": PAPER_PAGE.encode(),
                                           "b.md": PAPER_PAGE.encode()})
    assert [r["source"] for r in kept] == ["a.md"]
    assert [(r["source"], r["reason"], r["duplicate_of"]) for r in rejected] == \
        [("b.md", "exact_duplicate", "a.md:1")]


def test_pages_without_the_extractor_are_one_line_naming_the_extra(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "trafilatura" else real(name, *a))
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    with pytest.raises(InputError, match=r"^paper\.md: 1 HTML or Markdown page\(s\) need "
                                         r"trafilatura .*pip install 'corpus-clean\[html\]'$"):
        _run(tmp_path, {"paper.md": PAPER_PAGE.encode()})
    # found by its content only, in the middle of the run: the same extra is named
    with pytest.raises(InputError, match=r"pip install 'corpus-clean\[html\]'"):
        _run(tmp_path / "2", {"page": NEWS_PAGE.encode("gbk")}, workers=1)


def test_a_page_that_holds_an_abstract_of_a_text_dump_is_its_near_duplicate(tmp_path):
    """Pages and text records meet in one dedup: a page made of an abstract a text file of
    the dump also holds (with its translation and a title) is a near duplicate of it."""
    _, kept, rejected, _ = _run(tmp_path, {
        "abstracts.txt": f"{EN}\n".encode(),
        "news.html": NEWS_PAGE.replace('charset="gbk"', 'charset="utf-8"').encode()})
    assert [r["source"] for r in kept] == ["abstracts.txt"]
    [dup] = rejected
    assert (dup["source"], dup["reason"], dup["duplicate_of"]) == \
        ("news.html", "near_duplicate", "abstracts.txt:1")
    assert dup["title"] == "深度学习推荐模型的存储层级"


def test_pages_resume_shard_and_stream_as_text_dumps_do(tmp_path, monkeypatch):
    import io

    from corpus_clean.engine.resume import Checkpoint

    dump = page_dump(tmp_path)
    clean_dir(dump, OutputWriter(tmp_path / "whole"), Config())
    whole = {p.name: p.read_bytes() for p in (tmp_path / "whole").iterdir()}
    real = Checkpoint.complete

    def interrupted(self, file_index, info):  # Ctrl-C once the second file is journalled
        real(self, file_index, info)
        if file_index == 1:
            raise KeyboardInterrupt
    with monkeypatch.context() as m:
        m.setattr(Checkpoint, "complete", interrupted)
        with pytest.raises(KeyboardInterrupt):
            clean_dir(dump, OutputWriter(tmp_path / "resumed"), Config())
    report = clean_dir(dump, OutputWriter(tmp_path / "resumed", overwrite=True), Config(),
                       resume=True)
    assert report.resume.restored == ["a-news.html", "b-paper.md"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "resumed").iterdir()} == whole
    clean_dir(dump, OutputWriter(tmp_path / "shards", shard_records=1), Config(), workers=2)
    shards = sorted((tmp_path / "shards").glob("clean-*.jsonl"))
    assert len(shards) == whole["clean.jsonl"].count(b"\n") == 4
    assert b"".join(p.read_bytes() for p in shards) == whole["clean.jsonl"]
    stream = io.BytesIO()
    clean_dir(dump, OutputWriter(None, stream=stream), Config())
    assert stream.getvalue() == whole["clean.jsonl"]


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_warc_gives_a_document_per_html_response_and_wet_conversion(tmp_path, gzipped):
    from support.pages import OTHER, warc_bytes

    name = "crawl.warc.gz" if gzipped else "crawl.warc"
    _, kept, rejected, stats = _run(tmp_path, {name: warc_bytes(gzip=gzipped)})
    assert rejected == []
    docs = {r["id"]: r for r in kept}
    assert sorted(docs) == [f"{name}:3", f"{name}:4", f"{name}:7"]
    a, b, wet = docs[f"{name}:3"], docs[f"{name}:4"], docs[f"{name}:7"]
    assert ZH in a["text"] and EN in a["text"] and "首页" not in a["text"]
    assert ZH in b["text"] and EN2 in b["text"]  # GBK, declared only in the HTTP header
    assert (a["url"], a["date"], a["title"]) == ("https://news.example.cn/a", "2024-05-06",
                                                 "深度学习推荐模型的存储层级")
    assert wet["text"] == "\n".join(OTHER) and wet["url"] == "https://other.example.org/p"
    [info] = stats["files"]
    assert (info["layout"], info["lines"], info["warc_records_skipped"]) == ("warc", 7, 4)


def test_a_truncated_warc_keeps_the_records_before_the_cut(tmp_path):
    from support.pages import warc_bytes

    data = warc_bytes()
    _, kept, rejected, stats = _run(tmp_path, {"cut.warc.gz": data[:int(len(data) * 0.8)]})
    assert [r["id"] for r in kept] == ["cut.warc.gz:3", "cut.warc.gz:4"]
    [cut] = rejected
    assert (cut["id"], cut["stage"], cut["reason"]) == ("cut.warc.gz:7", "read",
                                                         "truncated_file")
    assert stats["files"][0]["warc_records_skipped"] == 4
    assert stats["records_in"] == stats["kept"] + stats["rejected"] == 3
    assert stats["errors"][0]["reason"] == "truncated_file"


def test_the_fast_extractor_gives_the_same_document_shape(tmp_path):
    pytest.importorskip("resiliparse")
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "news.html").write_bytes(NEWS_PAGE.encode("gbk"))
    clean_dir(dump, OutputWriter(tmp_path / "out"), Config(lang_backend="none",
                                                           extractor="resiliparse"))
    [doc] = [json.loads(line) for line in (tmp_path / "out" / "clean.jsonl").read_text()
             .splitlines()]
    assert ZH in doc["text"] and EN in doc["text"] and "<p>" not in doc["text"]
    assert doc["title"] == "深度学习推荐模型的存储层级"
    for chrome in ("科技频道", "版权所有"):  # its menu and footer: left out or removed
        assert chrome not in doc["text"], chrome


def test_a_site_toolbar_on_every_page_is_removed_as_a_repeated_line(tmp_path):
    """The same chrome line on every page of a site (trafilatura keeps it with the article)
    is what the repetition rule exists for: counted across documents, removed from each."""
    from support.pages import site_pages

    pages = site_pages()
    for workers in (1, 2):
        _, kept, rejected, stats = _run(tmp_path / str(workers), pages, workers=workers)
        assert len(kept) == 4 and rejected == []
        assert not any("Mehr aus dem Ressort" in r["text"] for r in kept)
        assert stats["line_drops"]["boilerplate"]["repeated_line"] == 4
        removed = [json.loads(line) for line in
                   (tmp_path / str(workers) / "out" / "removed-lines.jsonl").read_text()
                   .splitlines()]
        assert [(r["document"], r["text"]) for r in removed] == [
            (f"p{i}.html:1", "Mehr aus dem Ressort Wissenschaft") for i in range(4)]
        assert stats["repeated_lines"][0] == {"text": "Mehr aus dem Ressort Wissenschaft",
                                              "count": 4, "dropped": True}


def test_a_line_one_page_repeats_itself_is_not_chrome_of_the_dump(tmp_path):
    """The dump-wide rule counts a line once per document: a line a page gives three times is
    not a line repeated across pages. Within the page the first stays and the copies go (an
    extractor that emitted a paragraph twice), listed with the line they copy."""
    step = "Check the opening hours of the distilleries before you go."
    body = "".join(f"<p>{s}</p><p>{step}</p>" for s in OTHER + [EN])
    page = (f"<!DOCTYPE html><html><head><title>Tour</title></head><body><article>"
            f"<h1>Whisky tour</h1>{body}</article></body></html>").encode()
    _, kept, rejected, stats = _run(tmp_path, {"tour.html": page})
    out = tmp_path / "out"
    [doc] = kept
    assert doc["text"].count(step) == 1 and doc["text"].index(step) < doc["text"].index(EN[:40])
    assert stats["line_drops"] == {"boilerplate": {"repeated_line": 2}}
    removed = [json.loads(line) for line in (out / "removed-lines.jsonl").read_text().splitlines()]
    assert [(r["text"], r["detail"]) for r in removed] == \
        [(step, "a copy of an earlier line of the document")] * 2
    assert not stats.get("repeated_lines")


@pytest.mark.parametrize("workers", [0, 2])
def test_records_paragraphs_gives_one_record_per_paragraph_of_the_main_text(tmp_path, workers):
    """``records = "paragraphs"``: each paragraph of a page's main text is a record of its own,
    id ``<document id>#<k>``, judged as a text dump's records are (a chrome paragraph is a
    rejected record, not a removed line); a text file next to the pages is unchanged."""
    from support.pages import warc_bytes

    dump = page_dump(tmp_path)
    (dump / "crawl.warc.gz").write_bytes(warc_bytes())
    out = tmp_path / "out"
    clean_dir(dump, OutputWriter(out), Config(lang_backend="none", records="paragraphs"),
              workers=workers)
    kept = [json.loads(line) for line in (out / "clean.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    texts = {r["id"]: r["text"] for r in kept}
    news = {i: t for i, t in texts.items() if i.startswith("a-news.html:1#")}
    assert sorted(news.values()) == sorted([ZH, EN])  # the heading is too short: rejected
    assert all("url" not in r for r in kept)
    paper = {i: t for i, t in texts.items() if i.startswith("b-paper.md:1#")}
    assert ZH not in paper.values()  # the news page had it first: an exact duplicate
    assert EN2 in paper.values()
    assert [texts[f"c-abstracts.txt:{n}"] for n in (1, 2)] == OTHER
    # the WET text of the WARC: a paragraph per line, each the duplicate of the text file's
    wet = {r["id"]: (r["reason"], r["duplicate_of"]) for r in rejected
           if r["id"].startswith("crawl.warc.gz:7#")}
    assert wet == {"crawl.warc.gz:7#1": ("exact_duplicate", "c-abstracts.txt:1"),
                   "crawl.warc.gz:7#2": ("exact_duplicate", "c-abstracts.txt:2")}
    assert not (out / "removed-lines.jsonl").exists()
    dup = next(r for r in rejected if r["text"] == ZH and r["id"].startswith("b-paper"))
    assert (dup["stage"], dup["reason"]) == ("dedup", "exact_duplicate")
    stats = json.loads((out / "stats.json").read_text())
    assert stats["records_in"] == len(kept) + len(rejected)
    assert stats["config"]["records"] == "paragraphs"
    # the same with one worker and with two: byte-identical
    other = tmp_path / "other"
    clean_dir(dump, OutputWriter(other), Config(lang_backend="none", records="paragraphs"),
              workers=2 - workers)
    assert (other / "clean.jsonl").read_bytes() == (out / "clean.jsonl").read_bytes()
    assert (other / "rejected.jsonl").read_bytes() == (out / "rejected.jsonl").read_bytes()
