"""Checkpoints: a directory per checkpoint, written whole or not at all.

``last/`` holds everything a resume needs (model weights as safetensors; optimizer,
scheduler, scaler and RNG states in a torch file read back with
``weights_only=True``; counters as JSON); ``best/`` holds the best model's weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_model, save_model

from nlpkit.errors import InputError
from nlpkit.io import atomic_dir

MODEL, STATE, COUNTERS = "model.safetensors", "trainer.pt", "state.json"


def save(folder: Path, model: torch.nn.Module, counters: dict, state: dict | None = None) -> None:
    """Write ``folder`` atomically: a crash or Ctrl-C leaves the previous one intact."""
    with atomic_dir(folder) as tmp:
        save_model(model, str(tmp / MODEL))
        if state is not None:
            torch.save(state, tmp / STATE)
        (tmp / COUNTERS).write_text(json.dumps(counters, indent=2) + "\n", encoding="utf-8")


def load_weights(folder: Path, model: torch.nn.Module) -> None:
    try:
        load_model(model, str(folder / MODEL), strict=True)
    except (OSError, RuntimeError, ValueError) as exc:
        raise InputError(f"cannot load checkpoint weights into this model: {exc}", str(folder / MODEL)) from None


def load_counters(folder: Path) -> dict:
    try:
        return json.loads((folder / COUNTERS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable checkpoint: {exc}", str(folder)) from None


def load_state(folder: Path) -> dict[str, Any]:
    """Optimizer, scheduler, scaler and RNG states; never runs code from the file."""
    return torch.load(folder / STATE, map_location="cpu", weights_only=True)


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
