"""Find the files of a dump and stream their text as repaired lines.

Reading is the first stage: it walks DUMP_DIR in sorted order, decompresses (gzip, bzip2, xz, and
zstd when the ``zstandard`` package is installed; detected by magic bytes, not by name), detects
the encoding (UTF-8 with or without BOM, UTF-16/32 with BOM, UTF-16 without BOM, else
charset-normalizer, e.g. GB18030/GBK, Big5), and repairs Unicode with ftfy.

ftfy's defaults rewrite Chinese text (full-width punctuation ，：（）！？ to ASCII by
``fix_character_width``, curly quotes “” to straight ones by ``uncurl_quotes``); both are turned
off and NFC is used, so clean Chinese text passes through unchanged. Text is never NFKC-normalised.
"""

from __future__ import annotations

import bz2
import codecs
import lzma
import os
import re
import stat
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import charset_normalizer
import xxhash

from ..errors import FileReadError, InputError, file_kind
from ..repair import _FTFY_CONFIG, repair_text  # noqa: F401 - re-exported
from ..unicode_scripts import MIN_CJK_PLAUSIBILITY, plausible_cjk
from .storage import InputFile, is_url, list_url_files

#: drop reasons of stage ``read`` (see :class:`~corpus_clean.errors.FileReadError`)
REASONS = ("unreadable", "not_regular_file", "binary_file", "undecodable",
           "unsupported_compression", "corrupt_compressed", "truncated_file", "malformed_json",
           "no_text_field", "line_too_long", "page_too_large")

__all__ = ["REASONS", "InputFile", "FileInfo", "LongLine", "MAX_LINE_CHARS", "list_input_files",
           "open_lines", "repair_text", "encode_source", "decode_source", "open_regular",
           "NotRegularFile", "file_kind"]

# Magic numbers of formats that are never text (file(1)'s magic database).
_BINARY_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"%PDF-": "PDF document",
    b"\x7fELF": "ELF executable",
    b"PK\x03\x04": "ZIP archive",
    b"GIF87a": "GIF image",
    b"GIF89a": "GIF image",
    b"\xff\xd8\xff": "JPEG image",
    b"MZ": "Windows executable",
    b"SQLite format 3\x00": "SQLite database",
}
_BOMS = [  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
try:  # zstandard's errors are not OSError
    from zstandard import ZstdError as _ZstdError
except ImportError:  # pragma: no cover - without zstandard no zstd stream is opened
    class _ZstdError(Exception):
        pass
_DECOMPRESS_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, _ZstdError)
_COUNTER = threading.local()  # bytes replaced by U+FFFD in the decode call under way


def _count_and_replace(exc: UnicodeDecodeError) -> tuple[str, int]:
    _COUNTER.replaced = getattr(_COUNTER, "replaced", 0) + exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error("corpus_clean_replace", _count_and_replace)


@dataclass
class FileInfo:
    """What reading one file found; filled while its lines are streamed.

    Attributes:
        source: path relative to the dump directory.
        bytes: size on disk in bytes.
        compression: ``gzip``, ``bzip2``, ``xz``, ``zstd`` or ``None``.
        encoding: the codec used to decode it (Python codec name), ``None`` if never decoded.
        encoding_how: how ``encoding`` was decided (see :func:`decide_encoding`), or
            ``forced`` (the ``encoding`` setting).
        lines: lines read (after decompression and decoding).
        replaced_bytes: bytes that were not valid in ``encoding`` and became U+FFFD.
        layout: the record layout (``marker``, ``blank``, ``line``, or ``jsonl`` for JSON
            Lines input), ``None`` for a file with no line.
        error: one-line description of a read error, or ``None``.
        extra: working data of the run (the read error's reason); not written to outputs.
    """

    source: str
    bytes: int = 0
    compression: str | None = None
    encoding: str | None = None
    encoding_how: str | None = None
    lines: int = 0
    replaced_bytes: int = 0
    layout: str | None = None
    error: str | None = None
    extra: dict = field(default_factory=dict)


def encode_source(relative: str) -> str:
    """Return the ``source`` of a file: its ``/``-separated path ``relative`` to the dump (a
    ``str`` as ``os`` gives it, undecodable bytes as surrogate escapes) with ``%``, the ASCII
    control characters (U+0000..U+001F, U+007F: a newline in a name must not break a message
    line) and every byte that is not valid UTF-8 (a Latin-1 ``café`` on a Linux disk) written
    as ``%XX`` (RFC 3986 percent-encoding of that byte). Every other name, the usual case, is
    unchanged. The form is reversible: :func:`decode_source` gives the path's bytes back.
    """
    if relative.isascii() and relative.isprintable() and "%" not in relative:
        return relative  # the usual case, unchanged
    out = []
    for ch in os.fsencode(relative).decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not valid UTF-8
            out.append(f"%{code - 0xDC00:02X}")
        elif ch == "%" or code < 0x20 or code == 0x7F:
            out.append(f"%{code:02X}")
        else:
            out.append(ch)
    return "".join(out)


def decode_source(source: str) -> bytes:
    """Return the relative path, as bytes, of the file whose ``source`` (as written in the
    outputs) is ``source``: the inverse of :func:`encode_source` (``os.fsdecode`` of it opens
    the file from the dump directory)."""
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(source)


def list_input_files(root: Path | str, skip: tuple = ()) -> list[InputFile]:
    """Return the files under ``root`` (a directory, or one file) in sorted relative-path order.
    A URL (``s3://bucket/dump``, ``memory://dump``) is listed through fsspec
    (:func:`.storage.list_url_files`; its files' ``path`` is a :class:`.storage.RemotePath`).

    Hidden files and directories (name starting with ``.``) are skipped, and so are the
    directories ``skip`` (the run's output directory when it lies inside the dump: an earlier
    run's outputs are not input), and directory symlinks are not followed (no loops). Sorting is by the ``/``-separated relative path, so the order
    is the same on every platform. Each file's ``source`` is that path as
    :func:`encode_source` writes it (names that are not UTF-8 or hold control characters).

    Raises:
        InputError: ``root`` does not exist, is neither a directory nor a regular file (a
            FIFO, a device), or is one of ``skip``.
    """
    if is_url(root):
        return list_url_files(root)
    root = Path(root)
    try:
        mode = root.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{root}: no such file or directory") from None
    except OSError as exc:
        raise InputError(f"{root}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return [InputFile(root, encode_source(root.name))]
    if not stat.S_ISDIR(mode):
        raise InputError(f"{root}: is a {file_kind(mode)}, not a directory or a regular file")
    skipped = {os.path.realpath(d) for d in skip}
    if os.path.realpath(root) in skipped:
        raise InputError(f"{root}: is the output directory; the outputs must go elsewhere")
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not (skipped and os.path.realpath(os.path.join(dirpath, d)) in skipped)]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            found.append(InputFile(path, encode_source(path.relative_to(root).as_posix())))
    found.sort(key=lambda f: f.source)
    return found


class _Decompressed:
    """A binary stream over a compressed file that returns every byte that can be recovered.

    ``read(n)`` returns decompressed bytes; when the compressed data ends early or is corrupt,
    the bytes decoded before the fault are returned first and the next call raises ``EOFError``
    (``gzip.GzipFile`` would discard the last buffer). Multi-member gzip files and concatenated
    bzip2/xz streams are read whole; trailing NUL padding is ignored.
    """

    def __init__(self, raw: BinaryIO, factory, chunk_bytes: int = 1 << 16):
        self._raw, self._factory, self._chunk = raw, factory, chunk_bytes
        self._dec = factory()
        self._buf = bytearray()
        self._fault: str | None = None
        self._done = False

    def _fill(self, n: int) -> None:
        while len(self._buf) < n and not self._done:
            data = self._raw.read(self._chunk)
            if not data:
                self._done = True
                if not self._dec.eof:
                    self._fault = "compressed data ends early"
                return
            try:
                while data:
                    self._buf += self._dec.decompress(data)
                    data = b""
                    if self._dec.eof:
                        rest = self._dec.unused_data + self._raw.read(0)
                        if rest.strip(b"\x00"):
                            self._dec = self._factory()
                            data = rest
            except _DECOMPRESS_ERRORS as exc:
                self._done = True
                self._fault = f"corrupt compressed data ({exc})"

    def read(self, n: int = -1) -> bytes:
        """Return up to ``n`` decompressed bytes; ``b""`` at the end of a complete stream.

        Raises:
            EOFError: all recoverable bytes were returned and the stream was cut or corrupt.
        """
        self._fill(n if n >= 0 else float("inf"))
        size = len(self._buf) if n < 0 else min(n, len(self._buf))
        data = bytes(self._buf[:size])
        del self._buf[:size]
        if not data and self._fault:
            raise EOFError(self._fault)
        return data

    def close(self) -> None:
        """Close the underlying file."""
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NotRegularFile(OSError):
    """A path of the dump is (or links to) a FIFO, a device, a socket: never read, since
    reading one can block for ever (a FIFO with no writer) or never end (``/dev/zero``).

    Attributes:
        kind: what it is, in words (:func:`file_kind`).
    """

    def __init__(self, kind: str):
        super().__init__(f"{kind}, not a regular file")
        self.kind = kind


def open_regular(path) -> BinaryIO:
    """Open ``path`` (a :class:`pathlib.Path`, or a :class:`.storage.RemotePath`, opened as
    it is) for reading, only if it is a regular file (following links): checked by ``stat``
    before the open, and by ``fstat`` of a descriptor opened with ``O_NONBLOCK`` (so that a
    FIFO put in its place meanwhile cannot block the open) and ``O_NOCTTY``.

    Raises:
        NotRegularFile: a FIFO, a device, a socket, or a link to one.
        OSError: the file cannot be opened (permissions, gone, I/O error).
    """
    if not isinstance(path, Path):
        return path.open("rb")
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(file_kind(mode))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(file_kind(mode))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    # outside the try: once fdopen has begun, the descriptor is its to close. A stop signal
    # inside it closes the descriptor there, and closing it again here raised EBADF, which
    # replaced the KeyboardInterrupt: the file was reported unreadable and the run went on
    # (and could close a descriptor another file had been given meanwhile)
    return os.fdopen(fd, "rb")


def _open_decompressed(path: Path, info: FileInfo) -> BinaryIO:
    raw = open_regular(path)  # closed by the caller
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        info.compression = "gzip"
        return _Decompressed(raw, lambda: zlib.decompressobj(wbits=31))
    if head.startswith(b"BZh"):
        info.compression = "bzip2"
        return _Decompressed(raw, bz2.BZ2Decompressor)
    if head.startswith(b"\xfd7zXZ\x00"):
        info.compression = "xz"
        return _Decompressed(raw, lzma.LZMADecompressor)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        info.compression = "zstd"
        try:
            import zstandard
        except ImportError:
            raw.close()
            raise FileReadError(
                "unsupported_compression",
                f"{info.source}: zstd-compressed; install the 'zstandard' package to read it",
            ) from None
        return _Decompressed(raw, lambda: zstandard.ZstdDecompressor().decompressobj())
    return raw


#: share of invalid bytes up to which a sample that is otherwise UTF-8 is read as UTF-8 (with
#: U+FFFD for the bad bytes, counted in ``replaced_bytes``): a stray byte must not send a whole
#: UTF-8 file to charset-normalizer, which then guesses a single-byte code page (measured:
#: mac_cyrillic for a seed file with one bad byte). Legacy CJK encodings read as UTF-8 give
#: far more invalid bytes (over 30% on the GBK fixture).
MAX_INVALID_UTF8_SHARE = 0.01


def _mostly_utf8(sample: bytes) -> bool:
    """Whether ``sample`` is UTF-8 but for at most :data:`MAX_INVALID_UTF8_SHARE` bad bytes."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        pass
    bad = [0]

    def count(exc: UnicodeDecodeError) -> tuple[str, int]:
        bad[0] += exc.end - exc.start
        return "", exc.end

    codecs.register_error("corpus_clean_probe", count)
    codecs.getincrementaldecoder("utf-8")(errors="corpus_clean_probe").decode(sample)
    has_multibyte = any(b >= 0x80 for b in sample)
    return has_multibyte and bad[0] <= MAX_INVALID_UTF8_SHARE * len(sample)


def _plausible_text_share(text: str) -> float:
    """Share of characters of ``text`` that are letters, digits, punctuation or spaces."""
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isprintable() or c in "\t\n\r")
    good -= sum(1 for c in text if "\ue000" <= c <= "\uf8ff" or c == "\ufffd")
    return good / len(text)


def _looks_like_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes present and one byte order decodes to plausible text
    (at least 98% printable characters, no private-use or replacement characters)."""
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    best, best_share = None, 0.0
    for codec in ("utf-16-le", "utf-16-be"):
        text = sample[: len(sample) // 2 * 2].decode(codec, errors="replace")
        share = _plausible_text_share(text)
        if share > best_share:
            best, best_share = codec, share
    return best if best_share >= 0.98 else None


#: non-ASCII bytes in a file's first ``sample_bytes`` below which the encoding is decided on
#: more of the file (:func:`open_lines` reads ahead for lines with non-ASCII bytes): ASCII
#: bytes decode alike in every codec corpus-clean accepts, so only non-ASCII text is evidence,
#: and a start of English abstracts before the Chinese ones holds too little of it (a GBK
#: file came out as iso8859_10 mojibake from 64 KiB of mostly English)
EVIDENCE_MIN_BYTES = 4096
_HIGH_BYTES = bytes(range(0x80, 0x100))  # deleted by translate() to count non-ASCII bytes
#: most bytes of non-ASCII lines gathered as evidence (the detectors' cost grows with it)
EVIDENCE_MAX_BYTES = 256 * 1024
#: the legacy CJK codecs preferred over a single-byte code page when a strict decode of the
#: evidence succeeds and reads as CJK text (:func:`plausible_cjk`)
LEGACY_CJK = ("gb18030", "big5", "shift_jis", "euc_kr")
#: codecs that already are CJK multi-byte codecs (no second opinion needed)
_CJK_FAMILY = ("gb", "big5", "cp950", "cp936", "shift_jis", "sjis", "cp932", "euc", "iso2022",
               "johab", "cp949", "hz")




#: bytes of one line, at most, taken as evidence (cut after an ASCII byte, which in UTF-8,
#: GB18030, Big5, Shift_JIS and EUC-KR always ends a character)
EVIDENCE_LINE_BYTES = 4096


def evidence_lines(data: bytes, limit: int = EVIDENCE_MAX_BYTES) -> bytes:
    """The lines of ``data`` that hold a non-ASCII byte, each cut to at most
    :data:`EVIDENCE_LINE_BYTES`, joined by ``\\n``, about ``limit`` bytes at most. Linear in
    ``len(data)`` (a 50 MB line of ASCII costs one ``split``)."""
    found, size = [], 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        if len(line) > EVIDENCE_LINE_BYTES:
            cut = EVIDENCE_LINE_BYTES
            while cut > 0 and line[cut - 1] >= 0x80:
                cut -= 1
            line = line[:cut]
            if line.isascii():
                continue
        found.append(line)
        size += len(line) + 1
        if size >= limit:
            break
    return b"\n".join(found)


def _scan_evidence(stream, limit: int, chunk_bytes: int) -> bytes:
    """Read on through up to ``limit`` bytes of ``stream`` (a file after its sample) for its
    lines with non-ASCII bytes (:func:`evidence_lines` of each chunk, less the partial lines
    at the chunk's edges, which a chunk may cut inside a character), until
    :data:`EVIDENCE_MIN_BYTES` non-ASCII bytes are found. Holds one chunk at a time. A fault
    of compressed data ends the scan (the reader meets it where it stands)."""
    found, non_ascii, read = [], 0, 0
    while read < limit and non_ascii < EVIDENCE_MIN_BYTES:
        try:
            data = stream.read(min(chunk_bytes, limit - read))
        except _DECOMPRESS_ERRORS:
            break
        if not data:
            break
        read += len(data)
        if data.isascii():
            continue
        first, last = data.find(b"\n"), data.rfind(b"\n")
        if first < 0 or first == last:
            continue
        lines = evidence_lines(data[first + 1:last])
        if lines:
            found.append(lines)
            non_ascii += len(lines) - len(lines.translate(None, _HIGH_BYTES))
    return b"\n".join(found)


def refuse_binary(sample: bytes, source: str) -> None:
    """Refuse a file whose first bytes ``sample`` begin with a known binary format's magic
    (PNG, PDF, ELF, ZIP ...), whatever its encoding is said to be.

    Raises:
        FileReadError: ``binary_file``.
    """
    for magic, kind in _BINARY_MAGIC.items():
        if sample.startswith(magic):
            raise FileReadError("binary_file", f"{source}: binary file ({kind}), skipped")


def decide_encoding(sample: bytes, source: str, evidence: bytes | None = None) -> tuple[str, str]:
    """Return ``(codec, how)`` for a file whose first bytes are ``sample``, with
    ``evidence`` (its lines that hold non-ASCII bytes, from further on: see
    :func:`open_lines`; default: those of ``sample``). ``how`` says how it was decided, for
    ``stats.json``: ``bom``, ``utf-8``, ``utf-16 pattern``, ``ascii``, ``charset-normalizer``
    or ``legacy CJK (strict decode)``.

    Order: known binary magic; BOM; UTF-8 (up to :data:`MAX_INVALID_UTF8_SHARE` invalid
    bytes); UTF-16 without BOM; charset-normalizer's best guess on the evidence, except that
    a single-byte code page gives way to the legacy CJK codec (:data:`LEGACY_CJK`) that
    charset-normalizer prefers among those alone, if its strict decode of the evidence
    succeeds and reads as CJK text (:func:`plausible_cjk` at least
    :data:`MIN_CJK_PLAUSIBILITY`), so that a GBK file is not read as Latin mojibake and Latin
    text never as GBK.

    Raises:
        FileReadError: ``binary_file`` (a known binary format, or NUL bytes in non-UTF-16 data)
            or ``undecodable`` (no encoding fits).
    """
    refuse_binary(sample, source)
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return ("utf-8-sig" if codec == "utf-8" else codec), "bom"
    utf16 = _looks_like_utf16(sample) if b"\x00" in sample else None
    if utf16:
        return utf16, "utf-16 pattern"
    if b"\x00" in sample:
        raise FileReadError("binary_file", f"{source}: binary file (NUL bytes), skipped")
    if evidence is None:
        evidence = evidence_lines(sample)
    if not evidence:  # ASCII only, as far as was read: UTF-8 reads it, and what may follow
        return "utf-8", "ascii"
    if _mostly_utf8(evidence):
        return "utf-8", "utf-8"
    best = charset_normalizer.from_bytes(evidence).best()
    guess = best.encoding if best is not None else None
    if guess is None or not any(f in guess.replace("-", "_") for f in _CJK_FAMILY):
        # which CJK codec, by charset-normalizer's per-language coherence (Korean EUC-KR bytes
        # also decode strictly as GBK, into common Han characters: only language models of
        # character use tell them apart); taken only if its strict decode reads as CJK text
        cjk = charset_normalizer.from_bytes(evidence, cp_isolation=list(LEGACY_CJK)).best()
        if cjk is not None:
            try:
                score = plausible_cjk(evidence.decode(cjk.encoding))
            except UnicodeDecodeError:
                score = 0.0
            if score >= MIN_CJK_PLAUSIBILITY:
                return cjk.encoding, "legacy CJK (strict decode)"
    if guess is None:
        raise FileReadError("undecodable", f"{source}: no text encoding fits, skipped")
    return guess, "charset-normalizer"


def detect_encoding(sample: bytes, source: str) -> str:
    """Return the Python codec for a file whose first bytes are ``sample``.

    Order: known binary magic; BOM; UTF-8 (a multi-byte character cut by the end of the sample
    is allowed, and up to :data:`MAX_INVALID_UTF8_SHARE` invalid bytes); UTF-16 without BOM
    (NUL bytes, and one byte order decodes to printable text); charset-normalizer's best guess.

    Raises:
        FileReadError: ``binary_file`` (a known binary format, or NUL bytes in non-UTF-16 data)
            or ``undecodable`` (no encoding fits).
    """
    return decide_encoding(sample, source)[0]


#: characters up to which one line is held in memory. A longer line (a file of one 2 GB
#: line with no newline, a minified blob) is streamed past, never held whole, and becomes one
#: :class:`LongLine` (rejected ``line_too_long``). 4 Mi characters (at most 16 MB as a Python
#: string): thousands of times a real record (abstracts are about 1,000 characters), so only
#: text that is not prose is affected.
MAX_LINE_CHARS = 1 << 22
#: characters of an overlong line kept (as its :class:`LongLine` text) to show what it was
LONG_LINE_PREVIEW = 1000


class LongLine(str):
    """A line longer than the limit: the string is its first :data:`LONG_LINE_PREVIEW`
    characters, ``chars`` its full length in characters."""

    chars: int = 0


def _long_line(head: str, chars: int) -> LongLine:
    line = LongLine(head[:LONG_LINE_PREVIEW])
    line.chars = chars
    return line


def _split_lines(chunks: Iterator[str], max_chars: int | None = None) -> Iterator[str]:
    """Split decoded chunks into lines at ``\\n``, ``\\r\\n`` and ``\\r`` (ends not kept).

    A line longer than ``max_chars`` characters is not held: its first characters and its
    length are kept and the rest is skipped as it streams past; it comes out as a
    :class:`LongLine`. Memory is bounded by ``max_chars`` (default :data:`MAX_LINE_CHARS`)
    plus one chunk.
    """
    max_chars = max_chars or MAX_LINE_CHARS
    pending = ""
    long_head: str | None = None  # an overlong line being skipped: its first characters
    long_len = 0  # ... and its length so far

    def complete(text: str) -> str:
        nonlocal long_head, long_len
        if long_head is not None:
            line = _long_line(long_head, long_len + len(text))
            long_head, long_len = None, 0
            return line
        return _long_line(text, len(text)) if len(text) > max_chars else text

    try:
        for chunk in chunks:
            data = pending + chunk
            hold_cr = data.endswith("\r")  # may be the first half of a \r\n across chunks
            if hold_cr:
                data = data[:-1]
            if "\r" in data:
                data = data.replace("\r\n", "\n").replace("\r", "\n")
            parts = data.split("\n")
            rest = parts.pop()
            for part in parts:
                yield complete(part)
            if long_head is not None:
                long_len += len(rest)
                rest = ""
            elif len(rest) > max_chars:
                long_head, long_len, rest = rest[:LONG_LINE_PREVIEW], len(rest), ""
            pending = rest + ("\r" if hold_cr else "")
    except FileReadError as exc:
        exc.partial_text = long_head if long_head is not None else pending.rstrip("\r")
        raise
    if pending.endswith("\r"):
        yield complete(pending[:-1])
    elif pending or long_head is not None:
        yield complete(pending)


def open_lines(file: InputFile, info: FileInfo, chunk_bytes: int = 1 << 20,
               sample_bytes: int = 64 * 1024, repair: bool = True,
               max_line_chars: int | None = None, encoding: str = "",
               scan_bytes: int = 16 << 20) -> Iterator[str]:
    """Stream the repaired lines of ``file`` (line ends removed), filling ``info`` as it goes.
    With ``repair=False`` lines are not passed through ftfy (JSON Lines: the text is repaired
    once it is parsed).

    Lines are numbered by the caller from 1, in the decompressed, decoded text. A line longer
    than ``max_line_chars`` comes out as a :class:`LongLine` (not repaired, never held whole).

    The encoding (``info.encoding``, and ``info.encoding_how``) is ``encoding`` when given,
    else decided by :func:`decide_encoding` on the first ``sample_bytes`` and, when those
    hold fewer than :data:`EVIDENCE_MIN_BYTES` non-ASCII bytes, on the lines with non-ASCII
    bytes of up to ``scan_bytes`` more (:func:`_scan_evidence`; the file is then opened again
    to be read from its start: only such files are read twice, that far).

    A file whose size or modification time differ at the end of the read from when it was
    opened changed while being read: the lines read are given as usual, and ``info.error``
    says so (``info.extra["reason"]`` ``changed_while_read``, ``info.extra["changed"]``).

    Raises:
        FileReadError: before the first line (``unreadable``, ``binary_file``, ``undecodable``,
            ``unsupported_compression``, ``corrupt_compressed``) or after some lines
            (``truncated_file``: a compressed stream ends early or is corrupt further on).
    """
    def first_bytes(stream) -> bytes:
        try:
            return stream.read(sample_bytes)
        except _DECOMPRESS_ERRORS as exc:
            raise FileReadError(
                "corrupt_compressed", f"{file.source}: corrupt {info.compression} data ({exc})"
            ) from None

    stream = _open_file(file, info)
    sample = first_bytes(stream)
    evidence = None
    few = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    if not encoding and len(sample) == sample_bytes and few < EVIDENCE_MIN_BYTES:
        with stream:
            scanned = _scan_evidence(stream, scan_bytes, chunk_bytes)
        if scanned:  # read from the start again, decided on this evidence
            evidence = evidence_lines(sample) + b"\n" + scanned
        stream = _open_file(file, info)
        sample = first_bytes(stream)
    with stream:
        if encoding:
            refuse_binary(sample, file.source)
            info.encoding, info.encoding_how = encoding, "forced"
        else:
            info.encoding, info.encoding_how = decide_encoding(sample, file.source, evidence)
        decoder = codecs.getincrementaldecoder(info.encoding)(errors="corpus_clean_replace")

        def decode(data: bytes, final: bool = False) -> str:
            _COUNTER.replaced = 0
            text = decoder.decode(data, final=final)
            info.replaced_bytes += _COUNTER.replaced
            return text

        raw = getattr(stream, "_raw", stream)  # the file on disk, under any decompressor

        def chunks() -> Iterator[str]:
            data = sample
            while data:
                try:
                    info.extra["bytes_read"] = raw.tell()
                except (OSError, ValueError):
                    pass
                yield decode(data)
                try:
                    data = stream.read(chunk_bytes)
                except _DECOMPRESS_ERRORS as exc:
                    raise _truncated(file, info, info.lines, exc) from None
            yield decode(b"", final=True)

        for line in _split_lines(chunks(), max_line_chars):
            info.lines += 1
            yield repair_text(line) if repair and not isinstance(line, LongLine) else line
    check_unchanged(file, info)


def _open_file(file: InputFile, info: FileInfo) -> BinaryIO:
    """Open ``file`` decompressed, noting its size and mtime in ``info`` (to see later whether
    it changed while being read).

    Raises:
        FileReadError: ``unreadable`` (permissions, I/O error, gone), ``not_regular_file``
            (a FIFO, a device, a socket, or a link to one: never opened, see
            :func:`open_regular`).
    """
    try:
        st = file.path.stat()
        info.bytes, info.extra["mtime_ns"] = st.st_size, st.st_mtime_ns
        return _open_decompressed(file.path, info)
    except NotRegularFile as exc:
        info.bytes = 0  # a device's size means nothing
        raise FileReadError("not_regular_file", f"{file.source}: {exc.kind}, not a regular "
                                                "file; skipped") from None
    except OSError as exc:
        raise FileReadError("unreadable", f"{file.source}: cannot read ({exc.strerror})") from None


def _truncated(file: InputFile, info: FileInfo, lines: int, exc: Exception) -> FileReadError:
    """The ``truncated_file`` error of a read that failed after ``lines`` complete lines."""
    return FileReadError("truncated_file",
                         f"{file.source}: {info.compression or 'file'} data ends early or is "
                         f"corrupt after line {lines} ({exc})")


def check_unchanged(file: InputFile, info: FileInfo) -> None:
    """Flag ``info`` if ``file`` changed (size or mtime) since it was opened."""
    try:
        st = file.path.stat()
        now = (st.st_size, st.st_mtime_ns)
    except OSError:
        now = None
    if now != (info.bytes, info.extra.get("mtime_ns")):
        after = "gone" if now is None else f"{now[0]:,} bytes"
        info.extra["changed"] = True
        info.extra["reason"] = "changed_while_read"
        info.error = (f"{file.source}: changed while being read ({info.bytes:,} bytes -> "
                      f"{after}); its records are the lines read, run again for a "
                      "consistent result")


# ---------------------------------------------------------------------------------------------
# Reading in blocks: the run's process reads a file's bytes and cuts them at line ends; the
# workers decode and repair them (:mod:`corpus_clean.reading.blocks` decides where records start).

#: multi-byte encodings in which the bytes of ``\n`` and ``\r`` occur only as those characters
#: (their trail bytes are 0x21 and up: GB 2312/GBK/GB 18030, Big5, Shift_JIS, EUC-JP/KR, UHC),
#: so a file in them can be cut at a line end without decoding what comes before
_SPLITTABLE_MULTIBYTE = frozenset({
    "utf-8", "ascii", "iso8859-1", "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "cp950",
    "shift_jis", "cp932", "shift_jisx0213", "shift_jis_2004", "euc_jp", "euc_jisx0213",
    "euc_jis_2004", "euc_kr", "cp949", "johab",
})


def splits_at_line_ends(encoding: str) -> bool:
    """Whether text in ``encoding`` (a Python codec name) can be cut into independently
    decodable pieces at the bytes of ``\\n`` and ``\\r``: UTF-8, the stateless CJK multi-byte
    codecs of :data:`_SPLITTABLE_MULTIBYTE`, and the single-byte code pages that map exactly
    the bytes 0x0A and 0x0D to line ends (cp1252, ISO 8859-x, KOI8-R, mac_*, ...). Not UTF-16/32,
    UTF-7 or the stateful ISO-2022 and HZ codecs."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    if name == "utf-8-sig" or name in _SPLITTABLE_MULTIBYTE:
        return True
    try:
        module = __import__(f"encodings.{name.replace('-', '_')}", fromlist=["decoding_table"])
        table = module.decoding_table
    except (ImportError, AttributeError):
        return False
    return len(table) == 256 and all((table[b] in "\n\r") == (b in (10, 13)) for b in range(256))


_LINE_END_RE = re.compile(rb"\r\n|\r|\n")
#: bytes after which an unfinished line is certainly longer than :data:`MAX_LINE_CHARS`
#: characters (a character takes at most 4 bytes in every splittable encoding); the reader
#: then streams past it instead of holding it
LONG_LINE_BYTES = 4 * MAX_LINE_CHARS + 4


def _count_lines(data: bytes) -> int:
    """Line ends in ``data`` (``\\r\\n``, ``\\r`` and ``\\n`` each count once)."""
    lines = data.count(b"\n")
    if b"\r" not in data:  # most files: one pass for the test (memchr) instead of two counts
        return lines
    return lines + data.count(b"\r") - data.count(b"\r\n")


def _last_line_end(buf: bytearray, hold_cr: bool = True) -> int:
    """The position after the last line end in ``buf`` (0 if none). A ``\\r`` that is the
    last byte may be the first half of a ``\\r\\n`` still to come: with ``hold_cr`` it does
    not count."""
    end = len(buf) - 1 if hold_cr and buf.endswith(b"\r") else len(buf)
    return max(buf.rfind(b"\n", 0, end), buf.rfind(b"\r", 0, end)) + 1


@dataclass
class RawBlock:
    """A piece of a file's bytes that starts at a record boundary, as cut by
    :func:`read_blocks`.

    Attributes:
        parts: whole lines as ``bytes`` (line ends kept; only the file's last part may end
            without one), and :class:`LongLine` objects for lines too long to hold, in order.
        first_line: number (1-based) of its first line in the file.
        lines: lines in it, when it is not the file's last block (the last one's lines are
            counted by whoever decodes it).
        end: the file's last block.
        fault: the read stopped early after this block (a compressed stream that ends early or
            is corrupt): ``truncated_file``, with the incomplete line in ``partial_text``.
        span: ``(offset, length, digest)``: where its bytes are in the file (byte offset and
            length) and their XXH3-64, for a block of an uncompressed file with no overlong
            line, when :func:`read_blocks` is asked for spans; a worker that can open the file
            reads the bytes itself (:func:`read_span`), so a task need not carry them.
    """

    parts: list
    first_line: int
    lines: int = 0
    end: bool = False
    fault: FileReadError | None = None
    span: tuple[int, int, int] | None = None


def _judge_line(data: bytes, encoding: str) -> str:
    return repair_text(data.decode(encoding, errors="replace"))


def _find_cut(buf: bytearray, start: int, encoding: str, starts_record) -> tuple[int | None, int]:
    """Look for the first line start at or after ``start`` in ``buf`` (which begins at a line
    start) where ``starts_record(previous line, line)`` holds, both lines complete in ``buf``
    and short enough to hold. Returns ``(cut, resume)``: the position, or None and the
    position from which to search again once more bytes are in."""
    lo = _last_line_end(buf[:start], hold_cr=False) if start else 0
    if lo and buf[lo - 1:lo + 1] == b"\r\n":  # the \r of a \r\n: the line starts after it
        lo += 1
    ends = _LINE_END_RE.finditer(buf, lo)  # holds buf exported (not resizable) while alive
    try:
        first = next(ends, None)
        if first is None:
            return None, lo
        prev_start, prev_end, at = lo, first.start(), first.end()
        for m in ends:
            if m.end() == len(buf) and m.group() == b"\r":
                break  # may be the first half of a \r\n: wait for more bytes
            if at >= start and prev_end - prev_start <= MAX_LINE_CHARS and \
                    m.start() - at <= MAX_LINE_CHARS and \
                    starts_record(_judge_line(buf[prev_start:prev_end], encoding),
                                  _judge_line(buf[at:m.start()], encoding)):
                return at, at
            prev_start, prev_end, at = at, m.start(), m.end()
        return None, prev_start
    finally:
        # a frame can outlive its call (Dask's sampling profiler holds the frames it
        # samples): its iterator must not keep buf exported, or the caller's next
        # ``del buf[:cut]`` or ``buf += chunk`` raises BufferError
        del ends


def read_blocks(file: InputFile, info: FileInfo, encoding: str, starts_record,
                block_bytes: int = 1 << 20, chunk_bytes: int = 1 << 20,
                spans: bool = False) -> Iterator[RawBlock]:
    """Stream ``file`` (decompressed, not decoded) as :class:`RawBlock` pieces of at least
    ``block_bytes`` bytes each, cut only before a line where
    ``starts_record(previous line, line)`` (repaired text, line ends removed) says a record
    always starts, so each block splits into whole records on its own.

    ``encoding`` (the file's codec, see :func:`detect_encoding`) must pass
    :func:`splits_at_line_ends`; a UTF-8 BOM is removed here, so blocks decode as plain UTF-8
    (:func:`block_codec`). Fills ``info`` (``bytes``, ``compression``,
    ``extra["bytes_read"]``, ``replaced_bytes`` of overlong lines, and the
    ``changed_while_read`` flag as :func:`open_lines` does; ``lines`` and the other replaced
    bytes are counted by whoever decodes the blocks). A line longer than
    :data:`LONG_LINE_BYTES` bytes is streamed past as a :class:`LongLine` part. Memory: one
    block plus one chunk, or the bytes of one record if it is larger. With ``spans``, each
    block of an uncompressed file gets its :attr:`RawBlock.span` (until the first overlong
    line, whose bytes are not kept).

    Raises:
        FileReadError: ``unreadable``, if the file cannot be opened. A fault later ends the
            last block (``RawBlock.fault``) instead.
    """
    stream = _open_file(file, info)
    strip_bom = codecs.lookup(encoding).name == "utf-8-sig"
    codec = block_codec(encoding)
    raw = getattr(stream, "_raw", stream)
    line = 1  # number of the next block's first line
    parts: list = []
    part_lines = 0
    buf = bytearray()
    searched = 0  # the cut search in buf resumes here
    fault: FileReadError | None = None
    # byte offset in the file of the next block's first byte, while spans are kept
    offset = 0 if spans and info.compression is None else None

    def spanned(block: RawBlock) -> RawBlock:
        nonlocal offset
        if offset is not None and block.fault is None:
            data = b"".join(block.parts)
            block.span = (offset, len(data), xxhash.xxh3_64_intdigest(data))
            offset += len(data)
        return block

    with stream:
        while True:
            try:
                chunk = stream.read(chunk_bytes)
            except _DECOMPRESS_ERRORS as exc:
                complete = line - 1 + part_lines + _count_lines(buf[:_last_line_end(buf)])
                fault = _truncated(file, info, complete, exc)
                break
            try:
                info.extra["bytes_read"] = raw.tell()
            except (OSError, ValueError):
                pass
            if not chunk:
                break
            buf += chunk
            if strip_bom:  # the file starts with one (detect_encoding): remove it once in
                if len(buf) < len(codecs.BOM_UTF8):
                    continue
                strip_bom = False
                if buf.startswith(codecs.BOM_UTF8):
                    del buf[:len(codecs.BOM_UTF8)]
                    if offset is not None:
                        offset = len(codecs.BOM_UTF8)
            done = _last_line_end(buf)
            if len(buf) - done > 4 * MAX_LINE_CHARS + 4:  # overlong (LONG_LINE_BYTES): skip it
                if done:
                    parts.append(bytes(buf[:done]))
                    part_lines += _count_lines(parts[-1])
                offset = None  # the overlong line's bytes are not kept: no spans from here
                long_line, rest, fault = _skip_long_line(file, info, bytes(buf[done:]), stream,
                                                         codec, chunk_bytes, line - 1 + part_lines)
                buf, searched = bytearray(rest), 0
                if fault is not None:
                    break
                parts.append(long_line)
                part_lines += 1
                continue
            while True:  # cut as many blocks as the bytes in hand hold
                size = sum(len(p) for p in parts if isinstance(p, bytes))
                if size + len(buf) < block_bytes:
                    break
                cut, searched = _find_cut(buf, max(searched, block_bytes - size, 1), codec,
                                          starts_record)
                if cut is None:
                    break
                parts.append(bytes(buf[:cut]))
                part_lines += _count_lines(parts[-1])
                yield spanned(RawBlock(parts, line, part_lines))
                line += part_lines
                parts, part_lines, searched = [], 0, 0
                del buf[:cut]
    if fault is not None:
        done = _last_line_end(buf)  # a final \r is part of the incomplete line (open_lines)
        if done:
            parts.append(bytes(buf[:done]))
        if buf:  # else the read failed while streaming past an overlong line (its preview)
            fault.partial_text = _decode_partial(bytes(buf[done:]), codec, info).rstrip("\r")
    elif buf:
        parts.append(bytes(buf))
    check_unchanged(file, info)
    yield spanned(RawBlock(parts, line, end=True, fault=fault))


def read_span(path, source: str, span: tuple[int, int, int]) -> bytes:
    """The bytes of a block that :func:`read_blocks` cut (``span``: offset, length, XXH3-64),
    read again from ``path`` (a :class:`pathlib.Path` or a :class:`.storage.RemotePath`) by a
    worker.

    Raises:
        InputError: the file cannot be read, or its bytes there are no longer those that were
            read first (``source`` changed while the run was reading it): the run cannot go
            on with its records numbered as they are.
    """
    offset, length, digest = span
    try:
        with open_regular(path) as f:
            f.seek(offset)
            data = f.read(length)
    except OSError as exc:
        raise InputError(f"{source}: a worker cannot read bytes {offset:,}-{offset + length:,} "
                         f"({exc.strerror or exc}); the workers must see the dump where the "
                         f"run's process sees it") from None
    if len(data) != length or xxhash.xxh3_64_intdigest(data) != digest:
        raise InputError(f"{source}: changed while the run was reading it (bytes "
                         f"{offset:,}-{offset + length:,} are not those read first); run again")
    return data


def block_codec(encoding: str) -> str:
    """The codec that decodes the blocks of a file in ``encoding`` (UTF-8 for ``utf-8-sig``:
    :func:`read_blocks` removes the BOM)."""
    return "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding


def _decode_partial(data: bytes, codec: str, info: FileInfo) -> str:
    """Decode the incomplete last line of a file whose read failed, as :func:`open_lines`
    does (an unfinished multi-byte character at its end is left out, bad bytes counted)."""
    _COUNTER.replaced = 0
    text = codecs.getincrementaldecoder(codec)(errors="corpus_clean_replace").decode(data)
    info.replaced_bytes += _COUNTER.replaced
    return text


def _skip_long_line(file: InputFile, info: FileInfo, data: bytes, stream, codec: str,
                    chunk_bytes: int, lines_before: int):
    """Stream past a line longer than :data:`LONG_LINE_BYTES` that starts with ``data``:
    return ``(LongLine, bytes after its line end, None)``, or ``(None, b"", fault)`` if the
    read fails first (``fault.partial_text``: the line's first characters, as
    :func:`open_lines` gives them)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="corpus_clean_replace")
    preview, chars = "", 0

    def take(body: bytes, final: bool) -> None:
        nonlocal preview, chars
        _COUNTER.replaced = 0
        text = decoder.decode(body, final=final)
        info.replaced_bytes += _COUNTER.replaced
        if len(preview) < LONG_LINE_PREVIEW:
            preview += text[:LONG_LINE_PREVIEW - len(preview)]
        chars += len(text)

    while True:
        m = _LINE_END_RE.search(data)
        if m is not None and not (m.end() == len(data) and m.group() == b"\r"):
            take(data[:m.start()], True)
            return _long_line(preview, chars), data[m.end():], None
        keep = b"\r" if data.endswith(b"\r") else b""  # maybe the first half of a \r\n
        take(data[:len(data) - len(keep)], False)
        try:
            more = stream.read(chunk_bytes)
        except _DECOMPRESS_ERRORS as exc:
            fault = _truncated(file, info, lines_before, exc)
            fault.partial_text = preview
            return None, b"", fault
        if not more:  # the file ends in the line (a kept \r is its line end)
            take(b"", True)
            return _long_line(preview, chars), b"", None
        data = keep + more


def block_lines(parts: list, encoding: str, repair: bool = True,
                max_line_chars: int | None = None) -> tuple[list[str], int]:
    """Decode a :class:`RawBlock`'s parts into its lines (repaired with :func:`repair_text`
    unless ``repair`` is False; :class:`LongLine` parts and lines over ``max_line_chars``
    characters as :class:`LongLine`), as :func:`open_lines` would give them. Returns
    ``(lines, replaced_bytes)``. Pure; runs in any worker."""
    lines: list[str] = []
    replaced = 0
    for part in parts:
        if isinstance(part, LongLine):
            lines.append(part)
            continue
        _COUNTER.replaced = 0
        text = codecs.getincrementaldecoder(encoding)(errors="corpus_clean_replace").decode(
            part, final=True)
        replaced += _COUNTER.replaced
        for line in _split_lines(iter((text,)), max_line_chars):
            lines.append(repair_text(line) if repair and not isinstance(line, LongLine)
                         else line)
    return lines, replaced


# ---------------------------------------------------------------------------------------------
# Cutting by the workers: each finds the cuts of its own stretch of an uncompressed file, so the
# run's process need not read the file (a Dask cluster reading a shared disk or object store).

def cut_at(f, offset: int, size: int, codec: str, starts_record, chunk_bytes: int) -> int | None:
    """Where the block that holds byte ``offset`` of an uncompressed file ends: the first line
    start that :func:`_find_cut` accepts when asked to search from ``offset``, read from
    ``f`` (the file, binary, seekable; ``size``: its length in bytes). ``size`` when there
    is none before the end of the file; None when a line longer than
    :data:`MAX_LINE_CHARS` bytes is in the way (such a line may be one that
    :func:`read_blocks` streams past as a :class:`LongLine`: the caller reads the file so).

    The answer depends only on the file's bytes and ``offset``, so the two workers whose
    stretches meet there find the same cut. Reads the line before ``offset`` (backwards
    from it, 1 KiB first, then 4 times as much, until a line end or the start of the file;
    past :data:`MAX_LINE_CHARS` bytes that line is too long for a cut after it in any case)
    and then forward to the cut (16 KiB first, twice as much each time, at most
    ``chunk_bytes``).

    Raises:
        OSError: the file cannot be read.
    """
    back = 1024
    while True:
        b0 = max(0, offset - back)
        f.seek(b0)
        buf = bytearray(f.read(offset - b0))
        if b0 == 0 or _last_line_end(buf, hold_cr=False) or back > MAX_LINE_CHARS + 2:
            break
        back *= 4
    start = resume = offset - b0
    pos, step = offset, min(1 << 14, chunk_bytes)  # a cut is a few lines on: growing steps
    while True:
        cut, resume = _find_cut(buf, max(resume, start), codec, starts_record)
        if cut is not None:
            return b0 + cut
        if pos >= size:
            return size  # no cut before the end: the block runs to it
        if len(buf) - _last_line_end(buf) > MAX_LINE_CHARS:
            return None
        chunk = f.read(min(step, size - pos))
        if not chunk:
            return size
        buf += chunk
        pos += len(chunk)
        step = min(2 * step, chunk_bytes)


def span_facts(f, offset: int, length: int) -> tuple[int, int] | None:
    """``(line ends, XXH3-64)`` of the ``length`` bytes at ``offset`` of ``f`` (a block cut by
    :func:`cut_at`), or None if a line in them is longer than :data:`MAX_LINE_CHARS` bytes
    (see :func:`cut_at`).

    Raises:
        OSError: the file cannot be read, or is shorter than that now.
    """
    f.seek(offset)
    data = f.read(length)
    if len(data) != length:
        raise OSError(f"{length - len(data):,} bytes fewer than listed")
    if length > MAX_LINE_CHARS:  # only then may a line in it be that long
        ends = [m.end() for m in _LINE_END_RE.finditer(data)]
        starts = [0] + ends
        if max(b - a for a, b in zip(starts, ends + [length])) > MAX_LINE_CHARS:
            return None
    return _count_lines(data), xxhash.xxh3_64_intdigest(data)
