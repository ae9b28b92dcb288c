"""Training word2vec (skip-gram or CBOW with negative sampling), and its torch backend.

The recipe is word2vec.c's, as gensim implements it: a vocabulary of the words seen at
least ``min_count`` times, frequent words dropped at random (``sample``), a window
shrunk at random for every centre word, ``negative`` noise words per example drawn
from the unigram distribution raised to 0.75, and plain SGD whose learning rate falls
linearly from ``alpha`` to ``min_alpha`` over all the words of all epochs.

What differs in the torch backend is how the work is cut: instead of one example at a time, sentences are
read in chunks of about 50,000 words; numpy turns a chunk into arrays of examples
(subsampling, windows and noise words for all of it at once); then torch takes one
SGD step per batch of ``batch_size`` examples: gather the rows, score, and add the
updates back with ``index_add_``. Within a batch every example sees the weights as
they were at its start. That is the departure from sequential SGD, and it brings one
safeguard with it: the few rows used far more often than others in a batch (the most
frequent words, or every word of a tiny vocabulary) have their summed update scaled
down (:func:`_row_scales`), where sequential SGD would have corrected itself between
updates; without it a small vocabulary diverges.

The corpus is a zero-argument callable returning a fresh iterator of token lists, so
a corpus larger than memory streams from disk: once to count words, once per epoch.

That is the torch backend (any device). On CPU the numba backend
(:mod:`.numba_trainer`, :mod:`.kernels`) is faster: word2vec.c's sequential loop,
compiled; :func:`train_word2vec` picks one with ``backend`` and shares the vocabulary,
the initial vectors and the learning-rate schedule between them.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
import torch

from nlpkit.device import resolve_device
from nlpkit.errors import MissingDependencyError, UsageError

from .vectors import WordVectors

if TYPE_CHECKING:
    from .numba_trainer import NumbaTrainer

Mode = Literal["skipgram", "cbow"]
MODES = ("skipgram", "cbow")
Backend = Literal["auto", "numba", "torch"]
BACKENDS = ("auto", "numba", "torch")
Corpus = Callable[[], Iterable[Sequence[str]]]
NOISE_EXPONENT = 0.75
#: Examples per SGD step: (input word, output word) pairs for skip-gram, centre words for CBOW.
DEFAULT_BATCH_SIZE = {"skipgram": 1024, "cbow": 512}
_CHUNK_WORDS = 50_000  # corpus words turned into examples at once
_Run = TypeVar("_Run")
_MAX_NOISE_TABLE = 10_000_000  # slots of the noise table (word2vec.c uses 1e8)
#: Expected uses of one row in one batch beyond which its summed update is scaled down.
ROW_UPDATE_CAP = 32.0


@dataclass(frozen=True)
class EpochStats:
    """What one epoch did; passed to the ``callback`` of :func:`train_word2vec`."""

    epoch: int  #: from 1
    loss: float  #: mean negative-sampling loss per example over the epoch
    examples: int  #: skip-gram pairs or CBOW centre words trained on
    words: int  #: corpus words read (before subsampling)
    seconds: float
    alpha: float  #: learning rate at the end of the epoch


def train_word2vec(corpus: Corpus, *, mode: Mode = "skipgram", dim: int = 100, window: int = 5,
                   negative: int = 5, min_count: int = 5, sample: float = 1e-3, epochs: int = 5,
                   alpha: float = 0.025, min_alpha: float = 0.0001, seed: int = 1, device: str = "cpu",
                   batch_size: int | None = None, max_vocab: int | None = None, workers: int = 1,
                   backend: Backend = "auto", progress: bool = False,
                   callback: Callable[[EpochStats], None] | None = None) -> WordVectors:
    """Train word vectors on ``corpus()`` (token lists) and return the input vectors.

    ``backend`` picks the SGD engine: ``"numba"`` runs word2vec.c's per-example loop
    compiled (CPU only; needs ``nlpkit[numba]``), ``"torch"`` batches examples into torch
    operations (any device), ``"auto"`` takes numba when it is installed, the device is
    the CPU and no ``batch_size`` is given. ``batch_size`` (torch only) defaults to 1024
    pairs (skip-gram) or 512 centre words (CBOW); ``max_vocab`` keeps only the most frequent words; words come
    out most frequent first (ties by string). On CPU with one worker the same ``seed``
    gives the same vectors; ``workers > 1`` (CPU only) trains several chunks at once on
    shared weights, as gensim does: faster on several cores, and no longer reproducible
    (with torch, its operations then run one thread each, for the length of the call).
    """
    _check_options(corpus, mode, dim, window, negative, min_count, sample, epochs, alpha, min_alpha,
                   batch_size, max_vocab, workers)
    torch_device = resolve_device(device)
    if workers > 1 and torch_device.type != "cpu":
        raise UsageError(f"workers > 1 runs CPU threads; on {torch_device} keep workers = 1 (the device is parallel).")
    engine = resolve_backend(backend, torch_device, batch_size)
    vocab = Vocabulary.count(corpus, min_count, max_vocab, sample)
    rng = np.random.default_rng(seed)
    schedule = _Schedule(alpha, min_alpha, epochs * vocab.total)
    trainer: _Trainer | NumbaTrainer
    if engine == "numba":
        from .numba_trainer import NumbaTrainer

        trainer = NumbaTrainer(_initial_input(len(vocab.words), dim, rng), vocab, mode, window, negative, rng,
                               schedule, workers)
    else:
        model = _Model(len(vocab.words), dim, torch_device, rng)
        trainer = _Trainer(model, vocab, mode, window, negative, batch_size or DEFAULT_BATCH_SIZE[mode], rng,
                           schedule, workers)
    with _progress_bar(progress, epochs * vocab.total) as bar, contextlib.closing(trainer), \
            _one_op_thread(workers > 1 and engine == "torch"):
        for epoch in range(1, epochs + 1):
            bar.set_description(f"word2vec {mode} epoch {epoch}/{epochs}")
            stats = trainer.epoch(_sentences(corpus), epoch, bar)
            if callback is not None:
                callback(stats)
    return WordVectors(vocab.words, trainer.input_vectors())


def resolve_backend(backend: str, device: torch.device, batch_size: int | None = None) -> str:
    """The engine ``backend`` names on ``device``: ``"numba"`` or ``"torch"``; ``"auto"`` is
    numba when it imports, the device is the CPU and no batch size is asked for. Fails
    with what to do otherwise."""
    if backend not in BACKENDS:
        raise UsageError(f"Unknown word2vec backend '{backend}'; use {', '.join(BACKENDS)}.")
    if backend == "torch" or (backend == "auto" and (device.type != "cpu" or batch_size is not None
                                                      or not _numba_available())):
        return "torch"
    if device.type != "cpu":
        raise UsageError(f"The numba backend trains on the CPU; for {device} use backend 'torch' (or 'auto').")
    if not _numba_available():
        raise MissingDependencyError('The numba backend needs numba: pip install "nlpkit[numba]"')
    if batch_size is not None:
        raise UsageError("batch_size applies to the torch backend only (numba updates example by example); "
                         "leave it out, or choose backend 'torch'.")
    return "numba"


def _numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _check_options(corpus: object, mode: str, dim: int, window: int, negative: int, min_count: int,
                   sample: float, epochs: int, alpha: float, min_alpha: float, batch_size: int | None,
                   max_vocab: int | None, workers: int = 1) -> None:
    if not callable(corpus):
        raise UsageError("corpus must be a function that returns a fresh iterator of token lists on every "
                         "call (e.g. lambda: read_sentences(path)); it is called once per epoch.")
    if mode not in MODES:
        raise UsageError(f"Unknown word2vec mode '{mode}'; use {' or '.join(MODES)}.")
    for name, value in (("dim", dim), ("window", window), ("negative", negative), ("min_count", min_count),
                        ("epochs", epochs), ("batch_size", batch_size or 1), ("max_vocab", max_vocab or 1),
                        ("workers", workers)):
        if not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a positive integer, got {value!r}.")
    if not 0 <= sample < 1:
        raise UsageError(f"sample must be in [0, 1) (0 keeps every word; 1e-3 to 1e-5 are usual), got {sample!r}.")
    if not 0 <= min_alpha <= alpha or alpha <= 0:
        raise UsageError(f"The learning rate must fall: need 0 <= min_alpha <= alpha, got {min_alpha} and {alpha}.")


# --------------------------------------------------------------------------- vocabulary


@dataclass
class Vocabulary:
    """The words trained on, their counts, and the tables sampling needs."""

    words: list[str]  #: most frequent first, ties by string
    counts: np.ndarray  #: int64 [V]
    total: int  #: corpus words, rare ones included (the learning-rate schedule counts these)
    keep: np.ndarray  #: float64 [V]: probability that an occurrence survives subsampling
    noise: np.ndarray  #: int32 [T]: word ids in proportion to count ** 0.75

    @classmethod
    def count(cls, corpus: Corpus, min_count: int, max_vocab: int | None, sample: float) -> Vocabulary:
        counts, total = _count_words(_sentences(corpus))
        if total == 0:
            raise UsageError("The corpus holds no words: corpus() yielded no tokens.")
        kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        if not kept:
            top, n = counts.most_common(1)[0]
            raise UsageError(f"No word occurs min_count={min_count} times or more (the most frequent, '{top}', "
                             f"occurs {n} times in {total} words); lower min_count or give a larger corpus.")
        words = kept[:max_vocab]
        array = np.array([counts[w] for w in words], dtype=np.int64)
        return cls(words, array, total, _keep_probability(array, sample), _noise_table(array))

    @property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def _sentences(corpus: Corpus) -> Iterator[Sequence[str]]:
    sentences = corpus()
    try:
        return iter(sentences)
    except TypeError:
        raise UsageError("corpus() must return an iterable of token lists; it returned "
                         f"{type(sentences).__name__}.") from None


def _count_words(sentences: Iterable[Sequence[str]]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    for sentence in sentences:
        if isinstance(sentence, str):
            raise UsageError("The corpus yields strings; it must yield lists of tokens (e.g. line.split()).")
        counts.update(sentence)
    return counts, sum(counts.values())


def _keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """gensim's (and word2vec.c's) subsampling: keep a word of count ``c`` with probability
    ``(sqrt(c / t) + 1) * t / c`` (at most 1), ``t = sample * total`` of the vocabulary."""
    if not sample:
        return np.ones(len(counts))
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * (threshold / counts))


def _noise_table(counts: np.ndarray) -> np.ndarray:
    """A table in which word ``i`` fills a share ``count_i ** 0.75 / sum`` of the slots
    (word2vec.c's unigram table): a noise word is one random slot, in constant time."""
    weights = counts.astype(np.float64) ** NOISE_EXPONENT
    size = int(min(_MAX_NOISE_TABLE, max(100_000, 1000 * len(counts))))
    ends = np.round(np.cumsum(weights) / weights.sum() * size).astype(np.int64)
    return np.repeat(np.arange(len(counts), dtype=np.int32), np.diff(ends, prepend=0))


# --------------------------------------------------------------------------- examples


def sentence_runs(sentences: Iterable[Sequence[str]], words: int,
                  encode: Callable[[list[Sequence[str]], int], _Run]) -> Iterator[_Run]:
    """``encode(sentences, words in them)`` of each run of whole sentences of about
    ``words`` words, read lazily: the corpus streams, and a run is let go once encoded."""
    batch: list[Sequence[str]] = []
    size = 0
    for given in sentences:
        sentence = given if isinstance(given, (list, tuple)) else list(given)
        batch.append(sentence)
        size += len(sentence)
        if size >= words:
            yield encode(batch, size)
            batch, size = [], 0
    if batch:
        yield encode(batch, size)


def _chunks(sentences: Iterable[Sequence[str]], index: dict[str, int]) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """``(ids, sentence numbers, words read)`` for runs of about ``_CHUNK_WORDS`` words;
    words outside the vocabulary have id -1."""
    return sentence_runs(sentences, _CHUNK_WORDS, lambda batch, size: _encode(batch, size, index))


def _encode(batch: list[Sequence[str]], size: int, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, int]:
    ids = np.fromiter(map(index.get, chain.from_iterable(batch), repeat(-1)), dtype=np.int64, count=size)
    lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
    return ids, np.repeat(np.arange(len(batch)), lengths), size


@dataclass
class _Windows:
    """Every (centre, context) position pair of a subsampled chunk, ordered by centre."""

    ids: np.ndarray  #: word ids of the words kept, in text order
    centre: np.ndarray  #: position of the centre word of each pair
    context: np.ndarray  #: position of the context word of each pair


def _windows(ids: np.ndarray, sentence: np.ndarray, keep: np.ndarray, window: int,
             rng: np.random.Generator) -> _Windows:
    """Drop unknown words and subsample the rest (the text closes up, as in word2vec.c),
    then pair each word with those within its reduced window of 1..``window`` words,
    never across a sentence boundary."""
    known = ids >= 0
    kept = known & (rng.random(len(ids)) < np.where(known, keep[ids], 0))
    ids, sentence = ids[kept], sentence[kept]
    n = len(ids)
    reach = window - rng.integers(0, window, n)  # shape: [n]; word2vec.c's "b"
    offsets = np.r_[np.arange(-window, 0), np.arange(1, window + 1)]  # shape: [2W]
    other = np.arange(n)[:, None] + offsets  # shape: [n, 2W]
    inside = (other >= 0) & (other < n)
    other = np.where(inside, other, 0)
    valid = inside & (sentence[other] == sentence[:, None]) & (np.abs(offsets) <= reach[:, None])
    centre, column = np.nonzero(valid)
    return _Windows(ids, centre, other[centre, column])


# --------------------------------------------------------------------------- model


def _initial_input(size: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """gensim's initialisation of the input vectors: uniform in [-1/dim, 1/dim)."""
    return (rng.random((size, dim), dtype=np.float32) * 2 - 1) / dim


class _Model:
    """The input and output embedding matrices, updated in place by SGD."""

    def __init__(self, size: int, dim: int, device: torch.device, rng: np.random.Generator) -> None:
        self.w_in = torch.from_numpy(_initial_input(size, dim, rng)).to(device)
        self.w_out = torch.zeros(size, dim, device=device)
        self.device = device
        self.loss = torch.zeros((), dtype=torch.float64, device=device)
        self.out_scale: torch.Tensor | None = None  # per output row: see _row_scales

    def output_step(self, hidden: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor,
                    lr: float, loss: torch.Tensor | None = None) -> torch.Tensor:
        """One SGD step of the output layer for ``hidden`` [B, D] against ``targets``
        [B, 1+K] (the true word, then K noise words; ``weight`` 0 drops a noise word that
        is the true one). Returns the gradient step for ``hidden`` (word2vec.c's neu1e).
        The batch's loss is added to ``loss`` (default: ``self.loss``)."""
        b, k = targets.shape
        rows = self.w_out.index_select(0, targets.reshape(-1)).view(b, k, -1)  # shape: [B, 1+K, D]
        score = (rows * hidden.unsqueeze(1)).sum(2)  # shape: [B, 1+K]; faster than bmm for these shapes
        score[:, 1:].neg_()  # now every term's loss is -log sigmoid(score)
        (self.loss if loss is None else loss).sub_((torch.nn.functional.logsigmoid(score) * weight).sum(dtype=torch.float64))
        g = torch.sigmoid(score.neg_()).mul_(weight).mul_(lr)  # 1 - sigmoid(true), sigmoid(noise)
        g[:, 1:].neg_()  # shape: [B, 1+K]: (label - sigmoid(score)) * lr
        step = torch.bmm(g.unsqueeze(1), rows).squeeze(1)  # shape: [B, D]
        if self.out_scale is not None:
            g = g * self.out_scale[targets]
        self.w_out.index_add_(0, targets.reshape(-1), (g.unsqueeze(2) * hidden.unsqueeze(1)).view(b * k, -1))
        return step


@dataclass
class _Schedule:
    """The learning rate, falling linearly with the corpus words read."""

    alpha: float
    min_alpha: float
    total: int

    def at(self, words: float) -> float:
        return max(self.min_alpha, self.alpha - (self.alpha - self.min_alpha) * words / self.total)


# --------------------------------------------------------------------------- training loop


class _Trainer:
    def __init__(self, model: _Model, vocab: Vocabulary, mode: str, window: int, negative: int,
                 batch_size: int, rng: np.random.Generator, schedule: _Schedule, workers: int = 1) -> None:
        self.model, self.vocab, self.mode, self.window = model, vocab, mode, window
        self.negative, self.batch_size, self.rng, self.schedule = negative, batch_size, rng, schedule
        self.index = vocab.index
        self.words_done = 0
        # workers run their batches at once on the same weights: as stale as one batch that many times larger
        out_scale, in_scale = _row_scales(vocab, mode, window, negative, batch_size * workers)
        model.out_scale = _tensor_or_none(out_scale, model.device)
        self.in_scale = _tensor_or_none(in_scale, model.device)
        self.steps = _Steps(workers, model.loss)

    def epoch(self, sentences: Iterable[Sequence[str]], number: int, bar) -> EpochStats:  # type: ignore[no-untyped-def]
        start, words, examples = time.perf_counter(), 0, 0
        self.model.loss.zero_()
        for ids, sentence, size in _chunks(sentences, self.index):
            found = _windows(ids, sentence, self.vocab.keep, self.window, self.rng)
            examples += (self._skipgram if self.mode == "skipgram" else self._cbow)(found, size)
            self.words_done += size
            words += size
            bar.update(size)
        self.steps.wait()
        if words == 0:
            raise UsageError(f"corpus() yielded no words in epoch {number}; it must return a fresh iterator "
                             "on every call (a generator function, not a generator).")
        loss = self.model.loss.item() / max(examples, 1)
        return EpochStats(number, loss, examples, words, time.perf_counter() - start,
                          self.schedule.at(self.words_done))

    def input_vectors(self) -> np.ndarray:
        return self.model.w_in.cpu().numpy()

    def close(self) -> None:
        self.steps.close()

    def _noise(self, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[true, noise...]`` ids [N, 1+K] and weights (0 where noise drew the true word)."""
        table = self.vocab.noise
        slots = self.rng.integers(0, len(table), (len(targets), self.negative), dtype=np.uint32)
        noise = np.take(table, slots)  # faster than table[slots] for a large table
        all_targets = np.concatenate([targets[:, None], noise], axis=1)
        weight = np.ones(all_targets.shape, dtype=np.float32)
        weight[:, 1:] = noise != targets[:, None]
        return all_targets, weight

    def _lr(self, size: int, done: int, total: int) -> float:
        return self.schedule.at(self.words_done + size * done / max(total, 1))

    def _skipgram(self, found: _Windows, size: int) -> int:
        """word2vec.c's skip-gram: the context word's input vector predicts the centre word."""
        inputs = found.ids[found.context]
        targets, weight = self._noise(found.ids[found.centre])
        device, n = self.model.device, len(inputs)
        tensors = [torch.from_numpy(a).to(device) for a in (inputs, targets, weight)]
        self.steps.run(self._skipgram_steps, *tensors, self._rates(size, n))
        return n

    def _skipgram_steps(self, inputs_t: torch.Tensor, targets_t: torch.Tensor, weight_t: torch.Tensor,
                        rates: list[float], loss: torch.Tensor) -> None:
        model = self.model
        for number, s in enumerate(range(0, len(inputs_t), self.batch_size)):
            batch = slice(s, s + self.batch_size)
            rows = inputs_t[batch]
            hidden = model.w_in.index_select(0, rows)
            step = model.output_step(hidden, targets_t[batch], weight_t[batch], rates[number], loss)
            if self.in_scale is not None:
                step.mul_(self.in_scale[rows].unsqueeze(1))
            model.w_in.index_add_(0, rows, step)

    def _cbow(self, found: _Windows, size: int) -> int:
        """word2vec.c's CBOW: the mean of the context words' input vectors predicts the centre
        word, and every context word gets the whole gradient step."""
        first = np.flatnonzero(np.diff(found.centre, prepend=-1))  # pairs are ordered by centre
        centres, bounds = found.centre[first], np.r_[first, len(found.centre)]
        targets, weight = self._noise(found.ids[centres])
        device, n = self.model.device, len(centres)
        arrays = (found.ids[found.context], np.repeat(np.arange(n), np.diff(bounds)),
                  np.diff(bounds).astype(np.float32), targets, weight)
        tensors = [torch.from_numpy(a).to(device) for a in arrays]
        self.steps.run(self._cbow_steps, bounds, *tensors, self._rates(size, n))
        return n

    def _cbow_steps(self, bounds: np.ndarray, context_t: torch.Tensor, row_t: torch.Tensor, count_t: torch.Tensor,
                    targets_t: torch.Tensor, weight_t: torch.Tensor, rates: list[float], loss: torch.Tensor) -> None:
        model, n = self.model, len(targets_t)
        for number, s in enumerate(range(0, n, self.batch_size)):
            e = min(s + self.batch_size, n)
            context, rows = context_t[bounds[s]:bounds[e]], row_t[bounds[s]:bounds[e]] - s
            hidden = torch.zeros(e - s, model.w_in.shape[1], device=model.device)
            hidden.index_add_(0, rows, model.w_in.index_select(0, context)).div_(count_t[s:e, None])
            step = model.output_step(hidden, targets_t[s:e], weight_t[s:e], rates[number], loss)
            step = step.index_select(0, rows)
            if self.in_scale is not None:
                step.mul_(self.in_scale[context].unsqueeze(1))
            model.w_in.index_add_(0, context, step)

    def _rates(self, size: int, n: int) -> list[float]:
        """The learning rate of each batch of a chunk of ``size`` words and ``n`` examples."""
        return [self._lr(size, s, n) for s in range(0, n, self.batch_size)]


class _Steps:
    """Runs the SGD steps of each chunk: inline with one worker (deterministic), else on
    ``workers`` threads that update the shared weights without locks, as word2vec.c
    and gensim do ("Hogwild"; torch releases the GIL inside each operation). The
    examples of every chunk are still drawn in order by the caller, from one seed."""

    def __init__(self, workers: int, loss: torch.Tensor) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.loss = loss
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="word2vec") if workers > 1 else None
        self.pending: list = []
        self.workers = workers

    def run(self, steps: Callable[..., None], *args: object) -> None:
        if self.pool is None:
            steps(*args, self.loss)
            return
        if len(self.pending) >= 2 * self.workers:  # bounds the chunks held in memory
            self._collect(self.pending.pop(0))
        own = torch.zeros_like(self.loss)  # one accumulator per job: no lost updates
        self.pending.append((self.pool.submit(steps, *args, own), own))

    def wait(self) -> None:
        """Finish every submitted chunk (at the end of each epoch)."""
        while self.pending:
            self._collect(self.pending.pop(0))

    def _collect(self, job: tuple) -> None:  # type: ignore[type-arg]
        future, own = job
        future.result()  # re-raises a worker's exception here
        self.loss.add_(own)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _row_scales(vocab: Vocabulary, mode: str, window: int, negative: int,
                batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors (at most 1) for the summed update of each output and input row.

    Sequential SGD corrects itself between the updates of a row; a batch cannot: a
    row used ``n`` times in one batch gets ``n`` updates computed from the same stale
    values, which diverges once ``n`` is large (a small vocabulary, or ``the`` as a
    noise word). A row expected more than :data:`ROW_UPDATE_CAP` times per batch has its
    summed update scaled to that many uses; the other rows (all but the most frequent
    words of a real corpus) get exactly the SGD update. With several workers, their
    batches in flight together read the same stale rows, so the caller passes
    ``batch_size`` times the workers: without that, two workers could double a row's
    stale uses, and a small vocabulary diverged now and then.
    """
    kept = vocab.counts * vocab.keep
    share = kept / kept.sum()  # of the words that survive subsampling
    noise = np.bincount(vocab.noise, minlength=len(share)) / len(vocab.noise)
    contexts = 1 if mode == "skipgram" else window + 1  # input rows per example (CBOW: about)
    out_uses = batch_size * (share + negative * noise)
    in_uses = batch_size * contexts * share
    return np.minimum(1.0, ROW_UPDATE_CAP / out_uses), np.minimum(1.0, ROW_UPDATE_CAP / in_uses)


def _tensor_or_none(scale: np.ndarray, device: torch.device) -> torch.Tensor | None:
    return None if scale.min() >= 1.0 else torch.from_numpy(scale.astype(np.float32)).to(device)


@contextlib.contextmanager
def _one_op_thread(on: bool) -> Iterator[None]:
    """With several worker threads, each torch operation runs on one thread (restored
    afterwards): the workers are the parallelism, and nested thread teams on the same
    cores only fight over them."""
    before = torch.get_num_threads()
    if on:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if on:
            torch.set_num_threads(before)


def _progress_bar(show: bool, total: int):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, disable=not show, unit="word", unit_scale=True, desc="word2vec", file=sys.stderr,
                smoothing=0.1)


