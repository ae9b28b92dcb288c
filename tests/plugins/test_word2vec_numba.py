"""The numba backend of word2vec training: it learns, its kernel is exactly word2vec.c's
per-example SGD (checked against a plain Python reference of the same updates), it
repeats with a seed, writes the same vectors files as the torch backend, and the
backend option fails with a message that says what to do."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from nlpkit.errors import MissingDependencyError, UsageError
from nlpkit_word2vec.train import EpochStats, Vocabulary, train_word2vec
from nlpkit_word2vec.vectors import WordVectors

pytest.importorskip("numba")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
MASK = (1 << 48) - 1
TOPICS = ([f"sea{i}" for i in range(8)], [f"sky{i}" for i in range(8)])
SMALL = {"dim": 16, "window": 3, "negative": 5, "min_count": 1, "sample": 0.0, "epochs": 3, "alpha": 0.05}


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    """1,500 sentences of ten words from one topic at a time, a third of them glue words."""
    rng = random.Random(0)
    glue = ["the", "of", "and", "a"]
    return [[rng.choice(topic) if rng.random() < 0.67 else rng.choice(glue) for _ in range(10)]
            for topic in (TOPICS[rng.random() < 0.5] for _ in range(1500))]


def mean_cosine(wv: WordVectors, left: list[str], right: list[str]) -> float:
    sims = [wv.similarity(a, b) for a in left for b in right if a != b]
    return sum(sims) / len(sims)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_numba_backend_learns_planted_topics(corpus, mode: str, workers: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from nlpkit_word2vec import numba_trainer

    monkeypatch.setattr(numba_trainer, "JOB_WORDS", 1_000)  # many jobs, so both threads have work
    losses: list[EpochStats] = []
    wv = train_word2vec(lambda: corpus, mode=mode, seed=3, workers=workers, backend="numba", callback=losses.append,
                        **SMALL)
    within = (mean_cosine(wv, TOPICS[0], TOPICS[0]) + mean_cosine(wv, TOPICS[1], TOPICS[1])) / 2
    assert within > mean_cosine(wv, TOPICS[0], TOPICS[1]) + 0.5
    assert all(w.startswith("sea") for w, _ in wv.most_similar("sea3", topn=5))
    untrained = (1 + SMALL["negative"]) * np.log(2)  # every score 0 at the start
    assert losses[0].loss < 0.7 * untrained and losses[2].loss < losses[0].loss
    assert [s.words for s in losses] == [15_000] * 3 and losses[-1].alpha == pytest.approx(1e-4)


def test_same_seed_same_vectors_other_seed_others(corpus: list[list[str]]) -> None:
    for mode in ("skipgram", "cbow"):
        first, again, other = (train_word2vec(lambda: corpus[:300], mode=mode, seed=s, backend="numba", **SMALL)
                               for s in (7, 7, 8))
        assert first.words == again.words and np.array_equal(first.vectors, again.vectors)
        assert not np.array_equal(first.vectors, other.vectors)


# --------------------------------------------------------------------------- the kernel


def _next(state: int) -> int:
    return (state * 25214903917 + 11) & MASK


def _below(state: int, bound: int) -> int:
    return (((state >> 16) & 0xFFFFFFFF) * bound) >> 32


def reference_job(ids, ends, keep, noise, w_in, w_out, skipgram, window, negative, a0, a1, seed):  # type: ignore[no-untyped-def]
    """word2vec.c's loop in plain Python on numpy float32 rows, drawing the same random
    numbers as the kernel: subsampling, reduced windows, alias-method noise words."""
    from nlpkit_word2vec.kernels import MAX_EXP, TABLE_SCALE, log_table, sigmoid_table

    def output_step(hidden, target, a, state, neu1e):  # type: ignore[no-untyped-def]
        loss = 0.0
        for d in range(negative + 1):
            word, label = target, 1.0
            if d:
                state = _next(state)
                cell = _below(state, noise.shape[1])
                coin = (_next(state) >> 16) & 0xFFFFFFFF
                word = cell if coin < noise[0, cell] else int(noise[1, cell])
                state, label = _next(state), 0.0
                if word == target:
                    continue
            x = float(np.dot(hidden, w_out[word])) * (1 if label else -1)
            if abs(x) >= MAX_EXP:
                g = 0.0 if x > 0 else a * (1 if label else -1)
                loss += np.log1p(np.exp(-abs(x))) + max(-x, 0.0)
            else:
                slot = int((x + MAX_EXP) * TABLE_SCALE)
                g = (1.0 - sigmoid_table[slot]) * a * (1 if label else -1)
                loss += log_table[slot]
            neu1e += np.float32(g) * w_out[word]
            w_out[word] += np.float32(g) * hidden
        return loss, state

    state, loss, examples, start = seed & MASK, 0.0, 0, 0
    for end in ends:
        a = a0 + (a1 - a0) * start / len(ids)
        kept = []
        for w in ids[start:end]:
            if w >= 0 and keep[w] < 2**32:
                state = _next(state)
                if keep[w] < (state >> 16) & 0xFFFFFFFF:
                    continue
            if w >= 0:
                kept.append(int(w))
        start = end
        for i in range(len(kept)):
            state = _next(state)
            shrink = _below(state, window)
            near = [j for j in range(max(0, i - window + shrink), min(len(kept), i + window + 1 - shrink)) if j != i]
            inputs = [[kept[j]] for j in near] if skipgram else ([[kept[j] for j in near]] if near else [])
            for rows in inputs:
                neu1e = np.zeros(w_in.shape[1], dtype=np.float32)
                step, state = output_step(w_in[rows].mean(axis=0, dtype=np.float32), kept[i], a, state, neu1e)
                loss, examples = loss + step, examples + 1
                for r in rows:
                    w_in[r] += neu1e
    return loss, examples


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_kernel_equals_a_python_reference_of_the_same_updates(mode: str) -> None:
    from nlpkit_word2vec import kernels
    from nlpkit_word2vec.numba_trainer import _encode, alias_table

    sentences = [["a", "b", "c", "a", "d", "e", "a", "b"], ["c", "x", "a", "d"], ["e", "b", "a", "c", "d", "a"]]
    vocab = Vocabulary.count(lambda: sentences, 1, None, 0.1)  # 'a' is subsampled; 'x' is unknown below
    index = {w: i for i, w in enumerate(vocab.words) if w != "x"}
    ids, ends, _ = _encode(sentences, sum(map(len, sentences)), index)
    keep, noise = np.round(vocab.keep * 2.0**32).astype(np.int64), alias_table(vocab.counts)
    assert keep.min() < 2**32 and (ids < 0).any()
    rng = np.random.default_rng(0)
    w_in = rng.standard_normal((len(vocab.words), 8)).astype(np.float32)
    w_out = (rng.standard_normal((len(vocab.words), 8)) * 1.5).astype(np.float32)  # some scores beyond +-6
    args = (mode == "skipgram", 3, 4, 0.05, 0.01, 12345)
    start, ref_in, ref_out = w_in.copy(), w_in.copy(), w_out.copy()
    loss, examples = kernels.train_job(ids, ends, keep, noise, w_in, w_out, *args)
    ref_loss, ref_examples = reference_job(ids, ends, keep, noise, ref_in, ref_out, *args)
    assert examples == ref_examples > 10
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert np.allclose(w_in, ref_in, atol=1e-5) and np.allclose(w_out, ref_out, atol=1e-5)
    assert not np.allclose(w_in, start, atol=1e-3)  # it did train


def test_sigmoid_and_loss_tables_are_the_functions() -> None:
    from nlpkit_word2vec.kernels import MAX_EXP, TABLE_SCALE, log_table, sigmoid_table

    x = np.linspace(-MAX_EXP, MAX_EXP, 10_001)[:-1]
    slot = ((x + MAX_EXP) * TABLE_SCALE).astype(int)
    assert np.abs(sigmoid_table[slot] - 1 / (1 + np.exp(-x))).max() < 0.002
    assert np.abs(log_table[slot] - np.log1p(np.exp(-x))).max() < 0.007


def test_alias_table_gives_noise_in_proportion_to_count_to_the_three_quarters() -> None:
    from nlpkit_word2vec.numba_trainer import alias_table

    counts = np.array([1000, 100, 10, 1, 50, 50])
    table = alias_table(counts)
    chance = table[0] / 2**32 / len(counts)
    share = chance + np.bincount(table[1], weights=1 / len(counts) - chance, minlength=len(counts))
    assert share == pytest.approx(counts**0.75 / (counts**0.75).sum(), abs=1e-9)


# --------------------------------------------------------------------------- files and options


def test_both_backends_write_the_same_file_format(corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    trained = {b: train_word2vec(lambda: corpus[:300], backend=b, seed=1, **SMALL) for b in ("numba", "torch")}
    assert trained["numba"].words == trained["torch"].words
    for binary in (False, True):
        lines = {}
        for name, vectors in trained.items():
            assert vectors.vectors.dtype == np.float32 and vectors.vectors.shape == trained["torch"].vectors.shape
            path = tmp_path / f"{name}.{'bin' if binary else 'txt'}"
            vectors.save(path, binary=binary)
            loaded = WordVectors.load(path, binary=binary)
            assert loaded.words == vectors.words and np.allclose(loaded.vectors, vectors.vectors, atol=1e-5)
            lines[name] = path.read_bytes().split(b"\n", 1)[0]
        assert lines["numba"] == lines["torch"] == b"20 16"  # words, dimensions


def test_auto_is_numba_on_cpu_and_torch_without_numba(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def train(backend: str, **options: int) -> np.ndarray:
        return train_word2vec(lambda: corpus[:200], backend=backend, seed=5, **{**SMALL, "epochs": 1},
                              **options).vectors

    assert np.array_equal(train("auto"), train("numba"))
    assert np.array_equal(train("auto", batch_size=64), train("torch", batch_size=64))  # a torch-only option
    monkeypatch.setitem(sys.modules, "numba", None)  # as if numba were not installed: import fails
    assert np.array_equal(train("auto"), train("torch"))
    with pytest.raises(MissingDependencyError, match=r'^The numba backend needs numba: pip install "nlpkit\[numba\]"$'):
        train("numba")


@pytest.mark.parametrize(("option", "error", "message"), [
    ({"backend": "cython"}, UsageError, "Unknown word2vec backend 'cython'; use auto, numba, torch"),
    ({"backend": "numba", "device": "meta"}, UsageError, "The numba backend trains on the CPU; for meta use backend 'torch'"),
    ({"backend": "numba", "batch_size": 64}, UsageError, "batch_size applies to the torch backend only"),
])
def test_bad_backend_options(option: dict, error: type, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(error, match=message):
        train_word2vec(lambda: [["a", "b"]], min_count=1, **option)


def test_numba_is_imported_only_to_train() -> None:
    code = ("import sys, nlpkit, nlpkit_word2vec.train\n"
            "from nlpkit.cli import cli\n"
            "try:\n    cli.main(['word2vec', 'train', '--help'], prog_name='nlpkit')\nexcept SystemExit:\n    pass\n"
            "assert 'numba' not in sys.modules, 'numba imported early'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
