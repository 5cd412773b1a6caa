# The two helpers of corpus_clean/stages/neardup.py as they were at b753bba, before the faster
# ones replaced them: the reference the equivalence tests compare the new code with. Only
# these two changed; the rest of the module is used as it is. Do not edit.
from __future__ import annotations

from unittest import mock

import numpy as np
import xxhash

from corpus_clean.scripts import CJK_RE
from corpus_clean.stages import neardup
from corpus_clean.stages.dedup import normalise_for_dedup


def _is_unspaced(norm: str) -> bool:
    cjk = len(CJK_RE.findall(norm))
    return cjk * 2 >= len(norm.replace(" ", ""))


def _units(text: str, chars_mode: bool) -> np.ndarray:
    norm = normalise_for_dedup(text)
    if chars_mode:
        s = norm.replace(" ", "")
        return np.fromiter(map(ord, s), dtype=np.uint64, count=len(s))
    digest = xxhash.xxh3_64_intdigest
    toks = norm.split()
    return np.fromiter((digest(t.encode("utf-8")) for t in toks), dtype=np.uint64,
                       count=len(toks))


def _old(fn):
    """``fn`` of the neardup module run with the old helpers in place of the new ones."""
    def run(*args):
        with mock.patch.object(neardup, "_is_unspaced", _is_unspaced), \
                mock.patch.object(neardup, "_units", _units):
            return fn(*args)
    return run


shingle_hashes = _old(neardup.shingle_hashes)
sign_texts = _old(neardup.sign_texts)
