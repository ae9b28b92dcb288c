"""Baum-Welch: unsupervised re-estimation of a fitted :class:`~nlpkit_hmm.hmm.HMM` on raw text.

The supervised HMM is the starting point; each iteration runs forward-backward over
the raw sentences (the E-step, :meth:`HMM.expected_counts`, the same forward-backward
that gives posteriors and confidences) and sets the transitions and emissions to the
expected counts, normalised (the M-step, :meth:`HMM.set_tables`). With ``anchor=0`` this
is plain EM, so the raw text's log-likelihood never decreases from one re-estimated model
to the next; ``anchor=w`` keeps each distribution a mixture ``(1 - w) * EM + w *
supervised``, which stops EM from drifting away from the tags' meaning (Merialdo 1994
found pure EM hurts taggers). This module never imports torch.
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
    hmm.require_fitted()
    if hmm.lexical:
        raise OptionError("Baum-Welch does not re-estimate lexicalised transitions; start from an HMM "
                          "fitted with lexical = 0")
    sentences = [list(s) for s in sentences if len(s)]
    if not sentences:
        raise UsageError("Baum-Welch needs at least one non-empty raw sentence")
    words = sorted({w for s in sentences for w in s})
    index = {w: i for i, w in enumerate(words)}
    ids = np.fromiter((index[w] for s in sentences for w in s), np.int64)
    supervised = (hmm.transitions.copy(), hmm.emissions.copy(), list(hmm.vocabulary))
    lls = []
    for _ in range(iterations):
        transitions, emissions, ll = e_step(hmm, sentences, ids, len(words))
        lls.append(ll)
        _maximise(hmm, transitions, emissions, words, supervised, anchor)
    lls.append(hmm.expected_counts(sentences).log_likelihood)
    return lls


def e_step(hmm: HMM, sentences: list[list[str]], ids: np.ndarray,
           num_words: int) -> tuple[np.ndarray, np.ndarray, float]:
    """E-step: expected (order+1)-gram counts [K+1]^(order+1), expected emissions [words, K]
    (``ids``: each token's word, the sentences' tokens back to back) and the log-likelihood."""
    counts = hmm.expected_counts(sentences)
    emissions = np.stack([np.bincount(ids, weights, minlength=num_words) for weights in counts.tags.T], axis=1)
    return counts.events, emissions, counts.log_likelihood


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
        hmm.set_tables(transitions, np.log(probs[keep]), [w for w, k in zip(vocab, keep) if k])
