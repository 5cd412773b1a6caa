"""Page dumps: an HTML or Markdown page is read whole, as one document record; a WARC file gives
one record per HTML response (or WET text conversion).

A crawl of HTML pages or a static-site checkout of Markdown pages is not a text dump: its
lines are markup, not records. A file is a page when its name says so (``.html``, ``.htm``,
``.xhtml``; ``.md``, ``.markdown``; compressed or not), or when its text starts like an HTML
document (``<!DOCTYPE html``, ``<html``). Such a file becomes one record holding the page's
source (``Record.page`` names its format); the ``extract`` stage
(:mod:`corpus_clean.stages.extract`) turns it into the page's main text and its ``url``,
``title`` and ``date``. Every other file is read as today.

The page's encoding: its byte-order mark, else the charset its markup declares
(``<meta charset="gbk">``, ``<meta http-equiv="Content-Type" content="text/html;
charset=...">``, or an XML declaration), else decided as for any file
(:func:`.reader.decide_encoding`). ``stats.json`` says which (``encoding_how``: ``bom``,
``declared``, ...). The text is not passed through ftfy (markup is repaired, where it needs
to be, after extraction).

A WARC file (``.warc``, ``.arc``, gzipped per record or not; read with warcio, the Webrecorder
project's library, Apache-2.0) gives one record per ``response`` record with an HTML payload
(its charset from the HTTP ``Content-Type``, else its markup, else detection) and per WET
``conversion`` record (already text: a document without extraction). The record's id is
``<source>:<n>``, ``n`` (also its ``line``) the record's 1-based position among the file's WARC
records; the WARC ``WARC-Target-URI`` and ``WARC-Date`` are its ``url`` and ``date``. Other
records (``warcinfo``, ``request``, ``metadata``, ``revisit``, responses that are not HTML) are
skipped and counted (``stats.json`` ``files[].warc_records_skipped``). A file cut short keeps
the records before the cut, and the cut is one ``truncated_file`` reject.
"""

from __future__ import annotations

import codecs
import re
import zlib

from ..config import Config
from ..errors import FileReadError, InputError
from ..records import Drop, Record, record_id
from .reader import MAX_LINE_CHARS, FileInfo, open_lines
from .storage import InputFile

__all__ = ["PAGE_SUFFIXES", "page_kind", "looks_like_html", "declared_charset", "PageReader",
           "MAX_PAGE_CHARS"]

#: file name endings of pages, after any compression suffix, and their format
PAGE_SUFFIXES = {".html": "html", ".htm": "html", ".xhtml": "html", ".md": "markdown",
                 ".markdown": "markdown", ".warc": "warc", ".arc": "warc"}
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
#: characters of one page, at most (a page larger than this is rejected ``page_too_large``):
#: 16 Mi, a hundred times a large real page (the trafilatura benchmark's largest is 1.9 MB)
MAX_PAGE_CHARS = 1 << 24
_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
                      rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def page_kind(source: str) -> str | None:
    """The page format a file's name gives (``html``, ``markdown``), or None."""
    name = source.rsplit("/", 1)[-1].lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            break
    for suffix, kind in PAGE_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    return None


def looks_like_html(head: list[str]) -> bool:
    """Whether a file whose first lines are ``head`` starts like an HTML document (a doctype
    or an ``<html>`` element, after an XML declaration or comments)."""
    return bool(_HTML_START.match("\n".join(head[:20])[:4096]))


def declared_charset(data: bytes) -> str | None:
    """The Python codec of the charset a page's markup declares in ``data`` (its first
    bytes), or None if it declares none or one Python does not know. ``gb2312`` and ``gbk``
    are read as GB18030, their superset (pages labelled gb2312 routinely hold GBK characters),
    as browsers do (WHATWG Encoding Standard)."""
    found = _CHARSET.search(data[:8192])
    if found is None:
        return None
    return _codec((found.group(1) or found.group(2)).decode("ascii"))


def _codec(name: str) -> str | None:
    """The Python codec of a charset label, or None if Python does not know it; ``gb2312``
    and ``gbk`` are read as GB18030, their superset, as browsers do."""
    try:
        codec = codecs.lookup(name.lower()).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gb2312", "gbk") else codec


class PageReader:
    """Read one page file as a single record (see the module docstring); the same interface
    as :class:`.blocks.FileReader` (a page is never cut into blocks)."""

    def __init__(self, file: InputFile, info: FileInfo, config: Config, kind: str,
                 is_marker):
        self.file, self.info, self.config, self.kind = file, info, config, kind
        self.is_marker = is_marker
        info.layout = kind

    def splittable(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing is held open between reads."""

    def __iter__(self):
        if self.kind == "warc":
            yield from self._warc_records()
            return
        file, info, config = self.file, self.info, self.config
        encoding, how = config.encoding, "forced"
        try:
            if not encoding and self.kind == "html":
                encoding, how = _declared(file, info), "declared"
            lines = []
            chars = 0
            for line in open_lines(file, info, config.chunk_bytes, config.sample_bytes,
                                   repair=False, max_line_chars=MAX_LINE_CHARS,
                                   encoding=encoding or "",
                                   scan_bytes=config.encoding_scan_bytes):
                chars += len(line) + 1
                if chars > MAX_PAGE_CHARS:
                    raise FileReadError("page_too_large",
                                        f"{file.source}: a page of more than "
                                        f"{MAX_PAGE_CHARS:,} characters, skipped")
                lines.append(line)
        except FileReadError as exc:
            info.error, info.extra["reason"] = str(exc), exc.reason
            yield (Record(record_id(file.source, None), "", file.source, None),
                   Drop("read", exc.reason, str(exc)))
            return
        if encoding:
            info.encoding_how = how
        text = "\n".join(lines)
        record = Record(record_id(file.source, 1), text, file.source, 1)
        record.page = self.kind
        yield from self._as_records(record)

    def _as_records(self, record: Record):
        """``(record, None)`` pairs of a page's record: the record itself (the ``extract``
        stage makes it a document), or with ``Config.records == "paragraphs"`` one record per
        paragraph of its main text, extracted here (a page without main text stays whole, for
        the ``extract`` stage to reject with its reason)."""
        if self.config.records != "paragraphs" or (record.page is None
                                                   and record.meta is None):
            yield record, None
            return
        text = record.text
        if record.page is not None:
            from ..stages.extract import PageExtractor

            whole = Record(record.id, record.text, record.source, record.line)
            whole.page, whole.meta = record.page, record.meta
            out = PageExtractor(self.config.extractor).apply(whole)
            if not isinstance(out, Record):
                yield record, None
                return
            text = out.text
        for k, paragraph in enumerate(text.split("\n"), 1):
            if paragraph.strip():
                yield Record(f"{record.id}#{k}", paragraph, record.source, record.line), None

    def _warc_records(self):
        """The records of a WARC file (see the module docstring)."""
        from .reader import _open_file, open_regular

        file, info = self.file, self.info
        try:
            from warcio.archiveiterator import ArchiveIterator
            from warcio.exceptions import ArchiveLoadFailed
        except ImportError as exc:
            raise InputError(f"{file.source}: WARC files need warcio ({exc}); "
                             "pip install 'corpus-clean[html]'") from None
        skipped = n = 0
        try:
            _open_file(file, info).close()  # size, mtime and the checks any file gets
        except FileReadError as exc:
            info.error, info.extra["reason"] = str(exc), exc.reason
            yield (Record(record_id(file.source, None), "", file.source, None),
                   Drop("read", exc.reason, str(exc)))
            return
        try:
            with open_regular(file.path) as raw:  # warcio reads the gzip members itself
                records = iter(ArchiveIterator(raw, arc2warc=True))
                while True:
                    n += 1
                    rec = next(records, None)
                    if rec is None:
                        n -= 1
                        break
                    items = self._warc_item(rec, n)
                    if items is None:
                        skipped += 1
                    else:
                        yield from items
        except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as exc:
            # record n is cut short or damaged: the records before it were read
            reason = "truncated_file" if n > 1 else "undecodable"
            message = (f"{file.source}: WARC record {n} is cut short or damaged ({exc}); "
                       f"{n - 1} records read before it")
            info.error, info.extra["reason"] = message, reason
            yield (Record(record_id(file.source, n), "", file.source, n),
                   Drop("read", reason, message))
        finally:
            info.lines = n
            if skipped:
                info.extra["warc_records_skipped"] = skipped
        info.encoding_how = "per record"

    def _warc_item(self, rec, n: int):
        """The ``(record, drop)`` pairs of WARC record ``rec`` (number ``n``): its document (or
        its paragraphs, see :meth:`_as_records`), or None to skip it."""
        headers = rec.rec_headers
        kind = rec.rec_type
        if rec.length is None:  # no Content-Length: its headers were cut off
            raise EOFError(f"WARC record {n} is cut short")
        url = headers.get_header("WARC-Target-URI")
        date = (headers.get_header("WARC-Date") or "")[:10] or None
        if kind == "conversion":  # WET: the page's text already
            data = rec.content_stream().read(4 * MAX_PAGE_CHARS + 1)
            text, page = data.decode("utf-8", errors="replace"), None
        elif kind == "response" and rec.http_headers is not None and "html" in (
                rec.http_headers.get_header("Content-Type") or "").lower():
            data = rec.content_stream().read(4 * MAX_PAGE_CHARS + 1)
            codec = _http_charset(rec.http_headers.get_header("Content-Type")) or \
                declared_charset(data) or _detected(data, self.file.source)
            text, page = data.decode(codec, errors="replace"), "html"
        else:
            return None
        if getattr(rec.raw_stream, "limit", 0):  # fewer bytes than its Content-Length
            raise EOFError(f"WARC record {n} is cut short")
        if len(text) > MAX_PAGE_CHARS:
            return [(Record(record_id(self.file.source, n), text[:1000], self.file.source, n),
                    Drop("read", "page_too_large", f"{self.file.source}: WARC record {n} holds "
                         f"more than {MAX_PAGE_CHARS:,} characters, skipped"))]
        record = Record(record_id(self.file.source, n), text, self.file.source, n)
        record.page = page
        record.meta = {"url": url, "title": None, "date": date}
        if page is None:  # a WET text: a document as it is
            from ..repair import repair_lines

            record.text = repair_lines(text)
        return list(self._as_records(record))


def _declared(file: InputFile, info: FileInfo) -> str | None:
    """The charset an HTML page declares (None when it declares none, or a byte-order mark
    says otherwise)."""
    from .reader import _BOMS, _open_file

    with _open_file(file, info) as stream:
        head = stream.read(8192)
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    return declared_charset(head)

def _http_charset(content_type: str | None) -> str | None:
    """The Python codec of a ``Content-Type`` header's charset, or None."""
    found = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type or "", re.I)
    return None if found is None else _codec(found.group(1))


def _detected(data: bytes, source: str) -> str:
    """The codec decided for a payload with no declared charset (UTF-8 if none fits)."""
    from .reader import decide_encoding

    try:
        return decide_encoding(data[:65536], source)[0]
    except FileReadError:
        return "utf-8"
