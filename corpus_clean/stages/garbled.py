"""Garbled text: mojibake that ftfy cannot repair.

The reader repairs what ftfy can (UTF-8 read as Windows-1252 or Latin-1 and saved again, C1
control characters for curly quotes). What it cannot repair is text mis-decoded with the wrong
legacy codec upstream and saved as UTF-8: GBK or Big5 read as Latin-1 (``¼ÓÈë×ÔÑ¡¹É``),
Windows-1250 read as Windows-1252 (``PĹ™Ă­klad``), replacement characters re-encoded
(``ďż˝``). Those bytes are lost to a reader; the record is rejected, stage ``quality``,
reason ``garbled``.

The measure is ftfy's own: :func:`ftfy.badness.badness`, the number of character sequences
that are "very likely to be mojibake" (ftfy 6, Robyn Speer, Apache-2.0), per character. ftfy
misses short Chinese text read as Latin-1 (``ÉÏÒ»Ò³ ÏÂÒ»Ò³``, 上一页 下一页, looks like
letters with accents to it), so a record made only of Latin-1 characters is also tried the
other way round: encoded back to Latin-1/Windows-1252 and decoded strictly as GB18030 or Big5,
it is garbled if that gives common CJK characters (the reader's own test of a legacy CJK
decode, :func:`corpus_clean.reading.reader.plausible_cjk`); Latin-1 European text does not decode so.
"""

from __future__ import annotations

import re

from ftfy.badness import badness

from ..unicode_scripts import MIN_CJK_PLAUSIBILITY, plausible_cjk

__all__ = ["GARBLED_SHARE", "MIN_CHARS", "garbled_share"]

#: a record is garbled when ftfy's badness per character reaches this. Measured on 119,250
#: clean texts (arXiv abstracts, their Chinese translations and summaries, news sentences in
#: 32 languages; bench/eval_filters.py): 267 have any badness, and the ones at or above 0.02
#: are all themselves mojibake of the source corpus (Romanian ``ďż˝``, Czech ``Ĺ™``). GBK
#: read as Latin-1 scores 0.1 to 0.4.
GARBLED_SHARE = 0.02
#: shorter records are measured as if this long: one suspicious sequence in a 12-character
#: label is mojibake (``ÎÂÜ°Ìáʾ``), and one in a 30-character line is not yet proof
MIN_CHARS = 50

# every mojibake sequence ftfy's badness counts holds a character of Latin-1 Supplement,
# Latin Extended, IPA, Greek or Cyrillic (the letters of the code pages it was mis-decoded
# with), or one of the few others that are suspicious in pairs (†, ‡, ‰, ⌐, ◊ and U+FFFD;
# found by trying every BMP character alone and in pairs): where none occurs, as in most
# Chinese records, badness is 0 and is not computed (a search in C: 1 us, where badness
# costs 50 us on a Chinese abstract)
_MOJIBAKE_LETTERS_RE = re.compile("[\u0080-\u052f\u2020\u2021\u2030\u2310\u25ca\ufffd]")


#: non-ASCII characters a record of Latin-1 characters needs to be tried as CJK read as
#: Latin-1: two CJK characters (4 bytes of GBK or Big5)
MIN_CJK_AS_LATIN_CHARS = 4


def cjk_read_as_latin(text: str) -> bool:
    """Whether ``text``, made only of Latin-1 characters, is CJK text (GB18030 or Big5) that
    was decoded as Latin-1 or Windows-1252: its non-ASCII characters come in runs (at least
    90% of them beside another), and encoded back it decodes strictly to common CJK
    characters (at least :data:`MIN_CJK_PLAUSIBILITY` of them)."""
    high = [ord(c) >= 0x80 for c in text]
    if sum(high) < MIN_CJK_AS_LATIN_CHARS:
        return False
    # a CJK character is two high bytes, so its Latin-1 reading is a run of accented
    # letters; an accented letter between ASCII letters (récolte) is a European word, whose
    # byte and the next ASCII one GB18030 would read as one character
    paired = sum(h and ((i > 0 and high[i - 1]) or (i + 1 < len(high) and high[i + 1]))
                 for i, h in enumerate(high))
    if paired < 0.9 * sum(high):
        return False
    for wrong in ("latin-1", "cp1252"):
        try:
            raw = text.encode(wrong)
        except UnicodeEncodeError:
            continue
        for codec in ("gb18030", "big5"):
            try:
                decoded = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if plausible_cjk(decoded, min_chars=2) >= MIN_CJK_PLAUSIBILITY:
                return True
    return False


def garbled_share(text: str) -> float:
    """ftfy's badness of ``text`` per character (at least :data:`MIN_CHARS` counted), in
    [0, 1] in practice; 1.0 for CJK text read as Latin-1 (:func:`cjk_read_as_latin`). ASCII
    text has none (every pattern needs a non-ASCII character)."""
    if text.isascii() or not _MOJIBAKE_LETTERS_RE.search(text):
        return 0.0
    bad = badness(text)
    if bad:
        return bad / max(len(text), MIN_CHARS)
    if max(text) <= "\xff" and cjk_read_as_latin(text):
        return 1.0
    return 0.0
