"""Readers for token-per-line column formats: CoNLL (CoNLL-2003, WNUT-17) and BMES.

A blank line (or one holding only whitespace) ends a sentence. A line holding a
TAB is split on TABs (fields kept exactly, so tokens may hold spaces); any other
line is split on runs of whitespace. Every token line of a file must have as many
columns as the first one.

Column names (``Example.tags`` keys) for ``conll``: column 0 is the token and
the **last column is always** ``ner``; the ones between are named by the column
count, after the CoNLL shared tasks:

- 2 columns: ``ner`` (WNUT-17 ``token<TAB>tag``)
- 3 columns: ``pos``, ``ner`` (CoNLL-2002)
- 4 columns: ``pos``, ``chunk``, ``ner`` (CoNLL-2003 English ``word POS chunk NER``)
- 5 columns: ``lemma``, ``pos``, ``chunk``, ``ner`` (CoNLL-2003 German)
- 6 or more: ``col1`` ... ``col{N-2}``, ``ner``

A file with a single column (no tag) is an error.

``bmes`` has exactly two columns, ``char tag``, the tag column named ``tag``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from nlpkit.corpus import Example
from nlpkit.errors import InputError

from ._lines import Numbered, blocks, where

DOCSTART = "-DOCSTART-"

_CONLL_NAMES = {
    2: ("ner",),
    3: ("pos", "ner"),
    4: ("pos", "chunk", "ner"),
    5: ("lemma", "pos", "chunk", "ner"),
}


def conll_column_names(count: int) -> tuple[str, ...]:
    """The tag names of a ``conll`` file with ``count`` columns (token included)."""
    if count in _CONLL_NAMES:
        return _CONLL_NAMES[count]
    return (*(f"col{i}" for i in range(1, count - 1)), "ner")


def read_conll(path: Path) -> Iterator[Example]:
    """CoNLL columns: one token per line, ``-DOCSTART-`` lines skipped. See the module doc."""
    return _ColumnReader(path, conll_column_names, "TOKEN TAG [TAG ...]").read()


def read_bmes(path: Path) -> Iterator[Example]:
    """One ``char tag`` per line, blank line between sentences: ``tags={"tag": ...}``."""
    return _ColumnReader(path, _bmes_names, "CHAR TAG").read()


def _bmes_names(count: int) -> tuple[str, ...]:
    return ("tag",) if count == 2 else ()


@dataclass
class _ColumnReader:
    """Reads one column file, checking every line against the first line's width."""

    path: Path
    names_for: Callable[[int], tuple[str, ...]]
    expected: str
    width: int = 0
    width_line: int = 0

    def read(self) -> Iterator[Example]:
        for block in blocks(self.path):
            rows = [(number, fields) for number, fields in map(self._fields, block) if fields[0] != DOCSTART]
            if rows:
                yield self._sentence(rows)

    def _fields(self, numbered: Numbered) -> tuple[int, list[str]]:
        number, line = numbered
        fields = line.split("\t") if "\t" in line else line.split()
        if "" in fields:
            self._fail(number, f"column {fields.index('') + 1} is empty")
        if fields[0] != DOCSTART:
            self._check_width(number, len(fields))
        return number, fields

    def _check_width(self, number: int, count: int) -> None:
        if not self.width:
            if not self.names_for(count) or count < 2:
                self._fail(number, f"found {count} column{'s' * (count != 1)}")
            self.width, self.width_line = count, number
        elif count != self.width:
            self._fail(number, f"found {count} columns, but line {self.width_line} has {self.width}; "
                               "every token line of a file needs the same columns")

    def _sentence(self, rows: list[tuple[int, list[str]]]) -> Example:
        columns = list(zip(*(fields for _, fields in rows)))
        tags = dict(zip(self.names_for(self.width), columns[1:]))
        return Example(tokens=columns[0], tags=tags, source=where(self.path, rows[0][0]))

    def _fail(self, number: int, found: str) -> NoReturn:
        raise InputError(f"expected '{self.expected}' columns separated by TABs or spaces; {found}",
                         str(self.path), number)
