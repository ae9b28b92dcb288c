"""The ``viterbi`` decoder: the best tag path of each sequence under a CRF's scores.

No torch import here: building the decoder from a config (and checking it) works
without it; :mod:`nlpkit.crf` is imported on the first decode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlpkit.decoder import Decoder
from nlpkit.errors import UsageError

if TYPE_CHECKING:
    import torch

    from nlpkit.scores import Scores


class ViterbiDecoder(Decoder):
    """The highest-scoring tag sequence of each sentence: emissions plus the CRF's
    transitions, start and end scores (constraints already applied by the model).

    Needs a CRF model (``bilstm-crf``); a model that gives emissions only is an error
    (use decoder ``argmax``). Sequence logits (a classifier) have no path to search:
    they get the most likely label, as with ``argmax``.
    """

    name = "viterbi"

    def choose(self, logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The most likely label of each row of ``[N, C]`` logits (Viterbi over one step)."""
        return logits.argmax(dim=-1)  # shape: [N]

    def decode(self, scores: Scores, generator: torch.Generator | None = None) -> list[list[int]] | list[int]:
        """Tag ids of each sequence's real tokens (``list[list[int]]``), batched on the
        scores' device with one transfer to the host at the end."""
        if scores.logits is not None:
            return super().decode(scores, generator)
        if scores.transitions is None or scores.start is None or scores.end is None:
            raise UsageError(
                "The viterbi decoder needs a CRF model (bilstm-crf, or a model with crf=true); this model "
                "gives emissions only, with no transition scores to search over: use decoder 'argmax'."
            )
        assert scores.emissions is not None and scores.mask is not None
        import torch

        from nlpkit.crf import viterbi

        paths, _ = viterbi(scores.emissions, scores.mask, scores.transitions, scores.start, scores.end)  # shape: [B, T]
        lengths = scores.mask.sum(dim=1, keepdim=True)  # shape: [B, 1]
        rows = torch.cat([lengths, paths], dim=1).tolist()  # shape: [B, 1 + T]; one transfer
        return [row[1:1 + row[0]] for row in rows]
