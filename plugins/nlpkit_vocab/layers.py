"""Torch layers of the vocab encoders, imported only when a model is built."""

from __future__ import annotations

from collections.abc import Sequence

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


class CharCNN(torch.nn.Module):
    """A word vector from its characters: embed them, convolve ``width`` at a time,
    max-pool over the word (Ma & Hovy 2016). Padding characters (id 0) are left out
    of the pooling; a padding token (no characters) reads as zeros."""

    def __init__(self, num_chars: int, char_dim: int, filters: int, width: int) -> None:
        super().__init__()
        self.embedding_dim = filters
        self.chars = torch.nn.Embedding(num_chars, char_dim, padding_idx=0)
        self.conv = torch.nn.Conv1d(char_dim, filters, width, padding=width // 2)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        b, t, length = chars.shape
        flat = chars.reshape(b * t, length)  # shape: [N, L]
        vectors = self.chars(flat).transpose(1, 2)  # shape: [N, C, L]
        conv = self.conv(vectors)[:, :, :length]  # shape: [N, F, L]; an even width makes one extra
        real = (flat != 0).unsqueeze(1)  # shape: [N, 1, L]
        pooled = conv.masked_fill(~real, float("-inf")).amax(dim=2)  # shape: [N, F]
        pooled = pooled.masked_fill(~real.any(dim=2), 0.0)  # shape: [N, F]; no characters -> zeros
        return pooled.reshape(b, t, -1)  # shape: [B, T, F]


class SlotEmbedding(torch.nn.Embedding):
    """A token's ``slots`` feature vectors side by side: its left and right bigrams, or
    its lexicon role set and longest word lengths."""

    def __init__(self, num_ids: int, dim: int, slots: int) -> None:
        super().__init__(num_ids, dim, padding_idx=0)
        self.output_dim = dim * slots

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        b, t, _ = ids.shape  # shape: [B, T, slots]
        return super().forward(ids).reshape(b, t, -1)  # shape: [B, T, slots * D]


class SetEmbedding(torch.nn.Embedding):
    """Per token, ``sets`` sets of ids (each padded with 0 to the same size): the mean
    vector of each set, zeros for an empty one, side by side.

    With ``weights`` (one per id, kept in the model's weights) each set is instead the
    weighted sum of its vectors times ``sets / Z``, ``Z`` the weights of all the token's
    sets together: SoftLexicon's frequency pooling (Ma et al. 2020, eq. 9), in which a
    role whose words are frequent counts for more than one whose words are rare.
    """

    def __init__(self, num_ids: int, dim: int, sets: int, weights: Sequence[float] | None = None) -> None:
        super().__init__(num_ids, dim, padding_idx=0)
        self.sets, self.output_dim = sets, dim * sets
        self.weighted = weights is not None
        if weights is not None:
            table = torch.tensor(list(weights), dtype=torch.float32)
            if table.shape != (num_ids,):
                raise ValueError(f"SetEmbedding needs one weight per id ({num_ids}); got {table.shape[0]}")
            self.register_buffer("weights", table.index_fill(0, torch.tensor([0]), 0.0))  # padding weighs 0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        b, t, width = ids.shape  # shape: [B, T, sets * K]
        grouped = ids.reshape(b, t, self.sets, width // self.sets)  # shape: [B, T, S, K]
        vectors = super().forward(grouped)  # shape: [B, T, S, K, D]; padding rows are zeros
        if self.weighted:
            weight = self.weights[grouped]  # shape: [B, T, S, K]
            total = (vectors * weight.unsqueeze(-1)).sum(dim=3)  # shape: [B, T, S, D]
            scale = self.sets / weight.sum(dim=(2, 3)).clamp(min=1e-12)  # shape: [B, T]; no words -> zeros
            return (total * scale.view(b, t, 1, 1)).reshape(b, t, -1)  # shape: [B, T, S * D]
        count = (grouped != 0).sum(dim=3, keepdim=True).clamp(min=1)  # shape: [B, T, S, 1]
        return (vectors.sum(dim=3) / count).reshape(b, t, -1)  # shape: [B, T, S * D]


class FeatureEmbedding(torch.nn.Module):
    """The word vector with the optional character, bigram and lexicon vectors joined
    to it: called as ``layer(ids, chars=..., bigrams=..., lexicon=...)`` with the
    features of each batch."""

    def __init__(self, words: WordEmbedding, chars: CharCNN | None, bigrams: SlotEmbedding | None,
                 lexicon: SlotEmbedding | None = None, lexicon_words: SetEmbedding | None = None) -> None:
        super().__init__()
        self.words, self.char_cnn, self.bigrams = words, chars, bigrams
        if lexicon is not None:  # new attributes only when used: older pipelines' weights still load
            self.lexicon = lexicon
        if lexicon_words is not None:
            self.lexicon_words = lexicon_words
        self.parts = {"chars": chars, "bigrams": bigrams, "lexicon": lexicon, "lexicon_words": lexicon_words}
        self.embedding_dim = words.embedding_dim + sum(_width(p) for p in self.parts.values() if p is not None)

    def forward(self, ids: torch.Tensor, **features: torch.Tensor) -> torch.Tensor:
        parts = [self.words(ids)]  # shape: [B, T, E]
        for name, layer in self.parts.items():
            if layer is None:
                continue
            if name not in features:
                raise ValueError(f"this embedding reads '{name}' features beside the word ids, "
                                 "and the batch has none: encode the tokens with the same encoder")
            parts.append(layer(features[name]))
        return torch.cat(parts, dim=-1)  # shape: [B, T, E + features]


def _width(layer: torch.nn.Module) -> int:
    return layer.output_dim if isinstance(layer, (SlotEmbedding, SetEmbedding)) else layer.embedding_dim
