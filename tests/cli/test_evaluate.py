"""``nlpkit evaluate`` through click's CliRunner: metrics as a table and as JSON (equal
to what training measured on the same dev file), the confusion matrix PNG, language
models, and errors in the scored corpus."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from nlpkit.testing import assert_cli_error as assert_error
from nlpkit.testing import invoke

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def train(folder: Path, config: str) -> Path:
    (folder / "config.toml").write_text(config, encoding="utf-8")
    result = invoke("train", folder / "config.toml", "-o", folder / "run", "--device", "cpu")
    assert result.exit_code == 0, result.output
    return folder / "run"


def rule_lines(n: int, seed: int) -> list[str]:
    """label-tab-text: 'more' when a text has more a's than b's, 'less' when fewer."""
    rng = random.Random(seed)
    lines = []
    while len(lines) < n:
        text = "".join(rng.choice("abc") for _ in range(rng.randint(3, 9)))
        if text.count("a") != text.count("b"):
            lines.append(f"{'more' if text.count('a') > text.count('b') else 'less'}\t{text}")
    return lines


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("classifier")
    (folder / "train.tsv").write_text("\n".join(rule_lines(60, 1)) + "\n")
    (folder / "dev.tsv").write_text("\n".join(rule_lines(30, 2)) + "\n")
    return train(folder, """
        seed = 2
        [task]
        name = "classify"
        [corpus]
        train = "train.tsv"
        dev = "dev.tsv"
        format = "label-tab-text"
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        epochs = 3
        batch_size = 8
        lr = 0.02
    """)


@pytest.fixture(scope="module")
def language_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lm")
    (folder / "text.txt").write_text("abcabcabc\n" * 20)
    (folder / "other.txt").write_text("abcabc\nabc\n" * 5)
    return train(folder, """
        [task]
        name = "generate"
        block_size = 8
        [corpus]
        train = "text.txt"
        format = "plain-text"
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        epochs = 2
    """)


def test_json_metrics_equal_the_ones_measured_in_training(classifier):
    dev = classifier.parent / "dev.tsv"
    result = invoke("evaluate", classifier, dev, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    trained = json.loads((classifier / "model" / "meta.json").read_text())["metrics"]["dev"]
    for key in ("loss", "accuracy", "macro_f1"):
        assert metrics[key] == pytest.approx(trained[key], abs=1e-6), key
    confusion = metrics["confusion"]
    assert sorted(confusion["labels"]) == ["less", "more"]
    assert sum(map(sum, confusion["matrix"])) == 30
    correct = sum(confusion["matrix"][i][i] for i in range(2))
    assert metrics["accuracy"] == pytest.approx(correct / 30)
    gold = [line.split("\t")[0] for line in dev.read_text().splitlines()]
    for label, row in metrics["per_class"].items():
        assert row["support"] == gold.count(label)


def test_table_output(classifier):
    result = invoke("evaluate", classifier / "model", classifier.parent / "dev.tsv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[0] == "accuracy" and 0 <= float(line.split()[1]) <= 1 for line in lines if line.strip())
    assert "label  precision  recall  f1      support" in result.stdout
    assert any(line.startswith("more ") for line in lines) and any(line.startswith("less ") for line in lines)


def test_confusion_matrix_png(classifier, tmp_path):
    png = tmp_path / "confusion.png"
    result = invoke("evaluate", classifier, classifier.parent / "dev.tsv", "--confusion", png, "--json")
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert json.loads(result.stdout)["accuracy"] >= 0
    assert [p.name for p in tmp_path.iterdir()] == ["confusion.png"]


def test_explicit_format_and_another_corpus(classifier, tmp_path):
    corpus = tmp_path / "test.tsv"
    corpus.write_text("more\taaab\nless\tbbba\nmore\tcaca\n")
    result = invoke("evaluate", classifier, corpus, "--format", "label-tab-text", "--json")
    assert result.exit_code == 0, result.output
    assert sum(map(sum, json.loads(result.stdout)["confusion"]["matrix"])) == 3


def test_language_model_perplexity(language_model):
    corpus = language_model.parent / "other.txt"
    result = invoke("evaluate", language_model, corpus, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]), rel=1e-6)
    assert metrics["bits_per_token"] == pytest.approx(metrics["loss"] / math.log(2), rel=1e-6)


def test_confusion_needs_a_classifier(language_model, tmp_path):
    result = invoke("evaluate", language_model, language_model.parent / "other.txt", "--confusion", tmp_path / "c.png")
    assert_error(result, 2, "--confusion applies to classification pipelines only")
    assert not (tmp_path / "c.png").exists()


def test_a_label_the_model_never_saw(classifier, tmp_path):
    corpus = tmp_path / "test.tsv"
    corpus.write_text("more\taaab\nneutral\tcc\n")
    assert_error(invoke("evaluate", classifier, corpus), 1, f"{corpus}:2", "label 'neutral' never occurs")


def test_a_malformed_line(classifier, tmp_path):
    corpus = tmp_path / "test.tsv"
    corpus.write_text("more\taaab\nless\tbbb\nless bbb\n")
    assert_error(invoke("evaluate", classifier, corpus), 1, f"{corpus}:3", "no TAB")


def test_an_empty_or_missing_corpus(classifier, tmp_path):
    (tmp_path / "empty.tsv").write_text("")
    assert_error(invoke("evaluate", classifier, tmp_path / "empty.tsv"), 1, "empty.tsv", "the corpus is empty")
    assert_error(invoke("evaluate", classifier, tmp_path / "missing.tsv"), 1, "missing.tsv", "corpus not found")


def test_not_a_pipeline(tmp_path):
    (tmp_path / "c.tsv").write_text("a\tb\n")
    assert_error(invoke("evaluate", tmp_path, tmp_path / "c.tsv"), 1, "not an nlpkit pipeline")
