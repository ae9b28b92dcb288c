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


def world_size() -> int:
    """How many training processes run this job: ``WORLD_SIZE`` as ``torchrun`` sets it, else 1.

    Read from the environment, without importing torch, so that the core can keep
    rank-0-only work (saving the pipeline, printing the summary) cheap to decide."""
    return _env_int("WORLD_SIZE", 1)


def process_rank() -> int:
    """This process's rank among the training processes (``RANK``); 0 when there is one."""
    return _env_int("RANK", 0) if world_size() > 1 else 0


def is_main_process() -> bool:
    """Whether this process writes logs, checkpoints and the pipeline (rank 0)."""
    return process_rank() == 0


def _env_int(name: str, default: int) -> int:
    import os

    from .errors import UsageError

    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"The environment variable {name}={value!r} is not a whole number; torchrun sets it, "
                         "so unset it when not launching with torchrun.") from None
