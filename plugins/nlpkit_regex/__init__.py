"""The ``regex`` and ``whitespace`` tokenizers: tokens are pattern matches."""

from __future__ import annotations

import re

from nlpkit import Tokenizer, Tokens, hookimpl
from nlpkit.errors import OptionError

#: Words (with inner apostrophes and hyphens, "don't", "state-of-the-art"),
#: numbers ("3.14", "1,000"), and any other single grapheme that is not whitespace
#: (punctuation, symbols, whole emoji sequences).
DEFAULT_PATTERN = r"\d+(?:[.,]\d+)*|\w+(?:['’\-]\w+)*|(?!\s)\X"


class RegexTokenizer(Tokenizer):
    """Tokens are the non-empty matches of a pattern (the ``regex`` library's
    syntax, Unicode-aware); the text between matches is skipped."""

    name = "regex"

    def __init__(self, *, pattern: str = DEFAULT_PATTERN) -> None:
        import regex

        self.pattern = pattern
        try:
            self._finditer = regex.compile(pattern).finditer
        except regex.error as exc:
            raise OptionError(f"Tokenizer 'regex' option 'pattern' is not a valid regular expression: {exc}") from None

    def tokenize(self, text: str) -> Tokens:
        texts, starts, ends = [], [], []
        for m in self._finditer(text):
            start, end = m.span()
            if end > start:
                texts.append(m.group())
                starts.append(start)
                ends.append(end)
        return Tokens(text, texts, starts, ends)


class WhitespaceTokenizer(Tokenizer):
    """Tokens are the runs of non-whitespace characters, as ``str.split()`` gives them."""

    name = "whitespace"
    _finditer = re.compile(r"\S+").finditer

    def tokenize(self, text: str) -> Tokens:
        spans = [m.span() for m in self._finditer(text)]
        return Tokens(text, [text[s:e] for s, e in spans], [s for s, _ in spans], [e for _, e in spans])


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(RegexTokenizer)
    register(WhitespaceTokenizer, aliases=("split",))
