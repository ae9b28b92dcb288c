"""Optimisers, learning-rate schedules and numeric precision for the torch trainer."""

from __future__ import annotations

import math

import torch

from nlpkit.errors import OptionError


def make_optimizer(name: str, params, lr: float, weight_decay: float, momentum: float) -> torch.optim.Optimizer:  # type: ignore[no-untyped-def]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=momentum)
    raise OptionError(f"Unknown optimizer '{name}'; use adam, adamw or sgd.")


def make_schedule(
    name: str, optimizer: torch.optim.Optimizer, warmup: int, total: int, factor: float, patience: int
) -> torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau:
    """``constant``, ``linear`` or ``cosine`` decay to zero after ``warmup`` linear steps
    (stepped every batch), or ``plateau`` (stepped on each evaluation)."""
    if name == "plateau":
        if warmup:
            raise OptionError("Trainer 'torch': warmup_steps cannot be combined with schedule=plateau.")
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=factor, patience=patience)
    if name not in ("constant", "linear", "cosine"):
        raise OptionError(f"Unknown schedule '{name}'; use constant, linear, cosine or plateau.")

    def factor_at(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if name == "linear":
            return 1.0 - progress
        if name == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor_at)


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for full fp32. ``auto``: bf16 on CUDA GPUs that
    support it, else fp16 on CUDA, fp32 elsewhere."""
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise OptionError(f"Trainer 'torch': unknown precision '{precision}'; use auto, fp32, bf16 or fp16.")
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if device.type != "cuda":
        raise OptionError(f"Trainer 'torch': precision={precision} needs a CUDA device; this run uses {device}.")
    if precision == "bf16" or (precision == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16
