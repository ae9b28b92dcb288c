"""Lexicon features: which dictionary words each token begins, continues, ends or is.

Character taggers for Chinese see no word boundaries; a lexicon (jieba's dictionary, the
words of a segmented corpus) gives them back as features, the "softword" and
"ExSoftword" features of Zhang & Yang (2018) and Ma et al. (2020): for every token the set
of roles (B, M, E, S) it plays in the lexicon words that match the sentence, plus the
length of the longest word starting and ending at it; and optionally the matched words
themselves, per role (the word sets of SoftLexicon, Ma et al. 2020).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Literal

import numpy as np

from nlpkit.errors import InputError
from nlpkit.io import atomic_write, read_lines

from .codes import BITS, CodeTable, string_codes

LexiconFormat = Literal["words", "segmented"]

#: Word lengths (in tokens) at or above this share one length id.
LONGEST = 8
#: Feature ids: 0 pads; role sets take 1..16; start lengths and end lengths follow.
ROLE_BASE, START_BASE = 1, 17
END_BASE = START_BASE + LONGEST + 1
#: How many distinct feature ids there are (the embedding's rows).
NUM_IDS = END_BASE + LONGEST + 1
B, M, E, S = 1, 2, 4, 8
_WORD, _PREFIX = 1, 2
#: The first line of a lexicon saved with its match table (a control character no word has).
TABLE_HEADER = "\x1fnlpkit lexicon table 1"
#: The words kept per role set and token (the longest first).
WORDS_PER_SET = 4


class Lexicon:
    """A set of words matched against token sequences, longest words included."""

    def __init__(self, words: Iterable[str], table: dict[str, int] | None = None) -> None:
        self.words = frozenset(words) - {""}
        #: text -> _WORD | _PREFIX bits: one lookup per step of the match loop.
        self._table = table if table is not None else _match_table(self.words)
        self._firsts: dict[str, int] | None = None  # the one-character entries, built on first use
        self._codes: tuple[CodeTable, CodeTable, CodeTable] | None = None

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def read(cls, path: str | Path, fmt: LexiconFormat = "words") -> Lexicon:
        """``words``: the first field of each line is a word (a frequency or tag after it,
        as in jieba's dictionaries, is ignored); ``segmented``: every whitespace-separated
        field of every line is a word (a word-segmented corpus)."""
        text = _read_text(Path(path))
        if text.startswith(TABLE_HEADER):
            return _from_table(text)
        words = _fields(text, fmt)
        if not words:
            raise InputError("the lexicon holds no words: give a file with one word per line "
                             "(lexicon_format = \"words\") or segmented text (\"segmented\").", str(path))
        return cls(words)

    def save(self, path: Path) -> None:
        """The words with their match table, in three sections (words no longer word
        starts with, words that also begin longer ones, prefixes that are no word), so
        that reading it back builds the table with C-level splits instead of slicing
        every word (a pipeline with jieba's dictionary loads 0.6 s sooner)."""
        table = self._table
        sections = [sorted(w for w, bits in table.items() if bits == part) for part in (_WORD, _WORD | _PREFIX, _PREFIX)]
        with atomic_write(path) as stream:
            stream.write(TABLE_HEADER + "\n" + "\n\n".join("\n".join(section) for section in sections) + "\n")

    def spans(self, tokens: Sequence[str]) -> Iterator[tuple[int, int, str]]:
        """``(first, last, word)`` for every lexicon word the tokens spell (``last``
        inclusive), found by extending each start only while the text is a word prefix."""
        table, n = self._table, len(tokens)
        for i in range(n):
            text, j = tokens[i], i
            while True:
                found = table.get(text, 0)
                if found & _WORD:
                    yield i, j, text
                j += 1
                if j == n or not found & _PREFIX:
                    break
                text += tokens[j]

    def features(self, tokens: Sequence[str]) -> list[list[int]]:
        """Per token ``[role set id, longest-start id, longest-end id]``."""
        return self.feature_array(tokens).tolist()

    def feature_array(self, tokens: Sequence[str]) -> np.ndarray:
        """:meth:`features` as an int64 array ``[tokens, 3]``. It runs on every text
        predicted, so the match loop only notes each token's longest word starting and
        ending there (one-token words looked up in a small table of their own, which stays
        in cache), and the roles follow in one pass: a token is inside a word (M) when
        some earlier start's longest word reaches past it."""
        n = len(tokens)
        one_char = n and max(map(len, tokens)) == 1
        firsts = list(map((self._first_bits() if one_char else self._table).get, tokens, repeat(0)))
        starts, ends = self._longest(tokens, firsts)
        roles, reach = [0] * n, 0  # reach: the last token of the furthest word begun so far
        for k in range(n):
            single, start, end = firsts[k] & _WORD, starts[k], ends[k]
            role = S if single else 0
            if start > 1:
                role |= B
            elif single:
                starts[k] = 1
            if end > 1:
                role |= E
            elif single:
                ends[k] = 1
            if reach > k:
                role |= M
            if k + start - 1 > reach:
                reach = k + start - 1
            roles[k] = role
        out = np.array((roles, starts, ends), dtype=np.int64).T  # shape: [tokens, 3]
        np.minimum(out[:, 1:], LONGEST, out=out[:, 1:])
        return out + (ROLE_BASE, START_BASE, END_BASE)

    def batch_feature_arrays(self, text: str, points: np.ndarray, lengths: Sequence[int]) -> list[np.ndarray]:
        """:meth:`feature_array` of every sentence of a batch whose tokens are single code
        points (``text``: all of them run together, ``points``: their code points,
        ``lengths``: tokens per sentence, none 0): the words of one to three tokens looked
        up for the whole batch at once (see :mod:`nlpkit_vocab.codes`), longer ones by
        walking on from the three-token prefixes."""
        ones, twos, threes = self._code_tables()
        size = len(points)
        stops = np.cumsum(lengths)
        left = np.repeat(stops, lengths) - np.arange(size)  # tokens from each to its sentence's end
        bits1 = ones.get(points)
        pairs = points.copy()
        pairs[:-1] |= points[1:] << BITS
        bits2 = _looked_up(twos, pairs, (left >= 2) & (bits1 & _PREFIX > 0))
        triples = pairs.copy()
        triples[:-2] |= points[2:] << (2 * BITS)
        bits3 = _looked_up(threes, triples, (left >= 3) & (bits2 & _PREFIX > 0))
        single = (bits1 & _WORD).astype(np.int64)
        starts = np.where(bits3 & _WORD, 3, np.where(bits2 & _WORD, 2, single))
        ends = single.copy()
        ends[1:] = np.where(bits2[:-1] & _WORD, 2, ends[1:])
        ends[2:] = np.where(bits3[:-2] & _WORD, 3, ends[2:])
        for i in np.flatnonzero((left >= 4) & (bits3 & _PREFIX > 0)).tolist():
            self._walk_on(text, i, i + int(left[i]), starts, ends)
        return np.split(_assemble(single, starts, ends), stops[:-1].tolist())

    def _walk_on(self, text: str, i: int, stop: int, starts: np.ndarray, ends: np.ndarray) -> None:
        """The words of four tokens or more starting at ``i`` (before ``stop``), noted in ``starts`` and ``ends``."""
        get, j = self._table.get, i + 3
        while j < stop:
            found = get(text[i:j + 1], 0)
            if found & _WORD:
                length = j - i + 1
                starts[i] = length
                if length > ends[j]:
                    ends[j] = length
            if not found & _PREFIX:
                break
            j += 1

    def _first_bits(self) -> dict[str, int]:
        """The table's one-character entries apart (the look-up made for every token), a
        small dictionary that stays in cache."""
        if self._firsts is None:
            self._firsts = {text: bits for text, bits in self._table.items() if len(text) == 1}
        return self._firsts

    def _code_tables(self) -> tuple[CodeTable, CodeTable, CodeTable]:
        """The table's entries of one, two and three code points as code tables, built on first use."""
        if self._codes is None:
            texts = list(self._table)
            lengths = list(map(len, texts))
            tables = []
            for size in (1, 2, 3):
                sized = list(compress(texts, map(size.__eq__, lengths)))
                bits = list(map(self._table.__getitem__, sized))
                tables.append(CodeTable(string_codes(sized, size), bits, 0, np.uint8))
            self._codes = tables[0], tables[1], tables[2]
        return self._codes

    def _longest(self, tokens: Sequence[str], firsts: list[int]) -> tuple[list[int], list[int]]:
        """Per token the length of the longest word of two tokens or more starting and
        ending at it (0: none), found by extending each start while the text is a prefix."""
        get, n = self._table.get, len(tokens)
        starts, ends = [0] * n, [0] * n
        for i in range(n - 1):
            if not firsts[i] & _PREFIX:
                continue
            text, j = tokens[i], i
            while True:
                j += 1
                text += tokens[j]
                found = get(text, 0)
                if found & _WORD:
                    length = j - i + 1  # the longest word starting here is found last
                    starts[i] = length
                    if length > ends[j]:
                        ends[j] = length
                if j + 1 == n or not found & _PREFIX:
                    break
        return starts, ends

    def word_sets(self, tokens: Sequence[str]) -> list[list[list[str]]]:
        """Per token, the matched words it begins, is inside, ends and is (B, M, E, S),
        each set the :data:`WORDS_PER_SET` longest, longest first."""
        sets: list[list[list[tuple[int, str]]]] = [[[], [], [], []] for _ in tokens]
        for i, j, word in self.spans(tokens):
            length = j - i + 1
            if i == j:
                sets[i][3].append((length, word))
                continue
            sets[i][0].append((length, word))
            sets[j][2].append((length, word))
            for k in range(i + 1, j):
                sets[k][1].append((length, word))
        return [[[w for _, w in sorted(found, key=lambda x: (-x[0], x[1]))[:WORDS_PER_SET]] for found in token]
                for token in sets]


def _looked_up(table: CodeTable, codes: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The table's bits for the codes where ``where`` holds, 0 elsewhere."""
    bits = np.zeros(len(codes), dtype=np.uint8)
    at = np.flatnonzero(where)
    bits[at] = table.get(codes[at])
    return bits


def _assemble(single: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Feature ids ``[tokens, 3]`` from whether each token is a word and the longest words
    starting and ending at it: B and E where those are longer than one token, M where an
    earlier token's longest word reaches past it."""
    size = len(single)
    reach = np.maximum.accumulate(np.arange(-1, size - 1) + starts)  # the last token of the furthest word begun
    out = np.empty((size, 3), dtype=np.int64)  # shape: [tokens, 3]
    out[:, 0] = single * S + (starts >= 2) * B + (ends >= 2) * E + ROLE_BASE
    out[1:, 0] += (reach[:-1] > np.arange(1, size)) * M
    out[:, 1] = np.minimum(starts, LONGEST) + START_BASE
    out[:, 2] = np.minimum(ends, LONGEST) + END_BASE
    return out


def _read_text(path: Path) -> str:
    """The whole file, decoded at once; line by line only to name the line of a decoding error."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        for _ in read_lines(path):  # raises InputError naming the file, line and byte
            pass
        raise
    except OSError as exc:
        raise InputError(f"cannot read the lexicon: {exc.strerror or exc}", str(path)) from None


def _fields(text: str, fmt: LexiconFormat) -> set[str]:
    """The words of a lexicon file's text: every field (segmented text), or the first of each line."""
    if fmt == "segmented" or not any(c in text for c in " \t\f\v"):
        return set(text.split())  # one word a line, or every field
    return {fields[0] for fields in map(str.split, text.splitlines()) if fields}


def _from_table(text: str) -> Lexicon:
    """A lexicon saved by :meth:`Lexicon.save`: its table read back with splits alone."""
    plain, prefixing, prefixes = (part.split("\n") if part else [] for part in
                                  text[len(TABLE_HEADER) + 1:].rstrip("\n").split("\n\n"))
    table = dict.fromkeys(prefixes, _PREFIX)
    table.update(dict.fromkeys(plain, _WORD))
    table.update(dict.fromkeys(prefixing, _WORD | _PREFIX))
    return Lexicon(plain + prefixing, table)


def _match_table(words: frozenset[str]) -> dict[str, int]:
    """Every word and every proper prefix of one, with its _WORD / _PREFIX bits, built with
    C-level slicing: the words sorted by length, and for each length the prefixes of the
    words longer than it."""
    ordered = sorted(words, key=len)
    lengths = list(map(len, ordered))
    prefixes: set[str] = set()
    for size in range(1, lengths[-1] if lengths else 0):
        prefixes.update(map(itemgetter(slice(0, size)), islice(ordered, bisect_right(lengths, size), None)))
    table = dict.fromkeys(prefixes, _PREFIX)
    table.update(dict.fromkeys(words - prefixes, _WORD))
    table.update(dict.fromkeys(words & prefixes, _WORD | _PREFIX))
    return table
