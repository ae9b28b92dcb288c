"""The ``char`` tokenizer: one token per character, or per grapheme cluster."""

from __future__ import annotations

import re

from nlpkit import Tokenizer, Tokens, hookimpl

_has_space = re.compile(r"\s").search


class CharTokenizer(Tokenizer):
    """One token per user-perceived character.

    With ``graphemes`` (the default) a base character keeps its combining marks,
    and emoji sequences, flags and CRLF stay whole (Unicode extended grapheme
    clusters, via the ``regex`` library); without it, one token per code point.
    Whitespace is dropped unless ``keep_whitespace``.
    """

    name = "char"

    def __init__(self, *, graphemes: bool = True, keep_whitespace: bool = False) -> None:
        self.graphemes = graphemes
        self.keep_whitespace = keep_whitespace
        self._findall = _grapheme_findall() if graphemes else list

    def tokenize(self, text: str) -> Tokens:
        return Tokens.from_words(text, self._findall(text), keep_whitespace=self.keep_whitespace)

    def tokenize_batch(self, texts: list[str]) -> list[Tokens]:
        """One token per code point with nothing to drop (no whitespace in the batch, or
        ``keep_whitespace``): each text's characters with offsets sliced from one list of
        counts, no per-text checks; otherwise text by text."""
        if self.graphemes or (not self.keep_whitespace and _has_space("".join(texts))):
            return [self.tokenize(t) for t in texts]
        counts = _counts(max(map(len, texts), default=0) + 1)
        return [Tokens(t, list(t), counts[:len(t)], counts[1:len(t) + 1]) for t in texts]


_COUNTS: list[int] = []


def _counts(size: int) -> list[int]:
    """``0, 1, 2, ...``, at least ``size`` of them: offsets copied by slicing rather than made one by one."""
    global _COUNTS
    if len(_COUNTS) < size:
        _COUNTS = list(range(max(size, 2 * len(_COUNTS), 1024)))
    return _COUNTS


def _grapheme_findall():  # type: ignore[no-untyped-def]
    import regex

    return regex.compile(r"\X").findall


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(CharTokenizer, aliases=("character",))
