"""The :class:`Tokenizer` base class every tokenizer plugin implements."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from .component import Component
from .parallel import batched, ordered_map
from .tokens import Tokens


class Tokenizer(Component, ABC):
    """Splits text into :class:`~nlpkit.tokens.Tokens` with exact character offsets.

    Subclasses set ``name`` (the registry name), take their options as keyword
    arguments stored under the same attribute names, and implement ``tokenize``.
    Instances must be safe to call from several threads once built.
    """

    #: True when tokens may overlap (jieba's full and search modes); then the
    #: gaps between tokens do not rebuild the text.
    overlapping: bool = False
    #: Options that name files the tokenizer reads (a path, or a tuple of paths): a saved
    #: pipeline keeps copies of them, so it still loads after the originals move.
    file_options: tuple[str, ...] = ()

    @abstractmethod
    def tokenize(self, text: str) -> Tokens:
        """Tokenize one text; ``text[t.start:t.end] == t.text`` for every token."""

    def tokenize_batch(self, texts: list[str]) -> list[Tokens]:
        """Tokenize a batch; override where the backend has a faster batch path."""
        return [self.tokenize(t) for t in texts]

    def __call__(self, text: str) -> Tokens:
        return self.tokenize(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000, n_process: int = 1) -> Iterator[Tokens]:
        """Tokenize a stream of texts lazily, in input order, on ``n_process`` processes."""
        for tokenized in ordered_map(self.tokenize_batch, batched(texts, batch_size), n_process):
            yield from tokenized

    def __reduce__(self) -> tuple:
        # Rebuild from options: backends such as jieba hold unpicklable state.
        return (functools.partial(type(self), **self.config()), ())

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({options})"
