"""The Python entry points for tokenization: ``get_tokenizer`` and ``tokenize``."""

from __future__ import annotations

import threading
from typing import Any

from .options import check_options, parse_options
from .registry import registry
from .tokenizer import Tokenizer
from .tokens import Tokens

_cache: dict[tuple[str, str], Tokenizer] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 8


def get_tokenizer(name: str = "char", **options: Any) -> Tokenizer:
    """Build a new tokenizer by registry name or alias, e.g. ``get_tokenizer("jieba", mode="search")``,
    or from a trained ``segment`` pipeline, a folder or a pretrained one by name:
    ``get_tokenizer("runs/cws")``, ``get_tokenizer("zh-cws")``
    (a :class:`~nlpkit.pipeline_tokenizer.PipelineTokenizer`; options ``device``, ``batch_size``).

    Unknown names raise :class:`~nlpkit.errors.UnknownComponentError` with close
    matches; unknown options raise :class:`~nlpkit.errors.OptionError`.
    """
    if names_a_pipeline(name):
        from .pipeline_tokenizer import pipeline_tokenizer

        return pipeline_tokenizer(name, options)
    entry = registry("tokenizers").entry(name)
    check_options(entry.cls, options, f"Tokenizer '{entry.name}'")
    return entry.cls(**options)


def tokenizer_from_strings(name: str, option_strings: list[str]) -> Tokenizer:
    """Build a tokenizer from CLI-style ``key=value`` option strings, typed by its signature."""
    if names_a_pipeline(name):
        from .pipeline_tokenizer import PipelineTokenizer, pipeline_tokenizer

        return pipeline_tokenizer(name, parse_options(PipelineTokenizer, option_strings, f"Tokenizer '{name}'"))
    entry = registry("tokenizers").entry(name)
    return entry.cls(**parse_options(entry.cls, option_strings, f"Tokenizer '{entry.name}'"))


def tokenize(text: str, tokenizer: str = "char", **options: Any) -> Tokens:
    """Tokenize one text with a tokenizer that is built once and then reused.

    >>> [t.text for t in tokenize("我来到北京", tokenizer="jieba")]
    ['我', '来到', '北京']
    """
    key = (tokenizer, repr(sorted(options.items())))
    with _cache_lock:
        tok = _cache.get(key)
    if tok is None:
        tok = get_tokenizer(tokenizer, **options)
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            tok = _cache.setdefault(key, tok)
    return tok.tokenize(text)


def names_a_pipeline(name: str) -> bool:
    """A name that is no registered tokenizer but a pipeline: a folder (a trained one) or
    the name of an installed pretrained pipeline. A registered tokenizer name wins."""
    from pathlib import Path

    from .pretrained import is_path, is_pipeline_name

    if name in registry("tokenizers"):
        return False
    return is_pipeline_name(name) or (is_path(name) and Path(name).expanduser().is_dir())
