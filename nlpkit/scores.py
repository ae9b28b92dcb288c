"""What a model returns: scores over labels, before decoding."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Scores:
    """Model output. Per-token heads fill ``emissions`` and ``mask``; sequence heads
    fill ``logits``. CRF models add ``transitions``, ``start`` and ``end``."""

    emissions: torch.Tensor | None = None  # shape: [B, T, C]
    logits: torch.Tensor | None = None  # shape: [B, C]
    mask: torch.Tensor | None = None  # shape: [B, T] bool
    transitions: torch.Tensor | None = None  # shape: [C, C]
    start: torch.Tensor | None = None  # shape: [C]
    end: torch.Tensor | None = None  # shape: [C]
