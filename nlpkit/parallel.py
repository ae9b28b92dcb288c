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

from .errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

_worker_fn: Callable[[Any], Any] | None = None

#: Why a pool's workers die before they start, nearly always: the script that started them
#: has no main guard, so each worker, importing it, tries to start a pool of its own.
WORKERS_DIED = (
    "The {n} worker processes died before finishing their work. Run from a script, put the code "
    "that starts them under 'if __name__ == \"__main__\":' (each worker imports your script); "
    "otherwise use n_process=1 to see the error in this process."
)


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
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    in_flight = 4 * n_process
    pool = ProcessPoolExecutor(n_process, mp_context=_context(), initializer=_set_worker_fn, initargs=(fn,))
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(_call_worker_fn, item))
            if len(pending) >= in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise UsageError(WORKERS_DIED.format(n=n_process)) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
