"""Smaller pipelines on disk: a neural model's float32 weights stored as float16.

Loading reads them back into the model's float32 parameters (``load_state_dict`` casts),
so inference runs as before, on weights rounded to 11 significant bits. Whether that
costs accuracy is for the caller to measure: benchmarks/build_pretrained.py keeps float16
only where the dev score moves by less than 0.001.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .integrity import seal
from .io import atomic_path

WEIGHTS = Path("model") / "weights.safetensors"


def to_float16(root: str | Path) -> tuple[int, int]:
    """Rewrite ``root``'s ``model/weights.safetensors`` with every float32 tensor as float16
    (integer tensors as they are) and record the new sha256; ``(bytes before, bytes after)``."""
    import torch
    from safetensors.torch import load_file, save_file

    root = Path(root)
    weights = root / WEIGHTS
    if not weights.is_file():
        raise UsageError(f"{root} has no {WEIGHTS.as_posix()}: only neural pipelines store float weights.")
    before = weights.stat().st_size
    tensors = load_file(str(weights))
    half = {k: v.half() if v.dtype == torch.float32 else v for k, v in tensors.items()}
    with atomic_path(weights) as tmp:
        save_file(half, str(tmp))
    seal(root)
    return before, weights.stat().st_size
