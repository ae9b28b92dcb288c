"""The standard evaluations of word vectors: word-pair similarity and analogy questions.

Both follow gensim's ``KeyedVectors.evaluate_word_pairs`` and ``evaluate_word_analogies``
step by step (case folding with ``str.upper``, the most frequent case variant standing
for a word, questions with unknown words skipped and counted), so a number printed here
can be set beside one from gensim on the same vectors. :class:`.vectors.WordVectors`
offers them as its ``evaluate_similarity`` and ``evaluate_analogies`` methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlpkit.errors import InputError, UsageError, did_you_mean
from nlpkit.io import read_lines

from .ranking import pearson, spearman, top_indices

if TYPE_CHECKING:
    from .vectors import Method, WordVectors

_QUESTION_BLOCK = 256  # analogy questions scored with one matrix product


@dataclass(frozen=True)
class SimilarityScore:
    """How well cosine similarities rank word pairs like human judgements do."""

    spearman: float  #: Spearman's rho between the file's scores and the cosines
    pearson: float
    pairs: int  #: pairs scored
    oov: int  #: pairs skipped because a word is not in the (restricted) vocabulary

    @property
    def oov_ratio(self) -> float:
        """Skipped pairs over all valid pairs (gensim prints 100 times this)."""
        return self.oov / (self.pairs + self.oov) if self.pairs + self.oov else 0.0


@dataclass(frozen=True)
class SectionScore:
    """Analogy questions of one ``: section`` of the file that could be asked."""

    name: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class AnalogyScore:
    """Analogy accuracy over all sections (questions with unknown words are skipped)."""

    accuracy: float
    correct: int
    total: int  #: questions asked
    oov: int  #: questions skipped because a word is not in the (restricted) vocabulary
    sections: tuple[SectionScore, ...]

    @property
    def oov_ratio(self) -> float:
        return self.oov / (self.total + self.oov) if self.total + self.oov else 0.0

    def section(self, name: str) -> SectionScore:
        for score in self.sections:
            if score.name == name:
                return score
        raise UsageError(f"No analogy section '{name}'.{did_you_mean(name, [s.name for s in self.sections])}")


def similarity_score(vectors: WordVectors, path: str | Path, restrict_vocab: int) -> SimilarityScore:
    """Spearman's rho of cosines against the human scores of a ``word1<TAB>word2<TAB>score``
    file, pairs with a word outside the first ``restrict_vocab`` words skipped and counted."""
    ok = folded_vocabulary(vectors.words, restrict_vocab)
    gold, model, oov = [], [], 0
    for a, b, score in _read_pairs(path):
        if a not in ok or b not in ok:
            oov += 1
            continue
        gold.append(score)
        model.append(vectors.row_similarity(ok[a], ok[b]))
    if not gold:
        raise InputError(f"no pair to score: every pair has a word outside the first {restrict_vocab} words, "
                         "or no line has the form 'word1<TAB>word2<TAB>score'", str(path))
    return SimilarityScore(spearman(gold, model), pearson(gold, model), len(gold), oov)


def analogy_score(vectors: WordVectors, path: str | Path, method: Method, restrict_vocab: int,
                  eps: float) -> AnalogyScore:
    """Accuracy on the ``a b c d`` questions of a ``questions-words.txt``-style file, section
    by section; questions with a word outside the first ``restrict_vocab`` words are skipped
    and counted, and the answers are chosen among those words."""
    ok = folded_vocabulary(vectors.words, restrict_vocab)
    sections: list[tuple[str, list[tuple[int, int, int, str]]]] = []
    oov = 0
    for name, question in _read_questions(path):
        if question is None:
            sections.append((name, []))
        elif all(w in ok for w in question):
            a, b, c, expected = question
            sections[-1][1].append((ok[a], ok[b], ok[c], expected))
        else:
            oov += 1
    limit = min(restrict_vocab, len(vectors))
    scores = tuple(SectionScore(name, _answer_all(vectors, asked, method, limit, eps), len(asked))
                   for name, asked in sections)
    correct, total = sum(s.correct for s in scores), sum(s.total for s in scores)
    return AnalogyScore(correct / total if total else 0.0, correct, total, oov, scores)


def folded_vocabulary(words: list[str], restrict_vocab: int) -> dict[str, int]:
    """Upper-cased word -> row, the first (most frequent) case variant winning."""
    folded: dict[str, int] = {}
    for i, word in enumerate(words[:restrict_vocab]):
        folded.setdefault(word.upper(), i)
    return folded


def _answer_all(vectors: WordVectors, asked: list[tuple[int, int, int, str]], method: Method, limit: int,
                eps: float) -> int:
    """How many questions get the expected answer, a block of questions at a time."""
    correct = 0
    for start in range(0, len(asked), _QUESTION_BLOCK):
        block = asked[start:start + _QUESTION_BLOCK]
        scores = vectors.analogy_scores([(a, b, c) for a, b, c, _ in block], method, limit, eps)
        for row, (a, b, c, expected) in zip(scores, block):
            correct += _answer(vectors.words, row, (b, c, a)) == expected
    return correct


def _answer(words: list[str], scores: np.ndarray, ids: tuple[int, int, int]) -> str | None:
    """gensim's rule: the best of the top 5 candidates whose upper-cased form is none of
    the three query words (upper-cased, or the fifth when all are)."""
    ignore = {words[i].upper() for i in ids}
    candidates = [i for i in top_indices(scores, 5 + len(ids)) if i not in ids][:5]
    predicted = None
    for i in candidates:
        predicted = words[i].upper()
        if predicted not in ignore:
            break
    return predicted


def _read_pairs(path: str | Path) -> Iterator[tuple[str, str, float]]:
    """``(WORD1, WORD2, score)`` upper-cased, from gensim's word-pair format."""
    for line, _ in read_lines(path):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            continue
        try:
            score = float(fields[2])
        except ValueError:
            continue
        yield fields[0].upper(), fields[1].upper(), score


def _read_questions(path: str | Path) -> Iterator[tuple[str, tuple[str, str, str, str] | None]]:
    """``(section, None)`` where a section starts, then ``(section, (A, B, C, D))`` per question."""
    section = None
    for number, (line, _) in enumerate(read_lines(path), 1):
        if line.startswith(": "):
            section = line.lstrip(": ").strip()
            yield section, None
            continue
        if section is None:
            raise InputError("a question comes before the first ': section' line", str(path), number)
        words = line.upper().split()
        if len(words) == 4:
            yield section, (words[0], words[1], words[2], words[3])
