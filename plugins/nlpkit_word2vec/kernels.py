"""Compiled word2vec SGD kernels (numba): gensim's per-sentence loop, one job at a time.

A job is a run of sentences as vocabulary ids. The kernel subsamples each sentence,
shrinks the window at random for every centre word, draws noise words in proportion to
``count ** 0.75`` (Walker's alias method: a table of 2 x V entries that stays in cache,
where word2vec.c's 10**8 slots would not), and updates the two weight matrices in place, example by example, as
word2vec.c does. Random numbers come from word2vec.c's 48-bit linear congruential
generator, seeded per job, so one worker gives the same vectors for the same seed.
The kernels release the GIL (``nogil``): several threads run jobs on shared weights.

Imported only when the numba backend trains (numba is an optional dependency).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_MULTIPLIER = np.uint64(25214903917)
_INCREMENT = np.uint64(11)
_MASK = np.uint64((1 << 48) - 1)
_SHIFT = np.uint64(16)
_LOW32 = np.uint64(0xFFFFFFFF)
#: Scores beyond +-MAX_EXP saturate the sigmoid; between, sigmoid and loss come from
#: tables of TABLE_SIZE cells (word2vec.c's, taken at the cell midpoints): no exp or log
#: per term, and the tables stay in the first-level cache.
MAX_EXP, TABLE_SIZE = 6.0, 1000
TABLE_SCALE = TABLE_SIZE / (2 * MAX_EXP)
_MIDPOINTS = (np.arange(TABLE_SIZE) + 0.5) / TABLE_SCALE - MAX_EXP
sigmoid_table = 1.0 / (1.0 + np.exp(-_MIDPOINTS))
log_table = np.log1p(np.exp(-_MIDPOINTS))  # -log sigmoid
#: Reassociation lets LLVM vectorize the dot products; results stay the same run to run.
_FASTMATH = {"reassoc", "contract"}


@njit(nogil=True, cache=True, inline="always")
def _next(state: np.uint64) -> np.uint64:
    return (state * _MULTIPLIER + _INCREMENT) & _MASK


@njit(nogil=True, cache=True, inline="always")
def _below(state: np.uint64, bound: int) -> np.int64:
    """A number in ``[0, bound)`` from the state's top 32 bits (a multiply, not a division)."""
    return np.int64((((state >> _SHIFT) & _LOW32) * np.uint64(bound)) >> np.uint64(32))


@njit(nogil=True, cache=True, inline="always")
def _alias(noise: np.ndarray, state: np.uint64) -> int:
    """A noise word by Walker's alias method: each of ``V`` cells is equally likely; cell
    ``i`` is word ``i`` when a 32-bit coin (the next state) falls below ``noise[0, i]``,
    else word ``noise[1, i]``."""
    i = _below(state, noise.shape[1])
    coin = np.int64((_next(state) >> _SHIFT) & _LOW32)
    return i if coin < noise[0, i] else noise[1, i]


@njit(nogil=True, cache=True, fastmath=_FASTMATH, inline="always")
def _negative_step(hidden: np.ndarray, target: int, noise: np.ndarray, w_out: np.ndarray, negative: int,
                   alpha: float, state: np.uint64, neu1e: np.ndarray) -> tuple[float, np.uint64]:
    """SGD on the output rows of ``target`` and ``negative`` noise words for ``hidden``;
    the step for ``hidden`` accumulates in ``neu1e``. Returns the example's loss and the
    generator state."""
    dim = hidden.shape[0]
    loss = 0.0
    for d in range(negative + 1):
        if d == 0:
            word, label = target, 1.0
        else:
            state = _next(state)
            word = _alias(noise, state)
            state = _next(state)  # the alias method used it as well
            if word == target:
                continue
            label = 0.0
        row = w_out[word]
        f = np.float32(0.0)
        for k in range(dim):
            f += hidden[k] * row[k]
        x = f if label else -f  # the loss of this term is -log sigmoid(x)
        if x >= MAX_EXP:  # sigmoid(x) is 1 to float precision: no step (word2vec.c)
            loss += math.log1p(math.exp(-x))
            continue
        if x <= -MAX_EXP:
            g = np.float32(alpha) if label else np.float32(-alpha)  # sigmoid(x) is 0
            loss += math.log1p(math.exp(x)) - x
        else:
            slot = int((x + MAX_EXP) * TABLE_SCALE)
            loss += log_table[slot]
            g = np.float32((1.0 - sigmoid_table[slot]) * alpha * (1.0 if label else -1.0))
        for k in range(dim):
            neu1e[k] += g * row[k]
            row[k] += g * hidden[k]
    return loss, state


@njit(nogil=True, cache=True)
def _subsample(ids: np.ndarray, start: int, end: int, keep: np.ndarray, state: np.uint64,
               out: np.ndarray) -> tuple[int, np.uint64]:
    """The known words of ``ids[start:end]`` that survive subsampling, into ``out``:
    word ``w`` stays when a random 32-bit number is at most ``keep[w]``."""
    m = 0
    for p in range(start, end):
        w = ids[p]
        if w < 0:
            continue
        if keep[w] < 4294967296:
            state = _next(state)
            if keep[w] < np.int64((state >> _SHIFT) & _LOW32):
                continue
        out[m] = w
        m += 1
    return m, state


@njit(nogil=True, cache=True, fastmath=_FASTMATH)
def train_job(ids: np.ndarray, ends: np.ndarray, keep: np.ndarray, noise: np.ndarray, w_in: np.ndarray,
              w_out: np.ndarray, skipgram: bool, window: int, negative: int, alpha_start: float,
              alpha_end: float, seed: int) -> tuple[float, int]:
    """Train on the sentences ``ids[ends[i-1]:ends[i]]`` (vocabulary ids, -1 unknown) with
    the learning rate falling linearly from ``alpha_start`` to ``alpha_end`` over the
    job's words. Returns the summed loss and the number of examples (skip-gram pairs,
    CBOW centre words)."""
    dim = w_in.shape[1]
    total = max(ids.shape[0], 1)
    kept = np.empty(ids.shape[0], dtype=np.int32)
    neu1 = np.empty(dim, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
    state = np.uint64(seed) & _MASK
    loss, examples, start = 0.0, 0, 0
    for end in ends:
        alpha = alpha_start + (alpha_end - alpha_start) * start / total
        m, state = _subsample(ids, start, end, keep, state, kept)
        start = end
        for i in range(m):
            state = _next(state)
            shrink = _below(state, window)
            lo, hi = max(0, i - window + shrink), min(m, i + window + 1 - shrink)
            if skipgram:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    hidden = w_in[kept[j]]
                    neu1e[:] = 0.0
                    step, state = _negative_step(hidden, kept[i], noise, w_out, negative, alpha, state, neu1e)
                    loss += step
                    examples += 1
                    for k in range(dim):
                        hidden[k] += neu1e[k]
            elif hi - lo > 1:
                neu1[:] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        row = w_in[kept[j]]
                        for k in range(dim):
                            neu1[k] += row[k]
                scale = np.float32(1.0 / (hi - lo - 1))
                for k in range(dim):
                    neu1[k] *= scale
                neu1e[:] = 0.0
                step, state = _negative_step(neu1, kept[i], noise, w_out, negative, alpha, state, neu1e)
                loss += step
                examples += 1
                for j in range(lo, hi):
                    if j != i:
                        row = w_in[kept[j]]
                        for k in range(dim):
                            row[k] += neu1e[k]
    return loss, examples
