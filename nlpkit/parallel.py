"""Order-preserving parallel map with bounded memory, for multi-GB inputs.

``multiprocessing.Pool.imap`` reads its whole input ahead into a queue; this
keeps at most ``in_flight`` batches queued, so memory stays constant.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_worker_fn: Callable[[Any], Any] | None = None


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of ``size`` items (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def ordered_map(fn: Callable[[T], R], items: Iterable[T], n_process: int = 1) -> Iterator[R]:
    """Yield ``fn(item)`` for each item in input order, on ``n_process`` processes.

    ``fn`` is pickled once per worker (not per item), so it may carry a heavy
    object such as a tokenizer that rebuilds itself from its config.
    """
    if n_process <= 1:
        yield from map(fn, items)
        return
    in_flight = 4 * n_process
    with _context().Pool(n_process, initializer=_set_worker_fn, initargs=(fn,)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.apply_async(_call_worker_fn, (item,)))
            if len(pending) >= in_flight:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: no fork of a threaded parent, and much cheaper than spawn per worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _set_worker_fn(fn: Callable[[Any], Any]) -> None:
    global _worker_fn
    _worker_fn = fn


def _call_worker_fn(item: Any) -> Any:
    assert _worker_fn is not None, "worker not initialised"
    return _worker_fn(item)
