"""The ``torch`` trainer: single-device training with mixed precision, schedules,
early stopping, resumable checkpoints, progress bars and a metrics log.

The trainer's torch code lives in :mod:`nlpkit_trainer.loop`, imported only when
the trainers registry is built, so loading plugins never imports torch.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_trainers(register):  # type: ignore[no-untyped-def]
    from .loop import TorchTrainer

    register(TorchTrainer, aliases=("default",))
