"""``--engine local``: shards on ``jobs`` processes of this machine, each loading the
pipeline once; finished shards enter the manifest as they come."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from .annotator import Annotator
from .shards import Shard, write_shard
from .sources import is_json_lines, read_lines

_annotator: Annotator | None = None  # this process's, loaded once
_job: dict[str, Any] = {}


def run(shards: list[Shard], jobs: int, job: dict[str, Any], on_done: Callable[[dict[str, Any]], None]) -> None:
    """Annotate ``shards`` (``job``: name, folder, field, format, max_chars, batch_size)."""
    if jobs == 1:
        _start(job)
        for shard in shards:
            on_done(annotate_shard(shard))
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a clean interpreter: no state of the caller's
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(job,)) as pool:
        for entry in _as_finished(pool, shards, 2 * jobs):
            on_done(entry)


def _as_finished(pool: ProcessPoolExecutor, shards: list[Shard], window: int) -> Iterator[dict[str, Any]]:
    """Results as shards finish, keeping at most ``window`` submitted at once."""
    pending, queue = set(), iter(shards)
    for shard in queue:
        pending.add(pool.submit(annotate_shard, shard))
        if len(pending) >= window:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from (f.result() for f in done)


def _start(job: dict[str, Any]) -> None:
    global _annotator, _job
    _job = job
    _annotator = Annotator(job["name"], job["max_chars"], job["batch_size"], job.get("device", "cpu"), job.get("scores", False))


def annotate_shard(shard: Shard) -> dict[str, Any]:
    """Read, annotate and write one shard; its manifest entry."""
    assert _annotator is not None
    path = Path(shard.path)
    lines = read_lines(path, shard.start, shard.stop, _job["field"], is_json_lines(path, _job["format"]))
    return write_shard(Path(_job["folder"]), shard, _annotator.records(shard.source, lines))
