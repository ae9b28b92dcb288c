"""nlpkit-sentences: the ``sentence`` tokenizer, whose tokens are sentences.

A worked example of a third-party nlpkit plugin. The distribution lists this
module under the ``nlpkit`` entry-point group (see pyproject.toml); nlpkit
imports it and calls :func:`register_tokenizers`, :func:`register_models` (the
``bag-of-embeddings`` classifier of :mod:`.bag`) and :func:`register_pipelines`
(a pretrained pipeline shipped as package data, ``example-surnames``). Then::

    $ nlpkit tokenize -t sentence "我来到北京。你呢？Fine, thanks. Bye!"
    我来到北京。 你呢？ Fine, thanks. Bye!

>>> import nlpkit
>>> nlpkit.tokenize("Hi there. How are you?", tokenizer="sentence").texts
['Hi there.', 'How are you?']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from importlib.resources import files

from nlpkit import Tokenizer, Tokens, hookimpl
from nlpkit.errors import OptionError
from nlpkit.pretrained import read_card

__version__ = "0.1.0"

#: Characters that end a sentence. A run of them ("?!", "……", "...") ends one sentence.
TERMINATORS = "。！？!?.；…"
#: Closing quotes and brackets that stay with the sentence they close: 他说：“好。”
CLOSERS = "\"'”’)]}）］｝」』】〕〗》〉"
#: Words that a lone "." follows without ending the sentence ("Mr. Smith"); case-sensitive.
ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "vs", "e.g", "i.e")


class SentenceTokenizer(Tokenizer):
    """Splits text into sentences with exact character offsets.

    A sentence ends after a run of ``terminators`` plus any ``closers`` that
    follow it, when the next character is whitespace, the end of the text, or a
    wide (CJK) letter, or when the run holds a wide terminator such as 。 or ！.
    So "3.50" and "example.com" stay whole, while "你好。我很好" splits in two.
    A lone "." after one of ``abbreviations`` does not end a sentence.
    Whitespace around sentences is not part of any token.
    """

    name = "sentence"

    def __init__(
        self,
        *,
        terminators: str = TERMINATORS,
        closers: str = CLOSERS,
        abbreviations: tuple[str, ...] = ABBREVIATIONS,
    ) -> None:
        if not terminators:
            raise OptionError(
                "Tokenizer 'sentence' option 'terminators' is empty: give the characters "
                "that end a sentence, e.g. -O terminators='.!?'."
            )
        self.terminators = terminators
        self.closers = closers
        self.abbreviations = tuple(abbreviations)
        self._runs = re.compile(f"({_char_class(terminators)}+)({_char_class(closers)}*)")

    def tokenize(self, text: str) -> Tokens:
        texts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        begin = 0
        for boundary in [*self._boundaries(text), len(text)]:
            if boundary <= begin:
                continue
            start, end = _strip(text, begin, boundary)
            if end > start:
                texts.append(text[start:end])
                starts.append(start)
                ends.append(end)
            begin = boundary
        return Tokens(text, texts, starts, ends)

    def _boundaries(self, text: str) -> Iterator[int]:
        """Offsets just after each sentence end, in increasing order."""
        for run in self._runs.finditer(text):
            end = _skip_marks(text, run.end())
            if self._ends_sentence(text, run, end):
                yield end

    def _ends_sentence(self, text: str, run: re.Match[str], end: int) -> bool:
        terminators, closers = run.group(1), run.group(2)
        if terminators == "." and not closers and self._after_abbreviation(text, run.start()):
            return False
        if end == len(text) or text[end].isspace():
            return True
        return any(map(_is_wide, terminators)) or (_is_wide(text[end]) and text[end].isalpha())

    def _after_abbreviation(self, text: str, dot: int) -> bool:
        """Whether a whole word from ``abbreviations`` ends just before offset ``dot``."""
        for word in self.abbreviations:
            begin = dot - len(word)
            if begin >= 0 and text.startswith(word, begin) and (begin == 0 or not text[begin - 1].isalnum()):
                return True
        return False


def _char_class(chars: str) -> str:
    """A regular-expression class matching any of ``chars``, or nothing if empty."""
    return f"[{''.join(map(re.escape, chars))}]" if chars else r"[^\s\S]"


def _skip_marks(text: str, i: int) -> int:
    """The offset after any combining marks at ``i``: a sentence never splits a character."""
    while i < len(text) and unicodedata.category(text[i]).startswith("M"):
        i += 1
    return i


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` moved inwards past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(SentenceTokenizer, aliases=("sentences",))


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    """``bag-of-embeddings`` (:mod:`.bag`), by import path: torch is imported only when it is used."""
    register(f"{__name__}.bag:BagOfEmbeddings", name="bag-of-embeddings")


@hookimpl
def register_pipelines(register):  # type: ignore[no-untyped-def]
    """``example-surnames``: the pipeline build_pipeline.py wrote, registered from its card."""
    register(**read_card(files(__package__) / "pipelines" / "surnames"))
