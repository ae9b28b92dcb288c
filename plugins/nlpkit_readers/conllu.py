"""Reader for CoNLL-U, the Universal Dependencies format.

A sentence is a run of lines ended by a blank line: comment lines (``#``) first,
then one line per word with 10 TAB-separated columns
``ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC``. Multiword-token ranges
(``3-4``) and empty nodes (``8.1``) are skipped, so ``tokens`` are the syntactic
words; ``tags`` holds their ``upos``, ``xpos`` and ``lemma`` columns as written
(``_`` included). ``text`` is the ``# text = ...`` comment (None without one);
``source`` is the first line of the sentence, comments included. A run of
comments with no word lines is not a sentence and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from nlpkit.corpus import Example
from nlpkit.errors import InputError

from ._lines import Numbered, blocks, where

COLUMNS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
_TEXT = re.compile(r"#\s*text\s*=\s?(.*)")
_WORD = re.compile(r"[1-9][0-9]*")
_RANGE = re.compile(r"[1-9][0-9]*-[1-9][0-9]*")
_EMPTY = re.compile(r"[0-9]+\.[1-9][0-9]*")


def read_conllu(path: Path) -> Iterator[Example]:
    """CoNLL-U sentences as examples; see the module doc."""
    for block in blocks(path):
        example = _sentence(path, block)
        if example is not None:
            yield example


def _sentence(path: Path, block: list[Numbered]) -> Example | None:
    text: str | None = None
    words: list[list[str]] = []
    for number, line in block:
        if line.startswith("#"):
            match = _TEXT.fullmatch(line)
            text = match.group(1) if match else text
        elif _is_word(path, number, fields := line.split("\t")):
            words.append(fields)
    if not words:
        return None
    forms, lemmas, upos, xpos = (tuple(w[i] for w in words) for i in (1, 2, 3, 4))
    tags = {"upos": upos, "xpos": xpos, "lemma": lemmas}
    return Example(text=text, tokens=forms, tags=tags, source=where(path, block[0][0]))


def _is_word(path: Path, number: int, fields: list[str]) -> bool:
    """True for a word line, False for a range or empty node; an error for anything else."""
    if len(fields) != len(COLUMNS):
        raise InputError(_wrong_width(fields), str(path), number)
    word_id = fields[0]
    if _WORD.fullmatch(word_id):
        return True
    if _RANGE.fullmatch(word_id) or _EMPTY.fullmatch(word_id):
        return False
    raise InputError(
        f"expected an integer word ID (1, 2, ...), a multiword range (3-4) or an empty node (8.1) "
        f"in column 1, found {word_id!r}",
        str(path),
        number,
    )


def _wrong_width(fields: list[str]) -> str:
    problem = f"expected 10 TAB-separated columns ({' '.join(COLUMNS)}), found {len(fields)}"
    if len(fields) < len(COLUMNS) and " " in "\t".join(fields).strip():
        problem += " (columns separated by spaces? CoNLL-U needs TABs)"
    return problem
