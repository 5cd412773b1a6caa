"""Pages built around real text: abstracts of the seed dump (an English abstract and the
Chinese machine translation of another), in the markup of real sites: a news page with
navigation, a share bar and a footer; a Jekyll paper page with YAML front matter and a raw-HTML
toolbar, as the seeds' own site publishes them."""

from __future__ import annotations

from support.paths import SEEDS


SEED = (SEEDS / "000_5531a001d51d5e0c.txt").read_text(encoding="utf-8").splitlines()
ZH, EN, EN2 = SEED[0], SEED[2], SEED[4]  # a Chinese MT abstract, two English abstracts
OTHER = (SEEDS / "003_021855e50a64dd07.txt").read_text(encoding="utf-8").splitlines()[:2]

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="gbk"><title>深度学习推荐模型的存储层级</title></head>
<body>
<nav><ul><li><a href="/">首页</a></li><li><a href="/tech">科技频道</a></li>
<li><a href="/ai">人工智能</a></li><li><a href="/about">关于我们</a></li></ul></nav>
<div class="share">分享到：微信 微博 QQ空间</div>
<article>
<h1>深度学习推荐模型的存储层级</h1>
<p>{ZH}</p>
<p>{EN}</p>
</article>
<footer><p>版权所有 &copy; 2024 北京阿比特科技有限公司 京ICP备12345678号</p></footer>
</body></html>
"""

PAPER_PAGE = f"""---
layout: default
title: "Scalable Recommendation Models on Storage-Class Memory"
date: 2025-10-12
---

# Scalable Recommendation Models on Storage-Class Memory

<div class="paper-toolbar">
  <a href="https://arxiv.org/abs/2510.10823" class="toolbar-btn" target="_blank">📄 arXiv: 2510.10823v1</a>
  <a href="https://arxiv.org/pdf/2510.10823.pdf" class="toolbar-btn" target="_blank">📥 PDF</a>
  <button class="toolbar-btn" onclick="copyLinkToClipboard(this)">🔗 分享</button>
</div>

## 📝 摘要（中文）

{ZH}

## 📄 摘要（原文）

> {EN2}
"""


def page_dump(tmp_path):
    """A dump of a GBK news page, a Markdown page, a text file and the Markdown page again."""
    dump = tmp_path / "pages"
    dump.mkdir()
    (dump / "a-news.html").write_bytes(NEWS_PAGE.encode("gbk"))
    (dump / "b-paper.md").write_bytes(PAPER_PAGE.encode())
    (dump / "c-abstracts.txt").write_text("".join(f"{line}\n" for line in OTHER))
    (dump / "d-paper-again.md").write_bytes(PAPER_PAGE.encode())
    return dump


def warc_bytes(gzip: bool = True) -> bytes:
    """A WARC file of seven records: warcinfo, a request, an HTML response in UTF-8 declared in
    its markup, an HTML response in GBK declared only in its HTTP header, a metadata record, a
    PNG response, and a WET text conversion (EN2)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)

    def write(kind, uri, payload, http=None, content_type=None, date="2024-05-06T07:08:09Z"):
        headers = {"WARC-Date": date}
        if content_type:
            headers["Content-Type"] = content_type
        record = writer.create_warc_record(
            uri, kind, payload=io.BytesIO(payload),
            http_headers=StatusAndHeaders("200 OK", http, protocol="HTTP/1.1") if http else None,
            warc_headers_dict=headers)
        writer.write_record(record)

    writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}))
    request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.cn")],
                               is_http_request=True)
    writer.write_record(writer.create_warc_record(
        "https://news.example.cn/a", "request", payload=io.BytesIO(b""), http_headers=request))
    utf8 = NEWS_PAGE.replace('charset="gbk"', 'charset="utf-8"').encode()
    write("response", "https://news.example.cn/a", utf8,
          [("Content-Type", "text/html")])
    gbk = NEWS_PAGE.replace('<meta charset="gbk">', "").replace(EN, EN2).encode("gbk")
    write("response", "https://news.example.cn/b", gbk,
          [("Content-Type", "text/html; charset=gbk")])
    write("metadata", "https://news.example.cn/a", b"outlinks: 12\n",
          content_type="application/warc-fields")
    write("response", "https://news.example.cn/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64),
          [("Content-Type", "image/png")])
    write("conversion", "https://other.example.org/p", f"{OTHER[0]}\n\n{OTHER[1]}\n".encode(),
          content_type="text/plain")
    return buf.getvalue()


def site_pages() -> dict[str, bytes]:
    """Four HTML pages of one site: an article of three seed sentences each, under its own
    title, and the same line of site chrome at the end of every article."""
    sentences = [s + "." for s in " ".join(OTHER + [EN, EN2]).split(". ") if len(s) > 60]
    pages = {}
    titles = ["Sparse training", "Memory tiers", "Image models", "Recommendation at scale"]
    for i, title in enumerate(titles):
        body = "".join(f"<p>{s}</p>" for s in sentences[i * 3:i * 3 + 3])
        pages[f"p{i}.html"] = (f"<!DOCTYPE html><html><head><title>{title}</title></head>"
                               f"<body><article><h1>{title}</h1>{body}"
                               "<p>Mehr aus dem Ressort Wissenschaft</p></article></body>"
                               "</html>").encode()
    return pages

