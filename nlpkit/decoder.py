"""The :class:`Decoder` base class: from scores to label ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .component import Component

if TYPE_CHECKING:
    import torch

    from .scores import Scores


class Decoder(Component):
    """Turns :class:`~nlpkit.scores.Scores` into label ids.

    :meth:`choose` picks one id per row of ``[N, C]`` logits (argmax, or a sample);
    :meth:`decode` applies it to a model's output: one id per sequence for
    ``logits``, one id per real token for ``emissions``. Structured decoders
    (Viterbi) override :meth:`decode`.
    """

    def choose(self, logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Ids ``[N]`` for logits ``[N, C]``."""
        raise NotImplementedError

    def decode(self, scores: Scores, generator: torch.Generator | None = None) -> list[list[int]] | list[int]:
        """Label ids: ``list[int]`` for sequence logits, ``list[list[int]]`` for emissions."""
        if scores.logits is not None:
            return self.choose(scores.logits, generator).tolist()
        assert scores.emissions is not None and scores.mask is not None
        # Only real tokens are decoded, so a sampled tag never depends on the batch's padding.
        flat = self.choose(scores.emissions[scores.mask], generator).tolist()  # shape: [real tokens]
        lengths = scores.mask.sum(dim=1).tolist()
        out, start = [], 0
        for n in lengths:
            out.append(flat[start:start + n])
            start += n
        return out
