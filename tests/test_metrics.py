"""nlpkit.metrics against hand computations and, when installed, scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nlpkit.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    lm_metrics,
    per_class,
)

LABELS = ["cat", "dog", "fox", "owl"]
# owl (3) never occurs in gold or predictions
GOLD = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0]
PRED = [0, 1, 0, 1, 2, 2, 2, 0, 2, 0]


def test_accuracy() -> None:
    assert accuracy(GOLD, PRED) == pytest.approx(7 / 10)
    assert accuracy(["a", "b"], ["a", "c"]) == 0.5
    assert accuracy([], []) == 0.0
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        accuracy([1, 2], [1])


def test_confusion_matrix_rows_are_gold_columns_predicted() -> None:
    m = confusion_matrix(GOLD, PRED, 4)
    assert m.tolist() == [
        [3, 1, 0, 0],
        [0, 1, 1, 0],
        [1, 0, 3, 0],
        [0, 0, 0, 0],
    ]
    assert m.sum() == len(GOLD)
    assert m.dtype == np.int64


def test_per_class_by_hand() -> None:
    stats = per_class(confusion_matrix(GOLD, PRED, 4))
    # cat: tp 3, predicted 4, gold 4; dog: tp 1, predicted 2, gold 2; fox: tp 3, predicted 4, gold 4
    assert stats["precision"].tolist() == pytest.approx([3 / 4, 1 / 2, 3 / 4, 0.0])
    assert stats["recall"].tolist() == pytest.approx([3 / 4, 1 / 2, 3 / 4, 0.0])
    assert stats["f1"].tolist() == pytest.approx([3 / 4, 1 / 2, 3 / 4, 0.0])
    assert stats["support"].tolist() == [4, 2, 4, 0]


def test_per_class_precision_and_recall_differ() -> None:
    # gold a a a b, predicted a b b b: a: P 1/1 R 1/3; b: P 1/3 R 1/1
    stats = per_class(confusion_matrix([0, 0, 0, 1], [0, 1, 1, 1], 2))
    assert stats["precision"].tolist() == pytest.approx([1.0, 1 / 3])
    assert stats["recall"].tolist() == pytest.approx([1 / 3, 1.0])
    f1 = 2 * 1 * (1 / 3) / (1 + 1 / 3)
    assert stats["f1"].tolist() == pytest.approx([f1, f1])


def test_classification_report_by_hand() -> None:
    report = classification_report(GOLD, PRED, LABELS)
    assert report["accuracy"] == pytest.approx(0.7)
    # macro over the classes present (owl is neither gold nor predicted)
    assert report["macro_f1"] == pytest.approx((3 / 4 + 1 / 2 + 3 / 4) / 3)
    assert set(report["per_class"]) == {"cat", "dog", "fox"}
    assert report["per_class"]["dog"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2.0}
    assert report["confusion"]["labels"] == LABELS
    assert report["confusion"]["matrix"][2] == [1, 0, 3, 0]


def test_a_class_only_predicted_counts_in_macro_f1() -> None:
    report = classification_report([0, 0], [0, 1], ["a", "b"])
    # a: P 1 R 1/2 F1 2/3; b: P 0 R 0 (no support) F1 0
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert report["per_class"]["b"]["support"] == 0.0


def test_against_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(5):
        gold = rng.integers(0, 6, size=80)
        pred = np.where(rng.random(80) < 0.5, gold, rng.integers(0, 7, size=80))
        labels = [f"c{i}" for i in range(8)]  # c7 never occurs
        report = classification_report(gold.tolist(), pred.tolist(), labels)
        assert report["accuracy"] == pytest.approx(metrics.accuracy_score(gold, pred))
        assert report["macro_f1"] == pytest.approx(metrics.f1_score(gold, pred, average="macro", zero_division=0))
        assert np.array_equal(np.asarray(report["confusion"]["matrix"]), metrics.confusion_matrix(gold, pred, labels=range(8)))
        p, r, f, s = metrics.precision_recall_fscore_support(gold, pred, labels=range(8), zero_division=0)
        stats = per_class(confusion_matrix(gold, pred, 8))
        np.testing.assert_allclose(stats["precision"], p)
        np.testing.assert_allclose(stats["recall"], r)
        np.testing.assert_allclose(stats["f1"], f)
        np.testing.assert_array_equal(stats["support"], s)


def test_lm_metrics() -> None:
    m = lm_metrics(total_nats=30.0, tokens=20)
    assert m["loss"] == pytest.approx(1.5)
    assert m["bits_per_token"] == pytest.approx(1.5 / math.log(2))
    assert m["perplexity"] == pytest.approx(math.exp(1.5))
    uniform = lm_metrics(total_nats=10 * math.log(4), tokens=10)  # a uniform guess over 4 symbols
    assert uniform["bits_per_token"] == pytest.approx(2.0)
    assert uniform["perplexity"] == pytest.approx(4.0)


def test_lm_metrics_without_tokens_is_nan() -> None:
    m = lm_metrics(0.0, 0)
    assert all(math.isnan(v) for v in m.values())
