"""nlpkit: a plugin-based NLP toolkit for Chinese and English.

Importing nlpkit has no side effects: plugins load on first use, and neither
torch nor spaCy is imported until a component needs them.

>>> import nlpkit
>>> nlpkit.tokenize("Hello, world!", tokenizer="regex").texts
['Hello', ',', 'world', '!']
"""

from .about import __version__
from .api import get_tokenizer, tokenize
from .errors import NlpkitError
from .hookspecs import hookimpl
from .registry import KINDS, registry
from .tokenizer import Tokenizer
from .tokens import Token, Tokens


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``load`` and ``Pipeline`` import torch, so they load on first use."""
    if name in ("load", "Pipeline"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "train":
        from .training import train

        return train
    raise AttributeError(f"module 'nlpkit' has no attribute {name!r}")


__all__ = [
    "KINDS",
    "NlpkitError",
    "Pipeline",
    "Token",
    "Tokenizer",
    "Tokens",
    "__version__",
    "get_tokenizer",
    "hookimpl",
    "load",
    "registry",
    "tokenize",
    "train",
]
