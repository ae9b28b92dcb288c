"""The ``char`` tokenizer: one token per character, or per grapheme cluster."""

from __future__ import annotations

from nlpkit import Tokenizer, Tokens, hookimpl


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


def _grapheme_findall():  # type: ignore[no-untyped-def]
    import regex

    return regex.compile(r"\X").findall


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(CharTokenizer, aliases=("character",))
