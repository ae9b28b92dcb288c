"""Word vectors: neighbours, analogies, standard evaluations and the word2vec C file formats.

:class:`WordVectors` is a list of words and a float32 matrix with one row per word,
most frequent word first. Queries are cosine similarities; the evaluations follow
gensim's ``KeyedVectors.evaluate_word_pairs`` and ``evaluate_word_analogies`` step by
step (case folding with ``str.upper``, the most frequent case variant standing for a
word, questions with unknown words skipped and counted), so a number printed here can
be set beside one from gensim on the same vectors.

Files are the word2vec C formats that gensim, fastText and the original tool read and
write: a ``"<words> <dimensions>"`` header line, then one row per word, either text
(``word v1 ... vD``) or binary (``word``, a space, D little-endian float32 and a line
break). Writes are atomic; reading checks every row and names the line (text) or the
word number (binary) of the first problem. Only numpy is needed, never torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from nlpkit.errors import InputError, UsageError, did_you_mean
from nlpkit.io import atomic_path, read_lines

Method = Literal["3cosadd", "3cosmul"]
METHODS = ("3cosadd", "3cosmul")
#: The additive constant of 3CosMul's denominator (Levy & Goldberg 2014 use 0.001).
COSMUL_EPS = 1e-3
_CHUNK_BYTES = 1 << 20  # binary files are read in pieces of this size
_TEXT_BLOCK_ROWS = 4096  # rows formatted at once when writing text
_QUESTION_BLOCK = 256  # analogy questions scored with one matrix product
_SEPARATORS = frozenset(" \t\n\r")  # characters a word in a word2vec file cannot hold


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
        return float(np.dot(self._unit(self._id(a)), self._unit(self._id(b))))

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

    def _cosmul(self, limit: int, b: int, c: int, a: int, eps: float) -> np.ndarray:
        shifted = [(1 + self._cosines(self._unit(i), limit)) / 2 for i in (b, c, a)]
        return shifted[0] * shifted[1] / (shifted[2] + eps)

    def _ranked(self, scores: np.ndarray, topn: int, skip: set[int]) -> list[tuple[str, float]]:
        best = _top(scores, topn + len(skip))
        return [(self.words[i], float(scores[i])) for i in best if i not in skip][:topn]

    # ----------------------------------------------------------------- evaluations

    def evaluate_similarity(self, path: str | Path, restrict_vocab: int = 300_000) -> SimilarityScore:
        """Spearman's rho of cosines against human scores, as gensim's ``evaluate_word_pairs``.

        The file has ``word1<TAB>word2<TAB>score`` lines (WordSim-353, SimLex-999 as gensim
        ships them); ``#`` lines and lines of another shape are skipped; words match
        case-insensitively among the first ``restrict_vocab`` words; pairs with a word
        outside them are skipped and counted in :attr:`SimilarityScore.oov`.
        """
        ok = self._folded_vocab(restrict_vocab)
        gold, model, oov = [], [], 0
        for a, b, score in _read_pairs(path):
            if a not in ok or b not in ok:
                oov += 1
                continue
            gold.append(score)
            model.append(float(np.dot(self._unit(ok[a]), self._unit(ok[b]))))
        if not gold:
            raise InputError(f"no pair to score: every pair has a word outside the first {restrict_vocab} words, "
                             "or no line has the form 'word1<TAB>word2<TAB>score'", str(path))
        return SimilarityScore(_spearman(gold, model), _pearson(gold, model), len(gold), oov)

    def evaluate_analogies(self, path: str | Path, method: Method = "3cosadd",
                           restrict_vocab: int = 300_000, eps: float = COSMUL_EPS) -> AnalogyScore:
        """Accuracy on ``a b c d`` analogy questions, as gensim's ``evaluate_word_analogies``.

        The file is ``questions-words.txt``'s format: ``: section`` lines, then one
        question per line. Words match case-insensitively among the first
        ``restrict_vocab`` words (the answer is compared upper-cased); questions with a
        word outside them are skipped and counted. Candidates are those words too.
        """
        _check_method(method)
        ok = self._folded_vocab(restrict_vocab)
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
        limit = min(restrict_vocab, len(self))
        scores = tuple(SectionScore(name, self._answer_all(asked, method, limit, eps), len(asked))
                       for name, asked in sections)
        correct, total = sum(s.correct for s in scores), sum(s.total for s in scores)
        return AnalogyScore(correct / total if total else 0.0, correct, total, oov, scores)

    def _folded_vocab(self, restrict_vocab: int) -> dict[str, int]:
        """Upper-cased word -> row, the first (most frequent) case variant winning."""
        folded: dict[str, int] = {}
        for i, word in enumerate(self.words[:restrict_vocab]):
            folded.setdefault(word.upper(), i)
        return folded

    def _answer_all(self, asked: list[tuple[int, int, int, str]], method: str, limit: int, eps: float) -> int:
        """How many questions get the expected answer (gensim's rule: the best of the top 5
        candidates whose upper-cased form is none of the three query words)."""
        correct = 0
        for start in range(0, len(asked), _QUESTION_BLOCK):
            block = asked[start:start + _QUESTION_BLOCK]
            if method == "3cosadd":
                queries = np.stack([self._offset_query(b, c, a) for a, b, c, _ in block])
                scores = queries @ self.vectors[:limit].T / self._norms[:limit]
            else:
                scores = np.stack([self._cosmul(limit, b, c, a, eps) for a, b, c, _ in block])
            for row, (a, b, c, expected) in zip(scores, block):
                correct += self._answer(row, (b, c, a)) == expected
        return correct

    def _answer(self, scores: np.ndarray, ids: tuple[int, int, int]) -> str | None:
        ignore = {self.words[i].upper() for i in ids}
        candidates = [i for i in _top(scores, 5 + len(ids)) if i not in ids][:5]
        predicted = None
        for i in candidates:
            predicted = self.words[i].upper()
            if predicted not in ignore:
                break
        return predicted

    # ----------------------------------------------------------------- files

    def save(self, path: str | Path, binary: bool = False) -> None:
        """Write the word2vec C text (or binary) format, atomically.

        Words must be non-empty and hold no whitespace: the format separates fields by
        spaces and rows by line breaks.
        """
        _check_writable(self.words)
        with atomic_path(path) as tmp, open(tmp, "wb") as stream:
            stream.write(f"{len(self)} {self.dim}\n".encode())
            if binary:
                _write_binary_rows(stream, self.words, self.vectors)
            else:
                _write_text_rows(stream, self.words, self.vectors)

    @classmethod
    def load(cls, path: str | Path, binary: bool = False,
             errors: Literal["strict", "replace"] = "strict") -> WordVectors:
        """Read the word2vec C text (or binary) format.

        Every row is checked: a problem raises :class:`InputError` naming the file, the
        line (text) or word number (binary) and what is wrong. ``errors="replace"`` reads
        invalid UTF-8 in words as U+FFFD instead of failing.
        """
        words, matrix = (_load_binary if binary else _load_text)(str(path), errors)
        return cls._trusted(words, matrix)


# --------------------------------------------------------------------------- maths


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest scores, highest first (gensim's ``matutils.argsort``)."""
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if n >= scores.size:
        return np.argsort(-scores)
    best = np.argpartition(-scores, n)[:n]
    return best[np.argsort(-scores[best])]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise UsageError(f"Unknown analogy method '{method}'; use {' or '.join(METHODS)}.")


def _spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: scipy's when it is installed, else Pearson's r of tie-averaged ranks."""
    try:
        from scipy import stats
    except ImportError:
        return _pearson(_ranks(np.asarray(x, dtype=np.float64)), _ranks(np.asarray(y, dtype=np.float64)))
    return float(stats.spearmanr(x, y)[0])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks (scipy's ``rankdata`` default)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2  # ranks start+1 .. end, averaged
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def _pearson(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator else float("nan")


# --------------------------------------------------------------------------- evaluation files


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


# --------------------------------------------------------------------------- writing


def _check_writable(words: list[str]) -> None:
    for i, word in enumerate(words):
        if not word or not _SEPARATORS.isdisjoint(word):
            raise UsageError(f"Word {i} ({word!r}) is empty or holds a space, tab or line break, which the "
                             "word2vec file formats cannot store (they separate fields and rows).")


def _write_text_rows(stream: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    # numpy's float32 -> str gives the shortest text that reads back to the same float32
    # (what gensim writes), so a text round trip is exact.
    for start in range(0, len(words), _TEXT_BLOCK_ROWS):
        block = vectors[start:start + _TEXT_BLOCK_ROWS].astype(str).tolist()
        lines = (f"{word} {' '.join(row)}\n" for word, row in zip(words[start:], block))
        stream.write("".join(lines).encode())


def _write_binary_rows(stream: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    little = vectors.astype("<f4", copy=False)
    stream.writelines(word.encode() + b" " + row.tobytes() + b"\n" for word, row in zip(words, little))


# --------------------------------------------------------------------------- reading


def _header(text: str, path: str) -> tuple[int, int]:
    fields = text.split()
    if len(fields) == 2 and all(f.isascii() and f.isdigit() and int(f) > 0 for f in fields):
        return int(fields[0]), int(fields[1])
    raise InputError(f"the header {text[:60]!r} is not '<number of words> <dimensions>' (two positive "
                     "integers); a word2vec file without a header (GloVe) needs one added", path, 1)


def _load_text(path: str, errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray]:
    lines = enumerate(read_lines(path, errors), 1)
    first = next(lines, None)
    if first is None:
        raise InputError("the file is empty; a word2vec file starts with a '<words> <dimensions>' line", path)
    count, dim = _header(first[1][0], path)
    words: list[str] = []
    matrix = np.empty((count, dim), dtype=np.float32)
    seen: dict[str, int] = {}
    number = 1
    try:
        for number, (line, _) in lines:
            if len(words) == count:
                if line.strip():
                    raise InputError(f"the header says {count} words, but another row follows them; fix the "
                                     "header or remove the extra rows", path, number)
                continue
            word, row = _text_row(line, dim, path, number)
            if seen.setdefault(word, number) != number:
                raise InputError(f"the word '{word}' appears again (first on line {seen[word]})", path, number)
            matrix[len(words)] = row
            words.append(word)
    except InputError as exc:
        if "invalid UTF-8" in exc.problem and (exc.line or 0) > 1:
            raise InputError(f"{exc.problem} If this is a binary word2vec file, load it with binary=True.",
                             path, exc.line) from None
        raise
    if len(words) < count:
        raise InputError(f"the file ends after {len(words)} of the {count} words the header announces "
                         "(truncated, or the header is wrong)", path, number + 1)
    return words, matrix


def _text_row(line: str, dim: int, path: str, number: int) -> tuple[str, np.ndarray]:
    fields = line.rstrip(" \t\r").split(" ")
    word, values = fields[0], fields[1:]
    if not word:
        raise InputError("the row does not start with a word (an empty line, or a leading space)", path, number)
    if len(values) != dim:
        raise InputError(f"the word '{word[:40]}' has {len(values)} values, the header says {dim}", path, number)
    try:
        row = np.array(values, dtype=np.float32)
    except ValueError:
        bad = next(i for i, v in enumerate(values) if not _is_number(v))
        raise InputError(f"value {bad + 1} of the word '{word[:40]}' ({values[bad][:20]!r}) is not a number",
                         path, number) from None
    if not np.isfinite(row).all():
        raise InputError(f"the word '{word[:40]}' has a value that is not a finite number", path, number)
    return word, row


def _is_number(text: str) -> bool:
    try:
        np.float32(text)
    except ValueError:
        return False
    return True


def _load_binary(path: str, errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray]:
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path) from None
    with stream:
        header = stream.readline(200)
        try:
            count, dim = _header(header.decode("utf-8"), path)
        except UnicodeDecodeError:
            raise InputError("the header is not text; a word2vec file starts with a '<words> <dimensions>' line",
                             path, 1) from None
        words, matrix, rest = _binary_rows(stream, count, dim, path, errors)
        if (rest + stream.read(_CHUNK_BYTES)).strip():
            raise InputError(f"the header says {count} words, but more data follows them; fix the header or "
                             "remove the extra data", path)
    return words, matrix


def _binary_rows(stream: BinaryIO, count: int, dim: int, path: str,
                 errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray, bytes]:
    """Rows of ``word<space><dim float32>`` with an optional line break between them,
    and the bytes read beyond the last row."""
    size = 4 * dim
    matrix = np.empty((count, dim), dtype=np.float32)
    words: list[str] = []
    seen: set[str] = set()
    buffer, start = b"", 0
    for i in range(count):
        space = buffer.find(b" ", start)
        while space < 0 or len(buffer) - space - 1 < size:
            more = stream.read(_CHUNK_BYTES)
            if not more:
                raise InputError(f"the file ends inside word {i + 1} of the {count} the header announces "
                                 "(truncated, or the header is wrong)", path)
            buffer, start = buffer[start:] + more, 0
            space = buffer.find(b" ")
        word = _binary_word(buffer[start:space], i, path, errors)
        if word in seen:
            raise InputError(f"word {i + 1} ('{word[:40]}') appears twice", path)
        seen.add(word)
        words.append(word)
        matrix[i] = np.frombuffer(buffer, dtype="<f4", count=dim, offset=space + 1)
        start = space + 1 + size
    if not np.isfinite(matrix).all():
        bad = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise InputError(f"word {bad + 1} ('{words[bad][:40]}') has a value that is not a finite number "
                         "(a damaged file, or a text file: load it with binary=False)", path)
    return words, matrix, buffer[start:]


def _binary_word(raw: bytes, i: int, path: str, errors: Literal["strict", "replace"]) -> str:
    raw = raw.lstrip(b"\n")  # word2vec.c ends each row with a line break; gensim does not
    if not raw or b"\n" in raw:
        raise InputError(f"word {i + 1} is {'empty' if not raw else 'broken by a line break'}: a damaged file, "
                         "or a text file (load it with binary=False)", path)
    try:
        return raw.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise InputError(f"word {i + 1} is not valid UTF-8 at byte {exc.start + 1} ({raw[:40]!r}); pass "
                         "errors='replace' to read it with U+FFFD", path) from None
