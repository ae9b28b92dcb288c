"""Torch layers of the vocab encoders, imported only when a model is built."""

from __future__ import annotations

import torch


class OneHot(torch.nn.Module):
    """One-hot vectors from ids through a fixed identity table: no weights to learn or save."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.embedding_dim = size
        self.register_buffer("eye", torch.eye(size), persistent=False)  # shape: [V, V]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding(ids, self.eye)  # shape: [B, T, V]


class WordEmbedding(torch.nn.Embedding):
    """A trainable embedding whose ``<unk>`` reads as a zero vector.

    Models trained with word dropout (whole token vectors zeroed at random) learn
    what a zero vector means; mapping unknown words to zeros lets them use it.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, pad_id: int, unk_id: int | None) -> None:
        super().__init__(num_embeddings, embedding_dim, padding_idx=pad_id)
        self.unk_id = unk_id

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        vectors = super().forward(ids)  # shape: [B, T, E]
        if self.unk_id is None:
            return vectors
        return vectors.masked_fill((ids == self.unk_id).unsqueeze(-1), 0.0)  # shape: [B, T, E]
