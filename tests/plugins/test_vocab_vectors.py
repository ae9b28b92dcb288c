"""Pretrained word vectors in the ``vocab`` encoder (option ``vectors``), and encoder
``word2vec``: the same encoder with ``vectors`` required."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

import nlpkit
from nlpkit import training
from nlpkit.errors import OptionError
from nlpkit.registry import registry
from nlpkit.word2vec_format import load_word2vec, save_word2vec

pytestmark = pytest.mark.usefixtures("one_torch_thread")

WORDS = ["good", "great", "fine", "bad", "awful", "poor", "film", "plot"]


def encoder(name: str = "word2vec", **options):  # type: ignore[no-untyped-def]
    return registry("encoders").get(name)(**options)


@pytest.fixture
def vector_file(tmp_path):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    path = tmp_path / "vectors.txt"
    save_word2vec(path, WORDS, rng.normal(size=(len(WORDS), 6)).astype(np.float32))
    return path


def test_rows_start_from_the_file_and_unknown_rows_stay_random(vector_file) -> None:
    words, rows = load_word2vec(vector_file)
    enc = encoder(vectors=str(vector_file), extend_vocab=False)
    enc.fit([["good", "film", "zebra"], ["bad", "plot"]])
    assert enc.dim == 6 and "great" not in enc.fitted
    weight = enc.embedding().weight.detach().numpy()
    for word in ("good", "film", "bad", "plot"):
        np.testing.assert_array_equal(weight[enc.fitted.index[word]], rows[words.index(word)])
    assert not np.allclose(weight[enc.fitted.index["zebra"]], 0)  # random, not from the file
    assert enc.initialised_share == pytest.approx(4 / len(enc.fitted))


def test_extend_vocab_gives_the_files_other_words_their_rows(vector_file) -> None:
    enc = encoder(vectors=str(vector_file))
    enc.fit([["good", "film"]])
    assert all(w in enc.fitted for w in WORDS)
    assert enc.fitted.items[4:6] == ["film", "good"]  # training words first
    capped = encoder(vectors=str(vector_file), max_size=4)
    capped.fit([["good", "film"]])
    assert len(capped.fitted) - len(capped.fitted.specials) == 4


def test_freeze_keeps_the_vectors_fixed_and_options_are_checked(vector_file) -> None:
    enc = encoder(vectors=str(vector_file), freeze=True)
    enc.fit([["good"]])
    assert not enc.embedding().weight.requires_grad
    with pytest.raises(OptionError, match="needs vectors = FILE"):
        encoder()
    wrong = encoder(vectors=str(vector_file), dim=7)
    with pytest.raises(OptionError, match="holds 6-wide vectors"):
        wrong.fit([["good"]])


def test_a_trained_pipeline_needs_the_vectors_file_no_more(vector_file, tmp_path) -> None:
    rows = ["pos\tgood film", "pos\tgreat plot", "neg\tbad film", "neg\tawful plot", "pos\tfine film", "neg\tpoor plot"]
    data = tmp_path / "train.tsv"
    data.write_text("\n".join(rows * 4) + "\n", encoding="utf-8")
    config = {
        "seed": 1, "task": {"name": "classify"},
        "corpus": {"train": str(data), "dev": str(data), "format": "label-tab-text"},
        "tokenizer": {"name": "whitespace"},
        "encoder": {"name": "word2vec", "vectors": str(vector_file), "freeze": True},
        "model": {"name": "gru", "hidden_size": 8},
        "trainer": {"name": "torch", "epochs": 3, "batch_size": 4, "lr": 0.02},
    }
    pipeline = training.train(config, tmp_path / "run", device="cpu", progress=False)
    weight = pipeline.model.embedding.weight.detach().numpy()
    words, rows = load_word2vec(vector_file)
    np.testing.assert_array_equal(weight[pipeline.encoder.fitted.index["awful"]], rows[words.index("awful")])
    shutil.move(str(vector_file), str(tmp_path / "elsewhere.txt"))
    again = nlpkit.load(tmp_path / "run")
    texts = ["good plot", "awful film", "poor"]
    assert [r.label for r in again.pipe(texts)] == [r.label for r in pipeline.pipe(texts)]
    assert torch.equal(again.model.embedding.weight, pipeline.model.embedding.weight)


def test_encoder_vocab_with_vectors_is_encoder_word2vec(vector_file) -> None:
    """One encoder, two names: the same vocabulary and the same starting rows."""
    sentences = [["good", "film", "zebra"], ["bad", "plot"]]
    a, b = encoder("vocab", vectors=str(vector_file)), encoder("word2vec", vectors=str(vector_file))
    a.fit(sentences)
    b.fit(sentences)
    assert a.fitted.items == b.fitted.items and a.dim == b.dim == 6
    torch.manual_seed(0)
    first = a.embedding().weight
    torch.manual_seed(0)
    assert torch.equal(first, b.embedding().weight)
    assert type(b).__mro__[1] is type(a)


def test_without_vectors_the_vocab_encoder_is_as_before() -> None:
    plain = encoder("vocab")
    assert plain.dim == 128 and plain.vectors == "" and not plain.freeze
    with pytest.raises(OptionError, match="freeze = true keeps pretrained vectors fixed"):
        encoder("vocab", freeze=True)
