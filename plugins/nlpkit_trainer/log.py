"""The training log: ``metrics.jsonl`` (one JSON object per event) and its plot."""

from __future__ import annotations

import json
import math
from pathlib import Path

from nlpkit.io import atomic_path


class MetricsLog:
    """Appends one JSON line per event: training loss, learning rate and tokens/s every
    ``log_every`` steps, and dev metrics at each evaluation."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def truncate_after(self, step: int) -> None:
        """Drop events after ``step`` (a resumed run logs them again)."""
        kept = [r for r in self.read() if r.get("step", 0) <= step]
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")


def scalars(metrics: dict) -> dict[str, float]:
    """The top-level numbers of a metrics dict (per-class tables and matrices left out)."""
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def plot_learning_curve(log_path: Path, png: Path, metric: str) -> None:
    """Training loss and dev ``metric`` against steps, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = MetricsLog(log_path).read()
    train = [(r["step"], r["train_loss"]) for r in records if "train_loss" in r]
    dev = [(r["step"], r["dev"][metric]) for r in records if metric in r.get("dev", {})]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    _series(left, train, "training loss")
    _series(right, dev, f"dev {metric}", marker="o")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def _series(axes, points: list[tuple[int, float]], label: str, marker: str | None = None) -> None:  # type: ignore[no-untyped-def]
    points = [(x, y) for x, y in points if not math.isnan(y)]
    if points:
        axes.plot(*zip(*points), marker=marker)
    axes.set_xlabel("step")
    axes.set_ylabel(label)
    axes.grid(alpha=0.3)
