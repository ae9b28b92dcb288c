"""Forward-backward over the pruned lattice of :mod:`.lattice`, in float64 log space.

States dropped from the lattice have probability 0 (a -inf emission), so sums over the
lattice are sums over all tag sequences. Every sum over a segment of edges (those into
one state, or out of one token's states) is a log-sum-exp shifted by the segment's
maximum, so no exp overflows and no sentence's total needs scaling.
"""

from __future__ import annotations

import numpy as np

from .forward_backward import ForwardBackward
from .lattice import Lattice, ScoreFn, blocks, edges, fill_states, final_states


class LatticeForwardBackward(ForwardBackward):
    """Forward-backward over a lattice laid out with ``keep_scores``; its states are filled
    first from ``state_score`` unless :func:`.lattice.viterbi` has run over it."""

    def __init__(self, lat: Lattice, transitions: np.ndarray, state_score: ScoreFn | None = None) -> None:
        if lat.score.size != len(lat.tag):
            raise ValueError("forward-backward needs a lattice laid out with keep_scores=True")
        if not lat.filled:
            if state_score is None:
                raise ValueError("forward-backward over an unfilled lattice needs its state_score")
            fill_states(lat, state_score)
        self._lat, self._transitions, self._blocks = lat, transitions, blocks(lat)
        self._alpha = self._sum_forward()
        self._beta = self._sum_backward()
        self.tokens = lat.flat

    def _sum_forward(self) -> np.ndarray:
        """alpha[s]: log of the summed probability of the paths ending in state s (the start: 0)."""
        lat = self._lat
        alpha, score = np.zeros(int(lat.token_states[-1])), lat.score
        step_states = lat.token_states[lat.step_tokens]
        with np.errstate(divide="ignore"):
            for i0, i1 in self._blocks:
                g0, g1 = int(step_states[i0]), int(step_states[i1])
                src, trans, first = edges(lat, g0, g1, self._transitions)
                fanin = lat.fanin[g0:g1]
                for j in range(i0, i1):
                    s0, s1 = int(step_states[j]), int(step_states[j + 1])
                    e0, e1 = int(first[s0 - g0]), int(first[s1 - g0 - 1] + fanin[s1 - g0 - 1])
                    cand = alpha[src[e0:e1]] + trans[e0:e1]
                    starts = first[s0 - g0: s1 - g0] - e0
                    top = _finite(np.maximum.reduceat(cand, starts))
                    cand -= np.repeat(top, fanin[s0 - g0: s1 - g0])
                    alpha[s0:s1] = top + np.log(np.add.reduceat(np.exp(cand), starts)) + score[s0:s1]
        return alpha

    def _sum_backward(self) -> np.ndarray:
        """beta[s]: log of the summed probability of everything after state s, the end included."""
        lat = self._lat
        beta = np.zeros(int(lat.token_states[-1]))
        ends = final_states(lat)[0]
        beta[ends] = self._transitions[lat.row[ends] + lat.k]
        step_states = lat.token_states[lat.step_tokens]
        with np.errstate(divide="ignore"):
            for i0, i1 in reversed(self._blocks):
                g0, g1 = int(step_states[i0]), int(step_states[i1])
                src, trans, first = edges(lat, g0, g1, self._transitions)
                fanin = lat.fanin[g0:g1]
                for j in range(i1 - 1, max(i0, 1) - 1, -1):
                    self._back_step(j, beta, src, trans, first, fanin, g0)
        return beta

    def _back_step(self, j: int, beta: np.ndarray, src: np.ndarray, trans: np.ndarray,
                   first: np.ndarray, fanin: np.ndarray, g0: int) -> None:
        """beta of the states of step j-1 whose sentence goes on, from the edges into step j.

        The edges are stored by destination; their sums by source state are bincounts, each
        shifted by the maximum over its destination token's edges (whose sources all belong
        to the one token before it), which keeps every exp in range."""
        lat = self._lat
        t0, t1 = int(lat.step_tokens[j]), int(lat.step_tokens[j + 1])
        s0, s1 = int(lat.token_states[t0]), int(lat.token_states[t1])
        e0, e1 = int(first[s0 - g0]), int(first[s1 - g0 - 1] + fanin[s1 - g0 - 1])
        dst = np.repeat(np.arange(s0, s1), fanin[s0 - g0: s1 - g0])
        value = trans[e0:e1] + lat.score[dst] + beta[dst]
        token_edges = np.add.reduceat(fanin[s0 - g0: s1 - g0], lat.token_states[t0:t1] - s0)
        top = _finite(np.maximum.reduceat(value, np.cumsum(token_edges) - token_edges))
        value -= np.repeat(top, token_edges)
        before = int(lat.step_tokens[j - 1])  # the going-on tokens of step j-1 come first
        p0, p1 = int(lat.token_states[before]), int(lat.token_states[before + (t1 - t0)])
        sums = np.bincount(src[e0:e1] - p0, np.exp(value), minlength=p1 - p0)
        rank = np.repeat(np.arange(t1 - t0), np.diff(lat.token_states[before: before + t1 - t0 + 1]))
        beta[p0:p1] = np.log(sums) + top[rank]

    def _state_tokens(self) -> np.ndarray:
        """Each state's step-major token (state 0, the start, is no token's and left out)."""
        lat = self._lat
        return np.repeat(np.arange(len(lat.flat)), np.diff(lat.token_states[: len(lat.flat) + 1]))

    def tag_posteriors(self) -> np.ndarray:
        """Each token's state posteriors are normalised over its own states (shifted by their
        maximum before exp), so no sentence's total needs adding up."""
        lat, n = self._lat, len(self._lat.flat)
        token = self._state_tokens()
        gamma = self._alpha[1:] + self._beta[1:]
        top = np.maximum.reduceat(gamma, lat.token_states[:n] - 1)
        weight = np.exp(gamma - top[token])
        sums = np.bincount(token * lat.k + lat.tag[1:], weight, minlength=n * lat.k).reshape(n, lat.k)
        return sums / np.bincount(token, weight, minlength=n)[:, None]

    def log_likelihoods(self) -> np.ndarray:
        lat = self._lat
        states, offsets, sizes = final_states(lat)
        ends = self._alpha[states] + self._transitions[lat.row[states] + lat.k]
        top = _finite(np.maximum.reduceat(ends, offsets))
        with np.errstate(divide="ignore"):
            return top + np.log(np.add.reduceat(np.exp(ends - np.repeat(top, sizes)), offsets))

    def event_counts(self) -> np.ndarray:
        """Each edge's posterior, exp(alpha[src] + transition + score + beta[dst] - log p), added
        to the transition it takes (the source's row plus the state's tag), and each final
        state's end the same way."""
        lat, alpha, beta = self._lat, self._alpha, self._beta
        log_p = self.log_likelihoods()
        sentence = np.concatenate(([0], self._token_rows()[self._state_tokens()]))  # each state's row
        counts = np.zeros(len(self._transitions))
        step_states = lat.token_states[lat.step_tokens]
        for i0, i1 in self._blocks:
            g0, g1 = int(step_states[i0]), int(step_states[i1])
            src, trans, _ = edges(lat, g0, g1, self._transitions)
            dst = np.repeat(np.arange(g0, g1), lat.fanin[g0:g1])
            posterior = np.exp(alpha[src] + trans + lat.score[dst] + beta[dst] - log_p[sentence[dst]])
            counts += np.bincount(lat.row[src] + lat.tag[dst], posterior, minlength=len(counts))
        finals = final_states(lat)[0]
        end = np.exp(alpha[finals] + self._transitions[lat.row[finals] + lat.k] - log_p[sentence[finals]])
        return counts + np.bincount(lat.row[finals] + lat.k, end, minlength=len(counts))

    def _token_rows(self) -> np.ndarray:
        """Each step-major token's sentence (its rank within its step: rows run longest first)."""
        step_tokens = self._lat.step_tokens
        step = np.repeat(np.arange(len(step_tokens) - 1), np.diff(step_tokens))
        return np.arange(len(self._lat.flat)) - step_tokens[step]


def _finite(x: np.ndarray) -> np.ndarray:
    """-inf maxima (a segment of impossible paths) shift by 0 instead, so no inf - inf."""
    return np.where(np.isfinite(x), x, 0.0)
