"""Exact Viterbi over every tag history, for a chunk of sentences at once (float32, log space).

A step's delta holds the best score of each history of the last ``order`` tags per
sentence, the batch on the innermost axis, so one step is a broadcast add and a max over
the oldest tag for every sentence of the chunk. Each step's scores are shifted by their
maximum before the emissions are added, which keeps float32 precise on long sentences.
"""

from __future__ import annotations

import math

import numpy as np

from .batching import Batch, active_counts
from .scratch import Scratch
from .tables import DecodingTables


def best_paths(tables: DecodingTables, batch: Batch, rows: np.ndarray) -> list[list[int]]:
    """The best tag sequence of each of ``rows`` (sentences sorted longest first) of a float32 batch.

    The deltas the backtrace needs are consecutive slices of one scratch buffer, reused
    from chunk to chunk, rather than a fresh array per step (see :mod:`.scratch`).
    """
    phases, ends = tables.phases[np.float32]
    lengths = batch.lengths[rows]
    active, pos = active_counts(lengths), batch.starts[rows]
    history = batch.scratch.get("history", (int(active.sum()) * tables.k ** tables.order,), np.float32)
    deltas: list[np.ndarray] = []
    prev, used = np.zeros(len(rows), np.float32), 0
    for i, m in enumerate(active):
        phase, reduce = phases[min(i, tables.order)], i >= tables.order
        shape = _step_shape(phase, m, reduce=reduce)
        out = history[used: used + math.prod(shape)].reshape(shape)
        used += out.size
        delta = _max_plus(prev, phase, m, reduce=reduce, out=out, scratch=batch.scratch)
        scale = delta.reshape(-1, m).max(axis=0)  # subtracted to keep float32 precise
        emissions = batch.emissions[:, pos[:m] + i] - np.where(np.isfinite(scale), scale, 0)
        delta += emissions if batch.lexical is None else tables.step_scores(batch, i, pos[:m] + i, emissions)
        deltas.append(delta)
        prev = delta
    out = _backtrace(tables, deltas, active, ends, phases[tables.order]).tolist()  # one call, not one per row
    return [row[:n] for row, n in zip(out, lengths.tolist())]


def _backtrace(tables: DecodingTables, deltas: list[np.ndarray], active: np.ndarray, ends: list[np.ndarray],
               full: np.ndarray) -> np.ndarray:
    """Best final state per sentence, then the dropped oldest tag step by step, all rows at once."""
    o, k = tables.order, tables.k
    out = np.zeros((int(active[0]), len(active)), np.int64)
    for i in range(len(active) - 1, -1, -1):
        m, m_next = int(active[i]), int(active[i + 1]) if i + 1 < len(active) else 0
        if m_next < m:  # rows whose sentence ends at step i
            d = min(i + 1, o)
            score = deltas[i][..., m_next:m] + ends[d][..., None]
            best = np.unravel_index(score.reshape(-1, m - m_next).argmax(0), (k,) * d)
            for j in range(d):
                out[m_next:m, i - d + 1 + j] = best[j]
        if i >= o:
            kept = tuple(out[:m, i - o + 1 + j] for j in range(o - 1))
            score = deltas[i - 1][(slice(None), *kept, np.arange(m))] + full[(slice(None), *kept, out[:m, i])]
            out[:m, i - o] = score.argmax(0)
    return out


def _max_plus(prev: np.ndarray, phase: np.ndarray, m: int, *, reduce: bool, out: np.ndarray | None = None,
              scratch: Scratch | None = None) -> np.ndarray:
    """One Viterbi step: ``max_a prev[a, ..., n] + phase[a, ..., next]`` (or no max before the
    history fills), into ``out`` (shaped like the result, see :func:`_step_shape`) when
    given; its temporary comes from ``scratch``."""
    shape = _step_shape(phase, m, reduce=reduce)
    out = np.empty(shape, prev.dtype) if out is None else out
    if not reduce:
        return np.add(prev[..., None, :m], phase[..., None], out=out)
    if phase.size * m <= 1 << 15:  # small: one array, fewer numpy calls
        return np.max(prev[..., None, :m] + phase[..., None], axis=0, out=out)
    np.add(prev[0][..., None, :m], phase[0][..., None], out=out)
    tmp = (scratch or Scratch()).get("max_plus", shape, out.dtype)
    for a in range(1, len(phase)):
        np.add(prev[a][..., None, :m], phase[a][..., None], out=tmp)
        np.maximum(out, tmp, out=out)
    return out


def _step_shape(phase: np.ndarray, m: int, *, reduce: bool) -> tuple[int, ...]:
    """The shape of a Viterbi delta after a step with ``phase`` over ``m`` sentences."""
    return (*phase.shape[1 if reduce else 0:], m)
