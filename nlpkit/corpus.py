"""Corpora as :class:`Example` records, read by the first plugin that knows the format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, UsageError, did_you_mean


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
    check_format(format)
    examples = plugin_manager().hook.read_corpus(path=path, format=format)
    if examples is None:
        raise UsageError(f"No installed plugin reads corpus format '{format}', though one registers it.")
    examples = list(examples)
    if not examples:
        raise InputError("the corpus is empty: no examples found", str(path))
    return examples


def corpus_formats() -> dict[str, tuple[str, str]]:
    """Every corpus format the installed plugins read: ``name -> (plugin, description)``,
    from their ``register_corpus_formats`` hooks."""
    from .plugins import plugin_manager

    manager, formats = plugin_manager(), {}
    for impl in manager.hook.register_corpus_formats.get_hookimpls():
        def register(name: str, description: str = "", _plugin: str = impl.plugin_name) -> None:
            formats.setdefault(name, (_plugin, description))

        impl.function(register=register)
    return formats


def check_format(format: str) -> None:
    """A :class:`~nlpkit.errors.UsageError` listing the registered formats unless ``format`` is one."""
    known = corpus_formats()
    if format not in known:
        raise UsageError(f"Unknown corpus format '{format}'.{did_you_mean(format, known)} "
                         f"Formats the installed plugins read: {', '.join(sorted(known))}.")
