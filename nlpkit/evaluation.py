"""Scoring a saved pipeline on a corpus, and drawing a confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .corpus import read_corpus
from .errors import UsageError


def evaluate(pipeline: Any, path: str | Path, format: str | None = None, batch_size: int = 64) -> dict:
    """The task's metrics for ``pipeline`` on the corpus at ``path`` (format defaults
    to the one the pipeline was trained on)."""
    fmt = format or pipeline.meta.get("config", {}).get("corpus", {}).get("format")
    if fmt is None:
        raise UsageError("Give the corpus format with --format; the pipeline does not record one.")
    examples = read_corpus(path, fmt)
    data = pipeline.task.dataset(examples, pipeline.tokenizer, pipeline.encoder, pipeline.labels)
    return pipeline.task.evaluate(pipeline.model, pipeline.decoder, data, pipeline.labels, batch_size)


def plot_confusion(confusion: dict, png: str | Path, normalise: bool = True) -> None:
    """Save a confusion matrix (rows: gold, columns: predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .io import atomic_path

    labels, matrix = confusion["labels"], np.asarray(confusion["matrix"], dtype=float)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalise else matrix
    size = max(4.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
