"""The ``classify`` task: labels, encoding, errors with file:line, and predictions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from nlpkit.corpus import Example, read_corpus
from nlpkit.errors import InputError
from nlpkit.pipeline import Pipeline
from nlpkit.registry import registry
from nlpkit.tasks import task_class
from nlpkit.tasks.classify import ClassifyTask

TRAIN = "pos\tgood day\nneg\tbad\npos\tnice\nneu\tok\nneg\tawful\npos\tfine\n"


def corpus(tmp_path: Path, name: str, text: str) -> list[Example]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_corpus(path, "label-tab-text")


def parts(**encoder_options):  # type: ignore[no-untyped-def]
    tokenizer = registry("tokenizers").get("char")()
    encoder = registry("encoders").get("vocab")(dim=4, **encoder_options)
    return ClassifyTask(), tokenizer, encoder


def test_task_class_finds_classify() -> None:
    assert task_class("classify") is ClassifyTask
    assert ClassifyTask.head == "classify" and ClassifyTask.metric == "accuracy"


def test_labels_come_from_the_training_data(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    dev = corpus(tmp_path, "dev.tsv", "neg\tmeh\npos\tyes\n")
    train_data, dev_data, labels = task.datasets(corpus(tmp_path, "train.tsv", TRAIN), dev, tokenizer, encoder)
    assert labels.items == ["pos", "neg", "neu"]  # by frequency, then name; no specials
    assert labels.specials == ()
    assert train_data.targets == [0, 1, 0, 2, 1, 0]
    assert dev_data.targets == [1, 0]
    assert train_data.ids[1] == encoder.encode(["b", "a", "d"])
    assert train_data.ids[0] == encoder.encode(list("goodday"))  # the char tokenizer drops spaces
    assert "m" not in encoder.fitted  # the encoder is fitted on the training texts only
    assert dev_data.ids[0][0] == encoder.fitted.index["<unk>"]


def test_an_unseen_dev_label_names_file_line_and_training_labels(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    dev = corpus(tmp_path, "dev.tsv", "pos\tyes\n\nangry\tgrr\n")
    with pytest.raises(InputError) as info:
        task.datasets(corpus(tmp_path, "train.tsv", TRAIN), dev, tokenizer, encoder)
    message = str(info.value)
    assert f"{tmp_path / 'dev.tsv'}:3" in message
    assert "label 'angry' never occurs in the training data" in message
    assert "training labels: pos, neg, neu" in message


def test_a_long_label_list_is_shortened(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    train = "".join(f"L{i:02d}\tx{i}\n" for i in range(30))
    with pytest.raises(InputError, match=r"L19 \.\.\.\)"):
        task.datasets(corpus(tmp_path, "train.tsv", train), corpus(tmp_path, "dev.tsv", "L99\tx\n"), tokenizer, encoder)


def test_examples_without_tokens_are_skipped_with_a_warning(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    train = corpus(tmp_path, "train.tsv", TRAIN + "neg\t   \n")
    with pytest.warns(UserWarning, match=r"skipped 1 example\(s\) with no tokens: \S*train.tsv:7$"):
        train_data, _, labels = task.datasets(train, None, tokenizer, encoder)
    assert len(train_data) == 6
    assert all(train_data.ids)
    assert set(labels.items) == {"pos", "neg", "neu"}


def test_skipped_examples_do_not_add_labels(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    train = corpus(tmp_path, "train.tsv", TRAIN + "ghost\t  \n")
    with pytest.warns(UserWarning, match=r"skipped 1 example\(s\)"):
        _, _, labels = task.datasets(train, None, tokenizer, encoder)
    assert "ghost" not in labels


def test_a_corpus_with_no_tokens_at_all_is_an_error(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    with pytest.raises(InputError, match="no example has any tokens"), pytest.warns(UserWarning):
        task.dataset(corpus(tmp_path, "empty.tsv", "pos\t \nneg\t\n"), tokenizer, encoder, _labels())


def _labels():  # type: ignore[no-untyped-def]
    from nlpkit.vocab import Vocab

    return Vocab(["pos", "neg"], specials=())


def test_an_example_without_a_label_is_an_error() -> None:
    task, tokenizer, encoder = parts()
    encoder.fit([["a"]])
    with pytest.raises(InputError, match="f.txt:4: this example has no label"):
        task.dataset([Example(text="a", source="f.txt:4")], tokenizer, encoder, _labels())


@pytest.fixture
def untrained(tmp_path) -> Pipeline:
    task, tokenizer, encoder = parts()
    _, _, labels = task.datasets(corpus(tmp_path, "train.tsv", TRAIN), None, tokenizer, encoder)
    torch.manual_seed(0)
    model = registry("models").get("gru")(encoder.embedding(), "classify", len(labels), hidden_size=6)
    decoder = registry("decoders").get("argmax")()
    return Pipeline(task, tokenizer, encoder, model, decoder, labels)


def test_predict_returns_probabilities_summing_to_one(untrained) -> None:
    texts = ["good", "a much longer text than the rest", "", "zzz unknown"]
    results = list(untrained.pipe(texts, batch_size=3))
    assert [r.text for r in results] == texts
    empty = results.pop(2)  # nothing to read: no label rather than a guess about padding
    assert (empty.label, empty.score, empty.probabilities) == (None, None, {})
    for result in results:
        assert list(result.probabilities) == ["pos", "neg", "neu"]
        assert math.isclose(sum(result.probabilities.values()), 1.0, rel_tol=1e-6)
        assert all(0 <= p <= 1 for p in result.probabilities.values())
        assert result.label == max(result.probabilities, key=result.probabilities.get)
        assert result.score == result.probabilities[result.label]
        assert result.to_json() == {"text": result.text, "label": result.label, "score": result.score,
                                    "probabilities": result.probabilities}


def test_evaluate_reports_loss_accuracy_and_macro_f1(untrained, tmp_path) -> None:
    data = untrained.task.dataset(corpus(tmp_path, "test.tsv", TRAIN), untrained.tokenizer, untrained.encoder,
                                  untrained.labels)
    report = untrained.task.evaluate(untrained.model, untrained.decoder, data, untrained.labels, batch_size=4)
    predicted = [untrained(text).label for text in ["good day", "bad", "nice", "ok", "awful", "fine"]]
    gold = ["pos", "neg", "pos", "neu", "neg", "pos"]
    assert report["accuracy"] == pytest.approx(sum(p == g for p, g in zip(predicted, gold)) / 6)
    assert report["loss"] > 0 and 0 <= report["macro_f1"] <= 1
    assert sum(map(sum, report["confusion"]["matrix"])) == 6
