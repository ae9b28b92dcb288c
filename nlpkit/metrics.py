"""Evaluation metrics: accuracy, per-class and macro F1, confusion matrices, and
language-model loss in nats, bits and perplexity."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def accuracy(gold: Sequence, predicted: Sequence) -> float:
    """Share of positions where prediction equals gold."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold) if len(gold) else 0.0


def confusion_matrix(gold: Sequence[int], predicted: Sequence[int], num_classes: int) -> np.ndarray:
    """``m[g, p]``: how often class ``g`` was predicted as ``p``."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(gold, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return m


def per_class(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class from a confusion matrix (0 where undefined)."""
    tp = np.diag(matrix).astype(float)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def classification_report(gold: Sequence[int], predicted: Sequence[int], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over classes present in gold or predictions, per-class figures
    and the confusion matrix, as JSON-ready values."""
    matrix = confusion_matrix(gold, predicted, len(labels))
    stats = per_class(matrix)
    present = (stats["support"] > 0) | (matrix.sum(axis=0) > 0)
    return {
        "accuracy": accuracy(gold, predicted),
        "macro_f1": float(stats["f1"][present].mean()) if present.any() else 0.0,
        "per_class": {
            label: {k: float(v[i]) for k, v in stats.items()} for i, label in enumerate(labels) if present[i]
        },
        "confusion": {"labels": list(labels), "matrix": matrix.tolist()},
    }


def lm_metrics(total_nats: float, tokens: int) -> dict[str, float]:
    """Mean loss per token in nats and bits, and perplexity."""
    nats = total_nats / tokens if tokens else float("nan")
    return {"loss": nats, "bits_per_token": nats / math.log(2), "perplexity": math.exp(nats) if tokens else float("nan")}
