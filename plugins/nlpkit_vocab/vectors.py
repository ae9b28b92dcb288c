"""Pretrained word vectors for the ``vocab`` encoder's word embedding: read a word2vec
file (:mod:`nlpkit.word2vec_format`), extend the vocabulary with its words, and give each
vocabulary item the row of its word."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from nlpkit.vocab import Vocab
from nlpkit.word2vec_format import load_word2vec


def read_vectors(path: str, binary: bool | None) -> tuple[list[str], np.ndarray]:
    """The words and vectors of a word2vec file; binary when ``binary`` says so, or when it
    is left out and the name ends in ``.bin``."""
    from nlpkit.config import resolve_corpus_path

    path = resolve_corpus_path(path, Path.cwd())
    return load_word2vec(path, binary=Path(path).suffix == ".bin" if binary is None else binary)


def extended(vocab: Vocab, words: list[str], max_size: int | None) -> Vocab:
    """The training vocabulary followed by the vectors' other words, at most ``max_size`` in all."""
    known = set(vocab.items)
    extra = [w for w in dict.fromkeys(words) if w not in known]
    room = None if max_size is None else max(0, max_size - (len(vocab) - len(vocab.specials)))
    items = vocab.items[len(vocab.specials):] + extra[:room]
    return Vocab(items, vocab.specials)


def initial_rows(vocab: Vocab, words: list[str], vectors: np.ndarray, normalise: Callable[[str], str]) -> np.ndarray:
    """One row per vocabulary item: the vector of the file's word (the first whose
    normalised form matches), NaN where the file has none."""
    rows = np.full((len(vocab), vectors.shape[1]), np.nan, dtype=np.float32)
    for i, word in enumerate(words):
        j = vocab.index.get(normalise(word))
        if j is not None and j >= len(vocab.specials) and np.isnan(rows[j, 0]):
            rows[j] = vectors[i]
    return rows
