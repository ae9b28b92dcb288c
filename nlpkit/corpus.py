"""Corpora as :class:`Example` records, read by the first plugin that knows the format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, UsageError

#: The format ids used by the corpus manifest and the built-in readers.
FORMATS = ("conll", "conllu", "bmes", "segmented", "label-tab-text", "folder-per-class", "plain-text")


@dataclass(frozen=True)
class Example:
    """One training or test item.

    ``text`` is raw text (classification, language modelling); ``tokens`` are given
    words when the corpus is pre-tokenised (CoNLL); ``label`` is a class; ``tags``
    holds per-token label columns by name (``upos``, ``xpos``, ``ner``...).
    ``source`` is ``file:line`` for error messages.
    """

    text: str | None = None
    tokens: tuple[str, ...] | None = None
    label: str | None = None
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""


def read_corpus(path: str | Path, format: str) -> list[Example]:
    """Read a corpus with the first plugin whose ``read_corpus`` hook knows ``format``."""
    from .plugins import plugin_manager

    path = Path(path)
    if not path.exists():
        raise InputError("corpus not found", str(path))
    examples = plugin_manager().hook.read_corpus(path=path, format=format)
    if examples is None:
        raise UsageError(
            f"No installed plugin reads corpus format '{format}'. Built-in formats: {', '.join(FORMATS)}."
        )
    examples = list(examples)
    if not examples:
        raise InputError("the corpus is empty: no examples found", str(path))
    return examples
