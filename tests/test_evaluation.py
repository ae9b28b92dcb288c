"""nlpkit.evaluation: scoring a saved pipeline, and the confusion-matrix plot."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import nlpkit
from nlpkit.errors import InputError, UsageError
from nlpkit.evaluation import evaluate, plot_confusion
from nlpkit.pipeline import Pipeline
from nlpkit.training import train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_lines(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label, letters = [("a", "xyz"), ("b", "pqr"), ("c", "klm")][i % 3]
        rows.append(f"{label}\t" + "".join(rng.choice(letters) for _ in range(rng.randint(2, 6))))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("evaluation")
    train_file, dev_file = write_lines(root / "train.tsv", 36, 0), write_lines(root / "dev.tsv", 9, 1)
    config = {
        "seed": 1,
        "task": {"name": "classify"},
        "corpus": {"train": str(train_file), "dev": str(dev_file), "format": "label-tab-text"},
        "encoder": {"name": "vocab", "dim": 8},
        "model": {"name": "gru", "hidden_size": 8},
        "trainer": {"name": "torch", "epochs": 3, "batch_size": 8, "lr": 0.02},
    }
    train(config, root / "run", device="cpu", progress=False)
    return root / "run" / "model", dev_file


def test_evaluate_a_saved_pipeline(saved) -> None:
    model_dir, dev_file = saved
    pipeline = nlpkit.load(model_dir, device="cpu")
    report = evaluate(pipeline, dev_file)  # the format comes from the pipeline's meta
    assert {"loss", "accuracy", "macro_f1", "per_class", "confusion"} <= set(report)
    recorded = pipeline.meta["metrics"]["dev"]
    assert report["accuracy"] == pytest.approx(recorded["accuracy"])
    assert report["loss"] == pytest.approx(recorded["loss"], rel=1e-5)
    texts = [line.split("\t")[1] for line in dev_file.read_text(encoding="utf-8").splitlines()]
    gold = [line.split("\t")[0] for line in dev_file.read_text(encoding="utf-8").splitlines()]
    predicted = [r.label for r in pipeline.pipe(texts)]
    assert report["accuracy"] == pytest.approx(sum(p == g for p, g in zip(predicted, gold)) / len(gold))
    assert report["confusion"]["labels"] == pipeline.labels.items
    assert sum(map(sum, report["confusion"]["matrix"])) == 9
    assert evaluate(pipeline, dev_file, format="label-tab-text", batch_size=2)["accuracy"] == report["accuracy"]


def test_evaluate_without_a_known_format_asks_for_one(saved) -> None:
    model_dir, dev_file = saved
    loaded = Pipeline.from_disk(model_dir, device="cpu")
    bare = Pipeline(loaded.task, loaded.tokenizer, loaded.encoder, loaded.model, loaded.decoder, loaded.labels, meta={})
    with pytest.raises(UsageError, match="--format"):
        evaluate(bare, dev_file)


def test_evaluate_on_an_unseen_label_names_the_line(saved, tmp_path) -> None:
    model_dir, _ = saved
    test_file = tmp_path / "test.tsv"
    test_file.write_text("a\txyz\nz\tqqq\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"test.tsv:2: label 'z' never occurs"):
        evaluate(nlpkit.load(model_dir, device="cpu"), test_file)


@pytest.mark.parametrize("normalise", [True, False])
def test_plot_confusion_writes_a_png(tmp_path, normalise: bool) -> None:
    confusion = {"labels": ["a", "b", "c"], "matrix": [[3, 1, 0], [0, 2, 0], [1, 0, 0]]}
    png = tmp_path / "confusion.png"
    plot_confusion(confusion, png, normalise=normalise)
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 300 and height >= 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["confusion.png"]  # written atomically


def test_plot_confusion_of_an_evaluation(saved, tmp_path) -> None:
    model_dir, dev_file = saved
    report = evaluate(nlpkit.load(model_dir, device="cpu"), dev_file)
    plot_confusion(report["confusion"], tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG_SIGNATURE
