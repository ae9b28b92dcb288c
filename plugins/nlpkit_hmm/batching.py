"""The sentences of one decoding call as a batch, and how it is cut into chunks.

Every token is looked up once into a [K, tokens] emission matrix; sentences are then
processed in chunks sorted longest first, so that step ``i`` of a chunk covers its first
``m`` sentences (those still running) and is a handful of numpy calls for all of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .lattice import STATE_BUDGET
from .scratch import Scratch

#: Numbers of a step's delta per chunk, see :func:`chunk_shape`.
CHUNK_NUMBERS = 1 << 17
#: Numbers kept per chunk for the backtrace (float32) or forward-backward (float64, /2).
HISTORY_BUDGET = 1 << 24


class Batch:
    """The sentences of one call: lengths, flat offsets and token emissions [K, tokens]."""

    def __init__(self, lengths: np.ndarray, emissions: np.ndarray,
                 lexical: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.lengths, self.emissions = lengths, emissions
        self.lexical = lexical  # per token: lexical-table indices (before, own), or None
        self.scratch = Scratch()  # the steps' temporaries, reused within this call
        self.starts = np.cumsum(lengths) - lengths
        self.shifts: np.ndarray | None = None  # per token: the log scale taken out (see to_probabilities)

    def to_probabilities(self) -> None:
        """Turn the log emissions into probabilities, each token's divided by its best tag's
        (the log of that kept in :attr:`shifts`), so that none overflows or underflows."""
        top = self.emissions.max(0, initial=-np.inf)
        self.shifts = np.where(np.isfinite(top), top, 0.0)
        self.emissions = np.exp(self.emissions - self.shifts)

    def chunks(self, size: int, per_token: int) -> Iterator[np.ndarray]:
        """Row indices of non-empty sentences, longest first, ``size`` at a time, and fewer
        when long sentences would make the kept history (``per_token`` numbers a token) too big."""
        order = np.argsort(-self.lengths, kind="stable")
        order = order[: np.count_nonzero(self.lengths)]
        start = 0
        while start < len(order):
            n = max(1, min(size, HISTORY_BUDGET // (per_token * int(self.lengths[order[start]]))))
            yield order[start: start + n]
            start += n

    def lattice_chunks(self, size: int, budget: int, states: np.ndarray) -> Iterator[np.ndarray]:
        """Row indices of non-empty sentences, longest first, at most ``size`` at a time and
        as many as fit ``budget`` lattice states (``states`` per sentence; one at least)."""
        order = np.argsort(-self.lengths, kind="stable")[: np.count_nonzero(self.lengths)]
        total = np.cumsum(states[order])
        start = 0
        while start < len(order):
            done = int(total[start - 1]) if start else 0
            end = int(np.searchsorted(total, done + budget, side="right"))
            end = min(max(end, start + 1), start + size)
            yield order[start:end]
            start = end

    def split(self, values: np.ndarray) -> list[list]:  # type: ignore[type-arg]
        """Flat per-token values (batch order) as one list per sentence."""
        flat = values.tolist()
        return [flat[s: s + n] for s, n in zip(self.starts.tolist(), self.lengths.tolist())]


def chunk_shape(num_tags: int, order: int, *, viterbi: bool, lattice: bool = False) -> tuple[int, int]:
    """Sentences per chunk so one step's arrays stay in cache, and numbers kept per token;
    for the lattice, sentences and lattice states per chunk (it keeps ~50 bytes a state).

    A step's delta holds ``states`` numbers a sentence; ``CHUNK_NUMBERS`` of them (512 KB
    of float32) keep the handful of arrays a step touches in a core's L2 cache. Chunks of
    2 MB arrays (UD UPOS: 289 states, 1814 sentences rather than 453) decoded as fast on a
    quiet machine but 10-25 % slower with other jobs on the same cores.
    """
    if lattice:
        return 8192, STATE_BUDGET
    states = num_tags ** order
    size = int(min(8192, max(16, CHUNK_NUMBERS // states)))
    return size, states if viterbi else 4 * states  # forward-backward: two float64 tables, 4 per state


def active_counts(lengths: np.ndarray) -> np.ndarray:
    """For rows sorted longest first: how many are still running at each step."""
    ends = np.bincount(lengths, minlength=int(lengths[0]) + 1)
    return len(lengths) - np.cumsum(ends)[:-1]
