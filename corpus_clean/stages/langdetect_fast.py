"""langdetect's answers, bit for bit, at a fraction of its cost.

langdetect (Nakatani Shuyo's language-detection, ported by Michal Mimino Danilak, Apache-2.0)
is the project's default language identifier. For a text it (1) removes URLs and e-mail
addresses, folds Vietnamese diacritics, keeps the first ``max_text_length`` characters with
runs of spaces collapsed, drops Latin letters from mostly non-Latin text; (2) lists the text's
character 1-, 2- and 3-grams that its 55 language profiles know; (3) runs ``n_trial`` random
trials from a seeded ``random.Random``: each draws n-grams with ``random.choice`` and
multiplies 55 language probabilities by ``alpha / BASE_FREQ + p(n-gram | language)``,
normalising after draw 0, 5, 10, ... until one probability exceeds 0.99999 or 1,000 draws;
``alpha`` is ``0.5 + gauss(0, 1) * 0.05`` per trial. The answer is the trials' mean.

:func:`detect_many` does the same arithmetic on the same numbers in the same order, so its
``(language, probability)`` lists are langdetect's exactly: tested on sentences of 9
languages, the seed abstracts and odd texts; measured by ``bench/bench_language.py --table``,
identical for all 31,141 test sentences of lingua's 32 languages and 1,500 English abstracts,
at 222 us per abstract against stock langdetect's 1,722 (7.7x), in one process. What changes
is only how the work is done:

* (1) the profiles are read from langdetect's files as its factory reads them, and a
  language-probability row is made only for each n-gram met (:func:`profiles`);
* (2) the URL, e-mail and Vietnamese rules run on the start of the text (cut at a whitespace,
  which none of them can match across) instead of all of it, when that start is long enough,
  and only where they can match; the space rule is one regular expression; an ASCII text
  skips the Latin rule (it cannot apply);
* (3) langdetect's n-gram state machine starts afresh after every space, so a text's n-grams
  are those of its words in order: each word's are computed once per process
  (:class:`Profiles`), with each known n-gram numbered and its 55 probabilities a row of one
  matrix;
* (4) the detector is reseeded for every text, so every text's trials read the same Mersenne
  Twister words: the first :data:`STREAM_WORDS` are made once per process (:func:`_stream`),
  and ``random.choice`` (``seq[_randbelow(len(seq))]``: words shifted right by ``32 - k``,
  ``k`` the bit length of ``len(seq)``, the first below ``len(seq)``), ``random()`` and
  ``gauss()`` are read off them with CPython's formulas, checked once per process against
  ``random.Random`` itself (:func:`_stream_matches`; on a mismatch, or a text that would read
  past the stream, langdetect's own loop runs);
* (5) the trials of a batch of texts run side by side (:class:`_Batch`): the five
  multiplications between two normalisations are one ``numpy.multiply.reduce`` for all the
  texts, over each text's rows in draw order (gathered from the matrix five draws at a
  time: a trial holds only the numbers of the n-grams it drew), and each normalisation's
  sum is Python's (or, where Python's ``sum`` adds one by one, ``numpy.cumsum``, which does
  the same).
"""

from __future__ import annotations

import math
import random
import re
import threading
from functools import lru_cache
from itertools import chain

import numpy as np

__all__ = ["Profiles", "detect", "detect_many", "prepare", "profiles", "word_ngrams",
           "STREAM_WORDS"]

#: Mersenne Twister words made once per process for the trials (256 KB). A clear text reads
#: about 70 draws per trial; 7 trials of 1,000 draws read at most about 14,000 words.
STREAM_WORDS = 1 << 16

_CUT_RE = re.compile(r"\s")
_SPACES_RE = re.compile(" {2,}")


@lru_cache(maxsize=4)
def factory(seed: int):
    """langdetect's ``DetectorFactory`` with its 55 profiles loaded, seeded ``seed`` (once per
    process and seed)."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    made = DetectorFactory()
    made.load_profile(PROFILES_DIRECTORY)
    made.set_seed(seed)
    return made


def prepare(text: str, max_chars: int) -> str:
    """langdetect's ``Detector.append`` then ``cleaning_text`` of ``text`` with
    ``max_text_length = max_chars`` (characters): the text its n-grams are taken from."""
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    def rules(part: str) -> str:
        # each rule is skipped where it cannot match: a URL needs "http", an e-mail address
        # "@", a Vietnamese diacritic a combining mark (not ASCII)
        if "http" in part:
            part = Detector.URL_RE.sub(" ", part)
        if "@" in part:
            part = Detector.MAIL_RE.sub(" ", part)
        return part if part.isascii() else NGram.normalize_vi(part)

    done = None
    if len(text) > 2 * max_chars + 64:
        cut = _CUT_RE.search(text, 2 * max_chars)
        if cut is not None:
            head = rules(text[:cut.start()])
            if len(head) >= max_chars:
                done = head
    if done is None:
        done = rules(text)
    done = _SPACES_RE.sub(" ", done[:max_chars])
    if done.isascii():
        return done  # no character of U+0300 or above: the Latin rule cannot apply
    return _cleaning(done)


def _cleaning(text: str) -> str:
    """langdetect's ``Detector.cleaning_text``: a text with more than twice as many non-Latin
    letters (U+0300 and above, outside Latin Extended Additional) as ASCII letters ``A``..``z``
    loses the latter."""
    from langdetect.utils.unicode_block import UNICODE_LATIN_EXTENDED_ADDITIONAL, unicode_block

    latin = non_latin = 0
    for ch in text:
        if "A" <= ch <= "z":
            latin += 1
        elif ch >= "\u0300" and unicode_block(ch) != UNICODE_LATIN_EXTENDED_ADDITIONAL:
            non_latin += 1
    if latin * 2 < non_latin:
        return "".join(ch for ch in text if ch < "A" or "z" < ch)
    return text


def word_ngrams(word: str, spaced: bool) -> list[str]:
    """The n-grams langdetect's ``NGram`` state machine yields for one normalised ``word``
    (no space in it) after a space or at the start of the text, and, when ``spaced``, for the
    space after it: for each character its 1-, 2- and 3-gram (the buffer holds the last three
    characters, a space before the first), none while two capitals in a row make a capital
    word; at the space, the 2- and 3-gram that end with it. Not yet filtered by the
    profiles."""
    out: list[str] = []
    grams, capital, last = " ", False, " "
    for ch in word + (" " if spaced else ""):
        if len(grams) >= 3:
            grams = grams[1:]
        grams += ch
        if ch.isupper():
            if last.isupper():
                capital = True
        else:
            capital = False
        last = ch
        if capital:
            continue
        if ch != " ":
            out.append(ch)
        if len(grams) >= 2:
            out.append(grams[-2:])
            if len(grams) >= 3:
                out.append(grams)
    return out


class Profiles:
    """langdetect's profiles ``known`` (n-gram -> 55 probabilities) as this module reads
    them, per process: the normalised form of each character met so far (a ``str.translate``
    table; langdetect's ``NGram.normalize``, a pure function of the character), a number for
    each known n-gram met so far with its probabilities as a row of :attr:`matrix` (grown by
    doubling; a few thousand rows of 0.44 KB for a corpus in a few languages), and the
    numbered n-grams of each word met so far (at most :attr:`max_words` words)."""

    max_words = 200_000

    def __init__(self, languages: list[str], freqs: list[dict], n_words: list[list[int]]):
        self.languages = languages  # langdetect's langlist, in its order
        self.freqs, self.n_words = freqs, n_words
        #: every n-gram of every profile (langdetect's word_lang_prob_map has them all)
        self.known = set().union(*freqs)
        self.lock = threading.Lock()
        self.chars: dict[int, str] = {}
        self.seen: set[str] = set()  # the characters in chars
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.matrix = np.empty((1024, len(languages)))
        #: the numbered n-grams of each word followed by a space, and of each last word of a
        #: text (its key ends with U+0000); "" (between two spaces) has none
        self.words: dict[str, list[int]] = {"": []}

    def row(self, gram: str) -> list[float]:
        """langdetect's ``word_lang_prob_map[gram]``: for each language, the n-gram's count
        over the profile's count of n-grams of its length (0.0 where absent)."""
        length = len(gram)
        out = [0.0] * len(self.languages)
        if 1 <= length <= 3:
            for index, freq in enumerate(self.freqs):
                count = freq.get(gram)
                if count is not None:
                    out[index] = 1.0 * count / self.n_words[index][length - 1]
        return out

    def number(self, gram: str) -> int:
        """The number of the known n-gram ``gram`` (its row of :attr:`matrix`). A new one is
        added under :attr:`lock` (a Dask worker may tag in several threads), its row written
        before its number is given out."""
        found = self.ids.get(gram)
        if found is None:
            with self.lock:
                found = self.ids.get(gram)
                if found is None:
                    found = len(self.names)
                    if found >= len(self.matrix):
                        grown = np.empty((2 * len(self.matrix), self.matrix.shape[1]))
                        grown[:found] = self.matrix[:found]
                        self.matrix = grown
                    self.matrix[found] = self.row(gram)
                    self.names.append(gram)
                    self.ids[gram] = found
        return found

    def extract(self, text: str) -> list[int]:
        """The numbers of the known n-grams of the prepared ``text`` (:func:`prepare`), in
        langdetect's order (its ``Detector._extract_ngrams``)."""
        from langdetect.utils.ngram import NGram

        chars, words = self.chars, self.words
        if text.isascii():  # one byte table for the 128 ASCII characters
            parts = text.encode("ascii").translate(_ascii_table()).decode("ascii").split(" ")
        else:
            new = set(text).difference(self.seen)
            if new:
                with self.lock:
                    for ch in new:
                        chars[ord(ch)] = NGram.normalize(ch)
                    self.seen = self.seen | new
            parts = text.translate(chars).split(" ")
        last = parts.pop()  # not followed by a space
        found = list(map(words.get, parts))  # a word followed by a space: its n-grams
        if None in found:
            for k, grams in enumerate(found):
                if grams is None:
                    found[k] = self._learn(parts[k], parts[k], True)
        result = list(chain.from_iterable(found))
        if last:
            key = last + "\x00"  # the last word: no space after it
            grams = words.get(key)
            result += grams if grams is not None else self._learn(key, last, False)
        return result

    def _learn(self, key: str, word: str, spaced: bool) -> list[int]:
        """The numbered known n-grams of ``word`` (:func:`word_ngrams`), remembered as
        ``key``."""
        known, number = self.known, self.number
        grams = [number(w) for w in word_ngrams(word, spaced) if w in known]
        if len(self.words) < self.max_words:
            self.words[key] = grams
        return grams


@lru_cache(maxsize=1)
def _ascii_table() -> bytes:
    """langdetect's ``NGram.normalize`` of the 128 ASCII characters as a ``bytes.translate``
    table (letters stay, everything else is a space)."""
    from langdetect.utils.ngram import NGram

    table = bytearray(range(256))
    for code in range(128):
        table[code] = ord(NGram.normalize(chr(code)))
    return bytes(table)


@lru_cache(maxsize=1)
def profiles() -> Profiles:
    """langdetect's 55 profiles read as its ``DetectorFactory.load_profile`` reads them (the
    files of its profile directory in ``os.listdir`` order, its languages' order), once per
    process, without making its table of 87,598 n-grams x 55 probabilities (a third of a
    second per process): rows are made for the n-grams met (:meth:`Profiles.row`)."""
    import json
    import os

    from langdetect.detector_factory import PROFILES_DIRECTORY

    languages, freqs, n_words = [], [], []
    for name in os.listdir(PROFILES_DIRECTORY):
        if name.startswith("."):
            continue
        path = os.path.join(PROFILES_DIRECTORY, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        languages.append(data["name"])
        freqs.append(data["freq"])
        n_words.append(data["n_words"])
    return Profiles(languages, freqs, n_words)


@lru_cache(maxsize=4)
def _stream(seed: int) -> np.ndarray:
    """The first :data:`STREAM_WORDS` 32-bit words of ``random.Random(seed)``."""
    rng = random.Random(seed)
    return np.frombuffer(rng.getrandbits(32 * STREAM_WORDS).to_bytes(4 * STREAM_WORDS,
                                                                     "little"), "<u4")


def _uniform(words: np.ndarray, at: int) -> float:
    """CPython's ``random()`` from the two words at ``at``."""
    a, b = int(words[at]) >> 5, int(words[at + 1]) >> 6
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


def _gauss_pair(words: np.ndarray, at: int) -> tuple[float, float]:
    """CPython's ``gauss()`` from the four words at ``at``: (this value, the next one)."""
    x2pi = _uniform(words, at) * (2.0 * math.pi)
    g2rad = math.sqrt(-2.0 * math.log(1.0 - _uniform(words, at + 2)))
    return math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad


def _draws(words: np.ndarray, at: int, size: int, count: int) -> np.ndarray | None:
    """The word positions of the next ``count`` ``random.choice`` draws among ``size`` items
    from the word at ``at`` (None past the stream)."""
    shift = 32 - size.bit_length()
    span = 2 * count + 16
    while True:
        if at + span > len(words):
            span = len(words) - at
        found = np.flatnonzero((words[at:at + span] >> shift) < size)
        if len(found) >= count:
            return found[:count] + at
        if at + span >= len(words):
            return None
        span *= 2


_GAUSS: dict[int, tuple[float, float]] = {}
_FIRST: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray] | None] = {}
_FIRST_SIZE = 4096


def _gauss_at(seed: int, at: int, words: np.ndarray) -> tuple[float, float]:
    """:func:`_gauss_pair` of ``words`` (the stream of ``seed``), remembered for the start of
    the stream (every text's first trial reads the same words)."""
    if at:
        return _gauss_pair(words, at)
    found = _GAUSS.get(seed)
    if found is None:
        found = _GAUSS[seed] = _gauss_pair(words, at)
    return found


def _first_draws(seed: int, at: int, size: int, count: int,
                 words: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(positions, picks)``: :func:`_draws` in ``words`` (the stream of ``seed``) and the
    item each draw picks. Those of a first trial (``at`` 4, after its ``gauss``) are
    remembered by ``size``: texts with as many n-grams draw the same items (at most
    :data:`_FIRST_SIZE` remembered per process, 1.3 KB each)."""
    key = (seed, size, count)
    first = at == 4
    if first:
        found = _FIRST.get(key, _FIRST)  # _FIRST itself: not there (None is a value)
        if found is not _FIRST:
            return found
    positions = _draws(words, at, size, count)
    found = None if positions is None else (positions,
                                            words[positions] >> (32 - size.bit_length()))
    if first:
        if len(_FIRST) >= _FIRST_SIZE:
            _FIRST.clear()
        _FIRST[key] = found
    return found


@lru_cache(maxsize=4)
def _stream_matches(seed: int) -> bool:
    """Whether :func:`_gauss_pair` and :func:`_draws` read ``random.Random(seed)``'s stream
    as ``gauss`` and ``choice`` do (checked once per process and seed)."""
    words = _stream(seed)
    for size in (1, 7, 300, 1000):
        rng = random.Random(seed)
        first, second = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
        picks = [rng.choice(range(size)) for _ in range(50)]
        at = 4
        positions = _draws(words, at, size, 50)
        got = (words[positions] >> (32 - size.bit_length())).tolist()
        if (first, second) != _gauss_pair(words, 0) or picks != got:
            return False
        third, fourth = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
        if (third, fourth) != _gauss_pair(words, int(positions[-1]) + 1):
            return False
    return True


def detect(text: str, seed: int, trials: int, max_chars: int) -> list[tuple[str, float]]:
    """langdetect's ``Detector.get_probabilities()`` of ``text`` (characters), as
    ``[(language, probability in [0, 1]), ...]`` most probable first, for a detector of
    :func:`factory` ``(seed)`` with ``n_trial = trials`` and ``max_text_length = max_chars``;
    ``[]`` where langdetect raises (no known n-gram)."""
    return detect_many([prepare(text, max_chars)], seed, trials)[0]


def detect_many(texts: list[str], seed: int, trials: int) -> list[list[tuple[str, float]]]:
    """:func:`detect` of each of ``texts``, already prepared (:func:`prepare`). The texts'
    trials run side by side (:class:`_Batch`): one numpy operation multiplies a block of
    draws for every text at once, so the cost per text falls with the batch."""
    from langdetect.detector import Detector

    table = profiles()
    ids = [table.extract(text) for text in texts]
    results: list[list[tuple[str, float]]] = [[] for _ in texts]
    todo = [k for k, grams in enumerate(ids) if grams]
    if not todo:
        return results
    probs = None
    if _stream_matches(seed):
        sizes = [len(ids[k]) for k in todo]
        flat = np.fromiter(chain.from_iterable(ids[k] for k in todo), np.int64, sum(sizes))
        probs = _Batch(flat, sizes, table.matrix, seed, trials, len(table.languages)).run()
    for n, k in enumerate(todo):
        langprob = probs[n] if probs is not None else None
        if langprob is None:  # past the stream, or another random module: langdetect's loop
            detector = Detector(factory(seed))
            detector.text = texts[k]
            detector.n_trial = trials
            detector.cleaning_text = lambda: None  # prepared already
            results[k] = [(g.lang, float(g.prob)) for g in detector.get_probabilities()]
            continue
        ranked = [(lang, p) for lang, p in zip(table.languages, langprob)
                  if p > Detector.PROB_THRESHOLD]
        ranked.sort(key=lambda item: item[1], reverse=True)  # stable, as langdetect's sort
        results[k] = ranked
    return results


class _Batch:
    """The trials of several texts run side by side, each exactly as langdetect runs its own
    (see the module docstring); text ``n`` has the ``sizes[n]`` numbered n-grams from
    ``flat[sum(sizes[:n])]`` on. A text in a trial holds the n-gram numbers (rows of
    ``matrix``) of its next :attr:`capacity` draws. Every step normalises each running
    text's probabilities (Python's sum of each row, in order, as langdetect), ends the trials
    that converged (and starts the texts' next ones, all at once) and multiplies the others'
    next five factors in, the first by the probabilities (one gather of their ``matrix``
    rows, one addition of each trial's weight and one ``numpy.multiply.reduce`` over all
    texts). A trial that needs more draws than it holds gets the next ones
    (:meth:`_refill`); the last few texts finish one at a time (:meth:`_alone`), where a
    step would cost more than their blocks. Memory per text: ``capacity`` n-gram numbers and
    a few rows of 55 doubles (about 2 KB)."""

    tail = 4  # running texts at or below which each finishes alone (:meth:`_alone`)
    capacity = 80  # draws held per trial at a time: a clear abstract's trial needs about 60

    def __init__(self, flat: np.ndarray, sizes: list[int], matrix: np.ndarray, seed: int,
                 trials: int, languages: int):
        from langdetect.detector import Detector

        self.flat, self.sizes = flat, sizes
        self.matrix, self.seed, self.words = matrix, seed, _stream(seed)
        self.trials, self.languages = trials, languages
        self.limit, self.conv = Detector.ITERATION_LIMIT, Detector.CONV_THRESHOLD
        self.alpha, self.width, self.base = (Detector.ALPHA_DEFAULT, Detector.ALPHA_WIDTH,
                                             Detector.BASE_FREQ)
        count = len(sizes)
        self.starts = np.cumsum([0] + self.sizes[:-1]).astype(np.int64)  # of each in flat
        #: matrix rows (n-gram numbers) of the draws held for each text's trial
        self.gids = np.empty((count, self.capacity), np.int64)
        self.prob = np.empty((count, languages))  # the current trial's probabilities
        self.at = [0] * count  # the text's next word of the stream
        self.spare: list[float | None] = [None] * count  # gauss()'s second value
        self.weight = np.zeros(count)  # alpha / BASE_FREQ of the current trial
        self.trial = [0] * count  # trials done
        self.used = np.zeros(count, np.int64)  # draws multiplied in, in the current trial
        self.offset = np.zeros(count, np.int64)  # the draw of the first row held
        self.positions: list = [None] * count  # stream positions of the trial's draws held
        self.langprob = np.zeros((count, languages))
        self.failed: set[int] = set()

    def _start(self, texts: list[int]) -> np.ndarray:
        """Start the next trial of each of ``texts``, its first draw multiplied in; return
        those started (not past the stream)."""
        started, picked, weights = [], [], []
        for n in texts:
            if self.spare[n] is None:
                if self.at[n] + 4 > len(self.words):
                    self.failed.add(n)
                    continue
                z, self.spare[n] = _gauss_at(self.seed, self.at[n], self.words)
                self.at[n] += 4
            else:
                z, self.spare[n] = self.spare[n], None
            weight = self.weight[n] = (self.alpha + (0.0 + z * 1.0) * self.width) / self.base
            found = _first_draws(self.seed, self.at[n], self.sizes[n], self.capacity,
                                 self.words)
            if found is None:
                self.failed.add(n)
                continue
            self.positions[n], picks = found
            started.append(n)
            picked.append(picks)
            weights.append(weight)
        chosen = np.array(started, np.int64)
        if started:
            # each text's picks (positions in its n-gram list) in the flat list of all texts'
            where = np.concatenate(picked) + np.repeat(self.starts[chosen], self.capacity)
            gids = self.flat[where].reshape(len(started), self.capacity)
            self.gids[chosen] = gids
            # langdetect: prob[i] *= weight + p(n-gram | language), from 1 / languages
            first = self.matrix[gids[:, 0]]
            first += np.array(weights)[:, None]
            self.prob[chosen] = np.full(self.languages, 1.0 / self.languages) * first
            self.used[chosen] = 1
            self.offset[chosen] = 0
        return chosen

    def _finish(self, texts: np.ndarray, prob: np.ndarray) -> np.ndarray:
        """End the current trial of each of ``texts`` with its normalised probabilities (the
        rows of ``prob``) and start the next; return those started."""
        self.langprob[texts] += prob / self.trials  # langdetect: langprob[j] += prob[j] / n_trial
        going = []
        for n in texts.tolist():
            self.at[n] = int(self.positions[n][self.used[n] - self.offset[n] - 1]) + 1
            self.trial[n] += 1
            if self.trial[n] < self.trials:
                going.append(n)
        return self._start(going)

    def _refill(self, n: int) -> bool:
        """Hold the n-gram numbers of text ``n``'s next :attr:`capacity` draws, from its draw
        ``used`` on (its trial goes on past the draws held); False past the stream."""
        used = int(self.used[n])
        found = _first_draws(self.seed, self.at[n], self.sizes[n], used + self.capacity,
                             self.words)
        if found is None:
            self.failed.add(n)
            return False
        positions, picks = found
        self.positions[n] = positions[used:]
        self.gids[n] = self.flat[self.starts[n] + picks[used:]]
        self.offset[n] = used
        return True

    def _alone(self, n: int) -> None:
        """Text ``n``'s trials from its current state (probabilities to normalise) to its
        last, without the others: one block at a time."""
        conv, limit, capacity = self.conv, self.limit, self.capacity
        prob = self.prob[n].copy()
        while True:
            values = prob.tolist()
            total = sum(values)  # Python's, as langdetect's
            if not total:
                raise ZeroDivisionError("float division by zero")  # as langdetect would
            prob /= total
            used = int(self.used[n])
            if max(values) / total > conv or used - 1 >= limit:
                if not len(self._finish(np.array([n]), prob[None, :])):
                    return
                prob = self.prob[n].copy()
                continue
            if used - self.offset[n] + 5 > capacity and not self._refill(n):
                return
            at = used - int(self.offset[n])
            block = self.matrix[self.gids[n, at:at + 5]]
            block += self.weight[n]
            block[0] *= prob
            prob = np.multiply.reduce(block)
            self.used[n] = used + 5

    def run(self) -> list[list[float] | None]:
        """Each text's mean of its trials' probabilities (None for a text this class could
        not run: langdetect's loop does)."""
        count = len(self.sizes)
        running = self._start(list(range(count)))
        used, offset = self.used, self.offset
        conv, limit, capacity = self.conv, self.limit, self.capacity
        five = np.arange(5)
        while len(running):
            prob = self.prob[running]
            totals = _row_sums(prob)
            if not totals.all():
                raise ZeroDivisionError("float division by zero")  # as langdetect would
            # the maximum of each row divided by its total is the maximum of the divided row
            done = (prob.max(axis=1) / totals > conv) | (used[running] - 1 >= limit)
            prob /= totals[:, None]
            restarted = self._finish(running[done], prob[done]) if done.any() else None
            going = ~done
            for slot in np.flatnonzero(going & (used[running] - offset[running] + 5 > capacity)):
                if not self._refill(int(running[slot])):
                    going[slot] = False  # past the stream: failed
            texts = running[going]
            if len(texts):
                block = self.matrix[self.gids[texts[:, None],
                                              (used[texts] - offset[texts])[:, None] + five]]
                block += self.weight[texts][:, None, None]
                block[:, 0] *= prob[going]
                self.prob[texts] = np.multiply.reduce(block, axis=1)
                used[texts] += 5
            if restarted is not None and len(restarted):
                texts = np.sort(np.concatenate((texts, restarted)))
            running = texts
            if 0 < len(running) <= self.tail:  # a step costs more than these texts' blocks
                for n in running.tolist():
                    self._alone(n)
                break
        return [None if n in self.failed else self.langprob[n].tolist() for n in range(count)]


def _sequential_sum() -> bool:
    """Whether Python's ``sum`` of floats adds them one by one, left to right (CPython before
    3.12; 3.12 and later compensate the rounding)."""
    return sum([1e16, 1.0, -1e16]) == 0.0


_SEQUENTIAL = _sequential_sum()


def _row_sums(prob: np.ndarray) -> np.ndarray:
    """Python's ``sum`` of each row of ``prob``, as langdetect takes it: a running sum (the
    last of ``numpy.cumsum``, which adds one by one) where Python adds one by one, else
    Python's own sum of each row."""
    if _SEQUENTIAL:
        return np.cumsum(prob, axis=1)[:, -1]
    return np.array([sum(row) for row in prob.tolist()])
