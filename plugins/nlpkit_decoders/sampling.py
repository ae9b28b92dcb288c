"""Gumbel-max sampling with temperature, top-k and top-p (nucleus) filtering.

``argmax(logits + g)`` with independent ``g ~ Gumbel(0, 1)`` is a sample from
``softmax(logits)``: one batched argmax, no cumulative sums, and labels filtered
out (set to ``-inf``) can never win.
"""

from __future__ import annotations

import torch


def gumbel_max(
    logits: torch.Tensor,
    temperature: float,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One label id per row of ``logits [N, C]``, sampled from ``softmax(logits / temperature)``
    restricted to the top ``top_k`` labels and then to the ``top_p`` nucleus."""
    if temperature == 0:
        return logits.argmax(dim=-1)  # shape: [N]
    scaled = logits.to(torch.promote_types(logits.dtype, torch.float32)) / temperature  # shape: [N, C]
    if top_k is not None and top_k < scaled.shape[-1]:
        scaled = keep_top_k(scaled, top_k)  # shape: [N, C]
    if top_p is not None and top_p < 1:
        scaled = keep_top_p(scaled, top_p)  # shape: [N, C]
    return (scaled + gumbel_noise(scaled, generator)).argmax(dim=-1)  # shape: [N]


def keep_top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """``logits [N, C]`` with all but the ``k`` highest of each row set to ``-inf``
    (exactly ``k`` kept, ties broken by position)."""
    best = logits.topk(k, dim=-1).indices  # shape: [N, k]
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, best, True)  # shape: [N, C]
    return logits.masked_fill(~keep, float("-inf"))  # shape: [N, C]


def keep_top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """``logits [N, C]`` with each row cut to its nucleus: the most likely labels, in
    order, until their softmax mass reaches ``p``; the rest set to ``-inf``."""
    ordered, order = logits.sort(dim=-1, descending=True)  # shape: [N, C] each
    probs = ordered.softmax(dim=-1)  # shape: [N, C]
    before = probs.cumsum(dim=-1) - probs  # shape: [N, C]; the mass of the more likely labels
    keep_sorted = before < p  # shape: [N, C]; the first label always (0 < p)
    keep_sorted[..., 0] = True
    keep = torch.empty_like(keep_sorted).scatter_(-1, order, keep_sorted)  # shape: [N, C]
    return logits.masked_fill(~keep, float("-inf"))  # shape: [N, C]


def gumbel_noise(like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``like``, drawn through ``generator`` (on the
    generator's device, then moved), always finite: ``-log(-log(u))``, ``u`` in ``(0, 1)``."""
    device = generator.device if generator is not None else like.device
    uniform = torch.rand(like.shape, generator=generator, device=device, dtype=like.dtype)  # shape: [N, C]
    uniform = uniform.clamp_(min=torch.finfo(like.dtype).tiny).to(like.device)  # shape: [N, C]; never 0
    return -torch.log(-torch.log(uniform))  # shape: [N, C]
