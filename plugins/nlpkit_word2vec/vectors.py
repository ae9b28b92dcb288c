"""Word vectors and their queries: cosine similarities, nearest neighbours and analogies.

:class:`WordVectors` is a list of words and a float32 matrix with one row per word, most
frequent word first, queried like gensim's ``KeyedVectors`` (the same rankings, rounded
the same way). It also runs the standard evaluations (:mod:`.evaluate`) and reads and
writes the word2vec C file formats (:mod:`nlpkit.word2vec_format`). Only numpy is needed, never torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from nlpkit.errors import UsageError, did_you_mean
from nlpkit.word2vec_format import load_word2vec, save_word2vec

from .evaluate import AnalogyScore, SectionScore, SimilarityScore, analogy_score, similarity_score
from .ranking import top_indices

__all__ = ["COSMUL_EPS", "METHODS", "AnalogyScore", "Method", "SectionScore", "SimilarityScore", "WordVectors"]

Method = Literal["3cosadd", "3cosmul"]
METHODS = ("3cosadd", "3cosmul")
#: The additive constant of 3CosMul's denominator (Levy & Goldberg 2014 use 0.001).
COSMUL_EPS = 1e-3


class WordVectors:
    """Words and their vectors (float32, one row per word, most frequent word first)."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        matrix = np.array(vectors, dtype=np.float32, order="C")  # a copy: nobody else can change it
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise UsageError(f"Word vectors must be a [words, dimensions] matrix, got shape {matrix.shape}.")
        if len(words) != matrix.shape[0]:
            raise UsageError(f"{len(words)} words but {matrix.shape[0]} vectors; give one vector per word.")
        self._install(list(words), matrix)

    @classmethod
    def _trusted(cls, words: list[str], matrix: np.ndarray) -> WordVectors:
        """An instance around a float32 matrix built here, without copying it."""
        self = cls.__new__(cls)
        self._install(words, matrix)
        return self

    def _install(self, words: list[str], matrix: np.ndarray) -> None:
        index: dict[str, int] = {}
        for i, word in enumerate(words):
            if not isinstance(word, str):
                raise UsageError(f"Words must be strings; word {i} is {word!r}.")
            if index.setdefault(word, i) != i:
                raise UsageError(f"The word '{word}' appears twice (at {index[word]} and {i}); words must be unique.")
        matrix.setflags(write=False)
        self.words, self.vectors, self.index = words, matrix, index
        norms = np.linalg.norm(matrix, axis=1)
        self._norms = np.where(norms > 0, norms, np.float32(1))  # a zero vector has cosine 0 with all

    # ----------------------------------------------------------------- basics

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words, {self.dim} dimensions)"

    def vector(self, word: str) -> np.ndarray:
        """The word's vector (read-only)."""
        return self.vectors[self._id(word)]

    def _id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UsageError(f"'{word}' is not in the vocabulary ({len(self)} words).{self._suggest(word)}") from None

    def _suggest(self, word: str) -> str:
        hint = did_you_mean(word, self.words[:50_000])  # difflib over every word of a big vocabulary is slow
        if not hint and word.lower() != word and word.lower() in self.index:
            hint = f" Did you mean '{word.lower()}'?"
        return hint

    def _unit(self, i: int) -> np.ndarray:
        return self.vectors[i] / self._norms[i]

    # ----------------------------------------------------------------- queries

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return self.row_similarity(self._id(a), self._id(b))

    def row_similarity(self, i: int, j: int) -> float:
        """Cosine similarity of the words at rows ``i`` and ``j``."""
        return float(np.dot(self._unit(i), self._unit(j)))

    def most_similar(self, word_or_vector: str | np.ndarray, topn: int = 10,
                     exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """The ``topn`` words of highest cosine similarity, best first.

        A word is never its own neighbour; words in ``exclude`` are left out too.
        """
        skip = {self.index[w] for w in exclude if w in self.index}
        if isinstance(word_or_vector, str):
            i = self._id(word_or_vector)
            skip.add(i)
            query = self._unit(i)
        else:
            query = np.asarray(word_or_vector, dtype=np.float32)
            if query.shape != (self.dim,):
                raise UsageError(f"The query vector has shape {query.shape}; these vectors have {self.dim} dimensions.")
        return self._ranked(self._cosines(_normalised(query)), topn, skip)

    def analogy(self, a: str, b: str, c: str, method: Method = "3cosadd", topn: int = 1,
                eps: float = COSMUL_EPS) -> list[tuple[str, float]]:
        """``a`` is to ``b`` as ``c`` is to what? The best ``topn`` answers and their scores.

        ``3cosadd`` ranks words by cosine with ``b - a + c`` (unit vectors; gensim's
        ``most_similar(positive=[b, c], negative=[a])``); ``3cosmul`` by
        ``cos'(x, b) cos'(x, c) / (cos'(x, a) + eps)`` with cosines shifted to [0, 1]
        (Levy & Goldberg 2014). The three query words are never answers.
        """
        _check_method(method)
        ids = [self._id(b), self._id(c), self._id(a)]
        if method == "3cosadd":
            scores = self._cosines(self._offset_query(*ids))
        else:
            scores = self._cosmul(len(self), *ids, eps=eps)
        return self._ranked(scores, topn, set(ids))

    def _cosines(self, unit_query: np.ndarray, limit: int | None = None) -> np.ndarray:
        return self.vectors[:limit] @ unit_query / self._norms[:limit]

    def _offset_query(self, b: int, c: int, a: int) -> np.ndarray:
        """The unit vector of ``b^ + c^ - a^``, rounded as gensim rounds it."""
        mean = (self._unit(b) + self._unit(c) - self._unit(a)).astype(np.float64) / 3
        return _normalised(mean).astype(np.float32)

    def _cosmul(self, limit: int | None, b: int, c: int, a: int, eps: float) -> np.ndarray:
        shifted = [(1 + self._cosines(self._unit(i), limit)) / 2 for i in (b, c, a)]
        return shifted[0] * shifted[1] / (shifted[2] + eps)

    def _ranked(self, scores: np.ndarray, topn: int, skip: set[int]) -> list[tuple[str, float]]:
        best = top_indices(scores, topn + len(skip))
        return [(self.words[i], float(scores[i])) for i in best if i not in skip][:topn]

    def analogy_scores(self, questions: Sequence[tuple[int, int, int]], method: Method = "3cosadd",
                       limit: int | None = None, eps: float = COSMUL_EPS) -> np.ndarray:
        """The scores [questions, candidates] :meth:`analogy` ranks by, for ``(a, b, c)``
        questions given as rows and the first ``limit`` words as candidates; one matrix
        product for all the questions (3CosAdd), which is what the analogy evaluation runs."""
        _check_method(method)
        if method == "3cosadd":
            queries = np.stack([self._offset_query(b, c, a) for a, b, c in questions])
            return queries @ self.vectors[:limit].T / self._norms[:limit]
        return np.stack([self._cosmul(limit, b, c, a, eps) for a, b, c in questions])

    # ----------------------------------------------------------------- evaluations

    def evaluate_similarity(self, path: str | Path, restrict_vocab: int = 300_000) -> SimilarityScore:
        """Spearman's rho of cosines against human scores, as gensim's ``evaluate_word_pairs``.

        The file has ``word1<TAB>word2<TAB>score`` lines (WordSim-353, SimLex-999 as gensim
        ships them); ``#`` lines and lines of another shape are skipped; words match
        case-insensitively among the first ``restrict_vocab`` words; pairs with a word
        outside them are skipped and counted in :attr:`SimilarityScore.oov`.
        """
        return similarity_score(self, path, restrict_vocab)

    def evaluate_analogies(self, path: str | Path, method: Method = "3cosadd",
                           restrict_vocab: int = 300_000, eps: float = COSMUL_EPS) -> AnalogyScore:
        """Accuracy on ``a b c d`` analogy questions, as gensim's ``evaluate_word_analogies``.

        The file is ``questions-words.txt``'s format: ``: section`` lines, then one
        question per line. Words match case-insensitively among the first
        ``restrict_vocab`` words (the answer is compared upper-cased); questions with a
        word outside them are skipped and counted. Candidates are those words too.
        """
        _check_method(method)
        return analogy_score(self, path, method, restrict_vocab, eps)

    # ----------------------------------------------------------------- files

    def save(self, path: str | Path, binary: bool = False) -> None:
        """Write the word2vec C text (or binary) format, atomically.

        Words must be non-empty and hold no whitespace: the format separates fields by
        spaces and rows by line breaks.
        """
        save_word2vec(path, self.words, self.vectors, binary)

    @classmethod
    def load(cls, path: str | Path, binary: bool = False,
             errors: Literal["strict", "replace"] = "strict") -> WordVectors:
        """Read the word2vec C text (or binary) format.

        Every row is checked: a problem raises :class:`InputError` naming the file, the
        line (text) or word number (binary) and what is wrong. ``errors="replace"`` reads
        invalid UTF-8 in words as U+FFFD instead of failing.
        """
        return cls._trusted(*load_word2vec(path, binary, errors))


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise UsageError(f"Unknown analogy method '{method}'; use {' or '.join(METHODS)}.")
