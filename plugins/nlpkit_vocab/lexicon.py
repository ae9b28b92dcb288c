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
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Literal

import numpy as np

from nlpkit.errors import InputError
from nlpkit.io import atomic_write, read_lines

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
        """:meth:`features` as an int64 array ``[tokens, 3]``: the matching loop of
        :meth:`spans` with the marking inlined, as it runs on every text predicted, and no
        list per token (thousands of small lists a batch keep the garbage collector busy)."""
        table, n = self._table, len(tokens)
        roles, starts, ends = [0] * n, [0] * n, [0] * n
        for i in range(n):
            text, j = tokens[i], i
            while True:
                found = table.get(text, 0)
                if found & _WORD:
                    if i == j:
                        roles[i] |= S
                    else:
                        roles[i] |= B
                        roles[j] |= E
                        for k in range(i + 1, j):
                            roles[k] |= M
                    length = j - i + 1  # the longest word starting here is found last
                    starts[i] = length
                    if length > ends[j]:
                        ends[j] = length
                j += 1
                if j == n or not found & _PREFIX:
                    break
                text += tokens[j]
        out = np.empty((n, 3), dtype=np.int64)  # shape: [tokens, 3]
        out[:, 0] = roles
        out[:, 1] = starts
        out[:, 2] = ends
        np.minimum(out[:, 1:], LONGEST, out=out[:, 1:])
        return out + (ROLE_BASE, START_BASE, END_BASE)

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
