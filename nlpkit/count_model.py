"""The :class:`CountModel` base class: models estimated by counting, without torch.

A hidden Markov model is fitted in one pass over the training data and decodes with
numpy, so it skips the trainer (no gradient steps, no checkpoints) and never needs a
GPU. Like a :class:`~nlpkit.model.Model` it is built from what the data decides
(its head and number of outputs, positionally) and its options (keywords), it is
registered under ``register_models``, and it lives in a pipeline's ``model/`` folder.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from .component import Component
from .errors import UsageError


class CountModel(Component):
    """A tagger fitted from counts. Subclasses set ``name`` (and ``heads``), take
    ``(head, num_outputs, /, *, options...)`` and implement :meth:`fit`, :meth:`predict`,
    :meth:`to_disk` and :meth:`from_disk`. It reads token texts, not the encoder's ids:
    an unseen word's spelling is what its emission model needs."""

    heads: ClassVar[tuple[str, ...]] = ("tag",)
    fitted_from_counts: ClassVar[bool] = True

    def __init__(self, head: str, num_outputs: int) -> None:
        if head not in type(self).heads:
            raise UsageError(f"Model '{self.name}' has no '{head}' head; it supports: {', '.join(type(self).heads)}.")
        self.head, self.num_outputs = head, num_outputs

    @abstractmethod
    def fit(self, tokens: list[list[str]], tags: list[list[int]]) -> None:
        """Estimate the model from token texts and their gold tag ids."""

    @abstractmethod
    def predict(self, tokens: list[list[str]]) -> tuple[list[list[int]], list[list[float]]]:
        """Tag ids for each sentence and, per token, a confidence in ``[0, 1]`` for the chosen tag."""

    def decode(self, tokens: list[list[str]]) -> list[list[int]]:
        """Tag ids for each sentence, where no confidence is wanted (word segmentation);
        override where that is cheaper than :meth:`predict`."""
        return self.predict(tokens)[0]

    @abstractmethod
    def to_disk(self, path: Path) -> None:
        """Write what :meth:`fit` learnt into the directory ``path`` (no pickle)."""

    @abstractmethod
    def from_disk(self, path: Path) -> None:
        """Read what :meth:`to_disk` wrote."""

    @classmethod
    def build(cls, encoder: Any, head: str, num_outputs: int, **options: Any) -> CountModel:
        """The model for ``head`` and its outputs: it reads token texts, so not the encoder."""
        return cls(head, num_outputs, **options)

    @classmethod
    def check_config(cls, config: dict[str, Any], task: Any) -> None:
        """A count model has no trainer and decodes itself: sections that would be ignored are an error."""
        ignored = [f"[{section}]" for section in ("trainer", "decoder") if section in config]
        if ignored:
            raise UsageError(f"Model '{cls.name}' is fitted from counts in one pass and decodes with its own "
                             f"Viterbi: {' and '.join(ignored)} would be ignored. "
                             f"Remove {'them' if len(ignored) > 1 else 'it'}.")

    def bind_labels(self, labels: list[str]) -> None:
        """Called once after construction with the label names in id order. Nothing by default."""

    def to(self, device: Any) -> CountModel:
        """Count models run on the CPU with numpy: moving them (``Pipeline.to``) is a no-op."""
        return self

    def place(self, device: Any) -> CountModel:
        """The CPU, whatever ``device`` says (and torch is never imported)."""
        return self


def is_count_model(model: Any) -> bool:
    """Is ``model`` (a class or an instance) fitted from counts rather than trained?"""
    return bool(getattr(model, "fitted_from_counts", False))
