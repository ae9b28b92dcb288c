"""The ``bilstm-crf`` tagger and its ``bilstm`` baseline: the core's recurrent encoder and
CRF layer, composed.

::

    ids [B, T] -> embedding -> RecurrentEncoder (word dropout, dropout, packed BiLSTM)
               -> dropout -> Linear -> emissions [B, T, K] -> CRF (NLL; Viterbi in decoder ``viterbi``)

With ``crf=True`` the model owns a :class:`~nlpkit.crf.CRF` (``crf_layer``): it is trained on
the CRF negative log-likelihood and decoded with Viterbi; with ``crf=False`` it is a softmax
tagger (cross-entropy, decoder ``argmax``), so the CRF's gain is measured with everything
else equal. A tagging ``scheme`` forbids the moves the scheme rules out (``O -> I-PER``,
``B-PER -> I-LOC``...); the CRF learns the label names from :meth:`BiLSTMCRF.bind_labels`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from nlpkit.batch import Batch
from nlpkit.crf import CRF, allowed_transitions
from nlpkit.errors import OptionError, UsageError
from nlpkit.model import Features, Head, Model
from nlpkit.recurrent import RecurrentEncoder, check_recurrent_sizes
from nlpkit.schemes import same_scheme
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
    #: Before the CRF and the encoder were layers of their own.
    renamed_weights: ClassVar[dict[str, str]] = {
        "lstm.": "encoder.rnn.",
        **{old: f"crf_layer.{old}" for old in ("transitions", "start", "end", "allowed", "allowed_start",
                                               "allowed_end")},
    }
    crf_by_default: ClassVar[bool] = True

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
        crf: bool | None = None,
        scheme: str | None = None,
    ) -> None:
        crf = self.crf_by_default if crf is None else crf
        _check_options(self.name, hidden_size, num_layers, dropout, word_dropout, crf, scheme)
        super().__init__(embedding, head, num_outputs)
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        self.word_dropout, self.crf, self.scheme = word_dropout, crf, scheme
        self.encoder = RecurrentEncoder("lstm", embedding.embedding_dim, hidden_size, num_layers=num_layers,
                                        bidirectional=True, dropout=dropout, word_dropout=word_dropout)
        self.output = nn.Linear(self.encoder.output_size, num_outputs)
        self.crf_layer = CRF(num_outputs, scheme) if crf else None

    @classmethod
    def check_config(cls, config: dict[str, Any], task: Any) -> None:
        """The model's ``scheme`` must be the scheme of the tags the task reads, or the
        constraints forbid moves the corpus makes."""
        theirs, ours = getattr(task, "scheme", None), config["model"].get("scheme")
        if theirs is None or not isinstance(ours, str) or same_scheme(ours, theirs):
            return
        raise UsageError(
            f"[task] '{task.name}' reads tags in scheme {theirs}, but [model] '{cls.name}' has scheme = {ours!r}: "
            "the model's transition constraints must follow the scheme of the tags it learns, or they forbid "
            f"moves the corpus makes. Use one scheme for both (the corpus's), e.g. [model] scheme = \"{theirs}\", "
            "or leave the model's scheme out."
        )

    def bind_labels(self, labels: list[str]) -> None:
        """Fill the CRF's constraint masks from the label names (id order) when ``scheme`` is set.

        Raises :class:`~nlpkit.errors.OptionError` naming the first label that does not fit."""
        if self.crf_layer is None or self.scheme is None:
            return
        if len(labels) != self.num_outputs:
            raise UsageError(f"Model '{self.name}' has {self.num_outputs} outputs but was given "
                             f"{len(labels)} label names; bind the labels it was built for.")
        try:
            self.crf_layer.bind_labels(labels)
        except UsageError as exc:
            raise OptionError(f"Model '{self.name}' option scheme={self.scheme!r}: {exc} "
                              "Or leave scheme out to allow every move.") from None

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        """Emissions ``[B, T, K]`` and, with ``crf=True``, the (constrained) CRF scores."""
        mask = batch.mask  # shape: [B, T]
        lengths = mask.sum(dim=1).clamp(min=1)  # shape: [B]; an empty row reads one pad token
        states = self.encode(batch.ids, lengths, batch.features)  # shape: [B, T, 2H]
        emissions = self.output(self.encoder.drop(states))  # shape: [B, T, K]
        if self.crf_layer is None:
            return Scores(emissions=emissions, mask=mask)
        transitions, start, end = self.crf_layer.scores()
        return Scores(emissions=emissions, mask=mask, transitions=transitions, start=start, end=end)

    def loss(self, scores: Scores, batch: Batch, label_smoothing: float = 0.0) -> torch.Tensor:
        """CRF: the NLL of the gold paths per real token (the scale of the softmax baseline's
        per-token cross-entropy, so the same lr and gradient clipping suit both); softmax: the
        base class cross-entropy, with ``label_smoothing``, which a whole-path NLL has no targets for."""
        if self.crf_layer is None:
            return super().loss(scores, batch, label_smoothing)
        if label_smoothing:
            raise OptionError(f"Trainer option 'label_smoothing' smooths softmax targets; model '{self.name}' with "
                              "crf = true learns whole tag paths. Leave it at 0, or use model 'bilstm' (no CRF).")
        assert scores.emissions is not None and scores.mask is not None and batch.labels is not None
        return self.crf_layer.nll(scores.emissions, batch.labels, scores.mask, reduction="token_mean")

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor, features: Features | None = None) -> torch.Tensor:
        """The top layer's states ``[B, T, 2H]`` for right-padded ``ids [B, T]``, computed
        over the first ``lengths [B]`` tokens of each row only (zeros after)."""
        return self.encoder(self.embedding(ids, **(features or {})), lengths)  # shape: [B, T, 2H]


class BiLSTM(BiLSTMCRF):
    """The ``bilstm-crf`` network without its CRF layer: a softmax tagger (decoder
    ``argmax``), the baseline that measures what the CRF adds. Same options."""

    name = "bilstm"
    crf_by_default = False


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
        allowed_transitions(["O"], scheme)
    except UsageError as exc:
        raise OptionError(f"{what} option 'scheme': {exc} Or leave scheme out to allow every move.") from None
