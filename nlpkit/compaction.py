"""Smaller pipelines on disk: a neural model's embedding tables stored as int8 rows (each
row with its own float32 scale), its other float32 weights as float16, and a count model's
float64 tables (an HMM's log-probabilities) as float32.

Loading reads them back at full width (:func:`load_weights` dequantizes the rows and
``load_state_dict`` casts into the float32 parameters; the HMM casts its tables to
float64), so inference runs as before on rounded values: an embedding entry is off by at
most half its row's largest entry / 127. Whether that costs accuracy is for the caller to
measure: benchmarks/build_pretrained.py keeps a compact pipeline only where the dev score
moves by less than 0.001.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import UsageError
from .integrity import seal
from .io import atomic_path

WEIGHTS = Path("model") / "weights.safetensors"
#: Arrays of a count model's file kept exact: its options (a smoothing constant must
#: read back as the very value the config gives).
EXACT = frozenset({"options"})
#: The safetensors metadata entry listing the tensors stored as int8 rows, and the suffix
#: of the key holding each one's row scales.
INT8_ROWS, SCALE = "nlpkit.int8_rows", ".int8_scale"


def compact(root: str | Path) -> tuple[int, int]:
    """Store ``root``'s model compactly (int8 embedding rows and float16 weights; float32
    count tables), integer arrays as they are, and record the new sha256;
    ``(bytes before, bytes after)``."""
    root = Path(root)
    files = [root / WEIGHTS] if (root / WEIGHTS).is_file() else sorted((root / "model").glob("*.safetensors"))
    if not files:
        raise UsageError(f"{root} has no model/*.safetensors: nothing to store more compactly.")
    before = sum(f.stat().st_size for f in files)
    for file in files:
        _compact_torch(file) if file.name == WEIGHTS.name else _halve_numpy(file)
    seal(root)
    return before, sum(f.stat().st_size for f in files)


def _compact_torch(file: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    tensors, rows = load_file(str(file)), []
    out: dict[str, Any] = {}
    for key, value in tensors.items():
        if _is_embedding_table(key, value):
            out[key], out[key + SCALE] = _int8_rows(value)
            rows.append(key)
        else:
            out[key] = value.half() if value.dtype == torch.float32 else value
    with atomic_path(file) as tmp:
        save_file(out, str(tmp), metadata={INT8_ROWS: ",".join(rows)})


def _is_embedding_table(key: str, value: Any) -> bool:
    """A float lookup table of the model's embedding (words, bigrams, characters, lexicon)."""
    import torch

    return key.startswith("embedding.") and key.endswith(".weight") and value.ndim == 2 and value.dtype == torch.float32


def _int8_rows(table: Any) -> tuple[Any, Any]:
    """Symmetric int8 per row: ``round(x / scale)`` with ``scale = max |row| / 127``."""
    import torch

    scale = table.abs().amax(dim=1).clamp(min=1e-12) / 127  # shape: [V]
    return torch.round(table / scale[:, None]).to(torch.int8), scale  # shape: [V, D], [V]


def _halve_numpy(file: Path) -> None:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(file))
    halved = {k: v.astype(np.float32) if v.dtype == np.float64 and k not in EXACT else v for k, v in arrays.items()}
    with atomic_path(file) as tmp:
        save_file(halved, str(tmp))


def load_weights(model: Any, path: Path) -> None:
    """Read ``path`` (safetensors) into ``model``, strictly: every parameter and buffer
    present, nothing unknown; int8 rows are dequantized first. Tensors the model shares
    (tied weights) are stored once, as safetensors' ``save_model`` writes them."""
    from safetensors import safe_open
    from safetensors.torch import load_file, load_model

    with safe_open(str(path), framework="pt") as stream:
        rows = (stream.metadata() or {}).get(INT8_ROWS)
    if not rows:
        load_model(model, str(path), strict=True)
        return
    tensors = load_file(str(path))
    for key in rows.split(","):
        tensors[key] = tensors[key].float() * tensors.pop(key + SCALE)[:, None]  # shape: [V, D]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not _shares_storage_with_a_loaded(model, k, tensors)]
    if missing or unexpected:
        raise RuntimeError(f"missing tensors {missing[:5]}, unexpected tensors {unexpected[:5]}")


def _shares_storage_with_a_loaded(model: Any, key: str, loaded: dict) -> bool:
    state = model.state_dict()
    pointer = state[key].data_ptr()
    return any(k in loaded for k, v in state.items() if k != key and v.data_ptr() == pointer)
