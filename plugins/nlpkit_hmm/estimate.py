"""Supervised estimation: every table an HMM learns from tagged sentences, from counts.

Transitions are TnT's deleted interpolation of uni- to (order+1)-gram estimates (Brants
2000) or add-k; emissions are maximum likelihood (TnT) or add-k; the unknown-word model
(:mod:`.unknown`) and the lexicalised transitions (:mod:`.lexical`) come from the same
counts. Tags are ``0..K-1`` and the index ``K`` is the sentence boundary.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from .lexical import lexical_ratios, lexical_words
from .unknown import unknown_table

#: The smallest interpolation weight kept, so that no tag sequence is ever impossible.
MIN_LAMBDA = 1e-3


def supervised_tables(words: list[str], tag_seqs: list[list[int]], num_tags: int, *, order: int, smoothing: str,
                      k: float, unknown: str, max_suffix: int, rare_threshold: int, lexical: int,
                      lexical_prior: float) -> dict:
    """Every table learnt from checked training data (``words``: the tokens of ``tag_seqs``'
    sentences, flat), by name: the log transitions, emissions and tag prior, the vocabulary,
    the unknown-word keys and rows, the lexicalised words and ratios, and the ``lambdas``
    (None for add-k)."""
    index: dict[str, int] = {}
    word_ids = [index.setdefault(w, len(index)) for w in words]
    flat_tags = np.fromiter(chain.from_iterable(tag_seqs), np.int64, count=len(word_ids))
    lengths = np.fromiter(map(len, tag_seqs), np.int64, count=len(tag_seqs))
    counts = np.bincount(np.asarray(word_ids, np.int64) * num_tags + flat_tags,
                         minlength=len(index) * num_tags).reshape(len(index), num_tags)
    ngrams = ngram_counts(flat_tags, lengths, num_tags, order)
    if smoothing == "tnt":
        lambdas = deleted_interpolation(ngrams)
        transitions = interpolated(ngrams, lambdas)
    else:
        lambdas = None
        transitions = add_k(ngrams[-1], k)
    tag_prob, vocab = counts.sum(0) / counts.sum(), list(index)
    keys, rows = unknown_table(vocab, counts, tag_prob, unknown, rare_threshold, max_suffix)
    frequent = lexical_words(counts, lexical)
    ratios = lexical_ratios(np.asarray(word_ids, np.int64), flat_tags, lengths, frequent, ngrams[1], lexical_prior)
    with np.errstate(divide="ignore"):
        return {"transitions": np.log(transitions), "emissions": emission_logprobs(counts, smoothing, k),
                "vocab": vocab, "tag_logprob": np.log(tag_prob), "unknown_keys": keys, "unknown_rows": rows,
                "lexical_words": [vocab[w] for w in frequent], "lexical_ratios": ratios, "lambdas": lambdas}


def ngram_counts(tags: np.ndarray, lengths: np.ndarray, k: int, order: int) -> list[np.ndarray]:
    """Tag n-gram counts for n = 1..order+1 over boundary-padded sentences.

    Each event is one next symbol (a tag or the end, index k) with its history (tags or
    the start, index k); ``counts[n-1]`` has n axes, the last one the next symbol.
    """
    size = lengths + order + 1
    starts = np.cumsum(size) - size
    seq = np.full(int(size.sum()), k, np.int64)
    offsets = np.repeat(starts + order - (np.cumsum(lengths) - lengths), lengths)
    tag_pos = np.arange(len(tags)) + offsets
    seq[tag_pos] = tags
    events = np.concatenate([tag_pos, starts + order + lengths])
    counts, index = [], np.zeros(len(events), np.int64)
    for n in range(1, order + 2):
        index = index + seq[events - n + 1] * (k + 1) ** (n - 1)
        counts.append(np.bincount(index, minlength=(k + 1) ** n).reshape((k + 1,) * n))
    return counts


def _conditionals(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood p(next | history) (0 where the history is unseen) and history-seen flags."""
    totals = counts.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(totals > 0, counts / totals, 0.0)
    return p, totals > 0


def deleted_interpolation(ngrams: list[np.ndarray]) -> np.ndarray:
    """TnT's lambdas: each (order+1)-gram votes, with its count, for the estimate that
    predicts it best once the n-gram itself is left out; ties split the vote."""
    full = ngrams[-1]
    order = full.ndim
    cases = []
    for n, counts in enumerate(ngrams, start=1):
        history = counts.sum(-1, keepdims=True)
        c = np.broadcast_to(counts.reshape((1,) * (order - n) + counts.shape), full.shape)
        h = np.broadcast_to(history.reshape((1,) * (order - n) + history.shape), full.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            cases.append(np.where(h > 1, (c - 1) / (h - 1), 0.0)[full > 0])
    cases_arr = np.stack(cases)
    winners = cases_arr == cases_arr.max(0)
    votes = (winners / winners.sum(0) * full[full > 0]).sum(1)
    lambdas = np.maximum(votes / votes.sum(), MIN_LAMBDA)
    return lambdas / lambdas.sum()


def interpolated(ngrams: list[np.ndarray], lambdas: np.ndarray) -> np.ndarray:
    """sum_n lambda_n p_n(next | last n-1 symbols), renormalised over the estimates whose
    history was seen, so that every conditional distribution sums to one."""
    order = ngrams[-1].ndim
    total, weight = 0.0, 0.0
    for n, (counts, lam) in enumerate(zip(ngrams, lambdas), start=1):
        p, seen = _conditionals(counts)
        shape = (1,) * (order - n)
        total = total + lam * p.reshape(shape + p.shape)
        weight = weight + lam * seen.reshape(shape + seen.shape)
    return total / weight


def add_k(counts: np.ndarray, k: float) -> np.ndarray:
    """(c + k) / (c(history) + k * outcomes) for the full-order transitions."""
    return (counts + k) / (counts.sum(-1, keepdims=True) + k * counts.shape[-1])


def emission_logprobs(counts: np.ndarray, smoothing: str, k: float) -> np.ndarray:
    """log p(w|t) over the vocabulary: add-k, or TnT's maximum likelihood (uniform for unseen tags)."""
    vocab_size = counts.shape[0]
    if smoothing == "add-k":
        return np.log((counts + k) / (counts.sum(0) + k * vocab_size))
    totals = counts.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(np.where(totals > 0, counts / totals, 1.0 / vocab_size))
