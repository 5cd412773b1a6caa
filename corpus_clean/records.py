"""The two types that cross module lines: :class:`Record` and :class:`Drop`.

A record is one unit of text from a dump (one abstract, one line of site chrome, one spam line).
Stages receive a record and return either the record (possibly with text changed or fields
added) or a :class:`Drop` that says why it must leave the clean output. Only the pipeline routes
drops; a stage never discards a record by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Record", "Drop", "record_id", "record_locator", "locator_id"]

def record_id(source: str, line: int | None) -> str:
    """Return the stable id of the record that starts at ``line`` of ``source``.

    The id is ``"<source>:<line>"`` (``source`` is the path relative to the dump directory,
    ``line`` the 1-based first line of the record in the decompressed text), or ``"<source>"``
    for a whole-file entry (a file that could not be read). It is unique within one run and the
    same on every run over the same dump.
    """
    return source if line is None else f"{source}:{line}"


#: bits of a locator (:func:`record_locator`) that hold the paragraph number
PARAGRAPH_BITS = 24


def record_locator(record: "Record") -> int:
    """One integer that gives back the record's id with its source (:func:`locator_id`): its
    ``line``, shifted left by :data:`PARAGRAPH_BITS`, plus the paragraph number ``k`` of a
    paragraph record (id ``<source>:<line>#<k>``, ``records = "paragraphs"``), else 0."""
    base = record_id(record.source, record.line)
    k = 0
    if len(record.id) > len(base) + 1 and record.id.startswith(base + "#"):
        k = int(record.id[len(base) + 1:])
    return ((record.line or 0) << PARAGRAPH_BITS) | k


def locator_id(source: str, locator: int) -> str:
    """The id of the record of ``source`` at ``locator`` (:func:`record_locator`)."""
    line, k = locator >> PARAGRAPH_BITS, locator & ((1 << PARAGRAPH_BITS) - 1)
    return record_id(source, line) + (f"#{k}" if k else "")


@dataclass(slots=True)
class Record:
    """One record of a dump as it flows through the stages.

    Attributes:
        id: stable unique id, ``"<source>:<line>"`` (see :func:`record_id`).
        text: the record's text; lines of a multi-line record are joined with ``"\\n"``.
        source: path of the file it came from, relative to the dump directory, ``/``-separated.
        line: 1-based number of the record's first line in the decompressed source file, or
            ``None`` for a whole-file entry.
        translated_by: the machine-translation engine named by a stripped marker line, as
            written (e.g. ``"谷歌翻译"``), or ``None``.
        mt_engine: canonical id of that engine (``google``, ``baidu``, ``youdao``, ``deepl``,
            ``bing``, ``tencent``, ``sogou``, ``yandex``, ``papago``, ``caiyun``, or ``unknown``
            for a generic 机器翻译), or ``None``.
        marker_lines: marker lines removed from the record (kept for provenance and stats).
        lang: language code from language identification (ISO 639-1, with langdetect's
            ``zh-cn``/``zh-tw``), ``"und"`` when undetermined, ``None`` before tagging.
        lang_prob: probability in [0, 1] of ``lang``, ``None`` before tagging.
        dedup_key: 16-byte hash of the normalised text used by exact dedup, set by it.
        page: for a page read whole (:mod:`corpus_clean.reading.pages`), its format
            (``html``, ``markdown``) while ``text`` is still its source; None once the
            ``extract`` stage has made it a document, and for every other record.
        meta: for a page's document, ``{"url", "title", "date"}`` (strings or None) from the
            page; None for every other record.
        removed: the lines removed from a document by the line rules of a stage (site
            chrome, spam): ``(number, stage, reason, detail, text)`` each, ``number`` the
            line's 1-based position in the document as extracted; None if none was.
        line_numbers: for a document that lost lines, the extracted position of each line
            left; None while it has lost none.
    """

    id: str
    text: str
    source: str
    line: int | None
    translated_by: str | None = None
    mt_engine: str | None = None
    marker_lines: list[str] = field(default_factory=list)
    lang: str | None = None
    lang_prob: float | None = None
    dedup_key: bytes | None = None
    page: str | None = None
    meta: dict | None = None
    removed: list | None = None
    line_numbers: list | None = None

    @property
    def is_document(self) -> bool:
        """Whether this is a page's document (made by the ``extract`` stage, or a WARC text
        conversion): judged line by line, with ``url``, ``title`` and ``date`` in the output."""
        return self.meta is not None

    def remove_lines(self, drops: dict[int, tuple[str, str, str]]) -> None:
        """Remove the lines of ``text`` at the 0-based positions in ``drops`` (each with its
        ``(stage, reason, detail)``), keeping each in :attr:`removed` with its number in the
        document as extracted."""
        lines = self.text.split("\n")
        numbers = self.line_numbers or list(range(1, len(lines) + 1))
        kept, kept_numbers = [], []
        removed = list(self.removed or [])  # a new list: a copy of the record may share it
        for i, (line, n) in enumerate(zip(lines, numbers)):
            if i in drops:
                removed.append((n, *drops[i], line))
            else:
                kept.append(line)
                kept_numbers.append(n)
        self.text, self.line_numbers, self.removed = "\n".join(kept), kept_numbers, removed


@dataclass(slots=True, frozen=True)
class Drop:
    """Why a record leaves the clean output.

    Attributes:
        stage: name of the stage that dropped the record (``read``, ``markers``,
            ``boilerplate``, ``spam``, ``quality``, ``dedup``, or a registered one: see
            :mod:`corpus_clean.stages.registry`).
        reason: snake_case reason, one of the stage's registered reasons.
        detail: a short human-readable explanation; where a threshold decided, the score and
            the threshold (``"spam_score=0.71 >= 0.50"``).
        duplicate_of: for duplicates, the id of the kept record; otherwise ``None``.
        similarity: for duplicates, the similarity in [0, 1] to the kept record (1.0 for exact).
        run: for a record seen before (``--index``), the name of the earlier run that kept
            the record ``duplicate_of``; otherwise ``None``.
    """

    stage: str
    reason: str
    detail: str = ""
    duplicate_of: str | None = None
    similarity: float | None = None
    run: str | None = None
