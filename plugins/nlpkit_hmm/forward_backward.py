"""Forward-backward over a chunk of sentences: tag posteriors, confidences, likelihoods and
the expected transition counts of Baum-Welch, all from one pass per chunk.

There are two kernels behind one interface, :class:`ForwardBackward`, one per way the
HMM lays a chunk out, because neither runs the other's case at a usable speed:

- :class:`DenseForwardBackward` (here) sums over every history of the last ``order``
  tags with broadcasts and matrix products, the batch innermost, in scaled probability
  space. It is what pays where words allow most tags (BMES, add-k smoothing).
- :class:`.lattice_forward_backward.LatticeForwardBackward` sums over each token's
  possible tags only (the pruned lattice of :mod:`.lattice`), with gathers and segment
  log-sum-exps. Where words allow few of many tags (TnT emissions of UD UPOS) it visits
  ~1 % of the dense edges, but it spends 30-60x more per edge, so it loses elsewhere.

Both present a chunk's tokens step-major (``tokens``: their batch indices) and compute
the same quantities, so posteriors, confidences and Baum-Welch never ask which ran.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .batching import Batch, active_counts
from .tables import DecodingTables

#: einsum of the expected transitions between two steps: alpha [history, rows] times
#: g [history minus its oldest tag, next, rows] summed over the rows, by order.
_TRANSITION_SUBSCRIPTS = {1: "am,cm->ac", 2: "abm,bcm->abc"}


@dataclass(frozen=True)
class ExpectedCounts:
    """The E-step of Baum-Welch over unlabelled sentences (empty ones skipped)."""

    #: [K+1]^(order+1) expected (history, next) events; index K is the sentence boundary.
    events: np.ndarray
    #: [tokens, K] each token's tag posteriors, the sentences' tokens back to back.
    tags: np.ndarray
    #: log p(sentences), summed (with unknown words scored by the unknown-word model).
    log_likelihood: float


class ForwardBackward(ABC):
    """Forward-backward over one chunk of sentences (sorted longest first)."""

    #: The batch index of each token the results cover, in their order (step-major).
    tokens: np.ndarray

    @abstractmethod
    def tag_posteriors(self) -> np.ndarray:
        """[tokens, K] p(tag of the token = t | its sentence); each row sums to one."""

    @abstractmethod
    def log_likelihoods(self) -> np.ndarray:
        """log p(sentence) of each sentence of the chunk, in chunk order."""

    @abstractmethod
    def event_counts(self) -> np.ndarray:
        """Expected (history, next) transition events of the chunk, flat over the
        [K+1]^(order+1) transition table (start and end events included)."""

    def chosen_posteriors(self, chosen: np.ndarray) -> np.ndarray:
        """p(tag of token j = chosen[j] | its sentence), ``chosen`` in :attr:`tokens` order."""
        return self.tag_posteriors()[np.arange(len(chosen)), chosen]


class DenseForwardBackward(ForwardBackward):
    """Scaled forward-backward (Rabiner) over every tag history of rows ``rows`` of a batch
    whose emissions are probabilities (:meth:`.Batch.to_probabilities`).

    Alphas and betas are shaped like the Viterbi deltas ([K]^d x rows, d the tags the
    state holds), each step's columns divided by their sum; the divisors are kept (for the
    likelihood and the transition counts), and every posterior is renormalised per step.
    """

    def __init__(self, tables: DecodingTables, batch: Batch, rows: np.ndarray) -> None:
        self._tables, self._batch = tables, batch
        self._active, self._pos = active_counts(batch.lengths[rows]), batch.starts[rows]
        self._alphas, self._scales = self._forward()
        self._betas, self._norms = self._backward()
        self.tokens = np.concatenate([self._pos[:m] + i for i, m in enumerate(self._active)])

    def _emissions(self, i: int, m: int) -> np.ndarray:
        """Step ``i``'s emission probabilities of the first ``m`` rows (with the pair scores)."""
        tokens = self._pos[:m] + i
        emissions = self._batch.emissions[:, tokens]
        return emissions if self._batch.lexical is None else self._tables.step_scores(self._batch, i, tokens, emissions)

    def _forward(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Forward probabilities per step, columns summing to 1, and each step's divisors."""
        phases, _ = self._tables.probs
        forward, _ = self._tables.sum_product
        alphas, scales, prev = [], [], np.ones(len(self._pos))
        for i, m in enumerate(self._active):
            if i >= self._tables.order:
                alpha = np.matmul(forward, np.moveaxis(prev[..., :m], 0, -2))
            else:
                alpha = prev[..., None, :m] * phases[i][..., None]
            alpha *= self._emissions(i, m)
            scale = _column_sums(alpha)
            alpha /= scale
            alphas.append(alpha)
            scales.append(scale)
            prev = alpha
        return alphas, scales

    def _backward(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Backward probabilities, scaled per step (the divisors kept, per going-on row);
        rows ending at a step start from the end."""
        phases, ends = self._tables.probs
        _, backward = self._tables.sum_product
        o, steps = self._tables.order, len(self._active)
        betas, norms, beta = [np.empty(0)] * steps, [np.empty(0)] * steps, None
        for i in range(steps - 1, -1, -1):
            m, m_next = int(self._active[i]), self._next_active(i)
            d, parts = min(i + 1, o), []
            if m_next:
                g = self._emissions(i + 1, m_next) * beta  # [..., next tag, rows]
                if i + 1 >= o:
                    parts.append(np.moveaxis(np.matmul(backward, g), -2, 0))
                else:
                    parts.append((phases[i + 1][..., None] * g).sum(-2))
                norms[i] = _column_sums(parts[0])
                parts[0] /= norms[i]
            if m_next < m:
                parts.append(np.broadcast_to(ends[d][..., None], ends[d].shape + (m - m_next,)))
            beta = betas[i] = np.concatenate(parts, axis=-1)
        return betas, norms

    def _next_active(self, i: int) -> int:
        return int(self._active[i + 1]) if i + 1 < len(self._active) else 0

    def tag_posteriors(self) -> np.ndarray:
        k, steps = self._tables.k, []
        for alpha, beta, m in zip(self._alphas, self._betas, self._active):
            gamma = (alpha * beta).reshape(-1, k, m).sum(0)
            steps.append((gamma / _column_sums(gamma)).T)
        return np.concatenate(steps)

    def log_likelihoods(self) -> np.ndarray:
        """Requires the batch's :attr:`.Batch.shifts`, which it adds back."""
        _, ends = self._tables.probs
        total = np.zeros(len(self._pos))
        with np.errstate(divide="ignore"):
            for i, (alpha, scale, m) in enumerate(zip(self._alphas, self._scales, self._active)):
                total[:m] += np.log(scale) + self._batch.shifts[self._pos[:m] + i]
                m_next = self._next_active(i)
                if m_next < m:
                    d = min(i + 1, self._tables.order)
                    final = (alpha[..., m_next:m] * ends[d][..., None]).reshape(-1, m - m_next).sum(0)
                    total[m_next:m] += np.log(final)
        return total

    def event_counts(self) -> np.ndarray:
        """Steps before the history fills count their joint state posterior as the event
        (boundary, ..., tags so far); later steps the expected moves from the step before;
        the last step of each sentence its end."""
        k, o = self._tables.k, self._tables.order
        _, ends = self._tables.probs
        counts, tags = np.zeros((k + 1,) * (o + 1)), slice(0, k)
        for i, (alpha, beta, m) in enumerate(zip(self._alphas, self._betas, self._active)):
            m_next = self._next_active(i)
            if i < o:
                counts[(k,) * (o - i) + (tags,) * (i + 1)] += _normalised(alpha * beta).sum(-1)
            if m_next and i + 1 >= o:
                counts[(tags,) * (o + 1)] += self._moves(i, m_next)
            if m_next < m:
                d = min(i + 1, o)
                counts[(k,) * (o - d) + (tags,) * d + (k,)] += _normalised(
                    alpha[..., m_next:m] * ends[d][..., None]).sum(-1)
        return counts.ravel()

    def _moves(self, i: int, m: int) -> np.ndarray:
        """Expected (history at step i, tag at step i+1) counts of the first ``m`` rows.

        Per row, alpha_i(h) p(c|h) g(h', c) over (h, c) sums to the backward pass's
        unscaled beta_i times alpha_i, that is norms[i] * sum_h alpha_i beta_i."""
        alpha, beta = self._alphas[i][..., :m], self._betas[i][..., :m]
        g = self._emissions(i + 1, m) * self._betas[i + 1]
        total = _column_sums(alpha * beta) * self._norms[i]
        full = self._tables.probs[0][self._tables.order]
        return np.einsum(_TRANSITION_SUBSCRIPTS[self._tables.order], alpha / total, g) * full


def _column_sums(x: np.ndarray) -> np.ndarray:
    """Sum over all axes but the last (the rows of the batch); 1 where it is 0, to divide by."""
    sums = x.reshape(-1, x.shape[-1]).sum(0)
    return np.where(sums > 0, sums, 1.0)


def _normalised(x: np.ndarray) -> np.ndarray:
    """``x`` with each row's values (the last axis) divided by their sum."""
    return x / _column_sums(x)
