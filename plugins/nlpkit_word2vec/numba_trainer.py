"""The numba backend's training loop: jobs of sentences through the compiled kernel.

The caller's thread reads the corpus and turns runs of about ``JOB_WORDS`` words into
arrays of vocabulary ids; the kernel (:mod:`.kernels`) trains on one job at a time,
example by example. With ``workers > 1`` that many threads run jobs at once on the
shared weights without locks, as word2vec.c and gensim do ("Hogwild"); the kernel
releases the GIL. Each job gets its own seed, drawn in corpus order from the run's
generator, so one worker repeats exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, repeat

import numpy as np

from nlpkit.errors import UsageError

from .train import NOISE_EXPONENT, EpochStats, Vocabulary, _Schedule, sentence_runs

#: Corpus words per job (gensim's batch_words is 10,000 too).
JOB_WORDS = 10_000


class NumbaTrainer:
    """Trains the input and output matrices of ``vocab`` in place, one epoch per call."""

    def __init__(self, w_in: np.ndarray, vocab: Vocabulary, mode: str, window: int, negative: int,
                 rng: np.random.Generator, schedule: _Schedule, workers: int = 1) -> None:
        from . import kernels

        self.kernel = kernels.train_job
        self.w_in = np.ascontiguousarray(w_in, dtype=np.float32)
        self.w_out = np.zeros_like(self.w_in)
        self.skipgram, self.window, self.negative = mode == "skipgram", window, negative
        self.keep = np.round(vocab.keep * 2.0**32).astype(np.int64)  # gensim's sample_int
        self.noise = alias_table(vocab.counts)
        self.index, self.rng, self.schedule = vocab.index, rng, schedule
        self.words_done = 0
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="word2vec") if workers > 1 else None
        self.workers = workers

    def epoch(self, sentences: Iterable[Sequence[str]], number: int, bar) -> EpochStats:  # type: ignore[no-untyped-def]
        start, words, loss, examples = time.perf_counter(), 0, 0.0, 0
        pending: list[Future] = []  # type: ignore[type-arg]
        for ids, ends, size in _jobs(sentences, self.index):
            args = (ids, ends, self.keep, self.noise, self.w_in, self.w_out, self.skipgram, self.window,
                    self.negative, self.schedule.at(self.words_done), self.schedule.at(self.words_done + size),
                    int(self.rng.integers(0, 2**48)))
            self.words_done += size
            words += size
            if self.pool is None:
                done = [self.kernel(*args)]
            else:
                done = [pending.pop(0).result()] if len(pending) >= 2 * self.workers else []  # bounds memory
                pending.append(self.pool.submit(self.kernel, *args))
            for job_loss, job_examples in done:
                loss, examples = loss + job_loss, examples + job_examples
            bar.update(size)
        for future in pending:  # each job's totals come back with it: no shared counter to race on
            job_loss, job_examples = future.result()
            loss, examples = loss + job_loss, examples + job_examples
        if words == 0:
            raise UsageError(f"corpus() yielded no words in epoch {number}; it must return a fresh iterator "
                             "on every call (a generator function, not a generator).")
        return EpochStats(number, loss / max(examples, 1), examples, words, time.perf_counter() - start,
                          self.schedule.at(self.words_done))

    def input_vectors(self) -> np.ndarray:
        return self.w_in

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def alias_table(counts: np.ndarray) -> np.ndarray:
    """Walker's alias table [2, V] for noise words in proportion to ``count ** 0.75``: row 0
    holds each cell's chance (times 2**32) of giving its own word, row 1 the word it gives
    otherwise. Two draws per noise word, and 16 bytes a word stay in cache, where
    word2vec.c's table of 10**8 slots would not."""
    weights = counts.astype(np.float64) ** NOISE_EXPONENT
    scaled = weights * (len(weights) / weights.sum())
    keep, alias = np.full(len(weights), 2**32, dtype=np.int64), np.arange(len(weights), dtype=np.int64)
    small, large = [i for i, p in enumerate(scaled) if p < 1], [i for i, p in enumerate(scaled) if p >= 1]
    while small and large:
        lo, hi = small.pop(), large[-1]
        keep[lo], alias[lo] = round(scaled[lo] * 2**32), hi
        scaled[hi] -= 1 - scaled[lo]
        if scaled[hi] < 1:
            small.append(large.pop())
    return np.stack([keep, alias])


def _jobs(sentences: Iterable[Sequence[str]], index: dict[str, int]) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """``(ids, sentence ends, words read)`` for runs of about :data:`JOB_WORDS` words;
    words outside the vocabulary have id -1."""
    return sentence_runs(sentences, JOB_WORDS, lambda batch, size: _encode(batch, size, index))


def _encode(batch: list[Sequence[str]], size: int, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, int]:
    ids = np.fromiter(map(index.get, chain.from_iterable(batch), repeat(-1)), dtype=np.int32, count=size)
    ends = np.cumsum(np.fromiter(map(len, batch), dtype=np.int64, count=len(batch)))
    return ids, ends, size
