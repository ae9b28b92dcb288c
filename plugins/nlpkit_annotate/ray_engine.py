"""``--engine ray``: the shards on a Ray cluster (or a local Ray), through Ray Data.

The planned shards become a dataset of one row each; ``map_batches`` hands them to a pool
of ``actors`` actors of a callable class that loads the pipeline once (with
``gpus_per_actor`` GPUs each where asked), and each actor writes its shards into the
output folder (a folder every node can reach, on a cluster), exactly as the local engine
writes them. Finished shards stream back to the driver, which keeps the manifest. A killed
actor is restarted by Ray and its shard run again; shard files are written atomically and
are a function of their lines alone, so the output is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from nlpkit.errors import MissingDependencyError

from .shards import Shard


def run(shards: list[Shard], job: dict[str, Any], on_done: Callable[[dict[str, Any]], None], *, address: str | None,
        actors: int, gpus_per_actor: float) -> None:
    """Annotate ``shards`` on Ray (started locally unless ``address`` names a cluster)."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, logging_level="WARNING")
    _quiet(ray)
    if not shards:
        return
    dataset = ray.data.from_items([asdict(s) for s in shards], override_num_blocks=len(shards))
    results = dataset.map_batches(
        ShardWorker, fn_constructor_kwargs={"job": job}, batch_size=1, batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=actors), num_gpus=gpus_per_actor or None,
    )  # Ray Data restarts a dead actor and retries its task by default
    for row in results.iter_rows():
        on_done(_plain(row))


class ShardWorker:
    """A Ray actor: the pipeline, loaded once; each call annotates and writes one shard."""

    def __init__(self, job: dict[str, Any]) -> None:
        from . import local

        local._start(job)
        self.annotate = local.annotate_shard

    def __call__(self, batch: Any) -> Any:
        import pandas as pd

        entries = [self.annotate(Shard(**{k: row[k] for k in ("name", "path", "source", "start", "stop")}))
                   for row in batch.to_dict("records")]
        return pd.DataFrame(entries)


def _quiet(ray: Any) -> None:
    """Ray Data's progress bars and per-stage log lines would interleave with our progress bar."""
    import logging

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry with plain Python values (Ray hands back numpy scalars)."""
    return {key: value.item() if hasattr(value, "item") else value for key, value in row.items()}


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingDependencyError("nlpkit annotate --engine ray needs Ray Data: pip install \"nlpkit[ray]\"") from None
    return ray
