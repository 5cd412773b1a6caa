"""Stage ``extract``: a page's main text, from its HTML or Markdown source.

A page read whole (:mod:`corpus_clean.reading.pages`) reaches this stage as its source; it
leaves as one document record: the main text, one paragraph per line, and ``meta`` with the
page's ``url``, ``title`` and ``date``. Every other record passes unchanged.

* HTML (``Config.extractor``; Resiliparse, Bevendorff et al. 2018, Apache-2.0, is the fast
  alternative): trafilatura (Barbaresi 2021, "Trafilatura: A Web Scraping Library and Command-Line
  Tool for Text Discovery and Extraction", ACL demo; Apache-2.0), the extractor datatrove and
  NeMo Curator use by default, with its default settings (comments left out, tables kept).
  Its date search is bounded by a fixed latest date, not by today, so that the output does not
  depend on the day of the run, and is not extensive (the page's markup and URL only: the
  extensive search through the text doubled the time per page, 35 against 24 ms).
* Markdown: the front matter (YAML between ``---`` lines, or TOML between ``+++`` lines) is
  parsed, never kept as text; its ``title``, ``date`` and ``url`` (or ``permalink``) win over
  what the page's text gives. The body is rendered by markdown-it-py (CommonMark, raw HTML
  blocks passed through, tables on), and that HTML goes through trafilatura as above, so a
  toolbar of buttons in a raw HTML block is left out as on a web page.

The text is then repaired like any text (:func:`corpus_clean.repair.repair_text`).
A page with no main text is dropped, reason ``no_main_text``; its reject holds the first
1,000 characters of its source. The extractors are an optional extra:
``pip install 'corpus-clean[html]'``; without it a page is a one-line error naming the extra.
"""

from __future__ import annotations

import re

from ..errors import InputError
from ..records import Drop, Record
from ..repair import repair_lines

__all__ = ["REASONS", "PageExtractor", "extract_html", "extract_markdown", "EXTRA",
           "check_extractors"]

REASONS = ("no_main_text",)
#: how to install the extractors
EXTRA = "pip install 'corpus-clean[html]'"
#: the latest date trafilatura's date search accepts (a fixed bound: see the module docstring)
MAX_DATE = "2099-12-31"
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?(---|\+\+\+)[ \t]*\n(.*?)\n\1[ \t]*(?:\n|\Z)", re.DOTALL)
#: characters of a page's source kept in the reject of a page with no main text
SOURCE_PREVIEW = 1000


#: the extra of each extractor
EXTRAS = {"trafilatura": EXTRA, "resiliparse": "pip install 'corpus-clean[html-fast]'"}


def check_extractors(pages: list[str], extractor: str = "trafilatura") -> None:
    """Before a run over the page files ``pages`` (sources; none: nothing to check): the
    extractor (and trafilatura, which Markdown pages need) must be installed.

    Raises:
        InputError: it is not; the message names a page and the extra.
    """
    import importlib.util

    for name in dict.fromkeys((extractor, "trafilatura")):
        if pages and importlib.util.find_spec(name) is None:
            raise InputError(f"{pages[0]}: {len(pages):,} HTML or Markdown page(s) need "
                             f"{name} to extract their text; {EXTRAS[name]}")


def _trafilatura():
    try:
        import trafilatura
    except ImportError as exc:
        raise InputError(f"HTML and Markdown pages need trafilatura ({exc}); {EXTRA}") from None
    return trafilatura


def extract_html(html: str, source: str = "", extractor: str = "trafilatura"
                 ) -> tuple[str, dict]:
    """``(main text, {"url", "title", "date"})`` of an HTML page (text: paragraphs joined with
    ``\\n``, empty if none was found; metadata values: strings or None), by ``extractor``
    (``trafilatura``, or ``resiliparse``: its text and the page's ``<title>``, no date).

    Raises:
        InputError: the extractor is not installed.
    """
    if extractor == "resiliparse":
        return _resiliparse(html, source)
    trafilatura = _trafilatura()
    doc = trafilatura.bare_extraction(
        html, url=None, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True,
                                "max_date": MAX_DATE})
    if doc is None:
        return "", {"url": None, "title": None, "date": None}
    meta = {"url": doc.url or None, "title": doc.title or None, "date": doc.date or None}
    return (doc.text or "").strip(), meta


def _resiliparse(html: str, source: str) -> tuple[str, dict]:
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError as exc:
        raise InputError(f"{source}: --extractor resiliparse needs resiliparse ({exc}); "
                         f"{EXTRAS['resiliparse']}") from None
    tree = HTMLTree.parse(html)
    text = extract_plain_text(tree, main_content=True, alt_texts=False, links=False,
                              list_bullets=False)
    title = (tree.title or "").strip() or None
    return (text or "").strip(), {"url": None, "title": title, "date": None}


def extract_markdown(markdown: str, source: str = "") -> tuple[str, dict]:
    """``(main text, {"url", "title", "date"})`` of a Markdown page (see the module docstring).

    Raises:
        InputError: trafilatura (or PyYAML, for YAML front matter) is not installed.
    """
    front: dict = {}
    found = _FRONT_MATTER.match(markdown)
    if found is not None:
        front = _front_matter(found.group(1), found.group(2), source)
        markdown = markdown[found.end():]
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    title = front.get("title")
    head = f"<title>{_escape(str(title))}</title>" if title else ""
    text, meta = extract_html(f"<html><head>{head}</head><body><article>{body}</article>"
                              "</body></html>", source)
    for key, names in (("title", ("title",)), ("date", ("date",)),
                       ("url", ("url", "permalink"))):
        for name in names:
            if front.get(name) not in (None, ""):
                meta[key] = str(front[name])
                break
    return text, meta


def _front_matter(fence: str, block: str, source: str) -> dict:
    """The front matter's keys (an empty dict when it does not parse to a mapping)."""
    try:
        if fence == "+++":
            import tomllib

            data = tomllib.loads(block)
        else:
            try:
                import yaml
            except ImportError as exc:
                raise InputError(f"{source}: YAML front matter needs PyYAML ({exc}); "
                                 f"{EXTRA}") from None
            data = yaml.safe_load(block)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - a malformed front matter is content-free, not fatal
        return {}
    return data if isinstance(data, dict) else {}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PageExtractor:
    """Stage ``extract`` (see the module docstring): pages become documents; other records
    pass unchanged."""

    name = "extract"

    def __init__(self, extractor: str = "trafilatura"):
        self.extractor = extractor

    def apply(self, record: Record) -> Record | Drop:
        """Return the page's document, or a :class:`Drop` (``no_main_text``).

        Raises:
            InputError: the extractors are not installed.
        """
        if record.page is None:
            return record
        source = record.text
        if record.page == "html":
            text, meta = extract_html(source, record.source, self.extractor)
        else:
            text, meta = extract_markdown(source, record.source)
        for key, value in (record.meta or {}).items():  # a WARC record's URL and date win
            if value is not None:
                meta[key] = value
        record.page, record.meta = None, meta
        text = repair_lines(text)
        if not text:
            record.text = source[:SOURCE_PREVIEW]
            return Drop(self.name, "no_main_text",
                        f"no main text found in {len(source):,} characters of the page")
        record.text = text
        return record
