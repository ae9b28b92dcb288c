"""The ``bag-of-embeddings`` model: a worked example of a model plugin.

A fastText-style classifier (Joulin et al. 2017): the mean of the token vectors of a
text, through a linear layer. It shows everything a model plugin needs:

- the constructor: what the data decides positionally (the encoder's input layer, the
  head, the number of labels), the options as typed keyword arguments, kept as
  attributes of the same names so ``config()`` rebuilds the model;
- ``forward(batch)`` returning :class:`nlpkit.scores.Scores`: ``logits [B, C]`` for the
  ``classify`` head (``emissions [B, T, C]`` and ``mask`` for per-token heads);
- the loss: the base class's cross-entropy, here kept;
- weights: saved by the base class as safetensors in the pipeline's ``model/`` folder.

This module imports torch; the plugin registers it by import path, so it is imported
only when a config or a pipeline names the model.
"""

from __future__ import annotations

from torch import nn

from nlpkit.batch import Batch
from nlpkit.errors import OptionError
from nlpkit.model import Head, Model
from nlpkit.scores import Scores


class BagOfEmbeddings(Model):
    """The mean of a text's token vectors, ``dropout``, then a linear layer per label.

    Options:

    - ``dropout``: on the mean vector while training (a probability in [0, 1)).
    """

    name = "bag-of-embeddings"
    heads = ("classify",)

    def __init__(self, embedding: nn.Module, head: Head, num_outputs: int, /, *, dropout: float = 0.0) -> None:
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise OptionError(f"Model 'bag-of-embeddings' needs 0 <= dropout < 1 (a probability); got {dropout!r}.")
        super().__init__(embedding, head, num_outputs)
        self.dropout = dropout
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(embedding.embedding_dim, num_outputs)

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        """Logits ``[B, C]``: padding is left out of each mean by the mask."""
        vectors = self.embedding(batch.ids, **batch.features)  # shape: [B, T, E]
        real = batch.mask.unsqueeze(-1).to(vectors.dtype)  # shape: [B, T, 1]
        mean = (vectors * real).sum(dim=1) / real.sum(dim=1).clamp(min=1)  # shape: [B, E]
        return Scores(logits=self.output(self.drop(mean)))  # shape: [B, C]
