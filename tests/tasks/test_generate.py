"""The ``generate`` task: the token stream, its dev tail, and sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nlpkit
from nlpkit.corpus import read_corpus
from nlpkit.errors import UsageError
from nlpkit.pipeline import Pipeline
from nlpkit.registry import registry
from nlpkit.tasks.generate import LINE_BREAK, GenerateTask
from nlpkit.vocab import SPECIALS

TEXT = "abcab\ncabba\n\nbacca\nabcQ\n"  # 'Q' only occurs in the last quarter


def lines(tmp_path: Path, text: str = TEXT, name: str = "text.txt"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_corpus(path, "plain-text")


def parts(**task_options):  # type: ignore[no-untyped-def]
    task = GenerateTask(**task_options)
    return task, registry("tokenizers").get("char")(), registry("encoders").get("vocab")(dim=4)


def test_without_a_dev_file_the_dev_split_is_the_tail(tmp_path) -> None:
    task, tokenizer, encoder = parts(block_size=3, dev_fraction=0.25)
    train_data, dev_data, labels = task.datasets(lines(tmp_path), None, tokenizer, encoder)
    assert labels is None
    stream = [c for line in TEXT.splitlines() for c in [*line, LINE_BREAK]]
    cut = int(len(stream) * 0.75)
    assert train_data.stream.tolist() == encoder.encode(stream[:cut])
    assert dev_data.stream.tolist() == encoder.encode(stream[cut:])
    assert train_data.stream.dtype == np.int64
    assert "Q" not in encoder.fitted  # fitted on the training part only
    assert encoder.fitted.index["<unk>"] in dev_data.stream.tolist()
    assert train_data.block_size == dev_data.block_size == 3
    assert task.num_outputs(encoder, None) == len(encoder.fitted)


def test_a_dev_file_is_used_as_given(tmp_path) -> None:
    task, tokenizer, encoder = parts(block_size=2)
    _, dev_data, _ = task.datasets(lines(tmp_path), lines(tmp_path, "cab\nba\n", "dev.txt"), tokenizer, encoder)
    assert encoder.fitted.decode(dev_data.stream.tolist()) == list("cab\nba\n")


def test_a_block_larger_than_the_text_is_a_usage_error(tmp_path) -> None:
    task, tokenizer, encoder = parts(block_size=100)
    with pytest.raises(UsageError, match=r"fewer than block_size \+ 1 = 101 tokens"):
        task.datasets(lines(tmp_path), None, tokenizer, encoder)
    task, tokenizer, encoder = parts(block_size=4, dev_fraction=0.25)
    task.datasets(lines(tmp_path), None, tokenizer, encoder)
    with pytest.raises(UsageError, match="fewer than block_size"):
        task.dataset(lines(tmp_path, "ab\n", "short.txt"), tokenizer, encoder, None)


@pytest.mark.parametrize("options", [{"block_size": 0}, {"dev_fraction": 1.0}, {"dev_fraction": -0.1}])
def test_bad_options_are_usage_errors(options: dict) -> None:
    with pytest.raises(UsageError, match="block_size >= 1"):
        GenerateTask(**options)


def untrained(tmp_path: Path, decoder: str = "gumbel") -> Pipeline:
    task, tokenizer, encoder = parts(block_size=4, dev_fraction=0.25)
    task.datasets(lines(tmp_path), None, tokenizer, encoder)
    torch.manual_seed(0)
    model = registry("models").get("gru")(encoder.embedding(), "lm", len(encoder.fitted), hidden_size=6)
    return Pipeline(task, tokenizer, encoder, model, registry("decoders").get(decoder)(), None)


def test_generate_with_a_seed_is_reproducible(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    first = pipeline.generate("ab", max_length=40, seed=5)
    assert pipeline.generate("ab", max_length=40, seed=5) == first
    assert pipeline.generate("ab", max_length=40, seed=6) != first


def test_generate_never_emits_specials(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    vocab = pipeline.encoder.fitted
    allowed = set(vocab.items) - set(SPECIALS)
    # An untrained model gives the 4 specials about a third of the probability.
    for seed in range(3):
        text = pipeline.generate("", max_length=150, seed=seed)
        assert len(text) == 150  # characters, joined with ""
        assert set(text) <= allowed
        assert not any(s in text for s in SPECIALS)


def test_the_prefix_is_kept(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    prefix = "abZc"  # 'Z' is unknown to the model but still part of the text
    out = pipeline.generate(prefix, max_length=10, seed=1)
    assert out.startswith(prefix)
    assert len(out) == len(prefix) + 10


def test_generate_restores_the_training_mode(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    pipeline.model.train()
    pipeline.generate("ab", max_length=3, seed=0)
    assert pipeline.model.training


def test_argmax_generation_is_deterministic_without_a_seed(tmp_path) -> None:
    pipeline = untrained(tmp_path, decoder="argmax")
    assert pipeline.generate("ca", max_length=12) == pipeline.generate("ca", max_length=12)


def test_evaluate_reports_loss_bits_and_perplexity(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    data = pipeline.task.dataset(lines(tmp_path), pipeline.tokenizer, pipeline.encoder, None)
    report = pipeline.task.evaluate(pipeline.model, pipeline.decoder, data, None, batch_size=2)
    assert report["perplexity"] == pytest.approx(np.exp(report["loss"]))
    assert report["bits_per_token"] == pytest.approx(report["loss"] / np.log(2))
    assert report["loss"] > 0


def test_a_generate_pipeline_does_not_label_text(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    with pytest.raises(UsageError, match=r"nlpkit generate MODEL --prefix TEXT.*Pipeline\.generate\(\)"):
        list(pipeline.pipe(["abc"]))


def test_calling_a_generate_pipeline_is_a_usage_error(tmp_path) -> None:
    pipeline = untrained(tmp_path)
    with pytest.raises(UsageError, match=r"nlpkit generate MODEL --prefix TEXT.*Pipeline\.generate\(\)"):
        pipeline("abc")


def test_a_classify_pipeline_cannot_generate(tmp_path) -> None:
    from nlpkit.tasks.classify import ClassifyTask

    task, tokenizer, encoder = ClassifyTask(), registry("tokenizers").get("char")(), registry("encoders").get("vocab")(dim=4)
    encoder.fit([list("abc")])
    model = registry("models").get("gru")(encoder.embedding(), "classify", 2, hidden_size=4)
    pipeline = Pipeline(task, tokenizer, encoder, model, registry("decoders").get("argmax")(), None)
    with pytest.raises(UsageError, match="cannot generate text"):
        pipeline.generate("ab")


def test_train_save_load_and_generate(tmp_path) -> None:
    from nlpkit.training import train

    path = tmp_path / "text.txt"
    path.write_text("the cat sat on the mat\n" * 6, encoding="utf-8")
    config = {
        "task": {"name": "generate", "block_size": 8, "dev_fraction": 0.2},
        "corpus": {"train": str(path), "format": "plain-text"},
        "tokenizer": {"name": "char", "keep_whitespace": True},
        "encoder": {"name": "vocab", "dim": 8},
        "model": {"name": "gru", "hidden_size": 8},
        "decoder": {"name": "gumbel", "temperature": 0.8},
        "trainer": {"name": "torch", "epochs": 2, "batch_size": 4},
    }
    trained = train(config, tmp_path / "run", device="cpu", progress=False)
    loaded = nlpkit.load(tmp_path / "run", device="cpu")
    assert loaded.generate("the ", max_length=20, seed=2) == trained.generate("the ", max_length=20, seed=2)
    assert set(loaded.meta["metrics"]["dev"]) == {"loss", "bits_per_token", "perplexity"}


def test_an_encoder_with_character_features_is_refused(tmp_path) -> None:
    task, tokenizer, _ = parts()
    encoder = registry("encoders").get("vocab")(dim=4, char_dim=3)
    with pytest.raises(UsageError, match="adds chars features.*Leave char_dim and bigram_dim out"):
        task.datasets(lines(tmp_path), None, tokenizer, encoder)
