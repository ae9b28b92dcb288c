"""Checks of what an HMM is given: options, training data, tags and sentences to decode.

Each failure raises nlpkit's error for its kind (:class:`OptionError`, :class:`InputError`,
:class:`UsageError`) and says which value is wrong and what would be accepted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nlpkit.errors import InputError, OptionError, UsageError

SMOOTHINGS = ("add-k", "tnt")
UNKNOWNS = ("suffix", "chars", "none")
#: The constructor's options, in the order the saved ``options`` array holds them.
OPTION_NAMES = ("order", "smoothing", "k", "unknown", "max_suffix", "rare_threshold", "lexical", "lexical_prior")


def check_options(order: object, smoothing: object, k: object, unknown: object,
                  max_suffix: object, rare_threshold: object, lexical: object = 0,
                  lexical_prior: object = 10.0) -> None:
    """Raise OptionError naming the first bad option and what it accepts."""
    if not is_int(order) or order not in (1, 2):
        raise OptionError(f"HMM option order must be 1 (tag bigrams) or 2 (tag trigrams), got {order!r}")
    if smoothing not in SMOOTHINGS:
        raise OptionError(f"HMM option smoothing must be one of {', '.join(SMOOTHINGS)}, got {smoothing!r}")
    if unknown not in UNKNOWNS:
        raise OptionError(f"HMM option unknown must be one of {', '.join(UNKNOWNS)}, got {unknown!r}")
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or k <= 0:
        raise OptionError(f"HMM option k must be a positive number, got {k!r}")
    if not is_int(max_suffix) or max_suffix < 0:
        raise OptionError(f"HMM option max_suffix must be an integer >= 0, got {max_suffix!r}")
    if not is_int(rare_threshold) or rare_threshold < 1:
        raise OptionError(f"HMM option rare_threshold must be an integer >= 1, got {rare_threshold!r}")
    if not is_int(lexical) or lexical < 0:
        raise OptionError(f"HMM option lexical must be an integer >= 0 (0: off; else the count from which "
                          f"a word conditions the next tag), got {lexical!r}")
    if lexical and order != 2:
        raise OptionError(f"HMM option lexical needs order = 2 (its scores live on tag-pair states), got "
                          f"order = {order!r}; set order = 2 or lexical = 0")
    if (isinstance(lexical_prior, bool) or not isinstance(lexical_prior, (int, float))
            or not math.isfinite(lexical_prior) or lexical_prior <= 0):
        raise OptionError(f"HMM option lexical_prior must be a positive number, got {lexical_prior!r}")


def is_int(value: object) -> bool:
    """An integer, Python's or numpy's, but not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_num_tags(num_tags: object) -> int:
    """``num_tags`` as an int, or UsageError unless it is a positive integer."""
    if not is_int(num_tags) or num_tags < 1:
        raise UsageError(f"num_tags must be a positive integer, got {num_tags!r}")
    return int(num_tags)


def check_training_data(sentences: list[list[str]], tags: list[list[int]],
                        num_tags: int) -> tuple[list[str], list[list[int]]]:
    """The training tokens (flat) and tag sequences of the non-empty sentences, checked."""
    if len(sentences) != len(tags):
        raise InputError(f"fit got {len(sentences)} sentences but {len(tags)} tag sequences")
    if not len(sentences):
        raise InputError("fit needs at least one training sentence, got none")
    words: list[str] = []
    kept: list[list[int]] = []
    for i, (sentence, seq) in enumerate(zip(sentences, tags)):
        if isinstance(sentence, str):
            raise InputError(f"sentence {i} is a string; fit expects lists of tokens")
        if len(sentence) != len(seq):
            raise InputError(f"sentence {i} has {len(sentence)} tokens but {len(seq)} tags")
        bad = next((w for w in sentence if not isinstance(w, str)), None)
        if bad is not None:
            raise InputError(f"sentence {i}: tokens must be strings, got {type(bad).__name__} {bad!r}")
        check_tags(seq, num_tags, f"sentence {i}")
        if len(seq):
            words.extend(sentence)
            kept.append([int(t) for t in seq])
    if not kept:
        raise InputError("fit needs at least one non-empty training sentence; all were empty")
    return words, kept


def check_tags(tags: Sequence[int], num_tags: int, where: str) -> None:
    """InputError for the first tag that is not an integer in ``0..num_tags-1``."""
    for j, t in enumerate(tags):
        if not is_int(t) or not 0 <= t < num_tags:
            raise InputError(f"{where}: tag {t!r} at position {j} is not an integer in 0..{num_tags - 1} "
                             f"(num_tags={num_tags})")


def check_sentences(sentences: object) -> None:
    """UsageError unless ``sentences`` is a sequence of token sequences (not strings)."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise UsageError(f"decode expects a list of sentences (lists of tokens), got {type(sentences).__name__}")
    for s in sentences:  # lists pass at once: isinstance against an ABC costs ~0.4 us a sentence
        if type(s) is not list and (isinstance(s, str) or not isinstance(s, Sequence)):
            raise UsageError(f"decode expects each sentence to be a list of tokens, got {type(s).__name__}")
