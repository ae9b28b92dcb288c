"""Training word2vec (the torch backend, and what both backends share): planted topics
are learnt by both modes, the batched SGD step is the maths it claims, the vocabulary
and subsampling are gensim's, runs repeat with a seed, the corpus streams, and misuse
fails with a message that says what to do."""

from __future__ import annotations

import copy
import random
import weakref

import numpy as np
import pytest
import torch

from nlpkit.errors import UsageError
from nlpkit_word2vec import numba_trainer
from nlpkit_word2vec import train as train_module
from nlpkit_word2vec.train import EpochStats, Vocabulary, train_word2vec
from nlpkit_word2vec.vectors import WordVectors

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TOPICS = ([f"sea{i}" for i in range(8)], [f"sky{i}" for i in range(8)])
GLUE = ["the", "of", "and", "a"]
SMALL = {"dim": 16, "window": 3, "negative": 5, "min_count": 1, "sample": 0.0, "epochs": 3, "alpha": 0.05,
         "backend": "torch"}


def topic_sentences(n: int = 1500, seed: int = 0) -> list[list[str]]:
    """Sentences of ten words from one topic at a time, a third of them glue words."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        topic = TOPICS[rng.random() < 0.5]
        sentences.append([rng.choice(topic) if rng.random() < 0.67 else rng.choice(GLUE) for _ in range(10)])
    return sentences


def mean_cosine(wv: WordVectors, left: list[str], right: list[str]) -> float:
    sims = [wv.similarity(a, b) for a in left for b in right if a != b]
    return sum(sims) / len(sims)


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return topic_sentences()


# --------------------------------------------------------------------------- learning


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_both_modes_learn_planted_topics(corpus: list[list[str]], mode: str) -> None:
    losses: list[EpochStats] = []
    wv = train_word2vec(lambda: corpus, mode=mode, seed=3, callback=losses.append, **SMALL)
    within = (mean_cosine(wv, TOPICS[0], TOPICS[0]) + mean_cosine(wv, TOPICS[1], TOPICS[1])) / 2
    across = mean_cosine(wv, TOPICS[0], TOPICS[1])
    assert within > across + 0.5, (within, across)
    assert all(w.startswith("sea") for w, _ in wv.most_similar("sea3", topn=5))
    assert [s.epoch for s in losses] == [1, 2, 3]
    untrained = (1 + SMALL["negative"]) * np.log(2)  # every score 0 at the start
    assert losses[0].loss < 0.7 * untrained and losses[2].loss < losses[1].loss < losses[0].loss
    assert losses[0].words == 15_000 and losses[0].examples > 0
    assert losses[-1].alpha == pytest.approx(1e-4)  # the learning rate ends at min_alpha


def test_same_seed_same_vectors_other_seed_others(corpus: list[list[str]]) -> None:
    for mode in ("skipgram", "cbow"):
        first = train_word2vec(lambda: corpus[:300], mode=mode, seed=7, **SMALL)
        again = train_word2vec(lambda: corpus[:300], mode=mode, seed=7, **SMALL)
        other = train_word2vec(lambda: corpus[:300], mode=mode, seed=8, **SMALL)
        assert first.words == again.words and np.array_equal(first.vectors, again.vectors)
        assert not np.array_equal(first.vectors, other.vectors)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_two_workers_share_the_weights_and_still_learn(corpus, mode, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(train_module, "_CHUNK_WORDS", 1_000)  # many chunks, so both threads have work
    losses: list[EpochStats] = []
    wv = train_word2vec(lambda: corpus, mode=mode, seed=3, workers=2, callback=losses.append, **SMALL)
    within = (mean_cosine(wv, TOPICS[0], TOPICS[0]) + mean_cosine(wv, TOPICS[1], TOPICS[1])) / 2
    assert within > mean_cosine(wv, TOPICS[0], TOPICS[1]) + 0.5
    assert losses[2].loss < losses[0].loss and losses[0].words == 15_000


def test_an_error_in_a_worker_thread_reaches_the_caller(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object) -> None:
        raise RuntimeError("step failed")

    monkeypatch.setattr(train_module._Trainer, "_skipgram_steps", broken)
    with pytest.raises(RuntimeError, match="step failed"):
        train_word2vec(lambda: corpus, mode="skipgram", workers=2, **SMALL)


def test_words_come_most_frequent_first_ties_by_string() -> None:
    sentences = [["b", "a", "c", "c", "rare"], ["a", "b", "c", "d"]]
    wv = train_word2vec(lambda: sentences, min_count=2, dim=4, epochs=1)
    assert wv.words == ["c", "a", "b"]  # c: 3; a and b: 2; d and rare: under min_count
    assert "rare" not in wv and "d" not in wv
    top = train_word2vec(lambda: sentences, min_count=1, max_vocab=2, dim=4, epochs=1)
    assert top.words == ["c", "a"]


def test_subsampling_drops_frequent_words(corpus: list[list[str]]) -> None:
    seen: dict[float, int] = {}
    for sample in (0.0, 1e-2):
        stats: list[EpochStats] = []
        train_word2vec(lambda: corpus[:500], callback=stats.append, **{**SMALL, "sample": sample, "epochs": 1})
        seen[sample] = stats[0].examples
    assert seen[1e-2] < 0.8 * seen[0.0]
    vocab = Vocabulary.count(lambda: corpus, 1, None, 1e-2)
    keep = dict(zip(vocab.words, vocab.keep))
    assert keep["the"] < keep["sea0"] <= 1.0


def test_vocabulary_and_subsampling_equal_gensim(corpus: list[list[str]]) -> None:
    word2vec = pytest.importorskip("gensim.models.word2vec")
    sentences = corpus + [["rare"] * 3, ["rarer"]]
    model = word2vec.Word2Vec(min_count=3, sample=1e-3, negative=5, hs=0)
    model.build_vocab(sentences)
    vocab = Vocabulary.count(lambda: sentences, 3, None, 1e-3)
    gensim_counts = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    assert dict(zip(vocab.words, vocab.counts.tolist())) == gensim_counts
    assert vocab.total == model.corpus_total_words
    sample_int = np.array([model.wv.get_vecattr(w, "sample_int") for w in vocab.words], dtype=np.float64)
    assert vocab.keep == pytest.approx(sample_int / (2**32 - 1), rel=1e-6)
    assert vocab.keep.min() < 0.5  # the glue words are subsampled


def test_noise_table_follows_count_to_the_three_quarters() -> None:
    counts = np.array([1000, 100, 10, 1])
    table = train_module._noise_table(counts)
    share = np.bincount(table, minlength=4) / len(table)
    expected = counts**0.75 / (counts**0.75).sum()
    assert share == pytest.approx(expected, abs=1e-5)


# --------------------------------------------------------------------------- the SGD step


def test_output_step_is_minus_lr_times_the_gradient() -> None:
    """For a batch without repeated rows the batched update is exact SGD on the
    negative-sampling loss -log s(u_o.h) - sum_k log s(-u_k.h)."""
    gen = torch.Generator().manual_seed(0)
    model = train_module._Model(12, 5, torch.device("cpu"), np.random.default_rng(0))
    model.w_out.copy_(torch.randn(12, 5, generator=gen) * 0.5)
    hidden = torch.randn(2, 5, generator=gen)
    targets = torch.tensor([[0, 1, 2], [3, 4, 5]])
    weight = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])  # the last noise word of row 0 is dropped
    w_out, h = model.w_out.clone().requires_grad_(), hidden.clone().requires_grad_()
    score = (w_out[targets] * h.unsqueeze(1)).sum(2)
    sign = torch.tensor([1.0, -1.0, -1.0])
    loss = -(torch.nn.functional.logsigmoid(score * sign) * weight).sum()
    loss.backward()
    before = model.w_out.clone()
    step = model.output_step(hidden, targets, weight, lr=0.1)
    assert torch.allclose(model.w_out - before, -0.1 * w_out.grad, atol=1e-6)
    assert torch.allclose(step, -0.1 * h.grad, atol=1e-6)
    assert model.loss.item() == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_one_batch_matches_a_numpy_reference(mode: str) -> None:
    """One chunk in one batch: every example reads the starting weights, updates add up,
    scaled down for rows used more than ROW_UPDATE_CAP times."""
    sentences = [["a", "b", "c", "d", "e", "b"], ["c", "a", "d"]]
    vocab = Vocabulary.count(lambda: sentences, 1, None, 0.0)
    model = train_module._Model(len(vocab.words), 4, torch.device("cpu"), np.random.default_rng(0))
    model.w_out.copy_(torch.from_numpy(np.random.default_rng(1).standard_normal((len(vocab.words), 4)) * 0.3))
    schedule = train_module._Schedule(0.05, 0.05, 100)
    trainer = train_module._Trainer(model, vocab, mode, 2, 3, 10_000, np.random.default_rng(2), schedule)
    ids, sentence, size = next(train_module._chunks(sentences, vocab.index))
    found = train_module._windows(ids, sentence, vocab.keep, 2, np.random.default_rng(3))
    w_in, w_out = model.w_in.numpy().copy(), model.w_out.numpy().copy()
    out_scale, in_scale = train_module._row_scales(vocab, mode, 2, 3, 10_000)
    assert out_scale.max() < 1 and in_scale.max() < 1  # five words: every row is used far beyond the cap
    noise_rng = copy.deepcopy(trainer.rng)
    getattr(trainer, f"_{mode}")(found, size)

    trainer.rng = noise_rng  # draw the same noise words again
    if mode == "skipgram":
        hidden_ids = [[c] for c in found.ids[found.context]]
        true = found.ids[found.centre]
    else:
        centres = sorted(set(found.centre.tolist()))
        hidden_ids = [found.ids[found.context[found.centre == c]].tolist() for c in centres]
        true = found.ids[centres]
    targets, weight = trainer._noise(true)
    new_in, new_out = w_in.copy(), w_out.copy()
    for rows, tgt, wt in zip(hidden_ids, targets, weight):
        h = w_in[rows].mean(axis=0)
        score = w_out[tgt] @ h
        g = (np.r_[1.0, np.zeros(len(tgt) - 1)] - 1 / (1 + np.exp(-score))) * wt * 0.05
        np.add.at(new_out, tgt, (g * out_scale[tgt])[:, None] * h)
        np.add.at(new_in, rows, (g @ w_out[tgt]) * in_scale[rows][:, None])
    assert np.allclose(model.w_in.numpy(), new_in, atol=1e-6)
    assert np.allclose(model.w_out.numpy(), new_out, atol=1e-6)


def test_only_the_most_frequent_rows_of_a_zipf_vocabulary_are_scaled() -> None:
    counts = (1_000_000 / np.arange(1, 20_001)).astype(np.int64)
    vocab = Vocabulary([f"w{i}" for i in range(20_000)], counts, int(counts.sum()),
                       train_module._keep_probability(counts, 1e-3), train_module._noise_table(counts))
    out_scale, in_scale = train_module._row_scales(vocab, "skipgram", 5, 5, 1024)
    assert 0 < (out_scale < 1).sum() <= 20 and (in_scale < 1).sum() <= 5
    assert out_scale[0] > 0.1


def test_windows_shrink_and_stop_at_sentence_ends() -> None:
    ids = np.arange(7)
    sentence = np.array([0, 0, 0, 0, 1, 1, 1])
    found = train_module._windows(ids, sentence, np.ones(7), 5, np.random.default_rng(0))
    pairs = set(zip(found.centre.tolist(), found.context.tolist()))
    assert all(sentence[a] == sentence[b] and a != b for a, b in pairs)
    assert len(pairs) < 4 * 3 + 3 * 2  # some windows were reduced (a 1 in 5 chance each to keep all)
    full = train_module._windows(ids, sentence, np.ones(7), 1, np.random.default_rng(0))
    assert set(zip(full.centre.tolist(), full.context.tolist())) == {
        (0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (4, 5), (5, 4), (5, 6), (6, 5)}


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("backend", ["torch", "numba"])
def test_corpus_is_streamed_once_per_epoch_plus_one(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Called epochs + 1 times, and never held: at most about a chunk of sentences is alive."""

    class Sentence(list):  # a list that can be weakly referenced
        pass

    calls, alive, most_alive = [0], [], [0]

    def corpus():  # type: ignore[no-untyped-def]
        calls[0] += 1
        for sentence in topic_sentences(400, seed=1):
            alive[:] = [ref for ref in alive if ref() is not None]
            most_alive[0] = max(most_alive[0], len(alive))
            item = Sentence(sentence)
            alive.append(weakref.ref(item))
            yield item

    if backend == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(train_module, "_CHUNK_WORDS", 100)  # ten sentences a chunk
    monkeypatch.setattr(numba_trainer, "JOB_WORDS", 100)
    train_word2vec(corpus, **{**SMALL, "epochs": 2, "backend": backend})
    assert calls[0] == 3
    assert most_alive[0] <= 12


def test_progress_bar_shows_words_per_second(corpus: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    train_word2vec(lambda: corpus[:100], progress=True, **{**SMALL, "epochs": 1})
    err = capsys.readouterr().err
    assert "word2vec skipgram epoch 1/1" in err and "word/s" in err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_trains_on_cuda(corpus: list[list[str]]) -> None:
    wv = train_word2vec(lambda: corpus, device="cuda", seed=3, **SMALL)
    assert mean_cosine(wv, TOPICS[0], TOPICS[0]) > mean_cosine(wv, TOPICS[0], TOPICS[1]) + 0.5


@pytest.mark.parametrize("backend", ["torch", "numba"])
def test_a_corpus_without_pairs_still_gives_vectors(backend: str) -> None:
    if backend == "numba":
        pytest.importorskip("numba")
    stats: list[EpochStats] = []
    for mode in ("skipgram", "cbow"):
        wv = train_word2vec(lambda: [["a"], ["b"], ["a"]], mode=mode, min_count=1, dim=4, epochs=1,
                            callback=stats.append, backend=backend)
        assert wv.words == ["a", "b"] and stats[-1].examples == 0 and stats[-1].words == 3


# --------------------------------------------------------------------------- misuse


@pytest.mark.parametrize(("corpus", "message"), [
    (list, "The corpus holds no words"),
    (lambda: [[], []], "The corpus holds no words"),
    (lambda: ["a sentence as one string"], "yields strings; it must yield lists of tokens"),
    (lambda: 42, "must return an iterable of token lists; it returned int"),
    ([["a", "list"]], "corpus must be a function"),
])
def test_bad_corpus(corpus, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=message):
        train_word2vec(corpus, min_count=1)


def test_min_count_that_leaves_no_word(corpus: list[list[str]]) -> None:
    with pytest.raises(UsageError, match=r"No word occurs min_count=100000 times or more \(the most frequent, 'a', "):
        train_word2vec(lambda: corpus[:50], min_count=100_000)


def test_a_generator_instead_of_a_generator_function() -> None:
    sentences = iter(topic_sentences(20))
    with pytest.raises(UsageError, match="no words in epoch 1; it must return a fresh iterator"):
        train_word2vec(lambda: sentences, min_count=1, dim=4)


@pytest.mark.parametrize(("option", "message"), [
    ({"mode": "glove"}, "Unknown word2vec mode 'glove'; use skipgram or cbow"),
    ({"negative": 0}, "negative must be a positive integer"),
    ({"dim": 2.5}, "dim must be a positive integer"),
    ({"sample": 1.0}, r"sample must be in \[0, 1\)"),
    ({"min_alpha": 0.1}, "need 0 <= min_alpha <= alpha"),
    ({"device": "tpu"}, "'tpu' is not a device"),
    ({"workers": 0}, "workers must be a positive integer"),
    ({"workers": 2, "device": "meta"}, "workers > 1 runs CPU threads; on meta keep workers = 1"),
])
def test_bad_options(option: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UsageError, match=message):
        train_word2vec(lambda: [["a", "b"]], min_count=1, **option)
