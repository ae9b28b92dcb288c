"""Decoders that pick one label per row of logits, independently: ``argmax`` and ``gumbel``.

Neither imports torch here: building a decoder from a config (and checking its
options) works without it; :mod:`.sampling` is imported when a sample is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nlpkit.decoder import Decoder
from nlpkit.errors import OptionError
from nlpkit.options import is_finite_number

if TYPE_CHECKING:
    import torch


class ArgmaxDecoder(Decoder):
    """The most likely label of each row (the first one on ties)."""

    name = "argmax"

    def choose(self, logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return logits.argmax(dim=-1)  # shape: [N]


class GumbelDecoder(Decoder):
    """A sample from ``softmax(logits / temperature)`` per row, drawn with the Gumbel-max
    trick: ``argmax(logits / temperature + g)`` with ``g ~ Gumbel(0, 1)``.

    - ``temperature``: 1 samples the model's distribution, below 1 sharpens it, above
      1 flattens it; 0 is exactly argmax;
    - ``top_k``: sample only among the ``k`` highest logits (Fan et al. 2018);
    - ``top_p``: sample only from the nucleus, the smallest set of most likely labels
      whose probability (after temperature and top-k) reaches ``p`` (Holtzman et al.
      2020); the most likely label is always in it.

    The noise comes from the ``generator`` passed to :meth:`choose`, so a seeded
    generator reproduces a sample.
    """

    name = "gumbel"

    def __init__(self, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None) -> None:
        _check_temperature(temperature)
        _check_top_k(top_k)
        _check_top_p(top_p)
        self.temperature, self.top_k, self.top_p = temperature, top_k, top_p

    def choose(self, logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        from .sampling import gumbel_max

        return gumbel_max(logits, self.temperature, self.top_k, self.top_p, generator)  # shape: [N]


def _check_temperature(value: Any) -> None:
    if not is_finite_number(value) or value < 0:
        raise OptionError(
            f"Decoder 'gumbel' needs a finite temperature >= 0 (0: always the most likely label, "
            f"1: the model's own distribution, above 1: flatter); got {value!r}."
        )


def _check_top_k(value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise OptionError(
            f"Decoder 'gumbel' needs top_k >= 1 (a whole number: sample among the k most likely labels), "
            f"or none to keep them all; got {value!r}."
        )


def _check_top_p(value: Any) -> None:
    if value is not None and (not is_finite_number(value) or not 0 < value <= 1):
        raise OptionError(
            f"Decoder 'gumbel' needs 0 < top_p <= 1 (the probability mass of the labels to sample from), "
            f"or none to keep them all; got {value!r}."
        )
