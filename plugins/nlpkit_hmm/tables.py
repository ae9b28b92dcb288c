"""The tables decoding reads, derived once from an HMM's learnt (order+1)-gram transitions.

Viterbi and forward-backward step through a sentence with the batch as the innermost
axis; their transition tables are cut by *phase*, how many real tags the history holds
(the rest is the sentence start), and kept in the forms each needs: float32 log
probabilities for Viterbi, float64 probabilities and matrices for forward-backward, and
one flat log table for the pruned lattice (:mod:`.lattice`).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .batching import Batch
from .lattice import ScoreFn
from .lexical import LexicalTables

#: The lattice Viterbi spends 30-60x more per edge (tag (order+1)-tuple) than the dense one
#: (gathers and index arithmetic against one broadcast add), so it is used only where it
#: visits at most this share of the dense edges (UD UPOS, TnT: ~1 %; SXU BMES: ~75 %).
LATTICE_SHARE = 1 / 32


class DecodingTables:
    """Transitions by phase for the dense kernels, the flat table for the lattice, and the
    lexicalised pair scores (``lexical``, or None) that both add beside the emissions.

    ``phases[dtype]``: (phases, ends) log tables, see :func:`phase_tables`; ``probs``: the
    float64 ones as probabilities; ``sum_product``: the full-history transition probabilities
    as ``[..., next, oldest]`` (forward) and ``[..., oldest, next]`` (backward) matrices.
    """

    def __init__(self, transitions: np.ndarray, num_tags: int, order: int, lexical: LexicalTables | None) -> None:
        self.k, self.order, self.lexical = num_tags, order, lexical
        self.phases = {dtype: phase_tables(transitions, num_tags, order, dtype) for dtype in (np.float32, np.float64)}
        self.transitions_flat = np.ascontiguousarray(transitions).ravel()  # what the lattice gathers from
        phases, ends = self.phases[np.float64]
        self.probs = [np.exp(p) for p in phases], [np.exp(e) for e in ends]
        full = self.probs[0][order]
        self.sum_product = (np.ascontiguousarray(np.moveaxis(full, 0, -1)),
                            np.ascontiguousarray(np.moveaxis(full, 0, -2)))

    def step_scores(self, batch: Batch, i: int, tokens: np.ndarray, emissions: np.ndarray) -> np.ndarray:
        """Step ``i``'s emissions [K, m] of the given flat tokens combined with their lexicalised-
        transition scores, shaped like a delta; log space for float32 batches (Viterbi), else
        probabilities. Only for batches with lexical ids."""
        prob = batch.emissions.dtype == np.float64
        return self.lexical.step(batch.lexical, i, tokens, emissions, prob=prob, scratch=batch.scratch)

    def state_scorer(self, batch: Batch) -> ScoreFn:
        """The lattice's :data:`.lattice.ScoreFn` over a float64 log-emission batch."""
        table = np.ascontiguousarray(batch.emissions.T).ravel()  # no copy: a column gather is token-major
        return partial(self._state_scores, batch, table)

    def _state_scores(self, batch: Batch, table: np.ndarray, tokens: np.ndarray, tok: np.ndarray,
                      tags: np.ndarray, key: np.ndarray) -> np.ndarray:
        """Lattice states' emission log scores (``table``: the batch's emissions token-major,
        flat), plus their lexicalised-transition pair scores (``key``: the tag before times
        K+1 plus the own tag)."""
        scores = np.take(table, (tokens * self.k)[tok] + tags)
        if batch.lexical is not None:
            scores += self.lexical.pair_scores(batch.lexical, tokens, tok, key)
        return scores


def phase_tables(transitions: np.ndarray, k: int, order: int, dtype: type) -> tuple[list, list]:
    """Transition tables by how many real tags the history holds, and end tables by state size.

    ``phases[p]`` has p history axes then the next tag (the rest of the history is the
    boundary); ``ends[d]`` scores the end after a state of the last d tags.
    """
    phases, ends = [], [np.empty(0, dtype)]
    for p in range(order + 1):
        index = (k,) * (order - p) + (slice(0, k),) * (p + 1)
        phases.append(np.ascontiguousarray(transitions[index], dtype=dtype))
    for d in range(1, order + 1):
        index = (k,) * (order - d) + (slice(0, k),) * d + (k,)
        ends.append(np.ascontiguousarray(transitions[index], dtype=dtype))
    return phases, ends


def prunes_well(emissions: np.ndarray, tag_logprob: np.ndarray, k: int, order: int) -> bool:
    """Whether the lattice of possible tags (finite emissions) visits at most ``LATTICE_SHARE``
    of the dense Viterbi's edges: the mean tag count of a token (each vocabulary word weighted
    by its probability sum_t p(w|t) p(t)) to the power order+1, as if neighbours were
    independent, against K^(order+1). Unseen words, which keep every tag, are left out: on
    UD UPOS dev the estimate is ~13 edges a token, the real count 42, both far below 154."""
    weight = np.exp(emissions + tag_logprob).sum(1)
    if not len(weight) or not weight.sum() > 0:
        return False
    mean = float(np.isfinite(emissions).sum(1) @ weight / weight.sum())
    return mean ** (order + 1) <= LATTICE_SHARE * k ** (order + 1)
