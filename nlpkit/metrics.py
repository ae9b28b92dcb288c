"""Evaluation metrics: accuracy, per-class and macro F1, confusion matrices,
language-model loss in nats, bits and perplexity, entity-level scores as conlleval
computes them, and word-segmentation scores as the SIGHAN bakeoff scorer computes them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .errors import InputError
from .spans import tags_to_spans


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



def entity_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], scheme: str = "IOB2") -> dict:
    """Entity-level precision, recall and F1, micro-averaged and per type, exactly as
    conlleval and seqeval's default mode compute them: entities are the chunks conlleval
    reads (see :func:`nlpkit.spans.tags_to_spans`), an entity counts as correct when
    type, start and end all match, and 0/0 is 0.0."""
    _check_same_shape(gold, predicted)
    gold_set = _entities(gold, scheme, "gold")
    predicted_set = _entities(predicted, scheme, "predicted")
    correct = gold_set & predicted_set
    counts = {
        name: Counter(label for _, label, _, _ in entities)
        for name, entities in (("gold", gold_set), ("predicted", predicted_set), ("correct", correct))
    }
    per_type = {
        label: {
            **_prf(counts["correct"][label], counts["predicted"][label], counts["gold"][label]),
            "support": counts["gold"][label],
        }
        for label in sorted(counts["gold"].keys() | counts["predicted"].keys())
    }
    return {
        **_prf(len(correct), len(predicted_set), len(gold_set)),
        "per_type": per_type,
        "gold_entities": len(gold_set),
        "predicted_entities": len(predicted_set),
        "correct_entities": len(correct),
    }


def _check_same_shape(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> None:
    if len(gold) != len(predicted):
        raise InputError(
            f"{len(gold)} gold sentences but {len(predicted)} predicted; give one prediction per sentence."
        )
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise InputError(f"sentence {i} has {len(g)} gold tags but {len(p)} predicted; give one tag per token.")


def _entities(sentences: Sequence[Sequence[str]], scheme: str, side: str) -> set[tuple[int, str, int, int]]:
    return {
        (i, span.label, span.start, span.end)
        for i, tags in enumerate(sentences)
        for span in tags_to_spans(tags, scheme, source=f"{side} sentence {i}")
    }


def _prf(correct: int, predicted: int, gold: int) -> dict[str, float]:
    """Precision, recall and F1 with 0/0 = 0.0, in seqeval's order of operations (bit-identical)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def segmentation_scores(
    gold_words: Sequence[Sequence[str]],
    predicted_words: Sequence[Sequence[str]],
    dictionary: set[str] | None = None,
) -> dict:
    """Word-segmentation precision, recall and F1 as the SIGHAN 2005 ``score`` script
    computes them: a predicted word is correct when its character interval in the
    sentence is a gold word's interval. With ``dictionary`` (the training words), a gold
    word is OOV when it is not in it; ``oov_rate``, ``oov_recall`` and ``iv_recall`` are
    then reported (``None`` without a dictionary). A recall over no words is undefined:
    ``oov_recall`` is ``None`` when no gold word is OOV, ``iv_recall`` when none is IV."""
    if len(gold_words) != len(predicted_words):
        raise InputError(
            f"{len(gold_words)} gold sentences but {len(predicted_words)} predicted; "
            "give one segmentation per sentence."
        )
    totals = Counter()
    for i, (gold, predicted) in enumerate(zip(gold_words, predicted_words)):
        totals.update(_segmentation_counts(i, gold, predicted, dictionary))
    scores = {
        **_prf(totals["correct"], totals["predicted"], totals["gold"]),
        "gold_words": totals["gold"],
        "predicted_words": totals["predicted"],
        "correct_words": totals["correct"],
        "oov_rate": None,
        "oov_recall": None,
        "iv_recall": None,
    }
    if dictionary is not None:
        iv = totals["gold"] - totals["oov"]
        scores["oov_rate"] = totals["oov"] / totals["gold"] if totals["gold"] else 0.0
        scores["oov_recall"] = _recall_or_none(totals["correct_oov"], totals["oov"])
        scores["iv_recall"] = _recall_or_none(totals["correct"] - totals["correct_oov"], iv)
    return scores


def _recall_or_none(found: int, total: int) -> float | None:
    """``found / total``, or ``None`` when there is nothing to recall (``total`` is 0)."""
    return found / total if total else None


def _segmentation_counts(i: int, gold: Sequence[str], predicted: Sequence[str], dictionary: set[str] | None) -> Counter:
    gold_text, predicted_text = "".join(gold), "".join(predicted)
    if gold_text != predicted_text:
        raise InputError(
            f"sentence {i}: the gold and predicted words spell different characters; "
            f"{_first_difference(gold_text, predicted_text)}"
        )
    if not all(gold) or not all(predicted):
        side = "gold" if not all(gold) else "predicted"
        raise InputError(f"sentence {i}: a {side} word is empty; every word needs at least one character.")
    gold_spans, predicted_spans = _intervals(gold), set(_intervals(predicted))
    counts = Counter(gold=len(gold_spans), predicted=len(predicted_spans))
    for word, span in zip(gold, gold_spans):
        hit = span in predicted_spans
        oov = dictionary is not None and word not in dictionary
        counts.update(correct=hit, oov=oov, correct_oov=hit and oov)
    return counts


def _intervals(words: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of consecutive words."""
    spans, start = [], 0
    for word in words:
        spans.append((start, start + len(word)))
        start += len(word)
    return spans


def _first_difference(gold: str, predicted: str) -> str:
    at = next((k for k, (a, b) in enumerate(zip(gold, predicted)) if a != b), min(len(gold), len(predicted)))
    begin = max(0, at - 10)
    return (
        f"they differ from character {at}: gold {gold[begin : at + 20]!r} ({len(gold)} characters), "
        f"predicted {predicted[begin : at + 20]!r} ({len(predicted)} characters). "
        "Segment the gold sentence's own characters (same text, no added or dropped characters)."
    )
