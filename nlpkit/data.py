"""Encoded datasets and the order their batches come in.

:class:`SequenceData` holds one id sequence per example (tagging, classification);
:class:`StreamData` holds one long id stream cut into windows (language modelling).
Both give batch orders that depend only on (seed, epoch), and build a
:class:`~nlpkit.batch.Batch` from a list of indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .batch import Batch, bucketed_order, collate, sorted_order

if TYPE_CHECKING:
    from .encoder import Encoder


@dataclass
class SequenceData:
    """Id sequences with a label per sequence (``int``) or per token (``list[int]``),
    and the encoder's per-token features (name -> per sequence, per token, ids)."""

    ids: list[list[int]]
    targets: list[int] | list[list[int]] | None
    pad_id: int
    features: dict[str, list[list[list[int]]]] = field(default_factory=dict)

    @classmethod
    def encode(cls, encoder: Encoder, sequences: Sequence[Sequence[str]], targets: list | None = None, **extra):  # type: ignore[no-untyped-def]
        """Encode token texts with a fitted encoder: word ids and the encoder's features;
        ``extra`` goes to the constructor of a subclass."""
        features: dict[str, list[list[list[int]]]] = {}
        for found in encoder.features_batch(sequences):
            for name, values in found.items():
                features.setdefault(name, []).append(values)
        return cls([encoder.encode(seq) for seq in sequences], targets, encoder.pad_id, features, **extra)

    def __len__(self) -> int:
        return len(self.ids)

    def epoch_order(self, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
        return bucketed_order([len(x) for x in self.ids], batch_size, seed, epoch)

    def eval_order(self, batch_size: int) -> list[list[int]]:
        return sorted_order([len(x) for x in self.ids], batch_size)

    def batch(self, indices: Sequence[int]) -> Batch:
        targets = None if self.targets is None else [self.targets[i] for i in indices]
        features = {name: [rows[i] for i in indices] for name, rows in self.features.items()}
        return collate([self.ids[i] for i in indices], self.pad_id, targets, features)


@dataclass
class StreamData:
    """One id stream; examples are windows of ``block_size`` tokens predicting the next token."""

    stream: np.ndarray  # shape: [N] int64
    block_size: int

    def __len__(self) -> int:
        return max(0, (len(self.stream) - 1) // self.block_size)

    def epoch_order(self, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
        """Random window starts, as many as non-overlapping windows fit, in batches."""
        rng = np.random.default_rng([seed, epoch])
        starts = rng.integers(0, len(self.stream) - self.block_size, size=len(self)).tolist()  # the last window included
        return [starts[i:i + batch_size] for i in range(0, len(starts), batch_size)]

    def eval_order(self, batch_size: int) -> list[list[int]]:
        """Consecutive non-overlapping windows covering the stream once."""
        starts = [i * self.block_size for i in range(len(self))]
        return [starts[i:i + batch_size] for i in range(0, len(starts), batch_size)]

    def batch(self, indices: Sequence[int]) -> Batch:
        import torch

        offsets = np.asarray(indices)[:, None] + np.arange(self.block_size + 1)[None, :]  # shape: [B, T+1]
        windows = torch.from_numpy(self.stream[offsets])  # shape: [B, T+1]
        ids, labels = windows[:, :-1], windows[:, 1:]  # shape: [B, T] each
        return Batch(ids.contiguous(), torch.ones_like(ids, dtype=torch.bool), labels.contiguous())
