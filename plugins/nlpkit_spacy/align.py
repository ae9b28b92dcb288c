"""nlpkit's character offsets on a spaCy Doc's tokens, and a Doc built from nlpkit's tokens.

nlpkit results carry exact character offsets into the text; a Doc has its own tokens.
Entities become spans through ``Doc.char_span`` (an entity whose boundaries fall inside a
Doc token follows the alignment mode, as spaCy defines it); tags go to each Doc token
from the nlpkit token that covers its first character.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

#: How ``Doc.char_span`` treats a boundary inside a token: drop the span, keep the tokens
#: wholly inside it, or take the tokens it touches.
ALIGNMENT_MODES = ("strict", "contract", "expand")

_RUNS = re.compile(r"\s+|\S+")


def entity_spans(doc: Any, entities: Sequence[Any], mode: str) -> tuple[list[Any], list[Any]]:
    """The entities (each with ``start``, ``end``, ``label``) as labelled spans of ``doc``,
    and those left out: the ones that do not align in ``mode`` (or align to no token), and,
    in ``expand`` mode, one that would share a token with the span before it."""
    spans: list[Any] = []
    left_out: list[Any] = []
    taken = 0  # the first token no kept span covers
    for entity in entities:
        span = doc.char_span(entity.start, entity.end, label=entity.label, alignment_mode=mode)
        if span is None or not len(span) or span.start < taken:
            left_out.append(entity)
            continue
        spans.append(span)
        taken = span.end
    return spans, left_out


def token_owners(doc: Any, starts: Sequence[int], ends: Sequence[int]) -> list[int | None]:
    """For each Doc token, the index of the nlpkit token ``[starts[i], ends[i])`` that covers
    its first character, or ``None`` (whitespace, or a character no nlpkit token holds)."""
    owners: list[int | None] = []
    for token in doc:
        i = bisect_right(starts, token.idx) - 1
        owners.append(i if i >= 0 and token.idx < ends[i] else None)
    return owners


def words_and_spaces(text: str, starts: Sequence[int], ends: Sequence[int]) -> tuple[list[str], list[bool]]:
    """The ``words`` and ``spaces`` of a Doc whose text is exactly ``text``, from nlpkit
    tokens at ``[starts[i], ends[i])``. The text between tokens is laid out as spaCy's own
    tokenizer lays it out: one space after a word is that word's trailing space, and any
    other whitespace run is a token of its own (so is text no nlpkit token covers)."""
    words: list[str] = []
    spaces: list[bool] = []
    position = 0
    for start, end in zip(starts, ends):
        if start > position:
            _add_gap(text[position:start], words, spaces)
        words.append(text[start:end])
        spaces.append(False)
        position = end
    if position < len(text):
        _add_gap(text[position:], words, spaces)
    return words, spaces


def _add_gap(gap: str, words: list[str], spaces: list[bool]) -> None:
    if gap == " " and words and not spaces[-1] and not words[-1].isspace():
        spaces[-1] = True  # the common case, first
        return
    for run in _RUNS.findall(gap):
        piece = run
        if run[0] == " " and words and not spaces[-1] and not words[-1].isspace():
            spaces[-1] = True
            piece = run[1:]
        if piece:
            words.append(piece)
            spaces.append(False)
