"""Recurrent models over an encoder's embedding: a plain tanh RNN, a GRU and an LSTM.

One implementation, :class:`RecurrentModel`, serves the three: the core's
:class:`~nlpkit.recurrent.RecurrentEncoder` and a head; each subclass only names the
cell. The heads:

- ``tag`` (N->N): a linear layer over every timestep -> ``Scores(emissions, mask)``;
- ``classify`` (N->1): the states pooled over the real tokens (``last``, ``mean``
  or ``max``) -> ``Scores(logits)``;
- ``lm``: next-token logits at every timestep -> ``Scores(emissions, mask)``, and
  :meth:`RecurrentModel.step` to generate one token at a time carrying the state.

Padding never changes a result: the encoder packs sequences by their lengths.
"""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

import torch
from torch import nn

from nlpkit.batch import Batch
from nlpkit.errors import OptionError, UsageError
from nlpkit.model import Features, Head, Model
from nlpkit.recurrent import Cell, RecurrentEncoder, State, check_recurrent_sizes
from nlpkit.scores import Scores

Pooling = Literal["last", "mean", "max"]


class RecurrentModel(Model):
    """A recurrent encoder (``num_layers`` deep, optionally bidirectional) and one head.

    Options:

    - ``hidden_size``: state width per direction;
    - ``num_layers``, ``bidirectional``: stacked layers; a second direction reads
      right to left (not allowed with head ``lm``, which must not see the future);
    - ``dropout``: on the embeddings, between recurrent layers (torch's) and before
      the output layer;
    - ``pooling``: how head ``classify`` reduces the states: ``last`` (the final
      state of each direction: forward at the last real token, backward at the
      first), ``mean`` or ``max`` over the real tokens;
    - ``tie_weights``: head ``lm`` only: the output layer shares its weight matrix
      with a trainable ``nn.Embedding`` (Press & Wolf 2017), so ``hidden_size`` must
      equal the embedding width;
    - ``word_dropout``: in training, the embedding vector of each token is zeroed
      with this probability (and the kept ones scaled by ``1 / (1 - p)``). The model
      cannot see the encoder's ``<unk>`` id, so instead of replacing tokens by
      ``<unk>`` it drops their whole vectors: the embedding dropout of Gal &
      Ghahramani (2016), per token occurrence rather than per word type.
    """

    #: The recurrent cell: ``rnn``, ``gru`` or ``lstm``.
    cell: ClassVar[Cell]
    renamed_weights: ClassVar[dict[str, str]] = {"rnn.": "encoder.rnn."}

    def __init__(
        self,
        embedding: nn.Module,
        head: Head,
        num_outputs: int,
        /,
        *,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: Pooling = "last",
        tie_weights: bool = False,
        word_dropout: float = 0.0,
    ) -> None:
        _check_head(self.name, head, bidirectional)
        _check_sizes(self.name, hidden_size, num_layers, dropout, word_dropout, pooling)
        if tie_weights:
            _check_tying(self.name, embedding, head, num_outputs, hidden_size)
        super().__init__(embedding, head, num_outputs)
        self.hidden_size, self.num_layers, self.bidirectional = hidden_size, num_layers, bidirectional
        self.dropout, self.pooling, self.tie_weights, self.word_dropout = dropout, pooling, tie_weights, word_dropout
        self.encoder = RecurrentEncoder(self.cell, embedding.embedding_dim, hidden_size, num_layers=num_layers,
                                        bidirectional=bidirectional, dropout=dropout, word_dropout=word_dropout)
        self.output = nn.Linear(self.encoder.output_size, num_outputs)
        if tie_weights:
            self.output.weight = embedding.weight  # shape: [V, H]

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        """Emissions ``[B, T, C]`` (heads ``tag`` and ``lm``) or logits ``[B, C]`` (``classify``)."""
        mask = batch.mask  # shape: [B, T]
        lengths = mask.sum(dim=1).clamp(min=1)  # shape: [B]; an empty row reads one pad token
        states = self.encode(batch.ids, lengths, batch.features)  # shape: [B, T, D*H]
        if self.head == "classify":
            pooled = pool(states, lengths, self.pooling, self.hidden_size)  # shape: [B, D*H]
            return Scores(logits=self.output(self.encoder.drop(pooled)))  # shape: [B, C]
        return Scores(emissions=self.output(self.encoder.drop(states)), mask=mask)  # shape: [B, T, C]

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor, features: Features | None = None) -> torch.Tensor:
        """The top layer's states ``[B, T, D*H]`` for right-padded ``ids [B, T]``,
        computed over the first ``lengths [B]`` tokens of each row only (zeros after)."""
        return self.encoder(self.embedding(ids, **(features or {})), lengths)  # shape: [B, T, D*H]

    def step(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Next-token logits ``[B, T, V]`` for ``ids [B, T]`` read after ``state`` (None:
        from the start), and the state after them: ``h [L, B, H]``, or ``(h, c)`` for an
        LSTM. Feeding a text in pieces gives the logits of one :meth:`forward` over it."""
        if self.head != "lm":
            raise UsageError(
                f"Model '{self.name}' was built with head '{self.head}' and cannot generate text; "
                "train it with the 'generate' task (head 'lm')."
            )
        states, state = self.encoder.step(self.embedding(ids), state)  # shape: [B, T, H]
        return self.output(self.encoder.drop(states)), state  # shape: [B, T, V]


class RNNModel(RecurrentModel):
    """An Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""

    name = "rnn"
    cell = "rnn"


class GRUModel(RecurrentModel):
    """A gated recurrent unit (Cho et al. 2014): update and reset gates."""

    name = "gru"
    cell = "gru"


class LSTMModel(RecurrentModel):
    """A long short-term memory (Hochreiter & Schmidhuber 1997): input, forget and
    output gates over a separate cell state."""

    name = "lstm"
    cell = "lstm"


# -- layers ---------------------------------------------------------------------------


def pool(features: torch.Tensor, lengths: torch.Tensor, how: str, hidden_size: int) -> torch.Tensor:
    """One vector ``[B, D*H]`` per sequence from states ``[B, T, D*H]``, over the first
    ``lengths [B]`` positions only."""
    if how == "last":
        return last_states(features, lengths, hidden_size)
    positions = torch.arange(features.shape[1], device=features.device)  # shape: [T]
    real = (positions[None, :] < lengths[:, None])[..., None]  # shape: [B, T, 1]
    if how == "mean":
        total = features.masked_fill(~real, 0.0).sum(dim=1)  # shape: [B, D*H]
        return total / lengths[:, None].to(features.dtype)  # shape: [B, D*H]
    return features.masked_fill(~real, float("-inf")).amax(dim=1)  # shape: [B, D*H]


def last_states(features: torch.Tensor, lengths: torch.Tensor, hidden_size: int) -> torch.Tensor:
    """The final state of each direction: forward at the last real token, backward
    (when there is one) at the first token, which it reaches last."""
    rows = torch.arange(features.shape[0], device=features.device)  # shape: [B]
    forward = features[rows, lengths - 1, :hidden_size]  # shape: [B, H]
    if features.shape[-1] == hidden_size:
        return forward
    backward = features[:, 0, hidden_size:]  # shape: [B, H]
    return torch.cat([forward, backward], dim=-1)  # shape: [B, 2H]



# -- option checks --------------------------------------------------------------------


def _check_head(name: str, head: str, bidirectional: bool) -> None:
    if head == "lm" and bidirectional:
        raise OptionError(
            f"Model '{name}' with head 'lm' must be unidirectional: a backward direction would read "
            "the very tokens the model has to predict. Set bidirectional=false."
        )


def _check_sizes(name: str, hidden_size: int, num_layers: int, dropout: float, word_dropout: float, pooling: str) -> None:
    check_recurrent_sizes(name, hidden_size, num_layers, dropout, word_dropout)
    what = f"Model '{name}'"
    if pooling not in get_args(Pooling):
        raise OptionError(f"{what} option 'pooling' must be one of {', '.join(get_args(Pooling))}, not {pooling!r}.")


def _check_tying(name: str, embedding: nn.Module, head: str, num_outputs: int, hidden_size: int) -> None:
    """``tie_weights`` reuses the embedding matrix ``[V, E]`` as the output layer ``[V, H]``."""
    what = f"Model '{name}' with tie_weights=true"
    if head != "lm":
        raise OptionError(
            f"{what} needs head 'lm' (the output layer predicts tokens, like the embedding's rows), "
            f"not '{head}'. Set tie_weights=false."
        )
    weight = getattr(embedding, "weight", None)
    if not isinstance(embedding, nn.Embedding) or weight is None or not weight.requires_grad:
        raise OptionError(
            f"{what} needs a trainable nn.Embedding input layer (encoder 'vocab'), not "
            f"{type(embedding).__name__}. Use encoder 'vocab', or set tie_weights=false."
        )
    if embedding.num_embeddings != num_outputs:
        raise OptionError(
            f"{what} needs as many outputs as embedding rows: {num_outputs} outputs, "
            f"{embedding.num_embeddings} rows. Set tie_weights=false."
        )
    if hidden_size != embedding.embedding_dim:
        raise OptionError(
            f"{what} needs hidden_size equal to the embedding width: hidden_size={hidden_size}, "
            f"embedding width {embedding.embedding_dim}. Set hidden_size={embedding.embedding_dim} "
            f"(or the encoder's dim={hidden_size}), or tie_weights=false."
        )
