"""The ``torch`` trainer: single-device training with mixed precision, schedules,
early stopping, resumable checkpoints, progress bars and a metrics log.

The trainer's torch code lives in :mod:`nlpkit_trainer.loop`, registered by import
path: it is imported only when the trainer is looked up, so loading plugins and
fitting count models (HMM) never import torch.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_trainers(register):  # type: ignore[no-untyped-def]
    register(f"{__name__}.loop:TorchTrainer", name="torch", aliases=("default",))
