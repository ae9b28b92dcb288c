"""The :class:`Task` base class and what all tasks share: running a model over data."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..component import Component
from ..corpus import Example
from ..errors import InputError

if TYPE_CHECKING:
    import torch

    from ..batch import Batch
    from ..decoder import Decoder
    from ..encoder import Encoder
    from ..model import Model
    from ..scores import Scores
    from ..tokenizer import Tokenizer
    from ..vocab import Vocab


class Task(Component):
    """One kind of job. ``head`` is the model head it needs; ``metric`` is the dev
    metric that picks the best model and drives early stopping."""

    head: ClassVar[str]
    metric: ClassVar[str]
    higher_is_better: ClassVar[bool] = True

    @abstractmethod
    def datasets(
        self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder
    ) -> tuple[Any, Any, Vocab | None]:
        """Fit the encoder (and the label vocabulary) on ``train``; return the encoded
        train and dev data and the labels. Dev labels never seen in training are an error."""

    @abstractmethod
    def dataset(self, examples: list[Example], tokenizer: Tokenizer, encoder: Encoder, labels: Vocab | None) -> Any:
        """Encode examples with a fitted encoder and labels (for evaluation)."""

    @abstractmethod
    def evaluate(self, model: Model, decoder: Decoder, data: Any, labels: Vocab | None, batch_size: int = 64) -> dict:
        """Dev or test metrics, including ``loss`` and :attr:`metric`."""

    def num_outputs(self, encoder: Encoder, labels: Vocab | None) -> int:
        assert labels is not None
        return len(labels)

    def check_config(self, config: dict[str, Any]) -> None:
        """Refuse, before any data is read, a config whose other sections contradict this
        task. By default the model is asked, through its ``check_config`` hook: what fits a
        task is the model's knowledge (a CRF's tagging scheme must be the task's)."""
        if not isinstance(config.get("model"), dict) or "name" not in config["model"]:
            return
        from ..registry import registry

        check = getattr(registry("models").get(config["model"]["name"]), "check_config", None)
        if check is not None:
            check(config, self)

    def to_disk(self, path: Path) -> None:
        """Save what the task learnt from the training data (not its options) in the
        folder ``path``, inside a pipeline being written. Nothing by default: then
        ``path`` is not created."""

    def from_disk(self, path: Path) -> None:
        """Read what :meth:`to_disk` saved; ``path`` may not exist (nothing saved)."""


def token_texts(example: Example, tokenizer: Tokenizer) -> list[str]:
    """The example's given tokens, or its text run through the tokenizer."""
    if example.tokens is not None:
        return list(example.tokens)
    if example.text is None:
        raise InputError("example has neither text nor tokens", example.source)
    return tokenizer(example.text).texts


def label_id(labels: Vocab, label: str, example: Example) -> int:
    """The id of a gold label; a label the training data never had is an input error."""
    if label not in labels:
        shown = ", ".join(labels.items[:20]) + (" ..." if len(labels) > 20 else "")
        raise InputError(f"label '{label}' never occurs in the training data (training labels: {shown})", example.source)
    return labels.index[label]


def run(model: Model, data: Any, batch_size: int) -> Iterator[tuple[list[int], Batch, Scores]]:
    """Yield ``(indices, batch, scores)`` over ``data`` in evaluation order, without gradients."""
    import torch

    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for indices in data.eval_order(batch_size):
                batch = data.batch(indices).to(device)
                yield indices, batch, model(batch)
    finally:
        model.train(was_training)


def model_device(model: Model) -> torch.device:
    import torch

    return next(model.parameters(), torch.empty(0)).device


def restore_order(chunks: Sequence[tuple[list[int], list]], total: int) -> list:
    """Put per-batch results back in input order."""
    out: list = [None] * total
    for indices, values in chunks:
        for i, v in zip(indices, values):
            out[i] = v
    return out
