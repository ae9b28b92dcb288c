"""Seeded, reproducible train/dev/test splits of a list of examples.

>>> train, dev = split_examples(examples, (0.9, 0.1), seed=13, stratify=True)

The same ``(examples, fractions, seed, stratify)`` always gives the same parts, in
any process and regardless of ``PYTHONHASHSEED``: the only randomness is a
:class:`random.Random` seeded with the integer ``seed``, labels are grouped in
order of first appearance (never by iterating a set or hashing a string), and
rounding ties are broken by part index. Each part keeps the examples in their
input order; only membership is random.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from typing import TypeVar

from .corpus import Example
from .errors import UsageError

T = TypeVar("T", bound=Example)

#: How far the fractions may sum from 1.
TOLERANCE = 1e-6


def split_examples(
    examples: Iterable[T], fractions: Sequence[float], seed: int, stratify: bool = False
) -> list[list[T]]:
    """Split ``examples`` into ``len(fractions)`` disjoint parts that together hold all of them.

    ``fractions`` are each part's share: each > 0, summing to 1 (within 1e-6).
    Part sizes are ``n * fraction`` rounded by largest remainder, so each is within
    one example of its exact share, and when there are at least as many examples
    as parts every part gets at least one (taken from the part furthest above its
    share, which for very uneven fractions can move a part more than one away).

    With ``stratify``, each label (:attr:`Example.label`, required on every
    example) is split on its own in the same way: each class's share of each part
    is within one example of ``n_class * fraction``, and every class with at least
    ``len(fractions)`` examples appears in every part. Part sizes then add up the
    per-class rounding, so they can differ from ``n * fraction`` by up to one per class.
    """
    items = list(examples)
    shares = _check_fractions(fractions)
    _check_seed(seed)
    rng = random.Random(seed)
    groups = _by_label(items) if stratify else [list(range(len(items)))]
    chosen: list[list[int]] = [[] for _ in shares]
    for indices in groups:
        rng.shuffle(indices)
        start = 0
        for part, size in zip(chosen, allocate(len(indices), shares)):
            part.extend(indices[start:start + size])
            start += size
    return [[items[i] for i in sorted(part)] for part in chosen]


def allocate(n: int, fractions: Sequence[float]) -> list[int]:
    """Sizes for ``n`` items by largest remainder, each part >= 1 when ``n >= len(fractions)``.

    >>> allocate(10, (0.8, 0.1, 0.1))
    [8, 1, 1]
    """
    exact = [n * f for f in fractions]
    sizes = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in by_remainder[: n - sum(sizes)]:
        sizes[i] += 1
    if n >= len(sizes):
        _fill_empty_parts(sizes, exact)
    return sizes


def _fill_empty_parts(sizes: list[int], exact: list[float]) -> None:
    """Give each empty part one item from the part furthest above its exact share."""
    for empty in [i for i, size in enumerate(sizes) if size == 0]:
        donor = max((i for i in range(len(sizes)) if sizes[i] > 1), key=lambda i: (sizes[i] - exact[i], -i))
        sizes[donor] -= 1
        sizes[empty] = 1


def _by_label(items: list[Example]) -> list[list[int]]:
    """Indices grouped by label, groups in order of each label's first appearance."""
    groups: dict[str, list[int]] = {}
    for i, example in enumerate(items):
        if example.label is None:
            where = f" ({example.source})" if example.source else ""
            raise UsageError(
                f"stratify=True needs a label on every example, but example {i}{where} has none. "
                "Split without stratify, or read a corpus format that has labels."
            )
        groups.setdefault(example.label, []).append(i)
    return list(groups.values())


def _check_fractions(fractions: Sequence[float]) -> list[float]:
    shares = list(fractions)
    if not shares:
        raise UsageError("fractions is empty: give one fraction per part, e.g. (0.8, 0.1, 0.1).")
    bad = [f for f in shares if not (isinstance(f, (int, float)) and math.isfinite(f) and f > 0)]
    if bad:
        raise UsageError(f"every fraction must be a number > 0; got {bad[0]!r} in {shares}.")
    total = math.fsum(shares)
    if abs(total - 1) > TOLERANCE:
        raise UsageError(
            f"fractions must sum to 1, but {shares} sums to {total:.6g}. "
            "Give every part's share, e.g. (0.8, 0.1, 0.1) for train/dev/test."
        )
    return [f / total for f in shares]  # normalised: the sizes then add up to n exactly


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UsageError(f"seed must be an integer, got {seed!r}.")
