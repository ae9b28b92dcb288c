"""The :class:`Model` base class: ids in, :class:`~nlpkit.scores.Scores` out.

A model is built from what the data decides (its input layer, its head, how many
outputs) passed positionally, and its options (sizes, layers, dropout) passed as
keywords. Only the options are configuration; the rest comes from the encoder
and the label vocabulary when a pipeline is built or loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import torch

from .batch import Batch
from .options import option_types
from .scores import Scores

Head = Literal["tag", "classify", "lm"]
#: An encoder's per-token features beside the word ids (``Batch.features``), each ``[B, T, L]``.
Features = dict[str, torch.Tensor]
HEADS: tuple[str, ...] = ("tag", "classify", "lm")


class Model(torch.nn.Module):
    """A trainable model. Subclasses set ``name`` and ``heads`` (the tasks they can do),
    take ``(embedding, head, num_outputs, /, *, options...)``, and implement
    :meth:`forward` and :meth:`loss`; language models also implement :meth:`step`."""

    name: ClassVar[str]
    heads: ClassVar[tuple[str, ...]] = HEADS
    #: Estimated in one counting pass rather than trained by gradient steps (see
    #: :class:`~nlpkit.count_model.CountModel`): what a model is, asked in one place.
    fitted_from_counts: ClassVar[bool] = False
    #: Where :meth:`to_disk` writes the weights, inside the pipeline's ``model/`` folder.
    WEIGHTS: ClassVar[str] = "weights.safetensors"
    #: Weight names of earlier versions of the model and what they are called now, as
    #: ``{old: new}`` (whole names, or module prefixes ending in ``.``): pipelines saved
    #: under the old names keep loading.
    renamed_weights: ClassVar[dict[str, str]] = {}

    def __init__(self, embedding: torch.nn.Module, head: Head, num_outputs: int) -> None:
        if head not in type(self).heads:
            from .errors import UsageError

            raise UsageError(f"Model '{self.name}' has no '{head}' head; it supports: {', '.join(type(self).heads)}.")
        super().__init__()
        self.embedding = embedding
        self.head = head
        self.num_outputs = num_outputs
        if self.renamed_weights:
            self.register_load_state_dict_pre_hook(_rename_weights)

    @classmethod
    def build(cls, encoder: Any, head: Head, num_outputs: int, **options: Any) -> Model:
        """The model for ``encoder``'s input layer (its ``embedding()``), ``head`` and outputs."""
        return cls(encoder.embedding(), head, num_outputs, **options)

    @classmethod
    def check_config(cls, config: dict[str, Any], task: Any) -> None:
        """Refuse, before any data is read, a config whose ``[model]`` options (or other
        sections) contradict this model or ``task`` (a :class:`~nlpkit.tasks.Task`), with a
        :class:`~nlpkit.errors.UsageError` saying what to change. Called by the task;
        nothing by default."""

    def to_disk(self, path: Path) -> None:
        """Write the weights into the folder ``path`` (safetensors: no pickle)."""
        from safetensors.torch import save_model

        save_model(self, str(Path(path) / self.WEIGHTS))

    def from_disk(self, path: Path) -> None:
        """Read what :meth:`to_disk` wrote (compact storage too: :mod:`nlpkit.compaction`);
        an :class:`~nlpkit.errors.InputError` names the file when it does not fit this model."""
        from safetensors import SafetensorError

        from .compaction import load_weights
        from .errors import InputError

        weights = Path(path) / self.WEIGHTS
        try:
            load_weights(self, weights)
        except (OSError, RuntimeError, ValueError, SafetensorError) as exc:
            raise InputError(f"cannot load the model weights: {exc}", str(weights)) from None

    def place(self, device: Any) -> Model:
        """Move to ``device`` (``auto`` picks cuda, then mps, then cpu)."""
        from .device import resolve_device

        return self.to(resolve_device(device))

    def bind_labels(self, labels: list[str]) -> None:
        """Called once after construction with the label names in id order, so models can
        use them (e.g. for tagging-scheme constraints). The default does nothing.

        Not called when a saved pipeline is loaded: keep what it derives in buffers or
        parameters, so it is saved and restored with the weights."""

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        raise NotImplementedError

    def loss(self, scores: Scores, batch: Batch, label_smoothing: float = 0.0) -> torch.Tensor:
        """Mean loss of a batch (cross-entropy over real tokens, or over sequences), with
        ``label_smoothing`` of the targets when training asks for it."""
        if scores.logits is not None:
            return torch.nn.functional.cross_entropy(scores.logits.float(), batch.labels,
                                                     label_smoothing=label_smoothing)
        assert scores.emissions is not None and scores.mask is not None and batch.labels is not None
        mask = scores.mask  # shape: [B, T]
        return torch.nn.functional.cross_entropy(scores.emissions[mask].float(), batch.labels[mask],
                                                 label_smoothing=label_smoothing)

    def step(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Language models: logits ``[B, T, V]`` for ``ids [B, T]`` continuing from ``state``,
        and the state after them, so generation never re-reads the prefix."""
        raise NotImplementedError(f"Model '{self.name}' cannot generate text.")

    def config(self) -> dict[str, Any]:
        """The options that rebuild this model (sizes from the data are not options)."""
        return {name: getattr(self, name) for name in option_types(type(self))}


def _rename_weights(model: Model, state: dict[str, Any], prefix: str, *_: Any) -> None:
    """Before loading: rename the weights ``state`` holds under names of an earlier version."""
    for key in [k for k in state if k.startswith(prefix)]:
        name = key[len(prefix):]
        for old, new in model.renamed_weights.items():
            if name == old or (old.endswith(".") and name.startswith(old)):
                state[prefix + new + name[len(old):]] = state.pop(key)
                break
