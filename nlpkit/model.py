"""The :class:`Model` base class: ids in, :class:`~nlpkit.scores.Scores` out.

A model is built from what the data decides (its input layer, its head, how many
outputs) passed positionally, and its options (sizes, layers, dropout) passed as
keywords. Only the options are configuration; the rest comes from the encoder
and the label vocabulary when a pipeline is built or loaded.
"""

from __future__ import annotations

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

    def __init__(self, embedding: torch.nn.Module, head: Head, num_outputs: int) -> None:
        if head not in type(self).heads:
            from .errors import UsageError

            raise UsageError(f"Model '{self.name}' has no '{head}' head; it supports: {', '.join(type(self).heads)}.")
        super().__init__()
        self.embedding = embedding
        self.head = head
        self.num_outputs = num_outputs

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


def check_recurrent_sizes(name: str, hidden_size: Any, num_layers: Any, dropout: Any, word_dropout: Any) -> None:
    """The option checks every recurrent model shares: whole sizes of at least 1 and
    dropout probabilities in [0, 1); an :class:`~nlpkit.errors.OptionError` naming the model."""
    from .errors import OptionError
    from .options import is_finite_number, is_whole

    what = f"Model '{name}'"
    if not is_whole(hidden_size) or hidden_size < 1:
        raise OptionError(f"{what} needs hidden_size >= 1 (a whole number); got {hidden_size!r}.")
    if not is_whole(num_layers) or num_layers < 1:
        raise OptionError(f"{what} needs num_layers >= 1 (a whole number); got {num_layers!r}.")
    for option, value in (("dropout", dropout), ("word_dropout", word_dropout)):
        if not is_finite_number(value) or not 0 <= value < 1:
            raise OptionError(f"{what} needs 0 <= {option} < 1 (a probability); got {value!r}.")
