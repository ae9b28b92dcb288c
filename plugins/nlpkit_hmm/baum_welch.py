"""Baum-Welch: unsupervised re-estimation of a fitted :class:`~nlpkit_hmm.hmm.HMM` on raw text.

The supervised HMM is the starting point; each iteration runs forward-backward over
the raw sentences (the E-step) and sets the transitions and emissions to the expected
counts, normalised (the M-step). With ``anchor=0`` this is plain EM, so the raw text's
log-likelihood never decreases from one re-estimated model to the next; ``anchor=w``
keeps each distribution a mixture ``(1 - w) * EM + w * supervised``, which stops EM
from drifting away from the tags' meaning (Merialdo 1994 found pure EM hurts taggers).

The chain runs over expanded states, the last ``order`` symbols (tags or the sentence
boundary ``K``): ``(K + 1) ** order`` states, 25 for a second-order BMES model. Sentences
are processed longest first, the batch on the first axis. This module never imports torch.
"""

from __future__ import annotations

import numpy as np

from nlpkit.errors import OptionError, UsageError

from .hmm import HMM


def reestimate(hmm: HMM, sentences: list[list[str]], iterations: int, *, anchor: float = 0.0) -> list[float]:
    """Re-estimate ``hmm`` in place on unlabelled ``sentences``; return the raw text's
    log-likelihood under each model, the supervised one first (``iterations + 1`` numbers).

    The first number uses the unknown-word scores for words the supervised model never
    saw, which are not probabilities; from the second on, every raw word is in the
    vocabulary and the numbers are true log-likelihoods (non-decreasing when ``anchor=0``).
    """
    if not isinstance(iterations, int) or iterations < 0:
        raise OptionError(f"Baum-Welch needs a whole number of iterations >= 0, got {iterations!r}")
    if not 0 <= anchor < 1:
        raise OptionError(f"Baum-Welch anchor must be in [0, 1) (the supervised model's weight), got {anchor!r}")
    hmm._require_fitted()
    if hmm.lexical:
        raise OptionError("Baum-Welch does not re-estimate lexicalised transitions; start from an HMM "
                          "fitted with lexical = 0")
    sentences = [list(s) for s in sentences if len(s)]
    if not sentences:
        raise UsageError("Baum-Welch needs at least one non-empty raw sentence")
    words = sorted({w for s in sentences for w in s})
    index = {w: i for i, w in enumerate(words)}
    ids = [np.fromiter((index[w] for w in s), np.int64, count=len(s)) for s in sentences]
    supervised = (hmm._transitions.copy(), hmm._emissions.copy(), list(hmm._vocab))
    lls = []
    for _ in range(iterations):
        transitions, emissions, ll = _expected_counts(hmm, words, ids)
        lls.append(ll)
        _maximise(hmm, transitions, emissions, words, supervised, anchor)
    lls.append(_expected_counts(hmm, words, ids)[2])
    return lls


class _Chain:
    """The expanded-state chain of an HMM: state = last ``order`` symbols in base ``K + 1``."""

    def __init__(self, hmm: HMM) -> None:
        k, o = hmm.num_tags, hmm.order
        self.k, self.size = k, (k + 1) ** o
        states = np.arange(self.size)
        self.last = states % (k + 1)  # the newest symbol of each state
        self.shift = (states[:, None] * (k + 1)) % self.size + np.arange(k)  # [S, K]: state after tag n
        probs = np.exp(hmm._transitions.reshape(self.size, k + 1))  # [S, K+1]: p(next | state)
        self.move = np.zeros((self.size, self.size))
        np.put_along_axis(self.move, self.shift, probs[:, :k], axis=1)
        self.end = probs[:, k]
        self.start = self.size - 1  # all boundary symbols

    def emission_table(self, log_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[words, S] emission probabilities of each state (0 for boundary states), from log rows [words, K]."""
        shifted = np.exp(log_rows - log_rows.max(1, keepdims=True))  # scale per word: cancels in posteriors
        table = np.zeros((len(log_rows), self.size))
        real = self.last < self.k
        table[:, real] = shifted[:, self.last[real]]
        return table, log_rows.max(1)  # the scales, added back into the log-likelihood


def _expected_counts(hmm: HMM, words: list[str], ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """E-step: expected (order+1)-gram counts [K+1]^(order+1), expected emissions [words, K]
    and the log-likelihood, by scaled forward-backward over all sentences at once."""
    chain = _Chain(hmm)
    table, offsets = chain.emission_table(hmm._rows(words))
    tokens, lengths, active = _padded(ids)
    alphas, scales = _forward(chain, table, tokens, active)
    finals = np.array([alphas[n - 1][row] @ chain.end for row, n in enumerate(lengths)])  # p(sentence), scaled
    real = np.arange(tokens.shape[1])[None, :] < lengths[:, None]
    ll = float(np.log(np.concatenate(scales)).sum() + np.log(finals).sum() + offsets[tokens[real]].sum())
    moves, posteriors = _backward(chain, table, tokens, active, alphas, scales, finals)
    ngrams = _to_ngrams(chain, hmm.order, moves, posteriors, alphas, finals, lengths)
    return ngrams, _to_words(chain, posteriors, tokens, len(words)), ll


def _padded(ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids [B, T] longest sentence first (0 past the end), lengths [B], rows active per step [T]."""
    order = np.argsort([-len(s) for s in ids], kind="stable")
    lengths = np.array([len(ids[j]) for j in order])
    tokens = np.zeros((len(order), int(lengths[0])), np.int64)
    for row, j in enumerate(order):
        tokens[row, : lengths[row]] = ids[j]
    active = len(lengths) - np.cumsum(np.bincount(lengths, minlength=int(lengths[0]) + 1))[:-1]
    return tokens, lengths, active


def _forward(chain: _Chain, table: np.ndarray, tokens: np.ndarray, active: np.ndarray) -> tuple[list, list]:
    """Scaled forward probabilities per step ([active rows, S], rows summing to 1) and the scales."""
    alphas, scales = [], []
    prev = np.zeros((len(tokens), chain.size))
    prev[:, chain.start] = 1.0
    for i, m in enumerate(active):
        alpha = (prev[:m] @ chain.move) * table[tokens[:m, i]]
        scale = alpha.sum(1)
        alpha /= scale[:, None]
        alphas.append(alpha)
        scales.append(scale)
        prev = alpha
    return alphas, scales


def _backward(chain: _Chain, table: np.ndarray, tokens: np.ndarray, active: np.ndarray, alphas: list,
              scales: list, finals: np.ndarray) -> tuple[np.ndarray, list]:
    """Expected state-to-state moves [S, S] (before the move probabilities multiply in)
    and each step's state posteriors [active rows, S]."""
    moves = np.zeros((chain.size, chain.size))
    posteriors: list[np.ndarray] = [np.empty(0)] * len(active)
    beta = np.empty((0, chain.size))
    for i in range(len(active) - 1, -1, -1):
        m, m_next = int(active[i]), int(active[i + 1]) if i + 1 < len(active) else 0
        new = np.empty((m, chain.size))
        if m_next:
            weighted = table[tokens[:m_next, i + 1]] * beta / scales[i + 1][:, None]  # [rows, S]
            moves += (alphas[i][:m_next] / finals[:m_next, None]).T @ weighted
            new[:m_next] = weighted @ chain.move.T
        new[m_next:m] = chain.end
        beta = new
        posteriors[i] = alphas[i] * beta / finals[:m, None]
    return moves, posteriors


def _to_ngrams(chain: _Chain, order: int, moves: np.ndarray, posteriors: list, alphas: list,
               finals: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Expected counts of each (history, next) event as a [K+1]^(order+1) table."""
    k = chain.k
    counts = np.zeros((chain.size, k + 1))
    counts[:, :k] = np.take_along_axis(moves * chain.move, chain.shift, axis=1)
    last = np.stack([alphas[n - 1][row] for row, n in enumerate(lengths)])  # [B, S]
    counts[:, k] = (last * chain.end / finals[:, None]).sum(0)  # the end of each sentence
    counts[chain.start, :k] += posteriors[0].sum(0)[chain.shift[chain.start]]  # its first tag
    return counts.reshape((k + 1,) * (order + 1))


def _to_words(chain: _Chain, posteriors: list, tokens: np.ndarray, num_words: int) -> np.ndarray:
    """Expected emission counts [words, K]: each token's tag posteriors added to its word."""
    by_tag = np.zeros((chain.size, chain.k))
    real = chain.last < chain.k
    by_tag[np.flatnonzero(real), chain.last[real]] = 1.0  # state -> its newest tag
    counts = np.zeros((num_words, chain.k))
    for i, post in enumerate(posteriors):
        np.add.at(counts, tokens[: len(post), i], post @ by_tag)
    return counts


def _maximise(hmm: HMM, ngrams: np.ndarray, emissions: np.ndarray, words: list[str],
              supervised: tuple[np.ndarray, np.ndarray, list[str]], anchor: float) -> None:
    """M-step: normalised expected counts, mixed with the supervised model by ``anchor``."""
    transitions0, emissions0, vocab0 = supervised
    totals = ngrams.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        em = np.where(totals > 0, ngrams / totals, np.exp(transitions0))  # unseen histories keep their row
        transitions = np.log((1 - anchor) * em + anchor * np.exp(transitions0))
    vocab = list(dict.fromkeys([*vocab0, *words]))
    where = {w: i for i, w in enumerate(vocab)}
    probs = np.zeros((len(vocab), hmm.num_tags))
    probs[[where[w] for w in words]] = (1 - anchor) * emissions / np.maximum(emissions.sum(0), 1e-300)
    probs[: len(vocab0)] += anchor * np.exp(emissions0)
    keep = probs.sum(1) > 0  # a word no tag emits any more is left to the unknown-word model
    with np.errstate(divide="ignore"):
        hmm._install(hmm.num_tags, transitions, np.log(probs[keep]), [w for w, k in zip(vocab, keep) if k],
                     hmm._tag_logprob, hmm._unknown_keys, hmm._unknown_rows)
