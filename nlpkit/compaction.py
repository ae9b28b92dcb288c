"""Smaller pipelines on disk: a neural model's float32 weights stored as float16, a count
model's float64 tables (an HMM's log-probabilities) as float32.

Loading reads them back at full width (``load_state_dict`` casts into the float32
parameters; the HMM casts its tables to float64), so inference runs as before on values
rounded to 11 or 24 significant bits. Whether that costs accuracy is for the caller to
measure: benchmarks/build_pretrained.py keeps a compact pipeline only where the dev score
moves by less than 0.001.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError
from .integrity import seal
from .io import atomic_path

WEIGHTS = Path("model") / "weights.safetensors"
#: Arrays of a count model's file kept exact: its options (a smoothing constant must
#: read back as the very value the config gives).
EXACT = frozenset({"options"})


def compact(root: str | Path) -> tuple[int, int]:
    """Store ``root``'s model at half width (float16 neural weights, float32 count tables),
    integer arrays as they are, and record the new sha256; ``(bytes before, bytes after)``."""
    root = Path(root)
    files = [root / WEIGHTS] if (root / WEIGHTS).is_file() else sorted((root / "model").glob("*.safetensors"))
    if not files:
        raise UsageError(f"{root} has no model/*.safetensors: nothing to store more compactly.")
    before = sum(f.stat().st_size for f in files)
    for file in files:
        _halve_torch(file) if file.name == WEIGHTS.name else _halve_numpy(file)
    seal(root)
    return before, sum(f.stat().st_size for f in files)


def _halve_torch(file: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(file))
    with atomic_path(file) as tmp:
        save_file({k: v.half() if v.dtype == torch.float32 else v for k, v in tensors.items()}, str(tmp))


def _halve_numpy(file: Path) -> None:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(file))
    halved = {k: v.astype(np.float32) if v.dtype == np.float64 and k not in EXACT else v for k, v in arrays.items()}
    with atomic_path(file) as tmp:
        save_file(halved, str(tmp))
