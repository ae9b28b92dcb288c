"""Rankings of scores: the top ``n`` of a score vector, and the rank and linear correlations
that the word-similarity evaluation reports. numpy only (scipy's Spearman when installed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest scores, highest first (gensim's ``matutils.argsort``)."""
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if n >= scores.size:
        return np.argsort(-scores)
    best = np.argpartition(-scores, n)[:n]
    return best[np.argsort(-scores[best])]


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: scipy's when it is installed, else Pearson's r of tie-averaged ranks."""
    try:
        from scipy import stats
    except ImportError:
        return pearson(ranks(np.asarray(x, dtype=np.float64)), ranks(np.asarray(y, dtype=np.float64)))
    return float(stats.spearmanr(x, y)[0])


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks (scipy's ``rankdata`` default)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2  # ranks start+1 .. end, averaged
    out = np.empty(len(values))
    out[order] = np.repeat(mean_rank, ends - starts)
    return out


def pearson(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Pearson's r; NaN when either side is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator else float("nan")
