"""Exact Viterbi over a pruned lattice: each token's states hold only the tags it can take.

Why: a known word's emission log p(w|t) is -inf for every tag it was never seen with
(TnT's maximum-likelihood emissions), so every state holding such a tag scores -inf and is
never on the best path; dropping those states changes no path. On UD English-EWT dev a
token allows 1-8 tags (unseen words all 17), and a second-order step needs 42 (a, b, c)
tag triples a token on average instead of 17^3 = 4,913. Add-k smoothing and the
unknown-word models give every tag some mass, so their tokens keep all tags.

Layout: the tokens of a chunk of sentences, sorted longest first, are ordered step-major
(step i holds token i of every sentence still running), so the states and edges of one
step are contiguous slices and one Viterbi step is a gather, an add and a segment maximum
(``np.maximum.reduceat``) over every sentence at once. A token's states are the tuples of
candidate tags of itself and its ``order - 1`` predecessors, its own tag varying slowest,
so that the states of token i-1 leading to a state of token i (one per candidate of the
oldest tag) are contiguous. State 0 is the start (the boundary history) of every
sentence. Scores are float64 log probabilities, unscaled.

Ties break as in a dense Viterbi over tags in index order: the backtrace takes the lowest
oldest tag, the end the lowest history (tags compared newest last).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Each state's emission (and lexical) log score from: the batch indices of a block's tokens,
#: each state's token among them, its own tag and its key (the tag before times K+1 plus
#: its own tag; order 1: the own tag).
ScoreFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
#: Lattice states per chunk of sentences (about 50 bytes each are kept for the backtrace).
STATE_BUDGET = 1 << 20
#: Edges built at a time: a block of steps whose edge arrays stay in a core's cache.
BLOCK_EDGES = 1 << 15


def candidates(emissions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token (a column of the [K, N] log emissions): how many tags have a finite emission,
    where its tags start in the flat tag list, and that list (ascending per token).

    A token with no finite emission at all (only possible with hand-made tables) keeps every
    tag, so that it decodes as it would without pruning.
    """
    finite = np.isfinite(emissions)
    counts = finite.sum(0)
    none = counts == 0
    if none.any():
        finite[:, none] = True
        counts[none] = finite.shape[0]
    _, tags = np.nonzero(finite.T)  # token-major, tags ascending
    return counts, np.cumsum(counts) - counts, tags


def sentence_states(counts: np.ndarray, lengths: np.ndarray, order: int) -> np.ndarray:
    """How many states (tag ``order``-tuples) each sentence's lattice has; 0 for empty ones."""
    nonempty = lengths > 0
    starts = (np.cumsum(lengths) - lengths)[nonempty]
    per_token = counts.astype(np.int64)
    back = per_token
    for _ in range(order - 1):  # times the tag count of the token before (the boundary: 1)
        back = np.concatenate(([1], back[:-1]))
        back[starts] = 1
        per_token = per_token * back
    out = np.zeros(len(lengths), np.int64)
    if len(starts):
        out[nonempty] = np.add.reduceat(per_token, starts)
    return out


@dataclass
class Lattice:
    """The lattice of one chunk: per token (step-major, then the boundary at index T) and per
    state (state 0 is the start). The per-state arrays are filled block by block during
    the forward pass; edges are never kept."""

    order: int
    k: int
    flat: np.ndarray  # [T] each token's index in the batch
    step_tokens: np.ndarray  # [L+1] each step's first token, then T
    prev: np.ndarray  # [T+1] the token before (T: the boundary, before itself)
    count: np.ndarray  # [T+1] candidate tags (the boundary: one, K)
    offset: np.ndarray  # [T+1] where its candidates start in tag_list
    tag_list: np.ndarray  # every token's candidate tags, then K for the boundary
    token_states: np.ndarray  # [T+1] each token's first state, then the total
    first_state: np.ndarray  # [T+1] each token's first state; the boundary's: 0, the start
    final: np.ndarray  # [rows] each sentence's last token
    tag: np.ndarray  # [S] the state's own tag
    row: np.ndarray  # [S] its tags as a number (oldest most significant) times K+1: where its
    #                  successors' transition probabilities start in the flat transition table
    fanin: np.ndarray  # [S] how many states lead to it (the candidates of the oldest tag)
    base: np.ndarray  # [S] the first of them (the others follow contiguously)
    score: np.ndarray  # [S] its emission (and lexical) log score, kept for forward-backward (else empty)
    filled: bool = False  # whether the per-state arrays hold every state (Viterbi or fill_states ran)


def layout(order: int, k: int, lengths: np.ndarray, starts: np.ndarray,
           cands: tuple[np.ndarray, np.ndarray, np.ndarray], keep_scores: bool = False) -> Lattice:
    """The token-level lattice of sentences ``lengths`` (sorted longest first, none empty) at
    batch offsets ``starts``, with room for its states (and their scores, with ``keep_scores``,
    which forward-backward needs, see :mod:`.lattice_forward_backward`)."""
    counts, offsets, tags = cands
    flat, step_tokens, prev = _step_major(lengths, starts)
    t = len(flat)
    count = np.append(counts[flat], 1)
    prev = np.append(prev, t)
    sizes = count[:t] * (count[prev[:t]] if order == 2 else 1)
    token_states = np.concatenate(([1], 1 + np.cumsum(sizes)))
    first_state = np.append(token_states[:t], 0)
    total = int(token_states[t])
    state = [np.empty(total, np.int64) for _ in range(4)] + [np.zeros(total if keep_scores else 0)]
    state[0][0], state[1][0] = k, sum(k * (k + 1) ** j for j in range(order)) * (k + 1)  # the start
    return Lattice(order, k, flat, step_tokens, prev, count, np.append(offsets[flat], len(tags)),
                   np.append(tags, k), token_states, first_state, step_tokens[lengths - 1] + np.arange(len(lengths)), *state)


def _step_major(lengths: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sentences sorted longest first: each step-major token's batch index, each step's
    first token (and the total), and each token's predecessor (``T``: the boundary)."""
    ends = np.bincount(lengths, minlength=int(lengths[0]) + 1)
    active = len(lengths) - np.cumsum(ends)[:-1]
    step_tokens = np.concatenate(([0], np.cumsum(active)))
    step = np.repeat(np.arange(len(active)), active)
    rank = np.arange(int(step_tokens[-1])) - step_tokens[step]
    prev = np.where(step > 0, step_tokens[step - 1] + rank, step_tokens[-1])
    return starts[rank] + step, step_tokens, prev


def _fill_states(lat: Lattice, t0: int, t1: int, state_score: ScoreFn) -> np.ndarray:
    """Fill the state arrays of tokens ``t0..t1``; return their states' emission scores."""
    toks = np.arange(t0, t1)
    before = lat.prev[toks]
    dropped = lat.prev[before] if lat.order == 2 else before  # the token whose tag the next step drops
    g0, g1 = int(lat.token_states[t0]), int(lat.token_states[t1])
    tok = np.repeat(np.arange(t1 - t0), np.diff(lat.token_states[t0: t1 + 1]))
    local = np.arange(g1 - g0) - (lat.token_states[t0:t1] - g0)[tok]
    fanin = lat.count[dropped][tok]
    if lat.order == 2:
        own, older = np.divmod(local, lat.count[before][tok])  # own tag slowest
        key = np.take(lat.tag_list, lat.offset[before][tok] + older) * (lat.k + 1)
        base = lat.first_state[before][tok] + older * fanin
    else:
        own, key, base = local, 0, lat.first_state[before][tok]
    tag = np.take(lat.tag_list, lat.offset[toks][tok] + own)
    key += tag
    part = slice(g0, g1)
    lat.tag[part] = tag
    lat.fanin[part] = fanin
    lat.base[part] = base
    np.multiply(key, lat.k + 1, out=lat.row[part])
    score = state_score(lat.flat[toks], tok, tag, key)
    if lat.score.size:
        lat.score[part] = score
    return score


def fill_states(lat: Lattice, state_score: ScoreFn) -> None:
    """Fill every state's arrays (and scores), block by block, without decoding."""
    for i0, i1 in blocks(lat):
        _fill_states(lat, int(lat.step_tokens[i0]), int(lat.step_tokens[i1]), state_score)
    lat.filled = True


def edges(lat: Lattice, g0: int, g1: int, transitions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges into states ``g0..g1`` (filled): source states, transition log probabilities
    (the source's row, then the state's own tag), and each state's first edge."""
    part = slice(g0, g1)
    fanin = lat.fanin[part]
    first = np.cumsum(fanin) - fanin
    edges = np.arange(int(first[-1] + fanin[-1]))
    src = edges + np.repeat(lat.base[part] - first, fanin)
    trans = np.take(transitions, np.take(lat.row, src) + np.repeat(lat.tag[part], fanin))
    return src, trans, first


def viterbi(lat: Lattice, transitions: np.ndarray, state_score: ScoreFn) -> np.ndarray:
    """The best tag of every step-major token: a forward pass of segment maxima, the best
    final state of each sentence, then a backtrace that re-scores only the chosen states' edges.

    ``transitions`` is the flat (order+1)-gram log transition table (K: the boundary);
    ``state_score`` gives each state's emission (and lexical) log score, see :data:`ScoreFn`.
    """
    delta = _forward(lat, transitions, state_score)
    return _backtrace(lat, delta, _best_final(lat, delta, transitions), transitions)


def _forward(lat: Lattice, transitions: np.ndarray, state_score: ScoreFn) -> np.ndarray:
    """delta[s]: the best log score of a path ending in state s (state 0, the start: 0).

    Steps are built and run a block at a time, each block's edge arrays small enough to
    stay in cache between their building and their use."""
    delta = np.empty(int(lat.token_states[-1]))
    delta[0] = 0.0
    step_states = lat.token_states[lat.step_tokens]
    for i0, i1 in blocks(lat):
        g0, g1 = int(step_states[i0]), int(step_states[i1])
        score = _fill_states(lat, int(lat.step_tokens[i0]), int(lat.step_tokens[i1]), state_score)
        src, trans, first = edges(lat, g0, g1, transitions)
        bounds = np.append(first[step_states[i0:i1] - g0], len(src)).tolist()
        states = step_states[i0: i1 + 1].tolist()
        for j in range(i1 - i0):
            s0, s1, e0, e1 = states[j], states[j + 1], bounds[j], bounds[j + 1]
            cand = np.take(delta, src[e0:e1])
            cand += trans[e0:e1]
            out = delta[s0:s1]
            np.maximum.reduceat(cand, first[s0 - g0: s1 - g0] - e0, out=out)
            out += score[s0 - g0: s1 - g0]
    lat.filled = True
    return delta


def blocks(lat: Lattice) -> list[tuple[int, int]]:
    """Runs of steps ``(i0, i1)`` with about ``BLOCK_EDGES`` edges each (one step at least)."""
    step_edges = np.cumsum(np.add.reduceat(_token_edges(lat), lat.step_tokens[:-1]))
    runs, i0, steps = [], 0, len(lat.step_tokens) - 1
    while i0 < steps:
        done = int(step_edges[i0 - 1]) if i0 else 0
        i1 = min(max(int(np.searchsorted(step_edges, done + BLOCK_EDGES, side="right")), i0 + 1), steps)
        runs.append((i0, i1))
        i0 = i1
    return runs


def _token_edges(lat: Lattice) -> np.ndarray:
    """How many edges lead into each token's states."""
    t = len(lat.flat)
    dropped = lat.prev[lat.prev[:t]] if lat.order == 2 else lat.prev[:t]
    return np.diff(lat.token_states[: t + 1]) * lat.count[dropped]


def _best_final(lat: Lattice, delta: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Each sentence's best last state, the end transition added; ties: the lowest history."""
    states, offsets, sizes = final_states(lat)
    row = lat.row[states]
    score = delta[states] + transitions[row + lat.k]
    top = score == np.repeat(np.maximum.reduceat(score, offsets), sizes)
    ranked = np.where(top, row * len(delta) + states, np.iinfo(np.int64).max)
    return np.minimum.reduceat(ranked, offsets) % len(delta)


def final_states(lat: Lattice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The states of every sentence's last token (sentence by sentence), where each
    sentence's run of them starts, and how many it has."""
    lo, hi = lat.token_states[lat.final], lat.token_states[lat.final + 1]
    sizes = hi - lo
    offsets = np.cumsum(sizes) - sizes
    return np.arange(int(sizes.sum())) + np.repeat(lo - offsets, sizes), offsets, sizes


def _backtrace(lat: Lattice, delta: np.ndarray, cur: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """The chosen tag of each step-major token, last step first: each step re-scores the edges
    into the active sentences' chosen states (at most K each) exactly as the forward pass
    did, and keeps the first best."""
    out = np.empty(len(lat.flat), np.int64)
    for i in range(len(lat.step_tokens) - 2, -1, -1):
        t0, t1 = int(lat.step_tokens[i]), int(lat.step_tokens[i + 1])
        chosen = cur[: t1 - t0]
        tag = out[t0:t1] = lat.tag[chosen]
        if i == 0:
            break
        base, fanin = lat.base[chosen], lat.fanin[chosen]
        width = int(fanin.max())
        if width > 1:
            src = np.minimum(base[:, None] + np.arange(width), len(delta) - 1)
            score = delta[src]
            score += transitions[lat.row[src] + tag[:, None]]
            score[np.arange(width) >= fanin[:, None]] = -np.inf
            base = base + score.argmax(1)
        cur[: t1 - t0] = base
    return out
