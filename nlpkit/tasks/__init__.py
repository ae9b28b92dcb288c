"""Tasks tie the stages together: what the labels are, how examples become
batches, which model head to use, how to score it, and what a prediction is.

``tag`` (one label per token: POS, NER, word segmentation), ``classify`` (one label
per text) and ``generate`` (language modelling and sampling).
"""

from __future__ import annotations

from ..errors import UsageError, did_you_mean
from .base import Task


def task_class(name: str) -> type[Task]:
    """The task class for ``tag``, ``classify`` or ``generate``."""
    from .classify import ClassifyTask
    from .generate import GenerateTask
    from .tag import TagTask

    tasks: dict[str, type[Task]] = {t.name: t for t in (TagTask, ClassifyTask, GenerateTask)}
    if name not in tasks:
        raise UsageError(f"Unknown task '{name}'.{did_you_mean(name, tasks)} Tasks: {', '.join(tasks)}.")
    return tasks[name]


__all__ = ["Task", "task_class"]
