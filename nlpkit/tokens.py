"""Tokens with exact character offsets into the text they came from.

A tokenizer returns :class:`Tokens`: a read-only sequence of :class:`Token` stored
column-wise (texts, starts, ends, tags). Building one ``Token`` object per word on
top of jieba cost up to 16% of its throughput (benchmarks/bench_jieba.py), columns
keep nlpkit level with raw ``jieba.lcut``, and encoders only need ``texts`` anyway.
``Token`` objects are made when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import accumulate, compress
from typing import NamedTuple, overload

#: Whether a text holds whitespace (``\s`` is what ``str.isspace`` calls whitespace).
_has_space = re.compile(r"\s").search


class Token(NamedTuple):
    """One token: ``text == source[start:end]``; ``tag`` is an optional label (POS)."""

    text: str
    start: int
    end: int
    tag: str | None = None


class Tokens(Sequence[Token]):
    """The tokens of one text, in order, with the text they index into."""

    __slots__ = ("ends", "starts", "tags", "text", "texts")

    def __init__(
        self,
        text: str,
        texts: list[str],
        starts: list[int],
        ends: list[int],
        tags: list[str] | None = None,
    ) -> None:
        self.text = text
        self.texts = texts
        self.starts = starts
        self.ends = ends
        self.tags = tags

    @classmethod
    def from_words(
        cls, text: str, words: list[str], tags: list[str] | None = None, keep_whitespace: bool = False
    ) -> Tokens:
        """Tokens from words that, concatenated, are exactly ``text`` (jieba, char).

        Whitespace-only words are dropped unless ``keep_whitespace``; offsets stay exact.
        """
        n = len(words)
        if n == len(text) and "" not in words and (keep_whitespace or not _has_space(text)):
            return cls(text, words, list(range(n)), list(range(1, n + 1)), tags)  # one character a word
        ends = list(accumulate(map(len, words)))
        if not keep_whitespace:
            spaces = list(map(str.isspace, words))
            if any(spaces):
                keep = [not s for s in spaces]
                words = list(compress(words, keep))
                ends = list(compress(ends, keep))
                tags = list(compress(tags, keep)) if tags is not None else None
        starts = [e - len(w) for w, e in zip(words, ends)]
        return cls(text, words, starts, ends, tags)

    @classmethod
    def from_tokens(cls, text: str, tokens: Sequence[tuple]) -> Tokens:
        """Tokens from ``Token`` objects or ``(text, start, end[, tag])`` tuples."""
        tokens = [Token(*t) for t in tokens]
        has_tags = any(t.tag is not None for t in tokens)
        return cls(
            text,
            [t.text for t in tokens],
            [t.start for t in tokens],
            [t.end for t in tokens],
            [t.tag for t in tokens] if has_tags else None,
        )

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, index: int) -> Token: ...
    @overload
    def __getitem__(self, index: slice) -> Tokens: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            tags = self.tags[index] if self.tags is not None else None
            return Tokens(self.text, self.texts[index], self.starts[index], self.ends[index], tags)
        tag = self.tags[index] if self.tags is not None else None
        return Token(self.texts[index], self.starts[index], self.ends[index], tag)

    def __iter__(self) -> Iterator[Token]:
        tags = self.tags if self.tags is not None else [None] * len(self.texts)
        return map(Token, self.texts, self.starts, self.ends, tags)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tokens):
            return (self.texts, self.starts, self.ends, self.tags) == (
                other.texts, other.starts, other.ends, other.tags,
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == [Token(*t) for t in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside

    def __repr__(self) -> str:
        return f"Tokens({list(self)!r})"

    def gaps(self) -> list[str]:
        """The text between tokens: ``len(self) + 1`` strings, before, between and after."""
        bounds = [0, *[x for pair in zip(self.starts, self.ends) for x in pair], len(self.text)]
        return [self.text[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]

    def to_dicts(self) -> list[dict]:
        """JSON-ready dicts ``{"text", "start", "end"[, "tag"]}``, one per token."""
        if self.tags is None:
            return [{"text": w, "start": s, "end": e} for w, s, e in zip(self.texts, self.starts, self.ends)]
        return [
            {"text": w, "start": s, "end": e, "tag": t}
            for w, s, e, t in zip(self.texts, self.starts, self.ends, self.tags)
        ]
