"""Data-parallel training across processes, with PyTorch's own engine.

``torchrun`` (or ``nlpkit train --nproc N``) starts one process per device and sets
``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; :func:`start` then joins the process
group (gloo on the CPU, nccl on CUDA, each rank on ``cuda:LOCAL_RANK``), and the
loop wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel`.

The data is split so that N processes compute what one does: every global batch of
``epoch_order(batch_size, seed, epoch)`` is cut into ``N x grad_accum_steps``
contiguous micro-batches, and each rank's loss is weighted by its share of the
global batch's loss units (tokens for token losses, sequences for sequence losses),
so the all-reduced gradient is the gradient of the single-process batch mean.

``torch.distributed`` is imported here only, when a job has more than one process.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

import torch

from nlpkit.errors import NlpkitError, OptionError, UsageError
from nlpkit.trainer import world_size

#: Minutes a rank waits for the others in a collective before the job fails.
TIMEOUT_ENV = "NLPKIT_DIST_TIMEOUT_MINUTES"
DEFAULT_TIMEOUT_MINUTES = 30.0


@dataclass(frozen=True)
class Group:
    """This process's place in a multi-process job."""

    rank: int
    world: int
    local_rank: int
    backend: str
    owned: bool  # we called init_process_group, so we destroy it

    @property
    def main(self) -> bool:
        return self.rank == 0


def launched() -> bool:
    """Whether torchrun started this process as one of several."""
    return world_size() > 1


def timeout() -> datetime.timedelta:
    """The process group's timeout: ``$NLPKIT_DIST_TIMEOUT_MINUTES``, else 30 minutes
    (long enough for rank 0 to evaluate a large dev set while the others wait)."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        minutes = float(raw) if raw else DEFAULT_TIMEOUT_MINUTES
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        raise UsageError(f"{TIMEOUT_ENV}={raw!r} is not a positive number of minutes; e.g. {TIMEOUT_ENV}=10.")
    return datetime.timedelta(minutes=minutes)


def start(device: torch.device) -> tuple[Group, torch.device]:
    """Join the process group torchrun prepared; return it and this rank's device."""
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = _rank_device(device, local_rank)
    backend = "nccl" if device.type == "cuda" else "gloo"
    owned = not dist.is_initialized()
    if owned:
        dist.init_process_group(backend, timeout=timeout())
    return Group(dist.get_rank(), dist.get_world_size(), local_rank, dist.get_backend(), owned), device


def _rank_device(device: torch.device, local_rank: int) -> torch.device:
    """``cuda`` becomes ``cuda:LOCAL_RANK``; a fixed ``cuda:N`` or ``mps`` cannot be shared by ranks."""
    if device.type == "mps":
        raise UsageError("Training on several processes needs cuda or cpu devices (no collective backend "
                         "supports mps); use --device cpu, or one process.")
    if device.type != "cuda":
        return device
    if device.index is not None:
        raise UsageError(f"--device {device} names one GPU, but every rank of a multi-process job uses its own "
                         "(cuda:LOCAL_RANK); use --device cuda or auto.")
    if local_rank >= torch.cuda.device_count():
        raise UsageError(f"Local rank {local_rank} has no GPU: torch sees {torch.cuda.device_count()} here. "
                         "Start at most that many processes per machine (--nproc / --nproc_per_node).")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def stop(group: Group | None) -> None:
    """Leave the process group (if this module joined it)."""
    if group is not None and group.owned:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def check_world_size(batch_size: int, accum: int, world: int) -> None:
    """Every global batch must split evenly over ``world`` ranks x ``accum`` micro-steps."""
    parts = world * accum
    if batch_size % parts:
        lower, upper = batch_size // parts * parts, (batch_size // parts + 1) * parts
        suggestion = f"{lower} or {upper}" if lower else f"{upper}"
        raise OptionError(
            f"Trainer 'torch': batch_size {batch_size} is the global batch and must split evenly over "
            f"{world} process(es) x {accum} accumulation step(s) = {parts} micro-batches. "
            f"Use a batch_size divisible by {parts} (e.g. {suggestion}), or another number of processes."
        )


def check_same_job(group: Group, description: dict[str, Any]) -> None:
    """All-gather each rank's job description; differing ranks are an error naming them.

    Ranks that train different configs would compute different batch counts and hang,
    or silently average unrelated gradients; this check runs before the first batch."""
    import torch.distributed as dist

    described: list[Any] = [None] * group.world
    dist.all_gather_object(described, description)
    reference = described[0]
    differing = {rank: _differences(reference, d) for rank, d in enumerate(described) if d != reference}
    if differing:
        details = "; ".join(f"rank {rank} differs from rank 0 in {', '.join(what)}" for rank, what in differing.items())
        raise UsageError(
            f"The {group.world} processes of this job were not given the same training job: {details}. "
            "Every rank must read the same config and corpus with the same options (--set, --seed, --resume); "
            "on several machines, check that each node has the same files."
        )


def _differences(reference: dict, other: dict) -> list[str]:
    """What differs, by name: trainer options with both values, other keys by name."""
    found = []
    for key in sorted(set(reference) | set(other)):
        mine, theirs = reference.get(key), other.get(key)
        if mine == theirs:
            continue
        if isinstance(mine, dict) and isinstance(theirs, dict):
            found += [f"{key}.{k} ({mine.get(k)!r} vs {theirs.get(k)!r})"
                      for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]
        else:
            found.append(f"{key} ({mine!r} vs {theirs!r})")
    return found


def shard(indices: list[int], world: int, rank: int, accum: int) -> list[list[int]]:
    """This rank's ``accum`` micro-batches of a global batch: contiguous parts (lengths
    stay close, so little padding), sizes differing by at most one; part ``k * world +
    rank`` is this rank's ``k``-th. Parts may be empty for a short final batch."""
    count = world * accum
    size, extra = divmod(len(indices), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [indices[bounds[k * world + rank]:bounds[k * world + rank + 1]] for k in range(accum)]


def loss_units(model: Any, batch: Any) -> int:
    """What ``model.loss`` averages over: sequences when there is one label per sequence
    (classification), else real tokens (the mask). A model whose loss averages over
    something else says so with a ``loss_units(batch)`` method."""
    custom = getattr(model, "loss_units", None)
    if custom is not None:
        return int(custom(batch))
    if batch.labels is not None and batch.labels.dim() == 1:
        return int(batch.labels.shape[0])
    return int(batch.mask.sum())


def sum_all(values: list[float], device: torch.device) -> list[float]:
    """The sum over ranks of each value (one all-reduce, in float64)."""
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64, device=device)  # shape: [V]
    dist.all_reduce(tensor)
    return tensor.tolist()


def broadcast(value: Any, group: Group) -> Any:
    """Rank 0's ``value`` on every rank (e.g. the dev metric that decides early stopping)."""
    import torch.distributed as dist

    box = [value if group.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def wrap(model: torch.nn.Module, device: torch.device, probe: Any) -> torch.nn.Module:
    """``model`` in DistributedDataParallel; ``probe`` (a small batch) tells whether some
    trainable parameter gets no gradient, which DDP must then look for every step."""
    from torch.nn.parallel import DistributedDataParallel

    unused = has_unused_parameters(model, probe, device)
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=unused)


def has_unused_parameters(model: torch.nn.Module, batch: Any, device: torch.device) -> bool:
    """One forward and backward pass on ``batch`` (random state restored, no ``.grad``
    touched): does any trainable parameter stay out of the loss's graph?"""
    params = [p for p in model.parameters() if p.requires_grad]
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        loss = model.loss(model(batch), batch)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
    return any(g is None for g in grads)


def describe_group(group: Group | None, device_text: str) -> str:
    """``cpu x 2 processes (gloo)``, or the device alone for one process."""
    if group is None:
        return device_text
    return f"{device_text} x {group.world} processes ({group.backend})"


def lost_peers(exc: BaseException) -> bool:
    """Whether ``exc`` is a failed collective: a peer died, hung past the timeout, or
    closed its connection (gloo and nccl raise these as RuntimeError)."""
    import torch.distributed as dist

    text = str(exc)
    markers = ("gloo", "NCCL", "nccl", "Connection reset", "Connection closed", "timed out", "Timed out")
    return isinstance(exc, dist.DistError) or any(marker in text for marker in markers)


def rank_error(group: Group, exc: BaseException) -> NlpkitError:
    """The error every surviving rank raises when a collective fails."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return NlpkitError(
        f"Rank {group.rank} of {group.world} lost contact with the other processes of the job ({first_line}). "
        "Another rank failed, was killed or stopped responding (its error, if any, is above or in its node's "
        f"log); a rank that stops responding fails the job after {TIMEOUT_ENV} minutes "
        f"({timeout().total_seconds() / 60:g} now)."
    )
