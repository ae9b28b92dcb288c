"""Batches: padded id tensors with bool masks, and length-bucketed batch orders.

Sequences are right-padded and batch-first; ``mask`` is True on real tokens.
An encoder may add per-token *features* beside the word ids (the characters of
each word, the bigrams around a character): each is ``[B, T, L]``, padded with id 0.
Batch orders are a pure function of (seed, epoch), so a resumed run sees the
same batches as an uninterrupted one. torch is imported only when a batch is built,
so count models (HMM) use the encoded datasets without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass
class Batch:
    """One batch. ``labels`` is ``[B, T]`` for tagging and language modelling, ``[B]`` for classification."""

    ids: torch.Tensor  # shape: [B, T] long
    mask: torch.Tensor  # shape: [B, T] bool
    labels: torch.Tensor | None = None  # shape: [B, T] or [B] long
    features: dict[str, torch.Tensor] = field(default_factory=dict)  # each shape: [B, T, L] long

    @property
    def lengths(self) -> torch.Tensor:
        return self.mask.sum(dim=1)  # shape: [B]

    def to(self, device: torch.device | str) -> Batch:
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device, non_blocking=True)

        labels = None if self.labels is None else move(self.labels)
        return Batch(move(self.ids), move(self.mask), labels, {k: move(v) for k, v in self.features.items()})

    def __len__(self) -> int:
        return self.ids.shape[0]


def collate(
    sequences: Sequence[Sequence[int]],
    pad_id: int,
    labels: Sequence[Sequence[int]] | Sequence[int] | None = None,
    features: dict[str, Sequence[Sequence[Sequence[int]]]] | None = None,
) -> Batch:
    """Pad ``sequences`` (and per-token ``labels``, padded with 0 under a False mask).

    ``features`` maps a name to, per sequence, per token, a list of ids (a word's
    characters): each becomes ``[B, T, L]`` with ``L`` the longest list, padded with 0."""
    import torch

    lengths = [len(s) for s in sequences]
    width = max(lengths, default=0) or 1
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)  # shape: [B, T]
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    mask = np.arange(width)[None, :] < np.asarray(lengths)[:, None]  # shape: [B, T]
    padded = {name: _features(rows, width) for name, rows in (features or {}).items()}
    return Batch(torch.from_numpy(ids), torch.from_numpy(mask), _labels(labels, width), padded)


def _features(rows: Sequence[Sequence[Sequence[int]]], width: int) -> torch.Tensor:
    import torch

    depth = max((_width(row) for row in rows), default=0) or 1
    out = np.zeros((len(rows), width, depth), dtype=np.int64)  # shape: [B, T, L]
    for b, row in enumerate(rows):
        block = _block(row)  # shape: [n, l] when every token has l ids (bigrams, lexicon)
        if block is not None:
            out[b, : block.shape[0], : block.shape[1]] = block
            continue
        for t, values in enumerate(row):
            out[b, t, : len(values)] = values
    return torch.from_numpy(out)


def _width(row: Sequence[Sequence[int]]) -> int:
    """The most ids any token of one sequence has."""
    if isinstance(row, np.ndarray):
        return row.shape[1] if row.ndim == 2 and len(row) else 0
    return max((len(values) for values in row), default=0)


def _block(row: Sequence[Sequence[int]]) -> np.ndarray | None:
    """One sequence's per-token ids as one 2-D array when all have the same width."""
    if isinstance(row, np.ndarray):
        return row if row.ndim == 2 and len(row) else None
    if not row or len({len(values) for values in row}) != 1:
        return None
    return np.asarray(row, dtype=np.int64)


def _labels(labels: Sequence | None, width: int) -> torch.Tensor | None:
    import torch

    if labels is None:
        return None
    if len(labels) and isinstance(labels[0], Sequence):
        out = np.zeros((len(labels), width), dtype=np.int64)  # shape: [B, T]
        for row, seq in enumerate(labels):
            out[row, : len(seq)] = seq
        return torch.from_numpy(out)
    return torch.as_tensor(labels, dtype=torch.long)  # shape: [B]


def bucketed_order(
    lengths: Sequence[int], batch_size: int, seed: int, epoch: int, bucket: int = 50
) -> list[list[int]]:
    """Shuffled batches of indices whose lengths are close, so little padding is computed.

    Indices are shuffled, cut into pools of ``bucket`` batches, sorted by length
    inside each pool, cut into batches, and the batches shuffled again. The result
    depends only on (seed, epoch).
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    lengths_arr = np.asarray(lengths)
    batches: list[list[int]] = []
    pool = batch_size * bucket
    for start in range(0, len(order), pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths_arr[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size].tolist() for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_order(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches of indices sorted by length, longest first (ties in input order), for
    evaluation and prediction: no shuffling, and each batch is sorted as packing a
    recurrent layer's input wants it, so no reordering is computed (``nlpkit.recurrent.run_packed``)."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[i:i + batch_size].tolist() for i in range(0, len(order), batch_size)]
