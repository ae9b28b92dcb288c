"""The recurrent encoder that recurrent models share: input vectors -> (word) dropout ->
a packed RNN, GRU or LSTM -> states ``[B, T, D*H]``.

The ``rnn``, ``gru`` and ``lstm`` models put a tagging, classification or language-model
head on it, ``bilstm-crf`` an output layer and a :class:`~nlpkit.crf.CRF`. Padding never
changes a result: sequences are packed by their lengths, so neither direction reads a pad.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from .errors import OptionError
from .options import is_finite_number, is_whole

Cell = Literal["rnn", "gru", "lstm"]
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
#: The recurrent state: ``h [L*D, B, H]``, or ``(h, c)`` for an LSTM.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class RecurrentEncoder(nn.Module):
    """``num_layers`` of a torch recurrent ``cell`` (optionally bidirectional) over input
    vectors of width ``input_size``, with ``dropout`` on the inputs and between layers and
    ``word_dropout`` (each token's whole input vector zeroed with that probability while
    training: the embedding dropout of Gal & Ghahramani 2016, per token occurrence).

    ``dropout`` is also the rate of :attr:`drop`, which models apply before their output layer.
    """

    def __init__(self, cell: Cell, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, word_dropout: float = 0.0) -> None:
        super().__init__()
        self.hidden_size, self.bidirectional, self.word_dropout = hidden_size, bidirectional, word_dropout
        self.rnn = CELLS[cell](
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,  # torch warns when there is nothing between
        )
        self.drop = nn.Dropout(dropout)

    @property
    def output_size(self) -> int:
        """The width of the states: ``hidden_size`` times the number of directions."""
        return (2 if self.bidirectional else 1) * self.hidden_size

    def forward(self, vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The top layer's states ``[B, T, D*H]`` for right-padded ``vectors [B, T, E]``,
        computed over the first ``lengths [B]`` steps of each row only (zeros after)."""
        return run_packed(self.rnn, self.prepare(vectors), lengths)

    def step(self, vectors: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """States ``[B, T, D*H]`` for unpadded ``vectors [B, T, E]`` read after ``state`` (None:
        from the start), and the recurrent state after them, to carry into the next step."""
        return self.rnn(self.prepare(vectors), state)

    def prepare(self, vectors: torch.Tensor) -> torch.Tensor:
        """The inputs as the recurrence reads them: word dropout, then dropout (training only)."""
        if self.training and self.word_dropout > 0:
            vectors = drop_words(vectors, self.word_dropout)  # shape: [B, T, E]
        return self.drop(vectors)


def run_packed(rnn: torch.nn.Module, vectors: torch.Tensor, lengths: torch.Tensor, *,
               for_export: bool = False) -> torch.Tensor:
    """The top-layer states ``[B, T, D*H]`` of a batch-first ``rnn`` over right-padded
    ``vectors [B, T, E]``, reading only the first ``lengths [B]`` steps of each row (zeros
    after), so padding never changes a result. ``for_export``: always pack, the rows
    given longest first, whatever the batch (a graph exporter traces one batch and turns
    the packing into a sequence-length input)."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    total = vectors.shape[1]
    cpu_lengths = lengths.cpu()  # shape: [B]; packing wants them on the CPU
    if not for_export and bool((cpu_lengths == total).all()):
        return rnn(vectors)[0]  # shape: [B, T, D*H]; no padding, nothing to pack
    longest_first = for_export or bool((cpu_lengths[:-1] >= cpu_lengths[1:]).all())  # as evaluation batches are
    packed = pack_padded_sequence(vectors, cpu_lengths, batch_first=True, enforce_sorted=longest_first)
    states, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=total)
    return states  # shape: [B, T, D*H]


def drop_words(vectors: torch.Tensor, p: float) -> torch.Tensor:
    """Zero the whole vector of each token with probability ``p``, scaling the kept
    ones by ``1 / (1 - p)`` so the expected input equals the one at evaluation."""
    shape = (*vectors.shape[:-1], 1)
    keep = torch.empty(shape, device=vectors.device, dtype=vectors.dtype).bernoulli_(1 - p)  # shape: [B, T, 1]
    return vectors * keep / (1 - p)  # shape: [B, T, E]


def check_recurrent_sizes(name: str, hidden_size: Any, num_layers: Any, dropout: Any, word_dropout: Any) -> None:
    """The option checks every recurrent model shares: whole sizes of at least 1 and
    dropout probabilities in [0, 1); an :class:`~nlpkit.errors.OptionError` naming the model."""
    what = f"Model '{name}'"
    if not is_whole(hidden_size) or hidden_size < 1:
        raise OptionError(f"{what} needs hidden_size >= 1 (a whole number); got {hidden_size!r}.")
    if not is_whole(num_layers) or num_layers < 1:
        raise OptionError(f"{what} needs num_layers >= 1 (a whole number); got {num_layers!r}.")
    for option, value in (("dropout", dropout), ("word_dropout", word_dropout)):
        if not is_finite_number(value) or not 0 <= value < 1:
            raise OptionError(f"{what} needs 0 <= {option} < 1 (a probability); got {value!r}.")
