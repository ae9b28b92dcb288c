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

from dataclasses import dataclass

import numpy as np

#: Edges (tag (order+1)-tuples) per chunk: about 100 bytes each at the peak of building one.
EDGE_BUDGET = 1 << 21


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


def sentence_edges(counts: np.ndarray, lengths: np.ndarray, order: int) -> np.ndarray:
    """How many edges (tag (order+1)-tuples) each sentence's lattice has; 0 for empty ones."""
    nonempty = lengths > 0
    starts = (np.cumsum(lengths) - lengths)[nonempty]
    per_token = counts.astype(np.int64)
    back = per_token
    for _ in range(order):  # the tag counts of the token 1, 2 back (the boundary: 1)
        back = np.concatenate(([1], back[:-1]))
        back[starts] = 1
        per_token = per_token * back
    out = np.zeros(len(lengths), np.int64)
    if len(starts):
        out[nonempty] = np.add.reduceat(per_token, starts)
    return out


@dataclass
class Lattice:
    """The states and edges of one chunk, step-major; state arrays skip state 0 (the start)."""

    flat: np.ndarray  # [T] each step-major token's index in the batch
    step_tokens: np.ndarray  # [L+1] first token of each step
    step_states: np.ndarray  # [L+1] first (global) state of each step
    step_edges: np.ndarray  # [L+1] first edge of each step
    src: np.ndarray  # [E] each edge's source state (global index)
    trans: np.ndarray  # [E] each edge's transition log probability
    first: np.ndarray  # [S] each state's first edge
    fanin: np.ndarray  # [S] each state's edge count
    score: np.ndarray  # [S] each state's emission (and lexical) log score
    tag: np.ndarray  # [S] each state's own tag
    key: np.ndarray  # [S] each state's tag history as a number, oldest tag most significant
    final: np.ndarray  # [rows] each sentence's last token (step-major index)
    token_states: np.ndarray  # [T+1] each token's first state (global), then the total


def build(order: int, k: int, transitions_t: np.ndarray, lengths: np.ndarray, starts: np.ndarray,
          cands: tuple[np.ndarray, np.ndarray, np.ndarray], state_score) -> Lattice:  # type: ignore[no-untyped-def]
    """The lattice of sentences ``lengths`` (sorted longest first, none empty) at ``starts``.

    ``transitions_t`` is the flat transition table with the oldest tag moved last
    (``[history..., next, oldest]``, so an edge's index is ``key * (K+1) + oldest``);
    ``state_score(flat, tags)`` gives each state's log score from its batch token and its
    tags (``tags[0]`` own, ``tags[1]`` the one before, K for the boundary).
    """
    counts, offsets, tag_list = cands
    flat, step_tokens, prev = _step_major(lengths, starts)
    t = len(flat)
    n = np.append(counts[flat], 1)  # index t: the boundary "token", one tag (K), one state (0)
    off = np.append(offsets[flat], len(tag_list))
    tag_ext = np.append(tag_list, k)
    hist = [np.arange(t)]
    prev_ext = np.append(prev, t)
    for _ in range(order):
        hist.append(prev_ext[hist[-1]])  # hist[j]: the token j back (t: the boundary)
    stride = n[hist[1]] if order == 2 else np.ones(t, np.int64)  # states of one own tag
    sizes = n[:t] * stride
    token_states = np.empty(t + 1, np.int64)
    token_states[0] = 1
    np.cumsum(sizes, out=token_states[1:])
    token_states[1:] += 1
    state_of_token = np.append(token_states[:t], 0)  # the boundary's one state is state 0
    tok = np.repeat(np.arange(t), sizes)
    local = np.arange(len(tok)) + 1 - token_states[:t][tok]
    own, older = np.divmod(local, stride[tok])  # order 2: older is the previous token's tag digit
    tags = [tag_ext[off[tok] + own]]
    if order == 2:
        tags.append(tag_ext[off[hist[1]][tok] + older])
    key = np.zeros(len(tok), np.int64)
    for j, tg in enumerate(tags):
        key += tg * (k + 1) ** j
    fanin = n[hist[order]][tok]
    first = np.cumsum(fanin) - fanin
    edges = np.arange(int(fanin.sum()))
    src = edges + np.repeat(state_of_token[hist[1]][tok] + older * fanin - first, fanin)
    oldest = tag_ext[edges + np.repeat(off[hist[order]][tok] - first, fanin)]
    trans = transitions_t[np.repeat(key * (k + 1), fanin) + oldest]
    step_states = np.concatenate(([1], 1 + np.cumsum(np.add.reduceat(sizes, step_tokens[:-1]))))
    step_edges = np.concatenate(([0], np.cumsum(np.add.reduceat(fanin, step_states[:-1] - 1))))
    final = step_tokens[lengths - 1] + np.arange(len(lengths))
    return Lattice(flat, step_tokens, step_states, step_edges, src, trans, first, fanin,
                   state_score(flat[tok], tags), tags[0], key, final, token_states)


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


def viterbi(lattice: Lattice, end_scores: np.ndarray, k: int) -> np.ndarray:
    """The best tag of every step-major token: a forward pass of segment maxima, the best
    final state of each sentence, then a backtrace that re-scores only the chosen states' edges."""
    delta = _forward(lattice)
    cur = _best_final(lattice, delta, end_scores, k)
    return _backtrace(lattice, delta, cur)


def _forward(lat: Lattice) -> np.ndarray:
    """delta[s]: the best log score of a path ending in state s (state 0, the start: 0)."""
    delta = np.empty(int(lat.token_states[-1]))
    delta[0] = 0.0
    seg = lat.first - np.repeat(lat.step_edges[:-1], np.diff(lat.step_states))
    buffer = np.empty(int(np.diff(lat.step_edges).max(initial=0)))
    for i in range(len(lat.step_states) - 1):
        s0, s1 = int(lat.step_states[i]), int(lat.step_states[i + 1])
        e0, e1 = int(lat.step_edges[i]), int(lat.step_edges[i + 1])
        cand = np.take(delta, lat.src[e0:e1], out=buffer[: e1 - e0], mode="clip")
        cand += lat.trans[e0:e1]
        out = delta[s0:s1]
        np.maximum.reduceat(cand, seg[s0 - 1: s1 - 1], out=out)
        out += lat.score[s0 - 1: s1 - 1]
    return delta


def _best_final(lat: Lattice, delta: np.ndarray, end_scores: np.ndarray, k: int) -> np.ndarray:
    """Each sentence's best last state, the end transition added; ties: the lowest history."""
    lo, hi = lat.token_states[lat.final], lat.token_states[lat.final + 1]
    sizes = hi - lo
    offsets = np.cumsum(sizes) - sizes
    states = np.arange(int(sizes.sum())) + np.repeat(lo - offsets, sizes)
    key = lat.key[states - 1]
    score = delta[states] + end_scores[key]
    order = np.lexsort((key, -score, np.repeat(np.arange(len(sizes)), sizes)))
    return states[order[offsets]]


def _backtrace(lat: Lattice, delta: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """The chosen tag of each step-major token, last step first; each step re-scores the
    edges into the active sentences' chosen states (at most K each) and keeps the best."""
    out = np.empty(len(lat.flat), np.int64)
    cur = cur.copy()
    for i in range(len(lat.step_tokens) - 2, -1, -1):
        t0, t1 = int(lat.step_tokens[i]), int(lat.step_tokens[i + 1])
        chosen = cur[: t1 - t0] - 1
        out[t0:t1] = lat.tag[chosen]
        if i == 0:
            break
        first, fanin = lat.first[chosen], lat.fanin[chosen]
        width = int(fanin.max())
        if width == 1:
            cur[: t1 - t0] = lat.src[first]
            continue
        edges = np.minimum(first[:, None] + np.arange(width), len(lat.src) - 1)
        score = delta[lat.src[edges]] + lat.trans[edges]
        score[np.arange(width) >= fanin[:, None]] = -np.inf
        cur[: t1 - t0] = lat.src[first + score.argmax(1)]
    return out
