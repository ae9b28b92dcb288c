"""The ``bilstm-crf`` tagger and its ``bilstm`` baseline: one class, the CRF layer on or off.

::

    ids [B, T] -> embedding -> (word) dropout -> packed BiLSTM -> dropout -> Linear -> emissions [B, T, K]

With ``crf=True`` the model also owns ``transitions [K, K]``, ``start [K]`` and ``end [K]``,
is trained on the CRF negative log-likelihood and decoded with Viterbi (decoder
``viterbi``); with ``crf=False`` it is a softmax tagger (cross-entropy, decoder
``argmax``), so the CRF's gain is measured with everything else equal.

A tagging ``scheme`` (``IOB2`` / ``BIO``, ``IOB1``, ``BIOES`` / ``IOBES``, ``BMES``) forbids the
moves the scheme rules out (``O -> I-PER``, ``B-PER -> I-LOC``, ``I-X`` first...). The model
learns the label names from :meth:`BiLSTMCRF.bind_labels`, called once after
construction; the masks are bool buffers, so they are saved and loaded with the weights.

Padding never changes a result: sequences are packed by their lengths (from the bool
mask), so neither direction of the LSTM reads a pad position.
"""

from __future__ import annotations

import torch
from torch import nn

from nlpkit import ops
from nlpkit.batch import Batch
from nlpkit.errors import OptionError, UsageError
from nlpkit.model import Features, Head, Model, check_recurrent_sizes
from nlpkit.ops import drop_words, run_packed
from nlpkit.scores import Scores


class BiLSTMCRF(Model):
    """A bidirectional LSTM tagger with a linear-chain CRF on top (Huang et al. 2015,
    Lample et al. 2016).

    Options:

    - ``hidden_size``: LSTM state width per direction;
    - ``num_layers``: stacked BiLSTM layers (``dropout`` also acts between them);
    - ``dropout``: on the embeddings and on the LSTM output before the linear layer;
    - ``word_dropout``: in training, each token's whole embedding vector is zeroed
      with this probability (the kept ones scaled by ``1 / (1 - p)``);
    - ``crf``: a CRF layer (NLL loss, Viterbi decoding) or a plain softmax tagger;
    - ``scheme``: forbid the moves a tagging scheme rules out (CRF only): ``IOB2``
      (= ``BIO``), ``IOB1``, ``BIOES`` (= ``IOBES``) or ``BMES``; none: every move is allowed.
    """

    name = "bilstm-crf"
    heads = ("tag",)

    def __init__(
        self,
        embedding: nn.Module,
        head: Head,
        num_outputs: int,
        /,
        *,
        hidden_size: int = 256,
        num_layers: int = 1,
        dropout: float = 0.5,
        word_dropout: float = 0.0,
        crf: bool = True,
        scheme: str | None = None,
    ) -> None:
        _check_options(self.name, hidden_size, num_layers, dropout, word_dropout, crf, scheme)
        super().__init__(embedding, head, num_outputs)
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        self.word_dropout, self.crf, self.scheme = word_dropout, crf, scheme
        self.lstm = nn.LSTM(
            input_size=embedding.embedding_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if num_layers > 1 else 0.0,  # torch warns when there is nothing between
        )
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(2 * hidden_size, num_outputs)
        if crf:
            self._add_crf(num_outputs)

    def _add_crf(self, k: int) -> None:
        """CRF scores initialised like pytorch-crf, and all-True (persistent) constraint masks."""
        self.transitions = nn.Parameter(torch.empty(k, k).uniform_(-0.1, 0.1))  # shape: [K, K], from i to j
        self.start = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))  # shape: [K]
        self.end = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))  # shape: [K]
        self.register_buffer("allowed", torch.ones(k, k, dtype=torch.bool), persistent=True)  # shape: [K, K]
        self.register_buffer("allowed_start", torch.ones(k, dtype=torch.bool), persistent=True)  # shape: [K]
        self.register_buffer("allowed_end", torch.ones(k, dtype=torch.bool), persistent=True)  # shape: [K]

    # -- labels -------------------------------------------------------------------------

    def bind_labels(self, labels: list[str]) -> None:
        """Fill the constraint masks from the label names (id order) when ``scheme`` is set.

        Raises :class:`~nlpkit.errors.OptionError` naming the first label that does not fit."""
        if not self.crf or self.scheme is None:
            return
        if len(labels) != self.num_outputs:
            raise UsageError(f"Model '{self.name}' has {self.num_outputs} outputs but was given "
                             f"{len(labels)} label names; bind the labels it was built for.")
        try:
            allowed, allowed_start, allowed_end = ops.allowed_transitions(labels, self.scheme)
        except UsageError as exc:
            raise OptionError(f"Model '{self.name}' option scheme={self.scheme!r}: {exc} "
                              "Or leave scheme out to allow every move.") from None
        device = self.transitions.device
        self.allowed.copy_(allowed.to(device))  # shape: [K, K]
        self.allowed_start.copy_(allowed_start.to(device))  # shape: [K]
        self.allowed_end.copy_(allowed_end.to(device))  # shape: [K]

    # -- scores -------------------------------------------------------------------------

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        """Emissions ``[B, T, K]`` and, with ``crf=True``, the (constrained) CRF scores."""
        mask = batch.mask  # shape: [B, T]
        lengths = mask.sum(dim=1).clamp(min=1)  # shape: [B]; an empty row reads one pad token
        states = self.encode(batch.ids, lengths, batch.features)  # shape: [B, T, 2H]
        emissions = self.output(self.drop(states))  # shape: [B, T, K]
        if not self.crf:
            return Scores(emissions=emissions, mask=mask)
        transitions, start, end = self.crf_scores()
        return Scores(emissions=emissions, mask=mask, transitions=transitions, start=start, end=end)

    def crf_scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``transitions [K, K]``, ``start [K]``, ``end [K]`` with forbidden moves at
        :data:`nlpkit.ops.FORBIDDEN`. Applied whenever ``scheme`` is set (masks not yet
        bound are all True and change nothing), so no host sync asks whether any is False."""
        if self.scheme is None:
            return self.transitions, self.start, self.end
        return ops.apply_constraints(self.transitions, self.start, self.end,
                                     self.allowed, self.allowed_start, self.allowed_end)

    def loss(self, scores: Scores, batch: Batch, label_smoothing: float = 0.0) -> torch.Tensor:
        """CRF: the NLL of the gold paths; softmax: the base class cross-entropy (with
        ``label_smoothing``, which a CRF's whole-path NLL has no targets for)."""
        if scores.transitions is None:
            return super().loss(scores, batch, label_smoothing)
        if label_smoothing:
            raise OptionError(f"Trainer option 'label_smoothing' smooths softmax targets; model '{self.name}' with "
                              "crf = true learns whole tag paths. Leave it at 0, or use model 'bilstm' (no CRF).")
        assert scores.emissions is not None and scores.mask is not None and batch.labels is not None
        assert scores.start is not None and scores.end is not None
        # token_mean (the batch's NLL over its real tokens), not a per-sentence mean: the
        # loss is on the scale of the softmax baseline's per-token cross-entropy, so the
        # same lr and clip_grad_norm (5) suit both, a batch of long sentences does not
        # get a larger step than one of short ones, and the tag task's token-weighted dev
        # loss is the corpus NLL per token.
        return ops.crf_nll(scores.emissions, batch.labels, scores.mask, scores.transitions,
                           scores.start, scores.end, reduction="token_mean")

    # -- encoder ------------------------------------------------------------------------

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor, features: Features | None = None) -> torch.Tensor:
        """The top layer's states ``[B, T, 2H]`` for right-padded ``ids [B, T]``, computed
        over the first ``lengths [B]`` tokens of each row only (zeros after)."""
        return run_packed(self.lstm, self.embed(ids, features), lengths)  # shape: [B, T, 2H]

    def embed(self, ids: torch.Tensor, features: Features | None = None) -> torch.Tensor:
        """Input vectors ``[B, T, E]`` from the ids and the encoder's per-token features
        (``[B, T, L]`` each), with word dropout and dropout while training."""
        vectors = self.embedding(ids, **(features or {}))  # shape: [B, T, E]
        if self.training and self.word_dropout > 0:
            vectors = drop_words(vectors, self.word_dropout)  # shape: [B, T, E]
        return self.drop(vectors)


class BiLSTM(BiLSTMCRF):
    """The ``bilstm-crf`` network without its CRF layer: a softmax tagger (decoder
    ``argmax``), the baseline that measures what the CRF adds. Same options."""

    name = "bilstm"

    def __init__(
        self,
        embedding: nn.Module,
        head: Head,
        num_outputs: int,
        /,
        *,
        hidden_size: int = 256,
        num_layers: int = 1,
        dropout: float = 0.5,
        word_dropout: float = 0.0,
        crf: bool = False,
        scheme: str | None = None,
    ) -> None:
        super().__init__(embedding, head, num_outputs, hidden_size=hidden_size, num_layers=num_layers,
                         dropout=dropout, word_dropout=word_dropout, crf=crf, scheme=scheme)



# -- option checks --------------------------------------------------------------------


def _check_options(name: str, hidden_size: int, num_layers: int, dropout: float, word_dropout: float,
                   crf: bool, scheme: str | None) -> None:
    check_recurrent_sizes(name, hidden_size, num_layers, dropout, word_dropout)
    what = f"Model '{name}'"
    if not isinstance(crf, bool):
        raise OptionError(f"{what} option 'crf' must be true or false; got {crf!r}.")
    if scheme is not None:
        _check_scheme(what, crf, scheme)


def _check_scheme(what: str, crf: bool, scheme: str) -> None:
    if not crf:
        raise OptionError(f"{what} with scheme={scheme!r} needs crf=true: scheme constraints act on the "
                          "CRF's transitions, which a softmax tagger does not have. Set crf=true "
                          "(model 'bilstm-crf') or leave scheme out.")
    try:
        ops.allowed_transitions(["O"], scheme)
    except UsageError as exc:
        raise OptionError(f"{what} option 'scheme': {exc} Or leave scheme out to allow every move.") from None
