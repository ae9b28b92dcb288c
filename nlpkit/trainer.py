"""The :class:`Trainer` base class and the :class:`TrainingJob` it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .component import Component

if TYPE_CHECKING:
    import torch

    from .model import Model


@dataclass
class TrainingJob:
    """Everything a trainer needs, and nothing about where it came from.

    ``train`` gives batches (``epoch_order(batch_size, seed, epoch)`` and
    ``batch(indices)``); ``evaluate(model)`` returns dev metrics including
    ``metric``; ``fingerprint`` identifies the config and data, so a checkpoint
    from another setup is refused on resume.
    """

    model: Model
    train: Any
    evaluate: Callable[[Model], dict]
    metric: str
    higher_is_better: bool
    output: Path
    seed: int
    fingerprint: str


class Trainer(Component):
    """Fits a model. Implementations write checkpoints, ``metrics.jsonl`` and a
    learning curve into ``job.output``, and leave the best weights in ``job.model``."""

    def fit(self, job: TrainingJob, device: torch.device, resume: bool = False, progress: bool = True) -> dict:
        """Train; return the best dev metrics."""
        raise NotImplementedError
