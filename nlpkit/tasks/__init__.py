"""Tasks tie the stages together: what the labels are, how examples become
batches, which model head to use, how to score it, and what a prediction is.

``tag`` (one label per token: POS), ``ner`` (entities as tags in a scheme, scored
and predicted as spans), ``segment`` (word segmentation as BMES character tagging),
``classify`` (one label per text) and ``generate`` (language modelling and sampling).
"""

from __future__ import annotations

from ..errors import UsageError, did_you_mean
from .base import Task


def task_class(name: str) -> type[Task]:
    """The task class for ``tag``, ``ner``, ``segment``, ``classify`` or ``generate``."""
    from .classify import ClassifyTask
    from .generate import GenerateTask
    from .ner import NerTask
    from .segment import SegmentTask
    from .tag import TagTask

    tasks: dict[str, type[Task]] = {t.name: t for t in (TagTask, NerTask, SegmentTask, ClassifyTask, GenerateTask)}
    if name not in tasks:
        raise UsageError(f"Unknown task '{name}'.{did_you_mean(name, tasks)} Tasks: {', '.join(tasks)}.")
    return tasks[name]


TASK_NAMES = ("tag", "ner", "segment", "classify", "generate")

__all__ = ["TASK_NAMES", "Task", "task_class"]
