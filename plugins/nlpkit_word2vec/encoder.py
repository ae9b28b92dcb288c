"""The ``word2vec`` encoder: the ``vocab`` encoder with its word embedding initialised
from trained word2vec vectors (this plugin's, gensim's, or any word2vec-format file)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from nlpkit.errors import OptionError
from nlpkit.vocab import Vocab
from nlpkit_vocab import VocabEncoder


class Word2VecEncoder(VocabEncoder):
    """Word vectors read from ``vectors`` (word2vec text format, or binary with
    ``binary = true`` or a ``.bin`` name) start the model's embedding; words of the
    training data they lack start random.

    - ``freeze``: keep the word vectors fixed while the model trains (fine-tuned otherwise);
    - ``extend_vocab``: also give every word of the vectors file (at most ``max_size``
      words in all, the training words first) its own row, so a word never seen in
      training but known to the vectors is not ``<unk>`` (what makes frozen vectors pay);
    - ``dim``: the vectors' width (read from the file when left out);
    - ``min_freq``, ``lowercase``, ``char_dim``, ``bigram_dim``, ``lexicon``...: as encoder ``vocab``.

    The file is read when the encoder is fitted; a saved pipeline keeps the trained
    embedding in its weights and never needs the file again.
    """

    name = "word2vec"

    def __init__(
        self,
        *,
        vectors: str = "",
        binary: bool | None = None,
        freeze: bool = False,
        extend_vocab: bool = True,
        dim: int | None = None,
        min_freq: int = 1,
        max_size: int | None = None,
        lowercase: bool = False,
        char_dim: int = 0,
        char_filters: int = 50,
        char_width: int = 3,
        max_word_chars: int = 20,
        bigram_dim: int = 0,
        lexicon: str = "",
        lexicon_format: Literal["words", "segmented"] = "words",
        lexicon_dim: int = 0,
        lexicon_word_dim: int = 0,
        lexicon_pooling: Literal["mean", "frequency"] = "mean",
        replace: dict[str, str] | None = None,
    ) -> None:
        if not vectors:
            raise OptionError("Encoder 'word2vec' needs vectors = FILE: a word2vec text or binary file "
                              "(nlpkit word2vec train writes one).")
        super().__init__(dim=dim or 1, min_freq=min_freq, max_size=max_size, lowercase=lowercase,
                         char_dim=char_dim, char_filters=char_filters, char_width=char_width,
                         max_word_chars=max_word_chars, bigram_dim=bigram_dim, lexicon=lexicon,
                         lexicon_format=lexicon_format, lexicon_dim=lexicon_dim, lexicon_word_dim=lexicon_word_dim,
                         lexicon_pooling=lexicon_pooling, replace=replace)
        self.dim = dim  # type: ignore[assignment]  # None until fit() reads the file
        self.vectors, self.binary, self.freeze, self.extend_vocab = vectors, binary, freeze, extend_vocab
        self._initial: np.ndarray | None = None

    def fit(self, sequences: Iterable[Sequence[str]]) -> None:
        from .vectors import WordVectors

        sequences = [list(seq) for seq in sequences]
        binary = self.binary if self.binary is not None else Path(self.vectors).suffix == ".bin"
        loaded = WordVectors.load(self.vectors, binary=binary)
        if self.dim is not None and self.dim != loaded.dim:
            raise OptionError(f"Encoder 'word2vec' has dim = {self.dim}, but {self.vectors} holds {loaded.dim}-wide "
                              f"vectors. Leave dim out (or set dim = {loaded.dim}).")
        self.dim = loaded.dim
        super().fit(sequences)
        if self.extend_vocab:
            self.vocab = _extended(self.fitted, [self.normalise(w) for w in loaded.words], self.max_size)
        self._initial = _initial_rows(self.fitted, loaded, self.normalise)

    def embedding(self):  # type: ignore[no-untyped-def]
        import torch

        layer = super().embedding()
        words = getattr(layer, "words", layer)  # the word part of a FeatureEmbedding
        if self._initial is not None:
            known = ~np.isnan(self._initial[:, 0])
            with torch.no_grad():
                rows = torch.from_numpy(np.flatnonzero(known))
                words.weight[rows] = torch.from_numpy(self._initial[known])
        words.weight.requires_grad_(not self.freeze)
        return layer

    @property
    def initialised_share(self) -> float:
        """The share of the vocabulary whose rows come from the vectors file (after fit)."""
        return 0.0 if self._initial is None else float(np.mean(~np.isnan(self._initial[:, 0])))


def _extended(vocab: Vocab, words: list[str], max_size: int | None) -> Vocab:
    """The training vocabulary followed by the vectors' other words, at most ``max_size`` in all."""
    known = set(vocab.items)
    extra = [w for w in dict.fromkeys(words) if w not in known]
    room = None if max_size is None else max(0, max_size - (len(vocab) - len(vocab.specials)))
    items = vocab.items[len(vocab.specials):] + extra[:room]
    return Vocab(items, vocab.specials)


def _initial_rows(vocab: Vocab, loaded, normalise) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One row per vocabulary item: the vector of the file's word (the first whose
    normalised form matches), NaN where the file has none."""
    rows = np.full((len(vocab), loaded.dim), np.nan, dtype=np.float32)
    for i, word in enumerate(loaded.words):
        j = vocab.index.get(normalise(word))
        if j is not None and j >= len(vocab.specials) and np.isnan(rows[j, 0]):
            rows[j] = loaded.vectors[i]
    return rows
